# SPDX-License-Identifier: MIT OR Apache-2.0
"""An offline model of a fan-in rule that is not built: what it would catch and
what it would cost, before anyone pays for it in the call path.

The rule modelled: a call is flagged when it gives a subscriber's number its
Nth distinct caller over every ingress within WINDOW seconds, while no single
ingress brought MAX_PER_INGRESS callers or more (what the per-ingress tiers
already judge; 0: no such condition), and (with --quiet S) nobody called the
number in the S seconds before the first of those callers (a victim is a
subscriber nobody was calling; a hotline, a business or a phone-in is called
all the time).

Counted like the slow tier: calls whose B-number libphonenumber types mobile,
fixed line, fixed line or mobile, or VoIP, and that the set's deploy.toml does
not allow-list. A call already flagged or blocked by the binary is not counted
as a new flag; an attack instance counts as newly caught when some call of it
in the scored hour reaches N and none was flagged. Instances are those of the
floors' intensity ranges (as in inrange.py). Approximations: every call to the
number counts in the history, and calls blocked by kind on a gateway count in
the windows too.

Needs the `phonenumbers` package (pip install phonenumbers) and one replay per
set (the binary's verdicts, cached as DATA/verdicts/TAG/gN-S.jsonl).

    python3 scripts/eval/fanin_model.py --bin target/release/acm --tag main \\
        --window 120 --max-per-ingress 3 --quiet 3600 --n 3,4,5,6

The engine sees only the call's own route's count, not every route's: --own-ingress judges
each call by its own route, --at-raise once a spell at the call that reaches N, --sticky as
`quiet_fanin` does (the first call at N or more whose own route brought MAX_PER_INGRESS
silences the spell for good).
"""
import argparse, collections, csv, json, os, sys, tomllib

sys.dont_write_bytecode = True  # no __pycache__ in the repository for sets.py
import sets  # noqa: E402  (scripts/eval/sets.py: data directory, floors, seed lists)

try:
    import phonenumbers
    from phonenumbers import PhoneNumberType as T
except ImportError:
    sys.exit("fanin_model.py needs the phonenumbers package: pip install phonenumbers")

SUBSCRIBER = {T.MOBILE, T.FIXED_LINE, T.FIXED_LINE_OR_MOBILE, T.VOIP}
RANGES = sets.FLOORS
HOUR_MS = 3_600_000


def verdicts(args, g, s):
    """The binary's verdicts on set gG-S, replayed once and cached."""
    return sets.verdicts(args.bin, args.tag, g, s)


