# SPDX-License-Identifier: MIT OR Apache-2.0
"""Validate one set written by scripts/indep_gen8.py.

Needs the `phonenumbers` package (libphonenumber port), e.g.
  python3 -m venv /tmp/g8 && /tmp/g8/bin/pip install phonenumbers
  /tmp/g8/bin/python scripts/indep_gen8_check.py --cdrs cdrs.csv \
      --labels labels.csv --config deploy.toml [--bare-config bare.toml] \
      [--summary-json summary.json]

Checks: headers, row counts, unique call ids, timestamp order and window,
labels aligned with CDRs, per-ingress number format, every number's validity
and type against what the label's variant declares (phonenumbers), the
intended invalidity of invalid_cli CLIs, family constraints, intensities
recomputed from the rows, hourly volumes and the config lists.
Exit status 0 when every check passes.
"""

import argparse
import collections
import csv
import ipaddress
import json
import statistics
import sys
import tomllib

import phonenumbers
from phonenumbers import PhoneNumberType as PNT

T0_MS = 1730203200000          # 2024-10-29 12:00:00 UTC (08:00 EDT)
WIN_MS = 7200 * 1000
HOME_NPAS = {"513", "283", "937", "326", "859", "812", "930"}
CARIB_REGIONS = {"JM", "DO", "TT", "BS", "BB", "KY", "LC", "GD", "AG", "BM",
                 "AI", "VG", "TC", "MS", "SX", "KN", "VC", "DM"}
FAMILIES = ["masking_burst", "refiled_masking", "simbox", "cli_rotation",
            "intl_local_cli", "invalid_cli"]
RESERVED_NPAS = ({"%d9%d" % (a, c) for a in range(2, 10) for c in range(10)}
                 | {"37%d" % c for c in range(10)} | {"96%d" % c for c in range(10)})
# invalid kinds libphonenumber is expected to reject; the other two
# (555-01XX fictional lines, N11 office codes) it does not know about.
PN_REJECTS = {"npa01", "nxx01", "npaN11", "npa_reserved"}


class Checker:
    def __init__(self):
        self.errors = []
        self.notes = []
        self._pn = {}

    def err(self, msg):
        if len(self.errors) < 200:
            self.errors.append(msg)
        elif len(self.errors) == 200:
            self.errors.append("... further errors suppressed")

    def check(self, cond, msg):
        if not cond:
            self.err(msg)
        return cond


def style_of(s):
    if s.startswith("+"):
        return "e164"
    if len(s) == 11 and s[0] == "1":
        return "n11"
    if len(s) == 10:
        return "n10"
    return "other"


def to_e164(s):
    st = style_of(s)
    if st == "e164":
        return s
    if st == "n11":
        return "+" + s
    if st == "n10":
        return "+1" + s
    return None


def nanp10(e164):
    return e164[2:] if e164.startswith("+1") and len(e164) == 12 else None


def invalid_reason(ten):
    """Why a 10-digit NANP number cannot exist (None if plausible)."""
    npa, nxx, line = ten[:3], ten[3:6], ten[6:]
    if npa[0] in "01":
        return "npa01"
    if npa[1:] == "11":
        return "npaN11"
    if npa in RESERVED_NPAS:
        return "npa_reserved"
    if nxx[0] in "01":
        return "nxx01"
    if nxx[1:] == "11":
        return "nxxN11"
    if nxx == "555" and line.startswith("01"):
        return "fict555"
    return None


