"""Sets the `(mediation.v1.access)` option of every rpc under proto/ from the policy tables.

The policy tables (`crates/*/src/policy.rs`) are what the gateway enforces; the option publishes
them to client developers (in the protos and through reflection). Run from the repository root
after changing a policy row or adding an rpc:

    python3 docs/set_access_options.py

then regenerate docs/API-REFERENCE.md. The gateway's unit test
`every_methods_published_access_is_its_policy` fails while the two differ.
"""
import re, glob, os
ROOT = os.getcwd()
ORDER = ["Resident","Kiosk","Mediator","Dispatcher","StationAdmin","CentreAdmin","PartnerStaff"]
NAMES = {"Resident":"RESIDENT","Kiosk":"KIOSK","Mediator":"MEDIATOR","Dispatcher":"DISPATCHER","StationAdmin":"STATION_ADMIN","CentreAdmin":"CENTRE_ADMIN","PartnerStaff":"PARTNER_STAFF"}
GROUPS = {"Role::ALL": ORDER, "&Role::ALL": ORDER, "&Role::DISTRICT": ORDER[:6], "Role::DISTRICT": ORDER[:6], "Role::STAFF": ["Mediator","Dispatcher","StationAdmin","CentreAdmin"], "Role::ADMINS": ["StationAdmin","CentreAdmin"]}
def roles_of(expr, consts):
    expr = expr.strip()
    if expr in GROUPS: return GROUPS[expr]
    if expr in consts: return consts[expr]
    m = re.fullmatch(r"&\[(.*)\]", expr, re.S)
    if m: return [r.strip().split("::")[1] for r in m.group(1).split(",") if r.strip()]
    raise Exception(expr)
def access_of(expr, consts):
    expr = " ".join(expr.split())
    if expr == "Access::Public": return "public"
    if expr in consts: return consts[expr]
    m = re.fullmatch(r"Access::Roles\((.*)\)", expr)
    return roles_of(m.group(1), consts)
table = {}
for f in glob.glob(ROOT + "/crates/*/src/policy.rs"):
    s = open(f).read()
    consts = {}
    for m in re.finditer(r"const (\w+): (?:Access|&\[Role\]) =\s*(.*?);", s, re.S):
        if m.group(1) == "POLICY": continue
        e = " ".join(m.group(2).split())
        consts[m.group(1)] = access_of(e, consts) if e.startswith("Access") else roles_of(e, consts)
    for m in re.finditer(r'\("(/[^"]+)",\s*(.*?)\)(?:,|\];)?\n', s, re.S):
        table[m.group(1)] = access_of(m.group(2), consts)
for f in glob.glob(ROOT + "/proto/mediation/*/v1/*.proto"):
    s = open(f).read()
    pkg = re.search(r"^package ([\w.]+);", s, re.M).group(1)
    out = []; service = None; skip = 0
    lines = s.split("\n"); i = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r"service (\w+) \{", line)
        if m: service = m.group(1)
        m = re.match(r"(  rpc (\w+)\(.*\) returns \(.*\))( \{|;)$", line)
        if m:
            path = f"/{pkg}.{service}/{m.group(2)}"
            acc = table.pop(path)
            if acc == "public":
                opt = "    option (mediation.v1.access) = {public: true};"
            else:
                roles = ", ".join('"%s"' % NAMES[r] for r in ORDER if r in acc)
                opt = "    option (mediation.v1.access) = {roles: [%s]};" % roles
            out += [m.group(1) + " {", opt, "  }"]
            if m.group(3) == " {":
                # drop the old option block
                i += 1
                while lines[i].strip() != "}": i += 1
            i += 1
            continue
        out.append(line); i += 1
    open(f, "w").write("\n".join(out))
if table:
    raise SystemExit("policy rows naming no rpc of proto/: %s" % sorted(table))
