#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR Apache-2.0
"""Independent labelled synthetic CDR generator no. 6: France (+33).

A blind second opinion for evaluating a call-masking detector.  It models
two evening hours (18:00-20:00 Paris time, Tuesday 2025-03-18) of INVITEs
seen at the ingress SBCs of "Hexacom", a fictional converged fixed + mobile
incumbent-like French operator with IMS mobile and residential VoIP cores,
many enterprise SIP trunks / PBXs, wholesale SIP customers, national
interconnects with the other French operators and transit carriers, and
international gateways (IGW).  France has heavy fixed and mobile number
portability, so a number's range does not say which network serves it.

Legitimate look-alikes and six attack families are generated, each row
labelled.  Numbering follows libphonenumber's metadata for FR (checked by
indep_gen6_check.py with the `phonenumbers` package); the generator itself
uses only the Python standard library.

Usage:
  python3 scripts/indep_gen6.py --seed N --out cdrs.csv --labels labels.csv \
      --config deploy.toml [--bare-config bare.toml] [--quiet]

Output depends only on --seed.  See docs/sixth-generator.md.
"""

import argparse
import csv
import math
import random
import sys
from collections import Counter, defaultdict

# ---------------------------------------------------------------------------
# Time frame: 2025-03-18 17:00:00Z .. 19:00:00Z (18:00-20:00 CET)
# ---------------------------------------------------------------------------
T0 = 1742317200000
HOUR = 3600000
T_END = T0 + 2 * HOUR
MIN = 60000

# ---------------------------------------------------------------------------
# French numbering (NSN = 9 digits after +33).  Ranges verified against the
# libphonenumber FR metadata (phonenumbers 9.0.x); the checker re-verifies.
# ---------------------------------------------------------------------------
FR_INVALID_2 = {"40", "70", "71", "72", "87"}
FR_INVALID_3 = {"262", "590", "594", "639", "690", "691", "692", "693", "694",
                "696", "697", "841", "843", "845", "846", "847", "848", "849"}
# ARCEP ranges reserved for telemarketing (metropolitan France, since 2023)
DEMARCHAGE = ["162", "163", "270", "271", "377", "378", "424", "425", "568",
              "569", "948", "949"]
# 09 37-39: "numéros polyvalents" for platforms (delivery, VTC, reminders)
PLATFORM_09 = ["937", "938", "939"]
RESERVED_3 = set(DEMARCHAGE) | set(PLATFORM_09)


def fr_ok(nsn):
    return (len(nsn) == 9 and nsn[0] != "0" and nsn[:2] not in FR_INVALID_2
            and nsn[:3] not in FR_INVALID_3)


def digits(r, n):
    return "".join(r.choice("0123456789") for _ in range(n))


def fr_fill(r, prefix):
    """Random valid NSN under prefix; reserved ranges only if asked for."""
    reserved_ok = prefix[:3] in RESERVED_3
    while True:
        nsn = prefix + digits(r, 9 - len(prefix))
        if fr_ok(nsn) and (reserved_ok or nsn[:3] not in RESERVED_3):
            return nsn


def fr_mobile(r):
    if r.random() < 0.62:
        return fr_fill(r, "6" + r.choice("012345678" + "9"))
    return fr_fill(r, "7" + r.choice("3456789"))


GEO_FIRST = [("1", 30), ("2", 18), ("3", 17), ("4", 18), ("5", 17)]


def wchoice(r, pairs):
    tot = sum(w for _, w in pairs)
    x = r.random() * tot
    for v, w in pairs:
        x -= w
        if x < 0:
            return v
    return pairs[-1][0]


def fr_geo(r):
    return fr_fill(r, wchoice(r, GEO_FIRST))


def fr_voip(r):
    return fr_fill(r, "9")


def fr_fixed(r):
    return fr_voip(r) if r.random() < 0.22 else fr_geo(r)


def fr_any(r):
    return fr_mobile(r) if r.random() < 0.62 else fr_fixed(r)


def e164(nsn):
    return "+33" + nsn


def natfmt(nsn):
    return "0" + nsn


# Foreign numbers: country -> (cc, [(prefix, NSN length)]).  Prefixes chosen
# from ranges that libphonenumber accepts in full (sampled and verified).
def _pl(prefixes, total):
    return [(p, total) for p in prefixes]


FOREIGN = {
    "DE": ("49", _pl(["151", "152", "157"], 11) + _pl(["160", "162", "170", "171",
           "172", "173", "174", "175", "176", "177", "178", "179"], 10)),
    "BE": ("32", _pl(["470", "471", "472", "473", "474", "475", "476", "477", "478",
           "479", "484", "485", "486", "487", "488", "489", "491", "492", "493",
           "494", "495", "496", "497", "498", "499"], 9)),
    "ES": ("34", _pl(["6"], 9) + _pl(["71", "72", "73", "74"], 9)),
    "IT": ("39", _pl(["320", "324", "327", "328", "329", "330", "331", "333", "334",
           "335", "336", "337", "338", "339", "340", "342", "343", "345", "346",
           "347", "348", "349", "350", "351", "366", "368", "371", "377", "380",
           "388", "389", "391", "392", "393"], 10)),
    "PT": ("351", _pl(["91", "92", "93", "96"], 9)),
    "CH": ("41", _pl(["75", "76", "77", "78", "79"], 9)),
    "GB": ("44", _pl(["7400", "7500", "7800", "7900", "7960", "7830", "7712",
           "7701", "7703"], 10)),
    "MA": ("212", _pl(["61", "62", "63", "64", "65", "66", "67", "69", "70", "71",
           "76", "77", "78"], 9)),
    "DZ": ("213", _pl(["55", "66", "69", "77", "79"], 9)),
    "TN": ("216", _pl(["20", "21", "22", "23", "24", "25", "26", "27", "28", "29",
           "50", "52", "53", "54", "55", "56", "58", "90", "91", "92", "93", "94",
           "95", "96", "97", "98", "99"], 8)),
    "SN": ("221", _pl(["70", "75", "76", "77", "78"], 9)),
    "CI": ("225", _pl(["07", "05", "01"], 10)),
    "US": ("1", _pl(["2125", "2023", "3057", "4159", "6469", "7183", "9174"], 10)),
    "CN": ("86", _pl(["130", "131", "132", "133", "135", "136", "137", "138", "139",
           "150", "151", "152", "158", "159", "186", "187", "188", "189"], 11)),
    "MG": ("261", _pl(["32", "33", "34", "38"], 9)),
    "TR": ("90", _pl(["530", "531", "532", "533", "534", "535", "536", "537", "538",
           "539", "541", "542", "543", "544", "545", "546", "505", "506", "507",
           "551", "552", "553", "554", "555"], 10)),
    "PL": ("48", _pl(["50", "51", "53", "57", "60", "66", "69", "72", "73", "79",
           "88"], 9)),
    "RO": ("40", _pl(["72", "73", "74", "75", "76", "77"], 9)),
    "LU": ("352", _pl(["621", "628", "661", "668", "691", "698"], 9)),
    "NL": ("31", _pl(["61", "62", "63", "64", "65", "68"], 9)),
    # French overseas departments have their own country codes
    "RE": ("262", _pl(["692"], 9) + _pl(["2622", "2623", "2624"], 9)),
    "GP": ("590", _pl(["690"], 9) + _pl(["5902", "5908", "5909"], 9)),
    "MQ": ("596", _pl(["696", "697"], 9)),
    "GF": ("594", _pl(["6940", "6941", "6942", "6944"], 9)),
}
INTL_MIX = [("MA", 14), ("DZ", 12), ("TN", 8), ("PT", 7), ("ES", 7), ("IT", 6),
            ("BE", 6), ("DE", 6), ("GB", 6), ("CH", 5), ("US", 6), ("SN", 4),
            ("CI", 4), ("CN", 3), ("MG", 2), ("TR", 2), ("PL", 1.5), ("RO", 1.5),
            ("LU", 1), ("NL", 1)]
