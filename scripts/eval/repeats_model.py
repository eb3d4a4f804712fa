# SPDX-License-Identifier: MIT OR Apache-2.0
"""An offline model of `cli_fanout`'s repeats seen over a longer horizon than
the fan-out window: what recognising a callee called again up to H minutes
later (not only while it is still a member of the ten-minute window) would
save in false positives and lose in attacks, before any store keeps it
(docs/QUALITY.md, *Repeats over half an hour*).

Read from a binary's verdicts (replayed once per set and cached as
DATA/verdicts/TAG/gN-S.jsonl). Per CLI, in time order, a call is a repeat
when its callee was called by that CLI within the last H minutes, or when it
arrives through an ingress (trunk, else source address) that is neither of
the CLI's last two (a move, as `repeats.moves`). Repeats form runs as the
rule's do: each within `--span` minutes of the one before. A call that
`cli_fanout` alone fired on counts as spared when the CLI's live run holds
at least `--share` of the call's reported callees and that count stays under
three times the threshold (the lenient bar, `repeats.factor` 3).

The model approximates the store (no learning floor, no member cap), so it
spares a few calls even at H = the window (10 minutes) that the binary
flags: read each H's figures against H = 10's, not against zero. An attack
instance is lost when every call of it that fired would be spared.

    python3 scripts/eval/repeats_model.py --bin target/release/acm --tag main \\
        --horizons 10,30,60 --gens 2-13 --seeds 1-8

Standard-library python3 only.
"""
import argparse, collections, csv, json, os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sets  # noqa: E402

HOUR_MS = 3_600_000
MIN_MS = 60_000
LENIENT_BAR = 30  # threshold 10 times repeats.factor 3


def ingress_of(path):
    """call id -> the call's ingress (trunk, else source address)."""
    with open(path) as f:
        return {r["call_id"]: r["trunk"] or r["source_ip"] for r in csv.DictReader(f)}


def model_set(vs, labels, ingress, horizon_ms, span_ms, share):
    """(legit calls spared, Counter of spared legit classes, {instance: [kept, fired]},
    {instance: (type, intensity, variant)}) for one set and one horizon."""
    last_called = {}  # (cli, callee) -> time of the latest call
    runs = {}  # cli -> (time of the last repeat, repeats in the run)
    seen = {}  # cli -> (last ingress, the distinct one before it)
    spared, by_class = 0, collections.Counter()
    fired_calls = collections.defaultdict(lambda: [0, 0])
    info = {}
    scored_from = vs[0]["time_ms"] + HOUR_MS
    for v in vs:
        a, b, t = v["a_number"], v["b_number"], v["time_ms"]
        prev = last_called.get((a, b))
        repeat = prev is not None and t - prev <= horizon_ms
        last, before = seen.get(a, (None, None))
        i = ingress.get(v["call_id"], "")
        if i and i != last:
            repeat = repeat or (last is not None and i != before)
            seen[a] = (i, last)
        last_called[(a, b)] = t
        if repeat:
            rt, n = runs.get(a, (0, 0))
            runs[a] = (t, 1) if n == 0 or t > rt + span_ms else (t, n + 1)
        if t < scored_from:
            continue
        lab = labels.get(v["call_id"])
        if lab is None:
            continue
        fired = v["action"] != "allow"
        spare = False
        if fired and v["reasons"] == ["cli_fanout"]:
            rt, n = runs.get(a, (0, 0))
            count = v["callees"]
            spare = n > 0 and t <= rt + span_ms and n >= share * count and count < LENIENT_BAR
        if lab["class"] == "legit":
            if spare and "roam" not in lab["type"]:
                spared += 1
                by_class[lab["type"]] += 1
        elif lab["instance"]:
            k = lab["instance"]
            info[k] = (lab["type"], lab["intensity"], lab.get("variant", ""))
            if fired:
                fired_calls[k][1] += 1
                fired_calls[k][0] += 0 if spare else 1
    return spared, by_class, fired_calls, info


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", required=True)
    ap.add_argument("--tag", required=True)
    ap.add_argument("--horizons", default="10,30,60", help="minutes, comma-separated")
    ap.add_argument("--span", type=int, default=60, help="a run's span in minutes (repeats.within_ms)")
    ap.add_argument("--share", type=float, default=0.1)
    ap.add_argument("--gens", default="2-13")
    ap.add_argument("--seeds", default="1-8")
    args = ap.parse_args()
    horizons = [int(h) for h in args.horizons.split(",")]
    legit = fanout_fp = 0
    spared = collections.Counter()
    by_class = {h: collections.Counter() for h in horizons}
    lost = {h: [] for h in horizons}
    for g in sets.numbers(args.gens):
        for s in sets.numbers(args.seeds):
            d = sets.set_dir(g, s)
            with open(os.path.join(d, "labels.csv")) as f:
                labels = {r["call_id"]: r for r in csv.DictReader(f)}
            ingress = ingress_of(os.path.join(d, "cdrs.csv"))
            with open(sets.verdicts(args.bin, args.tag, g, s)) as f:
                vs = [json.loads(line) for line in f]
            scored_from = vs[0]["time_ms"] + HOUR_MS
            for v in vs:
                lab = labels.get(v["call_id"])
                if v["time_ms"] < scored_from or not lab or lab["class"] != "legit":
                    continue
                if "roam" in lab["type"]:
                    continue
                legit += 1
                fanout_fp += "cli_fanout" in v["reasons"] and v["action"] != "allow"
            for h in horizons:
                n, cls, fired, info = model_set(vs, labels, ingress, h * MIN_MS,
                                                args.span * MIN_MS, args.share)
                spared[h] += n
                by_class[h].update({(g, c): k for c, k in cls.items()})
                for k, (kept, total) in fired.items():
                    if total and not kept:
                        lost[h].append((g, s, k) + info[k])
    pct = lambda n: 100.0 * n / max(legit, 1)  # noqa: E731
    print(f"legitimate calls scored (roamers left out): {legit}; "
          f"cli_fanout fired on {fanout_fp} ({pct(fanout_fp):.4f}%)")
    for h in horizons:
        lo, hi = sets.FLOORS["simbox"]
        in_range = [x for x in lost[h] if x[3] == "simbox" and lo <= float(x[4]) <= hi]
        print(f"H = {h} min: spared {spared[h]} ({pct(spared[h]):.4f}%), "
              f"{spared[h] - spared[horizons[0]]:+d} against H = {horizons[0]}; "
              f"instances lost {len(lost[h])} (SIM boxes in range {len(in_range)})")
        print("    spared by class:", ", ".join(f"g{g} {c} {k}" for (g, c), k in
                                                 by_class[h].most_common(8)))
        for x in lost[h]:
            print("    lost: g%d-%d %s %s intensity %s %s" % x)


if __name__ == "__main__":
    main()
