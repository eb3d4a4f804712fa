#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR Apache-2.0
"""gen4 -- labelled synthetic CDR traffic for evaluating a call-masking detector.

Home country: Kenya (+254).  Standard library only.  Deterministic per --seed
(all randomness comes from random.Random seeded with strings, which CPython
hashes with SHA-512, so PYTHONHASHSEED has no influence; no set/dict order is
ever used to drive randomness).

See README.md for the model, parameters and sources.
"""
import argparse
import math
import random
import sys

CC = "254"
T0_MS = 1773122400000          # 2026-03-10 06:00:00 UTC = 09:00 EAT (Tuesday)
WINDOW_S = 7200                # two hours

# ---------------------------------------------------------------- numbering
# Kenyan NSNs are 9 digits.  Mobile blocks per the CA numbering plan / press
# releases (07xx and the 01xx extension).  The "home" operator is fictional but
# is given real, assigned-looking blocks.
HOME_MOBILE = ["730", "731", "732", "733", "734", "735", "736", "737", "738", "739",
               "750", "751", "752", "753", "754", "755", "756",
               "780", "781", "782", "783", "784", "785", "786", "787", "788", "789",
               "100", "101", "102"]
MNOA_MOBILE = ["700", "701", "702", "703", "704", "705", "706", "707", "708", "709",
               "710", "711", "712", "713", "714", "715", "716", "717", "718", "719",
               "720", "721", "722", "723", "724", "725", "726", "727", "728", "729",
               "740", "741", "742", "743", "745", "746", "748", "757", "758", "759",
               "768", "769", "790", "791", "792", "793", "794", "795", "796", "797",
               "798", "799", "110", "111", "112", "113", "114", "115"]
MNOB_MOBILE = ["770", "771", "772", "773", "774", "775", "776", "777", "778", "779"]
MVNO_MOBILE = ["763", "764", "765", "766"]
FIXED_AREAS = ["20", "20", "20", "20", "41", "42", "51", "53", "57", "61", "64", "65",
               "66", "67", "68"]
# Unassigned leading digits of a 9-digit NSN (no allocation in the plan).
UNASSIGNED = ["3", "81", "82", "83", "84", "85", "86", "87", "88", "89", "91", "92",
              "93", "94", "95", "96", "97", "98", "99", "21", "22", "23", "24", "25",
              "26", "27", "28", "29", "47", "48", "49", "63"]


def digits(r, n):
    return "".join(r.choice("0123456789") for _ in range(n))


def nsn_block(r, blocks):
    b = r.choice(blocks)
    return b + digits(r, 9 - len(b))


def home_mob(r):
    return nsn_block(r, HOME_MOBILE)


def other_mob(r):
    x = r.random()
    if x < 0.78:
        return nsn_block(r, MNOA_MOBILE)
    if x < 0.95:
        return nsn_block(r, MNOB_MOBILE)
    return nsn_block(r, MVNO_MOBILE)


def fixed(r):
    return r.choice(FIXED_AREAS) + digits(r, 7)


def any_ke(r):
    x = r.random()
    if x < 0.45:
        return home_mob(r)
    if x < 0.88:
        return other_mob(r)
    return fixed(r)


def spoof_ke(r):
    """A valid Kenyan CLI picked by a masking carrier (mostly mobile-looking)."""
    x = r.random()
    if x < 0.35:
        return home_mob(r)
    if x < 0.85:
        return other_mob(r)
    return fixed(r)


def foreign(r):
    """Valid foreign number (E.164 digits without '+'), weighted toward Kenya's
    main call origins (diaspora/trade partners)."""
    x = r.random()
    if x < 0.22:
        return "1" + r.choice(["212", "213", "305", "312", "347", "404", "415", "469", "510",
                               "617", "646", "702", "713", "718", "786", "818", "832", "917",
                               "929", "972"]) + r.choice("23456789") + r.choice("02345678") + \
            digits(r, 5)
    if x < 0.36:
        while True:     # UK mobiles, avoiding ranges libphonenumber treats as unassigned
            s = r.choice(["75", "78", "79"]) + digits(r, 8)
            if not s.startswith("7911") and not s.startswith("7700"):
                return "44" + s
    if x < 0.50:
        return "971" + r.choice(["50", "52", "54", "55", "56", "58"]) + digits(r, 7)
    if x < 0.58:
        return "966" + r.choice(["50", "53", "54", "55", "56", "59"]) + digits(r, 7)
    if x < 0.66:
        return "86" + r.choice(["13", "18"]) + digits(r, 9)
    if x < 0.76:
        return "91" + r.choice(["98", "99", "97", "94"]) + digits(r, 8)
    if x < 0.86:
        return "255" + r.choice(["71", "74", "75", "76", "78", "65", "68"]) + digits(r, 7)
    if x < 0.94:
        return "256" + r.choice(["70", "71", "75", "77", "78"]) + digits(r, 7)
    return "27" + r.choice(["82", "83", "84", "72", "73", "76"]) + digits(r, 7)