def parse_variant(v):
    out = {}
    for part in v.split(";"):
        if "=" in part:
            k, val = part.split("=", 1)
            out[k] = val
        elif part:
            out[part] = True
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cdrs", required=True)
    ap.add_argument("--labels", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--bare-config")
    ap.add_argument("--summary-json")
    args = ap.parse_args()
    C = Checker()

    with open(args.cdrs, newline="") as f:
        cdr = list(csv.reader(f))
    with open(args.labels, newline="") as f:
        lab = list(csv.reader(f))
    C.check(cdr[0] == ["call_id", "a_number", "b_number", "timestamp_ms", "source_ip", "trunk"],
            "bad cdrs header %r" % cdr[0])
    C.check(lab[0] == ["call_id", "class", "type", "instance", "intensity", "variant"],
            "bad labels header %r" % lab[0])
    cdr, lab = cdr[1:], lab[1:]
    C.check(len(cdr) == len(lab), "row counts differ: %d cdrs, %d labels" % (len(cdr), len(lab)))
    ids = set()
    prev = -1
    for i, (c, l) in enumerate(zip(cdr, lab)):
        if not C.check(len(c) == 6 and len(l) == 6, "row %d: wrong field count" % i):
            continue
        C.check(c[0] == l[0], "row %d: call_id mismatch %s / %s" % (i, c[0], l[0]))
        C.check(c[0] not in ids, "row %d: duplicate call_id" % i)
        ids.add(c[0])
        ts = int(c[3])
        C.check(ts >= prev, "row %d: not sorted by timestamp" % i)
        prev = ts
        C.check(T0_MS <= ts < T0_MS + WIN_MS, "row %d: timestamp outside window" % i)
        ipaddress.IPv4Address(c[4])
        C.check(l[1] in ("legit", "attack"), "row %d: bad class" % i)
        if l[1] == "attack":
            C.check(l[2] in FAMILIES, "row %d: unknown family %s" % (i, l[2]))
            C.check(l[3] != "" and l[4] != "", "row %d: attack without instance/intensity" % i)
            float(l[4])
        else:
            C.check(l[2] != "" and l[2] == l[2].lower() and " " not in l[2],
                    "row %d: legit type not snake_case" % i)
            C.check(l[3] == "" and l[4] == "", "row %d: legit row with instance/intensity" % i)

    cfg = tomllib.load(open(args.config, "rb"))
    trunks = set(cfg["rules"]["intl_ingress_local_cli"]["trunks"])
    nets = [ipaddress.ip_network(x) for x in cfg["rules"]["intl_ingress_local_cli"]["sources"]]

    def in_intl_src(ip):
        a = ipaddress.ip_address(ip)
        return any(a in n for n in nets)

    # ------------------------------------------------ per-row number checks
    fmt_by_src = collections.defaultdict(collections.Counter)
    kind_fail = collections.Counter()
    kind_seen = collections.Counter()
    pn_cache = {}
    pn_inval_verdict = collections.Counter()

    def pn_info(e):
        if e not in pn_cache:
            try:
                n = phonenumbers.parse(e, None)
                pn_cache[e] = (phonenumbers.is_valid_number(n),
                               phonenumbers.region_code_for_number(n),
                               phonenumbers.number_type(n), n.country_code)
            except phonenumbers.NumberParseException:
                pn_cache[e] = (False, None, None, None)
        return pn_cache[e]

    def kind_ok(e, kind):
        if e is None:
            return False
        if kind.startswith("inv_"):
            ten = nanp10(e)
            if ten is None:
                return False
            why = invalid_reason(ten)
            valid = pn_info(e)[0]
            pn_inval_verdict[(kind[4:], "pn_valid" if valid else "pn_invalid")] += 1
            if kind[4:] in PN_REJECTS and valid:
                return False
            return why == kind[4:]
        valid, region, typ, cc = pn_info(e)
        if not valid:
            return False
        ten = nanp10(e)
        if ten is not None and invalid_reason(ten):
            return False
        if kind == "home":
            return region == "US" and ten[:3] in HOME_NPAS and typ == PNT.FIXED_LINE_OR_MOBILE
        if kind == "us":
            return region == "US" and typ == PNT.FIXED_LINE_OR_MOBILE
        if kind == "ca":
            return region == "CA" and typ == PNT.FIXED_LINE_OR_MOBILE
        if kind == "carib":
            return region in CARIB_REGIONS
        if kind == "pr":
            return region == "PR"
        if kind == "tf":
            return typ == PNT.TOLL_FREE
        if kind == "intl":
            return cc != 1
        return False

    by_inst = collections.defaultdict(list)
    legit_by_src = collections.Counter()
    class_counts = collections.Counter()
    hour_counts = [0, 0]
    hour_inst = [set(), set()]
    for i, (c, l) in enumerate(zip(cdr, lab)):
        v = parse_variant(l[5])
        src = (c[4], c[5])
        fa, fb = style_of(c[1]), style_of(c[2])
        fmt_by_src[src][fa] += 1
        fmt_by_src[src][fb] += 1
        ea, eb = to_e164(c[1]), to_e164(c[2])
        for num, kind, which in ((ea, v.get("a"), "a"), (eb, v.get("b"), "b")):
            kind_seen[(l[2], which, kind)] += 1
            if not kind_ok(num, kind or "?"):
                kind_fail[(l[2], which, kind)] += 1
                if kind_fail[(l[2], which, kind)] <= 3:
                    C.err("row %d (%s): %s-number %s is not of declared kind %s"
                          % (i, l[2], which, c[1] if which == "a" else c[2], kind))
        intl_ing = c[5] in trunks or in_intl_src(c[4])
        C.check(intl_ing == (v.get("ing") == "intl"),
                "row %d: international-gateway membership disagrees with ingress %s"
                % (i, v.get("ing")))
        if intl_ing:
            C.check(c[5] in trunks and in_intl_src(c[4]),
                    "row %d: intl trunk/source not both listed" % i)
        class_counts[(l[1], l[2])] += 1
        h = 0 if int(c[3]) - T0_MS < 3600000 else 1
        hour_counts[h] += 1
        if l[1] == "attack":
            by_inst[l[3]].append((int(c[3]), c, l, v))
            hour_inst[h].add(l[3])
        else:
            legit_by_src[src] += 1
    for src, cnt in fmt_by_src.items():
        C.check(len(cnt) == 1, "source %s mixes number formats %s" % (src, dict(cnt)))
    for k, n in sorted(kind_fail.items()):
        C.err("kind failures %s: %d of %d" % (k, n, kind_seen[k]))

    # --------------------------------------------------- instance checks
    fam_int = collections.defaultdict(list)
    fam_calls = collections.Counter()
    inst_hours = collections.defaultdict(lambda: [0, 0])
    for iid, rows in by_inst.items():
        fams = {r[2][2] for r in rows}
        labs = {r[2][4] for r in rows}
        if not C.check(len(fams) == 1 and len(labs) == 1,
                       "instance %s: inconsistent family/intensity" % iid):
            continue
        fam = fams.pop()
        lab_val = float(labs.pop())
        ts = [r[0] for r in rows]
        n = len(rows)
        a_s = [r[1][1] for r in rows]
        b_s = [r[1][2] for r in rows]
        srcs = {(r[1][4], r[1][5]) for r in rows}
        if fam == "masking_burst":
            C.check(len(set(b_s)) == 1 and n >= 3 and len(set(a_s)) >= n - 1,
                    "%s: masking burst shape" % iid)
            span = (ts[-1] - ts[0]) / 1000
            val = (n - 1) / span if span > 0 else (n - 1) * 1000.0
        elif fam == "refiled_masking":
            C.check(len(set(b_s)) == 1 and len(set(a_s)) == n and n >= 3,
                    "%s: refiled shape" % iid)
            kinds = {r[3]["ing"] for r in rows}
            C.check(kinds <= {"tdm", "nni"}, "%s: refiled via %s" % (iid, kinds))
            for s in srcs:
                C.check(legit_by_src[s] > 100, "%s: refiled source %s not shared with legit"
                        % (iid, s))
            span = (ts[-1] - ts[0]) / 1000
            val = n * 60 / span if span > 0 else n * 60000.0
        elif fam == "simbox":
            sims = len(set(a_s))
            C.check(len(set(b_s)) >= 0.8 * n, "%s: simbox callees not mostly distinct" % iid)
            mins = (ts[-1] - ts[0]) / 60000
            val = n / (sims * mins) if mins > 0 else float(n)
            C.check(all(r[3]["a"] in ("home", "us") for r in rows), "%s: SIM numbers" % iid)
        elif fam == "cli_rotation":
            C.check(len(srcs) == 1, "%s: cli rotation from several sources" % iid)
            first = {}
            for r in rows:
                first.setdefault(r[1][1], r[0])
            f = sorted(first.values())
            span = (f[-1] - f[0]) / 1000
            val = (len(f) - 1) / span if span > 0 else float(len(f) - 1)
            C.check(len(f) >= 0.55 * n, "%s: too few new CLIs" % iid)
        elif fam == "intl_local_cli":
            C.check(all(r[1][5] in trunks and in_intl_src(r[1][4]) for r in rows),
                    "%s: not on the listed international gateways" % iid)
            C.check(all(pn_info(to_e164(a))[1] == "US" for a in a_s),
                    "%s: CLI not a US (+1 home-country) number" % iid)
            val = float(n)
        else:
            C.check(all(r[3]["a"].startswith("inv_") for r in rows), "%s: invalid kind" % iid)
            val = float(n)
        C.check(abs(val - lab_val) <= 1e-6 * max(1.0, abs(val)) + 1e-6,
                "%s: intensity label %s but rows give %.6f" % (iid, lab_val, val))
        fam_int[fam].append(val)
        fam_calls[fam] += n
        inst_hours[fam][0 if ts[0] - T0_MS < 3600000 else 1] += 1
    for fam in FAMILIES:
        C.check(inst_hours[fam][0] > 0 and inst_hours[fam][1] > 0,
                "%s: not present in both hours %s" % (fam, inst_hours[fam]))
    for h in (0, 1):
        C.check(55000 <= hour_counts[h] <= 60500, "hour %d has %d calls" % (h + 1, hour_counts[h]))
        C.check(110 <= len(hour_inst[h]) <= 190,
                "hour %d has %d attack instances active" % (h + 1, len(hour_inst[h])))

    # ------------------------------------------------------- config lists
    C.check(set(cfg.keys()) == {"numbering", "rules", "lists"}, "config top-level keys")
    C.check(cfg["numbering"] == {"country_code": "1"}, "numbering section")
    C.check(set(cfg["rules"].keys()) == {"intl_ingress_local_cli"}, "rules section")
    C.check(set(cfg["rules"]["intl_ingress_local_cli"].keys()) == {"trunks", "sources"},
            "intl rule keys")
    C.check(set(cfg["lists"].keys()) == {"allow_b_numbers", "allow_a_numbers"}, "lists keys")
    used_intl_trunks = {c[5] for c, l in zip(cdr, lab) if parse_variant(l[5]).get("ing") == "intl"}
    C.check(used_intl_trunks == trunks, "config trunks %s vs used %s" % (trunks, used_intl_trunks))
    allow_b = cfg["lists"]["allow_b_numbers"]
    allow_a = cfg["lists"]["allow_a_numbers"]
    for x in allow_a + allow_b:
        C.check(x.startswith("+1") and len(x) == 12 and pn_info(x)[0],
                "list entry %s not a valid +1 E.164 number" % x)
    svc_b = {to_e164(c[2]) for c, l in zip(cdr, lab)
             if l[2] in ("hotline", "conference_bridge")}
    cc_a = {to_e164(c[1]) for c, l in zip(cdr, lab)
            if l[2] in ("contact_centre", "offshore_contact_centre")}
    C.check(set(allow_b) <= svc_b and len(set(allow_b)) < len(svc_b),
            "allow_b_numbers must be a strict subset of hotline/bridge numbers")
    C.check(set(allow_a) <= cc_a and len(set(allow_a)) < len(cc_a),
            "allow_a_numbers must be a strict subset of contact-centre CLIs")
    for c, l in zip(cdr, lab):
        if l[1] == "attack":
            C.check(to_e164(c[1]) not in allow_a, "attack CLI %s is allow-listed" % c[1])
            C.check(to_e164(c[2]) not in allow_b, "attack callee %s is allow-listed" % c[2])
    if args.bare_config:
        bare = tomllib.load(open(args.bare_config, "rb"))
        C.check(bare["lists"] == {"allow_b_numbers": [], "allow_a_numbers": []}, "bare lists")
        C.check(bare["numbering"] == cfg["numbering"] and bare["rules"] == cfg["rules"],
                "bare config differs outside the lists")

    # ---------------------------------------------------------- summary
    summ = {
        "rows": len(cdr), "hour_calls": hour_counts,
        "attack_rows": sum(fam_calls.values()),
        "instances": {f: len(fam_int[f]) for f in FAMILIES},
        "instances_per_hour_started": {f: inst_hours[f] for f in FAMILIES},
        "attack_calls": {f: fam_calls[f] for f in FAMILIES},
        "intensity": {f: [min(fam_int[f]), statistics.median(fam_int[f]), max(fam_int[f])]
                      for f in FAMILIES if fam_int[f]},
        "class_calls": {"%s/%s" % k: v for k, v in sorted(class_counts.items())},
        "libphonenumber_on_invalid": {"%s/%s" % k: v for k, v in sorted(pn_inval_verdict.items())},
        "allow_a": len(allow_a), "allow_b": len(allow_b),
        "errors": len(C.errors),
    }
    if args.summary_json:
        with open(args.summary_json, "w") as f:
            json.dump(summ, f, indent=1, sort_keys=True)
    print(json.dumps({k: summ[k] for k in ("rows", "hour_calls", "attack_rows", "instances",
                                            "intensity", "libphonenumber_on_invalid")},
                     sort_keys=True))
    if C.errors:
        print("FAILED: %d problem(s)" % len(C.errors))
        for e in C.errors:
            print("  " + e)
        sys.exit(1)
    print("OK: all checks passed")


if __name__ == "__main__":
    main()
