# Sourced by the rounds' scripts: `run NAME ARGS...` runs the bench ($B) with ARGS, writes
# $OUT/NAME.json and $OUT/NAME.txt, and appends to $OUT/steal.txt the share of the machine's time
# the hypervisor took back (steal) while it ran, read from /proc/stat.
ticks() { awk '/^cpu / { print $2+$3+$4+$5+$6+$7+$8+$9, $9 }' /proc/stat; }
run() {
  local name=$1; shift
  read -r total0 steal0 < <(ticks)
  "$B" --json "$OUT/$name.json" "$@" > "$OUT/$name.txt" 2>/dev/null || echo "failed $name"
  read -r total1 steal1 < <(ticks)
  awk -v n="$name" -v t=$((total1 - total0)) -v s=$((steal1 - steal0)) \
    'BEGIN { printf "%-32s steal %4.1f %%\n", n, 100 * s / t }' >> "$OUT/steal.txt"
}
