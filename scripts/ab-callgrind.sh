#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# Instructions per check of two builds of acm, side by side (deterministic: callgrind counts
# instructions, not time). Usage: scripts/ab-callgrind.sh OLD_TREE NEW_TREE
# Each tree must have `cargo bench --bench check --no-run` built. The total at two call counts
# is differenced, then halved: the check benchmark runs the timed calls twice (a throughput
# pass and a latency pass).
set -euo pipefail
bench() { ls "$1"/target/release/deps/check-* | grep -v '\.d$' | head -1; }
export ACM_BENCH_ONLY=realistic ACM_BENCH_WARMUP=50000 ACM_BENCH_PASSES=1
for tree in "$1" "$2"; do
  b=$(bench "$tree")
  declare -A total
  for n in 100000 200000; do
    out=$(mktemp)
    ACM_BENCH_CALLS=$n valgrind --tool=callgrind --callgrind-out-file=/dev/null "$b" --bench >/dev/null 2>"$out"
    total[$n]=$(grep -o 'Collected : [0-9]*' "$out" | grep -o '[0-9]*')
    rm -f "$out"
  done
  echo "$tree: $(( (total[200000] - total[100000]) / 200000 )) instructions per check"
done
