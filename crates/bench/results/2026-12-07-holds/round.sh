#!/usr/bin/env bash
# The round of BENCHMARKS.md's "Holds and leave in memory": every figure of the performance
# targets three times (SQLite and PostgreSQL), then the planner against PyVRP on eight Solomon
# instances and the 120-visit day. Needs the release build of the bench, the gateway and the
# ningbo_day example, and PyVRP in a throwaway environment (see crates/bench/compare/).
# Run on a quiet machine; it takes about 18 minutes here.
set -u
cd "$(dirname "$0")/../../../.."
B=./target/release/mediation-bench
OUT=crates/bench/results/2026-12-07-holds
PG=postgres://postgres@127.0.0.1:5432
run() { local name=$1; shift; "$B" --json "$OUT/$name.json" "$@" > "$OUT/$name.txt" 2>/dev/null || echo "failed $name"; }
for r in 1 2 3; do
  run availability-sqlite-0-$r --mediators 500 --concurrency 16 --scenarios empty,search-availability,availability-day --duration 4 --warmup 1
  run availability-sqlite-10000-$r --mediators 500 --concurrency 16 --scenarios empty,search-availability,availability-day --duration 4 --warmup 1 --bookings 10000
  run availability-postgres-0-$r --postgres $PG --mediators 500 --concurrency 16 --scenarios empty,search-availability,availability-day --duration 4 --warmup 1
  run availability-postgres-10000-$r --postgres $PG --mediators 500 --concurrency 16 --scenarios empty,search-availability,availability-day --duration 4 --warmup 1 --bookings 10000
  run book-sqlite-$r --mediators 500 --concurrency 16 --scenarios empty,book --duration 4 --warmup 1
  run book-postgres-$r --postgres $PG --mediators 500 --concurrency 16 --scenarios empty,book --duration 4 --warmup 1
  run signed-in-sqlite-$r --mediators 100 --residents 200 --concurrency 16 --scenarios empty,empty-signed-in,get-me,list-specialties --duration 4 --warmup 1
done
echo benches done $(date)
${PYTHON:-/tmp/pyvrp-venv/bin/python} crates/bench/compare/pyvrp_compare.py --mediation ./target/release/mediation --seconds 10 --runs 3 \
  ../shared/data/solomon/*.txt crates/bench/compare/solomon/*.txt > $OUT/planner-solomon.md 2> $OUT/planner-solomon.jsonl
echo solomon done $(date)
./target/release/examples/ningbo_day 2 2 2 2 2 30 30 > $OUT/ningbo-day.txt 2>&1
echo all done $(date)
