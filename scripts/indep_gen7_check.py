#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR Apache-2.0
"""Validator for the output of indep_gen7.py.

Usage:
  python3 scripts/indep_gen7_check.py cdrs.csv labels.csv deploy.toml [bare.toml]

Needs the `phonenumbers` package (e.g. a venv: python3 -m venv /tmp/g7 &&
/tmp/g7/bin/pip install phonenumbers; then run with /tmp/g7/bin/python).
Python >= 3.11 for tomllib.

Checks: exact headers, unique call ids, sorted timestamps, labels cover
exactly the CDRs, IPv4 sources, label consistency, every family present in
both hours, intl_local_cli rows are home CLIs on a named gateway, deploy and
bare configs have exactly the expected keys, numbering validity with
phonenumbers (a-numbers valid except invalid_cli, invalid_cli a-numbers
invalid, b-numbers valid), and recomputes the intensity of the families
whose intensity is observable from the rows. Prints a summary. Exit status
0 only if every check passes.
"""

import collections
import csv
import ipaddress
import statistics
import sys

try:
    import tomllib
except ImportError:  # pragma: no cover
    sys.exit("needs Python >= 3.11 (tomllib)")
try:
    import phonenumbers
except ImportError:
    sys.exit("needs the phonenumbers package (pip install phonenumbers)")

CDR_HEADER = ["call_id", "a_number", "b_number", "timestamp_ms", "source_ip", "trunk"]
LAB_HEADER = ["call_id", "class", "type", "instance", "intensity", "variant"]
FAMILIES = ["masking_burst", "refiled_masking", "simbox", "cli_rotation",
            "intl_local_cli", "invalid_cli"]
INGRESS_KINDS = {"nic", "nic_fixed", "nic_transit", "sip_peer", "enterprise",
                 "pbx", "igw", "core"}
HOUR_MS = 3600 * 1000

errors = []


def err(msg):
    if len(errors) < 200:
        errors.append(msg)
    elif len(errors) == 200:
        errors.append("... (further errors suppressed)")


def read_csv(path, header):
    with open(path, newline="") as f:
        rd = csv.reader(f)
        hdr = next(rd, None)
        if hdr != header:
            err("%s: header %r != %r" % (path, hdr, header))
        rows = []
        for i, row in enumerate(rd, start=2):
            if len(row) != len(header):
                err("%s:%d: %d fields" % (path, i, len(row)))
                continue
            rows.append(row)
    return rows


def check_config(path, bare, ref=None):
    with open(path, "rb") as f:
        cfg = tomllib.load(f)
    if set(cfg) != {"numbering", "rules", "lists"}:
        err("%s: top-level keys %s" % (path, sorted(cfg)))
        return cfg
    if set(cfg["numbering"]) != {"country_code"}:
        err("%s: [numbering] keys %s" % (path, sorted(cfg["numbering"])))
    cc = cfg["numbering"].get("country_code")
    if not (isinstance(cc, str) and cc.isdigit()):
        err("%s: country_code %r is not a digit string" % (path, cc))
    if set(cfg["rules"]) != {"intl_ingress_local_cli"}:
        err("%s: [rules] keys %s" % (path, sorted(cfg["rules"])))
    rule = cfg["rules"].get("intl_ingress_local_cli", {})
    if set(rule) != {"trunks", "sources"}:
        err("%s: [rules.intl_ingress_local_cli] keys %s" % (path, sorted(rule)))
    for s in rule.get("sources", []):
        try:
            ipaddress.IPv4Network(s)
        except ValueError:
            err("%s: bad CIDR %r" % (path, s))
    if not rule.get("trunks") or not rule.get("sources"):
        err("%s: empty gateway trunks/sources" % path)
    if set(cfg["lists"]) != {"allow_b_numbers", "allow_a_numbers"}:
        err("%s: [lists] keys %s" % (path, sorted(cfg["lists"])))
    if bare:
        if cfg["lists"].get("allow_b_numbers") or cfg["lists"].get("allow_a_numbers"):
            err("%s: bare config lists not empty" % path)
        if ref is not None and (cfg["numbering"] != ref["numbering"] or cfg["rules"] != ref["rules"]):
            err("%s: bare config differs from deploy outside [lists]" % path)
    return cfg


