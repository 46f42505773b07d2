#!/usr/bin/env bash
# After the sixth round, last: one mediator's weekday beside `empty` alone (the issue's pairing),
# and the mediator search signed in and not, with page tokens' query digests written out by
# base16ct instead of a string per byte. h2load, three times each, SQLite. Needs the release
# build of the bench and h2load. About 4 minutes here.
set -u
cd "$(dirname "$0")/../../../../.."
B=${BENCH:-./target/release/mediation-bench}
OUT=crates/bench/results/2026-12-07-h2load/after-hex
. crates/bench/results/run-with-steal.sh
: > "$OUT/steal.txt"
for r in 1 2 3; do
  run availability-day-h2load-$r --driver h2load --mediators 500 --concurrency 16 --scenarios empty,availability-day --duration 4 --warmup 1 --interleave 8
  run search-h2load-$r --driver h2load --mediators 10000 --residents 200 --concurrency 16 --scenarios empty,search-mediators-signed-in,search-mediators --duration 6 --warmup 1.2 --interleave 12
done
echo benches done $(date)
