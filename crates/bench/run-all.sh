#!/usr/bin/env bash
# Runs every figure of BENCHMARKS.md and writes JSON, SVG and the median tables into
# crates/bench/results/: each load figure three times on SQLite and on PostgreSQL, one sweep
# over concurrency per backend, the streams memory figure, and the criterion micro-benchmarks.
#
#   crates/bench/run-all.sh                  # everything, about 15 minutes on 2 cores
#   RUNS=1 DURATION=3 crates/bench/run-all.sh  # a quicker look
#   POSTGRES=none crates/bench/run-all.sh    # SQLite only
#
# PostgreSQL: the bench creates a scratch database on $POSTGRES and drops it after each run.
# Run it on a quiet machine: every figure records the CPU other processes used meanwhile.
set -euo pipefail

cd "$(dirname "$0")/../.."
RUNS=${RUNS:-3}
DURATION=${DURATION:-6}
WARMUP=${WARMUP:-2}
SWEEP_DURATION=${SWEEP_DURATION:-4}
POSTGRES=${POSTGRES:-postgres://postgres@127.0.0.1:5432}
SWEEP=${SWEEP:-1,4,16,64}
OUT=crates/bench/results
BENCH=./target/release/mediation-bench

mkdir -p "$OUT"
echo "== building (release): the bench and the gateway binary it starts for streams"
cargo build --release -p mediation-bench -p mediation-gateway

backends=(sqlite)
if [[ "$POSTGRES" != none ]]; then
  if pg_isready -d "$POSTGRES" >/dev/null 2>&1 || psql "$POSTGRES/postgres" -c 'select 1' >/dev/null 2>&1; then
    backends+=(postgres)
  else
    echo "PostgreSQL at $POSTGRES does not answer: SQLite only" >&2
  fi
fi

# One invocation of the bench: bench NAME BACKEND SECONDS WARMUP ARGS...; NAME names the
# result files.
bench() {
  local name=$1 backend=$2 seconds=$3 warmup=$4
  shift 4
  local db=()
  [[ "$backend" == postgres ]] && db=(--postgres "$POSTGRES")
  echo "== $name"
  "$BENCH" "${db[@]}" --duration "$seconds" --warmup "$warmup" --json "$OUT/$name.json" "$@" \
    > "$OUT/$name.txt" 2> "$OUT/$name.log" || { echo "   failed: see $OUT/$name.log" >&2; tail -5 "$OUT/$name.log" >&2; return 1; }
  grep -E '/empty|/book-raw-db|server memory|streams:' "$OUT/$name.txt" | sed 's/^/   /' || true
}

for backend in "${backends[@]}"; do
  for run in $(seq 1 "$RUNS"); do
    # Issue #3's figure: SearchMediators over 10,000 mediators.
    bench "$backend-search-mediators-$run" "$backend" "$DURATION" "$WARMUP" --mediators 10000 --concurrency 16 \
      --scenarios empty,search-mediators
    # The appointment figures over 500 mediators with 30 days of hours, and the raw ceiling.
    bench "$backend-appointments-$run" "$backend" "$DURATION" "$WARMUP" --mediators 500 --concurrency 16 \
      --scenarios empty,login,search-availability,book,mixed
    # 10,000 open WatchVisit streams: the server in a process of its own for its memory.
    bench "$backend-streams-$run" "$backend" "$DURATION" "$WARMUP" --mediators 500 --scenarios empty,streams \
      --streams 10000 --stream-seconds "$DURATION"
  done
  # Throughput and p99 against concurrency, drawn.
  bench "$backend-sweep" "$backend" "$SWEEP_DURATION" 1 --mediators 500 --sweep "$SWEEP" \
    --scenarios empty,search-availability,book --svg "$OUT/$backend-sweep.svg"
done

echo "== medians"
"$BENCH" summarize "$OUT"/*.json | tee "$OUT/summary.md"

echo "== criterion micro-benchmarks"
cargo bench -p mediation-bench --bench pure -- --warm-up-time 1 --measurement-time 3 > "$OUT/criterion.txt" 2>&1
grep -B1 'time:' "$OUT/criterion.txt" | grep -v -e '^--' -e '^Benchmarking' | tee "$OUT/criterion-times.txt"
echo "results in $OUT"
