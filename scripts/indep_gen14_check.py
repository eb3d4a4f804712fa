# SPDX-License-Identifier: MIT OR Apache-2.0
"""Validator for one data set produced by indep_gen14.py.

Checks a directory DIR holding cdrs.csv, labels.csv and deploy.toml (and
bare.toml if present): headers, time order, unique and aligned call ids,
label fields, number validity per label (with the `phonenumbers` package),
attack intensities recomputed from the rows, per-family structure, instance
counts per hour, hourly volumes and attack share, and the config shape.

Usage:
    /tmp/gen14/venv/bin/python indep_gen14_check.py DIR [DIR ...]

Exit status 0 when every check passes for every DIR, 1 otherwise.
"""

import csv
import ipaddress
import math
import os
import re
import sys
import tomllib

import phonenumbers

CDR_HEADER = ["call_id", "a_number", "b_number", "timestamp_ms", "source_ip", "trunk"]
LAB_HEADER = ["call_id", "class", "type", "instance", "intensity", "variant"]
ATTACKS = ["masking_burst", "refiled_masking", "simbox", "cli_rotation", "intl_local_cli", "invalid_cli"]
HOUR = 3600 * 1000
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")


class Report:
    def __init__(self, name):
        self.name = name
        self.fails = []
        self.n_checks = 0

    def check(self, cond, msg):
        self.n_checks += 1
        if not cond:
            self.fails.append(msg)
        return cond


_cache = {}


def num_status(s):
    """Return (valid_roundtrip, possible, region)."""
    if s in _cache:
        return _cache[s]
    try:
        n = phonenumbers.parse(s, None)
        valid = phonenumbers.is_valid_number(n)
        rt = phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164) == s
        possible = phonenumbers.is_possible_number(n)
        region = phonenumbers.region_code_for_number(n)
        res = (valid and rt, possible, region)
    except phonenumbers.NumberParseException:
        res = (False, False, None)
    _cache[s] = res
    return res


def recompute(typ, calls):
    ts = sorted(c[0] for c in calls)
    span = max(ts[-1] - ts[0], 1)
    if typ == "masking_burst":
        return (len(calls) - 1) / (span / 1000.0)
    if typ == "refiled_masking":
        return (len(set(c[1] for c in calls)) - 1) / (span / 60000.0)
    if typ == "cli_rotation":
        return (len(set(c[1] for c in calls)) - 1) / (span / 1000.0)
    if typ == "simbox":
        per = {}
        for t, a in calls:
            per.setdefault(a, []).append(t)
        vals = [(len(v) - 1) / (max(max(v) - min(v), 1) / 60000.0) for v in per.values() if len(v) >= 2]
        return sum(vals) / len(vals) if vals else float("nan")
    return float(len(calls))


def check_config(rep, path, bare):
    try:
        with open(path, "rb") as f:
            cfg = tomllib.load(f)
    except Exception as e:  # noqa: BLE001
        rep.check(False, "%s: unreadable TOML: %s" % (path, e))
        return None
    rep.check(sorted(cfg.keys()) == ["lists", "numbering", "rules"], "%s: top-level keys %s" % (path, sorted(cfg)))
    rep.check(cfg.get("numbering") == {"country_code": "62"}, "%s: numbering" % path)
    rules = cfg.get("rules", {})
    rep.check(list(rules.keys()) == ["intl_ingress_local_cli"], "%s: rules keys" % path)
    r = rules.get("intl_ingress_local_cli", {})
    rep.check(sorted(r.keys()) == ["sources", "trunks"], "%s: rule keys %s" % (path, sorted(r)))
    trunks = r.get("trunks", [])
    sources = r.get("sources", [])
    rep.check(isinstance(trunks, list) and trunks and all(isinstance(t, str) and t for t in trunks),
              "%s: trunks" % path)
    nets = []
    for s in sources:
        try:
            nets.append(ipaddress.ip_network(s, strict=True))
            rep.check("/" in s, "%s: source %s not CIDR" % (path, s))
        except ValueError:
            rep.check(False, "%s: bad CIDR %s" % (path, s))
    rep.check(len(nets) > 0, "%s: no sources" % path)
    lists = cfg.get("lists", {})
    rep.check(sorted(lists.keys()) == ["allow_a_numbers", "allow_b_numbers"], "%s: lists keys" % path)
    for k in ("allow_a_numbers", "allow_b_numbers"):
        v = lists.get(k, None)
        rep.check(isinstance(v, list), "%s: %s not a list" % (path, k))
        if bare:
            rep.check(v == [], "%s: %s must be empty in bare config" % (path, k))
        else:
            rep.check(bool(v), "%s: %s empty" % (path, k))
        for x in v or []:
            rep.check(isinstance(x, str) and x.startswith("+62") and num_status(x)[0],
                      "%s: %s entry %r invalid" % (path, k, x))
        rep.check(len(set(v or [])) == len(v or []), "%s: duplicates in %s" % (path, k))
    return {"trunks": set(trunks), "nets": nets,
            "allow_a": set(lists.get("allow_a_numbers", [])), "allow_b": set(lists.get("allow_b_numbers", []))}