def invalid_nsn(r, kind):
    if kind == "trunk_prefix":      # NSN starts with the trunk prefix 0: 9 digits, passes length
        # (0 followed by 7/1 = a mobile number whose trunk prefix was kept; note
        # libphonenumber accepts some 02x/04x/05x/06x NSNs, so those are avoided)
        return "0" + r.choice(["7", "7", "7", "1"]) + digits(r, 7)
    if kind == "unassigned":        # 9 digits, range not allocated in the plan
        p = r.choice(UNASSIGNED)
        return p + digits(r, 9 - len(p))
    if kind == "short":             # mobile prefix but one/two digits short
        return "7" + r.choice(["2", "3", "9", "1"]) + digits(r, r.choice([5, 6]))
    if kind == "long":              # mobile prefix, one digit too many
        return "7" + r.choice(["2", "3", "9", "1"]) + digits(r, 8)
    raise ValueError(kind)


# ---------------------------------------------------------------- ingress
# name -> (source_ip, format)   format: "e164" = +254..., "nat" = 0 + NSN
TRUNKS = {
    "ims_core_nbo": ("10.10.1.10", "e164"),
    "msc_msa_1": ("10.10.2.10", "e164"),
    "ic_mnoa_1": ("10.20.1.5", "e164"),
    "ic_mnoa_2": ("10.20.1.6", "e164"),
    "ic_mnob_1": ("10.20.2.5", "nat"),
    "ic_fixed_1": ("10.20.3.5", "nat"),
    "transit_wh1": ("198.51.100.20", "e164"),
    "transit_wh2": ("198.51.100.40", "e164"),
    "igw_eassy_1": ("203.0.113.10", "e164"),
    "igw_teams_1": ("203.0.113.20", "e164"),
    "igw_seacom_1": ("203.0.113.30", "e164"),
}
IGW_TRUNKS = ["igw_eassy_1", "igw_teams_1", "igw_seacom_1"]
IGW_SRC_CIDR = "203.0.113.64/28"
IGW_SRC_IPS = ["203.0.113.66", "203.0.113.67", "203.0.113.70"]   # no trunk name
CORE = ["ims_core_nbo", "msc_msa_1"]
IC_ALL = ["ic_mnoa_1", "ic_mnoa_2", "ic_mnob_1", "ic_fixed_1"]
TRANSIT = ["transit_wh1", "transit_wh2"]


def fmt(nsn_or_e164, f, foreign_num=False):
    """Render a number for a trunk.  f: "e164" (+254...), "nat" (0 + NSN; foreign
    numbers as 000 + CC..., Kenya's international prefix) or "nat_idd" (only used
    for B of national-format trunks).  Foreign A-numbers are always E.164."""
    if foreign_num:
        return ("000" if f == "nat_idd" else "+") + nsn_or_e164
    if f in ("nat", "nat_idd"):
        return "0" + nsn_or_e164
    return "+" + CC + nsn_or_e164


