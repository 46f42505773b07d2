#!/usr/bin/env bash
# After the sixth round: one mediator's weekday and the 500 x 30 mix again, with the resident's
# account and the case's parties read only when a search for times is refused, driven by h2load
# and by tonic in the same round, on an empty calendar and after 10,000 bookings. Three times
# each, SQLite. Needs the release build of the bench and h2load. About 6 minutes here.
set -u
cd "$(dirname "$0")/../../../../.."
B=${BENCH:-./target/release/mediation-bench}
OUT=crates/bench/results/2026-12-07-h2load/after
. crates/bench/results/run-with-steal.sh
: > "$OUT/steal.txt"
for r in 1 2 3; do
  run availability-h2load-$r --driver h2load --mediators 500 --concurrency 16 --scenarios empty,search-availability,availability-day --duration 6 --warmup 1.2 --interleave 12
  run availability-tonic-$r --mediators 500 --concurrency 16 --scenarios empty,search-availability,availability-day --duration 6 --warmup 1.2 --interleave 12
  run availability-10000-h2load-$r --driver h2load --mediators 500 --bookings 10000 --concurrency 16 --scenarios empty,search-availability,availability-day --duration 6 --warmup 1.2 --interleave 12
done
echo benches done $(date)
