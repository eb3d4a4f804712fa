# SPDX-License-Identifier: MIT OR Apache-2.0
"""Validator for a gen13 (Bangladesh, +880) generated set.

Usage:
  /tmp/g13/bin/python indep_gen13_check.py DIR     (DIR holds cdrs.csv, labels.csv,
                                                     deploy.toml, bare.toml)

Checks headers, time order, unique and aligned call ids, label fields,
number validity per label with the `phonenumbers` package, attack
intensities recomputed from the rows, per-family structure, instance counts
and hourly volumes, and the shape of deploy.toml / bare.toml.
Exit status 0 when every check passes.
"""

import csv
import ipaddress
import os
import sys
import tomllib
from collections import defaultdict

import phonenumbers

CDR_HDR = ["call_id", "a_number", "b_number", "timestamp_ms", "source_ip", "trunk"]
LAB_HDR = ["call_id", "class", "type", "instance", "intensity", "variant"]
FAMILIES = ["masking_burst", "refiled_masking", "simbox", "cli_rotation", "intl_local_cli", "invalid_cli"]
HOUR = 3_600_000

errors = []


def err(msg):
    if len(errors) < 50:
        print("FAIL:", msg)
    errors.append(msg)


_cache = {}


def info(num):
    v = _cache.get(num)
    if v is None:
        try:
            p = phonenumbers.parse(num, None)
            v = (phonenumbers.is_valid_number(p), phonenumbers.region_code_for_number(p), p.country_code)
        except phonenumbers.NumberParseException:
            v = (False, None, None)
        _cache[num] = v
    return v


def close(a, b, tol=1e-4):
    return abs(a - b) <= tol * max(abs(a), abs(b), 1e-9)


