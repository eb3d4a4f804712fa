# SPDX-License-Identifier: MIT OR Apache-2.0
"""Checker for sets written by indep_gen9.py (German +49 operator).

Validates headers, order, call ids, label alignment, per-ingress number
formats, number validity per label (German rules of the generator's doc, and
libphonenumber through the `phonenumbers` package), intensities recomputed
from the rows, instance counts, volumes and the deployment files.

  python3 -m venv /tmp/g9 && /tmp/g9/bin/pip install phonenumbers
  /tmp/g9/bin/python indep_gen9_check.py --cdrs cdrs.csv --labels labels.csv \
      --config deploy.toml --bare-config bare.toml
Exit status 0 when every check passes.
"""

import argparse
import collections
import ipaddress
import json
import sys
import tomllib

import phonenumbers
from phonenumbers.geodata import GEOCODE_DATA

T0_MS = 1731398400000
WIN_MS = 7200 * 1000
FAMILIES = {  # sweep bounds, floor range
    "masking_burst": ((0.2, 30.0), (1, 10)),
    "refiled_masking": ((0.2, 84.0), (1.3, 20)),
    "simbox": ((0.2, 12.0), (1, 6)),
    "cli_rotation": ((0.1, 40.0), (0.5, 20)),
    "intl_local_cli": ((1, 80), (1, 40)),
    "invalid_cli": ((1, 40), (1, 20)),
}
HOME = {"521", "5241", "5242", "5251", "5231", "5221", "5222", "5261", "571",
        "5731", "251", "541", "5203", "5206", "5205", "5232", "5254", "2581",
        "2571", "5451"}
INTL_TRUNKS = {"INTL-GW-FRA1", "INTL-GW-FRA2", "INTL-GW-DUS1"}
AREA = set(k[2:] for k in GEOCODE_DATA if k.startswith("49") and len(k) > 2)

errors = []


def err(msg):
    if len(errors) < 200:
        errors.append(msg)
    else:
        errors.append(None)


def form_of(s):
    if s.startswith("+"):
        return "e164"
    if s.startswith("0"):
        return "nat0"
    return "cc"


def split(s):
    """-> (cc, national digits) from the logged string."""
    f = form_of(s)
    if f == "e164":
        d = s[1:]
    elif f == "nat0":
        if s.startswith("00"):
            d = s[2:]
        else:
            return "49", s[1:]
    else:
        d = s
    if not d.isdigit():
        return None, s
    if d.startswith("49"):
        return "49", d[2:]
    return "xx", d


def area_of(nsn):
    for ln in (5, 4, 3, 2):
        if nsn[:ln] in AREA:
            return nsn[:ln]
    return None


def de_class(nsn):
    """German rule (see gen9.md): category or 'inv:<reason>'."""
    n = len(nsn)
    if not nsn.isdigit():
        return "inv:nondigit"
    if nsn.startswith("0"):
        return "inv:trunk0"
    if nsn[:2] == "15":
        if nsn[2] in "34":
            return "inv:mob_unassigned"
        return "mob" if n == 11 else "inv:mob_length"
    if nsn[:2] == "16":
        if nsn[2] in "023":
            return "mob" if n == 10 else "inv:mob_length"
        return "inv:mob_unassigned"
    if nsn[:2] == "17":
        if nsn[2] == "6":
            return "mob" if n == 11 else "inv:mob_length"
        if nsn[2] in "78":
            return "mob" if n in (10, 11) else "inv:mob_length"
        return "mob" if n == 10 else "inv:mob_length"
    if nsn.startswith("32"):
        return "032" if n == 11 else "inv:032_length"
    for p, c, ln in (("800", "0800", 10), ("137", "0137", 10), ("180", "0180", 10),
                     ("900", "0900", 10), ("700", "0700", 11)):
        if nsn.startswith(p):
            return c if n == ln else "inv:service_length"
    if nsn[0] == "1":
        return "inv:unassigned_1"
    code = area_of(nsn)
    if code is None:
        return "inv:geo_unassigned"
    sub = nsn[len(code):]
    if sub.startswith("0"):
        return "inv:sub_zero"
    if sub.startswith("11"):
        return "inv:sub_11x"
    if n > 11:
        return "inv:geo_too_long"
    if n < 8 or len(sub) < 3:
        return "inv:too_short"
    return "geo"


