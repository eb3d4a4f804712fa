# SPDX-License-Identifier: MIT OR Apache-2.0
"""Independent labelled CDR generator (gen10): a fictional Brazilian operator.

Models two afternoon hours (14:00-16:00 BRT, 2024-03-12) of SIP INVITEs seen by
the SBCs of "Tupa Telecom", a fictional Brazilian mobile + fixed operator
(country code +55, Anatel numbering plan: two-digit DDD area codes, nine-digit
mobiles starting with 9, eight-digit fixed lines starting 2-5, 0800 / 0300 /
0303 / 4004 / 3003 non-geographic numbers).

Every number is logged in E.164 with a leading '+', as the SBC normalises it
at ingress (national forms, the trunk prefix 0 and the carrier selection code
CSP are stripped; the CSP of a long-distance transit carrier shows in its
trunk name).  The only exceptions are the deliberately broken CLIs of the
``invalid_cli`` family.

Outputs: cdrs.csv, labels.csv, deploy.toml and bare.toml (see gen10.md).
Python 3 standard library only; a seed always gives the same bytes.

Usage:
  python3 indep_gen10.py --seed S --out cdrs.csv --labels labels.csv \
      --config deploy.toml [--bare-config bare.toml] [--quiet]
"""

import argparse
import math
import random
import sys
import time

# 2024-03-12 14:00:00 -03:00 (BRT) == 17:00:00 UTC, a Tuesday.
T0_MS = 1710262800000
WINDOW_S = 7200.0

# ---------------------------------------------------------------------------
# Numbering plan (Anatel): DDD codes in use, with rough population weights.
# ---------------------------------------------------------------------------
DDD_ALL = ([11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 22, 24, 27, 28,
            31, 32, 33, 34, 35, 37, 38, 41, 42, 43, 44, 45, 46, 47, 48, 49,
            51, 53, 54, 55, 61, 62, 63, 64, 65, 66, 67, 68, 69,
            71, 73, 74, 75, 77, 79, 81, 82, 83, 84, 85, 86, 87, 88, 89,
            91, 92, 93, 94, 95, 96, 97, 98, 99])
_BIG = {11: 22, 21: 9, 31: 5, 41: 3.5, 51: 3.5, 61: 3.5, 71: 3.5, 81: 3.5,
        85: 3.5, 19: 3, 27: 2, 62: 2.5, 92: 2, 91: 2, 48: 2, 47: 2, 13: 2,
        12: 2, 15: 1.8, 16: 1.6, 17: 1.5, 34: 1.5, 83: 1.5, 84: 1.5, 98: 1.5}
DDD_W = [_BIG.get(d, 0.8) for d in DDD_ALL]
# DDD values that Anatel never assigned (used by invalid_cli).
DDD_UNASSIGNED = [20, 23, 25, 26, 29, 30, 36, 39, 40, 50, 52, 56, 57, 58,
                  59, 60, 70, 72, 76, 78, 80, 90]
CSP_CODES = ["12", "14", "15", "21", "23", "31", "41", "43", "61", "77"]


def digits(rng, k):
    return str(rng.randrange(10 ** k)).zfill(k)


def pick_ddd(rng):
    return rng.choices(DDD_ALL, DDD_W)[0]


def mobile(rng, ddd=None):
    if ddd is None:
        ddd = pick_ddd(rng)
    second = rng.choices("9876543", [30, 28, 20, 12, 5, 3, 2])[0]
    return "+55%d9%s%s" % (ddd, second, digits(rng, 7))


def fixed(rng, ddd=None):
    if ddd is None:
        ddd = pick_ddd(rng)
    first = rng.choices("2345", [25, 55, 12, 8])[0]
    return "+55%d%s%s" % (ddd, first, digits(rng, 7))


def br_number(rng, p_mobile=0.8, ddd=None):
    return mobile(rng, ddd) if rng.random() < p_mobile else fixed(rng, ddd)


def ddd_of(e164):
    return int(e164[3:5])


def nat0303(rng):
    return "+55303" + digits(rng, 7)


FOREIGN = [  # country, weight, maker -- mobile ranges valid per ITU plans
    ("US", 15, lambda r: "+1" + r.choice(["212", "305", "407", "415", "617", "646", "713", "786", "917", "954"])
     + str(r.randint(2, 9)) + digits(r, 6)),
    ("PT", 12, lambda r: "+3519" + r.choice("1236") + digits(r, 7)),
    ("AR", 12, lambda r: "+54911" + r.choice("2345678") + digits(r, 7)),
    ("PY", 8, lambda r: "+5959" + r.choice(["71", "72", "81", "82", "83", "84", "85", "91", "92", "94"]) + digits(r, 6)),
    ("BO", 5, lambda r: "+591" + r.choice("67") + digits(r, 7)),
    ("JP", 5, lambda r: "+8190" + r.choice("123456789") + digits(r, 7)),
    ("CN", 5, lambda r: "+8613" + digits(r, 9)),
    ("IT", 6, lambda r: "+393" + r.choice(["33", "35", "38", "40", "47", "49"]) + digits(r, 7)),
    ("ES", 6, lambda r: "+346" + digits(r, 8)),
    ("DE", 4, lambda r: "+49151" + digits(r, 8)),
    ("GB", 4, lambda r: "+447" + r.choice("45") + digits(r, 8)),
    ("FR", 3, lambda r: "+336" + r.choice("012") + digits(r, 7)),
    ("CO", 4, lambda r: "+573" + r.choice(["00", "01", "02", "10", "11", "12", "15", "20", "21"]) + digits(r, 7)),
    ("PE", 4, lambda r: "+519" + digits(r, 8)),
    ("CL", 4, lambda r: "+569" + r.choice("458") + digits(r, 7)),
    ("UY", 3, lambda r: "+5989" + r.choice("1345689") + digits(r, 6)),
    ("VE", 3, lambda r: "+584" + r.choice(["12", "14", "16", "24", "26"]) + digits(r, 7)),
]
FOREIGN_W = [f[1] for f in FOREIGN]


