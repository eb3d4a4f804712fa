#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# Instructions per check inside Detector::check_now_since (callgrind --toggle-collect: the
# benchmark's own work, building the workload, is not counted), for each check-benchmark
# binary given, on the realistic mix: with the default rules, and with every window rule
# off (the cost of a call outside the windows). Deterministic, unlike wall time on a shared
# machine. Usage: scripts/ab-check-insns.sh BIN... (cargo bench --bench check --no-run;
# copy target/release/deps/check-* aside between builds). CALLS/WARM: timed/warm-up calls;
# KEYS: store.max_keys. A warm store, as the benchmark runs by default (hot numbers' windows
# full, alerts on the mix's heavy callers; BENCHMARKS.md, *The check once the store is
# warm*): WARM=1000000 KEYS=4000000 (about four minutes a binary under callgrind).
set -euo pipefail
export ACM_BENCH_ONLY=realistic ACM_BENCH_WARMUP=${WARM:-5000} ACM_BENCH_PASSES=1 ACM_BENCH_CALLS=${CALLS:-20000}
n=$((2 * (ACM_BENCH_CALLS + ACM_BENCH_WARMUP))) # warm-up and timed calls, in two passes
OFF='[rules.distinct_callers]
action = "off"
[rules.distinct_callers_slow]
action = "off"
[rules.cli_velocity]
action = "off"
[rules.cli_rotation]
action = "off"
[rules.cli_fanout]
action = "off"'
# The store pinned at the old default size, so that binaries from before and after the
# benchmark sized its realistic mix's store (4 M keys) build the same one: 25,000 calls
# stay far from either size.
STORE="[store]
max_keys = ${KEYS:-1000000}"
for cfg in default windows-off; do
  for b in "$@"; do
    if [[ $cfg == windows-off ]]; then export ACM_BENCH_CONFIG="$OFF
$STORE"; else export ACM_BENCH_CONFIG="$STORE"; fi
    out=$(mktemp)
    valgrind --tool=callgrind --callgrind-out-file=/dev/null \
      --toggle-collect='acm::detector::Detector::check_now_since' "$(realpath "$b")" --bench >/dev/null 2>"$out"
    c=$(grep -o 'Collected : [0-9]*' "$out" | grep -o '[0-9]*')
    rm -f "$out"
    echo "$cfg $b: $((c / n)) instructions per check"
  done
done
