#!/usr/bin/env bash
# The round of BENCHMARKS.md's "With the issue's driver": the figures of the targets measured as
# the issue measured them, with h2load (Debian's nghttp2-client) in a process of its own, 16
# connections with one call in flight each, each scenario's window cut into slices run in turn
# with the other scenarios of its line; beside each h2load line the same line driven by the
# bench's own tonic clients, in the same round. Three times each, SQLite.
# Needs the release build of the bench (cargo build --release -p mediation-bench) and h2load.
# It takes about 8 minutes here.
set -u
cd "$(dirname "$0")/../../../.."
B=${BENCH:-./target/release/mediation-bench}
OUT=crates/bench/results/2026-12-07-h2load
. crates/bench/results/run-with-steal.sh
: > "$OUT/steal.txt"
for r in 1 2 3; do
  run signed-in-h2load-$r --driver h2load --mediators 100 --residents 200 --concurrency 16 --scenarios empty,empty-signed-in,get-me,list-specialties --duration 4 --warmup 1 --interleave 8
  run search-h2load-$r --driver h2load --mediators 10000 --residents 200 --concurrency 16 --scenarios empty,search-mediators-signed-in,search-mediators --duration 6 --warmup 1.2 --interleave 12
  run search-tonic-$r --mediators 10000 --residents 200 --concurrency 16 --scenarios empty,search-mediators-signed-in,search-mediators --duration 6 --warmup 1.2 --interleave 12
  run availability-h2load-$r --driver h2load --mediators 500 --concurrency 16 --scenarios empty,search-availability,availability-day --duration 6 --warmup 1.2 --interleave 12
  run availability-tonic-$r --mediators 500 --concurrency 16 --scenarios empty,search-availability,availability-day --duration 6 --warmup 1.2 --interleave 12
done
echo benches done $(date)
