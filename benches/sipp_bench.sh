#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# benches/sipp_bench.sh — SIPp load through a real Kamailio, with and without the acm check.
#
# Starts its own processes on free loopback ports, runs SIPp at a fixed call rate against
# each variant (interleaved: every repetition runs every variant once), prints a table and
# stops everything it started (also on Ctrl-C / error).
#
#   base1   cfg-examples/kamailio.cfg + WITHOUT_ACM, children=1   (no check: the baseline)
#   acm1    cfg-examples/kamailio.cfg, acm module, memory store, children=1
#   base2   as base1, children=2
#   acm2    as acm1, children=2 (memory store: one window set per worker)
#   redis2  acm module, [store] kind="redis" (a redis-server started here), children=2
#   http2   cfg-examples/kamailio-http.cfg against `acm serve` (memory store), children=2
#   alert1  as acm1 in monitor mode on alerting traffic: one callee in every ALERT_EVERY
#           calls gets five distinct callers and raises a distinct_callers alert (flagged,
#           answered 200)
#   hook1   as alert1, plus a webhook receiver (a small HTTP server started here): every
#           alert is POSTed, signed, by the worker's drainer thread (docs/alerts.md)
#   base8   as base1, children=8 (Kamailio's stock number of workers)
#   mem8    acm module, [store] kind="memory", children=8 (one window set per worker)
#   shm8    acm module, the default store (no kind: one shared-memory region), children=8
#   redis8  as redis2, children=8
#
# For the acm variants the check's own latency inside Kamailio is reported too: every
# worker keeps a histogram of its acm_check calls (acm.stats, "check_us"); after each run
# a trickle of calls makes every worker publish (ACM_STATS_INTERVAL_MS=200 here), and the
# workers' histograms, less their state before the run, are merged (buckets ~3% wide).
#
# Every variant uses WITH_LOCAL_ANSWER: Kamailio answers the INVITE 200 itself (stateless),
# SIPp ACKs. The scenario is kamailio-module/tests/sipp/invite_expect_200.xml: a call is
# successful only when its INVITE got 200 (SIPp's statistics file). The response time of
# every call is first INVITE sent -> 200 received, from the microsecond timestamps SIPp
# writes in its message log (-trace_shortmsg): SIPp's own RTD statistics (-trace_rtt,
# ResponseTime) count whole milliseconds, too coarse for a check that costs microseconds.
# Both timestamps are taken by SIPp's event loop, so its own delays are in every variant.
# CPU µs/call: user+system time of Kamailio (all its processes) plus, for redis2/http2, the
# redis-server / acm serve process, during the run, divided by the calls.
#
# Each repetition uses fresh A/B numbers (one caller, one callee per call, all distinct), so
# every check is allowed and walks the full rule set of cfg-examples/acm.toml. All SIPp
# traffic comes from 127.0.0.1, which would make the per-source cli_rotation rule flag every
# call after the 20th; its threshold (and store.max_members_per_key, which start-up requires
# to be at least every threshold) is raised here so the measured path is the common one
# (allow). The window is still evaluated and updated on every call.
#
# Environment (defaults in brackets):
#   RATE [5000]        calls/s offered by SIPp
#   CALLS [50000]      calls per run
#   REPS [5]           repetitions of every variant (medians are printed)
#   VARIANTS ["base1 acm1 base2 acm2 redis2 http2"] (alert1 hook1 base8 mem8 shm8 redis8 on
#                      request; "all": every variant)
#   ALERT_EVERY [5]    alert1/hook1: one alert per this many calls (5: every fifth call)
#   ACM_SO [kamailio-module/build/acm.so]   (build: make -C kamailio-module)
#   ACM_BIN [$CARGO_TARGET_DIR/release/acm] (build: cargo build --release --bin acm)
#   KAMAILIO_MEM [tlsf] Kamailio's memory manager (kamailio -x): tlsf, fm or qm. Debian's
#                      default, qm, falls into a pathological qm_malloc on the BASELINE cfg
#                      (perf: ~70% of the worker's time; ~110 µs of CPU per call instead of
#                      ~20, so "without acm" measured slower than "with"): see BENCHMARKS.md
#   KEEP=1             keep the work directory (logs, SIPp CSVs) and print its path
#   CHECK=1            exit 1 unless every call of every run succeeded (SIPp exit 0, no
#                      failed call): scripts/test.sh runs every variant once at a small
#                      size this way, so that the benchmark cannot rot unnoticed
#
# Needs kamailio, kamailio-utils-modules, sip-tester (sipp), redis-server
# (scripts/setup-test-env.sh), bash, awk, ss.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RATE=${RATE:-5000}
KAMAILIO_MEM=${KAMAILIO_MEM:-tlsf}
CALLS=${CALLS:-50000}
REPS=${REPS:-5}
VARIANTS=${VARIANTS:-"base1 acm1 base2 acm2 redis2 http2"}
[[ $VARIANTS == all ]] && VARIANTS="base1 acm1 base2 acm2 redis2 http2 alert1 hook1 base8 mem8 shm8 redis8"
ALERT_EVERY=${ALERT_EVERY:-5}
ACM_SO=${ACM_SO:-$REPO/kamailio-module/build/acm.so}
ACM_BIN=${ACM_BIN:-${CARGO_TARGET_DIR:-$REPO/target}/release/acm}
SCENARIO=$REPO/kamailio-module/tests/sipp/invite_expect_200.xml
CLK_TCK=$(getconf CLK_TCK)
# acm reads ACM_* environment variables as config overrides (and refuses unknown ones, such
# as ACM_BIN): the processes started here must see only the generated configs.
while read -r name; do export -n "$name"; done < <(compgen -e | grep '^ACM_' || true)

