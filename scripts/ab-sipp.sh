#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# The SIPp benchmark of two builds of acm (acm.so and acm), alternating, each with this tree's
# benches/sipp_bench.sh. Usage: scripts/ab-sipp.sh OLD_TREE NEW_TREE [ROUNDS]
# Each tree: cargo build --release --bin acm && make -C kamailio-module.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
for r in $(seq "${3:-3}"); do
  for tree in "$1" "$2"; do
    echo "== round $r: $tree"
    ACM_SO=$tree/kamailio-module/build/acm.so ACM_BIN=$tree/target/release/acm REPS=1 \
      VARIANTS="${VARIANTS:-base2 acm2 redis2}" bash "$here/benches/sipp_bench.sh" 2>&1 | tail -n 8
  done
done