def main(argv):
    if len(argv) not in (4, 5):
        sys.exit(__doc__)
    cdr_path, lab_path, dep_path = argv[1:4]
    bare_path = argv[4] if len(argv) == 5 else None

    dep = check_config(dep_path, False)
    if bare_path:
        check_config(bare_path, True, dep)
    cc = int(dep["numbering"]["country_code"])
    region = phonenumbers.region_code_for_country_code(cc)
    rule = dep["rules"]["intl_ingress_local_cli"]
    gw_trunks = set(rule["trunks"])
    gw_nets = [ipaddress.IPv4Network(s) for s in rule["sources"]]

    cdrs = read_csv(cdr_path, CDR_HEADER)
    labs = read_csv(lab_path, LAB_HEADER)

    # ids, ordering, coverage
    ids = [r[0] for r in cdrs]
    if len(set(ids)) != len(ids):
        err("duplicate call_id in CDRs")
    for cid in ids:
        if not cid or "," in cid:
            err("bad call_id %r" % cid)
            break
    lab_by_id = {}
    for r in labs:
        if r[0] in lab_by_id:
            err("duplicate call_id in labels: %s" % r[0])
        lab_by_id[r[0]] = r
    if set(lab_by_id) != set(ids):
        err("labels cover %d ids, CDRs %d ids, symmetric difference %d"
            % (len(lab_by_id), len(ids), len(set(lab_by_id) ^ set(ids))))
    prev = None
    ts = []
    for r in cdrs:
        try:
            t = int(r[3])
        except ValueError:
            err("non-integer timestamp %r" % r[3])
            t = prev or 0
        if prev is not None and t < prev:
            err("timestamps not sorted at %s" % r[0])
        prev = t
        ts.append(t)
        try:
            ipaddress.IPv4Address(r[4])
        except ValueError:
            err("bad IPv4 %r at %s" % (r[4], r[0]))
    t0 = (min(ts) // HOUR_MS) * HOUR_MS if ts else 0

    # numbering validity (cached)
    cache = {}

    def parse(num):
        if num not in cache:
            try:
                p = phonenumbers.parse(num, region)
                cache[num] = (phonenumbers.is_valid_number(p), p.country_code,
                              phonenumbers.format_number(p, phonenumbers.PhoneNumberFormat.E164))
            except phonenumbers.NumberParseException:
                cache[num] = (False, None, num)
        return cache[num][:2]

    def norm(num):
        parse(num)
        return cache[num][2]

    per_hour = collections.Counter()
    inst_rows = collections.defaultdict(list)
    inst_meta = {}
    fam_hours = collections.defaultdict(set)
    variants = collections.defaultdict(collections.Counter)
    flags = collections.defaultdict(collections.Counter)
    bad_a = bad_inv = bad_b = 0
    legit_a, legit_b = set(), set()
    for r, t in zip(cdrs, ts):
        lab = lab_by_id.get(r[0])
        if lab is None:
            continue
        _, cls, typ, inst, inten, var = lab
        hour = (t - t0) // HOUR_MS
        if hour not in (0, 1):
            err("row outside the two hours: %s" % r[0])
        a_ok, a_cc = parse(r[1])
        b_ok, _ = parse(r[2])
        if not b_ok:
            bad_b += 1
            if bad_b <= 5:
                err("invalid b-number %r (%s %s)" % (r[2], cls, typ))
        if cls == "legit":
            if not typ or inst or inten or var:
                err("legit row with bad fields: %s" % ",".join(lab))
            per_hour[("legit", typ, hour)] += 1
            legit_a.add(r[1])
            legit_b.add(r[2])
        elif cls == "attack":
            if typ not in FAMILIES:
                err("unknown family %r" % typ)
                continue
            if not inst or not var:
                err("attack row without instance/variant: %s" % r[0])
            try:
                x = float(inten)
                if not x > 0:
                    raise ValueError
            except ValueError:
                err("attack intensity not > 0: %r at %s" % (inten, r[0]))
            meta = (typ, inten, var)
            if inst in inst_meta and inst_meta[inst] != meta:
                err("instance %s has inconsistent type/intensity/variant" % inst)
            inst_meta.setdefault(inst, meta)
            inst_rows[inst].append((t, r))
            per_hour[("attack", typ, hour)] += 1
            fam_hours[typ].add(hour)
            kind = var.split(";")[0]
            if kind not in INGRESS_KINDS:
                err("variant's first token %r is not an ingress kind" % kind)
            if typ == "invalid_cli":
                if a_ok:
                    bad_inv += 1
                    if bad_inv <= 5:
                        err("invalid_cli a-number is valid: %r" % r[1])
            if typ == "intl_local_cli":
                if a_cc != cc:
                    err("intl_local_cli a-number not a home CLI: %r" % r[1])
                ip = ipaddress.IPv4Address(r[4])
                if r[5] not in gw_trunks or not any(ip in n for n in gw_nets):
                    err("intl_local_cli row not on a named gateway: %s %s" % (r[4], r[5]))
        else:
            err("unknown class %r" % cls)
        if cls == "legit" or (cls == "attack" and typ != "invalid_cli"):
            if not a_ok:
                bad_a += 1
                if bad_a <= 5:
                    err("invalid a-number %r (%s %s)" % (r[1], cls, typ))
    for fam in FAMILIES:
        if fam_hours[fam] != {0, 1}:
            err("family %s present in hours %s" % (fam, sorted(fam_hours[fam])))

    # allow lists
    for key, seen in (("allow_b_numbers", legit_b), ("allow_a_numbers", legit_a)):
        for num in dep["lists"][key]:
            if not parse(num)[0]:
                err("%s entry %r invalid" % (key, num))
            if num not in seen:
                err("%s entry %r never used by legit traffic" % (key, num))

    # intensity recomputation where observable
    fam_int = collections.defaultdict(lambda: collections.defaultdict(list))
    mism = 0
    for inst, rows in inst_rows.items():
        typ, inten, var = inst_meta[inst]
        x = float(inten) if inten else 0.0
        hour = (min(t for t, _ in rows) - t0) // HOUR_MS
        fam_int[typ][hour].append(x)
        toks = var.split(";")
        variants[typ][toks[0]] += 1
        for tok in toks[1:]:
            if not tok.startswith(("n=", "distinct=", "sims=", "sims_total=", "minutes=")):
                flags[typ][tok] += 1
        rows.sort(key=lambda z: z[0])
        span = (rows[-1][0] - rows[0][0]) / 1000.0
        clis = [norm(r[1]) for _, r in rows]  # format variants count once
        exp = None
        if typ == "masking_burst":
            exp = (len(rows) - 1) / span if span > 0 else None
        elif typ == "refiled_masking":
            exp = len(set(clis)) * 60.0 / span if span > 0 else None
        elif typ == "cli_rotation":
            exp = (len(set(clis)) - 1) / span if span > 0 else None
        elif typ in ("intl_local_cli", "invalid_cli"):
            exp = float(len(rows))
        if exp is not None and abs(exp - x) > 0.02 * max(exp, x):
            mism += 1
            if mism <= 5:
                err("instance %s (%s): label intensity %s, rows give %.6g" % (inst, typ, inten, exp))

    # ------------------------------------------------------------ report
    print("rows: %d  instances: %d  distinct numbers parsed: %d" % (len(cdrs), len(inst_rows), len(cache)))
    print("\nper-class calls per hour")
    print("  %-8s %-28s %8s %8s" % ("class", "type", "hour0", "hour1"))
    keys = sorted({(c, t) for c, t, _ in per_hour}, key=lambda k: (k[0] != "legit", -per_hour[(k[0], k[1], 0)]))
    tot = collections.Counter()
    for c, t in keys:
        h0, h1 = per_hour[(c, t, 0)], per_hour[(c, t, 1)]
        tot[(c, 0)] += h0
        tot[(c, 1)] += h1
        print("  %-8s %-28s %8d %8d" % (c, t, h0, h1))
    for c in ("legit", "attack"):
        print("  %-8s %-28s %8d %8d" % (c, "TOTAL", tot[(c, 0)], tot[(c, 1)]))
    print("  %-8s %-28s %8d %8d" % ("all", "TOTAL", tot[("legit", 0)] + tot[("attack", 0)],
                                      tot[("legit", 1)] + tot[("attack", 1)]))
    print("\nattack instances (by hour of first call) and intensity min / median / max")
    for fam in FAMILIES:
        allv = fam_int[fam][0] + fam_int[fam][1]
        if not allv:
            print("  %-16s none" % fam)
            continue
        print("  %-16s h0=%3d h1=%3d  %.4g / %.4g / %.4g" % (
            fam, len(fam_int[fam][0]), len(fam_int[fam][1]),
            min(allv), statistics.median(allv), max(allv)))
    print("\nvariant ingress kinds (first token) and other variant tokens")
    for fam in FAMILIES:
        print("  %-16s %s" % (fam, dict(sorted(variants[fam].items()))))
        print("  %-16s %s" % ("", dict(sorted(flags[fam].items()))))
    print()
    if errors:
        print("FAIL (%d problems)" % len(errors))
        for e in errors:
            print("  - " + e)
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