die() { echo "sipp_bench: $*" >&2; exit 1; }
for p in kamailio sipp redis-server ss awk; do
  command -v "$p" >/dev/null || [[ -x /usr/sbin/$p ]] || die "$p is not installed (scripts/setup-test-env.sh)"
done
[[ -f $ACM_SO ]] || die "$ACM_SO missing: run make -C kamailio-module"
[[ -x $ACM_BIN ]] || die "$ACM_BIN missing: run cargo build --release --bin acm (or set ACM_BIN)"
KAMAILIO=$(command -v kamailio || echo /usr/sbin/kamailio)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/acm-sipp-bench.XXXXXX")
PIDS=()   # every long-running process started here, stopped in cleanup

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [[ ${KEEP:-0} == 1 ]]; then echo "work directory kept: $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- ports ------------------------------------------------------------------------------
USED_PORTS=" "
port_in_use() { [[ -n $(ss -Hanu "sport = :$1") || -n $(ss -Hant "sport = :$1") ]]; }
# Sets REPLY to a free loopback port (TCP and UDP) not handed out before by this script.
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 12000))
    [[ $USED_PORTS == *" $p "* ]] && continue
    port_in_use "$p" && continue
    USED_PORTS+="$p "
    REPLY=$p
    return
  done
}
# Waits up to $2 s for a listener (udp|tcp) on 127.0.0.1:$3 while pid $4 lives.
wait_listen() {
  local proto=$1 secs=$2 port=$3 pid=$4 flag=-Hlnu
  [[ $proto == tcp ]] && flag=-Hlnt
  for _ in $(seq $((secs * 20))); do
    [[ -n $(ss $flag "sport = :$port") ]] && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

# --- acm config -------------------------------------------------------------------------
# cfg-examples/acm.toml with the cli_rotation threshold raised (see the header) and the
# store kind set by $1 ("memory", "default" for no kind at all, or a redis URL); $2:
# [serve] listen address, if any; $3: mode (monitor), if not the file's; $4: the port of
# a webhook receiver, if any.
acm_toml() {
  local store=$1 listen=${2:-} mode=${3:-} hook=${4:-}
  awk -v store="$store" -v listen="$listen" -v mode="$mode" -v hook="$hook" -v work="$WORK" '
    /^\[/ { section = $0 }
    section == "" && /^mode *=/ && mode != "" { print "mode = \"" mode "\""; next }
    section == "[alerts]" && /^events_file *=/ { print "events_file = \"" work "/alert-events.jsonl\""; next }
    section == "[webhooks]" && /^spool_dir *=/ { print "spool_dir = \"" work "/webhooks\""; next }
    section == "[webhooks]" && /^receivers *=/ && hook != "" { next }
    section == "[rules.cli_rotation]" && /^threshold *=/ { print "threshold = 1000000"; next }
    section == "[store]" && /^max_members_per_key *=/ { print "max_members_per_key = 1000000"; next }
    section == "[store]" && /^kind *=/ {
      if (store == "memory") print "kind = \"memory\""
      else if (store != "default") print "kind = \"redis\""
      next }
    section == "[store]" && /^url *=/ && store != "memory" && store != "default" { print "url = \"" store "\""; next }
    section == "[serve]" && /^listen *=/ && listen != "" { print "listen = \"" listen "\""; next }
    { print }
    END {
      if (hook != "") {
        print "\n[[webhooks.receivers]]\nname = \"bench\"\nurl = \"http://127.0.0.1:" hook "/hook\""
        print "secret = \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\""
      }
    }
  ' "$REPO/cfg-examples/acm.toml"
}

# --- processes ----------------------------------------------------------------------------
declare -A PORT MAINPID EXTRAPID

# start_kamailio NAME CFG_EXAMPLE CHILDREN ACM_TOML_FILE|"" DEFINE...
start_kamailio() {
  local name=$1 example=$2 children=$3 toml=$4
  shift 4
  local dir=$WORK/$name
  mkdir -p "$dir/run"
  free_port
  local port=$REPLY
  {
    echo "#!define LISTEN udp:127.0.0.1:$port"
    echo "#!define RPC_SOCKET \"$dir/rpc.sock\""
    echo "#!define ACM_CHILDREN $children"
    echo "#!define ACM_STATS_INTERVAL_MS 200"
    echo "#!define WITH_LOCAL_ANSWER"
    [[ $example == kamailio.cfg ]] && echo "#!define ACM_MODULE \"$ACM_SO\""
    [[ -n $toml ]] && echo "#!define ACM_CONFIG \"$toml\""
    local d
    for d in "$@"; do echo "#!define $d"; done
    cat "$REPO/cfg-examples/$example"
  } >"$dir/kamailio.cfg"
  "$KAMAILIO" -x "$KAMAILIO_MEM" -DD -E -f "$dir/kamailio.cfg" -Y "$dir/run" -P "$dir/kamailio.pid" \
    </dev/null >"$dir/kamailio.out" 2>"$dir/kamailio.log" &
  local pid=$!
  PIDS+=("$pid")
  wait_listen udp 15 "$port" "$pid" || { tail -n 30 "$dir/kamailio.log" >&2; die "kamailio $name did not start"; }
  PORT[$name]=$port
  MAINPID[$name]=$pid
}

start_redis() {
  [[ -n ${REDIS_PID:-} ]] && return 0
  free_port
  REDIS_PORT=$REPLY
  redis-server --save '' --appendonly no --port "$REDIS_PORT" --bind 127.0.0.1 \
    </dev/null >"$WORK/redis.log" 2>&1 &
  REDIS_PID=$!
  PIDS+=("$REDIS_PID")
  wait_listen tcp 10 "$REDIS_PORT" "$REDIS_PID" || { cat "$WORK/redis.log" >&2; die "redis-server did not start"; }
}

# A webhook receiver (keep-alive): answers every POST 200; $WORK/hooks.count: alerts by rule.
start_receiver() {
  free_port
  HOOK_PORT=$REPLY
  python3 - "$HOOK_PORT" "$WORK/hooks.count" <<'PY' >"$WORK/receiver.log" 2>&1 &
import collections, http.server, json, signal, sys
count = collections.Counter()
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the drainer's client reuses its connection
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        count[json.loads(body)["data"]["rule"]] += 1
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
def done(*_):
    open(sys.argv[2], "w").write(json.dumps(count)); sys.exit(0)
signal.signal(signal.SIGTERM, done)
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
  HOOK_PID=$!
  PIDS+=("$HOOK_PID")
  wait_listen tcp 10 "$HOOK_PORT" "$HOOK_PID" || { cat "$WORK/receiver.log" >&2; die "the receiver did not start"; }
}

start_acm_serve() {
  free_port
  SERVE_PORT=$REPLY
  acm_toml memory "127.0.0.1:$SERVE_PORT" >"$WORK/acm-serve.toml"
  "$ACM_BIN" serve --config "$WORK/acm-serve.toml" </dev/null >"$WORK/acm-serve.out" 2>"$WORK/acm-serve.log" &
  SERVE_PID=$!
  PIDS+=("$SERVE_PID")
  wait_listen tcp 15 "$SERVE_PORT" "$SERVE_PID" || { tail -n 30 "$WORK/acm-serve.log" >&2; die "acm serve did not start"; }
}

# CPU ticks (user+system) of pid $1 and its children.
cpu_ticks() {
  local pids p total=0 t
  pids="$1 $(ps -o pid= --ppid "$1" 2>/dev/null || true)"
  for p in $pids; do
    t=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}') || continue
    total=$((total + ${t:-0}))
  done
  echo "$total"
}
# CPU ticks of everything that serves variant $1 (Kamailio, plus its detector).
variant_ticks() {
  local t
  t=$(cpu_ticks "${MAINPID[$1]}")
  [[ -n ${EXTRAPID[$1]:-} ]] && t=$((t + $(cpu_ticks "${EXTRAPID[$1]}")))
  echo "$t"
}

# --- set up -------------------------------------------------------------------------------
acm_toml memory >"$WORK/acm-memory.toml"
for v in $VARIANTS; do
  case $v in
    base1) start_kamailio base1 kamailio.cfg 1 "" WITHOUT_ACM ;;
    base2) start_kamailio base2 kamailio.cfg 2 "" WITHOUT_ACM ;;
    acm1) start_kamailio acm1 kamailio.cfg 1 "$WORK/acm-memory.toml" ;;
    acm2) start_kamailio acm2 kamailio.cfg 2 "$WORK/acm-memory.toml" ;;
    redis2)
      start_redis
      acm_toml "redis://127.0.0.1:$REDIS_PORT" >"$WORK/acm-redis.toml"
      start_kamailio redis2 kamailio.cfg 2 "$WORK/acm-redis.toml"
      EXTRAPID[redis2]=$REDIS_PID
      ;;
    alert1)
      acm_toml memory "" monitor >"$WORK/acm-alert.toml"
      start_kamailio alert1 kamailio.cfg 1 "$WORK/acm-alert.toml"
      ;;
    hook1)
      start_receiver
      acm_toml memory "" monitor "$HOOK_PORT" >"$WORK/acm-hook.toml"
      start_kamailio hook1 kamailio.cfg 1 "$WORK/acm-hook.toml"
      ;;
    http2)
      start_acm_serve
      start_kamailio http2 kamailio-http.cfg 2 "" "ACM_URL \"http://127.0.0.1:$SERVE_PORT\""
      EXTRAPID[http2]=$SERVE_PID
      ;;
    base8) start_kamailio base8 kamailio.cfg 8 "" WITHOUT_ACM ;;
    mem8) start_kamailio mem8 kamailio.cfg 8 "$WORK/acm-memory.toml" ;;
    shm8)
      acm_toml default >"$WORK/acm-default.toml"
      start_kamailio shm8 kamailio.cfg 8 "$WORK/acm-default.toml"
      ;;
    redis8)
      start_redis
      # keys of their own: redis2 may share the server
      acm_toml "redis://127.0.0.1:$REDIS_PORT" | sed 's/^key_prefix = .*/key_prefix = "acm8"/' >"$WORK/acm-redis8.toml"
      start_kamailio redis8 kamailio.cfg 8 "$WORK/acm-redis8.toml"
      EXTRAPID[redis8]=$REDIS_PID
      ;;
    *) die "unknown variant $v" ;;
  esac
