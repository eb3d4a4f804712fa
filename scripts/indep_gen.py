#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR Apache-2.0
"""Independent labelled-traffic generator for evaluating acm's call-masking detection.

Written WITHOUT reading acm's own simulator (src/simulate/), its engine or its quality notes: a
second opinion whose design choices are its own. The traffic shapes follow the issue text that
asked for it (legitimate look-alike classes and six attack families given as ranges), the shared
domain notes, and published knowledge: the Nigerian numbering plan (CC 234, 10-digit mobile NSNs,
8-digit fixed NSNs), SIM-box studies (fresh near-consecutive prepaid SIMs, many distinct callees, no
incoming calls, steady pacing) and regulators' descriptions of CLI spoofing and refiling.

    python3 scripts/indep_gen.py --seed 1 --out cdrs.csv --labels labels.csv --config deploy.toml \
        [--calls-per-hour 56000] [--hours 2] [--attacks-per-family-hour 23] \
        [--start 2025-05-14T08:00:00Z] [--quiet]

Outputs: the CDRs (call_id,a_number,b_number,timestamp_ms,source_ip,trunk; sorted by time), the
labels (call_id,class,type,instance,intensity,variant) and a TOML file naming only what an operator
would name (international gateway trunks, hotline/bridge/radio B-numbers, call-centre CLIs).
A summary table (per legit class, per attack family) is printed to stderr unless --quiet.
Standard library only; deterministic for a given --seed (no set or hash ordering is ever used).
"""

import argparse
import bisect
import csv
import math
import random
import statistics
import sys
from datetime import datetime, timezone

# ---------------------------------------------------------------------------------------------
# Numbering plan
# ---------------------------------------------------------------------------------------------
# Mobile NSNs are 3-digit operator code + 7 digits (10 digits, national 0803 xxx xxxx). The home
# operator is an MTN-like network; the weights are rough shares of each range in live traffic.
MOBILE = {
    "home": [("803", 14), ("806", 12), ("703", 8), ("706", 7), ("813", 8), ("816", 7), ("810", 6),
             ("814", 5), ("903", 8), ("906", 7), ("913", 4), ("916", 4), ("704", 3)],
    "airtel": [("802", 12), ("808", 10), ("708", 8), ("812", 7), ("701", 7), ("902", 6),
               ("901", 6), ("904", 4), ("907", 5), ("912", 3)],
    "glo": [("805", 14), ("807", 10), ("705", 8), ("815", 6), ("811", 5), ("905", 5)],
    "9mobile": [("809", 10), ("817", 6), ("818", 6), ("909", 6), ("908", 4)],
    "ntel": [("804", 1)],
}
# Fixed NSNs are 8 digits: a 1-digit area code (1 Lagos, 2 Ibadan, 9 Abuja) + 7-digit subscriber
# number, or a 2-digit area code + 6 digits (84 Port Harcourt, 64 Kano, 62 Kaduna, 42 Enugu,
# 52 Benin, 73 Jos). Subscriber numbers start with 2-8.
FIXED_AREAS = [("1", 7, 55), ("9", 7, 15), ("2", 7, 6), ("84", 6, 6), ("64", 6, 4), ("62", 6, 3),
               ("42", 6, 4), ("52", 6, 4), ("73", 6, 3)]
# Invalid-but-right-length CLIs (the invalid_cli family). Chosen as unassignable as far as the
# published plan goes:
#  * trunk_zero: the national trunk prefix 0 kept after +234 (+234 0803 xxx xxxx): an NSN never
#    starts with 0.
#  * unalloc_6: a 10-digit NSN starting with 6. Leading 6 is geographic only (06x area codes:
#    60 Sokoto, 62 Kaduna, 64 Kano, 69 Zaria ...), whose NSNs are 8 digits; no mobile 06xx block has
#    been allocated, so +234 6xx xxx xxxx cannot exist.
#  * unalloc_9x: 10-digit NSNs 96x-99x. Mobile allocations in the 09 range are 090x and 091x
#    (0901-0909, 0911-0916); leading 9 otherwise is Abuja fixed (8-digit NSN, 09 xxx xxxx).
#  * fixed_10digit: a Lagos "1" NSN with 10 digits (Lagos numbers are 1 + 7 digits).
INVALID_VARIANTS = ["trunk_zero", "unalloc_6", "unalloc_9x", "fixed_10digit"]

# Foreign numbering: (country code, weight, [(prefixes, random digits after the prefix)]); every
# pattern gives the country's national significant number length.
FOREIGN = [
    ("44", 20, [(["74", "75", "77", "78", "79"], 8), (["203", "207", "208"], 7)]),   # UK 10
    ("1", 16, [(["212", "713", "404", "301", "832", "214", "917", "347", "678", "240", "281",
                 "972", "416", "647"], None)]),                                         # NANP 10
    ("233", 8, [(["20", "23", "24", "26", "27", "50", "54", "55", "56", "57", "59"], 7)]),  # GH 9
    ("27", 5, [(["60", "61", "71", "72", "73", "74", "76", "78", "79", "82", "83", "84"], 7)]),  # ZA 9
    ("971", 5, [(["50", "52", "54", "55", "56", "58"], 7)]),                           # AE 9
    ("86", 4, [(["133", "135", "136", "138", "139", "150", "152", "158", "186", "188"], 8)]),  # CN 11
    ("91", 3, [(["6", "7", "8", "9"], 9)]),                                            # IN 10
    ("49", 3, [(["151", "152", "157", "159"], 8), (["170", "171", "172", "173", "175"], 7)]),  # DE 11/10
    ("237", 3, [(["65", "67", "68", "69"], 7)]),                                       # CM 9
    ("229", 2, [(["0190", "0196", "0197", "0161", "0166", "0151"], 6)]),               # BJ 10 (2024 plan)
    ("225", 2, [(["07", "05", "01"], 8)]),                                             # CI 10
    ("228", 1.5, [(["90", "91", "92", "93", "70", "79", "98", "99"], 6)]),             # TG 8
    ("254", 1.5, [(["70", "71", "72", "74", "79", "11"], 7)]),                         # KE 9
    ("33", 3, [(["6"], 8), (["75", "76", "77", "78"], 7)]),                            # FR 9
    ("39", 2, [(["320", "328", "333", "338", "340", "347", "349", "366", "380", "392"], 7)]),  # IT 10
    ("31", 1.5, [(["61", "62", "63", "64", "65"], 7)]),                                # NL 9
    ("353", 2, [(["83", "85", "86", "87", "89"], 7)]),                                 # IE 9
    ("966", 2, [(["50", "53", "54", "55", "56", "58", "59"], 7)]),                     # SA 9
    ("974", 1, [(["33", "55", "66", "70", "77"], 6)]),                                 # QA 8
    ("34", 1, [(["6"], 8)]),                                                           # ES 9
    ("55", 1, [(["119", "219", "319", "419", "619"], 8)]),                             # BR 11
    ("90", 1, [(["530", "532", "533", "535", "541", "542", "505", "555"], 7)]),        # TR 10
    ("221", 1, [(["70", "76", "77", "78"], 7)]),                                       # SN 9
    ("231", 1, [(["77", "88"], 7)]),                                                   # LR 9
    ("61", 1, [(["4"], 8)]),                                                           # AU 9
]

# ---------------------------------------------------------------------------------------------
# Network: trunks and source IPs (the home operator's view)
# ---------------------------------------------------------------------------------------------
MSCS = [("MSC-LOS-01", ["10.10.1.11", "10.10.1.12"], 30), ("MSC-LOS-02", ["10.10.1.21"], 25),
        ("MSC-ABJ-01", ["10.10.2.11", "10.10.2.12"], 20), ("MSC-PHC-01", ["10.10.3.11"], 15),
        ("MSC-KAN-01", ["10.10.4.11"], 10)]
