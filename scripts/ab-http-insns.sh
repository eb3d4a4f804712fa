#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# User-space instructions per `POST /event` in `acm serve` (callgrind), for each acm binary
# given: deterministic, unlike CPU time on a shared machine, and blind to the kernel (TCP,
# wake-ups), which benches/http.rs measures. Each binary serves two runs on one keep-alive
# connection, WARM and WARM+CALLS seed-shaped requests (a realistic spread of numbers, a
# five-caller burst every 500 calls), each stopped with SIGTERM; the difference over CALLS
# is the figure, so start-up and shutdown cancel out.
# Usage: scripts/ab-http-insns.sh ACM_BIN... (CALLS, WARM: 4000, 1000 by default).
set -euo pipefail
CALLS=${CALLS:-4000} WARM=${WARM:-1000}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
client() { # port, requests
  python3 - "$1" "$2" <<'PY'
import http.client, json, random, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
rng = random.Random(7)
c = http.client.HTTPConnection("127.0.0.1", port)
t0 = 1_700_000_000_000
for i in range(n):
    if i % 500 < 5:  # a burst: five callers to one mobile number
        a, b = f"+2348170{i:06d}", f"+2348038{i // 500:06d}"
    else:
        a = f"+23481{int(2_000_000 ** rng.random()):08d}"
        b = f"+23480{rng.randrange(20_000_000):08d}"
    ms = t0 + i * 100
    ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z"
    body = json.dumps({"call_id": f"{i:x}-{rng.randrange(100000)}@sbc.example.net",
                       "a_number": a, "b_number": b, "timestamp": ts})
    c.request("POST", "/event", body, {"Content-Type": "application/json"})
    r = c.getresponse()
    r.read()
    assert r.status == 200, r.status
PY
}
run() { # binary, requests → instructions
  local port out pid
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  out="$dir/vg.$port"
  ACM_ALERTS__EVENTS_FILE="$dir/events.$port.jsonl" ACM_LOG=warn \
    valgrind --tool=callgrind --callgrind-out-file=/dev/null ${TOGGLE:+--toggle-collect="$TOGGLE"} "$1" serve --listen "127.0.0.1:$port" \
    >/dev/null 2>"$out" &
  pid=$!
  for _ in $(seq 600); do
    (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
  client "$port" "$2"
  kill -TERM "$pid"
  wait "$pid" || true
  grep -o 'Collected : [0-9]*' "$out" | grep -o '[0-9]*'
}
for b in "$@"; do
  w=$(run "$(realpath "$b")" "$WARM")
  t=$(run "$(realpath "$b")" $((WARM + CALLS)))
  echo "$b: $(((t - w) / CALLS)) instructions per POST /event"
done
