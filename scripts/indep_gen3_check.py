# SPDX-License-Identifier: MIT OR Apache-2.0
"""Validation of gen3 output with Google libphonenumber (run with the venv python)."""
import csv, sys, random, collections, phonenumbers
cdr, lab = sys.argv[1], sys.argv[2]
rows = list(csv.reader(open(cdr))); labs = list(csv.reader(open(lab)))
assert rows[0] == "call_id,a_number,b_number,timestamp_ms,source_ip,trunk".split(",")
assert labs[0] == "call_id,class,type,instance,intensity,variant".split(",")
rows, labs = rows[1:], labs[1:]
assert len(rows) == len(labs) and all(r[0] == l[0] for r, l in zip(rows, labs))
assert len({r[0] for r in rows}) == len(rows), "dup call_id"
ts = [int(r[3]) for r in rows]; assert ts == sorted(ts)
print("calls", len(rows), "span h", (ts[-1] - ts[0]) / 3.6e6)
cache = {}
def valid(n):
    if n not in cache:
        try: cache[n] = phonenumbers.is_valid_number(phonenumbers.parse(n))
        except Exception: cache[n] = False
    return cache[n]
bad = collections.Counter(); tot = collections.Counter(); ex = {}
for r, l in zip(rows, labs):
    if l[1] == "legit":
        for n in (r[1], r[2]):
            tot[l[2]] += 1
            if not valid(n): bad[l[2]] += 1; ex.setdefault(l[2], n)
    else:
        k = l[2]
        tot[k] += 1
        v = valid(r[1])
        if k == "invalid_cli" and v: bad[k] += 1; ex.setdefault(k, r[1])
        if k != "invalid_cli" and not v: bad[k + "(spoofed-not-valid)"] += 1; ex.setdefault(k, r[1])
        if not valid(r[2]): bad[k + "(b)"] += 1
for k in sorted(tot): print(f"{k:18s} numbers={tot[k]:7d} bad={bad[k]}")
print("other bad:", {k: v for k, v in bad.items() if k not in tot}, ex)
print("distinct numbers checked", len(cache))