# The legacy Kano MSC writes national numbers in national format (0803..., 01...); it is the only
# trunk group that does, about 10% of core traffic.
NATIONAL_FORMAT_TRUNKS = ("MSC-KAN-01",)
# National interconnects: one operator may have several trunk names and a pool of SBC addresses.
INTERCONNECTS = {
    "airtel": [("IC-AIRTEL-LOS", ["172.16.10.1", "172.16.10.2", "172.16.10.3", "172.16.10.4"], 65),
               ("IC-AIRTEL-ABJ", ["172.16.11.1", "172.16.11.2"], 35)],
    "glo": [("IC-GLO-LOS", ["172.16.20.%d" % i for i in range(1, 7)], 100)],
    "9mobile": [("IC-9MOBILE-LOS", ["172.16.30.1", "172.16.30.2"], 100)],
    "ntel": [("IC-NTEL-ABJ", ["172.16.40.1"], 100)],
}
IC_WEIGHTS = [("airtel", 42), ("glo", 38), ("9mobile", 14), ("ntel", 6)]
GATEWAYS = [("IGW-LAGOS-1", ["10.30.0.10", "10.30.0.11"], 60), ("IGW-LONDON-2", ["10.31.0.10"], 40)]
WHOLESALE = [("WS-TRANSIT-NG", ["196.46.20.5", "196.46.20.6", "196.46.20.7"], 60),
             ("WS-GLOBALVOX", ["62.12.40.8", "62.12.40.9"], 40)]
CONTACT_CENTRE_TRUNK = ("ENT-CONTACT-LOS", ["102.89.33.10", "102.89.33.11"])
PBX_TAGS = ["LEKKIHOSP", "ZENLOG", "KANOTEX", "ABJLAW", "PHCMARINE", "IKEJAMALL", "VIFINANCE",
            "OGUNFOODS", "BENINOIL", "ENUGUUNI", "YABATECH", "AJAHESTATE", "KADPOWER", "JOSTIN",
            "WARRIGAS", "APAPAPORT", "ISLANDCLUB", "ASOHOTEL", "UYOTELCO", "OSHOPRINT", "ILUPEJUPH",
            "MARYLANDCL", "GBAGADAMTR", "SURULEREDU", "ONITSHAMKT", "CALABARCRU", "ABAIND",
            "OWERRIMED", "MINNAAGRO", "SOKOTOCEM", "ILORINLOG", "AKUREINS", "EKOINS", "VGCSCHOOL"]
ENTERPRISE_OCTETS = [(102, 88), (102, 89), (102, 90), (41, 58), (41, 184), (197, 149), (105, 112),
                     (154, 113), (129, 205)]
ATTACKER_OCTETS = [45, 91, 103, 146, 151, 176, 185, 193, 196, 41, 102, 154, 88, 37, 5]

# Time-of-day shapes by West Africa Time hour (UTC+1). GENERAL is normalised over the window so
# --calls-per-hour is the mean; BUSINESS is relative to a peak business hour (PBXs, call centre,
# small businesses), not normalised.
GENERAL = [0.25, 0.15, 0.10, 0.09, 0.14, 0.30, 0.55, 0.80, 0.95, 1.05, 1.12, 1.15, 1.10, 1.08,
           1.10, 1.10, 1.12, 1.15, 1.20, 1.20, 1.10, 0.90, 0.65, 0.40]
BUSINESS = [0.03, 0.02, 0.02, 0.02, 0.02, 0.04, 0.10, 0.35, 0.80, 1.00, 1.10, 1.10, 0.95, 1.00,
            1.05, 1.00, 0.90, 0.60, 0.30, 0.15, 0.10, 0.07, 0.05, 0.04]

FAMILIES = ["masking_burst", "refiled_masking", "simbox", "cli_rotation", "intl_local_cli",
            "invalid_cli"]


# ---------------------------------------------------------------------------------------------
# Small random helpers
# ---------------------------------------------------------------------------------------------
def loguniform(rng, lo, hi):
    return math.exp(rng.uniform(math.log(lo), math.log(hi)))


def ext_loguniform(rng, lo, hi):
    """Log-uniform over [lo/k, hi*k] with k = sqrt(hi/lo): half the log-range lies inside the
    described [lo, hi], a quarter below (quieter) and a quarter above (louder)."""
    k = math.sqrt(hi / lo)
    return loguniform(rng, lo / k, hi * k)


def count_draw(rng, lo, hi, p_inside=0.55, louder=3.0):
    """A call count: p_inside log-uniform in [lo, hi], otherwise louder (hi, hi*louder]. A count
    cannot be quieter than 1; quieter instances of the count families are slower instead."""
    if rng.random() < p_inside:
        return max(lo, int(round(loguniform(rng, lo, hi + 0.49))))
    return int(round(loguniform(rng, hi + 0.5, hi * louder)))


def poisson(rng, lam):
    if lam <= 0:
        return 0
    if lam < 30:
        limit, k, p = math.exp(-lam), 0, 1.0
        while True:
            p *= rng.random()
            if p <= limit:
                return k
            k += 1
    return max(0, int(round(rng.gauss(lam, math.sqrt(lam)))))


class Weighted:
    """Weighted choice with precomputed cumulative weights."""

    def __init__(self, items):
        self.values = [v for v, _ in items]
        acc, self.cum = 0.0, []
        for _, w in items:
            acc += w
            self.cum.append(acc)
        self.total = acc

    def pick(self, rng):
        return self.values[bisect.bisect_right(self.cum, rng.random() * self.total)]


def fmt_intensity(x):
    if isinstance(x, int):
        return str(x)
    return f"{x:.4g}"


