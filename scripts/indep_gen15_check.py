#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR Apache-2.0
"""Checker for indep_gen15 output sets.

usage: venv/bin/python indep_gen15_check.py SETDIR [--seed S]
SETDIR must hold cdrs.csv, labels.csv, deploy.toml and (optionally) bare.toml.
With --seed the generator is re-run into a temporary directory and the outputs
must be byte-identical (determinism).  Exit status 0 when every check passes.
"""
import argparse
import collections
import csv
import filecmp
import ipaddress
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import tomllib

import phonenumbers

FAMILIES = ["masking_burst", "refiled_masking", "simbox", "cli_rotation",
            "intl_local_cli", "invalid_cli"]
CDR_HEADER = "call_id,a_number,b_number,timestamp_ms,source_ip,trunk"
LAB_HEADER = "call_id,class,type,instance,intensity,variant"
T0_MS = 1729040400000          # 2024-10-15 19:00 CST (UTC-6)
HOUR = 3600000
SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
TRUNK_RE = re.compile(r"^[A-Za-z0-9_.-]*$")
HERE = os.path.dirname(os.path.abspath(__file__))


class Checker:
    def __init__(self):
        self.fail = 0
        self.passed = 0

    def ok(self, cond, msg, detail=""):
        if cond:
            self.passed += 1
        else:
            self.fail += 1
            print(f"FAIL: {msg} {detail}")
        return cond


_pcache = {}


def parse(num):
    """-> (valid, country_code) ; national 10-digit format is parsed as MX."""
    r = _pcache.get(num)
    if r is not None:
        return r
    try:
        if num.startswith("+"):
            p = phonenumbers.parse(num, None)
        else:
            if not re.fullmatch(r"\d{10}", num):
                _pcache[num] = (False, None, False)
                return _pcache[num]
            p = phonenumbers.parse(num, "MX")
        r = (phonenumbers.is_valid_number(p), p.country_code, True)
    except phonenumbers.NumberParseException:
        r = (False, None, False)
    _pcache[num] = r
    return r


