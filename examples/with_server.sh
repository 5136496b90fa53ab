#!/usr/bin/env bash
# with_server.sh SERVER [ARGS...] -- CLIENT [ARGS...]
#
# Runs an example server on a port the kernel picks (--port 0), reads the port from its first line
# ("...: listening on 127.0.0.1:PORT"), runs the client with "--port PORT" (and the server's pid in
# WEFT_SERVER_PID), then stops the server with SIGTERM and checks that it exits 0 — so CTest checks
# the graceful shutdown too.
set -euo pipefail
server=()
while [[ $1 != -- ]]; do server+=("$1"); shift; done
shift
client=("$@")

output=$(mktemp)
trap 'kill -KILL "$pid" 2>/dev/null || true; rm -f "$output"' EXIT
"${server[@]}" --port 0 >"$output" 2>&1 &
pid=$!
port=
for _ in $(seq 100); do
  port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$output" | head -n1)
  [[ -n $port ]] && break
  sleep 0.1
done
[[ -n $port ]] || { echo "with_server: the server did not say its port"; cat "$output"; exit 1; }

status=0
WEFT_SERVER_PID=$pid "${client[@]}" --port "$port" || status=$?
kill -TERM "$pid" 2>/dev/null || true  # a client may have stopped it already
server_status=0
wait "$pid" || server_status=$?
cat "$output"
echo "with_server: client exited $status, server exited $server_status"
[[ $status -eq 0 && $server_status -eq 0 ]]
