#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR Apache-2.0
"""Fifth independent labelled traffic generator (Ghana, +233).

Simulates two weekday hours (Tuesday 10 March 2026, 09:00-11:00 GMT, which is
also Ghana local time) of INVITEs entering the voice switch of one Ghanaian
mobile operator that owns the 024/054/055/059/053/0256/0257 mobile ranges and
a small fixed/enterprise arm.  Writes CDRs, labels and the operator's
deployment TOML.  Python 3.11 standard library only; deterministic per seed.

See docs/fifth-generator.md for the model and its sources.
"""

import argparse
import bisect
import csv
import datetime
import math
import random
import sys
import time

CC = "233"
START_MS = int(datetime.datetime(2026, 3, 10, 9, 0, tzinfo=datetime.timezone.utc).timestamp() * 1000)
HOUR_S = 3600.0
SPAN_S = 2 * HOUR_S

# ---------------------------------------------------------------- numbering
# NSN = 9 digits.  Mobile 2[0346-9]x, 25[67], 5[03-7]x, 59[1-9]; fixed 3x...;
# toll free 800 + 5/6 digits.  Home operator ranges (MTN-like):
HOME_MOBILE = [("24", 34), ("54", 24), ("55", 20), ("591", 3), ("592", 2), ("593", 2),
               ("594", 2), ("595", 1), ("596", 1), ("597", 1), ("598", 1), ("599", 1),
               ("53", 6), ("256", 2), ("257", 2)]
OTHER_MOBILE = {
    "telecel": [("20", 55), ("50", 45)],
    "at": [("26", 30), ("27", 30), ("56", 22), ("57", 18)],
    "glo": [("23", 100)],
}
FIXED = [("302", 30), ("303", 8), ("307", 6), ("3220", 5), ("3221", 3), ("3224", 2),
         ("327", 3), ("3120", 3), ("3121", 1), ("317", 1), ("3320", 2), ("3321", 2),
         ("3420", 2), ("3520", 2), ("3620", 2), ("3720", 2), ("3820", 1), ("3920", 1)]
# Prefixes that cannot exist in the Ghanaian plan (9-digit NSN): old pre-2010
# Accra/Tema codes 21/22, unopened 4x/6x/7x/8x/9x/1x, 51/52/58, gaps inside
# opened blocks (250-255, 590, 3060-3069 are not in the plan).
UNASSIGNED = ["21", "22", "40", "41", "45", "48", "51", "52", "58", "60", "61", "64", "68",
              "70", "71", "74", "77", "81", "85", "90", "93", "99", "10", "19",
              "250", "251", "253", "255", "590", "3061", "3065", "3069"]


def wtable(pairs):
    acc, cum, keys = 0, [], []
    for k, w in pairs:
        acc += w
        cum.append(acc)
        keys.append(k)
    return keys, cum


def wpick(rng, table):
    keys, cum = table
    return keys[bisect.bisect_right(cum, rng.random() * cum[-1])]


HOME_T = wtable(HOME_MOBILE)
OTHER_T = {k: wtable(v) for k, v in OTHER_MOBILE.items()}
ALL_OTHER_T = wtable([(p, w * s) for k, s in (("telecel", 30), ("at", 22), ("glo", 3))
                      for p, w in OTHER_MOBILE[k]])
FIXED_T = wtable(FIXED)


def fill(rng, prefix, length=9):
    n = length - len(prefix)
    return prefix + "".join(str(rng.randrange(10)) for _ in range(n))


def fresh_home(rng):
    return fill(rng, wpick(rng, HOME_T))


def fresh_other(rng, op=None):
    return fill(rng, wpick(rng, OTHER_T[op] if op else ALL_OTHER_T))


def fresh_fixed(rng):
    return fill(rng, wpick(rng, FIXED_T))


def fresh_any_gh(rng):
    r = rng.random()
    if r < 0.45:
        return fresh_home(rng)
    if r < 0.9:
        return fresh_other(rng)
    return fresh_fixed(rng)


_HOME_KEYS = []
for _p, _w in HOME_MOBILE:
    _HOME_KEYS += [_p] * _w