KIND_OK = {"own_mob": {"mob"}, "de_mob": {"mob"}, "own_fix": {"geo"},
           "de_geo": {"geo"}, "de_032": {"032"}, "de_0800": {"0800"},
           "de_0137": {"0137"}}
INV_OK = {"trunk0": {"inv:trunk0"}, "geo_unassigned": {"inv:geo_unassigned"},
          "sub_zero": {"inv:sub_zero"}, "geo_too_long": {"inv:geo_too_long"},
          "mob_length": {"inv:mob_length"}, "mob_unassigned": {"inv:mob_unassigned"},
          "service_cli": {"0900", "0137"}, "too_short": {"inv:too_short"}}


def lib_valid(cc, d):
    try:
        x = phonenumbers.parse("+" + (cc if cc == "49" else "") + d)
    except phonenumbers.NumberParseException:
        return False, None
    return phonenumbers.is_valid_number(x), phonenumbers.region_code_for_number(x)


def check_number(s, kind, who, stats, rowno):
    cc, d = split(s)
    if cc is None:
        err("row %d: %s %r not digits" % (rowno, who, s))
        return
    if kind == "foreign":
        ok, reg = lib_valid("xx", d)
        if cc != "xx" or not ok or reg == "DE":
            err("row %d: %s %r declared foreign, lib valid=%s region=%s" % (rowno, who, s, ok, reg))
        return
    if cc != "49":
        err("row %d: %s %r declared %s but not +49" % (rowno, who, s, kind))
        return
    c = de_class(d)
    if kind.startswith("inv_"):
        k = kind[4:]
        if c not in INV_OK.get(k, ()):
            err("row %d: %s %r declared %s, rule says %s" % (rowno, who, s, kind, c))
        ok, _ = lib_valid("49", d.lstrip("0") if k != "trunk0" else d)
        if k == "trunk0":   # libphonenumber strips the stray 0; test raw too
            ok = lib_valid("49", d[1:])[0]
        stats["inv_lib"][(k, "lib_valid" if ok else "lib_invalid")] += 1
        return
    if c not in KIND_OK.get(kind, ()):
        err("row %d: %s %r declared %s, rule says %s" % (rowno, who, s, kind, c))
        return
    if kind == "own_fix" and area_of(d) not in HOME:
        err("row %d: %s %r own_fix outside the home area" % (rowno, who, s))
    ok, reg = lib_valid("49", d)
    if not ok:
        err("row %d: %s %r (%s) rejected by libphonenumber" % (rowno, who, s, kind))
    stats["lib_ok"] += 1


def parse_variant(v):
    out = {}
    for part in v.split(";"):
        if "=" in part:
            k, x = part.split("=", 1)
            out[k] = x
    return out


