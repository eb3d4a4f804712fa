#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# Usage: scripts/eval/run.sh BIN TAG [EXTRA_TOML]
# Scores every labelled set $ACM_EVAL/gN-S/ (default ACM_EVAL: <repo>/target/eval;
# sets made by gen.sh) with the acm binary BIN:
#   BIN -c gN-S/deploy.toml quality --cdrs gN-S/cdrs.csv --labels gN-S/labels.csv \
#       --no-progress --score-from +1h --json
# JSON reports to $ACM_EVAL/res/TAG/gN-S.json (stderr to gN-S.err). With EXTRA_TOML,
# each set's deploy.toml is copied to $ACM_EVAL/tmp/TAG/gN-S.toml with that file's
# text appended, and the copy is used instead. 2 sets in parallel (JOBS=N to change).
# Prints a FAIL line per failed set, the wall time, and exits 1 if any failed.
# ACM_EVAL is not passed on to BIN (acm would read it as a configuration field).
set -u
[ $# -ge 2 ] || { echo "usage: $0 BIN TAG [EXTRA_TOML]" >&2; exit 2; }
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$(readlink -f "$1"); TAG=$2; EXTRA=${3:-}
E=${ACM_EVAL:-$ROOT/target/eval}
[ -x "$BIN" ] || { echo "no binary $BIN" >&2; exit 2; }
if [ -n "$EXTRA" ]; then EXTRA=$(readlink -f "$EXTRA"); [ -f "$EXTRA" ] || { echo "no file $EXTRA" >&2; exit 2; }; fi
[ -d "$E" ] || { echo "no data directory $E (scripts/eval/gen.sh first)" >&2; exit 2; }
E=$(cd "$E" && pwd)
# acm reads ACM_* variables as configuration (ACM_EVAL would be a field `eval`): not for it
unset ACM_EVAL
OUT=$E/res/$TAG; TMP=$E/tmp/$TAG
mkdir -p "$OUT" "$TMP" || exit 2
export BIN EXTRA OUT TMP
one() {
  d=$1; s=$(basename "$d"); cfg=$d/deploy.toml
  if [ -n "$EXTRA" ]; then
    cfg=$TMP/$s.toml
    { cat "$d/deploy.toml"; echo; cat "$EXTRA"; } > "$cfg"
  fi
  if "$BIN" -c "$cfg" quality --cdrs "$d/cdrs.csv" --labels "$d/labels.csv" \
       --no-progress --score-from +1h --json > "$OUT/$s.json.tmp" 2> "$OUT/$s.err"; then
    mv "$OUT/$s.json.tmp" "$OUT/$s.json"
  else
    echo "FAIL $s (see $OUT/$s.err)"; rm -f "$OUT/$s.json.tmp" "$OUT/$s.json"; return 1
  fi
}
export -f one
# complete sets only (gen.sh writes labels.csv last, via a rename of gN-S.part/)
sets=$(for d in "$E"/g*-*/; do
         d=${d%/}; [[ $(basename "$d") =~ ^g[0-9]+-[0-9]+$ ]] && [ -f "$d/labels.csv" ] && echo "$d"
       done | sort -V)
[ -n "$sets" ] || { echo "no sets gN-S/ with labels.csv in $E (scripts/eval/gen.sh first)" >&2; exit 2; }
start=$(date +%s.%N)
printf '%s\n' "$sets" | xargs -P "${JOBS:-2}" -I{} bash -c 'one "$0"' {}
rc=$?
end=$(date +%s.%N)
n=$(ls "$OUT"/*.json 2>/dev/null | wc -l)
awk -v t="$TAG" -v n="$n" -v m="$(printf '%s\n' "$sets" | wc -l)" -v o="$OUT" -v a="$start" -v b="$end" \
  'BEGIN { printf "%s: %d reports in %s (%d sets scored), wall %.1f s\n", t, n, o, m, b - a }'
[ $rc = 0 ] || exit 1
