#!/usr/bin/env bash
# After one mediator's day runs on the calling thread (SQLite, calendar loaded): the weekday
# beside `empty` alone, the availability line beside the 500 x 30 mix (h2load and tonic), and the
# same after 10,000 bookings. Three times each, SQLite. Needs the release build of the bench and
# h2load. About 7 minutes here.
set -u
cd "$(dirname "$0")/../../../../.."
B=${BENCH:-./target/release/mediation-bench}
OUT=crates/bench/results/2026-12-07-h2load/in-place
. crates/bench/results/run-with-steal.sh
: > "$OUT/steal.txt"
for r in 1 2 3; do
  run availability-day-h2load-$r --driver h2load --mediators 500 --concurrency 16 --scenarios empty,availability-day --duration 4 --warmup 1 --interleave 8
  run availability-h2load-$r --driver h2load --mediators 500 --concurrency 16 --scenarios empty,search-availability,availability-day --duration 6 --warmup 1.2 --interleave 12
  run availability-tonic-$r --mediators 500 --concurrency 16 --scenarios empty,search-availability,availability-day --duration 6 --warmup 1.2 --interleave 12
  run availability-10000-h2load-$r --driver h2load --mediators 500 --bookings 10000 --concurrency 16 --scenarios empty,search-availability,availability-day --duration 6 --warmup 1.2 --interleave 12
done
echo benches done $(date)
