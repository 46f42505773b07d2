#!/usr/bin/env bash
# The round of BENCHMARKS.md's "Small reads in place": the figures the change touches (a signed-in
# call that reads its account, the mediator search) and one mediator's weekday and the district's
# month beside them, six times each on SQLite. Each run's line in steal.txt gives the share of
# the machine's time the hypervisor took back during it (steal), read from /proc/stat.
# Needs the release build of the bench (cargo build --release -p mediation-bench).
# It takes about 10 minutes here; RUNS="4 5 6" runs only those, RUNS="" none of them.
set -u
cd "$(dirname "$0")/../../../.."
B=${BENCH:-./target/release/mediation-bench}
OUT=crates/bench/results/2026-12-07-in-place
. crates/bench/results/run-with-steal.sh
[ "${RUNS-1 2 3 4 5 6}" = "1 2 3 4 5 6" ] && : > "$OUT/steal.txt"
for r in ${RUNS-1 2 3 4 5 6}; do
  run signed-in-sqlite-$r --mediators 100 --residents 200 --concurrency 16 --scenarios empty,empty-signed-in,get-me,list-specialties --duration 4 --warmup 1
  run search-mediators-sqlite-$r --mediators 10000 --concurrency 16 --scenarios empty,search-mediators --duration 4 --warmup 1
  run availability-sqlite-0-$r --mediators 500 --concurrency 16 --scenarios empty,search-availability,availability-day --duration 4 --warmup 1
done
# Run after the six above, when the bench had learnt to search with a resident's token: the same
# searches signed in, beside the anonymous ones. SIGNED_RUNS="" leaves them out.
for r in ${SIGNED_RUNS-1 2 3}; do
  run search-signed-in-sqlite-$r --mediators 10000 --residents 200 --concurrency 16 --scenarios empty,search-mediators-signed-in,search-mediators --duration 4 --warmup 1
done
echo benches done $(date)
