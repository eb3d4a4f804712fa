#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR Apache-2.0
"""Validator for the output of indep_gen6.py (independent generator no. 6).

Usage:
  indep_gen6_check.py cdrs.csv labels.csv deploy.toml [bare.toml]

Checks file headers, unique call ids, timestamp order, that labels cover
exactly the CDRs, IPv4 sources, label consistency (legit rows have empty
instance/intensity/variant; attack rows use the six families, intensity > 0
and constant per instance, variant non-empty), every family present in both
hours, intl_local_cli rows carry home-country CLIs on a named international
gateway (trunk or source CIDR), the exact key sets of deploy/bare configs,
and, with the `phonenumbers` package, that every a-number outside
invalid_cli is a valid number, every invalid_cli a-number is invalid and
every b-number is valid.  Prints per-class calls per hour and, per family,
instance counts, intensity min/median/max and variant counts.
Exit status 0 when every check passes, 1 otherwise.
"""

import csv
import ipaddress
import statistics
import sys
from collections import Counter, defaultdict

try:
    import tomllib
except ImportError:  # pragma: no cover
    tomllib = None

try:
    import phonenumbers
except ImportError:  # pragma: no cover
    phonenumbers = None

FAMILIES = ["masking_burst", "refiled_masking", "simbox", "cli_rotation",
            "intl_local_cli", "invalid_cli"]
CDR_HEADER = ["call_id", "a_number", "b_number", "timestamp_ms", "source_ip", "trunk"]
LAB_HEADER = ["call_id", "class", "type", "instance", "intensity", "variant"]
HOUR = 3600000


class Checker:
    def __init__(self):
        self.errors = Counter()
        self.examples = defaultdict(list)

    def fail(self, what, example=""):
        self.errors[what] += 1
        if len(self.examples[what]) < 3:
            self.examples[what].append(example)

    def ok(self):
        return not self.errors


def read_csv(path):
    with open(path, newline="") as fh:
        rd = csv.reader(fh)
        header = next(rd, None)
        return header, list(rd)


def load_toml(path, ck):
    if tomllib is None:
        ck.fail("tomllib unavailable (need Python >= 3.11)", path)
        return None
    with open(path, "rb") as fh:
        return tomllib.load(fh)


def check_config(cfg, path, ck, bare):
    if cfg is None:
        return None
    if set(cfg) != {"numbering", "rules", "lists"}:
        ck.fail("config top-level keys", "%s: %s" % (path, sorted(cfg)))
        return None
    if set(cfg["numbering"]) != {"country_code"}:
        ck.fail("config [numbering] keys", path)
    cc = cfg["numbering"].get("country_code")
    # The calling code, digits only (acm's numbering.country_code).
    if not (isinstance(cc, str) and cc.isdigit() and 1 <= len(cc) <= 3):
        ck.fail("config country_code", "%s: %r" % (path, cc))
    if set(cfg["rules"]) != {"intl_ingress_local_cli"}:
        ck.fail("config [rules] keys", "%s: %s" % (path, sorted(cfg["rules"])))
    rule = cfg["rules"].get("intl_ingress_local_cli", {})
    if set(rule) != {"trunks", "sources"}:
        ck.fail("config [rules.intl_ingress_local_cli] keys", path)
    for t in rule.get("trunks", []):
        if not isinstance(t, str) or not t:
            ck.fail("config trunk name", repr(t))
    nets = []
    for s in rule.get("sources", []):
        try:
            nets.append(ipaddress.ip_network(s, strict=True))
        except ValueError:
            ck.fail("config source CIDR", repr(s))
    if set(cfg["lists"]) != {"allow_b_numbers", "allow_a_numbers"}:
        ck.fail("config [lists] keys", "%s: %s" % (path, sorted(cfg["lists"])))
    if bare and (cfg["lists"].get("allow_b_numbers") or cfg["lists"].get("allow_a_numbers")):
        ck.fail("bare config lists not empty", path)
    return cc, set(rule.get("trunks", [])), nets, cfg["lists"]


