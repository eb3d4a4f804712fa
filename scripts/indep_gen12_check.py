# SPDX-License-Identifier: MIT OR Apache-2.0
"""Checker for sets made by indep_gen12.py (India, +91).

Usage:
  /tmp/g12/bin/python indep_gen12_check.py SETDIR [SETDIR ...]
  (SETDIR holds cdrs.csv, labels.csv, deploy.toml, bare.toml)

Needs the `phonenumbers` package (python3 -m venv /tmp/g12 &&
/tmp/g12/bin/pip install phonenumbers).  Checks headers, time order, ids,
label alignment, label vocabulary, number validity per label, ingress rules
per family, intensities recomputed from rows, instance counts per hour and
traffic volumes, and the TOML shape.  Exit status 0 only if every set passes.
"""

import collections
import csv
import ipaddress
import os
import re
import sys
import tomllib

import phonenumbers

ATTACKS = {"masking_burst", "refiled_masking", "simbox", "cli_rotation", "intl_local_cli", "invalid_cli"}
HOUR_MS = 3_600_000
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
# loose sweep bounds for the recomputed intensities (generator sweeps, plus slack)
SWEEP = {"masking_burst": (0.05, 200), "refiled_masking": (0.1, 200), "simbox": (0.05, 40),
         "cli_rotation": (0.03, 120), "intl_local_cli": (1, 80), "invalid_cli": (1, 40)}

_cache = {}


def valid(num):
    v = _cache.get(num)
    if v is None:
        try:
            p = phonenumbers.parse(num, None)
            v = (phonenumbers.is_valid_number(p), p.country_code)
        except phonenumbers.NumberParseException:
            v = (False, None)
        _cache[num] = v
    return v