VISITOR_MIX = [("GB", 14), ("DE", 12), ("ES", 10), ("IT", 10), ("BE", 10),
               ("US", 10), ("CH", 8), ("NL", 6), ("PT", 5), ("CN", 5), ("MA", 5),
               ("PL", 3), ("RO", 2)]
EEA = ["DE", "BE", "ES", "IT", "PT", "NL", "PL", "RO", "LU"]
DOM_MIX = [("RE", 40), ("GP", 22), ("MQ", 22), ("GF", 16)]


def foreign(r, country):
    cc, pls = FOREIGN[country]
    p, total = r.choice(pls)
    return "+" + cc + p + digits(r, total - len(p))


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------
def poisson(r, lam):
    if lam <= 0:
        return 0
    if lam < 30:
        L = math.exp(-lam)
        k, p = 0, 1.0
        while True:
            p *= r.random()
            if p <= L:
                return k
            k += 1
    return max(0, int(round(r.gauss(lam, math.sqrt(lam)))))


def loguni(r, lo, hi):
    return math.exp(r.uniform(math.log(lo), math.log(hi)))


def flat(m):
    return 1.0


def evening(m):
    # residential/mobile traffic: slight decline 18:00 -> 20:00
    return 1.07 - 0.14 * m / 120.0


def office(m):
    # offices empty out during the evening
    return max(0.25, 1.35 - 0.9 * m / 120.0)


def arrivals(r, per_hour, shape=evening, start=T0, end=T_END):
    out = []
    t = start - (start - T0) % MIN
    while t < end:
        m = (t - T0) / MIN
        lo, hi = max(t, start), min(t + MIN, end)
        if hi > lo:
            lam = per_hour / 60.0 * shape(m) * (hi - lo) / MIN
            for _ in range(poisson(r, lam)):
                out.append(r.randrange(lo, hi))
        t += MIN
    out.sort()
    return out


class Pool:
    """Lazily materialised numbering population with skewed activity."""

    def __init__(self, r, size, maker, skew=1.5):
        self.r, self.size, self.maker, self.skew = r, size, maker, skew
        self.items = {}

    def get(self, i):
        v = self.items.get(i)
        if v is None:
            v = self.maker(self.r)
            self.items[i] = v
        return v

    def sample(self, r):
        return self.get(int(self.size * (r.random() ** self.skew)))


class IPAlloc:
    def __init__(self, r):
        self.r, self.used = r, set()
        self.nets = ["192.0.2", "198.51.100", "203.0.113"]

    def public(self):
        while True:
            if self.r.random() < 0.45:
                ip = "%s.%d" % (self.r.choice(self.nets), self.r.randint(2, 250))
            else:
                ip = "100.%d.%d.%d" % (self.r.randint(64, 127), self.r.randint(0, 255),
                                       self.r.randint(2, 250))
            if ip not in self.used and ip != "203.0.113.77":
                self.used.add(ip)
                return ip


# ---------------------------------------------------------------------------
# Network inventory
# ---------------------------------------------------------------------------
IC_TRUNKS = [  # national interconnects with the other French network operators
    ("IC-OPB-PAR-01", ["172.20.1.10", "172.20.1.11", "172.20.1.12"], 30, "e164"),
    ("IC-OPB-LYS-02", ["172.20.2.10", "172.20.2.11"], 12, "e164"),
    ("IC-OPC-PAR-01", ["172.21.1.20", "172.21.1.21"], 18, "e164"),
    ("IC-OPC-MRS-01", ["172.21.3.20"], 8, "e164"),
    ("IC-OPD-PAR-01", ["172.22.1.30", "172.22.1.31", "172.22.1.32"], 22, "e164"),
    ("IC-TDM-MGW-LIL", ["172.23.9.5"], 5, "national"),  # legacy TDM media gateway
]
TRANSIT_TRUNKS = [  # national transit carriers (alt operators, MVNOs, handover)
    ("TR-NAT-TRANSIT-A", ["172.24.1.40", "172.24.1.41"], 50, "e164"),
    ("TR-NAT-TRANSIT-B", ["172.24.7.12"], 30, "e164"),
    ("TR-NAT-TRANSIT-C", ["172.25.0.9", "172.25.0.10"], 20, "e164"),
]
IMS_TRUNKS = [("IMS-SBC-PAR-1", ["10.20.1.11", "10.20.1.12"], 45, "e164"),
              ("IMS-SBC-LYS-1", ["10.20.2.11", "10.20.2.12"], 30, "e164"),
              ("IMS-SBC-RNS-1", ["10.20.3.11"], 25, "e164")]
RES_TRUNKS = [("RES-VOIP-PAR", ["10.30.1.5", "10.30.1.6"], 55, "e164"),
              ("RES-VOIP-BDX", ["10.30.4.5"], 45, "e164")]
