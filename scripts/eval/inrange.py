#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR Apache-2.0
"""inrange.py TAG1 [TAG2] [--seeds 1-8] [--gens 2-14] [--per-seed]

In-range figures per generator from $ACM_EVAL/res/TAG/gN-S.json (ACM_EVAL default:
<repo>/target/eval; reports written by run.sh). Other seeds, e.g. 9-10 of g9, g12
and g13: --seeds 1-10.

"In range" = the floors' intensity ranges, lo <= intensity <= hi (inclusive, as
tests/support/mod.rs `in_range` and `acm quality --floor-range` read them). The
same bounds are used for every generator: docs/QUALITY.md judges every
generator in these ranges (its `--floor-range` command lines), and every
tests/*_generator.rs calls in_range/assert_caught_in_range with them
(masking_burst 1..10, refiled_masking 1.3..20, simbox 1..6, cli_rotation
0.5..20). The generators' own docs state other "issue's ranges" for some
families (sixth/seventh/eighth: bursts ~0.5-5 calls/s, refiles 2-24/min); those
are their authors' readings and are not what QUALITY.md or the tests count.

Prints, per generator pooled over the seeds (and per seed with --per-seed, or
automatically for the 5th-caller line when the tags differ there):
  5th: masking_burst in range with fifth_caller_blocked true / non-null
  det: masking_burst in range detected / in range
then, per generator, every family whose in-range detection differs between
the tags (pooled, and which seeds). Sets missing under a tag are reported and
left out of that generator's pool for both tags.
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the repository for sets.py
import sets  # noqa: E402  (scripts/eval/sets.py: data directory, report loading)

FLOORS = sets.FLOORS
# Per generator: the same floor ranges (see the docstring); a generator not in
# the table gets them too. Kept as a table so a generator could be given its own.
BOUNDS = {g: FLOORS for g in range(2, 15)}
NAMES = {2: "second (indep_gen.py)", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth",
         7: "seventh", 8: "eighth", 9: "ninth", 10: "tenth", 11: "eleventh",
         12: "twelfth", 13: "thirteenth", 14: "fourteenth", 15: "fifteenth"}


def figures(rep, bounds):
    """-> {'5th': [blocked, nonnull], fam: [detected, in range] ...}"""
    out = {"5th": [0, 0]}
    for i in rep["instances"]:
        lo, hi = bounds.get(i["family"], (None, None))
        if lo is None or not (lo <= i["intensity"] <= hi):
            continue
        f = out.setdefault(i["family"], [0, 0])
        f[0] += bool(i["detected"]); f[1] += 1
        if i["family"] == "masking_burst" and i.get("fifth_caller_blocked") is not None:
            out["5th"][0] += bool(i["fifth_caller_blocked"]); out["5th"][1] += 1
    return out


def add(a, b):
    for k, v in b.items():
        x = a.setdefault(k, [0, 0]); x[0] += v[0]; x[1] += v[1]


def fmt(v):
    return f"{v[0]}/{v[1]}" if v else "-"


def pct(v):
    return f"{v[0]}/{v[1]} ({100*v[0]/v[1]:.0f}%)" if v and v[1] else fmt(v)


def main():
    args = sys.argv[1:]
    seeds, gens, per_seed = sets.numbers("1-8"), sets.numbers("2-14"), False
    tags = []
    while args:
        a = args.pop(0)
        if a == "--seeds": seeds = sets.numbers(args.pop(0))
        elif a == "--gens": gens = sets.numbers(args.pop(0))
        elif a == "--per-seed": per_seed = True
        elif a.startswith("-"): sys.exit(__doc__)
        else: tags.append(a)
    if len(tags) not in (1, 2):
        sys.exit(__doc__)
    two = len(tags) == 2
    print("# in range (inclusive), every generator: " +
          ", ".join(f"{k} {lo:g}..{hi:g}" for k, (lo, hi) in FLOORS.items()))
    print(f"# seeds {seeds[0]}-{seeds[-1]}" if seeds == list(range(seeds[0], seeds[-1] + 1))
          else f"# seeds {','.join(map(str, seeds))}")
    hdr = f"{'generator':<26}" + "".join(
        f" {'5th ' + t:<17}" for t in tags) + "".join(f" {'det ' + t:<17}" for t in tags)
    print(hdr)
    tot = [dict() for _ in tags]
    famdiff, seedrows, missing = [], [], []
    for g in gens:
        pooled = [dict() for _ in tags]
        per = {}
        for s in seeds:
            reps = [sets.load_one(t, g, s) for t in tags]
            if any(r is None for r in reps):
                missing.append(f"g{g}-{s}" + ("" if all(r is None for r in reps) else
                               " (under " + ",".join(t for t, r in zip(tags, reps) if r is None) + " only missing)"))
                continue
            fs = [figures(r, BOUNDS.get(g, FLOORS)) for r in reps]
            per[s] = fs
            for p, f in zip(pooled, fs):
                add(p, f)
        if not per:
            continue
        for t, p in zip(tot, pooled):
            add(t, p)
        mark = "*" if two and (pooled[0]["5th"] != pooled[1]["5th"] or
                               pooled[0].get("masking_burst") != pooled[1].get("masking_burst")) else " "
        line = f"{mark}g{g:<3}{NAMES[g]:<20}"[:25]
        line = f"{mark}g{g} {NAMES[g]}"
        line = f"{line:<26}" + "".join(f" {pct(p['5th']):<17}" for p in pooled) + \
            "".join(f" {pct(p.get('masking_burst')):<17}" for p in pooled)
        print(line)
        if per_seed or (two and pooled[0]["5th"] != pooled[1]["5th"]):
            cells = []
            for s, fs in per.items():
                a = fmt(fs[0]["5th"])
                cells.append(f"s{s} {a}" + (f"->{fs[1]['5th'][0]}" if two and fs[0]["5th"] != fs[1]["5th"] else ""))
            seedrows.append(f"  g{g:<3} 5th by seed: " + "  ".join(cells))
            if per_seed:
                print(seedrows.pop())
        if two:
            for fam in FLOORS:
                a, b = pooled[0].get(fam), pooled[1].get(fam)
                if a != b:
                    ss = [f"s{s} {fmt(fs[0].get(fam))}->{fmt(fs[1].get(fam))}"
                          for s, fs in per.items() if fs[0].get(fam) != fs[1].get(fam)]
                    famdiff.append(f"  g{g:<3} {fam:<16} {fmt(a):>8} -> {fmt(b):<8} ({', '.join(ss)})")
    line = f"{' ALL':<26}" + "".join(f" {pct(t['5th']):<17}" for t in tot) + \
        "".join(f" {pct(t.get('masking_burst')):<17}" for t in tot)
    print(line)
    if seedrows:
        print(f"\n# 5th caller per seed ({tags[0]}, ->{tags[1]} where it differs)")
        print("\n".join(seedrows))
    if two:
        print(f"\n# families whose in-range detection differs ({tags[0]} -> {tags[1]}); none otherwise")
        print("\n".join(famdiff) if famdiff else "  (none)")
    if missing:
        print("\n# left out (report missing): " + "; ".join(missing))


if __name__ == "__main__":
    main()
