#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR Apache-2.0
"""Validate a gen4 data set with libphonenumber (phonenumbers).

usage: venv/bin/python check.py cdrs.csv labels.csv deploy.toml bare.toml
Exit status 0 if every check passes, 1 otherwise.  Prints a summary.
"""
import csv
import ipaddress
import statistics
import sys
import tomllib
from collections import Counter, defaultdict

import phonenumbers as pn

FAMILIES = {"masking_burst", "refiled_masking", "simbox", "cli_rotation", "intl_local_cli",
            "invalid_cli"}
errors = []


def err(msg):
    if len(errors) < 50:
        print("ERROR:", msg)
    errors.append(msg)


_cache = {}


def num_info(s, region):
    """-> (valid, region_code, e164)"""
    k = (s, region)
    if k not in _cache:
        try:
            n = pn.parse(s, None if s.startswith("+") else region)
            v = pn.is_valid_number(n)
            _cache[k] = (v, pn.region_code_for_number(n) if v else None,
                         pn.format_number(n, pn.PhoneNumberFormat.E164))
        except pn.NumberParseException:
            _cache[k] = (False, None, None)
    return _cache[k]


def main(cdrs, labels, deploy, bare):
    with open(deploy, "rb") as f:
        dep = tomllib.load(f)
    with open(bare, "rb") as f:
        bar = tomllib.load(f)
    if set(dep) != {"numbering", "rules", "lists"}:
        err("deploy.toml top-level keys %s" % sorted(dep))
    if set(bar) != {"numbering", "rules"}:
        err("bare.toml top-level keys %s" % sorted(bar))
    if set(dep["numbering"]) != {"country_code"}:
        err("numbering keys")
    if set(dep["lists"]) != {"allow_b_numbers", "allow_a_numbers"}:
        err("lists keys")
    if set(dep["rules"]) != {"intl_ingress_local_cli"} or \
            not set(dep["rules"]["intl_ingress_local_cli"]) <= {"trunks", "sources"}:
        err("rules keys")
    if bar["numbering"] != dep["numbering"] or bar["rules"] != dep["rules"]:
        err("bare differs from deploy")
    cc = dep["numbering"]["country_code"]
    region = pn.region_code_for_country_code(int(cc))
    igw_trunks = set(dep["rules"]["intl_ingress_local_cli"].get("trunks", []))
    igw_nets = [ipaddress.ip_network(x) for x in dep["rules"]["intl_ingress_local_cli"].get("sources", [])]
    allow_b = set(dep["lists"]["allow_b_numbers"])
    allow_a = set(dep["lists"]["allow_a_numbers"])
    for x in sorted(allow_a | allow_b):
        v, reg, e = num_info(x, region)
        if not v or reg != region or e != x:
            err("allow-list number not valid E.164 of home country: %s" % x)

    with open(cdrs, newline="") as f:
        rd = csv.reader(f)
        h = next(rd)
        if h != ["call_id", "a_number", "b_number", "timestamp_ms", "source_ip", "trunk"]:
            err("cdr header %s" % h)
        C = list(rd)
    with open(labels, newline="") as f:
        rd = csv.reader(f)
        h = next(rd)
        if h != ["call_id", "class", "type", "instance", "intensity", "variant"]:
            err("label header %s" % h)
        Lb = list(rd)
    if len(C) != len(Lb):
        err("row counts differ %d %d" % (len(C), len(Lb)))
    ids = [r[0] for r in C]
    if len(set(ids)) != len(ids):
        err("duplicate call_id")
    lab = {}
    for r in Lb:
        if len(r) != 6:
            err("label row width %r" % r)
            continue
        lab[r[0]] = r
    if set(lab) != set(ids):
        err("label call_ids differ from cdr call_ids")
    prev = -1
    def is_igw(ip, trunk):
        if trunk:
            return trunk in igw_trunks
        a = ipaddress.ip_address(ip)
        return any(a in n for n in igw_nets)

    counts = Counter()
    inst_rows = defaultdict(list)
    inst_meta = {}
    hour_counts = Counter()
    bad_valid = Counter()
    igw_home_legit = Counter()
    t0 = int(C[0][3]) if C else 0
    for r in C:
        if len(r) != 6:
            err("cdr row width %r" % r)
            continue
        cid, a, b, ts, ip, trunk = r
        ts = int(ts)
        if ts < prev:
            err("not sorted at %s" % cid)
        prev = ts
        try:
            ipaddress.IPv4Address(ip)
        except ValueError:
            err("bad ip %s" % ip)
        if not trunk and not ip:
            err("no ingress %s" % cid)
        L = lab.get(cid)
        if L is None:
            continue
        _, cls, typ, inst, inten, var = L
        counts[(cls, typ)] += 1
        hour_counts[(cls, (ts - t0) // 3600000)] += 1
        va, rega, ea = num_info(a, region)
        vb, regb, eb = num_info(b, region)
        if not vb:
            bad_valid[("B", cls, typ)] += 1
        if cls == "legit":
            if inst or inten or var:
                err("legit row with attack fields %s" % cid)
            if not va:
                bad_valid[("A", cls, typ)] += 1
            if va and rega == region and is_igw(ip, trunk):
                igw_home_legit[typ] += 1
            if typ != "hotline" and typ != "conference" and eb in allow_b:
                err("non-hotline legit row calls an allow-listed B %s" % cid)
        elif cls == "attack":
            if typ not in FAMILIES:
                err("unknown family %s" % typ)
            if not inst or not inten or not var:
                err("attack row lacks fields %s" % cid)
            try:
                float(inten)
            except ValueError:
                err("intensity not numeric %s" % cid)
            if typ == "invalid_cli":
                if va:
                    bad_valid[("A-should-be-invalid", cls, typ)] += 1
            else:
                if not va:
                    bad_valid[("A", cls, typ)] += 1
                elif rega != region:
                    err("spoofed CLI not home-country %s %s" % (cid, a))
            if ea in allow_a or eb in allow_b:
                err("attack row uses an allow-listed number %s" % cid)
            if typ == "intl_local_cli" and not is_igw(ip, trunk):
                err("intl_local_cli not on gateway %s" % cid)
            if typ != "intl_local_cli" and typ != "invalid_cli" and is_igw(ip, trunk):
                err("%s on gateway %s" % (typ, cid))
            inst_rows[inst].append((ts, a, b, ip, trunk))
            meta = (typ, inten, var)
            if inst_meta.setdefault(inst, meta) != meta:
                err("instance %s has inconsistent label fields" % inst)
        else:
            err("bad class %s" % cls)
    for k, v in sorted(bad_valid.items()):
        err("%d numbers fail validity rule %s" % (v, k))

    # ------------------------------------------------------------ summary
    n = len(C)
    nl = sum(v for (c, _), v in counts.items() if c == "legit")
    print("rows %d (legit %d, attack %d); per hour: %s" %
          (n, nl, n - nl, ", ".join("h%d %s=%d" % (h + 1, c, v) for (c, h), v in sorted(hour_counts.items(), key=lambda x: (x[0][1], x[0][0])))))
    print("legit classes:")
    for (c, t), v in sorted(counts.items()):
        if c == "legit":
            print("  %-16s %7d  %5.2f%%" % (t, v, 100.0 * v / n))
    print("home-country CLIs on gateways (legit): %s" % dict(sorted(igw_home_legit.items())))
    print("roamer share of all calls: %.2f%%" % (100.0 * counts[("legit", "roamer")] / n))
    print("attack families: %-16s %5s %6s %5s %5s %5s  intensity min/median/max  variants" %
          ("", "inst", "calls", "h1", "h2", "both"))
    fam_inst = defaultdict(list)
    for inst, (typ, inten, var) in inst_meta.items():
        fam_inst[typ].append(inst)
    for fam in sorted(FAMILIES):
        insts = fam_inst.get(fam, [])
        calls = sum(len(inst_rows[i]) for i in insts)
        h1 = h2 = both = 0
        for i in insts:
            hs = set((x[0] - t0) // 3600000 for x in inst_rows[i])
            h1 += 0 in hs
            h2 += 1 in hs
            both += hs == {0, 1}
        its = sorted(float(inst_meta[i][1]) for i in insts)
        vs = Counter(inst_meta[i][2] for i in insts)
        print("  %-30s %5d %6d %5d %5d %5d  %.3g/%.3g/%.3g  %s" %
              (fam, len(insts), calls, h1, h2, both, its[0] if its else 0,
               statistics.median(its) if its else 0, its[-1] if its else 0, dict(sorted(vs.items()))))
    print("distinct numbers checked: %d" % len(_cache))
    print("RESULT: %s (%d errors)" % ("PASS" if not errors else "FAIL", len(errors)))
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