class Gen:
    def __init__(self, seed):
        self.seed = seed
        self.rows = []       # (ts_ms, seq, a, b, ip, trunk, label-tuple)
        self.seq = 0
        self.cfg_allow_b = []
        self.cfg_allow_a = []
        self.ent = []        # enterprise PBX ingress: (trunk, ip, fmt)
        self.ent_nums = {}   # PBX route -> its main number + DDIs

    def R(self, name):
        return random.Random("gen4:%d:%s" % (self.seed, name))

    def add(self, t_s, a, b, trunk, ip, label):
        if t_s < 0 or t_s >= WINDOW_S:
            return False
        ts = T0_MS + int(round(t_s * 1000))
        self.rows.append((ts, self.seq, a, b, ip, trunk, label))
        self.seq += 1
        return True

    def add_route(self, t_s, a_nsn, b_nsn, route, label, a_foreign=False, b_foreign=False):
        trunk, ip, f = route
        fa = "nat" if f in ("nat", "natcli") else "e164"
        fb = "nat_idd" if f == "nat" else "e164"
        return self.add(t_s, fmt(a_nsn, fa, a_foreign), fmt(b_nsn, fb, b_foreign), trunk, ip, label)

    def route(self, name, r=None):
        if name == "igw_any":
            if r.random() < 0.2:
                return ("", r.choice(IGW_SRC_IPS), "e164")
            name = r.choice(IGW_TRUNKS)
        ip, f = TRUNKS[name]
        return (name, ip, f)

    # ------------------------------------------------------------ helpers
    @staticmethod
    def rate_mult(t):
        # gentle morning ramp 09:00 -> 11:00 plus a small 10-minute wobble
        return 0.9 + 0.2 * (t / WINDOW_S) + 0.04 * math.sin(t / 600.0 * 2 * math.pi)

    def poisson_times(self, r, per_hour, modulate=True):
        """Non-homogeneous Poisson process over the window (thinning)."""
        lam_max = per_hour / 3600.0 * 1.16
        t = 0.0
        out = []
        while True:
            t += r.expovariate(lam_max)
            if t >= WINDOW_S:
                return out
            m = self.rate_mult(t) if modulate else 1.0
            if r.random() * 1.16 <= m:
                out.append(t)

    # ------------------------------------------------------------ legit
    def legit(self):
        L = lambda typ: ("legit", typ, "", "", "")
        # --- ordinary subscribers (on-net, home core) with redials
        r = self.R("subscriber")
        pool = 320000
        home_pool = [None] * pool

        def sub_num(rr, i):
            # the i-th subscriber's number depends only on (seed, i), so the
            # random streams of the different generators stay independent
            if home_pool[i] is None:
                q = random.Random("gen4:%d:sub:%d" % (self.seed, i))
                # 3% of home subscribers are ported-in from other operators' ranges
                home_pool[i] = other_mob(q) if q.random() < 0.03 else home_mob(q)
            return home_pool[i]
        self.sub_num = lambda rr: sub_num(rr, min(pool - 1, int(pool * rr.random() ** 1.25)))
        rd = self.R("redial")
        for t in self.poisson_times(r, 13000):
            a = self.sub_num(r)
            x = r.random()
            b = home_mob(r) if x < 0.5 else (other_mob(r) if x < 0.86 else (fixed(r) if x < 0.96 else None))
            rt = self.route(r.choice(CORE))
            if b is None:
                self.add_route(t, a, foreign(r), rt, L("subscriber"), b_foreign=True)
                continue
            self.add_route(t, a, b, rt, L("subscriber"))
            self.maybe_redial(rd, t, a, b, rt)

        # --- national interconnects (other operators -> home subscribers)
        r = self.R("interconnect")
        for name, per_h, gen_a in (("ic_mnoa_1", 11000, "a"), ("ic_mnoa_2", 2000, "a"),
                                   ("ic_mnob_1", 2300, "b"), ("ic_fixed_1", 1500, "f")):
            rt = self.route(name)
            for t in self.poisson_times(r, per_h):
                if gen_a == "a":
                    a = nsn_block(r, MNOA_MOBILE) if r.random() > 0.03 else home_mob(r)  # ported-out
                elif gen_a == "b":
                    a = nsn_block(r, MNOB_MOBILE) if r.random() > 0.1 else nsn_block(r, MVNO_MOBILE)
                else:
                    a = fixed(r)
                b = self.sub_num(r)
                self.add_route(t, a, b, rt, L("interconnect"))
                self.maybe_redial(rd, t, a, b, rt)

        # --- wholesale / transit carriers: domestic CLIs of small operators plus
        #     legitimately handed-over international calls (foreign CLIs)
        r = self.R("transit")
        for name, per_h in (("transit_wh1", 1400), ("transit_wh2", 900)):
            rt = self.route(name)
            for t in self.poisson_times(r, per_h):
                b = self.sub_num(r)
                if r.random() < 0.45:
                    self.add_route(t, foreign(r), b, rt, L("transit"), a_foreign=True)
                else:
                    self.add_route(t, any_ke(r) if r.random() < 0.5 else nsn_block(r, MVNO_MOBILE),
                                   b, rt, L("transit"))

        # --- international incoming (foreign CLIs on the gateways)
        r = self.R("international")
        for t in self.poisson_times(r, 3400):
            rt = self.route("igw_any", r)
            a = foreign(r)
            b = self.sub_num(r)
            self.add_route(t, a, b, rt, L("international"), a_foreign=True)
            self.maybe_redial(rd, t, a, b, rt, a_foreign=True)

        # --- roamers: home-country CLIs on international gateways (legit)
        r = self.R("roamer")
        n_roam = 430
        for i in range(n_roam):
            a = home_mob(r) if r.random() < 0.85 else other_mob(r)
            ncalls = 1 + int(r.expovariate(1 / 1.7))
            # a roamer's calls all come from one visited network -> one gateway
            rt = self.route("igw_any", r)
            t = r.uniform(0, WINDOW_S)
            for k in range(ncalls):
                b = any_ke(r) if r.random() < 0.9 else foreign(r)
                self.add_route(t, a, b, rt, L("roamer"), b_foreign=False) if len(b) == 9 else \
                    self.add_route(t, a, b, rt, L("roamer"), b_foreign=True)
                if r.random() < 0.12:          # immediate redial
                    self.add_route(t + r.uniform(8, 60), a, b, rt, L("roamer"),
                                   b_foreign=len(b) != 9)
                t += r.expovariate(1 / 1500.0) + 30

        # --- call forwarding: second leg from the home core with the ORIGINAL
        #     caller's CLI (foreign, home or other-operator) to the forward-to number
        r = self.R("forwarding")
        for t in self.poisson_times(r, 650):
            x = r.random()
            b1 = self.sub_num(r)
            b2 = any_ke(r)
            delay = r.choice([r.uniform(0.3, 2.0), r.uniform(12, 25)])   # CFB / CFNRy
            if x < 0.25:
                a = foreign(r)
                self.add_route(t, a, b1, self.route("igw_any", r), L("international"), a_foreign=True)
                self.add_route(t + delay, a, b2, self.route(r.choice(CORE)), L("forwarding"),
                               a_foreign=True)
            else:
                a = nsn_block(r, MNOA_MOBILE) if x < 0.7 else self.sub_num(r)
                rt1 = self.route("ic_mnoa_1") if x < 0.7 else self.route(r.choice(CORE))
                self.add_route(t, a, b1, rt1, L("interconnect" if x < 0.7 else "subscriber"))
                self.add_route(t + delay, a, b2, self.route(r.choice(CORE)), L("forwarding"))
            if r.random() < 0.15:
                # forward-to party is itself roaming and forwards on (CFNRy) back
                # home: the leg re-enters on a gateway with the ORIGINAL caller's CLI
                self.add_route(t + delay + r.uniform(15, 25), a, any_ke(r),
                               self.route("igw_any", r), L("forwarding"), a_foreign=(x < 0.25))

        # --- enterprise ingress: call centres (allow-listed CLIs) and PBXs
        r = self.R("enterprise")
        for i in range(3):
            if i < 2:
                rt = ("ent_cc_%d" % (i + 1), "192.0.2.%d" % (11 + i), "nat" if i == 1 else "e164")
            else:
                rt = ("", "192.0.2.130", "e164")       # SIP trunk identified by IP only
            ncli = r.randint(2, 6)
            clis = []
            for k in range(ncli):
                c = ("20" + digits(r, 7)) if r.random() < 0.6 else home_mob(r)
                clis.append(c)
                self.cfg_allow_a.append("+" + CC + c)
            per_h = r.uniform(350, 800)
            called = []
            for t in self.poisson_times(r, per_h):
                if 0 < len(called) and r.random() < 0.08:      # call-back attempt
                    b = r.choice(called)
                else:
                    b = any_ke(r)
                    called.append(b)
                self.add_route(t, r.choice(clis), b, rt, L("call_centre"))

        pbx_names = ["ent_pbx_%02d" % i for i in range(1, 15)]
        for i, nm in enumerate(pbx_names + ["", ""]):
            if nm:
                rt = (nm, "192.0.2.%d" % (30 + i), "nat" if r.random() < 0.4 else "e164")
            else:
                rt = ("", "192.0.2.%d" % (140 + i), "e164")
            self.ent.append(rt)
            size = int(math.exp(r.uniform(math.log(8), math.log(400))))
            area = r.choice(FIXED_AREAS)
            base = int(digits(r, 7)) // 1000 * 1000
            base = min(base, 9999999 - size)
            main = area + "%07d" % base
            ddis = [area + "%07d" % (base + k) for k in range(1, size + 1)]
            self.ent_nums[rt] = [main] + ddis
            per_h = min(600.0, size * r.uniform(0.5, 2.0))
            pmain = r.uniform(0.1, 0.6)
            for t in self.poisson_times(r, per_h):
                a = main if r.random() < pmain else r.choice(ddis)
                b = any_ke(r) if r.random() < 0.93 else foreign(r)
                self.add_route(t, a, b, rt, L("pbx"), b_foreign=len(b) != 9)

        # --- hotlines / phone-ins (allow-listed B numbers), crowds
        r = self.R("hotline")
        hot = []
        for i in range(3):      # toll-free customer-care / bank lines
            hot.append(("tf", "800" + r.choice("2345678") + digits(r, 5), r.uniform(120, 400)))
        for i in range(3):      # radio/TV phone-in and competition lines on mobile numbers
            hot.append(("radio", home_mob(r) if i else other_mob(r), r.uniform(20, 60)))
        hot.append(("gov", "20" + digits(r, 7), r.uniform(60, 150)))
        for kind, num, base in hot:
            self.cfg_allow_b.append("+" + CC + num)
            times = self.poisson_times(r, base)
            if kind == "radio":
                # 3-6 on-air calls to action per 2h: 40-400 callers within 5-90 s
                for k in range(r.randint(3, 6)):
                    t0 = r.uniform(0, WINDOW_S - 100)
                    n = int(math.exp(r.uniform(math.log(40), math.log(400))))
                    span = r.uniform(5, 90)
                    times += [t0 + span * r.random() ** 1.6 for _ in range(n)]
            if kind == "tf":
                # a service incident: 80-300 extra callers in 2-6 minutes
                if r.random() < 0.7:
                    t0 = r.uniform(0, WINDOW_S - 400)
                    n = r.randint(80, 300)
                    times += [t0 + r.uniform(0, r.uniform(120, 360)) for _ in range(n)]
            for t in sorted(times):
                self.crowd_call(r, t, num, "hotline", rd)

        # --- conference bridges (allow-listed), joins around :00/:15/:30/:45
        r = self.R("conference")
        bridges = ["20" + r.choice("2345678") + digits(r, 6) for _ in range(6)]
        for bnum in bridges:
            self.cfg_allow_b.append("+" + CC + bnum)
        for slot in range(0, WINDOW_S + 1, 900):
            for bnum in bridges:
                if r.random() < (0.8 if slot % 1800 == 0 else 0.45):
                    n = int(math.exp(r.uniform(math.log(4), math.log(70))))
                    for k in range(n):
                        t = slot + r.gauss(40, 70)
                        if r.random() < 0.15:
                            t = slot + r.uniform(120, 900)     # late joiners
                        self.crowd_call(r, t, bnum, "conference", None, intl_share=0.12)

        # --- busy businesses on mobile numbers (dispatch, delivery, agents):
        #     one CLI, 0.2-1.5 calls/min for 20-100 min, mostly distinct callees
        r = self.R("business_mobile")
        for i in range(70):
            a = home_mob(r) if r.random() < 0.7 else nsn_block(r, MNOA_MOBILE)
            rt = self.route(r.choice(CORE)) if a[:3] in HOME_MOBILE else self.route(r.choice(["ic_mnoa_1", "ic_mnoa_2"]))
            rate = math.exp(r.uniform(math.log(0.2), math.log(1.5)))   # calls/min
            dur = r.uniform(20, 100) * 60
            t = r.uniform(-600, WINDOW_S - 300)
            end = t + dur
            customers = []
            while t < end:
                if customers and r.random() < 0.3:
                    b = r.choice(customers)
                else:
                    b = any_ke(r)
                    customers.append(b)
                self.add_route(t, a, b, rt, L("business_mobile"))
                if r.random() < 0.1:
                    self.add_route(t + r.uniform(10, 50), a, b, rt, L("business_mobile"))
                gap = r.expovariate(rate / 60.0)
                if r.random() < 0.05:
                    gap += r.uniform(120, 900)    # break
                t += max(gap, 15)

        # --- busy callees: small businesses receiving many calls from distinct callers
        r = self.R("busy_callee")
        for i in range(60):
            bnum = home_mob(r)
            per_h = math.exp(r.uniform(math.log(8), math.log(60)))
            for t in self.poisson_times(r, per_h):
                self.crowd_call(r, t, bnum, "busy_callee", rd, intl_share=0.03)

    def maybe_redial(self, r, t, a, b, rt, a_foreign=False):
        if r.random() < 0.055:
            for k in range(1 + (r.random() < 0.3) + (r.random() < 0.1)):
                t += r.uniform(4, 90)
                self.add_route(t, a, b, rt, ("legit", "redial", "", "", ""), a_foreign=a_foreign)

    def crowd_call(self, r, t, bnum, typ, rd, intl_share=0.04):
        """One caller into a crowd-called number arriving over a realistic route mix."""
        x = r.random()
        lab = ("legit", typ, "", "", "")
        if r.random() < intl_share:
            x = 2.0                                   # caller abroad (foreign CLI, gateway)
        if x < 0.45:
            a, rt, fa = self.sub_num(r), self.route(r.choice(CORE)), False
        elif x < 0.83:
            nm = r.choice(["ic_mnoa_1", "ic_mnoa_2", "ic_mnoa_1", "ic_mnob_1"])
            a = nsn_block(r, MNOA_MOBILE if nm != "ic_mnob_1" else MNOB_MOBILE)
            rt, fa = self.route(nm), False
        elif x < 0.90:
            a, rt, fa = fixed(r), self.route("ic_fixed_1"), False
        elif x < 0.96 and self.ent:
            rt = r.choice(self.ent)                  # caller behind a PBX: main number or a DDI
            a, fa = r.choice(self.ent_nums[rt]), False
        elif x <= 1.0:
            a, rt, fa = any_ke(r), self.route(r.choice(TRANSIT)), False
        else:
            a, rt, fa = foreign(r), self.route("igw_any", r), True
        self.add_route(t, a, bnum, rt, lab, a_foreign=fa)
        if rd is not None and r.random() < 0.15:     # busy -> redial
            self.add_route(t + r.uniform(3, 40), a, bnum, rt, lab, a_foreign=fa)

    # ------------------------------------------------------------ attacks
    def placement(self, r, i, dur):
        """Start times: some from the first minute, some across the hour boundary."""
        if i == 0:
            return r.uniform(-0.3 * dur, 20)           # already running at cold start
        if i == 1:
            return r.uniform(5, 50)
        if i in (2, 3):
            return 3600 - dur * r.uniform(0.2, 0.8)    # straddles the hour boundary
        return r.uniform(0, max(1.0, WINDOW_S - dur - 5))

    @staticmethod
    def logu(r, lo, hi):
        return math.exp(r.uniform(math.log(lo), math.log(hi)))

    def attacks(self):
        self.inst = {}

        def A(fam, i, inten, var):
            return ("attack", fam, "%s-%d" % (fam, i), "%.4g" % inten, var)

        # ---- SIM boxes
        r = self.R("simbox")
        for i in range(30):
            # nominal pacing; the label is the realised rate (pauses make it lower)
            if i % 6 == 5:
                rate = self.logu(r, 0.2, 1.2)           # quiet boxes
            elif i % 6 == 4:
                rate = self.logu(r, 8.0, 14.0)          # aggressive boxes
            else:
                rate = self.logu(r, 1.1, 8.5)
            nsim = int(round(self.logu(r, 2, 10)))
            dur = self.logu(r, 8, 45) * 60
            if rate < 1.0:
                dur = max(dur, 25 * 60)
            # keep one box to <= ~800 calls (volume realism): fewer SIMs first, then shorter
            nsim = max(2, min(nsim, int(800 / (rate * dur / 60.0))))
            dur = max(8 * 60.0, min(dur, 800 / (nsim * rate) * 60.0))
            offnet = r.random() < 0.3
            var = "offnet" if offnet else "onnet"
            t0 = self.placement(r, i, dur)
            if offnet:
                rt = self.route(r.choice(["ic_mnoa_1", "ic_mnoa_2", "ic_mnob_1"]))
                blocks = MNOB_MOBILE if rt[0] == "ic_mnob_1" else MNOA_MOBILE
            else:
                rt = self.route(r.choice(CORE))
                blocks = HOME_MOBILE
            calls = []
            for s in range(nsim):
                sim = nsn_block(r, blocks)
                life = int(self.logu(r, 25, 200))    # calls before the SIM is burned / swapped
                srate = rate * r.uniform(0.8, 1.2)
                t = t0 + r.uniform(0, 60.0 / srate)
                n = 0
                recent = []
                while t < t0 + dur:
                    if recent and r.random() < 0.04:
                        b = recent[-1]                     # retry after failure
                    else:
                        b = self.sub_num(r) if not offnet else (home_mob(r) if r.random() < 0.8 else other_mob(r))
                        recent.append(b)
                    calls.append((t, sim, b))
                    n += 1
                    if n >= life:
                        sim = nsn_block(r, blocks)
                        life = int(self.logu(r, 25, 200))
                        n = 0
                    gap = 60.0 / srate * r.gammavariate(3.0, 1 / 3.0)
                    if r.random() < (0.04 if rate < 4 else 0.008):
                        gap += r.uniform(60, 300)          # "human" pause
                    t += max(gap, 3.0)
            # label = realised calls per SIM-slot per minute (pauses included)
            lab = A("simbox", i, len(calls) / (nsim * dur / 60.0), var)
            for t, sim, b in calls:
                self.add_route(t, sim, b, rt, lab)

        # ---- CLI rotation from one small enterprise source
        r = self.R("cli_rotation")
        for i in range(44):
            if i % 8 == 6:
                rate = self.logu(r, 0.08, 0.5)
            elif i % 8 == 7:
                rate = self.logu(r, 2.0, 8.0)
            else:
                rate = self.logu(r, 0.4, 2.5)
            dur = self.logu(r, 25, 420)
            dur = min(dur, 500.0 / rate)
            x = r.random()
            if x < 0.4:
                rt = r.choice(self.ent)              # compromised PBX (also carries legit)
                var = "pbx_trunk" if rt[0] else "pbx_ip"
            else:
                rt = ("", "%d.%d.%d.%d" % (r.choice([45, 91, 102, 185, 194]), r.randint(0, 255),
                                           r.randint(0, 255), r.randint(2, 250)), "e164")
                var = "bare_ip"
            t0 = self.placement(r, i, dur)
            t = t0
            calls = []
            while t < t0 + dur:
                calls.append((t, spoof_ke(r), any_ke(r) if r.random() < 0.5 else self.sub_num(r)))
                t += r.expovariate(rate)
            # label = realised new CLIs per second (every call carries a new CLI)
            real = len(calls) / max(dur, calls[-1][0] - calls[0][0] + 1.0 / rate)
            lab = A("cli_rotation", i, real, var)
            for t, a, b in calls:
                self.add_route(t, a, b, rt, lab)

        # ---- masking refiled through a national interconnect
        r = self.R("refiled_masking")
        for i in range(50):
            x = r.random()
            n = 2 if x < 0.15 else (r.randint(3, 6) if x < 0.85 else r.randint(7, 9))
            span = self.logu(r, 10, 200) if i % 5 else self.logu(r, 90, 400)
            rname = r.choice(["ic_mnoa_1", "ic_mnoa_2", "ic_mnoa_1", "ic_mnob_1", "ic_fixed_1",
                              "transit_wh1"])
            rt = self.route(rname)
            inten = n / (span / 60.0)
            lab = A("refiled_masking", i, inten, rname.rsplit("_", 1)[0])
            b = self.sub_num(r)
            t0 = self.placement(r, i, span)
            offs = sorted([0.0, span] + [r.uniform(0, span) for _ in range(n - 2)])
            for o in offs:
                if rname == "ic_fixed_1":
                    a = fixed(r)
                elif rname == "ic_mnob_1":
                    a = nsn_block(r, MNOB_MOBILE)
                elif rname == "transit_wh1":
                    a = spoof_ke(r)
                else:
                    a = nsn_block(r, MNOA_MOBILE)
                self.add_route(t0 + o, a, b, rt, lab)

        # ---- masking bursts into one callee
        r = self.R("masking_burst")
        for i in range(46):
            rate = self.logu(r, 0.2, 25.0)
            n = int(round(self.logu(r, 5, 45)))
            rname = r.choice(["ic_mnoa_1", "ic_mnoa_2", "ic_mnob_1", "transit_wh1", "transit_wh2",
                              "bare_ip"])
            if rname == "bare_ip":
                rt = ("", "%d.%d.%d.%d" % (r.choice([45, 77, 103, 185]), r.randint(0, 255),
                                           r.randint(0, 255), r.randint(2, 250)), "e164")
            else:
                rt = self.route(rname)
            b = self.sub_num(r)
            dur = n / rate
            t = self.placement(r, i, dur)
            if i == 0:
                t = r.uniform(0, 30)
            used = []
            calls = []
            while len(used) < n:                       # n DISTINCT spoofed callers
                if used and r.random() < 0.08:
                    a = r.choice(used)                 # the same spoofed CLI retried
                else:
                    a = nsn_block(r, MNOB_MOBILE) if rname == "ic_mnob_1" else spoof_ke(r)
                    used.append(a)
                calls.append((t, a))
                t += r.expovariate(rate)
            # label = realised calls per second into the callee
            real = len(calls) / max(calls[-1][0] - calls[0][0] + 1.0 / rate, 1e-3)
            lab = A("masking_burst", i, real, rname.rsplit("_", 1)[0] if rname != "bare_ip" else "bare_ip")
            for t, a in calls:
                self.add_route(t, a, b, rt, lab)

        # ---- home-country CLIs on an international gateway
        r = self.R("intl_local_cli")
        for i in range(55):
            n = int(round(self.logu(r, 1, 40)))
            span = self.logu(r, 20, 1800) if n > 1 else 0.0
            x = r.random()
            if x < 0.6:
                rt = self.route(r.choice(IGW_TRUNKS)); var = "trunk"
            elif x < 0.85:
                rt = ("", r.choice(IGW_SRC_IPS), "e164"); var = "src_only"
            else:
                nm = r.choice(IGW_TRUNKS)
                rt = (nm, TRUNKS[nm][0], "natcli"); var = "natfmt"   # CLI in national format
            lab = A("intl_local_cli", i, n, var)
            t0 = self.placement(r, i, span)
            if i == 0:
                t0 = r.uniform(0, 40)
            for k in range(n):
                self.add_route(t0 + (span * r.random() if n > 1 else 0.0), spoof_ke(r), self.sub_num(r), rt, lab)

        # ---- CLIs invalid under the national plan
        r = self.R("invalid_cli")
        for i in range(55):
            n = int(round(self.logu(r, 1, 40)))
            span = self.logu(r, 20, 1800) if n > 1 else 0.0
            kind = ["trunk_prefix", "unassigned", "trunk_prefix", "unassigned", "short", "long"][i % 6]
            rname = r.choice(["ic_mnoa_1", "ic_mnob_1", "transit_wh1", "transit_wh2", "igw",
                              "bare_ip", "ent"])
            if rname == "igw":
                rt = self.route("igw_any", r)
            elif rname == "bare_ip":
                rt = ("", "%d.%d.%d.%d" % (r.choice([45, 91, 185]), r.randint(0, 255),
                                           r.randint(0, 255), r.randint(2, 250)), "e164")
            elif rname == "ent":
                rt = r.choice(self.ent)
            else:
                rt = self.route(rname)
            if kind == "trunk_prefix" and rt[2] == "nat":
                rt = (rt[0], rt[1], "e164")   # this form only exists in E.164 (+2540...)
            lab = A("invalid_cli", i, n, kind)
            t0 = self.placement(r, i, span)
            if i == 0:
                t0 = r.uniform(0, 40)
            for k in range(n):
                self.add_route(t0 + (span * r.random() if n > 1 else 0.0), invalid_nsn(r, kind),
                               self.sub_num(r), rt, lab)

    # ------------------------------------------------------------ output
    def write(self, out, labels, config, bare):
        self.rows.sort(key=lambda x: (x[0], x[1]))
        r = self.R("ids")
        seen = set()
        with open(out, "w", newline="") as fc, open(labels, "w", newline="") as fl:
            fc.write("call_id,a_number,b_number,timestamp_ms,source_ip,trunk\n")
            fl.write("call_id,class,type,instance,intensity,variant\n")
            for ts, _, a, b, ip, trunk, lab in self.rows:
                while True:
                    cid = "%024x" % r.getrandbits(96)
                    if cid not in seen:
                        seen.add(cid)
                        break
                fc.write("%s,%s,%s,%d,%s,%s\n" % (cid, a, b, ts, ip, trunk))
                fl.write("%s,%s,%s,%s,%s,%s\n" % ((cid,) + lab))
        head = ('[numbering]\ncountry_code = "%s"\n\n[rules.intl_ingress_local_cli]\n'
                'trunks = [%s]\nsources = ["%s"]\n' %
                (CC, ", ".join('"%s"' % t for t in IGW_TRUNKS), IGW_SRC_CIDR))
        lists = ('\n[lists]\nallow_b_numbers = [%s]\nallow_a_numbers = [%s]\n' %
                 (", ".join('"%s"' % x for x in self.cfg_allow_b),
                  ", ".join('"%s"' % x for x in self.cfg_allow_a)))
        with open(config, "w") as f:
            f.write(head + lists)
        if bare:
            with open(bare, "w") as f:
                f.write(head)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--labels", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--bare-config", default=None)
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args()
    g = Gen(a.seed)
    g.legit()
    g.attacks()
    g.write(a.out, a.labels, a.config, a.bare_config)
    if not a.quiet:
        from collections import Counter
        c = Counter((x[6][0], x[6][1]) for x in g.rows)
        inst = Counter(x[6][1] for x in g.rows if x[6][0] == "attack")
        ninst = Counter()
        for key in sorted(set(x[6][2] for x in g.rows if x[6][0] == "attack")):
            ninst[key.rsplit("-", 1)[0]] += 1
        print("rows: %d" % len(g.rows), file=sys.stderr)
        for (cl, ty), v in sorted(c.items()):
            extra = "  instances=%d" % ninst[ty] if cl == "attack" else ""
            print("  %-6s %-16s %7d%s" % (cl, ty, v, extra), file=sys.stderr)


if __name__ == "__main__":
    main()
