#!/usr/bin/env bash
# Python grpcio + grpcio-reflection smoke test against a real `mediation serve`.
#
#   bash tests/grpcio/run.sh        (from any directory)
#
# Makes a Python environment with tests/grpcio/requirements.txt (cached under
# <target>/grpcio-venv, reinstalled when requirements.txt changes), builds the binary
# (`cargo build --bin mediation --locked`; a no-op when up to date), starts the server on a free
# port with a throwaway SQLite database and a file notification sink, runs smoke.py and exits with
# its status. The server is stopped on exit.
#
# Environment: PYTHON (default python3), GRPCIO_VENV (default <target>/grpcio-venv),
# SERVER_START_SECS (default 60), KEEP_TMP=1 to keep the temporary folder.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
python="${PYTHON:-python3}"
requirements="$here/requirements.txt"

log() { printf '[grpcio] %s\n' "$*" >&2; }

# --- the target folder (honours CARGO_TARGET_DIR and .cargo/config via cargo metadata) ---
target_dir="$(cd "$root" && cargo metadata --format-version 1 --no-deps --locked 2>/dev/null \
    | "$python" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])' 2>/dev/null)" \
    || target_dir="${CARGO_TARGET_DIR:-$root/target}" # the build below reports a broken workspace

# --- Python environment, cached between runs ---
venv="${GRPCIO_VENV:-$target_dir/grpcio-venv}"
req_hash="$("$python" -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' "$requirements")"
stamp_want="$req_hash $("$python" -c 'import sys; print(sys.version.split()[0])')"
py=""
pythonpath=""
if [[ -x "$venv/bin/python" && "$(cat "$venv/.requirements-stamp" 2>/dev/null || true)" == "$stamp_want" ]]; then
    py="$venv/bin/python"
elif [[ -d "$venv/site" && "$(cat "$venv/.requirements-stamp" 2>/dev/null || true)" == "$stamp_want" ]]; then
    py="$python"
    pythonpath="$venv/site"
else
    rm -rf "$venv"
    mkdir -p "$(dirname "$venv")"
    if "$python" -m venv "$venv" >/dev/null 2>&1 && [[ -x "$venv/bin/python" ]] \
        && "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
        log "installing $(basename "$requirements") into $venv"
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
        py="$venv/bin/python"
    else
        # No working venv module (e.g. Debian without python3-venv): install into a plain folder.
        log "python3 -m venv unavailable; installing $(basename "$requirements") into $venv/site with pip --target"
        rm -rf "$venv"
        mkdir -p "$venv/site"
        "$python" -m pip install --quiet --disable-pip-version-check --target "$venv/site" -r "$requirements"
        py="$python"
        pythonpath="$venv/site"
    fi
    printf '%s\n' "$stamp_want" >"$venv/.requirements-stamp"
fi

# --- the server binary ---
log "cargo build --bin mediation --locked"
(cd "$root" && cargo build --quiet --bin mediation --locked)
bin="$target_dir/debug/mediation"
[[ -x "$bin" ]] || { log "no binary at $bin"; exit 1; }

# --- start the server ---
tmp="$(mktemp -d "${TMPDIR:-/tmp}/mediation-grpcio.XXXXXX")"
server_pid=""
cleanup() {
    local status=$?
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    if [[ $status -ne 0 && -f "$tmp/server.log" ]]; then
        log "server log (first 40 lines):"
        head -n 40 "$tmp/server.log" >&2 || true
    fi
    if [[ "${KEEP_TMP:-0}" == 1 ]]; then log "kept $tmp"; else rm -rf "$tmp"; fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
    "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

deadline_secs="${SERVER_START_SECS:-60}"
addr=""
# A free port can be taken between probing and binding: try a few.
for attempt in 1 2 3; do
    port="$(free_port)"
    log "starting mediation serve on 127.0.0.1:$port (attempt $attempt)"
    (
        cd "$tmp"
        exec env \
            MEDIATION__SERVER__LISTEN="127.0.0.1:$port" \
            MEDIATION__DATABASE__URL="sqlite://$tmp/mediation.db" \
            MEDIATION__NOTIFICATIONS__SINK=file \
            MEDIATION__NOTIFICATIONS__PATH="$tmp/notifications.jsonl" \
            "$bin" serve
    ) >"$tmp/server.log" 2>&1 &
    server_pid=$!
    deadline=$((SECONDS + deadline_secs))
    while ((SECONDS < deadline)); do
        if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
        if port_open "$port"; then addr="127.0.0.1:$port"; break; fi
        sleep 0.1
    done
    [[ -n "$addr" ]] && break
    if kill -0 "$server_pid" 2>/dev/null; then
        log "server did not accept on port $port within ${deadline_secs}s"
        exit 1
    fi
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
    if ! grep -qi 'address already in use' "$tmp/server.log"; then
        log "server exited before accepting; see its log below"
        exit 1
    fi
    log "port $port was taken meanwhile; trying another"
done
[[ -n "$addr" ]] || { log "could not start the server"; exit 1; }

# --- run the smoke test ---
if [[ -n "$pythonpath" ]]; then export PYTHONPATH="$pythonpath${PYTHONPATH:+:$PYTHONPATH}"; fi
status=0
"$py" "$here/smoke.py" "$addr" "$tmp/notifications.jsonl" || status=$?
exit "$status"
