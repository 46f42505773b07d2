# Medians and spreads of a round's runs (NAME-1.txt, NAME-2.txt, ...): python3 summarize.py <the round's folder>
import re,sys,glob,statistics as st,os
D=sys.argv[1]
def parse(f):
    t=open(f).read()
    rate={}; ratio={}
    for m in re.finditer(r'^(\S+)\s+\d+\s+([\d.]+)\s',t,re.M): rate[m.group(1)]=float(m.group(2))
    for m in re.finditer(r'^(\S+)/(\S+): throughput [\d.]+ \(([\d.]+)%\), p99 ([\d.]+)x',t,re.M): ratio[(m.group(1),m.group(2))]=(float(m.group(3)),float(m.group(4)))
    return rate,ratio
def show(prefix, pairs, rates):
    files=sorted(glob.glob(f'{D}/{prefix}-[1-9].txt'))
    if not files: return
    parsed=[parse(f) for f in files]
    for p in pairs:
        vals=[r[1].get(p) for r in parsed]
        if None in vals: print(prefix,p,'missing'); continue
        pct=[v[0] for v in vals]; p99=[v[1] for v in vals]
        print(f'{prefix:28s} {p[0]}/{p[1]}: {" / ".join(f"{x:.1f}" for x in pct)} % median {st.median(pct):.1f} %, p99 {min(p99):.1f}-{max(p99):.1f}x')
    for r in rates:
        vals=[x[0].get(r) for x in parsed]
        print(f'{prefix:28s} {r} calls/s: {" / ".join(f"{x:,.0f}" for x in vals)} median {st.median(vals):,.0f}')
av=[('availability-day','empty'),('search-availability','empty')]
for b in ['sqlite','postgres']:
    for n in ['0','10000']:
        show(f'availability-{b}-{n}',av,['empty','availability-day','search-availability'])
show('search-mediators-sqlite',[('search-mediators','empty')],['empty','search-mediators'])
show('search-signed-in-sqlite',[('search-mediators-signed-in','empty'),('search-mediators','empty')],['empty','search-mediators-signed-in','search-mediators'])
for b in ['sqlite','postgres']:
    show(f'book-{b}',[('book','book-raw-db'),('book-raw-db','commit-bare')],['book','book-raw-db','commit-bare'])
show('signed-in-sqlite',[('empty-signed-in','empty'),('get-me','empty'),('list-specialties','empty')],['empty','get-me'])
for d in ['h2load','tonic']:
    show(f'signed-in-{d}',[('empty-signed-in','empty'),('get-me','empty'),('list-specialties','empty')],['empty','get-me'])
    show(f'search-{d}',[('search-mediators-signed-in','empty'),('search-mediators','empty')],['empty','search-mediators-signed-in','search-mediators'])
    show(f'availability-{d}',av,['empty','availability-day','search-availability'])
show('availability-10000-h2load',av,['empty','availability-day','search-availability'])
show('availability-day-h2load',[('availability-day','empty')],['empty','availability-day'])
