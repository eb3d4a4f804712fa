#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# Engine benchmark of two builds of acm, alternating, pinned to CPU 1.
# Usage: scripts/ab-engine.sh OLD_TREE NEW_TREE [ROUNDS]  (each tree: cargo bench --bench check --no-run)
set -euo pipefail
bench() { ls "$1"/target/release/deps/check-* | grep -v '\.d$' | head -1; }
export ACM_BENCH_ONLY=realistic ACM_BENCH_CALLS=${CALLS:-1000000} ACM_BENCH_WARMUP=${WARM:-1000000} ACM_BENCH_PASSES=3
for r in $(seq "${3:-5}"); do
  for tree in "$1" "$2"; do
    echo "== round $r: $tree"
    taskset -c 1 "$(bench "$tree")" --bench 2>&1 | grep -E "throughput|latency per check|raised an alert"
  done
done