def main(argv):
    if len(argv) not in (4, 5):
        sys.stderr.write(__doc__)
        return 2
    cdr_path, lab_path, dep_path = argv[1:4]
    bare_path = argv[4] if len(argv) == 5 else None
    ck = Checker()

    dep = check_config(load_toml(dep_path, ck), dep_path, ck, bare=False)
    if bare_path:
        bare = check_config(load_toml(bare_path, ck), bare_path, ck, bare=True)
        if dep and bare and (dep[0] != bare[0] or dep[1] != bare[1] or dep[2] != bare[2]):
            ck.fail("bare config differs from deploy beyond the lists", bare_path)
    region = phonenumbers.region_code_for_country_code(int(dep[0])) if dep else "FR"
    gw_trunks = dep[1] if dep else set()
    gw_nets = dep[2] if dep else []

    ch, crows = read_csv(cdr_path)
    lh, lrows = read_csv(lab_path)
    if ch != CDR_HEADER:
        ck.fail("cdr header", repr(ch))
    if lh != LAB_HEADER:
        ck.fail("labels header", repr(lh))

    cdr = {}
    last_ts = None
    for row in crows:
        if len(row) != 6:
            ck.fail("cdr field count", repr(row))
            continue
        cid, a, b, ts, ip, trunk = row
        if not cid or "," in cid:
            ck.fail("empty call_id", repr(row))
        if cid in cdr:
            ck.fail("duplicate call_id", cid)
        try:
            t = int(ts)
        except ValueError:
            ck.fail("timestamp not an integer", repr(row))
            continue
        if last_ts is not None and t < last_ts:
            ck.fail("timestamps not sorted", cid)
        last_ts = t
        try:
            ipaddress.IPv4Address(ip)
        except ValueError:
            ck.fail("source_ip not IPv4", repr(ip))
        if not a or not b:
            ck.fail("empty a/b number", cid)
        cdr[cid] = (a, b, t, ip, trunk)

    labels = {}
    for row in lrows:
        if len(row) != 6:
            ck.fail("label field count", repr(row))
            continue
        if row[0] in labels:
            ck.fail("duplicate label call_id", row[0])
        labels[row[0]] = row[1:]
    if set(labels) != set(cdr):
        ck.fail("labels do not cover exactly the CDRs",
                "only-cdr=%d only-labels=%d" % (len(set(cdr) - set(labels)),
                                                len(set(labels) - set(cdr))))
    if [r[0] for r in lrows] != [r[0] for r in crows]:
        ck.fail("labels not in CDR order (warning-level)", "")

    t0 = min(v[2] for v in cdr.values()) if cdr else 0
    t0 -= t0 % HOUR
    per_class = defaultdict(Counter)
    inst_int = {}
    inst_fam = {}
    inst_first = {}
    fam_hours = defaultdict(set)
    variants = defaultdict(Counter)
    kinds = defaultdict(Counter)
    gw_check = Counter()

    pn = phonenumbers
    valid_cache = {}

    def parse(num):
        v = valid_cache.get(num)
        if v is None:
            try:
                x = pn.parse(num, region)
                v = (pn.is_valid_number(x), x.country_code)
            except pn.NumberParseException:
                v = (False, None)
            valid_cache[num] = v
        return v

    home_cc = None
    if pn is not None:
        home_cc = pn.country_code_for_region(region)
    else:
        ck.fail("phonenumbers not installed: numbering checks skipped",
                "python3 -m venv /tmp/g6 && /tmp/g6/bin/pip install phonenumbers")

    for cid, (a, b, t, ip, trunk) in cdr.items():
        lab = labels.get(cid)
        if lab is None:
            continue
        cls, typ, inst, inten, var = lab
        hour = (t - t0) // HOUR
        if hour not in (0, 1):
            ck.fail("timestamp outside the two hours", cid)
        per_class[(cls, typ)][hour] += 1
        if cls == "legit":
            if inst or inten or var:
                ck.fail("legit row with attack fields", cid)
            if not typ:
                ck.fail("legit row without type", cid)
        elif cls == "attack":
            if typ not in FAMILIES:
                ck.fail("unknown attack family", typ)
            if not inst or not var:
                ck.fail("attack row without instance/variant", cid)
            try:
                x = float(inten)
                if not x > 0:
                    ck.fail("intensity not > 0", cid)
            except ValueError:
                ck.fail("intensity not a number", cid)
            if inst in inst_int and inst_int[inst] != inten:
                ck.fail("intensity not constant within instance", inst)
            if inst in inst_fam and inst_fam[inst] != typ:
                ck.fail("instance spans families", inst)
            if inst in inst_first and inst_first[inst] != var:
                ck.fail("variant not constant within instance", inst)
            inst_int[inst] = inten
            inst_fam[inst] = typ
            inst_first[inst] = var
            fam_hours[typ].add(hour)
            if typ == "intl_local_cli":
                on_gw = trunk in gw_trunks or any(
                    ipaddress.IPv4Address(ip) in n for n in gw_nets)
                if not on_gw:
                    ck.fail("intl_local_cli not on a named gateway", cid)
                gw_check["by_trunk" if trunk in gw_trunks else "by_source_only"] += 1
                if pn is not None and parse(a)[1] != home_cc:
                    ck.fail("intl_local_cli a-number not a home CLI", a)
        else:
            ck.fail("unknown class", cls)
        if pn is not None:
            va, _ = parse(a)
            if cls == "attack" and typ == "invalid_cli":
                if va:
                    ck.fail("invalid_cli a-number is valid", a)
            elif not va:
                ck.fail("a-number invalid outside invalid_cli", "%s (%s)" % (a, typ))
            if not parse(b)[0]:
                ck.fail("b-number invalid", "%s (%s)" % (b, typ))

    # instance level summaries
    inst_hour = {}
    for cid, (a, b, t, ip, trunk) in cdr.items():
        lab = labels.get(cid)
        if lab and lab[0] == "attack":
            h = (t - t0) // HOUR
            inst_hour[lab[2]] = min(h, inst_hour.get(lab[2], 9))
    fam_inst = defaultdict(list)
    for inst, fam in inst_fam.items():
        fam_inst[fam].append(inst)
        var = inst_first[inst]
        kinds[fam][var.split(";")[0]] += 1
        second = var.split(";")[1] if ";" in var else ""
        variants[fam][second] += 1
    for fam in FAMILIES:
        hrs = Counter(inst_hour[i] for i in fam_inst.get(fam, []))
        if fam_hours.get(fam, set()) != {0, 1} or hrs.get(0, 0) == 0 or hrs.get(1, 0) == 0:
            ck.fail("family not present (starting) in both hours", fam)

    # ----------------------------------------------------------- report
    print("rows: %d   hour0 start: %d" % (len(cdr), t0))
    print("\nper-class calls per hour")
    print("  %-8s %-28s %8s %8s" % ("class", "type", "hour0", "hour1"))
    tot = Counter()
    for (cls, typ) in sorted(per_class, key=lambda k: (k[0] != "legit", k[1])):
        c = per_class[(cls, typ)]
        tot[0] += c[0]
        tot[1] += c[1]
        print("  %-8s %-28s %8d %8d" % (cls, typ, c[0], c[1]))
    print("  %-8s %-28s %8d %8d" % ("all", "", tot[0], tot[1]))
    print("\nattack families")
    for fam in FAMILIES:
        insts = fam_inst.get(fam, [])
        hrs = Counter(inst_hour[i] for i in insts)
        vals = sorted(float(inst_int[i]) for i in insts)
        if vals:
            print("  %-16s instances=%3d (h0=%d h1=%d) intensity min=%.4g median=%.4g max=%.4g"
                  % (fam, len(insts), hrs[0], hrs[1], vals[0], statistics.median(vals),
                     vals[-1]))
        else:
            print("  %-16s instances=0" % fam)
        print("      ingress: " + ", ".join("%s=%d" % kv for kv in sorted(kinds[fam].items())))
        print("      variant: " + ", ".join("%s=%d" % kv for kv in sorted(variants[fam].items())))
    if gw_check:
        print("  intl_local_cli rows matched gateway: " +
              ", ".join("%s=%d" % kv for kv in sorted(gw_check.items())))
    if dep:
        print("\nconfig: country=%s gateways=%d sources=%d allow_b=%d allow_a=%d"
              % (dep[0], len(dep[1]), len(dep[2]), len(dep[3]["allow_b_numbers"]),
                 len(dep[3]["allow_a_numbers"])))
        if pn is not None:
            for key in ("allow_b_numbers", "allow_a_numbers"):
                for num in dep[3][key]:
                    if not parse(num)[0]:
                        ck.fail("allow-list number invalid", num)
    print()
    if ck.ok():
        print("RESULT: PASS")
        return 0
    for what, n in ck.errors.items():
        print("FAIL %-50s x%d  e.g. %s" % (what, n, "; ".join(ck.examples[what])))
    print("RESULT: FAIL")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