done

# --- the check's latency inside Kamailio -------------------------------------------------
# check_hist.py snapshot RPC_SOCKET OUT: the workers' check_us histograms from acm.stats,
#   merged, as JSON {lowest µs: count};
# check_hist.py delta BEFORE AFTER: "p50 p99 checks" of the checks between two snapshots.
cat >"$WORK/check_hist.py" <<'PY'
import json, os, socket, sys
def snapshot(sock_path, out):
    me = "%s.client.%d" % (sock_path, os.getpid())
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(me)
    s.settimeout(5)
    try:
        s.sendto(b'{"jsonrpc":"2.0","method":"acm.stats","id":1}', sock_path)
        answer = json.loads(s.recv(1 << 20))
    finally:
        s.close()
        os.unlink(me)
    json.dump(answer, open(out + ".stats", "w"))  # every worker's acm.stats, as answered
    merged = {}
    for p in answer["result"]["processes"]:
        stats = json.loads(p["stats"])
        for lo, n in stats.get("check_us", {}).get("buckets", []):
            merged[lo] = merged.get(lo, 0) + n
    json.dump(merged, open(out, "w"))
def delta(before, after):
    b = {int(k): v for k, v in json.load(open(before)).items()}
    a = {int(k): v for k, v in json.load(open(after)).items()}
    d = sorted((k, a[k] - b.get(k, 0)) for k in a if a[k] > b.get(k, 0))
    n = sum(c for _, c in d)
    if n == 0:
        print("nan nan 0"); return
    def q(f):
        seen = 0
        for k, c in d:
            seen += c
            if seen >= f * n:
                return k
    print(q(0.50), q(0.99), n)
{"snapshot": snapshot, "delta": delta}[sys.argv[1]](*sys.argv[2:])
PY
# hist_snapshot VARIANT OUT: makes every worker publish (a trickle of calls, each worker
# publishing at most every 200 ms), then merges their histograms into OUT.
hist_snapshot() {
  local v=$1 out=$2 dir=$WORK/$1/trickle
  mkdir -p "$dir"
  sleep 0.3
  free_port
  (cd "$dir" && sipp "127.0.0.1:${PORT[$v]}" -sf "$SCENARIO" -inf "$WORK/trickle.csv" -m 32 -r 40 \
    -i 127.0.0.1 -p "$REPLY" -nostdin -timeout 20s >/dev/null 2>&1) || true
  python3 "$WORK/check_hist.py" snapshot "$WORK/$v/rpc.sock" "$out"
}
awk 'BEGIN { print "SEQUENTIAL"; for (i = 0; i < 32; i++) printf "+234807%07d;+234808%07d\n", i, i }' >"$WORK/trickle.csv"
for v in $VARIANTS; do
  [[ $v == base* || $v == http* ]] || hist_snapshot "$v" "$WORK/$v/hist-0.json"
