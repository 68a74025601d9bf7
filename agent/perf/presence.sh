#!/usr/bin/env bash
# The agent watching 1000 devices (docs/ARCHITECTURE.md, "Presence"): its CPU
# share and peak RSS while it probes them every 30 s. All on loopback: the
# devices are 127.0.x.y, half probed by TCP (port 1: refused, so up), half by
# `auto` (no neighbour entry on loopback, so down). Nothing leaves the host.
#
# bash agent/perf/presence.sh AGENT_BINARY [SECONDS]   (SERVER=path/to/powerbeacon,
# default target/debug/powerbeacon; ports 38123-38124)
set -euo pipefail
DIR=$(mktemp -d)
PORT=38123; APORT=38124
PB_BIND=127.0.0.1:$PORT PB_DATA_DIR=$DIR PB_LOG=error PB_ALLOW_LOOPBACK_AGENTS=true "${SERVER:-target/debug/powerbeacon}" >/dev/null 2>&1 &
SRV=$!
trap 'kill $SRV $AG 2>/dev/null || true; rm -rf $DIR' EXIT
for i in $(seq 100); do curl -sf http://127.0.0.1:$PORT/health >/dev/null && break; sleep 0.1; done
curl -sf -X POST http://127.0.0.1:$PORT/api/setup/init -H 'content-type: application/json' -d '{"username":"bench","password":"bench-password-1"}' >/dev/null
TOKEN=$(curl -sf -X POST http://127.0.0.1:$PORT/api/auth/login -d 'username=bench&password=bench-password-1' | python3 -c 'import sys,json;print(json.load(sys.stdin)["access_token"])')
KEY=$(curl -sf -X POST http://127.0.0.1:$PORT/api/agents/enrollment-keys -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"name":"b"}' | python3 -c 'import sys,json;print(json.load(sys.stdin)["key"])')
# Register the agent first (to link devices), by running it briefly.
BACKEND_URL=http://127.0.0.1:$PORT ENROLLMENT_KEY=$KEY AGENT_BIND=127.0.0.1 AGENT_PORT=$APORT AGENT_ADVERTISE_IP=127.0.0.1 AGENT_STATE_FILE=$DIR/state.json AGENT_HOSTNAME=bench-agent AGENT_LOG=warn AGENT_HEARTBEAT_SECONDS=30 "$1" >/dev/null 2>&1 &
AG=$!
for i in $(seq 100); do [ -f $DIR/state.json ] && break; sleep 0.1; done
AGENT_ID=$(python3 -c "import json;print(json.load(open('$DIR/state.json'))['agent_id'])")
python3 - "$PORT" "$TOKEN" "$AGENT_ID" <<'PY'
import sys, json, urllib.request
port, token, agent = sys.argv[1:4]
for i in range(1000):
    probe = {"method": "tcp", "ports": [1]} if i % 2 else {"method": "auto"}
    body = json.dumps({"name": f"d{i}", "mac_address": "02:00:00:00:%02X:%02X" % (i >> 8, i & 255),
        "ip_address": f"127.0.{i // 250}.{i % 250 + 1}", "agent_ids": [agent], "probe": probe}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/devices", body, {"authorization": f"Bearer {token}", "content-type": "application/json"})
    urllib.request.urlopen(req).read()
PY
# Restart the agent so its first heartbeat brings the whole list.
kill $AG; wait $AG 2>/dev/null || true
BACKEND_URL=http://127.0.0.1:$PORT AGENT_BIND=127.0.0.1 AGENT_PORT=$APORT AGENT_ADVERTISE_IP=127.0.0.1 AGENT_STATE_FILE=$DIR/state.json AGENT_HOSTNAME=bench-agent AGENT_LOG=warn AGENT_HEARTBEAT_SECONDS=30 "$1" >/dev/null 2>&1 &
AG=$!
sleep 5
tick() { awk '{print $14+$15}' /proc/$AG/stat; }
T0=$(tick); PEAK=0
for s in $(seq ${2:-90}); do
  R=$(awk '/VmRSS/{print $2}' /proc/$AG/status); [ "$R" -gt "$PEAK" ] && PEAK=$R; sleep 1
done
T1=$(tick); HZ=$(getconf CLK_TCK)
UP=$(curl -sf "http://127.0.0.1:$PORT/api/devices?presence=up&limit=1" -H "authorization: Bearer $TOKEN" | python3 -c 'import sys,json;print(json.load(sys.stdin)["count"])')
DOWN=$(curl -sf "http://127.0.0.1:$PORT/api/devices?presence=down&limit=1" -H "authorization: Bearer $TOKEN" | python3 -c 'import sys,json;print(json.load(sys.stdin)["count"])')
echo "agent: 1000 devices, ${2:-90} s: CPU $(python3 -c "print(round(($T1-$T0)/$HZ/${2:-90}*100,2))") % of one core; peak RSS $((PEAK/1024)).$(( (PEAK%1024)*10/1024 )) MiB; up $UP, down $DOWN"
