# SPDX-License-Identifier: MIT OR Apache-2.0
"""Checker for one gen11 data set (cdrs.csv, labels.csv, deploy.toml, bare.toml).

Run it with a Python that has the `phonenumbers` package, e.g.
  python3 -m venv /tmp/g11 && /tmp/g11/bin/pip install phonenumbers
  /tmp/g11/bin/python indep_gen11_check.py sets/1 [--seed 1 --gen indep_gen11.py]

Checks: headers; one label per CDR in the same order; unique call ids; time
order and a two-hour window; IPv4 sources; number validity per label
(every number valid in its country, except invalid_cli CLIs, which must be
invalid yet pass a plain length check); family shapes; attack intensities
recomputed from the rows; volumes per hour; the two TOML files.  With --seed
it also regenerates the set and compares bytes (determinism).
Exit status 0 only if every check passes.
"""

import argparse
import collections
import csv
import hashlib
import ipaddress
import math
import os
import subprocess
import sys
import tempfile
import tomllib

import phonenumbers as P

FAMILIES = {  # type -> (sweep low, sweep high)
    "masking_burst": (0.2, 30),
    "refiled_masking": (60.0 / 300, 7 * 60.0 / 5),
    "simbox": (0.2, 12),
    "cli_rotation": (0.1, 40),
    "intl_local_cli": (1, 80),
    "invalid_cli": (1, 40),
}
CDR_HDR = ["call_id", "a_number", "b_number", "timestamp_ms", "source_ip",
           "trunk"]
LAB_HDR = ["call_id", "class", "type", "instance", "intensity", "variant"]
HOUR = 3600000

errors = []


def err(msg):
    if len(errors) < 60:
        print("FAIL:", msg)
    errors.append(msg)


_valid_cache = {}


def valid(num):
    """Valid E.164 number that round-trips unchanged (no hidden trunk 0)."""
    r = _valid_cache.get(num)
    if r is None:
        r = False
        if num.startswith("+") and num[1:].isdigit():
            try:
                p = P.parse(num, None)
                r = (P.is_valid_number(p) and
                     P.format_number(p, P.PhoneNumberFormat.E164) == num)
            except P.NumberParseException:
                r = False
        _valid_cache[num] = r
    return r


def is_ng(num):
    return num.startswith("+234")


