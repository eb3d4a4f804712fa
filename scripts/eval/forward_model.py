# SPDX-License-Identifier: MIT OR Apache-2.0
"""An offline model of forwarded legs told from masking on the gateways: what
sparing `intl_ingress_local_cli` on a call whose CLI called through another
ingress seconds before would save in false positives and lose in attacks,
before any store keeps what it needs (docs/QUALITY.md, *Forwarded legs on the
gateways, modelled*).

A call forwarded on no reply (its no-reply timer runs 15-30 s) or
unconditionally to a number abroad, or tromboned through a roaming partner,
comes back through an international gateway presenting the original caller's
home CLI, seconds after that caller's own call was seen on the home side.
Masking presents a home CLI nobody just called from. Read from a binary's
verdicts (replayed once per set and cached as DATA/verdicts/TAG/gN-S.jsonl): a
call that `intl_ingress_local_cli` alone fired on is spared when its CLI made
a call through another ingress (trunk, else source address) at most
`--within` seconds before, and at most `--max-prior` calls in the
`--busy-minutes` before (a busy CLI, a call centre's, is always calling: a
spoof of it would coincide). An attack instance is lost when every call of it
that fired would be spared.

    python3 scripts/eval/forward_model.py --bin target/release/acm --tag main \\
        --within 30 --max-prior 2 --gens 2-13 --seeds 1-8

Standard-library python3 only.
"""
import argparse, collections, csv, json, os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sets  # noqa: E402

HOUR_MS = 3_600_000
RULE = "intl_ingress_local_cli"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", required=True, help="the acm binary whose verdicts are read")
    ap.add_argument("--tag", required=True, help="the verdicts' cache name")
    ap.add_argument("--within", type=int, default=30, help="seconds back to the CLI's other call")
    ap.add_argument("--max-prior", type=int, default=2,
                    help="most calls the CLI made in the busy minutes before (else never spared)")
    ap.add_argument("--busy-minutes", type=int, default=10)
    ap.add_argument("--gens", default="2-13")
    ap.add_argument("--seeds", default="1-8")
    a = ap.parse_args()

    spared_legit = collections.Counter()
    legit_total = 0
    spared_attack_calls = 0
    instances = collections.Counter()
    lost = []
    for g in sets.numbers(a.gens):
        for s in sets.numbers(a.seeds):
            d = sets.set_dir(g, s)
            with open(os.path.join(d, "labels.csv")) as f:
                lab = {r["call_id"]: r for r in csv.DictReader(f)}
            with open(os.path.join(d, "cdrs.csv")) as f:
                ingress = {r["call_id"]: (r["trunk"] or r["source_ip"]) for r in csv.DictReader(f)}
            with open(sets.verdicts(a.bin, a.tag, g, s)) as f:
                vs = [json.loads(line) for line in f]
            scored_from = vs[0]["time_ms"] + HOUR_MS
            before_by_cli = collections.defaultdict(list)  # CLI -> [(time, ingress)]
            fired = collections.Counter()
            kept = collections.Counter()
            for v in vs:
                cli, t, src = v["a_number"], v["time_ms"], ingress[v["call_id"]]
                flagged = v["action"] != "allow"
                spared = False
                if flagged and v["reasons"] and all(r == RULE for r in v["reasons"]):
                    prior = [p for p in before_by_cli[cli] if t - p[0] <= a.busy_minutes * 60_000]
                    spared = len(prior) <= a.max_prior and any(
                        t - p[0] <= a.within * 1000 and p[1] != src for p in prior)
                before_by_cli[cli].append((t, src))
                L = lab.get(v["call_id"])
                if t < scored_from or L is None:
                    continue
                if L["class"] == "legit":
                    legit_total += 1
                    if spared:
                        spared_legit[(g, L["type"])] += 1
                elif L["instance"]:
                    key = (g, s, L["instance"])
                    instances[key] += 0
                    if flagged:
                        fired[key] += 1
                        kept[key] += 0 if spared else 1
                    spared_attack_calls += spared
            lost += [k for k, n in fired.items() if n > 0 and kept[k] == 0]
    n = sum(spared_legit.values())
    print(f"within {a.within} s, at most {a.max_prior} calls in {a.busy_minutes} min before")
    print(f"legitimate calls spared: {n} of {legit_total} "
          f"({100 * n / max(legit_total, 1):.4f} points of FP)")
    for (g, kind), c in spared_legit.most_common(10):
        print(f"  g{g} {kind}: {c}")
    print(f"attack calls spared: {spared_attack_calls}; instances lost: {len(lost)} of {len(instances)}")
    for k in lost[:20]:
        print(f"  g{k[0]}-{k[1]} {k[2]}")


if __name__ == "__main__":
    main()