def check_dir(d):
    rep = Report(d)
    cfg = check_config(rep, os.path.join(d, "deploy.toml"), bare=False)
    if os.path.exists(os.path.join(d, "bare.toml")):
        bcfg = check_config(rep, os.path.join(d, "bare.toml"), bare=True)
        if cfg and bcfg:
            rep.check(bcfg["trunks"] == cfg["trunks"] and bcfg["nets"] == cfg["nets"],
                      "bare.toml rule differs from deploy.toml")
    if cfg is None:
        return rep

    with open(os.path.join(d, "cdrs.csv"), newline="", encoding="utf-8") as f:
        cr = list(csv.reader(f))
    with open(os.path.join(d, "labels.csv"), newline="", encoding="utf-8") as f:
        lr = list(csv.reader(f))
    rep.check(cr[0] == CDR_HEADER, "cdrs header %s" % cr[0])
    rep.check(lr[0] == LAB_HEADER, "labels header %s" % lr[0])
    cdrs, labs = cr[1:], lr[1:]
    rep.check(len(cdrs) == len(labs), "row counts differ %d vs %d" % (len(cdrs), len(labs)))
    rep.check(all(len(r) == 6 for r in cdrs), "cdrs rows with wrong field count")
    rep.check(all(len(r) == 6 for r in labs), "labels rows with wrong field count")
    with open(os.path.join(d, "cdrs.csv"), "rb") as f:
        raw = f.read()
    rep.check(b"\r" not in raw and b'"' not in raw, "cdrs.csv has CR or quotes")

    ids = [r[0] for r in cdrs]
    rep.check(len(set(ids)) == len(ids), "duplicate call ids")
    rep.check(all(i for i in ids), "empty call id")
    rep.check(ids == [r[0] for r in labs], "call ids not aligned between files")

    ts = []
    for r in cdrs:
        try:
            ts.append(int(r[3]))
        except ValueError:
            rep.check(False, "bad timestamp %r" % r[3])
            return rep
    rep.check(all(ts[i] <= ts[i + 1] for i in range(len(ts) - 1)), "cdrs not sorted by timestamp")
    t0 = ts[0] // HOUR * HOUR
    rep.check(ts[-1] - t0 < 2 * HOUR, "data spans more than two hours from %d" % t0)
    rep.check(1.5e12 < t0 < 2.0e12, "timestamps not epoch ms")

    def is_igw(ip, trunk):
        return trunk in cfg["trunks"] or any(ipaddress.ip_address(ip) in n for n in cfg["nets"])

    igw_cache = {}
    bad_ip = 0
    for r in cdrs:
        key = (r[4], r[5])
        if key not in igw_cache:
            try:
                ipaddress.IPv4Address(r[4])
                igw_cache[key] = is_igw(r[4], r[5])
            except ValueError:
                bad_ip += 1
                igw_cache[key] = False
    rep.check(bad_ip == 0, "%d rows with bad source_ip" % bad_ip)
    # IGW trunks listed in config must actually have traffic, and empty-trunk IGW traffic exists
    seen_trunks = set(r[5] for r in cdrs)
    rep.check(cfg["trunks"] <= seen_trunks, "config trunks without traffic")
    rep.check(any(igw_cache[(r[4], r[5])] and r[5] == "" for r in cdrs), "no IGW backup (empty trunk) traffic")

    # label fields and number validity
    hour_tot = [0, 0]
    hour_att = [0, 0]
    insts = {}
    legit_types = set()
    nerr = {}

    def err(key, msg):
        if key not in nerr:
            nerr[key] = [0, msg]
        nerr[key][0] += 1

    for r, l, t in zip(cdrs, labs, ts):
        h = (t - t0) // HOUR
        hour_tot[h] += 1
        a, b = r[1], r[2]
        cls, typ, inst, inten, var = l[1], l[2], l[3], l[4], l[5]
        if not E164.match(a):
            err("a_fmt", "a_number not E.164: %s" % a)
        if not E164.match(b):
            err("b_fmt", "b_number not E.164: %s" % b)
        if not num_status(b)[0]:
            err("b_valid", "invalid b_number %s (%s)" % (b, typ))
        if not var or "," in var:
            err("variant", "variant empty or has comma")
        igw = igw_cache[(r[4], r[5])]
        if cls == "legit":
            if typ in ATTACKS or not SNAKE.match(typ):
                err("ltype", "bad legit type %s" % typ)
            if inst or inten:
                err("linst", "legit row with instance/intensity")
            if not num_status(a)[0]:
                err("a_valid_legit", "invalid legit a_number %s (%s)" % (a, typ))
            if igw and a.startswith("+62") and "roam" not in typ:
                err("legit_home_on_igw", "legit +62 CLI on IGW outside a roam class: %s" % typ)
            if a in cfg["allow_a"] and typ != "call_centre_outbound":
                err("allow_a_use", "allow-listed A used by %s" % typ)
            legit_types.add(typ)
        elif cls == "attack":
            hour_att[h] += 1
            if typ not in ATTACKS:
                err("atype", "bad attack type %s" % typ)
                continue
            if not inst:
                err("ainst", "attack row without instance")
            try:
                float(inten)
            except ValueError:
                err("ainten", "attack intensity not numeric: %r" % inten)
            if a in cfg["allow_a"] or b in cfg["allow_b"]:
                err("allow_attack", "attack row uses an allow-listed number")
            st = num_status(a)
            if typ == "invalid_cli":
                nsn = a[3:]
                if not (a.startswith("+62") and st[1] and (not st[0] or nsn.startswith("0"))):
                    err("invalid_cli", "invalid_cli a_number not (possible and invalid): %s" % a)
            else:
                if not st[0]:
                    err("a_valid_attack", "invalid %s a_number %s" % (typ, a))
            insts.setdefault(inst, []).append((t, a, b, r[4], r[5], typ, inten, igw, h))
        else:
            err("class", "bad class %s" % cls)
    for key, (n, msg) in sorted(nerr.items()):
        rep.check(False, "%s (x%d)" % (msg, n))

    rep.check(any("roam" in t for t in legit_types), "no roaming class")
    # allow lists: every listed number is used by legit traffic
    bs = set(r[2] for r in cdrs)
    as_ = set(r[1] for r in cdrs)
    rep.check(cfg["allow_b"] <= bs, "allow_b numbers unused")
    rep.check(cfg["allow_a"] <= as_, "allow_a numbers unused")

    # hourly volumes and share
    for h in range(2):
        rep.check(50000 <= hour_tot[h] <= 60000, "hour %d volume %d outside 50k-60k" % (h + 1, hour_tot[h]))
        share = hour_att[h] / max(hour_tot[h], 1)
        rep.check(0.05 <= share <= 0.15, "hour %d attack share %.3f outside 5-15%%" % (h + 1, share))

    # per instance checks
    per_family_hour = {(f, h): 0 for f in ATTACKS for h in range(2)}
    ibad = {}

    def ierr(key, msg):
        if key not in ibad:
            ibad[key] = [0, msg]
        ibad[key][0] += 1

    for inst, rows in insts.items():
        typs = set(x[5] for x in rows)
        if len(typs) != 1:
            ierr("mixtype", "instance %s has several types" % inst)
            continue
        typ = rows[0][5]
        per_family_hour[(typ, rows[0][8])] += 1
        intens = set(x[6] for x in rows)
        if len(intens) != 1:
            ierr("inten_var", "instance %s intensity differs across rows" % inst)
            continue
        got = float(rows[0][6])
        exp = recompute(typ, [(x[0], x[1]) for x in rows])
        if not (math.isfinite(exp) and abs(got - exp) <= 1e-3 * max(1.0, abs(exp)) + 1e-4):
            ierr("inten", "instance %s intensity %s != recomputed %.4f" % (inst, rows[0][6], exp))
        callees = set(x[2] for x in rows)
        clis = [x[1] for x in rows]
        srcs = set((x[3], x[4]) for x in rows)
        span = rows[-1][0] - rows[0][0]
        n = len(rows)
        if typ == "masking_burst":
            if len(callees) != 1:
                ierr("mb_callee", "masking_burst %s has %d callees" % (inst, len(callees)))
            if len(set(clis)) != n or n < 3:
                ierr("mb_cli", "masking_burst %s CLIs not all distinct or too few" % inst)
            if span > 30 * 60 * 1000:
                ierr("mb_span", "masking_burst %s spans %d ms" % (inst, span))
            for x in rows:
                if x[7] and x[1].startswith("+62"):
                    ierr("mb_overlap", "masking_burst %s has +62 CLI on IGW (overlaps intl_local_cli)" % inst)
        elif typ == "refiled_masking":
            if len(callees) != 1:
                ierr("rm_callee", "refiled_masking %s has %d callees" % (inst, len(callees)))
            if len(set(clis)) != n or n < 2:
                ierr("rm_cli", "refiled_masking %s CLIs not fresh" % inst)
            if any(x[7] or not x[4].startswith("POI-") or not x[1].startswith("+62") for x in rows):
                ierr("rm_route", "refiled_masking %s not on a national interconnect with +62 CLIs" % inst)
            if span > 15 * 60 * 1000:
                ierr("rm_span", "refiled_masking %s spans too long" % inst)
        elif typ == "simbox":
            per = {}
            for x in rows:
                per.setdefault(x[1], []).append(x[0])
            if any(len(v) < 2 for v in per.values()):
                ierr("sb_sim", "simbox %s has a SIM with <2 calls" % inst)
            if len(callees) < 0.95 * n:
                ierr("sb_fanout", "simbox %s callees not distinct" % inst)
            if any(not x[1].startswith("+62") or x[7] for x in rows):
                ierr("sb_route", "simbox %s CLI not national or on IGW" % inst)
            if not all(phonenumbers.number_type(phonenumbers.parse(a)) == phonenumbers.PhoneNumberType.MOBILE
                       for a in per):
                ierr("sb_mobile", "simbox %s CLI not mobile" % inst)
            for v in per.values():
                v = sorted(v)
                if any(v[i + 1] - v[i] < 5000 for i in range(len(v) - 1)):
                    ierr("sb_gap", "simbox %s SIM calls closer than 5 s" % inst)
                    break
        elif typ == "cli_rotation":
            if len(srcs) != 1:
                ierr("cr_src", "cli_rotation %s has %d sources" % (inst, len(srcs)))
            if len(set(clis)) < 0.6 * n or n < 5:
                ierr("cr_cli", "cli_rotation %s does not rotate" % inst)
            src = list(srcs)[0]
            if rows[0][7] or src[1].startswith(("POI-", "IMS-", "MSS-", "IGW-", "TRANSIT-")):
                ierr("cr_route", "cli_rotation %s not from an enterprise source" % inst)
        elif typ == "intl_local_cli":
            if any(not x[7] or not x[1].startswith("+62") for x in rows):
                ierr("il_route", "intl_local_cli %s has a row not (+62 CLI on IGW)" % inst)
        elif typ == "invalid_cli":
            if any(x[7] for x in rows):
                ierr("ic_route", "invalid_cli %s on IGW (overlaps intl_local_cli)" % inst)
    for key, (n, msg) in sorted(ibad.items()):
        rep.check(False, "%s (x%d)" % (msg, n))
    for (f, h), c in sorted(per_family_hour.items()):
        rep.check(15 <= c <= 35, "%s hour %d: %d instances (want ~20-30)" % (f, h + 1, c))
    rep.summary = {"rows": len(cdrs), "hours": hour_tot, "attack_rows": hour_att,
                   "instances": {f: per_family_hour[(f, 0)] + per_family_hour[(f, 1)] for f in ATTACKS},
                   "legit_types": len(legit_types)}
    return rep


def main(argv):
    if not argv:
        sys.stderr.write(__doc__)
        return 2
    ok = True
    for d in argv:
        rep = check_dir(d)
        s = getattr(rep, "summary", {})
        status = "PASS" if not rep.fails else "FAIL"
        print("%s %s: %d checks, %d failed; %s" % (status, d, rep.n_checks, len(rep.fails), s))
        for m in rep.fails[:40]:
            print("   - " + m)
        ok = ok and not rep.fails
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
