#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR Apache-2.0
"""agg.py TAG [TAG2]: pool $ACM_EVAL/res/TAG/gN-S.json per generator N
(ACM_EVAL default: <repo>/target/eval; reports written by run.sh).

Per generator: per attack family, instances detected / total (all
intensities); for the 5th-caller family (report's fifth_caller_family,
masking_burst), instances with fifth_caller_blocked set and how many are true;
legitimate calls flagged+blocked as % of legitimate calls, all classes and
without classes whose name contains "roam". With TAG2, the two side by side;
lines that differ start with '*'. Pools only sets present under both tags.
"""
import sys
from collections import defaultdict

sys.dont_write_bytecode = True  # no __pycache__ in the repository for sets.py
import sets  # noqa: E402  (scripts/eval/sets.py: data directory, report loading)


def pool(reports):
    """reports: list of report dicts -> dict of line-key -> value string."""
    fam = defaultdict(lambda: [0, 0])
    fifth = defaultdict(lambda: [0, 0])
    legit = [0, 0, 0, 0]        # calls, flagged, blocked (all classes)
    legit_nr = [0, 0, 0, 0]     # the same without *roam* classes
    roam_names = set()
    for r in reports:
        for i in r["instances"]:
            f = fam[i["family"]]
            f[0] += 1
            f[1] += bool(i["detected"])
            if i.get("fifth_caller_blocked") is not None:
                x = fifth[i["family"]]
                x[0] += 1
                x[1] += bool(i["fifth_caller_blocked"])
        for l in r["legit"]:
            for acc, keep in ((legit, True), (legit_nr, "roam" not in l["name"].lower())):
                if keep:
                    acc[0] += l["calls"]; acc[1] += l["flagged"]; acc[2] += l["blocked"]
            if "roam" in l["name"].lower():
                roam_names.add(l["name"])
    lines = {}
    for name in sorted(fam):
        n, d = fam[name]
        lines[f"{name:<22} detected"] = f"{d}/{n} ({100*d/n:.1f}%)" if n else "0/0"
    for name in sorted(fifth):
        n, b = fifth[name]
        lines[f"{name:<22} blocked by 5th caller"] = f"{b}/{n} ({100*b/n:.1f}%)" if n else "0/0"
    for label, (c, fl, bl, _) in (("legit FP (all)", legit), ("legit FP (no *roam*)", legit_nr)):
        fp = fl + bl
        lines[f"{label}"] = (f"{fp}/{c} = {100*fp/c:.4f}% (flag {fl}, block {bl})" if c else "no calls")
    return lines, sorted(roam_names)

def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    tags = sys.argv[1:]
    data = [sets.load(t) for t in tags]
    keys = set(data[0])
    for d in data[1:]:
        miss = keys ^ set(d)
        if miss:
            print(f"# sets not under both tags (left out): {' '.join(f'g{g}-{s}' for g, s in sorted(miss))}")
        keys &= set(d)
    gens = sorted({g for g, _ in keys})
    if len(tags) == 2:
        print(f"# {'':<46} {tags[0]:<50} {tags[1]}")
    ndiff = 0
    for g in gens + ["all"]:
        ks = sorted(k for k in keys if g == "all" or k[0] == g)
        seeds = ",".join(str(s) for _, s in ks) if g != "all" else f"{len(ks)} sets"
        print(f"g{g} (seeds {seeds})" if g != "all" else f"ALL generators ({seeds})")
        pooled = [pool([d[k] for k in ks]) for d in data]
        roam = sorted(set().union(*(p[1] for p in pooled)))
        lines = [p[0] for p in pooled]
        order = list(lines[0]) + [k for l in lines[1:] for k in l if k not in lines[0]]
        for k in order:
            vals = [l.get(k, "-") for l in lines]
            if len(vals) == 1:
                print(f"  {k:<46} {vals[0]}")
            else:
                mark = "*" if vals[0] != vals[1] else " "
                ndiff += mark == "*"
                print(f"{mark} {k:<46} {vals[0]:<50} {vals[1]}")
        if roam:
            print(f"    (roam classes left out: {', '.join(roam)})")
    if len(tags) == 2:
        print(f"# {ndiff} differing line(s)")

if __name__ == "__main__":
    main()