done

# --- runs ---------------------------------------------------------------------------------
# run_sipp VARIANT REP: one SIPp run; appends a line to $WORK/results.
run_sipp() {
  local v=$1 rep=$2 dir=$WORK/$1/rep$2
  mkdir -p "$dir"
  free_port
  local lport=$REPLY
  local t0 t1 c0 c1 rc=0
  c0=$(variant_ticks "$v")
  t0=$(date +%s%N)
  local csv=$WORK/calls-$rep.csv
  [[ $v == alert1 || $v == hook1 ]] && csv=$WORK/calls-alert-$rep.csv
  (cd "$dir" && sipp "127.0.0.1:${PORT[$v]}" -sf "$SCENARIO" -inf "$csv" \
    -m "$CALLS" -r "$RATE" -l "$RATE" -i 127.0.0.1 -p "$lport" -nostdin \
    -timeout "$((CALLS / RATE + 60))s" -recv_timeout 5s \
    -trace_stat -stf "$dir/stat.csv" -fd 1 -trace_shortmsg -shortmessage_file "$dir/msgs.log" \
    -trace_err -error_file "$dir/errors.log" \
    >"$dir/sipp.out" 2>&1) || rc=$?
  t1=$(date +%s%N)
  c1=$(variant_ticks "$v")
  # successful/failed calls: the last (cumulative) line of the statistics file
  local ok failed
  read -r ok failed < <(awk -F';' '
    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    { ok = $col["SuccessfulCall(C)"]; failed = $col["FailedCall(C)"] }
    END { print ok + 0, failed + 0 }' "$dir/stat.csv")
  # Response time of every call: first INVITE sent -> 200 received, from the µs timestamps
  # of SIPp's message log (SIPp's own RTD statistics count whole milliseconds only).
  local p50 p99
  read -r p50 p99 < <(awk -F'\t' '
    $4 == "S" && $6 ~ /INVITE/ && !($5 in sent) { sent[$5] = $3 }
    $4 == "R" && $7 ~ /^SIP\/2.0 200/ && ($5 in sent) && !($5 in got) { got[$5] = 1; print ($3 - sent[$5]) * 1e6 }
  ' "$dir/msgs.log" | sort -g |
    awk '{ v[NR] = $1 } END {
      if (NR == 0) { print "nan nan"; exit }
      i50 = int(NR * 0.50); if (i50 < 1) i50 = 1
      i99 = int(NR * 0.99); if (i99 < 1) i99 = 1
      printf "%.0f %.0f\n", v[i50], v[i99] }')
  [[ ${KEEP:-0} == 1 ]] || rm -f "$dir/msgs.log"
  local secs cps cpu_us
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
  cps=$(awk -v n="$ok" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')
  cpu_us=$(awk -v t=$((c1 - c0)) -v hz="$CLK_TCK" -v n=$((ok + failed)) \
    'BEGIN { printf "%.1f", (n > 0 ? t / hz * 1e6 / n : 0) }')
  # the check inside Kamailio (acm variants): merged worker histograms, this run only
  local c50=- c99=- cn=0
  if [[ $v != base* && $v != http* ]]; then
    hist_snapshot "$v" "$WORK/$v/hist-$rep.json"
    read -r c50 c99 cn < <(python3 "$WORK/check_hist.py" delta "$WORK/$v/hist-$((rep - 1)).json" "$WORK/$v/hist-$rep.json")
  fi
  printf '%s %s %s %s %s %s %s %s %s %s %s\n' "$v" "$rep" "$cps" "$ok" "$failed" "$p50" "$p99" "$cpu_us" "$rc" "$c50" "$c99" \
    >>"$WORK/results"
  printf '  %-7s rep %d: %6s calls/s  ok %6s  failed %5s  resp p50 %s µs  p99 %s µs  cpu %s µs/call  check p50 %s µs  p99 %s µs (%s checks)  (sipp exit %s, %ss)\n' \
    "$v" "$rep" "$cps" "$ok" "$failed" "$p50" "$p99" "$cpu_us" "$c50" "$c99" "$cn" "$rc" "$secs" >&2
}

echo "sipp_bench: RATE=$RATE CALLS=$CALLS REPS=$REPS KAMAILIO_MEM=$KAMAILIO_MEM VARIANTS=\"$VARIANTS\"; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
: >"$WORK/results"
for rep in $(seq "$REPS"); do
  # fresh numbers for every repetition: +234803xxxxxxx calls +234805xxxxxxx, all distinct
  awk -v n="$CALLS" -v off=$(((rep - 1) * CALLS)) 'BEGIN {
    print "SEQUENTIAL"
    for (i = 0; i < n; i++) printf "+234803%07d;+234805%07d\n", off + i, off + i }' >"$WORK/calls-$rep.csv"
  # alerting traffic: in every ALERT_EVERY calls, five distinct callers call one callee
  # (+234806...), raising a distinct_callers alert; the other calls are all distinct
  awk -v n="$CALLS" -v off=$(((rep - 1) * CALLS)) -v every="$ALERT_EVERY" 'BEGIN {
    print "SEQUENTIAL"
    for (i = 0; i < n; i++) {
      k = off + i
      if (k % every < 5) printf "+234803%07d;+234806%07d\n", k, int(k / every)
      else printf "+234803%07d;+234805%07d\n", k, k
    } }' >"$WORK/calls-alert-$rep.csv"
  for v in $VARIANTS; do
    kill -0 "${MAINPID[$v]}" 2>/dev/null || die "kamailio $v died: $(tail -n 20 "$WORK/$v/kamailio.log")"
    run_sipp "$v" "$rep"
  done