def main(d):
    with open(os.path.join(d, "cdrs.csv"), newline="") as f:
        cdr = list(csv.reader(f))
    with open(os.path.join(d, "labels.csv"), newline="") as f:
        lab = list(csv.reader(f))
    if cdr[0] != CDR_HDR:
        err("cdrs header %r" % cdr[0])
    if lab[0] != LAB_HDR:
        err("labels header %r" % lab[0])
    cdr, lab = cdr[1:], lab[1:]
    if len(cdr) != len(lab):
        err("row count mismatch %d vs %d" % (len(cdr), len(lab)))

    # configs
    with open(os.path.join(d, "deploy.toml"), "rb") as f:
        dep = tomllib.load(f)
    with open(os.path.join(d, "bare.toml"), "rb") as f:
        bare = tomllib.load(f)
    for name, c in (("deploy", dep), ("bare", bare)):
        if set(c) != {"numbering", "rules", "lists"}:
            err("%s top-level keys %r" % (name, sorted(c)))
        if c["numbering"] != {"country_code": "880"}:
            err("%s numbering %r" % (name, c["numbering"]))
        if set(c["rules"]) != {"intl_ingress_local_cli"} or \
                set(c["rules"]["intl_ingress_local_cli"]) != {"trunks", "sources"}:
            err("%s rules shape" % name)
        if set(c["lists"]) != {"allow_b_numbers", "allow_a_numbers"}:
            err("%s lists shape" % name)
    if bare["lists"]["allow_a_numbers"] or bare["lists"]["allow_b_numbers"]:
        err("bare lists not empty")
    if bare["rules"] != dep["rules"]:
        err("bare rules differ from deploy rules")
    igw_trunks = set(dep["rules"]["intl_ingress_local_cli"]["trunks"])
    igw_nets = [ipaddress.ip_network(s) for s in dep["rules"]["intl_ingress_local_cli"]["sources"]]
    for x in dep["lists"]["allow_a_numbers"] + dep["lists"]["allow_b_numbers"]:
        if not info(x)[0]:
            err("listed number invalid %s" % x)

    def is_igw(ip, trunk):
        if trunk in igw_trunks:
            return True
        a = ipaddress.ip_address(ip)
        return any(a in n for n in igw_nets)

    ids = set()
    prev = -1
    t_first = int(cdr[0][3]) if cdr else 0
    inst_rows = defaultdict(list)
    inst_meta = {}
    hour_counts = defaultdict(int)
    legit_types = defaultdict(int)
    attack_types = defaultdict(int)
    for i, (c, l) in enumerate(zip(cdr, lab)):
        if len(c) != 6 or len(l) != 6:
            err("row %d field count" % i)
            continue
        cid, a, b, ts, ip, trunk = c
        if cid != l[0]:
            err("row %d id mismatch" % i)
        if cid in ids:
            err("duplicate id %s" % cid)
        ids.add(cid)
        t = int(ts)
        if t < prev:
            err("row %d out of order" % i)
        prev = t
        if t - t_first >= 2 * HOUR:
            err("row %d beyond two hours" % i)
        hour_counts[(t - t_first) // HOUR] += 1
        try:
            ipaddress.ip_address(ip)
        except ValueError:
            err("row %d bad ip %r" % (i, ip))
        if not a.startswith("+") or not b.startswith("+") or not a[1:].isdigit() or not b[1:].isdigit():
            err("row %d numbers not E.164 %s %s" % (i, a, b))
        cls, typ, inst, inten, var = l[1:]
        if not info(b)[0]:
            err("row %d invalid B-number %s (%s)" % (i, b, typ))
        if cls == "legit":
            legit_types[typ] += 1
            if inst or inten:
                err("row %d legit with instance/intensity" % i)
            if not info(a)[0] or a.startswith("+8800"):
                err("row %d legit invalid A %s (%s)" % (i, a, typ))
        elif cls == "attack":
            attack_types[typ] += 1
            if typ not in FAMILIES:
                err("row %d unknown attack type %s" % (i, typ))
            if not inst or not inten or float(inten) <= 0:
                err("row %d attack without instance/intensity" % i)
            if not var:
                err("row %d attack without variant" % i)
            if inst in inst_meta and inst_meta[inst] != (typ, inten):
                err("instance %s inconsistent type/intensity" % inst)
            inst_meta[inst] = (typ, inten)
            inst_rows[inst].append((t, a, b, ip, trunk))
            ok, region, cc = info(a)
            if typ == "invalid_cli":
                nd = len(a) - 1
                # phonenumbers strips a leading trunk prefix (+880 0 1711...) and calls the
                # result valid; an E.164 NSN can never start with 0, so count that as invalid
                if ok and not a.startswith("+8800"):
                    err("invalid_cli with valid A %s" % a)
                if cc != 880 or not (11 <= nd <= 15):
                    err("invalid_cli A fails the length/country check %s" % a)
            else:
                if not ok or a.startswith("+8800"):
                    err("%s with invalid A %s" % (typ, a))
            if typ == "intl_local_cli":
                if region != "BD":
                    err("intl_local_cli A not Bangladeshi %s" % a)
                if not is_igw(ip, trunk):
                    err("intl_local_cli not on an IGW ingress %s %s" % (ip, trunk))
        else:
            err("row %d bad class %s" % (i, cls))

    # per-instance structure and intensity
    per_fam = defaultdict(int)
    for inst, rows in inst_rows.items():
        typ, inten = inst_meta[inst]
        x = float(inten)
        per_fam[typ] += 1
        ts = [r[0] for r in rows]
        span = ts[-1] - ts[0]
        As = [r[1] for r in rows]
        Bs = set(r[2] for r in rows)
        if typ in ("masking_burst", "refiled_masking"):
            if len(Bs) != 1:
                err("%s: %d callees" % (inst, len(Bs)))
            if len(set(As)) != len(As):
                err("%s: CLIs repeat" % inst)
            if span <= 0:
                err("%s: zero span" % inst)
                continue
            unit = 1000.0 if typ == "masking_burst" else 60000.0
            y = (len(As) - 1) / (span / unit)
            if not close(x, y):
                err("%s intensity %s recomputed %.6f" % (inst, inten, y))
            if typ == "refiled_masking":
                if not (2 <= len(As) <= 8) or not (4900 <= span <= 300100):
                    err("%s: %d CLIs over %d ms outside sweep" % (inst, len(As), span))
                if any(is_igw(r[3], r[4]) for r in rows):
                    err("%s: refiled call on IGW ingress" % inst)
        elif typ == "cli_rotation":
            srcs = set((r[3], r[4]) for r in rows)
            if len(srcs) != 1:
                err("%s: %d sources" % (inst, len(srcs)))
            y = (len(set(As)) - 1) / (span / 1000.0)
            if not close(x, y):
                err("%s intensity %s recomputed %.6f" % (inst, inten, y))
        elif typ == "simbox":
            sims = defaultdict(list)
            for r in rows:
                sims[r[1]].append(r[0])
            if not (1 <= len(sims) <= 32):
                err("%s: %d SIMs" % (inst, len(sims)))
            rates = []
            for s, st in sims.items():
                if len(st) < 2 or st[-1] == st[0]:
                    err("%s: SIM %s with <2 calls" % (inst, s))
                    continue
                rates.append((len(st) - 1) / ((st[-1] - st[0]) / 60000.0))
            y = sum(rates) / max(1, len(rates))
            if not close(x, y):
                err("%s intensity %s recomputed %.6f" % (inst, inten, y))
            if span > 62 * 60000:
                err("%s lasts %.1f min" % (inst, span / 60000))
            if len(Bs) < min(len(rows), 3):
                err("%s: too few distinct callees" % inst)
        elif typ in ("intl_local_cli", "invalid_cli"):
            if not close(x, float(len(rows))):
                err("%s intensity %s but %d calls" % (inst, inten, len(rows)))
            if typ == "intl_local_cli" and not (1 <= len(rows) <= 80):
                err("%s size" % inst)
            if typ == "invalid_cli" and not (1 <= len(rows) <= 40):
                err("%s size" % inst)

    # volumes
    for fam in FAMILIES:
        n = per_fam.get(fam, 0)
        if not (40 <= n <= 60):
            err("family %s has %d instances in two hours (want 20-30/h)" % (fam, n))
    if sorted(hour_counts) != [0, 1]:
        err("hours present %r" % sorted(hour_counts))
    for h, n in sorted(hour_counts.items()):
        if not (54000 <= n <= 61000):
            err("hour %d has %d INVITEs" % (h, n))
    need = ["national_interconnect", "international_inbound", "hotline", "tv_radio_callin",
            "conference_bridge", "call_centre", "pbx_ddi", "small_business", "heavy_user",
            "call_forwarding", "outbound_roamer_call_home", "transit_fixed_iptsp"]
    for t in need:
        if legit_types.get(t, 0) == 0:
            err("legit class %s missing" % t)
    # listed numbers are used by the legitimate classes they describe
    legit_a = set(c[1] for c, l in zip(cdr, lab) if l[1] == "legit" and l[2] == "call_centre")
    legit_b = set(c[2] for c, l in zip(cdr, lab) if l[1] == "legit" and l[2] in
                  ("hotline", "tv_radio_callin", "conference_bridge"))
    for x in dep["lists"]["allow_a_numbers"]:
        if x not in legit_a:
            err("listed A %s not a call-centre CLI" % x)
    for x in dep["lists"]["allow_b_numbers"]:
        if x not in legit_b:
            err("listed B %s not a hotline/bridge" % x)

    print("%s: %d rows, hours %s, attack rows %d, instances %s" % (
        d, len(cdr), dict(sorted(hour_counts.items())), sum(attack_types.values()),
        ", ".join("%s=%d" % (f, per_fam.get(f, 0)) for f in FAMILIES)))
    if errors:
        print("FAILED: %d problems" % len(errors))
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