def rel_ok(label, actual, tol=2e-3):
    return abs(label - actual) <= tol * max(abs(actual), 1e-9)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("setdir")
    ap.add_argument("--seed", type=int)
    ap.add_argument("--gen", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "indep_gen11.py"))
    args = ap.parse_args()
    d = args.setdir
    cdr_p = os.path.join(d, "cdrs.csv")
    lab_p = os.path.join(d, "labels.csv")

    # ---- TOML ---------------------------------------------------------------
    with open(os.path.join(d, "deploy.toml"), "rb") as f:
        dep = tomllib.load(f)
    with open(os.path.join(d, "bare.toml"), "rb") as f:
        bare = tomllib.load(f)
    for name, t in (("deploy", dep), ("bare", bare)):
        if set(t) != {"numbering", "rules", "lists"}:
            err("%s.toml top-level keys %s" % (name, sorted(t)))
        if t["numbering"].get("country_code") != "NG":
            err("%s.toml country_code" % name)
        r = t["rules"]["intl_ingress_local_cli"]
        if set(r) != {"trunks", "sources"}:
            err("%s.toml rule keys" % name)
        if set(t["lists"]) != {"allow_b_numbers", "allow_a_numbers"}:
            err("%s.toml list keys" % name)
    if bare["lists"]["allow_b_numbers"] or bare["lists"]["allow_a_numbers"]:
        err("bare.toml lists not empty")
    if bare["rules"] != dep["rules"] or bare["numbering"] != dep["numbering"]:
        err("bare.toml differs from deploy.toml outside [lists]")
    igw_trunks = set(dep["rules"]["intl_ingress_local_cli"]["trunks"])
    igw_nets = [ipaddress.ip_network(c) for c in
                dep["rules"]["intl_ingress_local_cli"]["sources"]]
    allow_b = dep["lists"]["allow_b_numbers"]
    allow_a = dep["lists"]["allow_a_numbers"]
    for n in allow_a + allow_b:
        if not valid(n):
            err("invalid number in deploy lists: %s" % n)

    # ---- rows ---------------------------------------------------------------
    with open(cdr_p, newline="") as f:
        cdr = list(csv.reader(f))
    with open(lab_p, newline="") as f:
        lab = list(csv.reader(f))
    if cdr[0] != CDR_HDR:
        err("cdrs.csv header %s" % cdr[0])
    if lab[0] != LAB_HDR:
        err("labels.csv header %s" % lab[0])
    cdr, lab = cdr[1:], lab[1:]
    if len(cdr) != len(lab):
        err("row counts differ %d vs %d" % (len(cdr), len(lab)))
    ids = set()
    prev = None
    t_first = int(cdr[0][3])
    t_first -= t_first % HOUR   # sets start on a whole UTC hour
    by_inst = collections.defaultdict(list)
    legit_types = collections.Counter()
    per_hour_legit = [0, 0]
    per_hour_all = [0, 0]
    ip_cache = {}
    seen_b_legit = set()
    seen_a_cc = set()
    invalid_bad = 0
    for i, (c, l) in enumerate(zip(cdr, lab)):
        if len(c) != 6 or len(l) != 6:
            err("row %d wrong column count" % i)
            continue
        cid, a, b, ts, ip, trunk = c
        if cid != l[0]:
            err("row %d call_id mismatch" % i)
        if not cid or cid in ids:
            err("row %d call_id empty/duplicate" % i)
        ids.add(cid)
        if not ts.isdigit():
            err("row %d timestamp" % i)
            continue
        t = int(ts)
        if prev is not None and t < prev:
            err("row %d not sorted" % i)
        prev = t
        h = (t - t_first) // HOUR
        if h > 1:
            err("row %d beyond two hours" % i)
            h = 1
        per_hour_all[h] += 1
        if ip not in ip_cache:
            try:
                ip_cache[ip] = ipaddress.IPv4Address(ip)
            except ValueError:
                err("row %d bad source_ip %r" % (i, ip))
                ip_cache[ip] = None
        cls, typ, inst, inten, var = l[1:]
        if cls == "legit":
            if inst or inten or not typ:
                err("row %d legit label fields" % i)
            legit_types[typ] += 1
            per_hour_legit[h] += 1
            seen_b_legit.add(b)
            if typ == "call_centre":
                seen_a_cc.add(a)
            if not valid(a) or not valid(b):
                err("row %d legit invalid number %s %s" % (i, a, b))
        elif cls == "attack":
            if typ not in FAMILIES or not inst:
                err("row %d attack type/instance" % i)
                continue
            try:
                x = float(inten)
                if not x > 0 or math.isnan(x):
                    raise ValueError
            except ValueError:
                err("row %d intensity %r" % (i, inten))
                continue
            if not valid(b):
                err("row %d attack invalid callee %s" % (i, b))
            if typ == "invalid_cli":
                digs = a[1:]
                if (valid(a) or not a.startswith("+") or not digs.isdigit()
                        or not 11 <= len(digs) <= 15):
                    invalid_bad += 1
                    err("row %d invalid_cli CLI %s valid or fails length "
                        "check" % (i, a))
            elif not valid(a):
                err("row %d attack %s invalid CLI %s" % (i, typ, a))
            by_inst[inst].append((t, a, b, ip, trunk, typ, x, var, h))
        else:
            err("row %d class %r" % (i, cls))

    # ---- attack shapes and intensities ---------------------------------------
    def is_igw(ip, trunk):
        if trunk.startswith("IGW-") or trunk in igw_trunks:
            return True
        a = ip_cache.get(ip)
        return a is not None and any(a in n for n in igw_nets)

    fam_inst = collections.defaultdict(lambda: [0, 0])
    fam_rows = collections.Counter()
    fam_int = collections.defaultdict(list)
    for inst, rows in by_inst.items():
        typs = {r[5] for r in rows}
        ints = {r[6] for r in rows}
        if len(typs) != 1 or len(ints) != 1:
            err("instance %s mixes types/intensities" % inst)
            continue
        typ = typs.pop()
        lab_x = ints.pop()
        fam_inst[typ][rows[0][8]] += 1
        fam_rows[typ] += len(rows)
        fam_int[typ].append(lab_x)
        ts = [r[0] for r in rows]
        span = max(ts) - min(ts)
        a_set = {r[1] for r in rows}
        b_set = {r[2] for r in rows}
        lo, hi = FAMILIES[typ]
        if not (lo * 0.5 <= lab_x <= hi * 2):
            err("%s %s intensity %g outside sweep" % (typ, inst, lab_x))
        if typ == "masking_burst":
            if len(b_set) != 1 or len(a_set) != len(rows) or span <= 0:
                err("masking_burst %s shape" % inst)
                continue
            act = (len(rows) - 1) / (span / 1000.0)
        elif typ == "refiled_masking":
            if (len(b_set) != 1 or len(a_set) != len(rows) or
                    not 2 <= len(rows) <= 8 or not 4000 <= span <= 301000):
                err("refiled_masking %s shape n=%d span=%d" %
                    (inst, len(rows), span))
                continue
            if any(is_igw(r[3], r[4]) or not is_ng(r[1]) for r in rows):
                err("refiled_masking %s not domestic-looking" % inst)
            act = (len(a_set) - 1) / (span / 60000.0)
        elif typ == "simbox":
            sims = collections.defaultdict(list)
            for r in rows:
                sims[r[1]].append(r[0])
            num = den = 0.0
            for s_ts in sims.values():
                if len(s_ts) < 2:
                    err("simbox %s SIM with one call" % inst)
                num += len(s_ts) - 1
                den += (max(s_ts) - min(s_ts)) / 60000.0
            if not 1 <= len(sims) <= 32 or span > 61 * 60000:
                err("simbox %s sims=%d span=%d" % (inst, len(sims), span))
            if len(b_set) < 0.7 * len(rows):
                err("simbox %s callees not diverse" % inst)
            act = num / den if den > 0 else -1
        elif typ == "cli_rotation":
            if len({(r[3], r[4]) for r in rows}) != 1:
                err("cli_rotation %s more than one source" % inst)
            if span < 59000 or len(a_set) < 2:
                err("cli_rotation %s too short" % inst)
                continue
            act = (len(a_set) - 1) / (span / 1000.0)
        elif typ == "intl_local_cli":
            if any(not is_ng(r[1]) for r in rows):
                err("intl_local_cli %s non-+234 CLI" % inst)
            if any(not r[4].startswith("IGW-") and not is_igw(r[3], r[4])
                   for r in rows):
                err("intl_local_cli %s not on an IGW" % inst)
            act = len(rows)
        else:  # invalid_cli
            act = len(rows)
        if not rel_ok(lab_x, act):
            err("%s %s intensity label %g vs recomputed %g" %
                (typ, inst, lab_x, act))

    # ---- volumes ----------------------------------------------------------------
    for h in range(2):
        if not 50000 <= per_hour_legit[h] <= 65000:
            err("hour %d legit rows %d outside 50k-65k" % (h, per_hour_legit[h]))
    for typ in FAMILIES:
        for h in range(2):
            n = fam_inst[typ][h]
            if not 17 <= n <= 30:
                err("%s hour %d has %d instances (want ~20-30)" % (typ, h, n))
    for n in allow_b:
        if n not in seen_b_legit:
            err("allow_b number %s never called in legit traffic" % n)
    for n in allow_a:
        if n not in seen_a_cc:
            err("allow_a number %s not a call-centre CLI in the data" % n)
    for need in ("national_interconnect", "transit", "international_inbound",
                 "hotline", "radio_callin", "conference_bridge", "call_centre",
                 "pbx_ddi", "small_business", "heavy_user",
                 "outbound_roamer_home_call", "forwarded"):
        if legit_types[need] == 0:
            err("legit class %s missing" % need)

    # ---- determinism ----------------------------------------------------------
    if args.seed is not None:
        with tempfile.TemporaryDirectory() as td:
            outs = [os.path.join(td, n) for n in
                    ("cdrs.csv", "labels.csv", "deploy.toml", "bare.toml")]
            subprocess.run([sys.executable, args.gen, "--seed",
                            str(args.seed), "--out", outs[0], "--labels",
                            outs[1], "--config", outs[2], "--bare-config",
                            outs[3], "--quiet"], check=True)
            for o in outs:
                h1 = hashlib.sha256(open(o, "rb").read()).hexdigest()
                h2 = hashlib.sha256(open(os.path.join(
                    d, os.path.basename(o)), "rb").read()).hexdigest()
                if h1 != h2:
                    err("regenerated %s differs" % os.path.basename(o))

    # ---- report -----------------------------------------------------------------
    print("set %s: %d rows; per hour all %s legit %s" %
          (d, len(cdr), per_hour_all, per_hour_legit))
    for typ in FAMILIES:
        xs = sorted(fam_int[typ])
        if xs:
            print("  %-16s instances %2d+%2d rows %6d intensity %.3g..%.3g "
                  "(median %.3g)" % (typ, fam_inst[typ][0], fam_inst[typ][1],
                                     fam_rows[typ], xs[0], xs[-1],
                                     xs[len(xs) // 2]))
    print("  legit: " + ", ".join("%s=%d" % kv for kv in
                                  legit_types.most_common()))
    print("RESULT: %s (%d problems)" % ("PASS" if not errors else "FAIL",
                                       len(errors)))
    sys.exit(0 if not errors else 1)


if __name__ == "__main__":
    main()