done

# --- report -------------------------------------------------------------------------------
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { awk -v v="$1" -v c="$2" '$1 == v { print $c }' "$WORK/results" | median; }
declare -A CPS P50 P99
echo
echo "Kamailio $("$KAMAILIO" -v 2>/dev/null | awk '/^version:/ { print $3; exit }') (-x $KAMAILIO_MEM) + SIPp $(sipp -v 2>/dev/null | awk '/SIPp v/ { sub(/-.*/, "", $2); print $2; exit }'), offered $RATE calls/s, $CALLS calls per run, medians of $REPS runs"
printf '| %-7s | %9s | %10s | %9s | %12s | %12s | %16s | %13s | %13s |\n' variant "calls/s" successful failed "resp p50 µs" "resp p99 µs" "CPU µs/call" "check p50 µs" "check p99 µs"
printf '| %-7s | %9s | %10s | %9s | %12s | %12s | %16s | %13s | %13s |\n' --- --- --- --- --- --- --- --- ---
for v in $VARIANTS; do
  CPS[$v]=$(col "$v" 3)
  P50[$v]=$(col "$v" 6)
  P99[$v]=$(col "$v" 7)
  c50=-; c99=-
  if [[ $v != base* && $v != http* ]]; then c50=$(col "$v" 10); c99=$(col "$v" 11); fi
  printf '| %-7s | %9s | %10s | %9s | %12s | %12s | %16s | %13s | %13s |\n' "$v" "${CPS[$v]}" "$(col "$v" 4)" "$(col "$v" 5)" \
    "${P50[$v]}" "${P99[$v]}" "$(col "$v" 8)" "$c50" "$c99"
