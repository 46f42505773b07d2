#!/usr/bin/env bash
# Browser tests of the consoles, run by .ci/run: builds the consoles (npm ci, buf generate,
# tsc, vite) and the server, starts a real `mediation serve` on a free port with a throwaway
# SQLite database holding the demo district, and drives Debian's headless Chromium against it
# with playwright-core (which downloads no browser). Screenshots go to docs/screens/.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"

if [[ ! -x /usr/bin/chromium ]]; then
  echo "browser tests: installing Debian's chromium"
  sudo=""; [[ "$(id -u)" == 0 ]] || sudo="sudo"
  $sudo apt-get install -y chromium >/dev/null || { $sudo apt-get update >/dev/null && $sudo apt-get install -y chromium >/dev/null; }
fi

# The exact dependencies of package-lock.json, from npm's cache when it has them.
(cd web && npm ci --prefer-offline --no-audit --no-fund --loglevel=error && npm run build --silent)

cargo build --quiet --locked --bin mediation
bin="${CARGO_TARGET_DIR:-$root/target}/debug/mediation"

tmp="$(mktemp -d)"
server=""
cleanup() {
  if [[ -n "$server" ]]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

export MEDIATION__DATABASE__URL="sqlite://$tmp/mediation.db"
export MEDIATION__SERVER__LISTEN="127.0.0.1:0"
export MEDIATION__CONSOLES__DIR="$root/web/dist"
export MEDIATION__NOTIFICATIONS__SINK=file
export MEDIATION__NOTIFICATIONS__PATH="$tmp/sms.jsonl"
# The kiosk test checks in a session booked a few hours ahead (the booking notice is 2 hours).
export MEDIATION__APPOINTMENTS__CHECK_IN_EARLY_MINUTES=20160
export RUST_LOG="${RUST_LOG:-warn,mediation_gateway=info}"

"$bin" seed-demo > "$tmp/seed.txt" 2> "$tmp/seed.log"
password="$(sed -n 's/.*all with the password \(demo-[^ ]*\).*/\1/p' "$tmp/seed.txt")"
read -r kiosk_id kiosk_secret < <(sed -n 's/^  kiosk_id \(kiosk-zhonghe\)  secret \([^ ]*\).*/\1 \2/p' "$tmp/seed.txt")

"$bin" serve > "$tmp/serve.log" 2>&1 &
server=$!
address=""
for _ in $(seq 1 100); do
  address="$(sed -n 's/.*serving addr=\([0-9.:]*\).*/\1/p' "$tmp/serve.log" | head -n 1)"
  [[ -n "$address" ]] && break
  kill -0 "$server" 2>/dev/null || { cat "$tmp/serve.log"; exit 1; }
  sleep 0.1
done
[[ -n "$address" ]] || { echo "the server did not start"; cat "$tmp/serve.log"; exit 1; }
echo "browser tests: mediation serve on $address"

mkdir -p docs/screens
status=0
BASE_URL="http://$address" DEMO_PASSWORD="$password" KIOSK_ID="$kiosk_id" KIOSK_SECRET="$kiosk_secret" \
  SMS_FILE="$tmp/sms.jsonl" SCREENS_DIR="$root/docs/screens" \
  node web/tests/browser.mjs || status=$?
if [[ $status != 0 ]]; then
  echo "--- server log ---"
  tail -n 60 "$tmp/serve.log"
fi
exit $status