class Number:
    """One B-number's callers within the window, and when it was last called before it."""
    __slots__ = ("calls", "callers", "pairs", "per_ingress", "last_out", "decided")

    def __init__(self):
        self.calls = collections.deque()  # (time, caller, ingress)
        self.callers = collections.Counter()  # caller -> calls in the window
        self.pairs = collections.Counter()  # (ingress, caller) -> calls in the window
        self.per_ingress = collections.Counter()  # ingress -> distinct callers
        self.last_out = None  # the newest call that has left the window
        self.decided = {}  # (spell's first call, N) -> whether that spell flags (--at-raise)

    def add(self, t, a, ing, window_ms):
        while self.calls and self.calls[0][0] <= t - window_ms:
            t0, a0, i0 = self.calls.popleft()
            self.last_out = t0
            self.callers[a0] -= 1
            if not self.callers[a0]:
                del self.callers[a0]
            self.pairs[(i0, a0)] -= 1
            if not self.pairs[(i0, a0)]:
                del self.pairs[(i0, a0)]
                self.per_ingress[i0] -= 1
                if not self.per_ingress[i0]:
                    del self.per_ingress[i0]
        self.calls.append((t, a, ing))
        self.callers[a] += 1
        self.pairs[(ing, a)] += 1
        if self.pairs[(ing, a)] == 1:
            self.per_ingress[ing] += 1


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bin", required=True, help="the acm binary whose verdicts are the baseline")
    p.add_argument("--tag", required=True, help="names the cached verdicts (one per binary)")
    p.add_argument("--gens", default="2-14")
    p.add_argument("--seeds", default="1-8")
    p.add_argument("--window", type=float, default=120, help="seconds")
    p.add_argument("--max-per-ingress", type=int, default=3,
                   help="no ingress may have brought this many callers (0: no condition)")
    p.add_argument("--at-raise", action="store_true",
                   help="judge --max-per-ingress once a spell, on the call's own ingress at the call "
                        "that reaches N: the spell then flags its calls at N or more, or none (what "
                        "the built rule does)")
    p.add_argument("--sticky", action="store_true",
                   help="judge --max-per-ingress on the call's own ingress at every call at N or more; "
                        "the first call over it silences the spell for good (what the built rule does)")
    p.add_argument("--own-ingress", action="store_true",
                   help="judge --max-per-ingress on the call's own ingress only (what the engine sees)")
    p.add_argument("--quiet", type=float, default=3600,
                   help="seconds before the window's first caller with no call to the number (0: off)")
    p.add_argument("--n", default="3,4,5,6", help="distinct callers over every ingress")
    args = p.parse_args()
    ns = [int(x) for x in args.n.split(",")]
    window_ms, quiet_ms = int(args.window * 1000), int(args.quiet * 1000)
    typed = {}

    def subscriber(b):
        r = typed.get(b)
        if r is None:
            try:
                r = phonenumbers.number_type(phonenumbers.parse(b)) in SUBSCRIBER
            except phonenumbers.NumberParseException:
                r = False
            typed[b] = r
        return r

    legit = 0
    new_legit = collections.Counter()
    by_class = collections.Counter()
    in_range = collections.Counter()
    new_inst = collections.Counter()
    for g in sets.numbers(args.gens):
        for s in sets.numbers(args.seeds):
            d = sets.set_dir(g, s)
            if not os.path.exists(os.path.join(d, "labels.csv")):
                continue
            with open(os.path.join(d, "deploy.toml"), "rb") as fh:
                allowed = set(tomllib.load(fh).get("lists", {}).get("allow_b_numbers", []))
            with open(os.path.join(d, "labels.csv"), newline="") as fh:
                label = {r["call_id"]: r for r in csv.DictReader(fh)}
            with open(os.path.join(d, "cdrs.csv"), newline="") as fh:
                ingress = {r["call_id"]: r["trunk"] or "ip:" + r["source_ip"] for r in csv.DictReader(fh)}
            numbers = collections.defaultdict(Number)
            flagged_inst = collections.defaultdict(bool)
            reached = {n: set() for n in ns}
            intensity = {}
            score_from = None
            with open(verdicts(args, g, s)) as fh:
                for line in fh:
                    v = json.loads(line)
                    t, a, b = v["time_ms"], v["a_number"], v["b_number"]
                    if score_from is None:
                        score_from = t + HOUR_MS
                    n_callers = 0
                    n_by = None  # per N, with --at-raise
                    if b not in allowed and subscriber(b):
                        num = numbers[b]
                        num.add(t, a, ingress[v["call_id"]], window_ms)
                        first = num.calls[0][0]
                        quiet = not quiet_ms or num.last_out is None or num.last_out <= first - quiet_ms
                        own = ingress[v["call_id"]]
                        most = (num.per_ingress[own] if args.own_ingress or args.at_raise or args.sticky
                                else max(num.per_ingress.values()))
                        spread = not args.max_per_ingress or most < args.max_per_ingress
                        if quiet and args.sticky:
                            # Flag at N or more until a call's own route brings the most.
                            n_callers = len(num.callers)
                            n_by = {}
                            for n in ns:
                                if n_callers >= n and not spread:
                                    num.decided[(first, n)] = False
                                ok = n_callers >= n and num.decided.get((first, n), True)
                                n_by[n] = n_callers if ok else 0
                        elif quiet and args.at_raise:
                            # One decision a spell and N, at the call that reaches N.
                            n_callers = len(num.callers)
                            for n in ns:
                                if n_callers >= n and (first, n) not in num.decided:
                                    num.decided[(first, n)] = spread
                            n_by = {n: n_callers if num.decided.get((first, n)) else 0 for n in ns}
                        elif quiet and spread:
                            n_callers = len(num.callers)
                    if t < score_from:
                        continue
                    flagged = v["action"] != "allow"
                    lab = label[v["call_id"]]
                    if lab["class"] == "legit":
                        if "roam" in lab["type"]:
                            continue
                        legit += 1
                        for n in ns:
                            if (n_by[n] if n_by else n_callers) >= n and not flagged:
                                new_legit[n] += 1
                                by_class[(n, f"g{g}", lab["type"])] += 1
                    else:
                        k = (g, s, lab["type"], lab["instance"])
                        intensity[k] = float(lab["intensity"] or 0)
                        flagged_inst[k] |= flagged
                        for n in ns:
                            if (n_by[n] if n_by else n_callers) >= n:
                                reached[n].add(k)
            for k, x in intensity.items():
                lo, hi = RANGES.get(k[2], (float("-inf"), float("inf")))
                if not lo <= x <= hi:
                    continue
                in_range[k[2]] += 1
                for n in ns:
                    if k in reached[n] and not flagged_inst[k]:
                        new_inst[(n, k[2])] += 1
    print(f"window {args.window:g} s, no ingress with {args.max_per_ingress or 'any'}+ callers, "
          f"quiet {args.quiet:g} s; scored legitimate calls (no roamers): {legit:,}")
    print("instances in range:", ", ".join(f"{f} {in_range[f]}" for f in RANGES))
    for n in ns:
        caught = ", ".join(f"{f} +{new_inst[(n, f)]}" for f in RANGES if new_inst[(n, f)])
        print(f"N={n}: legitimate calls newly flagged {new_legit[n]:,} ({100 * new_legit[n] / max(legit, 1):.4f}%);"
              f" instances in range newly caught: {caught or 'none'}")
    print("legitimate classes newly flagged, most first:")
    for (n, g, c), k in sorted(by_class.items(), key=lambda kv: -kv[1])[:15]:
        print(f"  N={n} {g} {c}: {k}")


if __name__ == "__main__":
    main()
