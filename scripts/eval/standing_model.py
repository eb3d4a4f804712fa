# SPDX-License-Identifier: MIT OR Apache-2.0
"""An offline model of a home CLI's standing on the gateways: what sparing a
steady CLI would save in false positives and lose in attacks, before it is
built (docs/QUALITY.md, *A home CLI's standing on the gateways*).

Read from a binary's verdicts (replayed once per set and cached as
DATA/verdicts/TAG/gN-S.jsonl): the calls `intl_ingress_local_cli` fired on
are a home CLI on an international ingress. Each such call's CLI has
standing, and the call would pass, when (by variant):

  slots S K   the CLI's calls there fell in at least K distinct S-minute
              slots within the last 60 + S minutes (what the rule does: S 10,
              K 7 is 7 of the last 8 ten-minute slots);
  age Q A     its calls there ran without a gap of Q minutes for A minutes.

A call counts as spared only when that rule was its only reason. Printed:
legitimate calls flagged or blocked (roamers left out, as agg.py does) and
attack instances detected in the scored hour, for the binary and each
variant, the instances a variant loses, and the classes it spares.

    python3 scripts/eval/standing_model.py --bin target/release/acm --tag main \\
        --gens 2-13 --seeds 1-8

Standard-library python3 only.
"""
import argparse, collections, csv, json, os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sets  # noqa: E402

HOUR_MS = 3_600_000
MIN_MS = 60_000
VARIANTS = [("slots", 10, 7), ("slots", 10, 6), ("slots", 5, 13),
            ("age", 60, 30), ("age", 60, 45), ("age", 60, 60)]


def verdicts(args, g, s):
    """The binary's verdicts on set gG-S, replayed once and cached."""
    return sets.verdicts(args.bin, args.tag, g, s)


def standing(var, st, t):
    """Records a call at t in a CLI's state st (a list) and says whether it has standing."""
    kind, x, y = var
    if kind == "slots":
        slot = t // (x * MIN_MS)
        if not st or st[-1][0] != slot:
            st.append([slot, t])
        else:
            st[-1][1] = t
        while st and st[0][1] <= t - HOUR_MS - x * MIN_MS:
            st.pop(0)
        return len(st) >= y
    # age: st = [last call, spell start]
    if not st or t - st[0] >= x * MIN_MS:
        st[:] = [t, t]
    st[0] = t
    return t - st[1] >= y * MIN_MS


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bin", required=True, help="the acm binary whose verdicts are the baseline")
    p.add_argument("--tag", required=True, help="names the cached verdicts (one per binary)")
    p.add_argument("--gens", default="2-13")
    p.add_argument("--seeds", default="1-8")
    args = p.parse_args()
    legit = 0
    fp = collections.Counter()
    spared = collections.Counter()
    found = collections.Counter()
    lost = collections.Counter()
    for g in sets.numbers(args.gens):
        for s in sets.numbers(args.seeds):
            d = sets.set_dir(g, s)
            if not os.path.exists(os.path.join(d, "labels.csv")):
                continue
            with open(os.path.join(d, "labels.csv"), newline="") as fh:
                label = {r["call_id"]: r for r in csv.DictReader(fh)}
            state = {v: collections.defaultdict(list) for v in VARIANTS}
            det = {v: collections.defaultdict(bool) for v in [None] + VARIANTS}
            variant_of = {}
            score_from = None
            with open(verdicts(args, g, s)) as fh:
                for line in fh:
                    v = json.loads(line)
                    t = v["time_ms"]
                    if score_from is None:
                        score_from = t + HOUR_MS
                    reasons = v.get("reasons") or []
                    flagged = v["action"] != "allow"
                    now = {}
                    for var in VARIANTS:
                        f = flagged
                        if "intl_ingress_local_cli" in reasons:
                            if standing(var, state[var][v["a_number"]], t) and len(reasons) == 1:
                                f = False
                        now[var] = f
                    if t < score_from:
                        continue
                    lab = label[v["call_id"]]
                    if lab["class"] == "legit":
                        if "roam" in lab["type"]:
                            continue
                        legit += 1
                        fp[None] += flagged
                        for var in VARIANTS:
                            fp[var] += now[var]
                            if flagged and not now[var]:
                                spared[(var, f"g{g}", lab["type"])] += 1
                    else:
                        k = (lab["type"], lab["instance"])
                        variant_of[k] = lab["variant"]
                        det[None][k] |= flagged
                        for var in VARIANTS:
                            det[var][k] |= now[var]
            for var in [None] + VARIANTS:
                found[var] += sum(det[var].values())
            for var in VARIANTS:
                for k, x in det[None].items():
                    if x and not det[var][k]:
                        lost[(var, f"g{g}-{s}", k[0], variant_of[k])] += 1
    print(f"legitimate calls scored (no roamers) {legit}")
    print(f"binary: FP {fp[None]} ({100 * fp[None] / max(legit, 1):.4f}%), instances detected {found[None]}")
    for var in VARIANTS:
        print(f"{var[0]} {var[1]} {var[2]}: FP {fp[var]} ({100 * fp[var] / max(legit, 1):.4f}%), "
              f"instances detected {found[var]} (lost {found[None] - found[var]})")
        for k, n in sorted(lost.items()):
            if k[0] == var:
                print("    lost", *k[1:], n)
        for k, n in sorted(spared.items(), key=lambda x: -x[1]):
            if k[0] == var:
                print("    spared", *k[1:], n)


if __name__ == "__main__":
    main()