def check_config(path, bare, used_trunks):
    with open(path, "rb") as f:
        cfg = tomllib.load(f)
    if set(cfg) != {"numbering", "rules", "lists"}:
        err("%s: top-level keys %s" % (path, sorted(cfg)))
    if cfg["numbering"] != {"country_code": "49"}:
        err("%s: numbering %r" % (path, cfg["numbering"]))
    ii = cfg["rules"]["intl_ingress_local_cli"]
    if set(ii["trunks"]) != INTL_TRUNKS:
        err("%s: trunks %r" % (path, ii["trunks"]))
    for c in ii["sources"]:
        ipaddress.ip_network(c)
    lists = cfg["lists"]
    if set(lists) != {"allow_b_numbers", "allow_a_numbers"}:
        err("%s: lists keys %r" % (path, sorted(lists)))
    for k, xs in lists.items():
        if bare and xs:
            err("%s: bare list %s not empty" % (path, k))
        for x in xs:
            p = phonenumbers.parse(x)
            if not (x.startswith("+49") and phonenumbers.is_valid_number(p)):
                err("%s: %s entry %s invalid" % (path, k, x))
    return cfg


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cdrs", required=True)
    ap.add_argument("--labels", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--bare-config")
    ap.add_argument("--summary-json")
    a = ap.parse_args()
    with open(a.cdrs, encoding="utf-8") as f:
        cd = f.read().split("\n")
    with open(a.labels, encoding="utf-8") as f:
        lb = f.read().split("\n")
    if cd[0] != "call_id,a_number,b_number,timestamp_ms,source_ip,trunk":
        err("cdrs header %r" % cd[0])
    if lb[0] != "call_id,class,type,instance,intensity,variant":
        err("labels header %r" % lb[0])
    if cd[-1] != "" or lb[-1] != "":
        err("files must end with a newline")
    cd, lb = cd[1:-1], lb[1:-1]
    if len(cd) != len(lb):
        err("row counts differ: %d cdrs, %d labels" % (len(cd), len(lb)))
    stats = {"inv_lib": collections.Counter(), "lib_ok": 0}
    ids = set()
    last_t = -1
    forms = collections.defaultdict(set)
    legit_per_src = collections.Counter()
    inst = collections.defaultdict(list)
    per_hour = collections.Counter()
    types = collections.Counter()
    for i, (c, l) in enumerate(zip(cd, lb), 1):
        cf = c.split(",")
        lf = l.split(",")
        if len(cf) != 6 or len(lf) != 6:
            err("row %d: field count" % i)
            continue
        cid, an, bn, ts, ip, trunk = cf
        lid, cls, typ, ins, inten, var = lf
        if cid != lid:
            err("row %d: call ids differ" % i)
        if cid in ids:
            err("row %d: duplicate call id" % i)
        ids.add(cid)
        t = int(ts)
        if t < last_t:
            err("row %d: not sorted by time" % i)
        last_t = t
        if not T0_MS <= t < T0_MS + WIN_MS:
            err("row %d: timestamp outside the window" % i)
        per_hour[(t - T0_MS) // 3600000] += 1
        ipaddress.ip_address(ip)
        fa, fb = form_of(an), form_of(bn)
        forms[(ip, trunk)].add(fa)
        forms[(ip, trunk)].add(fb)
        types[(cls, typ)] += 1
        v = parse_variant(var)
        if "a" not in v or "b" not in v or "ing" not in v:
            err("row %d: variant lacks a=/b=/ing=" % i)
            continue
        check_number(an, v["a"], "a", stats, i)
        check_number(bn, v["b"], "b", stats, i)
        if v["ing"] == "intl" and trunk not in INTL_TRUNKS:
            err("row %d: ing=intl on trunk %r" % (i, trunk))
        if cls == "legit":
            if ins or inten:
                err("row %d: legit row with instance/intensity" % i)
            legit_per_src[(ip, trunk)] += 1
        elif cls == "attack":
            if typ not in FAMILIES or not ins or not float(inten) > 0:
                err("row %d: bad attack label" % i)
                continue
            inst[ins].append((t, an, ip, trunk, typ, float(inten), v))
        else:
            err("row %d: class %r" % (i, cls))
    for src, fs in forms.items():
        if len(fs) != 1:
            err("source %s mixes number formats %s" % (src, sorted(fs)))
    # intensities
    fam = collections.defaultdict(list)
    fam_hour = collections.Counter()
    for name, rows in inst.items():
        typ = rows[0][4]
        if any(r[4] != typ for r in rows) or len(set(r[5] for r in rows)) != 1:
            err("%s: mixed type or intensity" % name)
        ts = sorted(r[0] for r in rows)
        n = len(rows)
        if typ in ("intl_local_cli", "invalid_cli"):
            x = float(n)
        elif typ == "masking_burst":
            x = (n - 1) / ((ts[-1] - ts[0]) / 1000.0)
            if len(set(r[1] for r in rows)) != n:
                err("%s: CLIs not all distinct" % name)
            if len(set(r[6]["b"] for r in rows)) != 1:
                pass
        elif typ == "refiled_masking":
            x = (n - 1) * 60.0 / ((ts[-1] - ts[0]) / 1000.0)
            if len(set(r[1] for r in rows)) != n:
                err("%s: CLIs not all fresh" % name)
            for r in rows:
                if legit_per_src[(r[2], r[3])] < 100:
                    err("%s: refile source %s carries little legit traffic" % (name, r[2]))
                if r[3] in INTL_TRUNKS:
                    err("%s: refile on an international gateway" % name)
        elif typ == "simbox":
            sims = len(set(r[1] for r in rows))
            x = n / (sims * (ts[-1] - ts[0]) / 60000.0)
        else:
            first = {}
            for r in sorted(rows):
                first.setdefault(r[1], r[0])
            fu = sorted(first.values())
            x = (len(fu) - 1) / ((fu[-1] - fu[0]) / 1000.0)
        lab = rows[0][5]
        if abs(x - lab) > 1e-5 * max(1.0, x):
            err("%s: intensity %.6f, recomputed %.6f" % (name, lab, x))
        if typ == "intl_local_cli":
            for r in rows:
                if r[3] not in INTL_TRUNKS:
                    err("%s: not on an international gateway" % name)
        fam[typ].append(x)
        fam_hour[(typ, (ts[0] - T0_MS) // 3600000)] += 1
    summary = {"rows": len(cd), "rows_per_hour": [per_hour[0], per_hour[1]],
               "attack_rows": sum(len(v) for v in inst.values()),
               "instances": {}, "types": {"%s/%s" % k: n for k, n in sorted(types.items())},
               "invalid_cli_libphonenumber": {"%s/%s" % k: n for k, n in sorted(stats["inv_lib"].items())}}
    for f, ((lo, hi), (flo, fhi)) in FAMILIES.items():
        xs = fam.get(f, [])
        inr = sum(1 for x in xs if flo <= x <= fhi)
        summary["instances"][f] = {"n": len(xs), "hour1": fam_hour[(f, 0)],
                                   "hour2": fam_hour[(f, 1)], "in_floor_range": inr,
                                   "min": round(min(xs), 4) if xs else None,
                                   "max": round(max(xs), 4) if xs else None}
        for h in (0, 1):
            if not 15 <= fam_hour[(f, h)] <= 35:
                err("%s: %d instances start in hour %d" % (f, fam_hour[(f, h)], h + 1))
        if xs and (min(xs) > lo * 1.6 or max(xs) < hi / 1.6):
            err("%s: sweep %.3f-%.3f does not cover %s-%s" % (f, min(xs), max(xs), lo, hi))
        if inr < 5:
            err("%s: only %d instances in the floor range" % (f, inr))
    for h in (0, 1):
        if not 52000 <= per_hour[h] <= 63000:
            err("hour %d has %d rows" % (h + 1, per_hour[h]))
    used = set(t for (_, t) in forms)
    cfg = check_config(a.config, False, used)
    if a.bare_config:
        check_config(a.bare_config, True, used)
    for x in cfg["lists"]["allow_a_numbers"]:
        if types and not any(True for _ in [0]):
            pass
    if a.summary_json:
        with open(a.summary_json, "w") as f:
            json.dump(summary, f, indent=1, sort_keys=True)
    print(json.dumps({k: summary[k] for k in ("rows", "rows_per_hour", "attack_rows", "instances", "invalid_cli_libphonenumber")}, indent=1))
    errs = [e for e in errors if e]
    for e in errs:
        print("ERROR:", e)
    if None in errors:
        print("ERROR: more errors not shown")
    print("%s: %d errors" % ("FAIL" if errors else "PASS", len(errors)))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