done
echo
ratio() { # name variant baseline
  [[ -n ${CPS[$2]:-} && -n ${CPS[$3]:-} ]] || return 0
  awk -v n="$1" -v a="${CPS[$2]}" -v b="${CPS[$3]}" -v pa="${P50[$2]}" -v pb="${P50[$3]}" \
    -v qa="${P99[$2]}" -v qb="${P99[$3]}" 'BEGIN {
      r = (b > 0 ? a / b * 100 : 0)
      printf "%-22s throughput %.2f%% of baseline (floor 95%%: %s); added response time p50 %+.0f µs, p99 %+.0f µs\n",
        n, r, (r >= 95 ? "holds" : "FAILS"), pa - pb, qa - qb }'
}
ratio "acm1 vs base1" acm1 base1
ratio "acm2 vs base2" acm2 base2
ratio "redis2 vs base2" redis2 base2
ratio "http2 vs base2" http2 base2
ratio "hook1 vs alert1" hook1 alert1
ratio "mem8 vs base8" mem8 base8
ratio "shm8 vs base8" shm8 base8
ratio "redis8 vs base8" redis8 base8

if [[ ${CHECK:-0} == 1 ]]; then
  bad=$(awk -v calls="$CALLS" '$9 != 0 || $5 != 0 || $4 != calls { printf "%s rep %s: %s ok, %s failed, sipp exit %s; ", $1, $2, $4, $5, $9 }' "$WORK/results")
  [[ -z $bad ]] || die "CHECK: not every call succeeded: $bad"
  echo "CHECK: every call of every run succeeded" >&2
fi
