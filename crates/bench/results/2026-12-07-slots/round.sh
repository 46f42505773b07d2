#!/usr/bin/env bash
# The round of BENCHMARKS.md's "Slots in whole microseconds": every load figure of the
# performance targets three times (SQLite and PostgreSQL). Each run's line in steal.txt gives the
# share of the machine's time the hypervisor took back during it (steal), read from /proc/stat.
# Needs the release build of the bench (cargo build --release -p mediation-bench).
# It takes about 15 minutes here.
set -u
cd "$(dirname "$0")/../../../.."
B=${BENCH:-./target/release/mediation-bench}
OUT=crates/bench/results/2026-12-07-slots
PG=postgres://postgres@127.0.0.1:5432
. crates/bench/results/run-with-steal.sh
: > "$OUT/steal.txt"
for r in 1 2 3; do
  run availability-sqlite-0-$r --mediators 500 --concurrency 16 --scenarios empty,search-availability,availability-day --duration 4 --warmup 1
  run availability-sqlite-10000-$r --mediators 500 --concurrency 16 --scenarios empty,search-availability,availability-day --duration 4 --warmup 1 --bookings 10000
  run availability-postgres-0-$r --postgres $PG --mediators 500 --concurrency 16 --scenarios empty,search-availability,availability-day --duration 4 --warmup 1
  run availability-postgres-10000-$r --postgres $PG --mediators 500 --concurrency 16 --scenarios empty,search-availability,availability-day --duration 4 --warmup 1 --bookings 10000
  run search-mediators-sqlite-$r --mediators 10000 --concurrency 16 --scenarios empty,search-mediators --duration 4 --warmup 1
  run book-sqlite-$r --mediators 500 --concurrency 16 --scenarios empty,book --duration 4 --warmup 1
  run book-postgres-$r --postgres $PG --mediators 500 --concurrency 16 --scenarios empty,book --duration 4 --warmup 1
  run signed-in-sqlite-$r --mediators 100 --residents 200 --concurrency 16 --scenarios empty,empty-signed-in,get-me,list-specialties --duration 4 --warmup 1
done
echo benches done $(date)