# ---------------------------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------------------------
class Gen:
    def __init__(self, args):
        self.seed = args.seed
        self.hours = args.hours
        self.T = args.hours * 3600
        self.cph = args.calls_per_hour
        self.aph = args.attacks_per_family_hour
        self.scale = args.calls_per_hour / 56000.0
        start = datetime.strptime(args.start.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S%z")
        self.start_s = int(start.astimezone(timezone.utc).timestamp())
        self.rows = []          # (t_ms, a, b, ip, trunk, label)
        self.labels = {}        # label tuple cache: rows share label objects
        self.named_b, self.named_a = [], []
        self.taken = set()      # membership only, never iterated
        self.n_min = self.T // 60
        self._profiles()
        self._world()

    # -- plumbing ---------------------------------------------------------------------------
    def R(self, name):
        return random.Random(f"indep-gen:{self.seed}:{name}")

    def label(self, cls, typ, inst="", intensity="", variant=""):
        key = (cls, typ, inst, intensity, variant)
        return self.labels.setdefault(key, key)

    def add(self, t, a, b, ing, lab):
        if 0 <= t < self.T:
            self.rows.append((int(t * 1000), a, b, ing[1], ing[0], lab))
            return True
        return False

    def _profiles(self):
        def at(table, t):
            wat = ((self.start_s + t) / 3600.0 + 1.0) % 24.0 - 0.5   # table value = mid-hour
            i = math.floor(wat)
            f = wat - i
            return table[i % 24] * (1 - f) + table[(i + 1) % 24] * f

        mids = [m * 60 + 30 for m in range(self.n_min)]
        gen = [at(GENERAL, t) for t in mids]
        mean = sum(gen) / len(gen)
        self.gen_prof = [g / mean for g in gen]
        self.biz_prof = [at(BUSINESS, t) for t in mids]

    def walk(self, rng, sd=0.025, rev=0.08):
        """Slow multiplicative noise per minute (mean-reverting random walk around 1)."""
        x, out = 0.0, []
        for _ in range(self.n_min):
            x += -rev * x + rng.gauss(0, sd)
            out.append(math.exp(x))
        return out

    def poisson_times(self, rng, per_hour, prof, t0=0.0, t1=None, noise=True):
        """Arrival times of a Poisson process whose rate is per_hour x prof[minute] x noise."""
        t1 = self.T if t1 is None else t1
        w = self.walk(rng) if noise else None
        out = []
        for m in range(max(0, int(t0 // 60)), min(self.n_min, int(math.ceil(t1 / 60)))):
            lam = per_hour / 60.0 * prof[m] * (w[m] if w else 1.0)
            for _ in range(poisson(rng, lam)):
                t = m * 60 + rng.random() * 60
                if t0 <= t < t1:
                    out.append(t)
        out.sort()
        return out

    # -- numbers ----------------------------------------------------------------------------
    def mobile(self, rng, op):
        return "+234" + self.mob_w[op].pick(rng) + "%07d" % rng.randrange(10 ** 7)

    def fixed(self, rng, area=None):
        if area is None:
            area, n = self.fix_w.pick(rng)
        else:
            n = 8 - len(area)
        return "+234" + area + str(rng.randint(2, 8)) + "%0*d" % (n - 1, rng.randrange(10 ** (n - 1)))

    def foreign(self, rng, cc=None):
        if cc is None:
            cc = self.cc_w.pick(rng)
        prefixes, digits = rng.choice(self.cc_pat[cc])
        p = rng.choice(prefixes)
        if digits is None:   # NANP: NPA + NXX (first digit 2-9) + 4 digits
            return "+1" + p + str(rng.randint(2, 9)) + "%06d" % rng.randrange(10 ** 6)
        return "+" + cc + p + "%0*d" % (digits, rng.randrange(10 ** digits))

    def fresh(self, make):
        """A number nobody else in the data uses (SIM-box SIMs, special numbers)."""
        while True:
            n = make()
            if n not in self.taken:
                self.taken.add(n)
                return n

    def pool(self, rng, n, make):
        out = []
        while len(out) < n:
            x = make()
            if x not in self.taken:
                self.taken.add(x)
                out.append(x)
        return out

    @staticmethod
    def skewed(rng, pool, a=1.7):
        """Heavy users at the front of the pool: a few call often, most call once or twice."""
        return pool[int(len(pool) * rng.random() ** a)]

    def invalid_cli(self, rng, variant):
        if variant == "trunk_zero":
            return "+2340" + self.mobile(rng, rng.choice(["home", "airtel", "glo"]))[4:]
        if variant == "unalloc_6":
            return "+2346" + "%09d" % rng.randrange(10 ** 9)
        if variant == "unalloc_9x":
            return "+2349" + str(rng.randint(6, 9)) + "%08d" % rng.randrange(10 ** 8)
        return "+2341" + str(rng.randint(2, 8)) + "%08d" % rng.randrange(10 ** 8)  # fixed_10digit

    # -- the world --------------------------------------------------------------------------
    def _world(self):
        r = self.R("world")
        self.mob_w = {op: Weighted(v) for op, v in MOBILE.items()}
        self.own_prefixes = {p for p, _ in MOBILE["home"]}   # membership only
        self.fix_w = Weighted([((a, 8 - len(a)), w) for a, _, w in FIXED_AREAS])
        self.cc_w = Weighted([(cc, w) for cc, w, _ in FOREIGN])
        self.cc_pat = {cc: pats for cc, _, pats in FOREIGN}
        self.msc_w = Weighted([(i, w) for i, (_, _, w) in enumerate(MSCS)])
        self.ic_w = Weighted(IC_WEIGHTS)
        self.ic_trunk_w = {op: Weighted([((t, ips), w) for t, ips, w in v])
                           for op, v in INTERCONNECTS.items()}
        self.gw_w = Weighted([((t, ips), w) for t, ips, w in GATEWAYS])
        self.ws_w = Weighted([((t, ips), w) for t, ips, w in WHOLESALE])

        # Subscriber populations (the people behind the CLIs).
        self.own = self.pool(r, 120000, lambda: self.mobile(r, "home"))
        self.other = {op: self.pool(r, n, lambda op=op: self.mobile(r, op))
                      for op, n in (("airtel", 50000), ("glo", 45000), ("9mobile", 12000),
                                    ("ntel", 3000))}
        self.fixed_pool = self.pool(r, 20000, lambda: self.fixed(r))
        self.foreign_pool = {cc: self.pool(r, 1500, lambda cc=cc: self.foreign(r, cc))
                             for cc, _, _ in FOREIGN}
        self.used_ips = set(ip for _, ips, _ in MSCS for ip in ips)

        s = self.scale
        # Hotlines (named): banks on Lagos fixed numbers, a health line on an own mobile number,
        # an airline on an Abuja number. Calls per hour at the mean hour.
        self.hotlines = [(self.fresh(lambda: self.fixed(r, "1")), 900 * s),
                         (self.fresh(lambda: self.fixed(r, "1")), 650 * s),
                         (self.fresh(lambda: self.fixed(r, "1")), 420 * s),
                         (self.fresh(lambda: self.fixed(r, "1")), 300 * s),
                         (self.fresh(lambda: self.mobile(r, "home")), 220 * s),
                         (self.fresh(lambda: self.fixed(r, "9")), 160 * s)]
        # Small unnamed business lines (a clinic, a shop, an insurer's branch).
        self.biz_lines = [(self.fresh(lambda: self.fixed(r)), loguniform(r, 12, 60) * s)
                          for _ in range(4)]
        # Radio phone-in lines: 3 named, 2 unnamed.
        self.radios = [(self.fresh(lambda: self.mobile(r, "home")), True),
                       (self.fresh(lambda: self.fixed(r, "1")), True),
                       (self.fresh(lambda: self.mobile(r, "home")), True),
                       (self.fresh(lambda: self.mobile(r, "home")), False),
                       (self.fresh(lambda: self.fixed(r, "84")), False)]
        # Conference bridges: 2 big named ones, ~30 small unnamed ones.
        self.big_bridges = [self.fresh(lambda: self.fixed(r, "1")) for _ in range(2)]
        self.small_bridges = [self.fresh(lambda: self.fixed(r) if r.random() < 0.6
                                         else self.mobile(r, "home"))
                              for _ in range(max(3, round(30 * s)))]
        # The call centre's outbound CLIs: 4 near-consecutive Lagos DDIs and one own mobile.
        base = int(self.fresh(lambda: self.fixed(r, "1"))[4:]) // 100 * 100 + r.randrange(10, 60)
        self.cc_clis = ["+234%d" % (base + k * r.randint(1, 3)) for k in range(4)]
        self.cc_clis.append(self.fresh(lambda: self.mobile(r, "home")))
        for c in self.cc_clis:
            self.taken.add(c)
        self.named_b = [h for h, _ in self.hotlines] + [n for n, named in self.radios if named] \
            + self.big_bridges
        self.named_a = list(self.cc_clis)

        # PBXs / enterprises.
        self.pbxs = []
        tags = PBX_TAGS[:]
        r.shuffle(tags)
        for k in range(max(4, round(28 * s))):
            tag = tags[k % len(tags)] + ("" if k < len(tags) else str(k))
            ip_only = r.random() < 0.3
            ips = [self.enterprise_ip(r) for _ in range(2 if r.random() < 0.2 else 1)]
            trunk = "" if ip_only else "PBX-" + tag
            mode = r.choices(["main", "ddi", "mixed"], [0.3, 0.5, 0.2])[0]
            if r.random() < 0.85:
                area = r.choices(["1", "9", "84", "2", "64"], [60, 20, 10, 5, 5])[0]
                first = self.fixed(r, area)
            else:
                first = self.mobile(r, "home")
            block = r.choice([10, 20, 50, 100])
            head = int(first[4:]) // block * block
            n_active = max(2, min(block, int(round(loguniform(r, 2, 40)))))
            ext = r.sample(range(block), n_active)
            clis = ["+234%d" % (head + e) for e in ext]
            for c in clis:
                self.taken.add(c)
            main = clis[0]
            rate = loguniform(r, 8, 300) * s
            self.pbxs.append({"trunk": trunk, "ips": ips, "mode": mode, "main": main,
                              "clis": clis, "rate": rate})
        # Business mobiles: existing subscribers (they also receive calls).
        self.biz_mobiles = []
        for _ in range(max(5, round(70 * s))):
            if r.random() < 0.75:
                op, num = "home", self.own[r.randrange(2000, len(self.own))]
            else:
                op = self.ic_w.pick(r)
                pool = self.other[op]
                num = pool[r.randrange(len(pool) // 20, len(pool))]
            self.biz_mobiles.append((op, num, loguniform(r, 6, 120)))
        # Numbers people call that belong to enterprises (so PBX and business numbers receive calls).
        self.enterprise_b = [p["main"] for p in self.pbxs for _ in range(3)] \
            + [c for p in self.pbxs for c in p["clis"]] + [n for _, n, _ in self.biz_mobiles]

    def enterprise_ip(self, rng):
        while True:
            a, b = rng.choice(ENTERPRISE_OCTETS)
            ip = "%d.%d.%d.%d" % (a, b, rng.randrange(256), rng.randrange(1, 255))
            if ip not in self.used_ips:
                self.used_ips.add(ip)
                return ip

    def attacker_ip(self, rng):
        while True:
            ip = "%d.%d.%d.%d" % (rng.choice(ATTACKER_OCTETS), rng.randrange(256),
                                  rng.randrange(256), rng.randrange(1, 255))
            if ip not in self.used_ips:
                self.used_ips.add(ip)
                return ip

    # -- ingress helpers --------------------------------------------------------------------
    def core_ing(self, rng, num):
        """An own subscriber's calls enter through the MSC serving their home area (sticky)."""
        h = int(num[-6:])
        if rng.random() < 0.03:            # travelling
            h = rng.randrange(10 ** 6)
        acc, k = 0, h % 100
        for trunk, ips, w in MSCS:
            acc += w
            if k < acc:
                return trunk, ips[(h // 100) % len(ips)] if rng.random() < 0.8 else rng.choice(ips)
        return MSCS[-1][0], MSCS[-1][1][0]

    def ic_ing(self, rng, op, trunk=None):
        t, ips = trunk if trunk else self.ic_trunk_w[op].pick(rng)
        return t, rng.choice(ips)

    def gw_ing(self, rng, gw=None):
        t, ips = gw if gw else self.gw_w.pick(rng)
        return t, rng.choice(ips)

    def ws_ing(self, rng, ws=None):
        t, ips = ws if ws else self.ws_w.pick(rng)
        return t, rng.choice(ips)

    def own_callee(self, rng, caller_key=None):
        if caller_key is not None and rng.random() < 0.25:     # a regular contact
            k = rng.randrange(5)
            return self.own[(caller_key * 2654435761 + k * 40503) % len(self.own)]
        return self.own[rng.randrange(len(self.own))]

    def random_caller(self, rng, p_own=0.55, p_ic=0.40, p_intl=0.03):
        u = rng.random()
        if u < p_own:
            a = self.skewed(rng, self.own)
            return a, self.core_ing(rng, a)
        if u < p_own + p_ic:
            op = self.ic_w.pick(rng)
            return self.skewed(rng, self.other[op]), self.ic_ing(rng, op)
        if u < p_own + p_ic + p_intl:
            cc = self.cc_w.pick(rng)
            return self.skewed(rng, self.foreign_pool[cc]), self.gw_ing(rng)
        return self.skewed(rng, self.fixed_pool), self.ws_ing(rng)

    # ------------------------------------------------------------------------------------------
    # Legitimate structural classes
    # ------------------------------------------------------------------------------------------
    def gen_hotlines(self):
        rng = self.R("hotline")
        lab = self.label("legit", "hotline")
        surge_idx = rng.randrange(len(self.hotlines))
        surge_t0 = rng.uniform(0, self.T - 1800)
        surge_len, surge_mult = rng.uniform(600, 1500), rng.uniform(2.0, 3.5)
        for i, (num, rate) in enumerate(self.hotlines):
            prof = self.gen_prof
            if i == surge_idx:       # an outage or a promotion: the line is swamped for a while
                prof = [p * (surge_mult if surge_t0 <= m * 60 < surge_t0 + surge_len else 1.0)
                        for m, p in enumerate(prof)]
            for t in self.poisson_times(rng, rate, prof):
                a, ing = self.random_caller(rng)
                self.add(t, a, num, ing, lab)
                if rng.random() < 0.08:       # hung up in the IVR, tries again
                    self.add(t + rng.uniform(20, 400), a, num, ing, lab)
        lab = self.label("legit", "business_line")
        for num, rate in self.biz_lines:
            for t in self.poisson_times(rng, rate, self.biz_prof):
                a, ing = self.random_caller(rng)
                self.add(t, a, num, ing, lab)

    def gen_radio(self):
        rng = self.R("radio")
        lab = self.label("legit", "radio_phone_in")
        for num, _named in self.radios:
            # A trickle of calls while the show is on air.
            for t in self.poisson_times(rng, loguniform(rng, 15, 80) * self.scale, self.gen_prof):
                a, ing = self.random_caller(rng, 0.6, 0.38, 0.01)
                self.add(t, a, num, ing, lab)
            # Competitions / "call in now": 1-3 per hour, tens to hundreds of callers in a minute.
            for h in range(self.hours):
                k = rng.choice([1, 1, 2, 2, 3])
                starts = sorted(h * 3600 + rng.uniform(0, 3600) for _ in range(k))
                for t0 in starts:
                    size = max(10, int(round(loguniform(rng, 20, 300) * self.scale)))
                    for _ in range(size):
                        a, ing = self.random_caller(rng, 0.6, 0.38, 0.01)
                        off = min(60.0, rng.expovariate(1 / 12.0)) if rng.random() < 0.7 \
                            else rng.uniform(0, 60)
                        self.add(t0 + off, a, num, ing, lab)
                        if rng.random() < 0.18:     # line busy: redial
                            t = t0 + off
                            for _ in range(rng.randint(1, 3)):
                                t += rng.uniform(6, 40)
                                self.add(t, a, num, ing, lab)

    def conf_joiner(self, rng):
        u = rng.random()
        if u < 0.12:
            p = rng.choice(self.pbxs)
            return (p["main"] if p["mode"] == "main" else rng.choice(p["clis"]),
                    (p["trunk"], rng.choice(p["ips"])))
        return self.random_caller(rng, 0.5 / 0.88, 0.28 / 0.88, 0.10 / 0.88)

    def gen_conference(self):
        rng = self.R("conference")
        lab = self.label("legit", "conference")
        first = (self.start_s // 900 + 1) * 900 - self.start_s   # first quarter hour in window
        slots = []
        t = first - 900
        while t < self.T + 900:
            minute = ((self.start_s + t) // 60) % 60
            slots.append((t, minute in (0, 30)))
            t += 900
        for num in self.big_bridges:
            for t in self.poisson_times(rng, 25 * self.scale, self.biz_prof):
                a, ing = self.conf_joiner(rng)
                self.add(t, a, num, ing, lab)
            for t0, main_slot in slots:
                if not main_slot and rng.random() < 0.6:
                    continue
                n = int(round(loguniform(rng, 30, 150) * self.scale * (1 if main_slot else 0.3)))
                for _ in range(n):
                    u = rng.random()
                    off = rng.gauss(30, 60) if u < 0.6 else (rng.uniform(-180, 0) if u < 0.9
                                                              else rng.uniform(0, 600))
                    a, ing = self.conf_joiner(rng)
                    self.add(t0 + off, a, num, ing, lab)
        for num in self.small_bridges:
            for t0, main_slot in slots:
                if rng.random() >= (0.22 if main_slot else 0.05):
                    continue
                for _ in range(rng.randint(3, 15)):
                    u = rng.random()
                    off = rng.uniform(-90, 60) if u < 0.5 else (rng.expovariate(1 / 90.0) if u < 0.85
                                                                else rng.uniform(-300, 600))
                    a, ing = self.conf_joiner(rng)
                    self.add(t0 + off, a, num, ing, lab)
                    if rng.random() < 0.06:          # dropped, rejoins
                        self.add(t0 + off + rng.uniform(60, 900), a, num, ing, lab)

    def gen_call_centre(self):
        rng = self.R("call_centre")
        lab = self.label("legit", "call_centre")
        cb = self.label("legit", "callback")
        trunk, ips = CONTACT_CENTRE_TRUNK
        for cli in self.cc_clis:
            rate = loguniform(rng, 180, 420) * self.scale   # predictive dialler, per CLI per hour
            t = rng.uniform(0, 60)
            while t < self.T:
                m = min(self.n_min - 1, int(t // 60))
                if rng.random() < 0.004:                     # agents' break
                    t += rng.uniform(300, 900)
                    continue
                u = rng.random()
                if u < 0.78:
                    b = self.own[rng.randrange(len(self.own))]
                elif u < 0.98:
                    op = self.ic_w.pick(rng)
                    b = self.other[op][rng.randrange(len(self.other[op]))]
                else:
                    b = self.fixed_pool[rng.randrange(len(self.fixed_pool))]
                self.add(t, cli, b, (trunk, rng.choice(ips)), lab)
                if b[4:7] in self.own_prefixes and rng.random() < 0.02:
                    # a missed customer rings the number back
                    self.add(t + rng.uniform(60, 1800), b, cli, self.core_ing(rng, b), cb)
                t += 3600.0 / rate / max(self.biz_prof[m], 0.05) * math.exp(rng.gauss(0, 0.35))

    def enterprise_callee(self, rng, allow_intl=True):
        u = rng.random()
        if u < 0.58:
            return self.own[rng.randrange(len(self.own))]
        if u < 0.88:
            op = self.ic_w.pick(rng)
            return self.other[op][rng.randrange(len(self.other[op]))]
        if u < 0.95 or not allow_intl:
            return self.fixed_pool[rng.randrange(len(self.fixed_pool))]
        return self.foreign(rng)

    def gen_pbx(self):
        rng = self.R("pbx")
        lab = self.label("legit", "pbx")
        for p in self.pbxs:
            n_cli = len(p["clis"])
            for t in self.poisson_times(rng, p["rate"], self.biz_prof):
                if p["mode"] == "main" or (p["mode"] == "mixed" and rng.random() < 0.7):
                    a = p["main"]
                else:   # reception and a few desks call most
                    a = p["clis"][int(n_cli * rng.random() ** 1.8)]
                self.add(t, a, self.enterprise_callee(rng), (p["trunk"], rng.choice(p["ips"])), lab)

    def gen_business_mobiles(self):
        rng = self.R("business_mobile")
        lab = self.label("legit", "business_mobile")
        for op, num, rate in self.biz_mobiles:
            t0, t1 = 0.0, float(self.T)
            if rng.random() < 0.2:
                t0 = rng.uniform(0, self.T * 0.6)
                t1 = rng.uniform(t0 + 900, self.T + 3600)
            contacts = []
            trunk = self.ic_trunk_w[op].pick(rng) if op != "home" else None
            for t in self.poisson_times(rng, rate, self.biz_prof, t0, t1):
                if contacts and rng.random() < 0.25:
                    b = rng.choice(contacts)
                elif op != "home":
                    b = self.own[rng.randrange(len(self.own))]
                else:
                    b = self.enterprise_callee(rng, allow_intl=False)
                contacts.append(b)
                ing = self.core_ing(rng, num) if op == "home" else self.ic_ing(rng, op, trunk)
                self.add(t, num, b, ing, lab)

    def gen_roamers(self):
        rng = self.R("roamer")
        lab = self.label("legit", "roamer")
        for _ in range(max(3, round(16 * self.scale * self.hours))):
            if rng.random() < 0.8:
                a = self.own[rng.randrange(len(self.own))]
            else:
                op = self.ic_w.pick(rng)
                a = self.other[op][rng.randrange(len(self.other[op]))]
            gw = self.gw_w.pick(rng)
            family = [self.own[rng.randrange(len(self.own))] for _ in range(rng.randint(1, 2))]
            t = rng.uniform(-600, self.T)
            for _ in range(rng.choice([1, 1, 2, 2, 3, 4])):
                self.add(t, a, rng.choice(family), self.gw_ing(rng, gw), lab)
                t += rng.uniform(60, 2400)

    # ------------------------------------------------------------------------------------------
    # Bulk classes that fill each hour to the target volume
    # ------------------------------------------------------------------------------------------
    def gen_bulk(self):
        rng = self.R("bulk")
        hour_target = [self.cph * sum(self.gen_prof[h * 60:(h + 1) * 60]) / 60.0
                       for h in range(self.hours)]
        existing = [0] * self.hours
        for row in self.rows:
            existing[min(self.hours - 1, row[0] // 3_600_000)] += 1
        P_CB = 0.03
        shares = [("subscriber", 0.545), ("interconnect", 0.345), ("international", 0.05),
                  ("wholesale", 0.045), ("forwarded", 0.004)]
        labs = {k: self.label("legit", k) for k, _ in shares}
        cb = self.label("legit", "callback")
        w = self.walk(rng, sd=0.03)
        self.bulk_plan = []
        for h in range(self.hours):
            need = max(hour_target[h] - existing[h], 0.35 * hour_target[h]) / (1 + P_CB * 0.9)
            self.bulk_plan.append((round(hour_target[h]), existing[h], round(need)))
            mins = range(h * 60, min(self.n_min, (h + 1) * 60))
            wsum = sum(self.gen_prof[m] * w[m] for m in mins)
            for m in mins:
                frac = self.gen_prof[m] * w[m] / wsum
                for kind, share in shares:
                    for _ in range(poisson(rng, need * share * frac)):
                        t = m * 60 + rng.random() * 60
                        self._bulk_call(rng, kind, t, labs[kind], cb, P_CB)

    def _bulk_call(self, rng, kind, t, lab, cb, p_cb):
        back = None
        if kind == "subscriber":
            i = int(len(self.own) * rng.random() ** 1.7)
            a = self.own[i]
            u = rng.random()
            if u < 0.70:
                b = self.own_callee(rng, i)
                back = b
            elif u < 0.90:
                op = self.ic_w.pick(rng)
                b = self.skewed(rng, self.other[op], 1.3)
            elif u < 0.93:
                b = self.fixed_pool[rng.randrange(len(self.fixed_pool))]
            elif u < 0.97:
                b = rng.choice(self.enterprise_b)
            else:
                b = self.foreign(rng)
            self.add(t, a, b, self.core_ing(rng, a), lab)
        elif kind == "interconnect":
            op = self.ic_w.pick(rng)
            pool = self.other[op]
            i = int(len(pool) * rng.random() ** 1.7)
            a = pool[i]
            b = self.own_callee(rng, i + 7 * len(op)) if rng.random() < 0.94 \
                else rng.choice(self.enterprise_b)
            back = b
            self.add(t, a, b, self.ic_ing(rng, op), lab)
        elif kind == "international":
            cc = self.cc_w.pick(rng)
            pool = self.foreign_pool[cc]
            i = int(len(pool) * rng.random() ** 1.5)
            a = pool[i]
            b = self.own_callee(rng, i * 31 + len(cc)) if rng.random() < 0.95 \
                else rng.choice(self.enterprise_b)
            back = b
            self.add(t, a, b, self.gw_ing(rng), lab)
        elif kind == "wholesale":
            u = rng.random()
            if u < 0.50:
                a = self.skewed(rng, self.fixed_pool)
            elif u < 0.60:
                a = self.skewed(rng, self.other["ntel"])
            elif u < 0.75:
                op = self.ic_w.pick(rng)
                a = self.skewed(rng, self.other[op])
            else:
                cc = self.cc_w.pick(rng)
                a = self.skewed(rng, self.foreign_pool[cc])
            b = self.own_callee(rng) if rng.random() < 0.9 else rng.choice(self.enterprise_b)
            self.add(t, a, b, self.ws_ing(rng), lab)
        else:   # forwarded: an own subscriber's call diverted by another network, back to us
            a = self.skewed(rng, self.own)
            op = self.ic_w.pick(rng)
            self.add(t, a, self.own_callee(rng), self.ic_ing(rng, op), lab)
        if back is not None and back[4:7] in self.own_prefixes and rng.random() < p_cb:
            # missed call (or a "flash"): the called party rings back within minutes
            delay = min(1800.0, math.exp(rng.gauss(math.log(150), 0.9)))
            self.add(t + delay, back, a, self.core_ing(rng, back), cb)

    # ------------------------------------------------------------------------------------------
    # Attacks
    # ------------------------------------------------------------------------------------------
    def gen_attacks(self):
        self.instances = {}
        for fam in FAMILIES:
            rng = self.R("attack:" + fam)
            fn = getattr(self, "atk_" + fam)
            k = 0
            ip_memory = []
            for h in range(self.hours):
                for _ in range(self.aph):
                    k += 1
                    inst = "%s-%d" % (fam, k)
                    anchor = h * 3600 + rng.random() * 3600
                    fn(rng, inst, anchor, ip_memory)

    def spoofed_cli(self, rng, kind, state):
        """National CLIs a masking route presents."""
        if kind == "harvested":           # real numbers, scraped or leaked
            u = rng.random()
            if u < 0.5:
                return self.own[rng.randrange(len(self.own))]
            op = self.ic_w.pick(rng)
            return self.other[op][rng.randrange(len(self.other[op]))]
        if kind == "random":              # invented, valid ranges, any operator
            return self.mobile(rng, rng.choice(["home", "home", "airtel", "glo", "9mobile"]))
        if kind == "sequential":
            if "seq" not in state:
                state["seq"] = int(self.mobile(rng, rng.choice(["home", "airtel", "glo"]))[4:])
            state["seq"] += 1 if rng.random() < 0.8 else rng.randint(2, 4)
            return "+234%d" % state["seq"]
        if kind == "block":               # same leading digits, random tail
            if "blk" not in state:
                state["blk"] = self.mobile(rng, rng.choice(["home", "airtel", "glo"]))[:-4]
            return state["blk"] + "%04d" % rng.randrange(10000)
        if kind == "foreign":
            return self.foreign(rng)
        return self.fixed(rng, rng.choice(["1", "1", "9"]))        # fixed

    def bare_ip(self, rng, memory):
        """An unnamed source; grey routes come back, so some instances reuse an earlier IP."""
        if memory and rng.random() < 0.3:
            return rng.choice(memory)
        ip = self.attacker_ip(rng)
        memory.append(ip)
        return ip

    def victim(self, rng):
        return self.own[rng.randrange(len(self.own))]

    def atk_masking_burst(self, rng, inst, anchor, mem):
        rate = ext_loguniform(rng, 1, 10)                 # calls per second into one callee
        u = rng.random()
        n = rng.randint(3, 4) if u < 0.2 else count_draw(rng, 5, 40, 0.75, 2.5)
        src = rng.choices(["ws", "ic", "ip"], [0.4, 0.3, 0.3])[0]
        cli = rng.choices(["harvested", "random", "sequential", "fixed"], [0.35, 0.35, 0.15, 0.15])[0]
        pacing = rng.choice(["even", "poisson"])
        lab = self.label("attack", "masking_burst", inst, fmt_intensity(rate), "%s_%s" % (src, cli))
        b = self.victim(rng)
        ing_fn = self.attack_ingress(rng, src, mem)
        span = (n - 1) / rate
        t = min(anchor, self.T - span - 1)
        state, used = {}, []
        for i in range(n):
            a = rng.choice(used) if used and rng.random() < 0.04 else self.spoofed_cli(rng, cli, state)
            used.append(a)
            self.add(t, a, b, ing_fn(), lab)
            t += (1 / rate) * (rng.uniform(0.7, 1.3) if pacing == "even" else rng.expovariate(1.0))

    def atk_refiled_masking(self, rng, inst, anchor, mem):
        rate = ext_loguniform(rng, 2, 24)                 # fresh CLIs per minute into one callee
        u = rng.random()
        n = 2 if u < 0.07 else (rng.randint(7, 8) if u > 0.92 else rng.randint(3, 6))
        op = self.ic_w.pick(rng)
        tr = self.ic_trunk_w[op].pick(rng)
        mode = "partner" if rng.random() < 0.7 else "mixed"
        retry = rng.random() < 0.15
        lab = self.label("attack", "refiled_masking", inst, fmt_intensity(rate),
                         mode + ("_retry" if retry else ""))
        b = self.victim(rng)
        span = (n - 1) * 60.0 / rate
        t = min(anchor, self.T - 1.4 * span - 30)
        clis = []
        for i in range(n):
            o = op if mode == "partner" else rng.choice(["home", "airtel", "glo", "9mobile"])
            if o == "ntel" and mode == "partner" and rng.random() < 0.5:
                o = "airtel"     # small partners refile other carriers' ranges too
            a = self.fresh(lambda: self.mobile(rng, o))
            clis.append(a)
            self.add(t, a, b, self.ic_ing(rng, op, tr), lab)
            if retry and i == 0:
                self.add(t + rng.uniform(4, 20), a, b, self.ic_ing(rng, op, tr), lab)
            t += 60.0 / rate * rng.uniform(0.6, 1.4)

    def atk_simbox(self, rng, inst, anchor, mem):
        cpm = ext_loguniform(rng, 1, 6)                   # calls per minute per SIM
        S = max(1, min(32, int(round(loguniform(rng, 1, 32.49)))))
        D = loguniform(rng, 10, 90) * 60
        offnet = rng.random() < 0.25
        if S == 1:
            mode, ports = "steady", 1
        elif S <= 8:
            mode = "steady" if rng.random() < 0.75 else "rotating"
            ports = S if mode == "steady" else max(1, S // 2)
        else:
            mode = "rotating"
            ports = min(S - 1, rng.choices([4, 8, 16], [0.55, 0.35, 0.10])[0])
        if offnet:
            op = rng.choices(["airtel", "glo", "9mobile"], [0.45, 0.4, 0.15])[0]
            tr = self.ic_trunk_w[op].pick(rng)
            ing_fn = lambda: self.ic_ing(rng, op, tr)
        else:
            op = "home"
            trunk, ips, _ = MSCS[self.msc_w.pick(rng)]
            ing = (trunk, rng.choice(ips))
            ing_fn = lambda: ing
        lab = self.label("attack", "simbox", inst, fmt_intensity(cpm),
                         "%s_%s" % ("offnet" if offnet else "onnet", mode))
        # A bulk-bought batch of prepaid SIMs: near-consecutive numbers in one range.
        while True:
            base = int(self.mobile(rng, op)[4:])
            sims, cur = [], base
            for _ in range(S):
                sims.append("+234%d" % cur)
                u = rng.random()
                cur += 1 if u < 0.6 else (rng.randint(2, 5) if u < 0.95 else rng.randint(6, 40))
            if str(cur)[:3] == str(base)[:3] and not any(x in self.taken for x in sims):
                break
        for x in sims:
            self.taken.add(x)
        start = anchor - 0.25 * D
        end = start + D
        gap = 60.0 / cpm

        def run(sim, t, t_end):
            while t < t_end:
                if offnet or rng.random() < 0.85:
                    b = self.own[rng.randrange(len(self.own))]
                else:
                    o = self.ic_w.pick(rng)
                    b = self.other[o][rng.randrange(len(self.other[o]))]
                self.add(t, sim, b, ing_fn(), lab)
                t += gap * math.exp(rng.gauss(0, 0.25))
                if rng.random() < 0.03:          # the operator's "human" pauses
                    t += rng.uniform(60, 300)
            return t

        if mode == "steady":
            for sim in sims:
                run(sim, start + rng.uniform(0, min(gap, 120)), end)
        else:
            for p in range(ports):
                queue = sims[p::ports]
                t, j = start + rng.uniform(0, min(gap, 60)), 0
                while t < end:
                    stint = loguniform(rng, 4, 15) * 60
                    t = run(queue[j % len(queue)], t, min(end, t + stint))
                    t += rng.uniform(20, 90)            # swap to the port's next SIM
                    j += 1

    def atk_cli_rotation(self, rng, inst, anchor, mem):
        rate = ext_loguniform(rng, 0.5, 2)                # new CLIs per second from one source
        D = loguniform(rng, 40, 450)
        src = rng.choices(["pbx", "ip", "ws"], [0.4, 0.4, 0.2])[0]
        pat = rng.choices(["sequential", "block", "random", "harvested", "foreign"],
                          [0.28, 0.24, 0.24, 0.16, 0.08])[0]
        if pat == "foreign" and src != "ws":
            pat = "random"
        pacing = rng.choice(["even", "poisson"])
        if src == "pbx":      # a compromised enterprise PBX: its own trunk and address
            p = rng.choice(self.pbxs)
            ing = (p["trunk"], rng.choice(p["ips"]))
            src = "pbx" if p["trunk"] else "pbxip"
        elif src == "ip":
            ing = ("", self.bare_ip(rng, mem))
        else:
            t_, ips = self.ws_w.pick(rng)
            ing = (t_, rng.choice(ips))
        lab = self.label("attack", "cli_rotation", inst, fmt_intensity(rate), "%s_%s" % (src, pat))
        t = min(anchor, self.T - D - 60)
        end = t + D
        state = {}
        while t < end:
            a = self.spoofed_cli(rng, pat, state)
            self.add(t, a, self.victim(rng), ing, lab)
            if rng.random() < 0.15:
                self.add(t + rng.uniform(5, 60), a, self.victim(rng), ing, lab)
            t += (1 / rate) * (rng.uniform(0.8, 1.2) if pacing == "even" else rng.expovariate(1.0))

    def atk_intl_local_cli(self, rng, inst, anchor, mem):
        n = count_draw(rng, 1, 40, 0.55, 3.0)
        D = loguniform(rng, 1, 30) * 60 if n > 1 else 0.0
        gw = self.gw_w.pick(rng)
        kind = rng.choices(["own_random", "other_net", "fixed", "single_cli"],
                           [0.45, 0.25, 0.10, 0.20])[0]
        lab = self.label("attack", "intl_local_cli", inst, str(n), kind)
        t0 = min(anchor, self.T - D - 1)
        single = self.own[rng.randrange(len(self.own))]
        for t in sorted(t0 + rng.uniform(0, D) for _ in range(n)):
            if kind == "own_random":
                a = self.own[rng.randrange(len(self.own))] if rng.random() < 0.5 \
                    else self.mobile(rng, "home")
            elif kind == "other_net":
                op = self.ic_w.pick(rng)
                a = self.other[op][rng.randrange(len(self.other[op]))] if rng.random() < 0.5 \
                    else self.mobile(rng, op)
            elif kind == "fixed":
                a = self.fixed(rng, rng.choice(["1", "1", "9", "84"]))
            else:
                a = single
            self.add(t, a, self.victim(rng), self.gw_ing(rng, gw), lab)

    def attack_ingress(self, rng, src, mem):
        """The ingress of an attack's calls: one wholesale trunk ("ws"), one
        interconnect trunk ("ic") or one bare IP; a function giving each call's."""
        if src == "ws":
            ws = self.ws_w.pick(rng)
            return lambda: self.ws_ing(rng, ws)
        if src == "ic":
            op = self.ic_w.pick(rng)
            tr = self.ic_trunk_w[op].pick(rng)
            return lambda: self.ic_ing(rng, op, tr)
        ing = ("", self.bare_ip(rng, mem))
        return lambda: ing

    def atk_invalid_cli(self, rng, inst, anchor, mem):
        n = count_draw(rng, 1, 20, 0.55, 3.0)
        D = loguniform(rng, 0.2, 15) * 60 if n > 1 else 0.0
        variant = rng.choice(INVALID_VARIANTS)
        same = rng.random() < 0.3 and n > 1
        src = rng.choices(["ws", "ip", "ic"], [0.4, 0.35, 0.25])[0]
        ing_fn = self.attack_ingress(rng, src, mem)
        lab = self.label("attack", "invalid_cli", inst, str(n),
                         variant + ("_same" if same else ""))
        t0 = min(anchor, self.T - D - 1)
        fixed_cli = self.invalid_cli(rng, variant)
        for t in sorted(t0 + rng.uniform(0, D) for _ in range(n)):
            a = fixed_cli if same else self.invalid_cli(rng, variant)
            self.add(t, a, self.victim(rng), ing_fn(), lab)

    # ------------------------------------------------------------------------------------------
    def run(self):
        self.gen_attacks()
        self.gen_hotlines()
        self.gen_radio()
        self.gen_conference()
        self.gen_call_centre()
        self.gen_pbx()
        self.gen_business_mobiles()
        self.gen_roamers()
        self.gen_bulk()     # last: fills each hour up to the target volume

    def write(self, out, labels, config):
        rng = self.R("write")
        rows = self.rows
        rng.shuffle(rows)                  # no generation order left inside equal timestamps
        rows.sort(key=lambda r: r[0])
        seen = set()
        with open(out, "w", newline="") as fo, open(labels, "w", newline="") as fl:
            wo = csv.writer(fo, lineterminator="\n")
            wl = csv.writer(fl, lineterminator="\n")
            wo.writerow(["call_id", "a_number", "b_number", "timestamp_ms", "source_ip", "trunk"])
            wl.writerow(["call_id", "class", "type", "instance", "intensity", "variant"])
            base_ms = self.start_s * 1000
            for t_ms, a, b, ip, trunk, lab in rows:
                while True:
                    cid = "%016x" % rng.getrandbits(64)
                    if cid not in seen:
                        seen.add(cid)
                        break
                if trunk in NATIONAL_FORMAT_TRUNKS:
                    if a.startswith("+234"):
                        a = "0" + a[4:]
                    if b.startswith("+234"):
                        b = "0" + b[4:]
                wo.writerow([cid, a, b, base_ms + t_ms, ip, trunk])
                wl.writerow([cid, lab[0], lab[1], lab[2], lab[3], lab[4]])
        q = lambda xs: ",\n".join('  "%s"' % x for x in xs)
        with open(config, "w") as fc:
            fc.write("# Written by scripts/indep_gen.py --seed %d: only what an operator names.\n"
                     % self.seed)
            fc.write("[rules.intl_ingress_local_cli]\n")
            fc.write("trunks = [%s]\n\n" % ", ".join('"%s"' % t for t, _, _ in GATEWAYS))
            fc.write("[lists]\n")
            fc.write("# hotlines, named radio phone-in lines and the big conference bridges\n")
            fc.write("allow_b_numbers = [\n%s,\n]\n" % q(self.named_b))
            fc.write("# the call centre's outbound CLIs\n")
            fc.write("allow_a_numbers = [\n%s,\n]\n" % q(self.named_a))


# ---------------------------------------------------------------------------------------------
# Summary (read back from the written files)
# ---------------------------------------------------------------------------------------------
def summarize(cdr_path, labels_path, start_s, hours, out=sys.stderr):
    legit = {}
    fam = {}
    total = [0] * hours
    natfmt = 0
    trunks = {}
    with open(cdr_path, newline="") as fc, open(labels_path, newline="") as fl:
        rc, rl = csv.reader(fc), csv.reader(fl)
        next(rc)
        next(rl)
        for c, l in zip(rc, rl):
            assert c[0] == l[0]
            h = min(hours - 1, max(0, (int(c[3]) // 1000 - start_s) // 3600))
            total[h] += 1
            if c[1].startswith("0") or c[2].startswith("0"):
                natfmt += 1
            trunks[c[5] or "(ip only)"] = trunks.get(c[5] or "(ip only)", 0) + 1
            if l[1] == "legit":
                legit.setdefault(l[2], [0] * hours)[h] += 1
            else:
                f = fam.setdefault(l[2], {})
                i = f.setdefault(l[3], {"n": [0] * hours, "int": float(l[4]), "var": l[5],
                                        "a": {}, "t": []})
                i["n"][h] += 1
                i["a"][c[1]] = i["a"].get(c[1], 0) + 1
                i["t"].append((int(c[3]) / 1000.0, c[1]))
    p = lambda *x: print(*x, file=out)
    hdr = "".join("%9s" % ("hour%d" % (h + 1)) for h in range(hours))
    p("calls per hour (all): " + "  ".join(str(x) for x in total) + "   total %d" % sum(total))
    p("rows with a national-format number: %d;  trunks: %d distinct (+ ip-only rows: %d)"
      % (natfmt, len(trunks) - ("(ip only)" in trunks), trunks.get("(ip only)", 0)))
    p("")
    p("%-16s%s%9s" % ("legit type", hdr, "total"))
    for k in sorted(legit, key=lambda k: -sum(legit[k])):
        p("%-16s%s%9d" % (k, "".join("%9d" % x for x in legit[k]), sum(legit[k])))
    lt = [sum(v[h] for v in legit.values()) for h in range(hours)]
    p("%-16s%s%9d" % ("ALL LEGIT", "".join("%9d" % x for x in lt), sum(lt)))
    p("")
    p("%-16s %5s %5s %5s %8s %9s  %-22s %-18s %s" % ("attack family", "inst", "inst@1", "inst@2",
                                                      "calls", "calls@2", "intensity min/med/max",
                                                      "realised/nominal", "variants"))
    for name in FAMILIES:
        f = fam.get(name, {})
        if not f:
            p("%-16s %5d" % (name, 0))
            continue
        ints = sorted(i["int"] for i in f.values())
        calls = sum(sum(i["n"]) for i in f.values())
        c2 = sum(i["n"][-1] for i in f.values())
        in1 = sum(1 for i in f.values() if i["n"][0])
        in2 = sum(1 for i in f.values() if i["n"][-1])
        ratios = []
        for i in f.values():
            ts = sorted(i["t"])
            span = ts[-1][0] - ts[0][0]
            if name in ("intl_local_cli", "invalid_cli"):
                ratios.append(len(ts) / i["int"])
            elif name == "masking_burst" and span > 0:
                ratios.append((len(ts) - 1) / span / i["int"])
            elif name in ("refiled_masking", "cli_rotation"):
                first = {}
                for t, a in ts:
                    first.setdefault(a, t)         # when each CLI is first seen
                fs = sorted(first.values())
                unit = 60.0 if name == "refiled_masking" else 1.0
                if len(fs) > 1 and fs[-1] > fs[0]:
                    ratios.append((len(fs) - 1) / ((fs[-1] - fs[0]) / unit) / i["int"])
            elif name == "simbox":
                per = {}
                for t, a in ts:
                    per.setdefault(a, []).append(t)
                for v in per.values():
                    if len(v) > 2:
                        # median gap between a SIM's consecutive calls, as calls per minute
                        g = statistics.median(y - x for x, y in zip(v, v[1:]))
                        ratios.append(60.0 / g / i["int"] if g > 0 else 0)
        variants = {}
        for i in f.values():
            variants[i["var"]] = variants.get(i["var"], 0) + 1
        vs = " ".join("%s:%d" % kv for kv in sorted(variants.items()))
        rr = "%.2f" % statistics.median(ratios) if ratios else "-"
        p("%-16s %5d %5d %5d %8d %9d  %-22s %-18s %s" % (
            name, len(f), in1, in2, calls, c2,
            "%.3g/%.3g/%.3g" % (ints[0], statistics.median(ints), ints[-1]), rr, vs))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True, help="CDR CSV to write")
    ap.add_argument("--labels", required=True, help="labels CSV to write")
    ap.add_argument("--config", required=True, help="TOML deployment config to write")
    ap.add_argument("--calls-per-hour", type=int, default=56000)
    ap.add_argument("--hours", type=int, default=2)
    ap.add_argument("--attacks-per-family-hour", type=int, default=23)
    ap.add_argument("--start", default="2025-05-14T08:00:00Z", help="UTC, e.g. 2025-05-14T08:00:00Z")
    ap.add_argument("--quiet", action="store_true", help="no summary on stderr")
    args = ap.parse_args(argv)
    if args.hours < 1 or args.calls_per_hour < 1000:
        ap.error("need --hours >= 1 and --calls-per-hour >= 1000")
    g = Gen(args)
    g.run()
    g.write(args.out, args.labels, args.config)
    if not args.quiet:
        print("bulk fill per hour (target, structural+attack, bulk planned): %s" % g.bulk_plan,
              file=sys.stderr)
        summarize(args.out, args.labels, g.start_s, args.hours)


if __name__ == "__main__":
    main()