def e164(num):
    """normalise national 10-digit format to +52 E.164 for comparisons."""
    return num if num.startswith("+") else "+52" + num


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("setdir")
    ap.add_argument("--seed", type=int)
    args = ap.parse_args()
    C = Checker()
    d = args.setdir
    cdr_p, lab_p = os.path.join(d, "cdrs.csv"), os.path.join(d, "labels.csv")
    cfg_p, bare_p = os.path.join(d, "deploy.toml"), os.path.join(d, "bare.toml")

    # ---------------------------------------------------------- raw format
    with open(cdr_p, encoding="utf-8", newline="") as f:
        cl = f.read().split("\n")
    with open(lab_p, encoding="utf-8", newline="") as f:
        ll = f.read().split("\n")
    C.ok(cl[-1] == "" and ll[-1] == "", "files end with newline")
    cl, ll = cl[:-1], ll[:-1]
    C.ok(cl[0] == CDR_HEADER, "cdrs header exact", repr(cl[0]))
    C.ok(ll[0] == LAB_HEADER, "labels header exact", repr(ll[0]))
    C.ok(len(cl) == len(ll), "same row count", f"{len(cl)} vs {len(ll)}")
    bad_raw = [i for i, line in enumerate(cl) if line.count(",") != 5 or '"' in line or "\r" in line]
    bad_raw += [i for i, line in enumerate(ll) if line.count(",") != 5 or '"' in line or "\r" in line]
    C.ok(not bad_raw, "every line has exactly 6 fields, no quotes/CR", str(bad_raw[:5]))
    cdrs = [line.split(",") for line in cl[1:]]
    labs = [line.split(",") for line in ll[1:]]
    n = len(cdrs)
    print(f"rows: {n}")

    # ---------------------------------------------------------- config
    with open(cfg_p, "rb") as f:
        cfg = tomllib.load(f)
    C.ok(sorted(cfg.keys()) == ["lists", "numbering", "rules"], "config top-level keys", str(cfg.keys()))
    C.ok(cfg.get("numbering") == {"country_code": "52"}, "numbering.country_code = \"52\"")
    rules = cfg.get("rules", {})
    C.ok(list(rules.keys()) == ["intl_ingress_local_cli"], "rules has only intl_ingress_local_cli")
    rule = rules.get("intl_ingress_local_cli", {})
    C.ok(sorted(rule.keys()) == ["sources", "trunks"], "rule keys trunks/sources")
    gw_trunks = set(rule.get("trunks", []))
    C.ok(len(gw_trunks) > 0, "gateway trunks listed")
    nets = []
    for s in rule.get("sources", []):
        try:
            nets.append(ipaddress.ip_network(s))
        except ValueError:
            C.ok(False, "source CIDR parses", s)
    C.ok(len(nets) > 0, "gateway sources listed")
    lists = cfg.get("lists", {})
    C.ok(sorted(lists.keys()) == ["allow_a_numbers", "allow_b_numbers"], "lists keys")
    allow_a, allow_b = set(lists.get("allow_a_numbers", [])), set(lists.get("allow_b_numbers", []))
    C.ok(len(allow_a) > 0 and len(allow_b) > 0, "allow lists non-empty in deploy config")
    for x in sorted(allow_a | allow_b):
        v, cc, _ = parse(x)
        C.ok(x.startswith("+") and v, "allow-list number valid E.164", x)
    C.ok(all(x.startswith("+52") for x in allow_b), "allow_b numbers are +52")
    if os.path.exists(bare_p):
        with open(bare_p, "rb") as f:
            bare = tomllib.load(f)
        C.ok(bare.get("lists") == {"allow_b_numbers": [], "allow_a_numbers": []}, "bare config lists empty")
        C.ok(bare.get("numbering") == cfg.get("numbering") and bare.get("rules") == cfg.get("rules"),
             "bare config otherwise identical")
    else:
        print("note: no bare.toml in set")

    ipcache = {}

    def is_gw(ip, trunk):
        if trunk and trunk in gw_trunks:
            return True
        g = ipcache.get(ip)
        if g is None:
            a = ipaddress.ip_address(ip)
            g = any(a in nt for nt in nets)
            ipcache[ip] = g
        return g

    # ---------------------------------------------------------- rows
    ids = set()
    dup = 0
    misalign = 0
    prev = -1
    unsorted = 0
    out_window = 0
    bad_ip = 0
    bad_trunk = 0
    gw_ip_named_other = 0
    gw_backup_rows = 0
    bad_lab = collections.Counter()
    invalid_legit = []
    invalid_attack = []
    valid_invalidcli = []
    gw_local_attack_other = 0
    inst_rows = collections.defaultdict(list)
    inst_type = {}
    inst_int = {}
    legit_counts = collections.Counter()
    hour_counts = [0, 0]
    legit_b = collections.Counter()
    legit_a = collections.Counter()
    legit_b_type = {}
    legit_a_type = {}
    fam_hour_inst = collections.defaultdict(set)
    gw_local_legit = collections.Counter()
    attack_rows = 0
    for i in range(n):
        c, l = cdrs[i], labs[i]
        cid, a, b, ts, ip, trunk = c
        if cid != l[0]:
            misalign += 1
        if cid in ids or not cid:
            dup += 1
        ids.add(cid)
        try:
            t = int(ts)
        except ValueError:
            t = -1
            unsorted += 1
        if t < prev:
            unsorted += 1
        prev = t
        if not (T0_MS <= t < T0_MS + 2 * HOUR):
            out_window += 1
        else:
            hour_counts[(t - T0_MS) // HOUR] += 1
        try:
            ipaddress.IPv4Address(ip)
        except ValueError:
            bad_ip += 1
        if not TRUNK_RE.match(trunk):
            bad_trunk += 1
        gw = is_gw(ip, trunk)
        if gw and trunk == "":
            gw_backup_rows += 1
        if trunk in gw_trunks and not any(ipaddress.ip_address(ip) in nt for nt in nets):
            gw_ip_named_other += 1
        cls, typ, inst, inten, var = l[1:]
        av, acc, _ = parse(a)
        bv, bcc, _ = parse(b)
        a_local = (acc == 52)
        if not var:
            bad_lab["empty variant"] += 1
        if cls == "legit":
            legit_counts[typ] += 1
            if not SNAKE.match(typ) or typ in FAMILIES:
                bad_lab[f"legit type {typ}"] += 1
            if inst or inten:
                bad_lab["legit with instance/intensity"] += 1
            if not (av and bv):
                invalid_legit.append((cid, a, b, typ))
            legit_b[b] += 1
            legit_a[a] += 1
            legit_b_type.setdefault(b, typ)
            legit_a_type.setdefault(a, typ)
            if gw and a_local:
                gw_local_legit[typ] += 1
        elif cls == "attack":
            attack_rows += 1
            if typ not in FAMILIES:
                bad_lab[f"attack type {typ}"] += 1
                continue
            if not inst:
                bad_lab["attack without instance"] += 1
            try:
                fv = float(inten)
                if not math.isfinite(fv):
                    raise ValueError
            except ValueError:
                bad_lab["attack intensity not numeric"] += 1
                fv = float("nan")
            if inst in inst_type and inst_type[inst] != typ:
                bad_lab["instance spans families"] += 1
            inst_type[inst] = typ
            if inst in inst_int and inst_int[inst] != inten:
                bad_lab["instance intensity differs between rows"] += 1
            inst_int[inst] = inten
            inst_rows[inst].append((t, e164(a), e164(b), ip, trunk, gw))
            if typ == "invalid_cli":
                if av:
                    valid_invalidcli.append(a)
                if not bv:
                    invalid_attack.append((cid, "b", b))
                if gw:
                    bad_lab["invalid_cli via gateway"] += 1
            else:
                if not (av and bv):
                    invalid_attack.append((cid, a, b))
            if typ == "intl_local_cli":
                if not (gw and a_local):
                    bad_lab["intl_local_cli row not +52 CLI on gateway"] += 1
            elif gw and a_local:
                gw_local_attack_other += 1
        else:
            bad_lab[f"class {cls}"] += 1
    C.ok(misalign == 0, "call_id alignment cdrs/labels", str(misalign))
    C.ok(dup == 0, "call_ids unique and non-empty", str(dup))
    C.ok(unsorted == 0, "timestamps integer and non-decreasing", str(unsorted))
    C.ok(out_window == 0, "timestamps inside the 2-hour window", str(out_window))
    C.ok(bad_ip == 0, "source_ip IPv4", str(bad_ip))
    C.ok(bad_trunk == 0, "trunk charset", str(bad_trunk))
    C.ok(gw_ip_named_other == 0, "gateway trunks come from gateway CIDRs", str(gw_ip_named_other))
    C.ok(gw_backup_rows > 0, "some gateway traffic arrives with empty trunk on backup addresses")
    C.ok(not bad_lab, "label rules", str(dict(bad_lab)))
    C.ok(not invalid_legit, "legit numbers valid (libphonenumber)", f"{len(invalid_legit)} e.g. {invalid_legit[:5]}")
    C.ok(not invalid_attack, "attack numbers valid outside invalid_cli", f"{len(invalid_attack)} e.g. {invalid_attack[:5]}")
    C.ok(not valid_invalidcli, "invalid_cli CLIs are invalid per libphonenumber", str(valid_invalidcli[:5]))
    C.ok(gw_local_attack_other == 0, "only intl_local_cli attacks put +52 CLIs on gateways", str(gw_local_attack_other))
    roam = [t for t in legit_counts if "roam" in t]
    C.ok(bool(roam), "a legit class name contains 'roam'")
    C.ok(all("roam" in t for t in gw_local_legit), "legit +52 CLIs on gateways are roaming classes",
         str(dict(gw_local_legit)))
    C.ok(len(legit_counts) >= 12, "at least 12 legit classes", str(len(legit_counts)))
    for h in range(2):
        C.ok(50000 <= hour_counts[h] <= 60000, f"hour {h + 1} volume ~50-60k INVITEs", str(hour_counts[h]))
    natfmt = sum(1 for c in cdrs if not c[1].startswith("+"))
    print(f"hour volumes: {hour_counts}; attack rows {attack_rows}; national-format a-numbers {natfmt}")

    # ---------------------------------------------------------- allow lists
    for x in sorted(allow_b):
        C.ok(legit_b[x] > 0, "allow_b number receives legit calls", x)
    for x in sorted(allow_a):
        C.ok(legit_a[x] > 0, "allow_a number places legit calls", x)
    crowd_types = {"hotline_inbound", "radio_tv_call_in", "conference_bridge_join"}
    unl_b = [x for x, k in legit_b.items() if k >= 20 and legit_b_type.get(x) in crowd_types and x not in allow_b]
    C.ok(len(unl_b) > 0, "some hotlines/bridges/call-in numbers are NOT allow-listed", str(len(unl_b)))
    cc_types = {"call_centre_outbound", "collections_dialler"}
    unl_a = [x for x, k in legit_a.items() if k >= 20 and legit_a_type.get(x) in cc_types and x not in allow_a]
    C.ok(len(unl_a) > 0, "some call-centre CLIs are NOT allow-listed", str(len(unl_a)))

    # ---------------------------------------------------------- instances
    ints = collections.defaultdict(list)
    bad_int = []
    for iid, rs in inst_rows.items():
        fam = inst_type[iid]
        ts = [r[0] for r in rs]
        span = max(ts) - min(ts)
        h = (min(ts) - T0_MS) // HOUR
        fam_hour_inst[(fam, h)].add(iid)
        clis = {r[1] for r in rs}
        callees = {r[2] for r in rs}
        try:
            if fam == "masking_burst":
                exp = (len(rs) - 1) / (span / 1000.0)
                C.ok(len(callees) == 1, "masking_burst has one callee", iid)
                C.ok(len(clis) == len(rs) and len(rs) >= 2, "masking_burst CLIs distinct (>=2 calls)", iid)
            elif fam == "refiled_masking":
                exp = (len(clis) - 1) / (span / 60000.0)
                C.ok(len(callees) == 1 and len(clis) >= 2, "refiled_masking one callee, >=2 CLIs", iid)
                C.ok(not any(r[5] for r in rs), "refiled_masking not on a gateway", iid)
                C.ok(all(parse(r[1])[1] == 52 for r in rs), "refiled_masking uses national CLIs", iid)
            elif fam == "cli_rotation":
                exp = (len(clis) - 1) / (span / 1000.0)
                C.ok(len({r[3] for r in rs}) == 1, "cli_rotation has one source", iid)
                C.ok(not any(r[5] for r in rs), "cli_rotation not on a gateway", iid)
            elif fam == "simbox":
                per = collections.defaultdict(list)
                for r in rs:
                    per[r[1]].append(r[0])
                vals = []
                for s, tl in per.items():
                    C.ok(len(tl) >= 2 and max(tl) > min(tl), "simbox SIM has >=2 calls", f"{iid} {s}")
                    vals.append((len(tl) - 1) / ((max(tl) - min(tl)) / 60000.0))
                exp = sum(vals) / len(vals)
                C.ok(not any(r[5] for r in rs), "simbox not on a gateway", iid)
            else:
                exp = float(len(rs))
        except ZeroDivisionError:
            C.ok(False, "instance span > 0", iid)
            continue
        got = float(inst_int[iid])
        if abs(got - exp) > 1e-6 + 1e-5 * abs(exp):
            bad_int.append((iid, got, exp))
        ints[fam].append(exp)
    C.ok(not bad_int, "intensities recomputed from rows match labels", str(bad_int[:5]))
    for fam in FAMILIES:
        for h in range(2):
            k = len(fam_hour_inst[(fam, h)])
            C.ok(20 <= k <= 30, f"{fam}: 20-30 instances start in hour {h + 1}", str(k))
        v = sorted(ints[fam])
        if v:
            C.ok(v[-1] / max(v[0], 1e-9) >= 10, f"{fam}: intensities sweep >= 10x", f"{v[0]}..{v[-1]}")
            print(f"  {fam:16s} n={len(v):3d} intensity min {v[0]:.4g} median {statistics.median(v):.4g} "
                  f"max {v[-1]:.4g}")

    print("legit classes:", ", ".join(f"{k}={v}" for k, v in sorted(legit_counts.items())))

    # ---------------------------------------------------------- determinism
    if args.seed is not None:
        with tempfile.TemporaryDirectory(prefix="gen15chk") as td:
            cmd = [sys.executable if False else "python3", os.path.join(HERE, "indep_gen15.py"),
                   "--seed", str(args.seed), "--out", os.path.join(td, "cdrs.csv"),
                   "--labels", os.path.join(td, "labels.csv"), "--config", os.path.join(td, "deploy.toml"),
                   "--bare-config", os.path.join(td, "bare.toml"), "--quiet"]
            subprocess.run(cmd, check=True)
            for fn in ("cdrs.csv", "labels.csv", "deploy.toml", "bare.toml"):
                if os.path.exists(os.path.join(d, fn)):
                    C.ok(filecmp.cmp(os.path.join(d, fn), os.path.join(td, fn), shallow=False),
                         f"determinism: {fn} identical on re-run")

    print(f"checks passed: {C.passed}, failed: {C.fail}")
    sys.exit(1 if C.fail else 0)


if __name__ == "__main__":
    main()