def foreign(rng):
    return rng.choices(FOREIGN, FOREIGN_W)[0][2](rng)


# ---------------------------------------------------------------------------
# Network: ingress points (trunk, source IP).
# ---------------------------------------------------------------------------
CORE = {"SP": [("IMS_SBC_SP01", "10.20.0.11"), ("IMS_SBC_SP02", "10.20.0.12")],
        "RJ": [("IMS_SBC_RJ01", "10.21.0.11")],
        "SUL": [("MSS_SUL01", "10.23.0.11")],
        "NE": [("MSS_NE01", "10.22.0.11"), ("IMS_SBC_NE02", "10.22.0.12")]}


def region(ddd):
    f = ddd // 10
    return {1: "SP", 2: "RJ", 3: "RJ", 4: "SUL", 5: "SUL"}.get(f, "NE")


def core_ingress(rng, ddd):
    return rng.choice(CORE[region(ddd)])


NI = [  # other national operators (point-of-interconnect trunks)
    ("ARAUCARIA", 34, [("IC_ARAUCARIA_SP01", "10.101.1.10"), ("IC_ARAUCARIA_SP02", "10.101.1.11"),
                       ("IC_ARAUCARIA_RJ01", "10.101.2.10"), ("IC_ARAUCARIA_NE01", "10.101.3.10")]),
    ("IPE", 28, [("IC_IPE_SP01", "10.102.1.10"), ("IC_IPE_RJ01", "10.102.2.10"), ("IC_IPE_SUL01", "10.102.4.10")]),
    ("JATOBA", 22, [("IC_JATOBA_SP01", "10.103.1.10"), ("IC_JATOBA_RJ01", "10.103.2.10"),
                    ("IC_JATOBA_NE01", "10.103.3.10")]),
    ("CAJU", 10, [("IC_CAJU_NE01", "10.104.3.10"), ("IC_CAJU_SP01", "10.104.1.10")]),
    ("BURITI", 6, [("IC_BURITI_SP01", "10.105.1.10")]),
]
NI_W = [n[1] for n in NI]


def ni_ingress(rng, ddd=None):
    trunks = rng.choices(NI, NI_W)[0][2]
    if ddd is not None:
        reg = region(ddd)
        same = [t for t in trunks if ("_" + reg) in t[0]]
        if same and rng.random() < 0.8:
            return rng.choice(same)
    return rng.choice(trunks)


TRANSIT = [("TR_PAUBRASIL_CSP61", "10.120.1.10"), ("TR_PAUBRASIL_CSP61", "10.120.1.11"),
           ("TR_CERRADO_CSP77", "10.121.1.10"), ("TR_CERRADO_CSP77", "10.121.1.12")]


def transit_ingress(rng):
    return rng.choice(TRANSIT)


# International gateways.  GW1 is named by trunk and CIDR, GW2 by trunk only,
# GW3 by CIDR only (its calls carry no trunk name).
INTL_GW = [
    (45, "INTL_ATLANTICO_01", ["203.0.113.10", "203.0.113.11"]),
    (35, "INTL_ANDES_01", ["198.51.100.70"]),
    (20, "", ["192.0.2.130", "192.0.2.131", "192.0.2.133", "192.0.2.140"]),
]
INTL_TRUNKS = ["INTL_ATLANTICO_01", "INTL_ANDES_01"]
INTL_CIDRS = ["203.0.113.0/28", "192.0.2.128/26"]


def intl_ingress(rng):
    gw = rng.choices(INTL_GW, [g[0] for g in INTL_GW])[0]
    return (gw[1], rng.choice(gw[2]))


def prof(t):
    """Mild afternoon shape: a little busier around 15:00."""
    return 1.0 + 0.08 * math.sin(math.pi * t / WINDOW_S)


def rtime(rng):
    while True:
        t = rng.uniform(0.0, WINDOW_S)
        if rng.random() * 1.08 <= prof(t):
            return t


def loguniform(rng, lo, hi):
    return math.exp(rng.uniform(math.log(lo), math.log(hi)))


def ms(t):
    return T0_MS + int(round(t * 1000.0))


def fmt_rate(x):
    return "%.6g" % x


