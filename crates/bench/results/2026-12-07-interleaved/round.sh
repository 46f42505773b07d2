#!/usr/bin/env bash
# The round of BENCHMARKS.md's "Interleaved windows": the figures of the targets the machine's
# drifting speed blurred, each scenario's 4 s window cut into eight slices run in turn with the
# other scenarios of its line (--interleave 8), three times each on SQLite.
# Needs the release build of the bench (cargo build --release -p mediation-bench).
# It takes about 6 minutes here.
set -u
cd "$(dirname "$0")/../../../.."
B=${BENCH:-./target/release/mediation-bench}
OUT=crates/bench/results/2026-12-07-interleaved
. crates/bench/results/run-with-steal.sh
: > "$OUT/steal.txt"
for r in 1 2 3; do
  run signed-in-sqlite-$r --mediators 100 --residents 200 --concurrency 16 --scenarios empty,empty-signed-in,get-me,list-specialties --duration 4 --warmup 1 --interleave 8
  run search-signed-in-sqlite-$r --mediators 10000 --residents 200 --concurrency 16 --scenarios empty,search-mediators-signed-in,search-mediators --duration 4 --warmup 1 --interleave 8
  run availability-sqlite-0-$r --mediators 500 --concurrency 16 --scenarios empty,search-availability,availability-day --duration 4 --warmup 1 --interleave 8
done
echo benches done $(date)