def check(setdir):
    errs = []
    notes = []

    def err(msg):
        if len(errs) < 30:
            errs.append(msg)

    with open(os.path.join(setdir, "cdrs.csv"), newline="") as f:
        cdr = list(csv.reader(f))
    with open(os.path.join(setdir, "labels.csv"), newline="") as f:
        lab = list(csv.reader(f))
    if cdr[0] != ["call_id", "a_number", "b_number", "timestamp_ms", "source_ip", "trunk"]:
        err("bad cdrs header %r" % cdr[0])
    if lab[0] != ["call_id", "class", "type", "instance", "intensity", "variant"]:
        err("bad labels header %r" % lab[0])
    cdr, lab = cdr[1:], lab[1:]
    if len(cdr) != len(lab):
        err("row count differs: %d vs %d" % (len(cdr), len(lab)))

    # ---- config
    with open(os.path.join(setdir, "deploy.toml"), "rb") as f:
        dep = tomllib.load(f)
    with open(os.path.join(setdir, "bare.toml"), "rb") as f:
        bare = tomllib.load(f)
    for name, c in (("deploy", dep), ("bare", bare)):
        if set(c) != {"numbering", "rules", "lists"}:
            err("%s.toml top-level keys %r" % (name, sorted(c)))
        if c.get("numbering", {}).get("country_code") != "91":
            err("%s.toml country_code" % name)
        rl = c.get("rules", {}).get("intl_ingress_local_cli", {})
        if set(rl) != {"trunks", "sources"}:
            err("%s.toml rule keys" % name)
        if set(c.get("lists", {})) != {"allow_b_numbers", "allow_a_numbers"}:
            err("%s.toml list keys" % name)
    if bare["lists"]["allow_b_numbers"] or bare["lists"]["allow_a_numbers"]:
        err("bare.toml lists not empty")
    if bare["rules"] != dep["rules"] or bare["numbering"] != dep["numbering"]:
        err("bare.toml differs from deploy.toml outside [lists]")
    for x in dep["lists"]["allow_b_numbers"] + dep["lists"]["allow_a_numbers"]:
        if not E164.match(x) or not valid(x)[0]:
            err("list entry not valid E.164: %s" % x)
    intl_trunks = set(dep["rules"]["intl_ingress_local_cli"]["trunks"])
    intl_nets = [ipaddress.ip_network(s) for s in dep["rules"]["intl_ingress_local_cli"]["sources"]]

    def is_intl(ip, trunk):
        if trunk and trunk in intl_trunks:
            return True
        a = ipaddress.ip_address(ip)
        return any(a in n for n in intl_nets)

    # ---- rows
    ids = set()
    prev = None
    t_first = int(cdr[0][3]) if cdr else 0
    inst = collections.defaultdict(list)
    inst_meta = {}
    legit_types = collections.Counter()
    per_hour = collections.Counter()
    legit_hour = collections.Counter()
    legit_b, legit_a = set(), set()
    intl_ctr = collections.Counter()
    for i, (c, l) in enumerate(zip(cdr, lab)):
        if len(c) != 6 or len(l) != 6:
            err("row %d wrong field count" % i)
            continue
        cid, a, b, ts, ip, trunk = c
        lcid, cls, typ, ins, inten, var = l
        if cid != lcid:
            err("row %d call_id mismatch" % i)
        if cid in ids:
            err("duplicate call_id %s" % cid)
        ids.add(cid)
        try:
            ts = int(ts)
            ipaddress.ip_address(ip)
        except ValueError:
            err("row %d bad timestamp/ip" % i)
            continue
        if prev is not None and ts < prev:
            err("row %d out of order" % i)
        prev = ts
        h = (ts - t_first) // HOUR_MS
        per_hour[h] += 1
        if not E164.match(b) or not valid(b)[0]:
            err("row %d invalid b-number %s (%s)" % (i, b, typ))
        if cls == "legit":
            if typ in ATTACKS or not typ or ins or inten:
                err("row %d bad legit label" % i)
            if not E164.match(a) or not valid(a)[0]:
                err("row %d legit invalid a-number %s (%s)" % (i, a, typ))
            legit_types[typ] += 1
            legit_hour[h] += 1
            legit_a.add(a)
            legit_b.add(b)
            if is_intl(ip, trunk):
                intl_ctr["legit_indian" if valid(a)[1] == 91 else "legit_foreign"] += 1
        elif cls == "attack":
            if typ not in ATTACKS or not ins:
                err("row %d bad attack label" % i)
                continue
            try:
                iv = float(inten)
                assert iv > 0
            except (ValueError, AssertionError):
                err("row %d bad intensity %r" % (i, inten))
                continue
            meta = (typ, inten, var)
            if inst_meta.setdefault(ins, meta) != meta:
                err("instance %s has mixed type/intensity/variant" % ins)
            inst[ins].append((ts, a, b, ip, trunk))
            v, cc = valid(a)
            if typ == "invalid_cli":
                digits = len(a) - 1
                if v or not a.startswith("+91") or not a[1:].isdigit() or not 11 <= digits <= 13:
                    err("row %d invalid_cli a-number not the expected invalid form: %s" % (i, a))
            else:
                if not E164.match(a) or not v:
                    err("row %d attack %s has invalid a-number %s" % (i, typ, a))
            if typ == "intl_local_cli":
                if cc != 91:
                    err("row %d intl_local_cli a-number not Indian: %s" % (i, a))
                if not is_intl(ip, trunk):
                    err("row %d intl_local_cli not on a configured intl gateway" % i)
            if typ == "refiled_masking" and is_intl(ip, trunk):
                err("row %d refiled_masking arrived on an intl gateway" % i)
            if typ == "refiled_masking" and cc != 91:
                err("row %d refiled_masking CLI not Indian" % i)
        else:
            err("row %d bad class %r" % (i, cls))
    if cdr and int(cdr[-1][3]) - t_first >= 2 * HOUR_MS:
        err("data spans more than two hours")

    # ---- instances and intensities
    fam_hour = collections.Counter()
    fam_rows = collections.Counter()
    for ins, calls in inst.items():
        typ, inten, var = inst_meta[ins]
        iv = float(inten)
        ts = [c[0] for c in calls]
        span = ts[-1] - ts[0]
        A = [c[1] for c in calls]
        B = [c[2] for c in calls]
        n = len(calls)
        fam_hour[(typ, (ts[0] - t_first) // HOUR_MS)] += 1
        fam_rows[typ] += n
        if typ in ("masking_burst", "refiled_masking"):
            if len(set(B)) != 1:
                err("%s: more than one callee" % ins)
            if len(set(A)) != n:
                err("%s: CLIs not all distinct" % ins)
            if span <= 0:
                err("%s: zero span" % ins)
                continue
            rec = (n - 1) / (span / (1000.0 if typ == "masking_burst" else 60000.0))
            if typ == "refiled_masking" and not (2 <= n <= 8 and 5000 <= span <= 300000):
                err("%s: refile shape n=%d span=%d" % (ins, n, span))
        elif typ == "simbox":
            sims = len(set(A))
            if not 1 <= sims <= 32:
                err("%s: %d SIMs" % (ins, sims))
            if span <= 0:
                err("%s: zero span" % ins)
                continue
            rec = n / sims / (span / 60000.0)
            if n > 3 and len(set(B)) < 0.5 * n:
                err("%s: too few distinct callees" % ins)
        elif typ == "cli_rotation":
            if len(set((c[3], c[4]) for c in calls)) != 1:
                err("%s: more than one source" % ins)
            if span <= 0:
                err("%s: zero span" % ins)
                continue
            rec = (len(set(A)) - 1) / (span / 1000.0)
        else:
            rec = n
        if abs(rec - iv) > 0.001 + 0.005 * iv:
            err("%s: intensity label %s, recomputed %.4f" % (ins, inten, rec))
        lo, hi = SWEEP[typ]
        if not lo <= iv <= hi:
            err("%s: intensity %s outside sweep" % (ins, inten))

    for typ in sorted(ATTACKS):
        for h in (0, 1):
            k = fam_hour[(typ, h)]
            if not 18 <= k <= 32:
                err("%s: %d instances in hour %d" % (typ, k, h))
    for h in (0, 1):
        if not 45000 <= legit_hour[h] <= 62000:
            err("hour %d legit volume %d" % (h, legit_hour[h]))
        if not 50000 <= per_hour[h] <= 66000:
            err("hour %d total volume %d" % (h, per_hour[h]))
    if len(legit_types) < 10:
        err("only %d legit classes" % len(legit_types))
    used_b = sum(1 for x in dep["lists"]["allow_b_numbers"] if x in legit_b)
    used_a = sum(1 for x in dep["lists"]["allow_a_numbers"] if x in legit_a)
    if used_b == 0 or used_a == 0:
        err("allow lists not used by legit traffic")
    notes.append("rows=%d hours=%s legit/h=%s instances=%s attack_rows=%s" % (
        len(cdr), [per_hour[0], per_hour[1]], [legit_hour[0], legit_hour[1]],
        dict(sorted(collections.Counter(m[0] for m in inst_meta.values()).items())),
        dict(sorted(fam_rows.items()))))
    notes.append("allow_b used %d/%d, allow_a used %d/%d; legit calls on intl gateways %s" % (
        used_b, len(dep["lists"]["allow_b_numbers"]), used_a, len(dep["lists"]["allow_a_numbers"]),
        dict(intl_ctr)))
    return errs, notes


def main():
    ok = True
    for d in sys.argv[1:]:
        errs, notes = check(d)
        print("%s: %s" % (d, "PASS" if not errs else "FAIL"))
        for n in notes:
            print("  " + n)
        for e in errs:
            print("  ERROR " + e)
        ok = ok and not errs
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