def home_sub(idx):
    """Deterministic subscriber number for population index idx (0..~4M)."""
    p = _HOME_KEYS[idx % len(_HOME_KEYS)]
    n = 9 - len(p)
    v = ((idx // len(_HOME_KEYS)) * 7919 + 104729 * (idx % 7) + 12345) % (10 ** n)
    return p + str(v).zfill(n)


FOREIGN = [  # (cc, weight, generator of NSN)
    ("1", 16, lambda r: r.choice(["201", "202", "212", "214", "267", "305", "312", "347", "404", "415",
                                  "469", "617", "646", "678", "713", "718", "773", "832", "917", "416",
                                  "647", "514", "604"]) + str(r.randint(2, 9)) + "%02d%04d" % (r.randint(0, 99), r.randint(0, 9999))),
    ("44", 17, lambda r: "7" + r.choice("578") + str(r.randint(1, 9)) + "%07d" % r.randrange(10 ** 7)),
    ("234", 15, lambda r: r.choice(["803", "806", "813", "816", "703", "706", "810", "814", "902", "905",
                                    "809", "817", "818", "909", "708", "802", "808", "812", "701"]) + "%07d" % r.randrange(10 ** 7)),
    ("225", 6, lambda r: "0" + r.choice("157") + "%08d" % r.randrange(10 ** 8)),
    ("228", 5, lambda r: r.choice(["90", "91", "92", "93", "96", "97", "98", "99", "70", "79"]) + "%06d" % r.randrange(10 ** 6)),
    ("226", 3, lambda r: r.choice(["70", "71", "72", "74", "75", "76", "77", "78", "60", "61", "65", "66"]) + "%06d" % r.randrange(10 ** 6)),
    ("49", 6, lambda r: r.choice(["151", "152", "157", "160", "170", "171", "172", "176", "177", "178"]) + "%08d" % r.randrange(10 ** 8)),
    ("39", 5, lambda r: "3" + r.choice("2345679") + "%08d" % r.randrange(10 ** 8)),
    ("31", 4, lambda r: "6" + r.choice("12345") + "%07d" % r.randrange(10 ** 7)),
    ("86", 4, lambda r: "13" + str(r.randint(0, 9)) + "%08d" % r.randrange(10 ** 8)),
    ("27", 3, lambda r: r.choice(["82", "83", "84", "72", "73", "74", "76", "79"]) + "%07d" % r.randrange(10 ** 7)),
    ("971", 4, lambda r: "5" + r.choice("024568") + "%07d" % r.randrange(10 ** 7)),
    ("32", 2, lambda r: "4" + r.choice("789") + "%07d" % r.randrange(10 ** 7)),
]
FOREIGN_T = wtable([(i, w) for i, (_, w, _) in enumerate(FOREIGN)])


def fresh_foreign(rng):
    cc, _, g = FOREIGN[wpick(rng, FOREIGN_T)]
    return "+" + cc + g(rng)


def e164(nsn):
    return "+" + CC + nsn


# ---------------------------------------------------------------- ingress
ONNET = {"MSC-ACC-01": ["10.20.1.11", "10.20.1.12"], "MSC-ACC-02": ["10.20.2.11"],
         "MSC-KSI-01": ["10.21.1.11"], "MSC-TML-01": ["10.22.1.11"],
         "IMS-SBC-ACC": ["10.30.0.5", "10.30.0.6"]}
ONNET_T = wtable([("MSC-ACC-01", 30), ("MSC-ACC-02", 22), ("MSC-KSI-01", 22), ("MSC-TML-01", 8), ("IMS-SBC-ACC", 18)])
# interconnect trunk -> (ips, operator of most CLIs, weight, national-format share)
IC = {"IC-TELECEL-ACC": (["196.201.32.10", "196.201.32.11"], "telecel", 30, 0.0),
      "IC-TELECEL-KSI": (["196.201.33.10"], "telecel", 10, 0.0),
      "IC-AT-ACC": (["41.66.200.20", "41.66.200.21"], "at", 28, 0.02),
      "IC-AT-TML": (["41.66.201.20"], "at", 6, 0.85),   # legacy TDM-converted, national format
      "IC-GLO-ACC": (["154.160.2.30"], "glo", 4, 0.0),
      "IC-TRANSIT-ACC": (["102.176.64.5", "102.176.64.6"], "mixed", 22, 0.10)}
IC_T = wtable([(k, v[2]) for k, v in IC.items()])
IGW = {"IGW-ACC-BICS": (["194.69.12.40", "194.69.12.41"], 30),
       "IGW-ACC-TATA": (["195.219.56.10", "195.219.56.11"], 25),
       "IGW-ACC-ORANGE": (["193.251.160.20"], 20),
       "IGW-KSI-MAINONE": (["197.211.40.10"], 12),
       "": (["41.191.104.10", "41.191.104.11", "41.191.104.12"], 13)}  # wholesale SIP peer, no trunk group
IGW_T = wtable([(k, v[1]) for k, v in IGW.items()])
IGW_TRUNKS = [k for k in IGW if k]
IGW_CIDRS = ["194.69.12.0/24", "195.219.56.0/24", "193.251.160.0/24", "197.211.40.0/24", "41.191.104.0/26"]


def pick_onnet(rng):
    t = wpick(rng, ONNET_T)
    return t, rng.choice(ONNET[t])


def pick_ic(rng, name=None):
    t = name or wpick(rng, IC_T)
    return t, rng.choice(IC[t][0])


def pick_igw(rng, name=None):
    t = wpick(rng, IGW_T) if name is None else name
    return t, rng.choice(IGW[t][0])


def rand_public_ip(rng):
    first = rng.choice([102, 154, 41, 197, 105, 156, 169, 45, 185, 196])
    return "%d.%d.%d.%d" % (first, rng.randint(0, 255), rng.randint(0, 255), rng.randint(2, 254))


def loguni(rng, lo, hi):
    return math.exp(rng.uniform(math.log(lo), math.log(hi)))


def sweep(rng, n, lo, hi):
    """n stratified log-uniform values over [lo, hi], shuffled (covers the whole range)."""
    a, b = math.log(lo), math.log(hi)
    vals = [math.exp(a + (b - a) * (i + rng.random()) / n) for i in range(n)]
    rng.shuffle(vals)
    return vals


def fmt_rate(x):
    return ("%.4g" % x)


# ---------------------------------------------------------------- generator
class Gen:
    def __init__(self, seed):
        self.seed = seed
        self.rows = []
        self.n_inst = 0
        self.allow_b = []
        self.allow_a = []
        self.pbx = []         # (trunk, ip, ddi list, main)
        self.sipcust = []     # (ip, dids)

    def rng(self, stream):
        return random.Random("gen5:%s:%s" % (self.seed, stream))

    def add(self, t_s, a, b, ip, trunk, typ, cls="legit", inst="", inten="", var=""):
        if t_s < 0 or t_s >= SPAN_S:
            return False
        self.rows.append((START_MS + int(t_s * 1000), len(self.rows), a, b, ip, trunk, cls, typ, inst, inten, var))
        return True

    def inst_id(self, fam):
        self.n_inst += 1
        return "%s-%04d" % (fam, self.n_inst)

    # rate multiplier: mid-morning ramp, hour 2 a bit busier, minute noise
    def load(self, t):
        return 0.93 + 0.12 * (t / SPAN_S) + 0.04 * math.sin(t / 600.0)

    def poisson_times(self, rng, per_hour):
        t, out = 0.0, []
        lam = per_hour / HOUR_S
        while True:
            t += rng.expovariate(lam * 1.1)
            if t >= SPAN_S:
                return out
            if rng.random() < self.load(t) / 1.1:
                out.append(t)

    # ---- home callee selection
    def callee(self, rng):
        r = rng.random()
        if r < 0.84:
            return home_sub(int(rng.paretovariate(0.6) * 1000) % 4_000_000 if rng.random() < 0.3 else rng.randrange(4_000_000))
        if r < 0.87:
            return self.ported_in(rng)
        return self.fixed_sub(rng)

    def ported_in(self, rng):
        # subscriber who ported into the home network keeps another operator's prefix
        i = rng.randrange(60000)
        r2 = random.Random("gen5:ported:%d" % i)
        return fresh_other(r2)

    def fixed_sub(self, rng):
        i = rng.randrange(80000)
        return fresh_fixed(random.Random("gen5:fixed:%d" % i))

    def home_caller(self, rng):
        r = rng.random()
        if r < 0.03:
            return self.ported_in(rng)
        return home_sub(rng.randrange(4_000_000))

    def fmt_b(self, rng, nsn, nat_share):
        if nat_share and rng.random() < nat_share:
            return "0" + nsn if rng.random() < 0.7 else nsn
        return e164(nsn)

    def fmt_a(self, rng, nsn, nat_share):
        if nat_share and rng.random() < nat_share:
            return "0" + nsn if rng.random() < 0.8 else nsn
        return e164(nsn)

    # ================================================================ legit
    def legit_subscriber(self):
        rng = self.rng("subscriber")
        for t in self.poisson_times(rng, 13000):
            tr, ip = pick_onnet(rng)
            self.add(t, e164(self.home_caller(rng)), e164(self.callee(rng)), ip, tr, "subscriber")

    def legit_interconnect(self):
        rng = self.rng("interconnect")
        for t in self.poisson_times(rng, 12000):
            tr, ip = pick_ic(rng)
            op, nat = IC[tr][1], IC[tr][3]
            r = rng.random()
            if op == "mixed":
                a = fresh_other(rng) if r < 0.6 else (fresh_fixed(rng) if r < 0.9 else home_sub(rng.randrange(4_000_000)))
            elif r < 0.95:
                a = fresh_other(rng, op)
            else:   # ported out of the home network: home prefix on a foreign interconnect
                a = home_sub(rng.randrange(4_000_000))
            self.add(t, self.fmt_a(rng, a, nat), self.fmt_b(rng, self.callee(rng), nat), ip, tr, "interconnect")

    def legit_international(self):
        rng = self.rng("international")
        for t in self.poisson_times(rng, 4400):
            tr, ip = pick_igw(rng)
            self.add(t, fresh_foreign(rng), e164(self.callee(rng)), ip, tr, "international")

    def legit_roamer(self):
        # home subscribers roaming abroad calling home (CLI is their home number, via IGW)
        rng = self.rng("roamer")
        for t in self.poisson_times(rng, 55):
            tr, ip = pick_igw(rng)
            self.add(t, e164(home_sub(rng.randrange(4_000_000))), e164(self.callee(rng)), ip, tr, "roamer")
        # inbound roamers: foreign SIMs in our radio network calling locally
        rng = self.rng("inbound_roamer")
        for t in self.poisson_times(rng, 140):
            tr, ip = pick_onnet(rng)
            self.add(t, fresh_foreign(rng), e164(self.callee(rng)), ip, tr, "inbound_roamer")

    def legit_forwarding(self):
        rng = self.rng("forwarding")
        for t in self.poisson_times(rng, 520):   # forwarded by another national network
            tr, ip = pick_ic(rng)
            r = rng.random()
            a = (e164(home_sub(rng.randrange(4_000_000))) if r < 0.35 else
                 e164(fresh_other(rng)) if r < 0.85 else e164(fresh_fixed(rng)) if r < 0.94 else fresh_foreign(rng))
            self.add(t, a, e164(self.callee(rng)), ip, tr, "forwarding")
        for t in self.poisson_times(rng, 22):    # forwarded abroad and back: home CLI via IGW
            tr, ip = pick_igw(rng)
            self.add(t, e164(fresh_any_gh(rng)), e164(self.callee(rng)), ip, tr, "forwarding")

    def any_ingress_caller(self, rng, foreign_share=0.0):
        r = rng.random()
        if r < foreign_share:
            tr, ip = pick_igw(rng)
            return fresh_foreign(rng), tr, ip
        if r < foreign_share + (1 - foreign_share) * 0.62:
            tr, ip = pick_onnet(rng)
            return e164(self.home_caller(rng)), tr, ip
        tr, ip = pick_ic(rng)
        nat = IC[tr][3]
        op = IC[tr][1]
        a = fresh_other(rng, None if op == "mixed" else op)
        return self.fmt_a(rng, a, nat), tr, ip

    def legit_hotlines(self):
        rng = self.rng("hotline")
        lines = []  # (nsn, calls/h, listed)
        for i in range(14):
            kind = i % 3
            nsn = fill(rng, "800") if kind == 0 else (fill(rng, "800", 8) if kind == 1 else fill(rng, "302"))
            rate = loguni(rng, 25, 260)
            listed = rng.random() < 0.75
            lines.append((nsn, rate, listed))
            if listed:
                self.allow_b.append(e164(nsn))
        for nsn, rate, _ in lines:
            for t in self.poisson_times(rng, rate):
                a, tr, ip = self.any_ingress_caller(rng, 0.02)
                self.add(t, a, e164(nsn), ip, tr, "hotline")
                if rng.random() < 0.25:   # queue full / hung up -> redial
                    for k in range(rng.randint(1, 3)):
                        t += rng.uniform(8, 90)
                        self.add(t, a, e164(nsn), ip, tr, "hotline")
        # short TV/promo windows: a hotline flooded after an advert
        for _ in range(3):
            nsn, _, _ = rng.choice(lines)
            t0 = rng.uniform(0, SPAN_S - 300)
            for _ in range(rng.randint(20, 70)):
                a, tr, ip = self.any_ingress_caller(rng, 0.0)
                self.add(t0 + rng.expovariate(1 / 60.0), a, e164(nsn), ip, tr, "hotline")

    def legit_radio(self):
        # morning talk/sports shows taking phone-ins on mobile and fixed studio lines
        rng = self.rng("radio")
        stations = [fresh_home(rng) for _ in range(5)] + [fill(rng, "302"), fill(rng, "3220")]
        for st in stations:
            t = rng.uniform(0, 900)
            while t < SPAN_S:
                n = int(loguni(rng, 8, 90))
                spread = rng.uniform(15, 150)
                callers = [self.any_ingress_caller(rng, 0.01) for _ in range(n)]
                for a, tr, ip in callers:
                    tt = t + rng.expovariate(3.0 / spread)
                    self.add(tt, a, e164(st), ip, tr, "radio_phonein")
                    for _ in range(rng.choice([0, 0, 0, 1, 1, 2, 4])):
                        tt += rng.uniform(5, 60)
                        self.add(tt, a, e164(st), ip, tr, "radio_phonein")
                t += rng.uniform(900, 2700)

    def legit_conference(self):
        rng = self.rng("conference")
        bridges = [fill(rng, "302"), fill(rng, "303"), fill(rng, "800"), fill(rng, "302"), fill(rng, "800", 8)]
        for i, b in enumerate(bridges):
            if i != 3:
                self.allow_b.append(e164(b))   # one corporate bridge is not listed
        for slot in range(0, 8):
            t0 = slot * 900.0
            for b in bridges:
                if rng.random() < (0.8 if slot % 2 == 0 else 0.35):
                    n = int(loguni(rng, 3, 45))
                    for _ in range(n):
                        a, tr, ip = self.any_ingress_caller(rng, 0.12)
                        if rng.random() < 0.2 and self.pbx:
                            p = rng.choice(self.pbx)
                            a, tr, ip = e164(rng.choice(p[2])), p[0], p[1]
                        tt = t0 + rng.gauss(30, 80)
                        self.add(tt, a, e164(b), ip, tr, "conference")
                        if rng.random() < 0.1:
                            self.add(tt + rng.uniform(20, 600), a, e164(b), ip, tr, "conference")

    def build_pbx(self):
        rng = self.rng("pbx-build")
        orgs = ["KBTH", "GCB-HQ", "ECG-ACC", "UG-LEGON", "GRA-HQ", "KNUST", "TEMA-PORT", "STANCHART", "ACCRA-MALL",
                "MOH", "GPHA", "VRA-AKS", "ABSA-GH", "KATH", "MINFIN", "GOIL", "FIDELITY", "NHIA", "GWCL", "COCOBOD",
                "ZENITH-GH", "UCC", "ADB", "SIC", "PRUDENTIAL", "HOTEL-LABADI", "AIRPORT-ACC", "ENI-GH"]
        for org in orgs:
            size = rng.choice([10, 20, 50, 100, 100, 200, 500, 1000])
            base = fill(rng, rng.choice(["302", "302", "303", "3220", "3120"]))
            base_i = int(base[len(base) - 3:]) // size * size if size <= 1000 else 0
            head = base[:-3]
            ddi = [head + "%03d" % ((base_i + k) % 1000) for k in range(min(size, 1000))]
            if rng.random() < 0.7:
                trunk, ip = "PBX-" + org, rand_public_ip(rng)
            else:
                trunk, ip = "", rand_public_ip(rng)
            self.pbx.append((trunk, ip, ddi, ddi[0], loguni(rng, 20, 380), rng.random() < 0.25))
        for i in range(26):
            dids = [fill(rng, rng.choice(["302", "303", "3220"])) for _ in range(rng.randint(1, 4))]
            if rng.random() < 0.3:
                dids = [fresh_home(rng)]   # SIP app customer presenting a mobile
            self.sipcust.append((rand_public_ip(rng), dids, loguni(rng, 6, 70)))

    def legit_pbx(self):
        rng = self.rng("pbx")
        for trunk, ip, ddi, main, rate, natfmt in self.pbx:
            # a small busy core of extensions makes most calls
            core = ddi[: max(3, len(ddi) // 5)]
            for t in self.poisson_times(rng, rate):
                r = rng.random()
                nsn = main if r < 0.3 else (rng.choice(core) if r < 0.8 else rng.choice(ddi))
                a = ("0" + nsn) if natfmt else e164(nsn)
                b = self.callee(rng)
                self.add(t, a, ("0" + b) if natfmt else e164(b), ip, trunk, "pbx")

    def legit_agent_pool(self):
        # outbound contact centres where every agent presents its own DDI
        rng = self.rng("agents")
        for k in range(3):
            n_agents = rng.randint(30, 90)
            head = fill(rng, rng.choice(["3027", "3030", "3022"]), 6)
            ddis = [head + "%03d" % (100 + i) for i in range(n_agents)]
            trunk, ip = ("ENT-CC-AGENTS%d" % (k + 1), rand_public_ip(rng)) if k != 2 else ("", rand_public_ip(rng))
            shift_start, shift_end = rng.uniform(0, 1200), rng.uniform(6000, SPAN_S + 600)
            for d in ddis:
                t = shift_start + rng.uniform(0, 120)
                gap = rng.uniform(60, 200)
                while t < shift_end:
                    self.add(t, e164(d), e164(self.callee(rng)), ip, trunk, "agent_pool")
                    t += rng.expovariate(1 / gap) + 10
                    if rng.random() < 0.02:
                        t += rng.uniform(300, 1200)   # break

    def legit_call_centre(self):
        rng = self.rng("callcentre")
        centres = [  # (ingress, n CLIs, listed, calls/s range, sessions)
            ("ENT-CC-TELCO", 1, True, (0.3, 2.0), 3),
            ("ENT-CC-BANK", 2, True, (0.1, 0.6), 3),
            ("IC-TELECEL-ACC", 1, False, (0.05, 0.3), 3),  # debt collector hosted on another network
            ("", 3, False, (0.1, 0.8), 3),                 # betting promo over bare SIP
            ("ENT-CC-INSURE", 2, True, (0.05, 0.3), 2),
            ("ENT-CC-UTIL", 1, False, (0.1, 0.5), 2),
        ]
        for ing, ncli, listed, (lo, hi), sess in centres:
            clis = [fill(rng, rng.choice(["302", "303", "800"]) if ing != "" else "302") for _ in range(ncli)]
            if ing == "IC-TELECEL-ACC":
                tr, ip = pick_ic(rng, ing)
            elif ing == "":
                tr, ip = "", rand_public_ip(rng)
            else:
                tr, ip = ing, rand_public_ip(rng)
            if listed:
                self.allow_a.extend(e164(c) for c in clis)
            for k in range(sess):
                t = (k % 2) * HOUR_S + rng.uniform(0, HOUR_S - 600)
                dur = rng.uniform(300, 1500)
                rate = rng.uniform(lo, hi)
                end = t + dur
                while t < end:
                    self.add(t, e164(rng.choice(clis)), e164(self.callee(rng)), ip, tr, "call_centre")
                    t += rng.expovariate(rate)

    def legit_proxy(self):
        # ride-hailing / delivery number-masking platform: a pool of proxy CLIs
        rng = self.rng("proxy")
        pool = [fill(rng, "302") for _ in range(24)]
        ip = rand_public_ip(rng)
        for t in self.poisson_times(rng, 700):
            self.add(t, e164(rng.choice(pool)), e164(home_sub(rng.randrange(4_000_000))), ip, "ENT-PROXY-RIDE", "proxy_platform")

    def legit_business_mobile(self):
        rng = self.rng("business")
        for u in range(170):
            me = home_sub(3_000_000 + u * 17)
            rate = loguni(rng, 12, 110)         # calls/hour (mobile-money agents, sales reps, drivers)
            contacts = [self.callee(rng) for _ in range(rng.randint(20, 200))]
            tr, ip = pick_onnet(rng)
            t = rng.uniform(0, 1800)
            end = rng.uniform(4800, SPAN_S + 1800)
            while t < end:
                b = rng.choice(contacts) if rng.random() < 0.55 else self.callee(rng)
                self.add(t, e164(me), e164(b), ip, tr, "business_mobile")
                t += rng.expovariate(rate / HOUR_S) + 15
                if rng.random() < 0.15:
                    tr, ip = pick_onnet(rng)   # moves between cells / MSCs

    def legit_redial(self):
        rng = self.rng("redial")
        for t in self.poisson_times(rng, 320):
            a, tr, ip = self.any_ingress_caller(rng, 0.03)
            b = e164(self.callee(rng))
            n = rng.choice([2, 2, 3, 3, 4, 5, 6])
            for _ in range(n):
                self.add(t, a, b, ip, tr, "redial")
                t += rng.uniform(6, 120)
            if rng.random() < 0.3 and (not a.startswith("+") or a.startswith("+233")):   # callback from the callee
                self.add(t + rng.uniform(30, 900), b, a if a.startswith("+") else e164(a.lstrip("0")), "10.20.1.11", "MSC-ACC-01", "redial")

    def legit_sip(self):
        rng = self.rng("sipcust")
        for ip, dids, rate in self.sipcust:
            for t in self.poisson_times(rng, rate):
                self.add(t, e164(rng.choice(dids)), e164(self.callee(rng)), ip, "", "sip_customer")

    # ================================================================ attacks
    def start_times(self, rng, per_hour, max_len=0.0):
        out = []
        for h in range(2):
            n = per_hour + rng.randint(-2, 2)
            for _ in range(n):
                out.append(h * HOUR_S + rng.uniform(0, HOUR_S - min(max_len, HOUR_S * 0.5)))
        return out

    def masking_ingress(self, rng):
        r = rng.random()
        if r < 0.45:
            tr, ip = pick_ic(rng, "IC-TRANSIT-ACC" if rng.random() < 0.5 else None)
            return tr, ip, "ic:" + tr, IC[tr][3]
        if r < 0.85:
            return "", rand_public_ip(rng), "grey_sip_ip", 0.0
        tr, ip = "SIP-WHOLESALE-%02d" % rng.randint(1, 6), rand_public_ip(rng)
        return tr, ip, "wholesale_trunk", 0.0

    def att_masking_burst(self):
        rng = self.rng("att-burst")
        starts = self.start_times(rng, 38, 300)
        for t0, rate in zip(starts, sweep(rng, len(starts), 0.03, 30)):   # calls/s into the callee
            inst = self.inst_id("mb")
            n = rng.choice([3, 4, 5, 5, 6, 6, 7, 8, 9, 10, 12, 14, 16, 20, 25, 30, 40])
            tr, ip, ing, nat = self.masking_ingress(rng)
            ck = rng.choice(["home_mobile", "other_mobile", "mixed_mobile", "mixed_fixed"])
            b = self.callee(rng)
            ts, t = [], t0
            for i in range(n):
                ts.append(t)
                t += rng.expovariate(rate) if rng.random() < 0.7 else 1.0 / rate
            span = ts[-1] - ts[0]
            inten = (n - 1) / span if span > 0 else rate
            for tt in ts:
                if ck == "home_mobile":
                    a = fresh_home(rng)
                elif ck == "other_mobile":
                    a = fresh_other(rng)
                elif ck == "mixed_mobile":
                    a = fresh_home(rng) if rng.random() < 0.5 else fresh_other(rng)
                else:
                    a = fresh_any_gh(rng)
                self.add(tt, self.fmt_a(rng, a, nat), self.fmt_b(rng, b, nat), ip, tr, "masking_burst", "attack",
                         inst, fmt_rate(inten), "%s;cli=%s;n=%d" % (ing, ck, n))

    def att_refiled(self):
        rng = self.rng("att-refile")
        trunks = [k for k in IC]
        for t0 in self.start_times(rng, 33, 600):
            inst = self.inst_id("rm")
            r = rng.random()
            if r < 0.6:
                n, span, q = rng.randint(3, 6), rng.uniform(15, 90), "nominal"
            elif r < 0.75:
                n, span, q = 2, rng.uniform(10, 120), "quiet_two"
            elif r < 0.9:
                n, span, q = rng.randint(3, 6), rng.uniform(180, 600), "quiet_slow"
            else:
                n, span, q = rng.randint(6, 10), rng.uniform(5, 20), "loud"
            tr = rng.choice(trunks)
            ip = rng.choice(IC[tr][0])
            nat = IC[tr][3]
            op = IC[tr][1]
            b = self.callee(rng)
            offs = sorted([0.0, span] + [rng.uniform(0, span) for _ in range(n - 2)])
            inten = n * 60.0 / span
            for o in offs:
                a = fresh_other(rng, None if op == "mixed" else op) if rng.random() < 0.7 else fresh_home(rng)
                self.add(t0 + o, self.fmt_a(rng, a, nat), self.fmt_b(rng, b, nat), ip, tr, "refiled_masking", "attack",
                         inst, fmt_rate(inten), "ic:%s;%s;n=%d;spread=%ds" % (tr, q, n, int(span)))

    def att_simbox(self):
        rng = self.rng("att-simbox")
        starts = self.start_times(rng, 8, 1200)
        for t0, per_min in zip(starts, sweep(rng, len(starts), 0.12, 10.0)):
            inst = self.inst_id("sb")
            n_sims = rng.choice([2, 3, 4, 4, 6, 8, 8, 12, 16, 24])
            dur = rng.uniform(8, 70) * 60
            if n_sims * per_min * dur / 60 > 1000:      # keep one box under ~1000 calls
                dur = max(6 * 60, 1000 * 60 / (n_sims * per_min))
            r = rng.random()
            partner = r < 0.25
            rotate = rng.random() < 0.3
            if partner:
                tr, ip = pick_ic(rng, rng.choice(["IC-AT-ACC", "IC-TELECEL-ACC", "IC-GLO-ACC"]))
                op = IC[tr][1]
                newsim = lambda: fresh_other(rng, op)
                ing = "partner_ic:" + tr
            else:
                tr, ip = pick_onnet(rng)
                newsim = lambda: fresh_home(rng)
                ing = "onnet:" + tr
            calls, active_min = 0, 0.0
            buf = []
            for s in range(n_sims):
                t = t0 + rng.uniform(0, 60)
                end = min(t0 + dur, SPAN_S)
                sim = newsim()
                life_end = t + (rng.uniform(120, 480) if rotate else 1e9)
                seg_start = t
                while t < end:
                    if t > life_end:
                        active_min += (t - seg_start) / 60
                        sim, seg_start = newsim(), t
                        life_end = t + rng.uniform(120, 480)
                    buf.append((t, sim))
                    gap = max(4.0, rng.gauss(60.0 / per_min, 0.35 * 60.0 / per_min))
                    t += gap
                active_min += (min(t, end) - seg_start) / 60
            inten = len(buf) / max(active_min, 0.1)
            for t, sim in buf:
                self.add(t, e164(sim), e164(self.callee(rng)), ip, tr, "simbox", "attack", inst, fmt_rate(inten),
                         "%s;sims=%d;%s;dur=%dmin" % (ing, n_sims, "rotating" if rotate else "static", int(dur / 60)))

    def att_cli_rotation(self):
        rng = self.rng("att-rot")
        starts = self.start_times(rng, 20, 400)
        for t0, rate in zip(starts, sweep(rng, len(starts), 0.08, 12)):
            inst = self.inst_id("cr")
            dur = rng.uniform(60, 300) if rng.random() < 0.8 else rng.uniform(20, 60)
            if rate * dur > 220:
                dur = max(20.0, 220 / rate)
            r = rng.random()
            if r < 0.35 and self.pbx:
                p = rng.choice(self.pbx)
                tr, ip, ing = p[0], p[1], "hijacked_pbx" + ("_trunk" if p[0] else "_ip")
            elif r < 0.6 and self.sipcust:
                c = rng.choice(self.sipcust)
                tr, ip, ing = "", c[0], "sip_customer_ip"
            elif r < 0.8:
                tr, ip, ing = "PBX-%s" % rng.choice(["SME", "HOTEL", "CLINIC", "SCHOOL"]) + str(rng.randint(10, 99)), rand_public_ip(rng), "new_pbx_trunk"
            else:
                tr, ip, ing = "", rand_public_ip(rng), "new_sip_ip"
            ck = rng.choice(["mobile", "mixed", "fixed_block"])
            t, ts = t0, []
            while t < t0 + dur:
                ts.append(t)
                t += rng.expovariate(rate)
            if len(ts) < 3:
                ts = [t0, t0 + 1 / rate, t0 + 2 / rate]
            span = ts[-1] - ts[0]
            inten = (len(ts) - 1) / span if span > 0 else rate
            head = fill(rng, "302", 6)
            one_b = rng.random() < 0.15
            b0 = self.callee(rng)
            for i, tt in enumerate(ts):
                if ck == "mobile":
                    a = fresh_home(rng) if rng.random() < 0.5 else fresh_other(rng)
                elif ck == "mixed":
                    a = fresh_any_gh(rng)
                else:
                    a = fill(rng, head[:5])  # random numbers around one fixed block
                self.add(tt, e164(a), e164(b0 if one_b else self.callee(rng)), ip, tr, "cli_rotation", "attack",
                         inst, fmt_rate(inten), "%s;cli=%s;%s" % (ing, ck, "one_callee" if one_b else "many_callees"))

    def att_intl_local(self):
        rng = self.rng("att-intl")
        starts = self.start_times(rng, 21, 900)
        for t0, nf in zip(starts, sweep(rng, len(starts), 1, 120)):
            inst = self.inst_id("il")
            n = max(1, int(nf))
            if rng.random() < 0.7:
                tr = rng.choice(IGW_TRUNKS)
                ip = rng.choice(IGW[tr][0])
                ing = "igw_trunk:" + tr
            else:
                tr, ip, ing = pick_igw(rng, "")[0], pick_igw(rng, "")[1], "igw_source_only"
            shape = rng.choice(["fresh_each", "fresh_each", "few_clis", "one_cli"])
            ck = rng.choice(["home_mobile", "other_mobile", "fixed"])
            pool = [fresh_home(rng) if ck == "home_mobile" else fresh_other(rng) if ck == "other_mobile" else fresh_fixed(rng)
                    for _ in range(1 if shape == "one_cli" else (rng.randint(2, 5) if shape == "few_clis" else n))]
            dur = rng.uniform(1, 1200)
            for i in range(n):
                a = pool[i % len(pool)]
                self.add(t0 + rng.uniform(0, dur) if n > 1 else t0, e164(a), e164(self.callee(rng)), ip, tr,
                         "intl_local_cli", "attack", inst, str(n), "%s;cli=%s;%s" % (ing, ck, shape))

    def att_invalid(self):
        rng = self.rng("att-invalid")
        starts = self.start_times(rng, 21, 900)
        for t0, nf in zip(starts, sweep(rng, len(starts), 1, 80)):
            inst = self.inst_id("iv")
            n = max(1, int(nf))
            kind = rng.choice(["trunk_prefix_nsn", "trunk_prefix_nsn", "unassigned_range", "unassigned_range",
                               "unassigned_range", "too_short", "too_long"])
            r = rng.random()
            if r < 0.4:
                tr, ip = pick_ic(rng)
                ing, nat = "ic:" + tr, IC[tr][3]
            elif r < 0.7:
                tr, ip, ing, nat = "", rand_public_ip(rng), "sip_ip", 0.0
            elif r < 0.85:
                tr, ip = pick_igw(rng)
                ing, nat = "igw:" + (tr or "bare"), 0.0
            else:
                tr, ip = pick_onnet(rng)
                ing, nat = "onnet:" + tr, 0.0
            dur = rng.uniform(1, 900)
            for i in range(n):
                if kind == "trunk_prefix_nsn":
                    a = "0" + fill(rng, wpick(rng, HOME_T) if rng.random() < 0.6 else wpick(rng, ALL_OTHER_T), 8)
                elif kind == "unassigned_range":
                    a = fill(rng, rng.choice(UNASSIGNED))
                elif kind == "too_short":
                    a = fill(rng, wpick(rng, HOME_T), rng.choice([6, 7, 8]))
                else:
                    a = fill(rng, wpick(rng, HOME_T), rng.choice([10, 11, 12]))
                if nat and kind != "trunk_prefix_nsn" and rng.random() < nat:
                    astr = "0" + a
                else:
                    astr = e164(a)
                self.add(t0 + rng.uniform(0, dur) if n > 1 else t0, astr, e164(self.callee(rng)), ip, tr,
                         "invalid_cli", "attack", inst, str(n), "%s;%s" % (ing, kind))

    # ================================================================ run
    def run(self):
        self.build_pbx()
        self.legit_subscriber()
        self.legit_interconnect()
        self.legit_international()
        self.legit_roamer()
        self.legit_forwarding()
        self.legit_hotlines()
        self.legit_radio()
        self.legit_conference()
        self.legit_pbx()
        self.legit_agent_pool()
        self.legit_call_centre()
        self.legit_proxy()
        self.legit_business_mobile()
        self.legit_redial()
        self.legit_sip()
        self.att_masking_burst()
        self.att_refiled()
        self.att_simbox()
        self.att_cli_rotation()
        self.att_intl_local()
        self.att_invalid()
        self.rows.sort(key=lambda r: (r[0], r[1]))


def toml_list(xs):
    return "[" + ", ".join('"%s"' % x for x in xs) + "]"


def write_toml(path, allow_b, allow_a):
    with open(path, "w", encoding="utf-8") as f:
        f.write("[numbering]\ncountry_code = \"%s\"\n\n" % CC)
        f.write("[rules.intl_ingress_local_cli]\ntrunks = %s\nsources = %s\n\n" % (toml_list(IGW_TRUNKS), toml_list(IGW_CIDRS)))
        f.write("[lists]\nallow_b_numbers = %s\nallow_a_numbers = %s\n" % (toml_list(allow_b), toml_list(allow_a)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--labels", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--bare-config")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    t_start = time.time()
    g = Gen(args.seed)
    g.run()
    with open(args.out, "w", newline="", encoding="utf-8") as fc, open(args.labels, "w", newline="", encoding="utf-8") as fl:
        wc, wl = csv.writer(fc, lineterminator="\n"), csv.writer(fl, lineterminator="\n")
        wc.writerow(["call_id", "a_number", "b_number", "timestamp_ms", "source_ip", "trunk"])
        wl.writerow(["call_id", "class", "type", "instance", "intensity", "variant"])
        for i, (ts, _, a, b, ip, tr, cls, typ, inst, inten, var) in enumerate(g.rows):
            cid = "g5-%d-%06d" % (args.seed, i)
            wc.writerow([cid, a, b, ts, ip, tr])
            wl.writerow([cid, cls, typ, inst, inten, var])
    write_toml(args.config, sorted(set(g.allow_b)), sorted(set(g.allow_a)))
    if args.bare_config:
        write_toml(args.bare_config, [], [])
    if not args.quiet:
        n_att = sum(1 for r in g.rows if r[6] == "attack")
        print("seed %d: %d calls (%d attack, %d instances) in %.2fs" % (args.seed, len(g.rows), n_att, g.n_inst,
                                                                        time.time() - t_start), file=sys.stderr)


if __name__ == "__main__":
    main()
