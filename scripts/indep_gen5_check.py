#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR Apache-2.0
"""Validate output of indep_gen5.py and print per-class / per-family summaries.

    /tmp/g5/bin/python scripts/indep_gen5_check.py CDRS LABELS DEPLOY_TOML [BARE_TOML]

Uses the `phonenumbers` package (if importable) to check that legitimate and
non-invalid attack CLIs are valid numbers and that invalid_cli CLIs are not.
Exits non-zero on any structural error or validity mismatch.
"""

import collections
import csv
import ipaddress
import sys
import tomllib

try:
    import phonenumbers
except ImportError:  # structural checks still run
    phonenumbers = None

FAMILIES = {"masking_burst", "refiled_masking", "simbox", "cli_rotation", "intl_local_cli", "invalid_cli"}
CDR_HDR = ["call_id", "a_number", "b_number", "timestamp_ms", "source_ip", "trunk"]
LAB_HDR = ["call_id", "class", "type", "instance", "intensity", "variant"]


def parse_gh(num):
    """Parse like a switch would: E.164 '+...', else Ghanaian national (0... or bare NSN)."""
    if num.startswith("+"):
        return phonenumbers.parse(num, None)
    return phonenumbers.parse(num, "GH")


def valid(num):
    try:
        return phonenumbers.is_valid_number(parse_gh(num))
    except phonenumbers.NumberParseException:
        return False


def is_home(num):
    return num.startswith("+233") or (not num.startswith("+"))