IGW_TRUNK_NAMES = ["IGW-PAR-TH2-A", "IGW-PAR-TH2-B", "IGW-MRS-LANDING", "IGW-IPX-SBC"]
IGW_SOURCES = ["198.18.10.0/24", "198.18.11.0/24", "198.18.40.0/23", "198.19.200.0/24"]
IGW_PEERS = [  # (trunk, ips, weight); '' = bare SIP peer identified by address
    ("IGW-PAR-TH2-A", ["198.18.10.21", "198.18.10.22"], 22),
    ("IGW-PAR-TH2-A", ["198.18.10.45"], 8),
    ("IGW-PAR-TH2-B", ["198.18.11.8", "198.18.11.9"], 18),
    ("IGW-MRS-LANDING", ["198.18.40.17", "198.18.41.3"], 16),
    ("IGW-MRS-LANDING", ["203.0.113.77"], 5),   # newer carrier, address not in CIDRs
    ("IGW-IPX-SBC", ["198.19.200.5", "198.19.200.6"], 16),
    ("", ["198.19.200.40", "198.19.200.41"], 10),
    ("", ["198.18.11.200"], 5),
]


def pick_trunk(r, table):
    name, ips, _, fmt = wchoice(r, [(t, t[2]) for t in table])
    return name, r.choice(ips), fmt


def pick_igw(r, bare=None):
    cands = IGW_PEERS
    if bare is True:
        cands = [p for p in IGW_PEERS if p[0] == ""]
    elif bare is False:
        cands = [p for p in IGW_PEERS if p[0] != ""]
    t = wchoice(r, [(p, p[2]) for p in cands])
    return t[0], r.choice(t[1])


