#!/usr/bin/env bash
# `make run`: the bundled development CSMS on localhost, and the agent on the simulated board against it.
# The CSMS prints every frame; Ctrl-C stops both.
set -euo pipefail
agent="$1"
port="${2:-9000}"
cd "$(dirname "$0")/.."
mkdir -p run-data
.venv/bin/python Scripts/dev-csms.py --port "$port" &
csms=$!
agent_pid=
stop() { kill -TERM $agent_pid $csms 2>/dev/null; wait 2>/dev/null; }
trap 'stop; exit 0' INT TERM
trap stop EXIT
# Wait for the CSMS to listen.
for _ in $(seq 1 50); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done
echo "dev CSMS on ws://127.0.0.1:$port; station data in run-data/; drive the sim board with:"
echo "  $agent sim --data-dir run-data plug --evse 1"
"$agent" run --csms-url "ws://127.0.0.1:$port/ocpp" --station-id CS001 \
  --board boards/sim.json --device-model device-model.json --data-dir run-data --log-level info &
agent_pid=$!
wait $agent_pid
