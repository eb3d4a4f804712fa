#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR Apache-2.0
"""ours_cmp.py DIR1 DIR2: compare scripts/quality.sh outputs (OUT dirs), per set
and configuration (pooled <set>-<cfg>.json, and per seed <set>-<seed>-<cfg>.json
for instance-level differences). Prints only what differs:
  - per family: detected (all intensities) and in the floor's range, calls caught;
  - 5th caller (masking_burst, fifth_caller_blocked true / non-null), all and in range;
  - legitimate FP: flagged+blocked / calls, all classes, and each class that differs;
  - allowlisted blocks;
  - per seed: instances whose detected / fifth_caller_blocked / calls_caught differ.
"""
import json, os, re, sys

SETS = ["tuning", "holdout", "tuning-small", "holdout-small"]


def load(d, name):
    p = os.path.join(d, name)
    return json.load(open(p)) if os.path.exists(p) else None


def summary(r):
    fr = {f: (x["lo"], x["hi"]) for f, x in r.get("floor_ranges", [])}
    out = {}
    fam = {}
    for i in r["instances"]:
        f = fam.setdefault(i["family"], {"det": [0, 0], "det_in": [0, 0], "caught": [0, 0]})
        inr = i["family"] in fr and fr[i["family"]][0] <= i["intensity"] <= fr[i["family"]][1]
        f["det"][0] += bool(i["detected"]); f["det"][1] += 1
        if inr:
            f["det_in"][0] += bool(i["detected"]); f["det_in"][1] += 1
        f["caught"][0] += i["calls_caught"]; f["caught"][1] += i["calls"]
        if i.get("fifth_caller_blocked") is not None:
            k = fam.setdefault("5th", {"all": [0, 0], "in": [0, 0]})
            k["all"][0] += bool(i["fifth_caller_blocked"]); k["all"][1] += 1
            if inr:
                k["in"][0] += bool(i["fifth_caller_blocked"]); k["in"][1] += 1
    for fname, f in sorted(fam.items()):
        for k, v in f.items():
            out[f"{fname} {k}"] = v
    c = fl = bl = 0
    for l in r["legit"]:
        c += l["calls"]; fl += l["flagged"]; bl += l["blocked"]
        out[f"legit {l['name']}"] = (l["flagged"], l["blocked"], l["calls"])
    out["legit ALL"] = (fl, bl, c)
    for k in ("allowlisted_number_blocks", "allowlisted_number_blocks_all", "allowlisted_source_blocks"):
        out[k] = r.get(k)
    return out


def show(k, v):
    if k.startswith("legit"):
        fl, bl, c = v
        return f"{fl + bl}/{c} = {100 * (fl + bl) / c:.4f}% (flag {fl}, block {bl})"
    if isinstance(v, list):
        return f"{v[0]}/{v[1]}"
    return str(v)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    a, b = sys.argv[1:]
    nd = 0
    for s in SETS:
        for cfg in ("deploy", "bare"):
            ra, rb = load(a, f"{s}-{cfg}.json"), load(b, f"{s}-{cfg}.json")
            if ra is None or rb is None:
                print(f"{s} {cfg}: missing"); continue
            sa, sb = summary(ra), summary(rb)
            diffs = [k for k in list(sa) + [k for k in sb if k not in sa] if sa.get(k) != sb.get(k)]
            # always show the FP line next to a differing class
            print(f"== {s}, {cfg}.toml (pooled): " + ("identical" if not diffs else f"{len(diffs)} differing line(s)"))
            for k in diffs:
                nd += 1
                print(f"   {k:<40} {show(k, sa.get(k)) if k in sa else '-':<42} -> {show(k, sb.get(k)) if k in sb else '-'}")
            # per seed instances
            seeds = sorted({m[1] for f in os.listdir(a)
                            for m in [re.fullmatch(re.escape(s) + r"-(\d+)-" + cfg + r"\.json", f)] if m})
            for seed in seeds:
                pa, pb = load(a, f"{s}-{seed}-{cfg}.json"), load(b, f"{s}-{seed}-{cfg}.json")
                if pa is None or pb is None:
                    continue
                fr = {f: (x["lo"], x["hi"]) for f, x in pa.get("floor_ranges", [])}
                for x, y in zip(pa["instances"], pb["instances"]):
                    if (x["detected"], x.get("fifth_caller_blocked"), x["calls_caught"]) != \
                       (y["detected"], y.get("fifth_caller_blocked"), y["calls_caught"]):
                        lo, hi = fr.get(x["family"], (0, 0))
                        inr = "in range" if lo <= x["intensity"] <= hi else "out of range"
                        print(f"     seed {seed}: {x['family']} {x['intensity']:.3g} ({inr}, {x['variant']}): "
                              f"detected {x['detected']}->{y['detected']}, 5th {x.get('fifth_caller_blocked')}->"
                              f"{y.get('fifth_caller_blocked')}, caught {x['calls_caught']}->{y['calls_caught']} of {x['calls']}")
    print(f"# {nd} differing pooled line(s)")


if __name__ == "__main__":
    main()