# ---------------------------------------------------------------------------
class Gen:
    def __init__(self, seed):
        self.seed = seed
        self.rows = []
        self.legit_a = set()
        self.r_setup = self.R("setup")
        r = self.r_setup
        # populations
        self.home = Pool(self.R("pool-home"), 400000, fr_any, 1.3)       # our subscribers (callees)
        self.natc = Pool(self.R("pool-nat"), 500000, fr_any, 1.4)        # other operators' customers
        self.onm = Pool(self.R("pool-onm"), 300000, fr_mobile, 1.4)      # our mobile subscribers
        self.onf = Pool(self.R("pool-onf"), 150000, fr_fixed, 1.4)       # our fixed/VoIP subscribers
        self.fpools = {c: Pool(self.R("pool-" + c), 40000,
                               (lambda cc: (lambda rr: foreign(rr, cc)))(c), 1.6)
                       for c in FOREIGN}
        self.ip = IPAlloc(self.R("ips"))
        self.build_enterprises(r)
        self.build_services(r)
        self.inst_counter = Counter()

    def R(self, name):
        return random.Random("g6|%d|%s" % (self.seed, name))

    # ------------------------------------------------------------- inventory
    def build_enterprises(self, r):
        self.pbx = []
        big = [("ENT-CHU-NORD", 1250, 4), ("ENT-MINIST-ECO", 800, 4),
               ("ENT-UNIV-PSUD", 420, 4), ("ENT-BANQUE-REG", 380, 3),
               ("ENT-GRANDMAG-SIEGE", 300, 3)]
        for i in range(72):
            if i < len(big):
                name, vol, k = big[i]
                mode = "ddi"
            else:
                name = "ENT-%05d" % r.randint(10000, 99999)
                vol = min(250.0, loguni(r, 4, 120))
                k = r.choice([2, 2, 2, 3, 3, 4])
                mode = "ddi" if r.random() < 0.7 else "main"
            base = fr_geo(r) if r.random() < 0.8 else fr_voip(r)
            prefix = base[:9 - k]
            trunk = name if (i < len(big) or r.random() < 0.65) else ""
            self.pbx.append(dict(name=name, trunk=trunk, ip=self.ip.public(),
                                 prefix=prefix, k=k, vol=vol, mode=mode,
                                 main=prefix + "0" * k if fr_ok(prefix + "0" * k) else base))
        self.pbx_weights = [(p, p["vol"]) for p in self.pbx]

    def pbx_cli(self, r, p):
        if p["mode"] == "main" or r.random() < 0.08:
            return p["main"]
        size = 10 ** p["k"]
        ext = int(size * (r.random() ** 1.25))
        nsn = p["prefix"] + str(ext).zfill(p["k"])
        return nsn if fr_ok(nsn) else p["main"]

    def build_services(self, r):
        # hotlines: (nsn, listed, calls/h)
        self.hotlines = []
        kinds = [("800", 1), ("805", 1), ("969", 1), ("1", 0), ("820", 0), ("9", 0)]
        for i in range(14):
            pre = kinds[i % len(kinds)][0]
            nsn = fr_fill(r, pre)
            self.hotlines.append(dict(nsn=nsn, listed=(i % 7) not in (2, 5, 6),
                                      rate=loguni(r, 50, 420)))
        self.bridges = []
        for i in range(6):
            nsn = fr_fill(r, r.choice(["170", "176", "186", "975", "805"]))
            self.bridges.append(dict(nsn=nsn, listed=i in (0, 2, 3), size=loguni(r, 6, 40),
                                     meetings=r.randint(3, 8)))
        # outbound call centres (French customer service, not telemarketing)
        self.centres = []
        for i in range(7):
            listed = i < 3
            ncli = r.choice([1, 1, 2, 3, 4])
            clis = [fr_voip(r) if r.random() < 0.6 else fr_geo(r) for _ in range(ncli)]
            per_agent = i in (4, 6)          # one 09 DDI per agent
            agents = r.randint(8, 25)
            if per_agent:
                blk = fr_voip(r)[:6]
                clis = [blk + "%03d" % j for j in range(agents)]
                clis = [c for c in clis if fr_ok(c)]
            trunk = "SIPC-CC%02d" % (i + 1) if r.random() < 0.7 else ""
            self.centres.append(dict(listed=listed, clis=clis, agents=agents,
                                     cpm=loguni(r, 0.4, 1.0), trunk=trunk,
                                     ip=self.ip.public(), per_agent=per_agent))
        self.offshore = []
        for i in range(4):
            ncli = r.choice([1, 2, 3, 5])
            clis = [fr_voip(r) if r.random() < 0.7 else fr_geo(r) for _ in range(ncli)]
            self.offshore.append(dict(listed=i < 2, clis=clis, agents=r.randint(4, 12),
                                      cpm=loguni(r, 0.3, 0.8),
                                      country=r.choice(["MA", "TN", "MG", "SN"])))
        self.tv_nsn = fr_fill(r, "89")
        self.radio_nsn = fr_fill(r, "1")

    def allow_lists(self):
        b = [e164(h["nsn"]) for h in self.hotlines if h["listed"]]
        b += [e164(x["nsn"]) for x in self.bridges if x["listed"]]
        b.append(e164(self.tv_nsn))
        a = []
        for c in self.centres:
            if c["listed"]:
                a += [e164(x) for x in c["clis"]]
        for c in self.offshore:
            if c["listed"]:
                a += [e164(x) for x in c["clis"]]
        return a, b

    # ------------------------------------------------------------- emitting
    def emit(self, ts, a, b, ip, trunk, label):
        if T0 <= ts < T_END:
            self.rows.append((ts, len(self.rows), a, b, ip, trunk, label))
            return True
        return False

    def legit(self, ts, a, b, ip, trunk, typ):
        if self.emit(ts, a, b, ip, trunk, ("legit", typ, "", "", "")):
            self.legit_a.add(a)

    def caller(self, r, mix):
        """Return (a, ip, trunk) for a caller from a source kind in mix."""
        kind = wchoice(r, mix)
        if kind == "ic":
            name, ip, fmt = pick_trunk(r, IC_TRUNKS)
            nsn = self.natc.sample(r)
            return (natfmt(nsn) if fmt == "national" else e164(nsn)), ip, name
        if kind == "tr":
            name, ip, _ = pick_trunk(r, TRANSIT_TRUNKS)
            return e164(self.natc.sample(r)), ip, name
        if kind == "onm":
            name, ip, _ = pick_trunk(r, IMS_TRUNKS)
            return e164(self.onm.sample(r)), ip, name
        if kind == "onf":
            name, ip, _ = pick_trunk(r, RES_TRUNKS)
            return e164(self.onf.sample(r)), ip, name
        if kind == "pbx":
            p = wchoice(r, self.pbx_weights)
            return e164(self.pbx_cli(r, p)), p["ip"], p["trunk"]
        if kind == "igw":
            trunk, ip = pick_igw(r)
            return self.fpools[wchoice(r, INTL_MIX)].sample(r), ip, trunk
        if kind == "dom":
            name, ip, _ = pick_trunk(r, IC_TRUNKS[:5] + TRANSIT_TRUNKS)
            return self.fpools[wchoice(r, DOM_MIX)].sample(r), ip, name
        raise ValueError(kind)

    def nat_b(self, r):
        x = r.random()
        if x < 0.5:
            return e164(self.home.sample(r))
        return e164(self.natc.sample(r))

    # ------------------------------------------------------------- legit
    def gen_legit(self):
        G = self
        # 1. national interconnect, 2. transit
        r = G.R("ic")
        for ts in arrivals(r, 10000):
            name, ip, fmt = pick_trunk(r, IC_TRUNKS)
            nsn = G.natc.sample(r)
            G.legit(ts, natfmt(nsn) if fmt == "national" else e164(nsn),
                    e164(G.home.sample(r)), ip, name, "national_interconnect")
        r = G.R("tr")
        for ts in arrivals(r, 2900):
            name, ip, _ = pick_trunk(r, TRANSIT_TRUNKS)
            if r.random() < 0.05:   # licensed carrier hand-over of genuine intl calls
                a = G.fpools[wchoice(r, INTL_MIX)].sample(r)
            else:
                a = e164(G.natc.sample(r))
            G.legit(ts, a, e164(G.home.sample(r)), ip, name, "national_transit")
        # 3/4. on-net mobile and fixed
        r = G.R("onm")
        for ts in arrivals(r, 7500):
            name, ip, _ = pick_trunk(r, IMS_TRUNKS)
            b = G.fpools[wchoice(r, INTL_MIX)].sample(r) if r.random() < 0.02 else G.nat_b(r)
            G.legit(ts, e164(G.onm.sample(r)), b, ip, name, "onnet_mobile")
        r = G.R("onf")
        for ts in arrivals(r, 3100):
            name, ip, _ = pick_trunk(r, RES_TRUNKS)
            b = G.fpools[wchoice(r, INTL_MIX)].sample(r) if r.random() < 0.04 else G.nat_b(r)
            G.legit(ts, e164(G.onf.sample(r)), b, ip, name, "onnet_fixed_voip")
        # 5. inbound roamers (visitors on our RAN)
        r = G.R("visitor")
        for ts in arrivals(r, 380):
            name, ip, _ = pick_trunk(r, IMS_TRUNKS)
            c = wchoice(r, VISITOR_MIX)
            b = G.fpools[c].sample(r) if r.random() < 0.45 else G.nat_b(r)
            G.legit(ts, G.fpools[c].sample(r), b, ip, name, "inbound_roamer")
        # 6. enterprise PBX with DDI ranges
        r = G.R("pbx")
        for p in G.pbx:
            for ts in arrivals(r, p["vol"], office):
                G.legit(ts, e164(G.pbx_cli(r, p)), G.nat_b(r), p["ip"], p["trunk"],
                        "enterprise_pbx_ddi")
        # 7/8. outbound customer-service call centres
        r = G.R("cc")
        for c in G.centres:
            typ = "call_centre_listed" if c["listed"] else "call_centre_unlisted"
            start = T0 + r.randint(0, 20) * MIN if r.random() < 0.3 else T0
            end = T_END - r.randint(0, 30) * MIN if r.random() < 0.4 else T_END
            for ts in arrivals(r, c["agents"] * c["cpm"] * 60, flat, start, end):
                a = r.choice(c["clis"])
                G.legit(ts, e164(a), e164(G.home.sample(r)) if r.random() < 0.6 else
                        e164(G.natc.sample(r)), c["ip"], c["trunk"], typ)
        # 9. legal telemarketing from ARCEP-designated ranges
        r = G.R("tm")
        for i in range(5):
            trunk = ["SIPC-AGGREG-TM1", "SIPC-AGGREG-TM1", "SIPC-AGGREG-TM2", "", ""][i]
            ip = G.ip.public()
            pre = r.choice(DEMARCHAGE)
            rate = loguni(r, 200, 650)
            if i in (1, 3):   # rotates through a large designated pool
                pool = [pre + digits(r, 6) for _ in range(r.choice([300, 800, 2000]))]
            else:             # one CLI per seat
                pool = [pre + digits(r, 6) for _ in range(r.randint(8, 40))]
            for ts in arrivals(r, rate, flat):
                G.legit(ts, e164(r.choice(pool)), e164(G.home.sample(r)) if r.random() < 0.5
                        else e164(G.natc.sample(r)), ip, trunk, "telemarketing_designated")
        # 10. platforms on 09 37-39: number masking for delivery/VTC + reminders
        r = G.R("plat")
        for i, (rate, psize) in enumerate([(900, 3000), (450, 1200), (250, 3)]):
            trunk = ["SIPC-PLATFORM-MASK1", "", "SIPC-REMIND"][i]
            ip = G.ip.public()
            # masking platforms hold proxy-number pools; the reminder robot a few CLIs
            pool = [fr_fill(r, r.choice(PLATFORM_09) if psize > 3 else "939")
                    for _ in range(psize)]
            for ts in arrivals(r, rate, evening):
                G.legit(ts, e164(pool[int(len(pool) * r.random() ** 1.1)]),
                        e164(G.home.sample(r)) if r.random() < 0.55 else e164(G.natc.sample(r)),
                        ip, trunk, "platform_polyvalent_09")
        # 11. VoIP / app-number providers reaching us over SIP
        r = G.R("voipprov")
        provs = [("", 700, lambda rr: fr_fill(rr, "75" + rr.choice("6789"))),  # app numbers
                 ("SIPC-VOIPPRO-2", 500, fr_voip),
                 ("", 350, fr_any)]
        for trunk, rate, maker in provs:
            ip = G.ip.public()
            pool = Pool(G.R("vp-" + str(rate)), 60000, maker, 1.2)
            for ts in arrivals(r, rate):
                G.legit(ts, e164(pool.sample(r)), G.nat_b(r), ip, trunk, "voip_provider_peer")
        # 12. hotlines (with outage surges)
        r = G.R("hot")
        mix = [("ic", 45), ("tr", 8), ("onm", 30), ("onf", 8), ("pbx", 5), ("igw", 2), ("dom", 2)]
        for h in G.hotlines:
            for ts in arrivals(r, h["rate"]):
                a, ip, trunk = G.caller(r, mix)
                G.legit(ts, a, e164(h["nsn"]), ip, trunk, "hotline_inbound")
        for hr in (0, 1):
            h = G.hotlines[r.choice([0, 1, 2, 5, 6])]
            t0 = T0 + hr * HOUR + r.randint(5, 50) * MIN
            n = r.randint(150, 450)
            dur = r.uniform(180, 480)
            for _ in range(n):
                ts = t0 + int(1000 * dur * r.betavariate(1.3, 3.0))
                a, ip, trunk = G.caller(r, mix)
                G.legit(ts, a, e164(h["nsn"]), ip, trunk, "hotline_inbound")
        # 13. conference bridges
        r = G.R("bridge")
        pmix = [("pbx", 40), ("onm", 25), ("ic", 20), ("igw", 10), ("onf", 5)]
        for br in G.bridges:
            for hr in (0, 1):
                slots = [wchoice(r, [(0, 40), (30, 35), (15, 12), (45, 13)])
                         for _ in range(br["meetings"])]
                for s in slots:
                    st = T0 + hr * HOUR + s * MIN
                    n = max(2, int(loguni(r, 3, br["size"] * 2)))
                    for _ in range(n):
                        off = r.gauss(40, 80)
                        off = min(600, max(-180, off))
                        a, ip, trunk = G.caller(r, pmix)
                        G.legit(st + int(off * 1000), a, e164(br["nsn"]), ip, trunk,
                                "conference_bridge")
        # 14. media phone-ins: radio game line, TV vote line
        r = G.R("media")
        mmix = [("onm", 50), ("ic", 40), ("onf", 6), ("tr", 4)]
        for hr in (0, 1):
            # radio game: lines open, callers redial while busy
            t0 = T0 + hr * HOUR + r.randint(10, 50) * MIN
            for _ in range(r.randint(120, 320)):
                a, ip, trunk = G.caller(r, mmix)
                ts = t0 + int(1000 * r.expovariate(1 / 25.0))
                while True:
                    G.legit(ts, a, e164(G.radio_nsn), ip, trunk, "media_phone_in")
                    if r.random() > 0.35:
                        break
                    ts += int(1000 * r.uniform(4, 30))
            # TV vote (bigger in the second hour, prime time)
            t0 = T0 + hr * HOUR + r.randint(20, 45) * MIN
            n = r.randint(250, 500) if hr == 0 else r.randint(900, 1600)
            win = r.uniform(240, 600)
            for _ in range(n):
                a, ip, trunk = G.caller(r, mmix)
                G.legit(t0 + int(1000 * win * r.betavariate(1.2, 2.2)), a, e164(G.tv_nsn),
                        ip, trunk, "media_phone_in")
        # 15. international inbound with foreign CLIs
        r = G.R("intl")
        for ts in arrivals(r, 3500):
            trunk, ip = pick_igw(r)
            G.legit(ts, G.fpools[wchoice(r, INTL_MIX)].sample(r), e164(G.home.sample(r)),
                    ip, trunk, "intl_inbound")
        # 16. French subscribers roaming abroad calling home (home CLI on IGW)
        r = G.R("roam")
        for ts in arrivals(r, 620):
            trunk, ip = pick_igw(r)
            a = G.onm.sample(r) if r.random() < 0.35 else fr_fill(r, r.choice("67"))
            if a[0] not in "67":
                a = fr_mobile(r)
            b = G.home.sample(r)
            G.legit(ts, e164(a), e164(b), ip, trunk, "roamer_home_cli")
            if r.random() < 0.15:  # call again after a dropped call
                G.legit(ts + int(1000 * r.uniform(20, 300)), e164(a), e164(b), ip, trunk,
                        "roamer_home_cli")
        # 17. offshore contact centres of French brands (French CLIs, via IGW)
        r = G.R("offshore")
        for c in G.offshore:
            typ = "offshore_centre_listed" if c["listed"] else "offshore_centre_unlisted"
            trunk, ip = pick_igw(r)
            for ts in arrivals(r, c["agents"] * c["cpm"] * 60, flat):
                G.legit(ts, e164(r.choice(c["clis"])), e164(G.home.sample(r)), ip, trunk, typ)
        # 18. forwarded calls: original caller's CLI, forwarding network's ingress
        r = G.R("fwd")
        for ts in arrivals(r, 700):
            k = r.random()
            if k < 0.5:
                name, ip, fmt = pick_trunk(r, IC_TRUNKS[:5] + TRANSIT_TRUNKS)
                trunk = name
            elif k < 0.75:
                p = wchoice(r, G.pbx_weights)
                ip, trunk = p["ip"], p["trunk"]
            else:
                trunk, ip, _ = pick_trunk(r, IMS_TRUNKS)
            o = r.random()
            if o < 0.22:
                a = G.fpools[wchoice(r, INTL_MIX)].sample(r)
            elif o < 0.6:
                a = e164(G.natc.sample(r))
            else:
                a = e164(G.onm.sample(r))
            G.legit(ts, a, e164(G.home.sample(r)), ip, trunk, "forwarded_call")
        # 19. French overseas departments (own country codes) via national carriers
        r = G.R("dom")
        for ts in arrivals(r, 420):
            a, ip, trunk = G.caller(r, [("dom", 1)])
            G.legit(ts, a, e164(G.home.sample(r)), ip, trunk, "overseas_dom")
        # 20. heavy users: taxis, tradesmen, sales reps, small firms with a few lines
        r = G.R("heavy")
        for hr in (0, 1):
            for _ in range(26):
                st = T0 + hr * HOUR + r.randint(-20 * 60, 55 * 60) * 1000
                dur = r.uniform(10, 60) * 60
                cpm = loguni(r, 0.3, 2.5)
                lines = 1 if r.random() < 0.8 else r.randint(2, 5)
                via = "onm" if r.random() < 0.6 else "ic"
                if via == "onm":
                    trunk, ip, _ = pick_trunk(r, IMS_TRUNKS)
                    clis = [G.onm.get(r.randint(0, 2999)) for _ in range(lines)]
                else:
                    trunk, ip, fmt = pick_trunk(r, IC_TRUNKS[:5])
                    clis = [fr_mobile(r) for _ in range(lines)]
                recent = []
                for cli in clis:
                    t = st + r.uniform(0, 60) * 1000
                    mean_gap = 60.0 / cpm
                    while t < st + dur * 1000:
                        b = r.choice(recent) if recent and r.random() < 0.2 else G.nat_b(r)
                        recent.append(b)
                        G.legit(int(t), e164(cli), b, ip, trunk, "heavy_user")
                        t += 1000 * max(12.0, r.gammavariate(2.0, mean_gap / 2.0))
        # 21. public alert automaton (commune flood alert, utility outage notice)
        r = G.R("alert")
        for hr in (0, 1):
            clis = [fr_geo(r) if r.random() < 0.6 else fr_voip(r) for _ in range(r.randint(1, 3))]
            trunk = "" if r.random() < 0.5 else "SIPC-ALERTE-%d" % (hr + 1)
            ip = G.ip.public()
            st = T0 + hr * HOUR + r.randint(3, 40) * MIN
            n = r.randint(350, 900)
            dur = r.uniform(8, 20) * 60
            for j in range(n):
                G.legit(st + int(1000 * dur * j / n + r.uniform(0, 400)), e164(r.choice(clis)),
                        e164(G.home.sample(r)), ip, trunk, "public_alert_automaton")

    # ------------------------------------------------------------- attacks
    def fresh(self, r, maker):
        while True:
            a = maker(r)
            k = a if a.startswith("+") else e164(a)
            if k not in self.legit_a and k not in self.used_attack:
                self.used_attack.add(k)
                return a

    def new_inst(self, fam):
        self.inst_counter[fam] += 1
        return "%s-%04d" % (fam.replace("_", "")[:6], self.inst_counter[fam])

    def attack(self, ts, a, b, ip, trunk, fam, inst, inten, variant):
        self.emit(ts, a, b, ip, trunk, ("attack", fam, inst, "%.6g" % inten, variant))

    def domestic_ingress(self, r, kind):
        """(ip, trunk, fmt) for an ingress kind used by masking attacks."""
        if kind == "national_interconnect":
            name, ip, fmt = pick_trunk(r, IC_TRUNKS)
            return ip, name, fmt
        if kind == "national_transit":
            name, ip, fmt = pick_trunk(r, TRANSIT_TRUNKS)
            return ip, name, fmt
        if kind == "enterprise_sip_trunk":
            return self.ip.public(), "SIPC-%05d" % r.randint(10000, 99999), "e164"
        if kind == "bare_sip_peer":
            return self.ip.public(), "", "e164"
        if kind == "pbx_trunk":   # a compromised existing customer PBX
            p = r.choice([p for p in self.pbx if p["trunk"]])
            return p["ip"], p["trunk"], "e164"
        if kind == "igw_trunk":
            t, ip = pick_igw(r, bare=False)
            return ip, t, "e164"
        if kind == "igw_bare_peer":
            t, ip = pick_igw(r, bare=True)
            return ip, t, "e164"
        raise ValueError(kind)

    def home_cli(self, r, kind):
        if kind == "mobile":
            return self.fresh(r, fr_mobile)
        if kind == "geo":
            return self.fresh(r, fr_geo)
        if kind == "voip09":
            return self.fresh(r, fr_voip)
        raise ValueError(kind)

    def fmt(self, nsn, fmt):
        return natfmt(nsn) if fmt == "national" else e164(nsn)

    def start_in(self, r, hr, span_ms):
        st = T0 + hr * HOUR + r.randrange(0, HOUR)
        if st + span_ms >= T_END:
            st = T_END - span_ms - 1000
        return max(st, T0 + hr * HOUR)

    def gen_attacks(self):
        self.used_attack = set()
        counts = {"masking_burst": 26, "refiled_masking": 26, "simbox": 18,
                  "cli_rotation": 24, "intl_local_cli": 23, "invalid_cli": 23}
        for fam, base in counts.items():
            r = self.R("atk-" + fam)
            for hr in (0, 1):
                for _ in range(base + r.randint(-2, 2)):
                    getattr(self, "atk_" + fam)(r, hr)

    def atk_masking_burst(self, r, hr):
        I = loguni(r, 0.02, 40.0)                  # calls per second into the callee
        n = int(round(loguni(r, 3, 40)))
        n = max(3, min(n, 1 + int(900 * I)))
        spread_ms = max(n - 1, int(round(1000 * (n - 1) / I)))
        st = self.start_in(r, hr, spread_ms)
        kind = wchoice(r, [("national_interconnect", 45), ("national_transit", 20),
                           ("enterprise_sip_trunk", 15), ("bare_sip_peer", 12),
                           ("pbx_trunk", 8)])
        clik = wchoice(r, [("mobile", 70), ("geo", 20), ("voip09", 10)])
        callee = e164(self.home.sample(r)) if r.random() < 0.8 else e164(fr_mobile(r))
        # via carriers the spoofed calls may be spread over several upstream trunks
        same_src = kind not in ("national_interconnect", "national_transit") or r.random() < 0.6
        src = self.domestic_ingress(r, kind)
        ts = [st] + sorted(st + r.randint(0, spread_ms) for _ in range(n - 2)) + [st + spread_ms]
        inten = (n - 1) / ((ts[-1] - ts[0]) / 1000.0)
        inst = self.new_inst("masking_burst")
        var = "%s;cli=%s_fresh;n=%d;src=%s" % (kind, clik, n, "single" if same_src else "spread")
        for t in ts:
            ip, trunk, f = src if same_src else self.domestic_ingress(r, kind)
            self.attack(t, self.fmt(self.home_cli(r, clik), f), callee, ip, trunk,
                        "masking_burst", inst, inten, var)

    def atk_refiled_masking(self, r, hr):
        I = loguni(r, 0.2, 200.0)                   # fresh CLIs per minute
        shape = wchoice(r, [("issue", 65), ("quiet", 15), ("loud", 20)])
        n = {"issue": r.randint(3, 6), "quiet": 3, "loud": r.randint(7, 12)}[shape]
        spread_ms = max(n, int(round(60000.0 * n / I)))
        st = self.start_in(r, hr, spread_ms)
        kind = "national_transit" if r.random() < 0.6 else "national_interconnect"
        ip, trunk, f = self.domestic_ingress(r, kind)
        eea = r.random() < 0.15
        callee = e164(self.home.sample(r))
        ts = [st] + sorted(st + r.randint(0, spread_ms) for _ in range(n - 2)) + [st + spread_ms]
        inten = n * 60.0 / ((ts[-1] - ts[0]) / 1000.0)
        inst = self.new_inst("refiled_masking")
        var = "%s;cli=%s;n=%d;shape=%s" % (kind, "eea_mobile_fresh" if eea else "home_fresh",
                                          n, shape)
        for t in ts:
            if eea:
                a = self.fresh(r, lambda rr: foreign(rr, rr.choice(EEA)))
            else:
                a = self.fmt(self.home_cli(r, "mobile" if r.random() < 0.7 else "geo"), f)
            self.attack(t, a, callee, ip, trunk, "refiled_masking", inst, inten, var)

    def atk_simbox(self, r, hr):
        rate = loguni(r, 0.1, 20.0)                 # calls per minute per SIM
        sims = max(1, int(round(loguni(r, 1, 12))))
        dur = r.uniform(10, 75)
        while rate * sims * dur > 250 and dur > 10:
            dur *= 0.85
        while rate * sims * dur > 250 and sims > 1:
            sims -= 1
        st = T0 + hr * HOUR + r.randrange(0, HOUR - 3 * MIN)
        end = min(T_END, st + int(dur * MIN))
        kind = "onnet_mobile_core" if r.random() < 0.65 else "national_interconnect"
        if kind == "onnet_mobile_core":
            trunk, ip, f = pick_trunk(r, IMS_TRUNKS)
        else:
            trunk, ip, f = pick_trunk(r, IC_TRUNKS[:5])
        pacing = "gamma" if r.random() < 0.7 else "bursty_human"
        mean_gap = 60.0 / rate
        min_gap = min(8.0, 0.5 * mean_gap)
        calls = []
        for s in range(sims):
            cli = e164(self.home_cli(r, "mobile"))
            t = st + r.uniform(0, min(mean_gap, 120)) * 1000
            while t < end:
                calls.append((int(t), cli))
                if pacing == "gamma":
                    g = r.gammavariate(3.0, mean_gap / 3.0)
                else:
                    g = r.expovariate(1 / mean_gap) * (3.0 if r.random() < 0.1 else 0.8)
                t += 1000 * max(min_gap, g)
        if not calls:
            calls.append((st, e164(self.home_cli(r, "mobile"))))
        eff_min = max(1.0, (end - st) / MIN)
        inten = len(calls) / (sims * eff_min)
        inst = self.new_inst("simbox")
        var = "%s;sims=%d;dur_min=%d;pacing=%s" % (kind, sims, round(eff_min), pacing)
        used_b = set()
        for t, cli in calls:
            while True:
                b = e164(self.home.sample(r)) if r.random() < 0.7 else e164(fr_any(r))
                if b not in used_b or r.random() < 0.05:
                    break
            used_b.add(b)
            self.attack(t, cli, b, ip, trunk, "simbox", inst, inten, var)

    def atk_cli_rotation(self, r, hr):
        lam = loguni(r, 0.01, 10.0)                 # new CLIs per second
        dur = loguni(r, 60, 480)
        n_new = max(4, int(round(lam * dur)))
        if n_new > 200:
            n_new = 200
        span_ms = int(1000 * (n_new - 1) / lam)
        st = self.start_in(r, hr, span_ms + 30000)
        kind = wchoice(r, [("enterprise_sip_trunk", 40), ("pbx_trunk", 20),
                           ("bare_sip_peer", 30), ("shared_customer_trunk", 10)])
        if kind == "shared_customer_trunk":
            # an existing wholesale customer that also carries legal campaigns
            c = r.choice([c for c in self.centres if c["trunk"]])
            ip, trunk = c["ip"], c["trunk"]
        else:
            ip, trunk, _ = self.domestic_ingress(r, kind)
        style = wchoice(r, [("random_mobile", 40), ("random_geo", 15), ("random_voip09", 15),
                            ("sequential_block", 15), ("neighbour", 15)])
        pacing = "poisson" if r.random() < 0.6 else "regular"
        times = [0.0]
        for _ in range(n_new - 1):
            g = r.expovariate(lam) if pacing == "poisson" else (1.0 / lam) * r.uniform(0.8, 1.2)
            times.append(times[-1] + g)
        scale = (span_ms / 1000.0) / times[-1] if times[-1] > 0 else 1.0
        times = [st + int(1000 * x * scale) for x in times]
        if times[-1] == times[0]:
            times[-1] += 1
        inten = (n_new - 1) / ((times[-1] - times[0]) / 1000.0)
        inst = self.new_inst("cli_rotation")
        var = "%s;cli=%s;pacing=%s;new=%d" % (kind, style, pacing, n_new)
        block = fr_geo(r)[:5]
        used = []
        for i, t in enumerate(times):
            b = e164(self.home.sample(r))
            if style == "random_mobile":
                a = self.home_cli(r, "mobile")
            elif style == "random_geo":
                a = self.home_cli(r, "geo")
            elif style == "random_voip09":
                a = self.home_cli(r, "voip09")
            elif style == "sequential_block":
                a = self.fresh(r, lambda rr, i=i: block + "%04d" % ((i + rr.randint(0, 2)) % 10000))
            else:  # neighbour spoofing: CLI shares the callee's first digits
                pre = b[3:8]
                a = self.fresh(r, lambda rr, pre=pre: fr_fill(rr, pre))
            used.append(a)
            self.attack(t, e164(a), b, ip, trunk, "cli_rotation", inst, inten, var)
            if r.random() < 0.18:   # occasional reuse of an already shown CLI
                self.attack(t + r.randint(200, 30000), e164(r.choice(used)),
                            e164(self.home.sample(r)), ip, trunk, "cli_rotation", inst,
                            inten, var)

    def atk_intl_local_cli(self, r, hr):
        n = max(1, int(round(loguni(r, 1, 200))))   # calls in the instance
        dur_ms = int(1000 * loguni(r, 20, 2400)) if n > 1 else 0
        st = self.start_in(r, hr, dur_ms)
        kind = "igw_trunk" if r.random() < 0.75 else "igw_bare_peer"
        ip, trunk, _ = self.domestic_ingress(r, kind)
        style = wchoice(r, [("random_mobile", 55), ("random_geo", 15), ("random_voip09", 10),
                            ("fixed_spoof", 15), ("neighbour", 5)])
        fixed = self.home_cli(r, "geo" if r.random() < 0.6 else "voip09")
        inst = self.new_inst("intl_local_cli")
        var = "%s;cli=%s;n=%d" % (kind, style, n)
        ts = sorted([st] + [st + r.randint(0, dur_ms) for _ in range(n - 1)])
        for t in ts:
            b = e164(self.home.sample(r))
            if style == "random_mobile":
                a = self.home_cli(r, "mobile")
            elif style == "random_geo":
                a = self.home_cli(r, "geo")
            elif style == "random_voip09":
                a = self.home_cli(r, "voip09")
            elif style == "fixed_spoof":
                a = fixed
            else:
                pre = b[3:8]
                a = self.fresh(r, lambda rr, pre=pre: fr_fill(rr, pre))
            self.attack(t, e164(a), b, ip, trunk, "intl_local_cli", inst, n, var)

    def invalid_number(self, r, shape):
        if shape == "nsn_trunk_prefix":          # 9-digit NSN starting with 0
            return "+330" + r.choice("123456789") + digits(r, 7)
        if shape == "unassigned_range":
            p = r.choice(sorted(FR_INVALID_2) + sorted(FR_INVALID_3))
            return "+33" + p + digits(r, 9 - len(p))
        if shape == "short_nsn":
            return "+33" + r.choice("1234567896") + digits(r, 7)
        if shape == "long_nsn":
            return "+33" + r.choice("12345679") + digits(r, 9)
        if shape == "national_unassigned":
            return "0" + r.choice(sorted(FR_INVALID_2)) + digits(r, 7)
        raise ValueError(shape)

    def atk_invalid_cli(self, r, hr):
        n = max(1, int(round(loguni(r, 1, 200))))
        dur_ms = int(1000 * loguni(r, 20, 2400)) if n > 1 else 0
        st = self.start_in(r, hr, dur_ms)
        kind = wchoice(r, [("national_interconnect", 25), ("national_transit", 20),
                           ("igw_trunk", 15), ("igw_bare_peer", 5),
                           ("enterprise_sip_trunk", 15), ("bare_sip_peer", 15),
                           ("pbx_trunk", 5)])
        while True:
            ip, trunk, f = self.domestic_ingress(r, kind)
            if f == "e164":
                break
        shape = wchoice(r, [("nsn_trunk_prefix", 35), ("unassigned_range", 35),
                            ("short_nsn", 10), ("long_nsn", 10), ("national_unassigned", 10)])
        mode = "fixed" if r.random() < 0.35 else "random"
        fixed = self.invalid_number(r, shape)
        inst = self.new_inst("invalid_cli")
        var = "%s;shape=%s;cli=%s;n=%d" % (kind, shape, mode, n)
        ts = sorted([st] + [st + r.randint(0, dur_ms) for _ in range(n - 1)])
        for t in ts:
            a = fixed if mode == "fixed" else self.invalid_number(r, shape)
            self.attack(t, a, e164(self.home.sample(r)), ip, trunk, "invalid_cli", inst, n, var)

    # ------------------------------------------------------------- output
    def finish(self):
        self.rows.sort(key=lambda x: (x[0], x[1]))
        r = self.R("ids")
        seen = set()
        out = []
        for row in self.rows:
            while True:
                cid = "%016x@hx-sbc" % r.getrandbits(64)
                if cid not in seen:
                    seen.add(cid)
                    break
            out.append((cid,) + row)
        return out


