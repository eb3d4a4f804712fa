#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# Generates the labelled sets gN-S (generator N, seed S) of the offline evaluation
# under $ACM_EVAL (default: <repo>/target/eval), with the repository's generators:
# scripts/indep_gen.py for N=2, scripts/indep_genN.py for N=3..15. Each set is
# DIR/gN-S/{cdrs.csv,labels.csv,deploy.toml,gen.log}.
#
# Usage: scripts/eval/gen.sh
# Environment:
#   GENS="2 3 ... 15"   generators (default 2..15)
#   SEEDS="1 ... 8"     seeds (default 1..8; e.g. GENS="9 12 13" SEEDS="9 10" for more)
#   JOBS=2              sets generated in parallel
#   ACM_EVAL=dir        the data directory
# A set whose labels.csv exists is skipped (a set is written to gN-S.part/ and
# renamed when its generator succeeds). Prints a FAIL line per failed set and exits 1
# if any failed. Standard-library python3 only.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
E=${ACM_EVAL:-$ROOT/target/eval}
GENS=${GENS:-"2 3 4 5 6 7 8 9 10 11 12 13 14 15"}
SEEDS=${SEEDS:-"1 2 3 4 5 6 7 8"}
mkdir -p "$E" || exit 2
E=$(cd "$E" && pwd)
export ROOT E

one() {
  g=$1; s=$2; d=$E/g$g-$s
  if [ "$g" = 2 ]; then p=$ROOT/scripts/indep_gen.py; else p=$ROOT/scripts/indep_gen$g.py; fi
  [ -f "$d/labels.csv" ] && { echo "skip g$g-$s (exists)"; return 0; }
  [ -f "$p" ] || { echo "FAIL g$g-$s (no generator $p)"; return 1; }
  t=$d.part; rm -rf "$t"; mkdir -p "$t" || { echo "FAIL g$g-$s (mkdir $t)"; return 1; }
  start=$(date +%s)
  if nice -n 10 python3 "$p" --seed "$s" --quiet --out "$t/cdrs.csv" --labels "$t/labels.csv" \
       --config "$t/deploy.toml" > "$t/gen.log" 2>&1 && [ -f "$t/labels.csv" ]; then
    rm -rf "$d" && mv "$t" "$d" && echo "done g$g-$s ($(( $(date +%s) - start )) s)" && return 0
    echo "FAIL g$g-$s (could not move $t to $d)"; return 1
  fi
  echo "FAIL g$g-$s (see $t/gen.log)"; return 1
}
export -f one

start=$(date +%s)
for g in $GENS; do for s in $SEEDS; do echo "$g $s"; done; done |
  xargs -P "${JOBS:-2}" -L 1 bash -c 'one "$0" "$1"'
rc=$?
echo "gen: $E, wall $(( $(date +%s) - start )) s"
[ $rc = 0 ] || { echo "gen: some sets failed" >&2; exit 1; }
