#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR Apache-2.0
"""diff.py TAG1 TAG2: per set, the instances whose `detected` or
`fifth_caller_blocked` differ between $ACM_EVAL/res/TAG1 and TAG2
(ACM_EVAL default: <repo>/target/eval), and the
legitimate classes whose flagged or blocked counts differ (both numbers).

The report's instances carry no name: they are listed in the order the
labels file first names each (type, instance), skipping those with no call in
the scored span. For sets with a difference, names are recovered from
labels.csv + cdrs.csv and score_from_ms/score_until_ms, and checked against
the report (family, calls) (sets.names); on a mismatch the instance is shown as #index.
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the repository for sets.py
import sets  # noqa: E402  (scripts/eval/sets.py: data directory, report loading)

def fmt_i(i):
    f = i.get("fifth_caller_blocked")
    return f"det={int(i['detected'])} 5th={'-' if f is None else int(f)} caught={i['calls_caught']}/{i['calls']} rule={i.get('first_rule')}"

def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    t1, t2 = sys.argv[1:]
    a, b = sets.load(t1), sets.load(t2)
    for k in sorted(set(a) ^ set(b)):
        print(f"g{k[0]}-{k[1]}: only under {t1 if k in a else t2}")
    n_inst = n_leg = 0
    for k in sorted(set(a) & set(b)):
        ra, rb = a[k], b[k]
        s = f"g{k[0]}-{k[1]}"
        ia, ib = ra["instances"], rb["instances"]
        out = []
        if len(ia) != len(ib) or any(x["family"] != y["family"] or x["calls"] != y["calls"] for x, y in zip(ia, ib)):
            out.append(f"  instance lists differ in shape ({len(ia)} vs {len(ib)}): compared by index")
        idx = [j for j, (x, y) in enumerate(zip(ia, ib))
               if bool(x["detected"]) != bool(y["detected"]) or x.get("fifth_caller_blocked") != y.get("fifth_caller_blocked")]
        if idx:
            nm = sets.names(sets.set_dir(*k), ra)
            for j in idx:
                x, y = ia[j], ib[j]
                name = nm[j] if nm else f"#{j}"
                out.append(f"  {x['family']:<18} {name:<24} int={x.get('intensity')} var={x.get('variant','')}\n"
                           f"      {t1}: {fmt_i(x)}\n      {t2}: {fmt_i(y)}")
            n_inst += len(idx)
        la = {l["name"]: l for l in ra["legit"]}
        lb = {l["name"]: l for l in rb["legit"]}
        for name in sorted(set(la) | set(lb)):
            x, y = la.get(name), lb.get(name)
            fx = (x["flagged"], x["blocked"]) if x else (0, 0)
            fy = (y["flagged"], y["blocked"]) if y else (0, 0)
            if fx != fy:
                calls = (x or y)["calls"]
                out.append(f"  legit {name:<30} flagged {fx[0]} -> {fy[0]}, blocked {fx[1]} -> {fy[1]} (of {calls} calls)")
                n_leg += 1
        if out:
            print(s); print("\n".join(out))
    print(f"# {n_inst} instance(s) and {n_leg} legit class row(s) differ between {t1} and {t2}")

if __name__ == "__main__":
    main()