def toml_list(xs):
    return "[" + ", ".join('"%s"' % x for x in xs) + "]"


def write_config(path, a_list, b_list):
    with open(path, "w", newline="\n") as fh:
        fh.write("[numbering]\ncountry_code = \"33\"\n\n")
        fh.write("[rules.intl_ingress_local_cli]\n")
        fh.write("trunks = %s\n" % toml_list(IGW_TRUNK_NAMES))
        fh.write("sources = %s\n\n" % toml_list(IGW_SOURCES))
        fh.write("[lists]\n")
        fh.write("allow_b_numbers = %s\n" % toml_list(b_list))
        fh.write("allow_a_numbers = %s\n" % toml_list(a_list))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--labels", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--bare-config")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)

    g = Gen(args.seed)
    g.gen_legit()
    g.gen_attacks()
    rows = g.finish()
    with open(args.out, "w", newline="") as fc, open(args.labels, "w", newline="") as fl:
        wc = csv.writer(fc, lineterminator="\n")
        wl = csv.writer(fl, lineterminator="\n")
        wc.writerow(["call_id", "a_number", "b_number", "timestamp_ms", "source_ip", "trunk"])
        wl.writerow(["call_id", "class", "type", "instance", "intensity", "variant"])
        for cid, ts, _, a, b, ip, trunk, lab in rows:
            wc.writerow([cid, a, b, ts, ip, trunk])
            wl.writerow([cid] + list(lab))
    a_list, b_list = g.allow_lists()
    write_config(args.config, a_list, b_list)
    if args.bare_config:
        write_config(args.bare_config, [], [])
    if not args.quiet:
        per = defaultdict(Counter)
        inst = defaultdict(set)
        for cid, ts, _, a, b, ip, trunk, lab in rows:
            h = (ts - T0) // HOUR
            per[lab[1]][h] += 1
            if lab[0] == "attack":
                inst[lab[1]].add(lab[2])
        sys.stderr.write("rows=%d\n" % len(rows))
        for k in sorted(per):
            sys.stderr.write("  %-28s h0=%6d h1=%6d%s\n" % (
                k, per[k][0], per[k][1],
                ("  instances=%d" % len(inst[k])) if k in inst else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
