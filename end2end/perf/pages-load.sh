#!/usr/bin/env bash
# 16 concurrent clients fetch every signed-in page (dashboard, clusters, a
# cluster page, agents, users, settings) of the release server for 60 s with
# wrk, on a fresh SQLite database on 127.0.0.1; then counts non-200 answers,
# socket errors (an empty response is one) and panics in the server's log.
#
#   cargo leptos build --release && bash end2end/perf/pages-load.sh [seconds]
#
# PB_LOAD_ENCODING=br (or gzip) asks for compressed pages, as browsers do;
# the default, identity, measures rendering alone.
#
# Needs Debian's wrk (apt-get install wrk) and curl.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_TO_RUN=${1:-60}
ENCODING=${PB_LOAD_ENCODING:-identity}
BIN=${PB_LOAD_BIN:-target/release/powerbeacon}
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
DATA=$(mktemp -d)
LOG=$(mktemp)
BASE="http://127.0.0.1:$PORT"
PB_BIND=127.0.0.1:$PORT PB_DATA_DIR=$DATA PB_LOG=warn LEPTOS_SITE_ROOT=target/site "$BIN" 2>"$LOG" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$DATA"' EXIT
for _ in $(seq 100); do curl -fs "$BASE/health" >/dev/null && break; sleep 0.1; done

PASSWORD=load-test-password-1
curl -fs -H 'content-type: application/json' -d "{\"username\":\"root\",\"password\":\"$PASSWORD\"}" "$BASE/api/setup/init" >/dev/null
TOKEN=$(curl -fs -d "username=root&password=$PASSWORD" "$BASE/api/auth/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
CLUSTER=$(curl -fs -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \
  -d '{"name":"Lab","description":"load test"}' "$BASE/api/clusters" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
for i in $(seq 1 50); do
  curl -fs -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \
    -d "{\"name\":\"pc-$i\",\"mac_address\":\"02:00:00:00:01:$(printf %02x "$i")\",\"cluster_id\":\"$CLUSTER\"}" \
    "$BASE/api/devices" >/dev/null
done
COOKIE=$(curl -fs -D - -o /dev/null -H 'accept: application/json' -H "origin: $BASE" \
  -d "username=root&password=$PASSWORD" "$BASE/fn/sign_in" | sed -n 's/^set-cookie: \(pb_session=[^;]*\).*/\1/ip')

SCRIPT=$(mktemp --suffix=.lua)
cat >"$SCRIPT" <<LUA
local paths = {"/dashboard", "/clusters", "/clusters/$CLUSTER", "/agents", "/users", "/settings"}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1], {["Cookie"] = "$COOKIE", ["Accept-Encoding"] = "$ENCODING"})
end
done = function(summary, latency, requests)
  io.write(string.format("requests %d, errors: connect %d, read %d, write %d, timeout %d, status %d\n",
    summary.requests, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.timeout, summary.errors.status))
  io.write(string.format("latency p50 %.1f ms, p99 %.1f ms\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
LUA
wrk -t2 -c16 -d"${SECONDS_TO_RUN}s" -s "$SCRIPT" "$BASE" | tee /dev/stderr | grep -E "Requests/sec|requests"
rm -f "$SCRIPT"
PANICS=$(grep -c "panicked at" "$LOG" || true)
echo "server panics: $PANICS"
[[ "$PANICS" -eq 0 ]]