# ---------------------------------------------------------------------------
class Gen:
    def __init__(self, seed):
        self.seed = seed
        self.rows = []  # (t_ms, seq, a, b, ip, trunk, cls, typ, inst, inten, variant)
        self.seq = 0
        self.allow_b = []
        self.allow_a = []
        r = self.R("pools")
        self.own_mobile = [mobile(r) for _ in range(60000)]
        self.own_fixed = [fixed(r) for _ in range(15000)]
        self.other_pool = [br_number(r, 0.82) for _ in range(40000)]
        self.sip_sources = []  # (name, trunk, ip, ddd) small enterprise SIP customers

    def R(self, name):
        return random.Random("gen10:%d:%s" % (self.seed, name))

    def add(self, t, a, b, ing, cls, typ, inst="", inten="", var=""):
        self.seq += 1
        self.rows.append((ms(t), self.seq, a, b, ing[1], ing[0], cls, typ, inst, inten, var))

    def own(self, rng, p_mobile=0.85):
        pool = self.own_mobile if rng.random() < p_mobile else self.own_fixed
        return pool[int(len(pool) * rng.random() ** 2.2)]

    def own_uniform(self, rng):
        return self.own_mobile[rng.randrange(len(self.own_mobile))]

    def other(self, rng, ddd=None):
        if rng.random() < 0.28 and ddd is None:
            return self.other_pool[int(len(self.other_pool) * rng.random() ** 2.0)]
        return br_number(rng, 0.82, ddd)

    def L(self, *args, **kw):
        self.add(*args[:4], cls="legit", typ=args[4], var=kw.get("var", ""))

    # ------------------------------------------------------------------ legit
    def legit_national_interconnect(self, n):
        r = self.R("ni")
        for _ in range(n):
            t = rtime(r)
            b = self.own(r)
            if r.random() < 0.6:
                a = self.other(r, ddd_of(b))
            else:
                a = self.other(r)
            var = "mobile_origin" if a[5] == "9" else "fixed_origin"
            self.L(t, a, b, ni_ingress(r, ddd_of(a)), "national_interconnect", var=var)

    def legit_mobile_p2p(self, n):
        r = self.R("p2p")
        k = 0
        while k < n:
            t = rtime(r)
            a = self.own(r, 0.93)
            if r.random() < 0.45:
                b = self.own(r)
            else:
                b = self.other(r, ddd_of(a) if r.random() < 0.7 else None)
            ing = core_ingress(r, ddd_of(a))
            self.L(t, a, b, ing, "mobile_p2p", var="p2p")
            k += 1
            if r.random() < 0.09:  # unanswered / dropped: redial a few times
                for _ in range(r.randint(1, 3)):
                    t += r.uniform(4, 90)
                    if t >= WINDOW_S:
                        break
                    self.L(t, a, b, ing, "mobile_p2p", var="redial")
                    k += 1

    def legit_transit(self, n):
        r = self.R("transit")
        for _ in range(n):
            t = rtime(r)
            b = self.own(r)
            if r.random() < 0.03:
                a, var = foreign(r), "intl_handover_via_transit"
            else:
                d = pick_ddd(r)
                while d == ddd_of(b) and r.random() < 0.85:
                    d = pick_ddd(r)
                a, var = self.other(r, d), "long_distance_csp"
            self.L(t, a, b, transit_ingress(r), "transit_carrier", var=var)

    def legit_international(self, n):
        r = self.R("intl")
        for _ in range(n):
            self.L(rtime(r), foreign(r), self.own(r), intl_ingress(r), "international_inbound",
                   var="foreign_cli")

    def legit_roamers(self, n):
        r = self.R("roam")
        for _ in range(n):
            a = self.own_mobile[r.randrange(len(self.own_mobile))]
            b = self.own(r) if r.random() < 0.8 else self.other(r)
            self.L(rtime(r), a, b, intl_ingress(r), "roamer_home_cli", var="outbound_roamer_home_cli")

    def legit_forwarded(self, n):
        r = self.R("fwd")
        for _ in range(n):
            t = rtime(r)
            u = r.random()
            if u < 0.55:  # own subscriber forwards an incoming call onward
                a = self.other(r) if r.random() < 0.97 else foreign(r)
                b = self.other(r) if r.random() < 0.6 else self.own(r)
                self.L(t, a, b, core_ingress(r, ddd_of(b) if b.startswith("+55") else 11),
                       "forwarded_call", var="cfu_onward_from_core")
            elif u < 0.94:  # our sub called another net, which forwarded back to us
                a = self.own(r)
                self.L(t, a, self.own(r), ni_ingress(r, ddd_of(a)), "forwarded_call",
                       var="forward_back_via_interconnect")
            else:  # call to a number abroad forwarded back to Brazil
                a = self.own(r) if r.random() < 0.5 else self.other(r)
                self.L(t, a, self.own(r), intl_ingress(r), "forwarded_call",
                       var="forwarded_back_from_abroad")

    def _org_sip(self, r, name, trunk_named=True):
        ip = "100.64.%d.%d" % (r.randint(8, 120), r.randint(2, 250))
        return ("SIPT_" + name if trunk_named else "", ip)

    def legit_call_centres(self, scale):
        r = self.R("cc")
        orgs = [  # name, cli kind, #clis, route, calls per hour, listed fraction
            ("BANCOAURORA", "4004", 1, "sip", 900, 1.0),
            ("COBRANCAXINGU", "geo11", 4, "transit", 1100, 0.5),
            ("VAREJOCAATINGA", "0800", 1, "ni", 600, 0.0),
            ("SEGUROSPAMPA", "3003", 1, "sip_noname", 400, 1.0),
            ("SAUDEPANTANAL", "geo21", 1, "sip", 300, 1.0),
            ("COBRANCAIGUACU", "geo41", 2, "ni", 500, 0.0),
            ("ENERGIASERTAO", "0800", 1, "sip", 250, 1.0),
            ("FINANCEIRAJACANA", "geo11", 6, "sip", 350, 0.34),
        ]
        for name, kind, ncli, route, rate, listed in orgs:
            if kind == "4004":
                base = ["+554004" + digits(r, 4)]
            elif kind == "3003":
                base = ["+553003" + digits(r, 4)]
            elif kind == "0800":
                base = ["+55800" + digits(r, 7)]
            else:
                ddd = int(kind[3:])
                stem = "+55%d3%s" % (ddd, digits(r, 4))
                s = r.randrange(0, 990)
                base = [stem + str(s + i).zfill(3) for i in range(ncli)]
            clis = base[:ncli] if len(base) >= ncli else base
            nl = int(round(listed * len(clis)))
            self.allow_a.extend(clis[:nl])
            if route == "sip":
                ing = [self._org_sip(r, name)]
            elif route == "sip_noname":
                ing = [self._org_sip(r, name, False)]
            elif route == "transit":
                ing = [transit_ingress(r), transit_ingress(r)]
            else:
                ing = [ni_ingress(r, 11), ni_ingress(r, 11)]
            n = int(rate * 2 * scale * r.uniform(0.92, 1.08))
            k = 0
            while k < n:
                t = rtime(r)
                b = self.own_uniform(r) if r.random() < 0.9 else self.own(r)
                a = r.choice(clis)
                g = r.choice(ing)
                self.L(t, a, b, g, "call_centre", var=name.lower() + "_" + kind)
                k += 1
                if r.random() < 0.12:  # retry after no answer
                    t2 = t + r.uniform(120, 900)
                    if t2 < WINDOW_S:
                        self.L(t2, r.choice(clis), b, g, "call_centre", var=name.lower() + "_retry")
                        k += 1

    def legit_telemarketing(self, scale):
        r = self.R("tmk")
        firms = [("TMKALFA", 20, "sip", 1500, 10), ("TMKBETA", 8, "transit", 1200, 0),
                 ("TMKGAMA", 12, "ni", 1000, 12), ("TMKDELTA", 4, "sip_noname", 900, 0),
                 ("TMKEPSILON", 25, "ni", 1400, 5)]
        for name, ncli, route, rate, nl in firms:
            stem = nat0303(r)[:-3]
            s = r.randrange(0, 1000 - ncli)
            clis = [stem + str(s + i).zfill(3) for i in range(ncli)]
            self.allow_a.extend(clis[:nl])
            if route == "sip":
                ing = [self._org_sip(r, name)]
            elif route == "sip_noname":
                ing = [self._org_sip(r, name, False)]
            elif route == "transit":
                ing = [transit_ingress(r)]
            else:
                ing = [ni_ingress(r, 11), ni_ingress(r, 21)]
            n = int(rate * 2 * scale * r.uniform(0.92, 1.08))
            k = 0
            while k < n:  # predictive dialler: small volleys when agents free up
                t = rtime(r)
                g = r.choice(ing)
                for _ in range(r.randint(2, 9)):
                    tt = t + r.uniform(0, 1.5)
                    if tt >= WINDOW_S:
                        break
                    self.L(tt, r.choice(clis), self.own_uniform(r), g, "telemarketing_0303",
                           var=name.lower() + "_predictive_dialler")
                    k += 1

    def _fanin_caller(self, r, b_ddd=11):
        u = r.random()
        if u < 0.57:
            a = self.own(r)
            return a, core_ingress(r, ddd_of(a))
        if u < 0.93:
            a = self.other(r)
            return a, ni_ingress(r, ddd_of(a))
        return self.other(r), transit_ingress(r)

    def legit_hotlines(self, n):
        r = self.R("hot")
        hl = (["+55800" + digits(r, 7) for _ in range(6)] + ["+554004" + digits(r, 4) for _ in range(3)]
              + ["+553003" + digits(r, 4) for _ in range(2)]
              + [fixed(r, 11), fixed(r, 21), fixed(r, 61)])
        listed = [0, 1, 2, 4, 6, 7, 9, 11, 13]
        self.allow_b.extend(hl[i] for i in listed)
        w = [1.0 / (i + 1) ** 0.9 for i in range(len(hl))]
        r.shuffle(w)
        k = 0
        while k < n:
            t = rtime(r)
            b = r.choices(hl, w)[0]
            a, g = self._fanin_caller(r)
            self.L(t, a, b, g, "hotline", var="customer_service")
            k += 1
            if r.random() < 0.1:
                for _ in range(r.randint(1, 3)):
                    t += r.uniform(20, 180)
                    if t >= WINDOW_S:
                        break
                    self.L(t, a, b, g, "hotline", var="busy_redial")
                    k += 1

    def _inhomog(self, r, t0, dur, peak, base, tau):
        """Times of an inhomogeneous Poisson process: base + peak*exp(-(t-t0)/tau)."""
        out = []
        lam_max = peak + base
        t = t0
        while True:
            t += r.expovariate(lam_max)
            if t >= t0 + dur or t >= WINDOW_S:
                return out
            lam = base + peak * math.exp(-(t - t0) / tau)
            if r.random() * lam_max <= lam:
                out.append(t)

    def legit_tv_votes(self):
        r = self.R("tv")
        voters = [self.own(r) for _ in range(500)] + [self.other(r) for _ in range(300)]
        # hour 2: reality-show elimination vote, three options on 0300 numbers
        opts = ["+55300" + digits(r, 7) for _ in range(3)]
        self.allow_b.extend(opts[:2])
        w = [0.5, 0.33, 0.17]
        r.shuffle(w)
        t0 = 3600 + r.uniform(600, 1500)
        for t in self._inhomog(r, t0, 1500, r.uniform(11, 16), r.uniform(1.0, 1.8), r.uniform(180, 300)):
            b = r.choices(opts, w)[0]
            if r.random() < 0.3:
                a = r.choice(voters)
                g = core_ingress(r, ddd_of(a)) if a in voters[:500] else ni_ingress(r, ddd_of(a))
            else:
                a, g = self._fanin_caller(r)
            self.L(t, a, b, g, "tv_vote_callin", var="reality_show_vote_0300")
        # hour 1: afternoon TV prize call-in (unlisted 0300 number)
        promo = "+55300" + digits(r, 7)
        t0 = r.uniform(900, 2400)
        for t in self._inhomog(r, t0, 900, r.uniform(3, 6), r.uniform(0.3, 0.6), r.uniform(120, 240)):
            a, g = self._fanin_caller(r)
            self.L(t, a, promo, g, "tv_vote_callin", var="tv_prize_callin_0300")

    def legit_radio(self):
        r = self.R("radio")
        stations = [fixed(r, 11), fixed(r, 21), fixed(r, 31), fixed(r, 71)]
        self.allow_b.append(stations[0])
        j = r.randrange(4)
        for h in range(2):
            for _ in range(r.randint(3, 5)):
                j += 1
                b = stations[j % 4]
                t0 = h * 3600 + r.uniform(0, 3500)
                dur = r.uniform(20, 90)
                for t in self._inhomog(r, t0, dur, r.uniform(1, 6), 0.05, dur / 3):
                    a = self.own(r) if r.random() < 0.6 else self.other(r, ddd_of(b))
                    g = core_ingress(r, ddd_of(a)) if a[5] == "9" and r.random() < 0.6 else ni_ingress(r, ddd_of(b))
                    self.L(t, a, b, g, "radio_callin", var="ligue_agora_promo")

    def legit_conferences(self):
        r = self.R("conf")
        bridges = ["+554004" + digits(r, 4), "+554004" + digits(r, 4), "+553003" + digits(r, 4),
                   "+55800" + digits(r, 7), fixed(r, 11)]
        self.allow_b.extend(bridges[:3] + bridges[4:])
        for slot in range(0, 7200, 900):
            big = slot % 1800 == 0
            for b in bridges:
                if not big and r.random() < 0.5:
                    continue
                for _ in range(r.randint(1, 3) if big else 1):
                    for _ in range(r.randint(6, 45 if big else 18)):
                        t = slot + min(900.0, r.lognormvariate(4.0, 0.9)) - 90
                        if not 0 <= t < WINDOW_S:
                            continue
                        u = r.random()
                        if u < 0.45:
                            a = self.own(r)
                            g = core_ingress(r, ddd_of(a))
                        elif u < 0.85:
                            a = self.other(r)
                            g = ni_ingress(r, ddd_of(a))
                        elif u < 0.95:
                            a, g = self.other(r), transit_ingress(r)
                        else:
                            a, g = foreign(r), intl_ingress(r)
                        self.L(t, a, b, g, "conference_bridge", var="scheduled_meeting")

    def legit_pbx(self, scale):
        r = self.R("pbx")
        ents = [("HOSPITALSAOLUCAS", 11, 1000, 500), ("UNIVFEDERAL", 61, 1000, 350),
                ("PREFEITURA", 21, 100, 250), ("ADVOCACIAALMEIDA", 11, 100, 150),
                ("LOGISTICASUL", 41, 100, 250), ("CONSTRUTORANORTE", 91, 100, 120),
                ("ATACADORECIFE", 81, 100, 200), ("INDUSTRIAVALE", 19, 1000, 300)]
        for i, (name, ddd, size, rate) in enumerate(ents):
            w_ext = 3 if size == 1000 else 2
            stem = "+55%d3%s" % (ddd, digits(r, 7 - w_ext))
            ext = [stem + str(j).zfill(w_ext) for j in range(size)]
            pilot = ext[0]
            ing = self._org_sip(r, name, trunk_named=(i % 2 == 0))
            self.sip_sources.append((name, ing, ddd))
            w = [1.0 / (j + 1) ** 0.7 for j in range(size)]
            r.shuffle(w)
            n = int(rate * 2 * scale * r.uniform(0.9, 1.1))
            for _ in range(n):
                a = pilot if r.random() < 0.25 else r.choices(ext, w)[0]
                b = self.other(r, ddd if r.random() < 0.6 else None) if r.random() < 0.7 else self.own(r)
                self.L(rtime(r), a, b, ing, "pbx_ddi", var="ddi_block_%d" % size)

    def legit_small_business(self, scale):
        r = self.R("sbiz")
        resellers = [("SIPT_REVENDA_VOZNET", "100.65.0.20"), ("SIPT_REVENDA_FALAMAIS", "100.65.1.20"),
                     ("", "100.65.2.20")]
        for i in range(150):
            ddd = pick_ddd(r)
            lines = [fixed(r, ddd) if r.random() < 0.6 else mobile(r, ddd) for _ in range(r.randint(1, 3))]
            if i < 12 and lines[0][5] != "9":  # own SIP trunk / IP-PBX access
                name = "SMALLBIZ%02d" % i
                ing = self._org_sip(r, name, i % 2 == 0)
                self.sip_sources.append((name, ing, ddd))
            elif lines[0][5] == "9" or r.random() < 0.4:
                ing = None  # originates on our own core (mobile / IMS fixed)
            else:
                ing = r.choice(resellers)
            rate = loguniform(r, 3, 25)
            n = int(rate * 2 * scale)
            for _ in range(n):
                a = r.choice(lines)
                b = self.other(r, ddd if r.random() < 0.6 else None) if r.random() < 0.6 else self.own(r)
                g = ing if ing is not None else core_ingress(r, ddd)
                self.L(rtime(r), a, b, g, "busy_small_business", var="small_business")

    def legit_heavy_users(self):
        r = self.R("heavy")
        for _ in range(35):
            a = self.own_mobile[r.randrange(len(self.own_mobile))]
            dur = r.uniform(15, 60) * 60
            t = r.uniform(0, WINDOW_S - dur)
            end = t + dur
            rate = r.uniform(0.5, 2.5)
            g = core_ingress(r, ddd_of(a))
            prev = None
            while t < end:
                if prev is not None and r.random() < 0.1:
                    b = prev
                else:
                    b = self.other(r, ddd_of(a) if r.random() < 0.7 else None)
                self.L(t, a, b, g, "heavy_user", var="sales_prospecting")
                prev = b
                t += max(10.0, r.expovariate(rate / 60.0))

    # ---------------------------------------------------------------- attacks
    def _pick_start(self, r, h, dur):
        lo = h * 3600.0
        hi = min((h + 1) * 3600.0 - 1, WINDOW_S - dur - 1)
        if hi < lo:
            return max(0.0, WINDOW_S - dur - 1)
        return r.uniform(lo, hi)

    def _cli_maker(self, r, variant, callee=None):
        """Return a function giving a valid Brazilian CLI for a given variant."""
        if variant == "random_mobile":
            return lambda: mobile(r)
        if variant == "harvested_subscribers":
            return lambda: self.own(r) if r.random() < 0.6 else self.other_pool[r.randrange(len(self.other_pool))]
        if variant == "neighbour_spoof":
            d = ddd_of(callee) if callee else pick_ddd(r)
            pre = callee[5:8] if callee and callee[5] == "9" else "9" + str(r.randint(6, 9)) + str(r.randint(0, 9))
            return lambda: "+55%d%s%s" % (d, pre, digits(r, 6))
        if variant == "sequential_block":
            stem = mobile(r)[:-4]
            state = {"i": r.randrange(0, 5000)}

            def nxt():
                state["i"] += 1
                return stem[:-1] + str(state["i"] % 100000).zfill(5)
            return nxt
        if variant == "mixed_fixed_mobile":
            return lambda: br_number(r, 0.5)
        raise ValueError(variant)

    def _distinct(self, maker, n, maxtry=50):
        seen = {}
        out = []
        tries = 0
        while len(out) < n and tries < n * maxtry:
            tries += 1
            c = maker()
            if c not in seen:
                seen[c] = 1
                out.append(c)
        return out

    def attack_masking_burst(self):
        r = self.R("atk_mb")
        k = 0
        for h in range(2):
            for _ in range(r.randint(20, 30)):
                k += 1
                inst = "masking_burst_%03d" % k
                rate = loguniform(r, 0.2, 30)
                n = max(3, min(400, int(round(rate * loguniform(r, 4, 40)))))
                dur = n / rate
                start = self._pick_start(r, h, dur)
                callee = self.own(r, 0.95)
                cv = r.choice(["random_mobile", "harvested_subscribers", "neighbour_spoof",
                               "sequential_block", "mixed_fixed_mobile"])
                route = r.choices(["interconnect", "transit", "sip_customer"], [60, 25, 15])[0]
                clis = self._distinct(self._cli_maker(r, cv, callee), n)
                ts = sorted([start] + [start + r.uniform(0, dur) for _ in range(len(clis) - 2)] + [start + dur])
                if route == "interconnect":
                    g0 = ni_ingress(r, ddd_of(callee))
                    gs = [g0] * len(ts)
                elif route == "transit":
                    gs = [transit_ingress(r) for _ in ts]
                else:
                    g0 = r.choice(self.sip_sources)[1]
                    gs = [g0] * len(ts)
                self._emit(inst, "masking_burst", "%s/%s" % (cv, route), ts, clis, [callee] * len(ts), gs,
                           lambda ms_: (len(ms_) - 1) / ((ms_[-1] - ms_[0]) / 1000.0))

    def _emit(self, inst, typ, var, ts, As, Bs, gs, intensity_fn):
        tms = sorted(ms(t) for t in ts)
        inten = intensity_fn(tms) if intensity_fn else None
        base = len(self.rows)
        for t, a, b, g in zip(ts, As, Bs, gs):
            self.add(t, a, b, g, "attack", typ, inst, "", var)
        lab = fmt_rate(inten) if isinstance(inten, float) else str(inten)
        for i in range(base, len(self.rows)):
            row = self.rows[i]
            self.rows[i] = row[:9] + (lab,) + row[10:]

    def attack_refiled(self):
        r = self.R("atk_rf")
        k = 0
        for h in range(2):
            for _ in range(r.randint(20, 30)):
                k += 1
                inst = "refiled_masking_%03d" % k
                ncli = r.choices([2, 3, 4, 5, 6, 7, 8], [6, 18, 20, 20, 18, 10, 8])[0]
                span = loguniform(r, 5, 300)
                start = self._pick_start(r, h, span)
                callee = self.own(r, 0.9)
                cv = r.choice(["random_mobile", "harvested_subscribers", "neighbour_spoof", "mixed_fixed_mobile"])
                clis = self._distinct(self._cli_maker(r, cv, callee), ncli)
                ts = sorted([start] + [start + r.uniform(0, span) for _ in range(ncli - 2)] + [start + span])
                if r.random() < 0.5:
                    route, g = "interconnect", ni_ingress(r, ddd_of(callee))
                    gs = [g] * ncli
                else:
                    route = "transit"
                    gs = [transit_ingress(r) for _ in ts]
                self._emit(inst, "refiled_masking", "%s/%s_refile" % (cv, route), ts, clis, [callee] * ncli, gs,
                           lambda m: (len(clis) - 1) / ((m[-1] - m[0]) / 60000.0))

    def attack_simbox(self):
        r = self.R("atk_sb")
        k = 0
        for h in range(2):
            for _ in range(r.randint(20, 30)):
                k += 1
                inst = "simbox_%03d" % k
                rate = loguniform(r, 0.2, 12)
                sims = int(round(loguniform(r, 1, 32)))
                T = loguniform(r, 5, 60)
                while rate * sims * T > 800:
                    if T > 5.5:
                        T *= 0.85
                    else:
                        sims -= 1
                dur = T * 60
                start = self._pick_start(r, h, dur)
                ddd = pick_ddd(r)
                sv = r.choice(["batch_sims", "mixed_sims"])
                bv = r.choice(["onnet_termination", "offnet_termination", "mixed_termination"])
                if sv == "batch_sims":
                    stem = mobile(r, ddd)[:-4]
                    As = self._distinct(lambda: stem + digits(r, 4), sims)
                else:
                    As = self._distinct(lambda: self.own_mobile[r.randrange(len(self.own_mobile))], sims)
                g = core_ingress(r, ddd)
                ts, aa, bb = [], [], []
                for a in As:
                    t = start + r.uniform(0, min(dur, 60.0 / rate))
                    while t < start + dur:
                        ts.append(t)
                        aa.append(a)
                        t += max(6.0, r.lognormvariate(math.log(60.0 / rate) - 0.18, 0.6))
                if len(ts) < 2:
                    ts.append(start + dur)
                    aa.append(As[0])
                for _ in ts:
                    if bv == "onnet_termination" or (bv == "mixed_termination" and r.random() < 0.5):
                        bb.append(self.own_uniform(r))
                    else:
                        bb.append(mobile(r))
                nsim = len(As)
                self._emit(inst, "simbox", "%s/%s/%dsims" % (sv, bv, nsim), ts, aa, bb, [g] * len(ts),
                           lambda m: len(m) / (nsim * (m[-1] - m[0]) / 60000.0))

    def attack_cli_rotation(self):
        r = self.R("atk_cr")
        k = 0
        for h in range(2):
            for _ in range(r.randint(20, 30)):
                k += 1
                inst = "cli_rotation_%03d" % k
                rate = loguniform(r, 0.1, 40)
                D = r.uniform(60, 75)
                n = max(4, int(round(rate * D)))
                if n > 3000:
                    n = 3000
                D = max(60.0, n / rate)
                start = self._pick_start(r, h, D)
                src = r.choice(self.sip_sources)
                cv = r.choice(["random_mobile", "harvested_subscribers", "sequential_block", "mixed_fixed_mobile",
                               "local_presence"])
                if cv == "local_presence":
                    Bs = [self.own_uniform(r) for _ in range(n)]
                    clis = []
                    seen = {}
                    for b in Bs:
                        while True:
                            c = mobile(r, ddd_of(b))
                            if c not in seen:
                                seen[c] = 1
                                clis.append(c)
                                break
                else:
                    clis = self._distinct(self._cli_maker(r, cv), n)
                    Bs = [self.own_uniform(r) if r.random() < 0.7 else mobile(r) for _ in clis]
                m = len(clis)
                ts = sorted([start] + [start + r.uniform(0, D) for _ in range(m - 2)] + [start + D])
                self._emit(inst, "cli_rotation", "%s/hijacked_%s" % (cv, src[0].lower()), ts, clis, Bs,
                           [src[1]] * m, lambda ms_: (len(ms_) - 1) / ((ms_[-1] - ms_[0]) / 1000.0))

    def attack_intl_local(self):
        r = self.R("atk_il")
        k = 0
        for h in range(2):
            for _ in range(r.randint(20, 30)):
                k += 1
                inst = "intl_local_cli_%03d" % k
                n = max(1, int(round(loguniform(r, 1, 80))))
                span = loguniform(r, 20, 1200) if n > 1 else 0.0
                start = self._pick_start(r, h, span)
                cv = r.choice(["random_mobile", "harvested_subscribers", "single_cli_repeat", "neighbour_spoof",
                               "mixed_fixed_mobile"])
                bv = r.choice(["many_callees", "one_callee"])
                callee = self.own(r)
                Bs = [callee] * n if bv == "one_callee" else [self.own(r) for _ in range(n)]
                if cv == "single_cli_repeat":
                    c = mobile(r)
                    As = [c] * n
                elif cv == "neighbour_spoof":
                    As = [self._cli_maker(r, cv, b)() for b in Bs]
                else:
                    mk = self._cli_maker(r, cv)
                    As = [mk() for _ in range(n)]
                ts = sorted(start + r.uniform(0, span) for _ in range(n))
                gw = intl_ingress(r)
                gs = [gw if r.random() < 0.8 else intl_ingress(r) for _ in range(n)]
                self._emit(inst, "intl_local_cli", "%s/%s" % (cv, bv), ts, As, Bs, gs, lambda m: len(m))

    def attack_invalid(self):
        r = self.R("atk_inv")
        k = 0

        def bad(v):
            if v == "trunk_prefix_in_nsn":  # +55 0 DDD nnnnnnnn  (national form, 0 kept)
                return "+550%d%s" % (pick_ddd(r), r.choice("2345") + digits(r, 7))
            if v == "unassigned_ddd":
                return "+55%d9%s" % (r.choice(DDD_UNASSIGNED), r.choice("6789") + digits(r, 7))
            if v == "legacy_8digit_mobile":  # pre-2016 mobile without the ninth digit
                return "+55%d9%s" % (pick_ddd(r), r.choice("6789") + digits(r, 6))
            if v == "bad_leading_digit":  # 8-digit subscriber number starting 0, 1, 6 or 8
                return "+55%d%s" % (pick_ddd(r), r.choice("0168") + digits(r, 7))
            if v == "csp_leak":  # 0+CSP+DDD+number with only the 0 replaced by +55
                return "+55%s%d%s" % (r.choice(CSP_CODES), pick_ddd(r), r.choice("2345") + digits(r, 7))
            raise ValueError(v)

        for h in range(2):
            for _ in range(r.randint(20, 30)):
                k += 1
                inst = "invalid_cli_%03d" % k
                n = max(1, int(round(loguniform(r, 1, 40))))
                span = loguniform(r, 5, 900) if n > 1 else 0.0
                start = self._pick_start(r, h, span)
                v = r.choice(["trunk_prefix_in_nsn", "unassigned_ddd", "legacy_8digit_mobile", "bad_leading_digit",
                              "csp_leak"])
                same = r.random() < 0.5
                c0 = bad(v)
                As = [c0 if same else bad(v) for _ in range(n)]
                Bs = [self.own(r) for _ in range(n)]
                route = r.choices(["interconnect", "transit", "sip_customer", "intl_gateway"], [40, 30, 20, 10])[0]
                if route == "interconnect":
                    g = ni_ingress(r)
                elif route == "transit":
                    g = transit_ingress(r)
                elif route == "sip_customer":
                    g = r.choice(self.sip_sources)[1]
                else:
                    g = intl_ingress(r)
                ts = sorted(start + r.uniform(0, span) for _ in range(n))
                self._emit(inst, "invalid_cli", "%s/%s/%s" % (v, "one_cli" if same else "varied_cli", route), ts,
                           As, Bs, [g] * n, lambda m: len(m))

    # ---------------------------------------------------------------- driver
    def build(self):
        s = self.R("scale").uniform(0.97, 1.03)
        self.legit_national_interconnect(int(18000 * 2 * s))
        self.legit_mobile_p2p(int(11000 * 2 * s))
        self.legit_transit(int(5000 * 2 * s))
        self.legit_international(int(2500 * 2 * s))
        self.legit_roamers(int(60 * 2 * s))
        self.legit_forwarded(int(600 * 2 * s))
        self.legit_call_centres(s)
        self.legit_telemarketing(s)
        self.legit_hotlines(int(2500 * 2 * s))
        self.legit_tv_votes()
        self.legit_radio()
        self.legit_conferences()
        self.legit_pbx(s)
        self.legit_small_business(s)
        self.legit_heavy_users()
        self.attack_masking_burst()
        self.attack_refiled()
        self.attack_simbox()
        self.attack_cli_rotation()
        self.attack_intl_local()
        self.attack_invalid()
        self.rows.sort(key=lambda x: (x[0], x[1]))

    def write(self, out, labels, config, bare):
        r = self.R("callid")
        seen = set()
        ids = []
        for _ in self.rows:
            while True:
                v = r.getrandbits(128)
                if v not in seen:
                    seen.add(v)
                    break
            h = "%032x" % v
            ids.append("%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:]))
        with open(out, "w", newline="\n") as f:
            f.write("call_id,a_number,b_number,timestamp_ms,source_ip,trunk\n")
            f.write("".join("%s,%s,%s,%d,%s,%s\n" % (cid, x[2], x[3], x[0], x[4], x[5])
                            for cid, x in zip(ids, self.rows)))
        with open(labels, "w", newline="\n") as f:
            f.write("call_id,class,type,instance,intensity,variant\n")
            f.write("".join("%s,%s,%s,%s,%s,%s\n" % (cid, x[6], x[7], x[8], x[9], x[10])
                            for cid, x in zip(ids, self.rows)))

        def toml(a_list, b_list):
            q = lambda xs: "[" + ", ".join('"%s"' % x for x in xs) + "]"
            return ("[numbering]\ncountry_code = \"55\"\n\n"
                    "[rules.intl_ingress_local_cli]\n"
                    "trunks = %s\nsources = %s\n\n"
                    "[lists]\nallow_b_numbers = %s\nallow_a_numbers = %s\n"
                    % (q(INTL_TRUNKS), q(INTL_CIDRS), q(b_list), q(a_list)))
        with open(config, "w", newline="\n") as f:
            f.write(toml(self.allow_a, self.allow_b))
        if bare:
            with open(bare, "w", newline="\n") as f:
                f.write(toml([], []))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--labels", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--bare-config", default=None,
                    help="also write the config with empty lists here")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args(argv)
    t = time.time()
    g = Gen(a.seed)
    g.build()
    g.write(a.out, a.labels, a.config, a.bare_config)
    if not a.quiet:
        n_att = sum(1 for x in g.rows if x[6] == "attack")
        inst = len(set(x[8] for x in g.rows if x[8]))
        print("seed %d: %d rows (%d attack rows, %d instances) in %.1fs"
              % (a.seed, len(g.rows), n_att, inst, time.time() - t), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