def main():
    if len(sys.argv) < 4:
        print(__doc__)
        return 2
    cdr_p, lab_p, dep_p = sys.argv[1:4]
    errors = []
    with open(cdr_p, newline="") as f:
        r = csv.reader(f)
        hdr = next(r)
        if hdr != CDR_HDR:
            errors.append("bad CDR header %r" % hdr)
        cdrs = [row for row in r]
    with open(lab_p, newline="") as f:
        r = csv.reader(f)
        hdr = next(r)
        if hdr != LAB_HDR:
            errors.append("bad labels header %r" % hdr)
        labs = [row for row in r]
    with open(dep_p, "rb") as f:
        dep = tomllib.load(f)
    keys = {"numbering": {"country_code"}, "rules": {"intl_ingress_local_cli"}, "lists": {"allow_b_numbers", "allow_a_numbers"}}
    if set(dep) != set(keys) or any(set(dep[k]) != v for k, v in keys.items()) or \
            set(dep["rules"]["intl_ingress_local_cli"]) != {"trunks", "sources"}:
        errors.append("deploy.toml keys differ from the required set")
    if len(sys.argv) > 4:
        with open(sys.argv[4], "rb") as f:
            bare = tomllib.load(f)
        if bare["lists"]["allow_b_numbers"] or bare["lists"]["allow_a_numbers"] or \
                bare["rules"] != dep["rules"] or bare["numbering"] != dep["numbering"]:
            errors.append("bare config is not the deploy config with empty lists")

    ids = [c[0] for c in cdrs]
    if len(set(ids)) != len(ids):
        errors.append("duplicate call_id")
    if any("," in i or not i for i in ids):
        errors.append("bad call_id")
    ts = [int(c[3]) for c in cdrs]
    if ts != sorted(ts):
        errors.append("CDRs not sorted by timestamp")
    if [l[0] for l in labs] != ids:
        if set(l[0] for l in labs) != set(ids):
            errors.append("labels do not cover exactly the CDR call_ids")
    for c in cdrs:
        try:
            ipaddress.IPv4Address(c[4])
        except ValueError:
            errors.append("bad source_ip %r" % c[4])
            break
    lab = {l[0]: l for l in labs}
    t0 = ts[0] - ts[0] % 3600000
    igw_trunks = set(dep["rules"]["intl_ingress_local_cli"]["trunks"])
    igw_nets = [ipaddress.ip_network(s) for s in dep["rules"]["intl_ingress_local_cli"]["sources"]]

    def on_igw(c):
        return c[5] in igw_trunks or any(ipaddress.ip_address(c[4]) in n for n in igw_nets)

    legit_n = collections.Counter()
    legit_h = collections.defaultdict(lambda: [0, 0])
    fam = collections.defaultdict(lambda: collections.defaultdict(list))
    bad_valid = collections.Counter()
    natfmt = 0
    legit_home_on_igw = collections.Counter()
    for c in cdrs:
        l = lab[c[0]]
        hour = (int(c[3]) - t0) // 3600000
        if not c[1].startswith("+") or not c[2].startswith("+"):
            natfmt += 1
        if l[1] == "legit":
            if l[3] or l[4] or l[5]:
                errors.append("legit row with instance/intensity/variant: %s" % c[0])
            legit_n[l[2]] += 1
            legit_h[l[2]][min(hour, 1)] += 1
            if on_igw(c) and is_home(c[1]):
                legit_home_on_igw[l[2]] += 1
        elif l[1] == "attack":
            if l[2] not in FAMILIES:
                errors.append("unknown family %r" % l[2])
                continue
            try:
                if float(l[4]) <= 0:
                    raise ValueError
            except ValueError:
                errors.append("bad intensity %r at %s" % (l[4], c[0]))
            fam[l[2]][l[3]].append((c, l, hour))
            if l[2] == "intl_local_cli" and not (on_igw(c) and is_home(c[1])):
                errors.append("intl_local_cli row not a home CLI on a named gateway: %s" % c[0])
        else:
            errors.append("bad class %r" % l[1])
        if phonenumbers:
            ok = valid(c[1])
            want = not (l[1] == "attack" and l[2] == "invalid_cli")
            if ok != want:
                bad_valid["%s/%s a_number %s" % (l[1], l[2], "invalid" if want else "valid")] += 1
            if not valid(c[2]):
                bad_valid["%s/%s b_number invalid" % (l[1], l[2])] += 1

    n = len(cdrs)
    span_h = (ts[-1] - ts[0]) / 3600000
    print("calls %d over %.2f h (%.0f/h); national-format rows %d (%.1f%%)" % (n, span_h, n / max(span_h, 1e-9), natfmt, 100 * natfmt / n))
    print("\nLEGIT class                calls   hour1   hour2  home-CLI-on-IGW")
    for k, v in sorted(legit_n.items(), key=lambda kv: -kv[1]):
        print("  %-22s %8d %7d %7d %6d" % (k, v, legit_h[k][0], legit_h[k][1], legit_home_on_igw[k]))
    print("  %-22s %8d" % ("TOTAL legit", sum(legit_n.values())))
    print("\nATTACK family        inst  inst/h1 inst/h2   calls  intensity min..median..max   variants (first token)")
    tot_i = tot_c = 0
    for f in sorted(FAMILIES):
        insts = fam.get(f, {})
        if not insts:
            print("  %-18s MISSING" % f)
            errors.append("family %s missing" % f)
            continue
        h = [0, 0]
        ints, calls, var = [], 0, collections.Counter()
        for iid, rows in insts.items():
            h[min(rows[0][2], 1)] += 1
            ints.append(float(rows[0][1][4]))
            calls += len(rows)
            var[rows[0][1][5].split(";")[0].split(":")[0] + "/" + (rows[0][1][5].split(";")[1] if ";" in rows[0][1][5] else "")] += 1
            if len({r[1][4] for r in rows}) != 1:
                errors.append("instance %s has mixed intensities" % iid)
        ints.sort()
        tot_i += len(insts)
        tot_c += calls
        print("  %-18s %5d %7d %7d %7d   %.3g..%.3g..%.3g" % (f, len(insts), h[0], h[1], calls, ints[0], ints[len(ints) // 2], ints[-1]))
        print("      " + ", ".join("%s:%d" % kv for kv in sorted(var.items())))
        if 0 in h:
            errors.append("family %s absent from one hour" % f)
        if f == "masking_burst":
            dist = [len({r[0][1] for r in rows}) for rows in insts.values()]
            one_b = all(len({r[0][2].lstrip("+0")[-9:] for r in rows}) == 1 for rows in insts.values())
            print("      distinct CLIs/instance %d..%d; one callee per instance: %s" % (min(dist), max(dist), one_b))
    print("  %-18s %5d (%.0f/h)   calls %d (%.1f%% of all)" % ("TOTAL", tot_i, tot_i / 2, tot_c, 100 * tot_c / n))
    print("\ndeploy: %d gateway trunks, %d gateway CIDRs, %d allow_b, %d allow_a" % (
        len(igw_trunks), len(igw_nets), len(dep["lists"]["allow_b_numbers"]), len(dep["lists"]["allow_a_numbers"])))
    if phonenumbers:
        if bad_valid:
            print("\nnumber validity mismatches:")
            for k, v in sorted(bad_valid.items()):
                print("  %-48s %d" % (k, v))
        for k, v in bad_valid.items():
            # a few foreign numbers from loose generators are tolerated in legit traffic
            if "invalid_cli" in k or v > 0.0005 * n:
                errors.append("validity mismatch: %s (%d)" % (k, v))
    else:
        print("\n(phonenumbers not importable: number validity not checked)")
    if errors:
        print("\nERRORS (%d):" % len(errors))
        for e in errors[:30]:
            print("  " + e)
        return 1
    print("\nOK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
