# SPDX-License-Identifier: MIT OR Apache-2.0
"""Independent labelled synthetic CDR generator (gen11, Nigeria, +234).

Models the session border controller (SBC) of a fictional Nigerian mobile
network operator ("HomeMNO", ranges 0804, 0709, 0719) that also sells SIP
trunks, DDI blocks, 0700 and 0800 numbers to enterprises.  It interconnects
with MTN, Airtel, Glo and 9mobile, with two national transit (ICL) carriers,
and with international carriers on its international gateway (IGW).

Every INVITE seen by the SBC over two consecutive hours becomes one row of
cdrs.csv; labels.csv says whether it is legitimate traffic (and of which
class) or part of a call-masking attack instance.  All numbers are logged in
E.164 with a leading '+', as the SBC normalises them at ingress.  Standard
library only; one seed always gives the same bytes.

Usage:
  python3 indep_gen11.py --seed S --out cdrs.csv --labels labels.csv \
      --config deploy.toml --bare-config bare.toml [--quiet]
"""

import argparse
import bisect
import datetime
import math
import random
import sys

# --------------------------------------------------------------------------
# Network model
# --------------------------------------------------------------------------

CC = "+234"
# Start: 2025-03-12 09:00 WAT (UTC+1) = 08:00 UTC.
T0_MS = int(datetime.datetime(2025, 3, 12, 8, 0, 0,
                              tzinfo=datetime.timezone.utc).timestamp() * 1000)
HOUR = 3600 * 1000
SPAN = 2 * HOUR

# Mobile prefixes (NSN leading digits, NCC allocations as publicly listed).
MNO_PREFIXES = {
    "MTN": ["803", "806", "703", "706", "813", "816", "810", "814", "903",
            "906", "913", "916", "704", "7025", "7026"],
    "AIRTEL": ["802", "808", "708", "701", "812", "902", "901", "904", "907",
               "912"],
    "GLO": ["805", "807", "705", "815", "811", "905", "915"],
    "9MOBILE": ["809", "818", "817", "909", "908"],
    "HOME": ["804", "709", "719"],
}
MNO_SHARE = [("MTN", 0.52), ("AIRTEL", 0.32), ("GLO", 0.13), ("9MOBILE", 0.03)]
# Fixed lines after the NCC 020 migration: 020 + old area code.
# NSN = "20" + old area code + subscriber digits, 10 digits in all:
# Lagos 0201, Abuja 0209, Ibadan 0202, Port Harcourt 02084, Kano 02064,
# Enugu 02042, Benin City 02052, Onitsha 02046.
FIXED_AREAS = ["201", "201", "201", "209", "209", "202", "2084", "2064",
               "2042", "2052", "2046"]

# Foreign CLI stems (E.164 prefix, digits to append).
FOREIGN = [
    ("UK", 0.24, [("+4475", 8)]),
    ("US", 0.18, [("+1212", 7), ("+1646", 7), ("+1713", 7), ("+1832", 7),
                  ("+1404", 7), ("+1202", 7)]),
    ("CA", 0.05, [("+1416", 7), ("+1647", 7)]),
    ("GH", 0.09, [("+23324", 7), ("+23354", 7), ("+23320", 7), ("+23355", 7)]),
    ("ZA", 0.05, [("+2782", 7), ("+2783", 7), ("+2772", 7)]),
    ("AE", 0.07, [("+97150", 7), ("+97155", 7)]),
    ("CN", 0.06, [("+86138", 8), ("+86139", 8)]),
    ("IN", 0.04, [("+91987", 7)]),
    ("DE", 0.04, [("+49151", 8), ("+49170", 8), ("+49160", 7)]),
    ("IT", 0.04, [("+39347", 7), ("+39333", 7)]),
    ("CM", 0.05, [("+23767", 7)]),
    ("IE", 0.04, [("+35387", 7)]),
    ("FR", 0.05, [("+3361", 7), ("+3367", 7)]),
]

ICX = {  # national interconnect trunks: name -> peer IPs
    "ICX-MTN-LOS1": ["10.31.0.10", "10.31.0.11", "10.31.0.12"],
    "ICX-MTN-ABJ1": ["10.31.8.10", "10.31.8.11"],
    "ICX-AIRTEL-LOS1": ["10.32.0.20", "10.32.0.21"],
    "ICX-AIRTEL-ABJ1": ["10.32.8.20"],
    "ICX-GLO-LOS1": ["10.33.0.30", "10.33.0.31"],
    "ICX-9MOB-LOS1": ["10.34.0.40"],
}
ICX_BY_MNO = {
    "MTN": [("ICX-MTN-LOS1", 0.7), ("ICX-MTN-ABJ1", 0.3)],
    "AIRTEL": [("ICX-AIRTEL-LOS1", 0.75), ("ICX-AIRTEL-ABJ1", 0.25)],
    "GLO": [("ICX-GLO-LOS1", 1.0)],
    "9MOBILE": [("ICX-9MOB-LOS1", 1.0)],
}
TRANSIT = {"TRN-ICL1-LOS": ["172.20.10.5", "172.20.10.6"],
           "TRN-ICL2-ABJ": ["172.20.20.5"]}
CORE = {"IMS-CORE-LOS": ["10.0.0.21", "10.0.0.22"], "MSS-ABJ1": ["10.0.1.21"]}
# International gateway carriers: trunk, IPs, CIDR, listed in deploy.toml?
IGW = [
    ("IGW-BICS-BRU1", ["198.51.100.10", "198.51.100.11", "198.51.100.12"],
     "198.51.100.0/27", True),
    ("IGW-TATA-MRS1", ["203.0.113.40", "203.0.113.41"], "203.0.113.32/27",
     True),
    ("IGW-ORANGE-PAR1", ["192.0.2.70", "192.0.2.71"], "192.0.2.64/27", True),
    # A newer West-African hubbing carrier the operator forgot to list.
    ("IGW-WAFR-ACC1", ["192.0.2.200"], "192.0.2.192/28", False),
]
IGW_WEIGHTS = [0.36, 0.26, 0.22, 0.06]
IGW_EMPTY_TRUNK_SHARE = 0.10   # listed CIDR, trunk not tagged by the SBC


def igw_route(rng, allow_unlisted=True):
    """Pick (ip, trunk, tag) on the international gateway."""
    u = rng.random()
    if u < IGW_EMPTY_TRUNK_SHARE:
        t = IGW[rng.randrange(3)]
        return rng.choice(t[1]), "", "igw_untagged"
    while True:
        t = IGW[wchoice(rng, [0, 1, 2, 3], IGW_WEIGHTS)]
        if t[3] or allow_unlisted:
            break
    return rng.choice(t[1]), t[0], ("igw_listed" if t[3] else "igw_unlisted")


def wchoice(rng, items, weights):
    tot = 0.0
    cum = []
    for w in weights:
        tot += w
        cum.append(tot)
    return items[bisect.bisect_left(cum, rng.random() * tot)]


def loguni(rng, lo, hi):
    return math.exp(rng.uniform(math.log(lo), math.log(hi)))


def digits(rng, n):
    return str(rng.randrange(10 ** n)).zfill(n)


def ng_mobile(rng, net):
    p = rng.choice(MNO_PREFIXES[net])
    return CC + p + digits(rng, 10 - len(p))


def ng_fixed(rng, area=None):
    a = area or rng.choice(FIXED_AREAS)
    return CC + a + str(rng.randint(2, 9)) + digits(rng, 9 - len(a))


def foreign_number(rng, country=None):
    if country is None:
        c = wchoice(rng, FOREIGN, [f[1] for f in FOREIGN])
    else:
        c = [f for f in FOREIGN if f[0] == country][0]
    stem, n = rng.choice(c[2])
    if stem.startswith("+1"):
        return stem + str(rng.randint(2, 9)) + digits(rng, n - 1)
    return stem + digits(rng, n)


class Pool:
    """Subscriber pool with skewed activity (a few numbers call a lot)."""

    def __init__(self, rng, make, size, skew=1.6):
        self.nums = [make() for _ in range(size)]
        self.rng = rng
        self.skew = skew

    def pick(self):
        i = int(len(self.nums) * (self.rng.random() ** self.skew))
        return self.nums[min(i, len(self.nums) - 1)]


# --------------------------------------------------------------------------
# Generator
# --------------------------------------------------------------------------

class Gen:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.seed = seed
        self.rows = []
        self.inst_no = 0
        rng = self.rng
        self.pools = {}
        sizes = {"MTN": 40000, "AIRTEL": 26000, "GLO": 11000, "9MOBILE": 3000,
                 "HOME": 45000}
        for net, n in sizes.items():
            self.pools[net] = Pool(rng, lambda net=net: ng_mobile(rng, net), n)
        self.fixed_pool = Pool(rng, lambda: ng_fixed(rng), 4000)
        self.foreign_pool = Pool(rng, lambda: foreign_number(rng), 9000, 1.3)
        self.harvested = []  # CLIs seen in legit traffic (for attackers)
        self._build_customers()

    # ---- helpers ------------------------------------------------------
    def add(self, ts, a, b, ip, trunk, cls="legit", typ="", inst="",
            inten="", var=""):
        if 0 <= ts < SPAN:
            self.rows.append((ts, len(self.rows), a, b, ip, trunk, cls, typ,
                              inst, inten, var))
            return True
        return False

    def any_ng_mobile(self):
        return self.pools[wchoice(self.rng, [m[0] for m in MNO_SHARE] +
                                  ["HOME"], [0.40, 0.25, 0.10, 0.025,
                                             0.225])].pick()

    def home_callee(self):
        r = self.rng.random()
        if r < 0.93:
            return self.pools["HOME"].pick()
        if r < 0.97:  # enterprise DDI
            e = self.rng.choice(self.pbxs)
            return self.rng.choice(e["ddis"])
        return ng_fixed(self.rng, self.rng.choice(["201", "209"]))

    def icx_route(self, net=None):
        rng = self.rng
        if net is None:
            net = wchoice(rng, [m[0] for m in MNO_SHARE],
                          [m[1] for m in MNO_SHARE])
        t = wchoice(rng, [x[0] for x in ICX_BY_MNO[net]],
                    [x[1] for x in ICX_BY_MNO[net]])
        return net, rng.choice(ICX[t]), t

    def transit_route(self):
        t = wchoice(self.rng, list(TRANSIT), [0.65, 0.35])
        return self.rng.choice(TRANSIT[t]), t

    def core_route(self):
        t = wchoice(self.rng, list(CORE), [0.7, 0.3])
        return self.rng.choice(CORE[t]), t

    def diurnal(self, ms):
        # morning ramp 09:00-11:00 WAT plus small half-hour ripple
        x = ms / SPAN
        return 0.88 + 0.24 * x + 0.04 * math.sin(2 * math.pi * ms / (HOUR / 2))

    def arrivals(self, per_hour, t0=0, t1=SPAN, shape=True):
        """Poisson-ish arrival times (ms), per-minute buckets."""
        rng = self.rng
        out = []
        m = t0
        while m < t1:
            e = min(60000, t1 - m)
            mu = per_hour * e / HOUR * (self.diurnal(m) if shape else 1.0)
            if mu > 30:
                n = max(0, int(round(rng.gauss(mu, math.sqrt(mu)))))
            else:
                n = 0
                L = math.exp(-mu)
                p = rng.random()
                while p > L:
                    n += 1
                    p *= rng.random()
            for _ in range(n):
                out.append(m + rng.randrange(e))
            m += 60000
        out.sort()
        return out

    def new_instance(self):
        self.inst_no += 1
        return "g11-%d-%04d" % (self.seed, self.inst_no)

    # ---- customers -----------------------------------------------------
    def _build_customers(self):
        rng = self.rng
        # Hotlines: (number, kind, listed)
        self.hotlines = []
        for i in range(4):
            self.hotlines.append((CC + "700" + digits(rng, 7), "bank_uan",
                                  i < 3))
        for i in range(3):
            self.hotlines.append((CC + "800" + digits(rng, 7), "tollfree",
                                  i < 2))
        for i in range(2):
            self.hotlines.append((ng_fixed(rng, "201"), "care_fixed", i < 1))
        # radio / TV call-in lines: usually mobile numbers on our network
        self.radio = []
        for i in range(5):
            self.radio.append((ng_mobile(rng, "HOME"), "radio_tv", i < 3))
        self.bridges = []
        for i in range(3):
            self.bridges.append((ng_fixed(rng, "201"), "bridge_fixed", i < 2))
        self.bridges.append((CC + "700" + digits(rng, 7), "bridge_uan", True))
        self.bridges.append((CC + "800" + digits(rng, 7), "bridge_tollfree",
                             False))
        self.bridges.append((ng_fixed(rng, "209"), "bridge_fixed", True))
        # Enterprise SIP trunks (public IPs of customers)
        ipn = [0]

        def ent_ip():
            ipn[0] += 1
            return "41.203.%d.%d" % (64 + ipn[0] // 200, 10 + ipn[0] % 200)
        # Call centres: CLI(s), rate/h, trunk, ip, listed
        names = ["BANKA", "BANKB", "LOANAPP1", "LOANAPP2", "INSUR", "TELCOSL",
                 "FINTECH", "BETCO", "DELIVR"]
        self.call_centres = []
        for i, nm in enumerate(names):
            pool = 1 if i not in (3, 6) else rng.randint(5, 12)
            if i % 3 == 0:
                clis = [CC + "700" + digits(rng, 7) for _ in range(pool)]
            elif i % 3 == 1:
                clis = [ng_fixed(rng, "201") for _ in range(pool)]
            else:
                clis = [ng_mobile(rng, "HOME") for _ in range(pool)]
            self.call_centres.append({
                "name": nm, "clis": clis, "rate": loguni(rng, 150, 700),
                "trunk": ("ENT-%s" % nm) if i != 4 else "", "ip": ent_ip(),
                "listed": i in (0, 1, 2, 5, 7)})
        # PBXs with DDI blocks
        self.pbxs = []
        for i in range(7):
            area = "201" if i < 5 else "209"
            size = rng.choice([100, 100, 200, 500, 1000])
            base = int(str(rng.randint(2, 9)) + digits(rng, 6))
            base -= base % size
            ddis = [CC + area + str(base + k).zfill(7) for k in range(size)]
            self.pbxs.append({"name": "PBX%d" % (i + 1), "ddis": ddis,
                              "rate": loguni(rng, 80, 500),
                              "trunk": "ENT-PBX%d" % (i + 1) if i != 2 else "",
                              "ip": ent_ip()})
        # Small businesses with SIP trunks (also the hijack victims)
        self.smb = []
        for i in range(14):
            n_cli = rng.choice([1, 1, 2, 4])
            area = rng.choice(FIXED_AREAS)
            w = 10 - len(area)
            base = int(str(rng.randint(2, 9)) + digits(rng, w - 1))
            base -= base % 10
            clis = [CC + area + str(base + k).zfill(w) for k in range(n_cli)]
            self.smb.append({"name": "SMB%02d" % (i + 1), "clis": clis,
                             "rate": loguni(rng, 8, 50),
                             "trunk": "ENT-SMB%02d" % (i + 1) if i % 4 else "",
                             "ip": ent_ip()})

    # ---- legitimate traffic ---------------------------------------------
    def legit(self):
        rng = self.rng
        H = self.harvested
        # national interconnect (other MNOs -> our subscribers)
        for ts in self.arrivals(26500):
            net, ip, trunk = self.icx_route()
            a = self.pools[net].pick()
            b = self.home_callee()
            self.add(ts, a, b, ip, trunk, typ="national_interconnect",
                     var=net.lower())
            if len(H) < 20000 and rng.random() < 0.3:
                H.append(a)
            if rng.random() < 0.07:  # unanswered -> redial same callee
                t = ts
                for _ in range(rng.randint(1, 3)):
                    t += rng.randint(12000, 120000)
                    self.add(t, a, b, ip, trunk, typ="national_interconnect",
                             var="redial")
        # transit carriers (smaller networks, fixed operators, overflow)
        for ts in self.arrivals(3600):
            ip, trunk = self.transit_route()
            a = (self.fixed_pool.pick() if rng.random() < 0.3
                 else self.any_ng_mobile())
            self.add(ts, a, self.home_callee(), ip, trunk, typ="transit")
        # international inbound (diaspora and business)
        for ts in self.arrivals(2600):
            ip, trunk, tag = igw_route(rng)
            self.add(ts, self.foreign_pool.pick(), self.home_callee(), ip,
                     trunk, typ="international_inbound", var=tag)
        # on-net mobile calls from our own core
        for ts in self.arrivals(9200):
            ip, trunk = self.core_route()
            a = self.pools["HOME"].pick()
            b = self.home_callee()
            if b == a:
                continue
            self.add(ts, a, b, ip, trunk, typ="onnet_mobile")
            if len(H) < 24000 and rng.random() < 0.2:
                H.append(a)
        self.hotline_traffic()
        self.radio_callins()
        self.conference()
        self.callcentres()
        self.pbx_traffic()
        self.small_business()
        self.heavy_users()
        self.kiosks()
        self.roaming_forwarding()

    def ingress_mix(self):
        """Any domestic ingress with a plausible CLI for it."""
        rng = self.rng
        u = rng.random()
        if u < 0.6:
            net, ip, trunk = self.icx_route()
            return self.pools[net].pick(), ip, trunk
        if u < 0.85:
            ip, trunk = self.core_route()
            return self.pools["HOME"].pick(), ip, trunk
        if u < 0.95:
            ip, trunk = self.transit_route()
            return self.any_ng_mobile(), ip, trunk
        ip, trunk, _ = igw_route(rng, allow_unlisted=True)
        return self.foreign_pool.pick(), ip, trunk

    def hotline_traffic(self):
        rng = self.rng
        lines = self.hotlines
        w = [3 if k == "bank_uan" else 2 if k == "tollfree" else 1
             for _, k, _l in lines]
        for ts in self.arrivals(1500):
            num, kind, _ = wchoice(rng, lines, w)
            a, ip, trunk = self.ingress_mix()
            self.add(ts, a, num, ip, trunk, typ="hotline", var=kind)
        # steady trickle to radio lines between programmes
        for ts in self.arrivals(120):
            num = rng.choice(self.radio)[0]
            a, ip, trunk = self.ingress_mix()
            self.add(ts, a, num, ip, trunk, typ="radio_callin", var="trickle")

    def radio_callins(self):
        """Phone-in programmes: when lines open, a surge of distinct callers."""
        rng = self.rng
        for hour in range(2):
            for _ in range(rng.randint(2, 4)):
                num = rng.choice(self.radio)[0]
                start = hour * HOUR + rng.randrange(HOUR - 300000)
                n = int(loguni(rng, 30, 260))
                tau = rng.uniform(15000, 90000)
                for _ in range(n):
                    ts = start + int(rng.expovariate(1.0 / tau))
                    a, ip, trunk = self.ingress_mix()
                    self.add(ts, a, num, ip, trunk, typ="radio_callin",
                             var="programme_surge")
                    # busy line: some callers redial quickly
                    if rng.random() < 0.25:
                        self.add(ts + rng.randint(5000, 40000), a, num, ip,
                                 trunk, typ="radio_callin", var="redial")

    def conference(self):
        rng = self.rng
        for wave in range(0, SPAN + 1, 15 * 60000):
            big = (wave // 60000) % 30 == 0
            for _ in range(rng.randint(6, 12) if big else rng.randint(1, 4)):
                num = rng.choice(self.bridges)[0]
                n = int(loguni(rng, 3, 45))
                for _ in range(n):
                    ts = wave + int(rng.gauss(60000, 90000))
                    a, ip, trunk = self.ingress_mix()
                    self.add(ts, a, num, ip, trunk, typ="conference_bridge")

    def callcentres(self):
        rng = self.rng
        for cc in self.call_centres:
            t0 = rng.randrange(0, 20 * 60000)
            t1 = SPAN - rng.randrange(0, 20 * 60000)
            for ts in self.arrivals(cc["rate"], t0, t1):
                b = (self.any_ng_mobile() if rng.random() < 0.95
                     else self.fixed_pool.pick())
                a = cc["clis"][0] if len(cc["clis"]) == 1 else \
                    rng.choice(cc["clis"])
                self.add(ts, a, b, cc["ip"], cc["trunk"], typ="call_centre",
                         var=cc["name"].lower() +
                         ("_clipool" if len(cc["clis"]) > 1 else ""))

    def pbx_traffic(self):
        rng = self.rng
        for p in self.pbxs:
            n = len(p["ddis"])
            for ts in self.arrivals(p["rate"]):
                ext = p["ddis"][min(n - 1, int(n * rng.random() ** 1.5))]
                if rng.random() < 0.85:
                    b = self.any_ng_mobile()
                elif rng.random() < 0.5:
                    b = self.fixed_pool.pick()
                else:
                    b = self.foreign_pool.pick()
                self.add(ts, ext, b, p["ip"], p["trunk"], typ="pbx_ddi",
                         var="outbound")
            # inbound calls to the DDI block
            for ts in self.arrivals(p["rate"] * 0.6):
                a, ip, trunk = self.ingress_mix()
                self.add(ts, a, rng.choice(p["ddis"]), ip, trunk,
                         typ="pbx_ddi", var="inbound")
            # occasional callback burst: several extensions chase one client
            for _ in range(rng.randint(0, 2)):
                b = self.any_ng_mobile()
                ts = rng.randrange(SPAN)
                for _ in range(rng.randint(2, 4)):
                    ts += rng.randint(20000, 180000)
                    self.add(ts, rng.choice(p["ddis"]), b, p["ip"],
                             p["trunk"], typ="pbx_ddi", var="callback")

    def small_business(self):
        rng = self.rng
        for s in self.smb:
            for ts in self.arrivals(s["rate"]):
                b = self.any_ng_mobile()
                self.add(ts, rng.choice(s["clis"]), b, s["ip"], s["trunk"],
                         typ="small_business", var="sip_trunk")
        # busy mobile-only businesses (dispatch riders, traders)
        for _ in range(30):
            a = ng_mobile(rng, "HOME")
            contacts = [self.any_ng_mobile() for _ in range(rng.randint(5, 60))]
            for ts in self.arrivals(loguni(rng, 10, 45)):
                ip, trunk = self.core_route()
                b = rng.choice(contacts) if rng.random() < 0.5 else \
                    self.any_ng_mobile()
                self.add(ts, a, b, ip, trunk, typ="small_business",
                         var="mobile")

    def heavy_users(self):
        rng = self.rng
        for _ in range(45):
            a = self.pools["HOME"].nums[rng.randrange(200)]
            contacts = [self.any_ng_mobile() for _ in range(rng.randint(8, 40))]
            t0 = rng.randrange(0, SPAN // 2)
            t1 = rng.randrange(t0 + 20 * 60000, SPAN + 1)
            for ts in self.arrivals(loguni(rng, 8, 35), t0, t1):
                ip, trunk = self.core_route()
                self.add(ts, a, rng.choice(contacts), ip, trunk,
                         typ="heavy_user")

    def kiosks(self):
        """Roadside phone kiosks: one SIM, ~1 call/min, many callees."""
        rng = self.rng
        for k in range(rng.randint(3, 6)):
            a = ng_mobile(rng, "HOME")
            ip, trunk = self.core_route()
            ts = rng.randrange(0, 20 * 60000)
            while ts < SPAN:
                b = self.any_ng_mobile()
                self.add(ts, a, b, ip, trunk, typ="call_kiosk")
                ts += int(rng.uniform(25000, 150000))
                if rng.random() < 0.04:
                    ts += rng.randint(300000, 1200000)  # lull

    def roaming_forwarding(self):
        rng = self.rng
        # Our subscribers roaming abroad calling home: +234 CLI on the IGW.
        for ts in self.arrivals(45):
            ip, trunk, tag = igw_route(rng)
            self.add(ts, self.pools["HOME"].pick(), self.home_callee(), ip,
                     trunk, typ="outbound_roamer_home_call", var=tag)
        # Inbound roamers on our network: foreign CLI from our core.
        for ts in self.arrivals(140):
            ip, trunk = self.core_route()
            self.add(ts, self.foreign_pool.pick(), self.any_ng_mobile(), ip,
                     trunk, typ="inbound_roamer")
        # Forwarded calls: original CLI kept (often international).
        for ts in self.arrivals(420):
            net, ip, trunk = self.icx_route()
            a = (self.foreign_pool.pick() if rng.random() < 0.2
                 else self.any_ng_mobile())
            self.add(ts, a, self.pools["HOME"].pick(), ip, trunk,
                     typ="forwarded")

    # ---- attacks ---------------------------------------------------------
    def starts(self, lo_n=20, hi_n=30):
        """Per hour 20-30 (hour, fraction) pairs; see place()."""
        out = []
        for h in range(2):
            for _ in range(self.rng.randint(lo_n, hi_n)):
                out.append((h, self.rng.random()))
        return out

    @staticmethod
    def place(h, u, dur_ms):
        """Start time in hour h such that the instance ends inside the set."""
        room = HOUR - (int(dur_ms) + 5000 if h == 1 else 30000)
        return h * HOUR + int(u * max(room, 0))

    def attack_cli(self, kind, net=None, seq_state=None):
        rng = self.rng
        if kind == "invented":
            return ng_mobile(rng, net or wchoice(
                rng, ["MTN", "AIRTEL", "GLO", "9MOBILE", "HOME"],
                [4, 3, 1.5, 0.5, 1]))
        if kind == "harvested":
            return rng.choice(self.harvested)
        if kind == "foreign":
            return foreign_number(rng)
        if kind == "sequential":
            seq_state[0] += 1
            return seq_state[1] + str(seq_state[0]).zfill(seq_state[2])
        raise ValueError(kind)

    def seq_block(self, net=None):
        rng = self.rng
        p = rng.choice(MNO_PREFIXES[net or rng.choice(["MTN", "AIRTEL",
                                                        "GLO"])])
        rest = 10 - len(p)
        head = digits(rng, rest - 4)
        return [rng.randrange(3000), CC + p + head, 4]

    def fresh_clis(self, kind, n, net=None):
        seen = {}
        out = []
        st = self.seq_block(net) if kind == "sequential" else None
        guard = 0
        while len(out) < n and guard < n * 20:
            guard += 1
            c = self.attack_cli(kind, net, st)
            if c in seen:
                continue
            seen[c] = 1
            out.append(c)
        return out

    def domestic_ingress(self):
        rng = self.rng
        if rng.random() < 0.75:
            net, ip, trunk = self.icx_route()
            return net, ip, trunk, "icx_" + net.lower()
        ip, trunk = self.transit_route()
        return None, ip, trunk, "transit"

    def emit(self, inst, typ, calls, intensity, var):
        if any(c[0] < 0 or c[0] >= SPAN for c in calls):
            return False  # never truncate an instance at the window edge
        for ts, a, b, ip, trunk in calls:
            self.add(ts, a, b, ip, trunk, "attack", typ, inst,
                     "%.6g" % intensity, var)

    def masking_burst(self):
        rng = self.rng
        for h, u in self.starts():
            lam = loguni(rng, 0.2, 30)
            n = rng.randint(8, 70)
            st = self.place(h, u, (n + 1) * 1000.0 / lam)
            route = rng.random()
            if route < 0.15:
                ip, trunk, tag = igw_route(rng)
                kind = "foreign"
                rtag = tag
                netsel = None
            else:
                netsel, ip, trunk, rtag = self.domestic_ingress()
                kind = wchoice(rng, ["invented", "harvested", "sequential"],
                               [0.45, 0.35, 0.2])
            clis = self.fresh_clis(kind, n,
                                   netsel if kind != "harvested" else None)
            b = self.pools["HOME"].pick() if rng.random() < 0.9 else \
                rng.choice(self.radio + self.hotlines)[0]
            gap = 1000.0 / lam
            ts = [int(st + (i + 0.3) * gap + rng.uniform(-0.3, 0.3) * gap)
                  for i in range(len(clis))]
            ts = sorted(set(ts))
            clis = clis[:len(ts)]
            if st + (ts[-1] - st) >= SPAN or len(ts) < 2:
                continue
            inten = (len(ts) - 1) / ((ts[-1] - ts[0]) / 1000.0)
            calls = [(t, c, b, ip, trunk) for t, c in zip(ts, clis)]
            self.emit(self.new_instance(), "masking_burst", calls, inten,
                      "%s %s cli" % (rtag, kind))

    def refiled_masking(self):
        rng = self.rng
        for h, u in self.starts():
            k = rng.randint(2, 8)
            span = loguni(rng, 5, 300) * 1000
            st = self.place(h, u, span)
            netsel, ip, trunk, rtag = self.domestic_ingress()
            kind = wchoice(rng, ["invented", "harvested"], [0.6, 0.4])
            clis = self.fresh_clis(kind, k, netsel if kind == "invented"
                                   else None)
            b = self.pools["HOME"].pick()
            offs = sorted([0, int(span)] + [rng.randrange(int(span))
                                            for _ in range(k - 2)])
            ts = [st + o for o in offs]
            if len(set(ts)) < k or ts[-1] >= SPAN:
                continue
            inten = (k - 1) / ((ts[-1] - ts[0]) / 60000.0)
            # the carrier may hop trunk between retries on the same ICX
            calls = []
            for t, c in zip(ts, clis):
                if netsel and rng.random() < 0.3:
                    _, ip2, tr2 = self.icx_route(netsel)
                    calls.append((t, c, b, ip2, tr2))
                else:
                    calls.append((t, c, b, ip, trunk))
            self.emit(self.new_instance(), "refiled_masking", calls, inten,
                      "%s %s cli %d retries" % (rtag, kind, k))

    def simbox(self):
        rng = self.rng
        for h, u in self.starts():
            r = loguni(rng, 0.2, 12)
            nsims = int(loguni(rng, 1, 33))
            dur = loguni(rng, 5, 60)
            dur = max(dur, 3.0 / r)
            while nsims * r * dur > 500 and dur > 8:
                dur *= 0.8
            while nsims * r * dur > 500 and nsims > 1:
                nsims -= 1
            dur = min(dur, 60.0)
            dur_ms = int(dur * 60000)
            if rng.random() < 0.55:
                net = "HOME"
                rtag = "onnet_core"
            else:
                net, _, _ = self.icx_route()
                rtag = "icx_" + net.lower()
            sims = self.fresh_clis("invented", nsims, net)
            pacing = rng.choice(["human_jitter", "regular", "bursty"])
            per_sim = []
            num = den = 0.0
            for sim in sims:
                # offsets (ms) from the instance start; SIMs start staggered
                t = rng.randrange(int(60000 / r) + 1)
                times = []
                while t < dur_ms:
                    times.append(t)
                    g = 60000.0 / r
                    if pacing == "regular":
                        g *= rng.uniform(0.85, 1.15)
                    elif pacing == "human_jitter":
                        g *= rng.uniform(0.4, 1.6)
                    else:  # short bursts then pauses, mean gap kept
                        g *= min(4.0, 0.1 + 0.9 * rng.expovariate(1.0))
                    t += max(1500, int(g))
                if len(times) < 2:
                    times.append(times[-1] + int(60000 / r))
                per_sim.append((sim, times))
                num += len(times) - 1
                den += (times[-1] - times[0]) / 60000.0
            # stretch the schedule so the realised pace equals the drawn one
            f = (num / den) / r
            calls = []
            for sim, times in per_sim:
                if net == "HOME":
                    ip, trunk = self.core_route()
                else:
                    _, ip, trunk = self.icx_route(net)
                t0 = times[0]
                for t in times:
                    calls.append((t0 + int((t - t0) * f), sim,
                                  self.home_callee() if rng.random() < 0.85
                                  else self.any_ng_mobile(), ip, trunk))
            ext = max(c[0] for c in calls)
            st = self.place(h, u, ext)
            calls = [(st + c[0],) + c[1:] for c in calls]
            num = den = 0.0
            by = {}
            for c in calls:
                by.setdefault(c[1], []).append(c[0])
            for ts in by.values():
                num += len(ts) - 1
                den += (max(ts) - min(ts)) / 60000.0
            if den <= 0:
                continue
            self.emit(self.new_instance(), "simbox", calls, num / den,
                      "%s %d sims %s" % (rtag, nsims, pacing))

    def cli_rotation(self):
        rng = self.rng
        for h, u in self.starts(20, 22):
            lam = loguni(rng, 0.1, 40)
            dur = rng.uniform(60, 150) if lam < 2 else rng.uniform(60, 72)
            st = self.place(h, u, dur * 1000 * 1.2 + 1000)
            n = max(3, int(round(lam * dur)) + 1)
            if rng.random() < 0.75:
                s = rng.choice(self.smb + self.pbxs)
                ip, trunk, rtag = s["ip"], s["trunk"], "hijacked_" + \
                    s["name"].lower()
            else:
                ip = "41.58.%d.%d" % (rng.randint(0, 255), rng.randint(2, 250))
                trunk = ""
                rtag = "rogue_peer_ip"
            kind = wchoice(rng, ["invented", "sequential", "harvested",
                                 "foreign"], [0.45, 0.2, 0.2, 0.15])
            clis = self.fresh_clis(kind, n)
            gap = dur * 1000.0 / (len(clis) - 1)
            ts = sorted(set(int(st + (i + 0.4) * gap +
                                rng.uniform(-0.4, 0.4) * gap)
                            for i in range(len(clis))))
            clis = clis[:len(ts)]
            if ts[-1] >= SPAN or len(ts) < 2:
                continue
            inten = (len(ts) - 1) / ((ts[-1] - ts[0]) / 1000.0)
            calls = [(t, c, self.any_ng_mobile(), ip, trunk)
                     for t, c in zip(ts, clis)]
            self.emit(self.new_instance(), "cli_rotation", calls, inten,
                      "%s %s cli" % (rtag, kind))

    def intl_local_cli(self):
        rng = self.rng
        for h, u in self.starts():
            n = max(1, int(loguni(rng, 1, 81)))
            ip, trunk, tag = igw_route(rng)
            kind = wchoice(rng, ["invented", "harvested", "home_subscriber",
                                 "fixed"], [0.4, 0.3, 0.2, 0.1])
            span = rng.uniform(10000, 900000) if n > 1 else 0
            st = self.place(h, u, span)
            calls = []
            for i in range(n):
                if kind == "home_subscriber":
                    a = self.pools["HOME"].pick()
                elif kind == "fixed":
                    a = self.fixed_pool.pick()
                else:
                    a = self.attack_cli(kind)
                t = st + (int(rng.random() * span) if i else 0)
                # hubbing carriers spread calls across their peer IPs
                ip_i = ip if trunk == "" else rng.choice(
                    [x for x in IGW if x[0] == trunk][0][1])
                calls.append((t, a, self.home_callee(), ip_i, trunk))
            if max(c[0] for c in calls) >= SPAN:
                continue
            self.emit(self.new_instance(), "intl_local_cli", calls, n,
                      "%s %s cli" % (tag, kind))

    def invalid_clis(self, form, n):
        rng = self.rng
        out = []
        for _ in range(n):
            if form == "trunk_prefix":      # +234 0803 xxx xxxx
                p = rng.choice(MNO_PREFIXES[rng.choice(["MTN", "AIRTEL",
                                                          "GLO"])])
                out.append(CC + "0" + p + digits(rng, 10 - len(p)))
            elif form == "unassigned":      # 10-digit NSN in a spare range
                head = rng.choice(["3", "4", "5", "6", "10", "11", "12",
                                   "21", "7023", "819"])
                if head == "819":
                    head = "819" + str(rng.randint(2, 9))
                out.append(CC + head + digits(rng, 10 - len(head)))
            elif form == "short":           # mobile range, 9-digit NSN
                p = rng.choice(MNO_PREFIXES["MTN"] + MNO_PREFIXES["GLO"])
                out.append(CC + p + digits(rng, 9 - len(p)))
            else:                           # long: 11-digit mobile NSN
                p = rng.choice(MNO_PREFIXES["AIRTEL"] + MNO_PREFIXES["MTN"])
                out.append(CC + p + digits(rng, 11 - len(p)))
        return out

    def invalid_cli(self):
        rng = self.rng
        for h, u in self.starts():
            n = max(1, int(loguni(rng, 1, 41)))
            u = rng.random()
            if u < 0.55:
                _, ip, trunk, rtag = self.domestic_ingress()
            elif u < 0.8:
                ip, trunk, rtag = igw_route(rng)
            else:
                s = rng.choice(self.smb)
                ip, trunk, rtag = s["ip"], s["trunk"], "enterprise_trunk"
            form = wchoice(rng, ["trunk_prefix", "unassigned", "short",
                                 "long"], [0.35, 0.35, 0.15, 0.15])
            clis = self.invalid_clis(form, n)
            span = rng.uniform(5000, 600000) if n > 1 else 0
            st = self.place(h, u, span)
            calls = [(st + (int(rng.random() * span) if i else 0), a,
                      self.home_callee(), ip, trunk)
                     for i, a in enumerate(clis)]
            if max(c[0] for c in calls) >= SPAN:
                continue
            self.emit(self.new_instance(), "invalid_cli", calls, n,
                      "%s %s" % (rtag, form))

    # ---- output -------------------------------------------------------------
    def run(self):
        self.legit()
        self.masking_burst()
        self.refiled_masking()
        self.simbox()
        self.cli_rotation()
        self.intl_local_cli()
        self.invalid_cli()
        self.rows.sort()

    def write(self, out, labels):
        rng = random.Random(self.seed * 7919 + 11)
        used = set()
        with open(out, "w", newline="") as fc, \
                open(labels, "w", newline="") as fl:
            fc.write("call_id,a_number,b_number,timestamp_ms,source_ip,trunk\n")
            fl.write("call_id,class,type,instance,intensity,variant\n")
            for r in self.rows:
                while True:
                    cid = "%016x@sbc%d.home.ng" % (rng.getrandbits(64),
                                                   1 + rng.getrandbits(1))
                    if cid not in used:
                        used.add(cid)
                        break
                ts, _, a, b, ip, trunk, cls, typ, inst, inten, var = r
                fc.write("%s,%s,%s,%d,%s,%s\n" % (cid, a, b, T0_MS + ts, ip,
                                                  trunk))
                fl.write("%s,%s,%s,%s,%s,%s\n" % (cid, cls, typ, inst, inten,
                                                  var))

    def toml(self, path, bare):
        def lst(xs):
            if not xs:
                return "[]"
            return "[\n" + "".join('  "%s",\n' % x for x in xs) + "]"
        trunks = [t[0] for t in IGW if t[3]]
        cidrs = [t[2] for t in IGW if t[3]]
        allow_b = [] if bare else [n for n, _k, l in
                                   self.hotlines + self.radio + self.bridges
                                   if l]
        allow_a = [] if bare else [c for cc in self.call_centres
                                   if cc["listed"] for c in cc["clis"]]
        with open(path, "w") as f:
            f.write('[numbering]\ncountry_code = "NG"\n\n')
            f.write("[rules.intl_ingress_local_cli]\n")
            f.write("trunks = %s\n" % lst(trunks))
            f.write("sources = %s\n\n" % lst(cidrs))
            f.write("[lists]\n")
            f.write("allow_b_numbers = %s\n" % lst(allow_b))
            f.write("allow_a_numbers = %s\n" % lst(allow_a))


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
    g.run()
    g.write(args.out, args.labels)
    g.toml(args.config, bare=False)
    if args.bare_config:
        g.toml(args.bare_config, bare=True)
    if not args.quiet:
        n_att = sum(1 for r in g.rows if r[6] == "attack")
        inst = {}
        for r in g.rows:
            if r[6] == "attack":
                inst.setdefault(r[7], {})[r[8]] = 1
        sys.stderr.write("seed %d: %d rows (%d attack), instances: %s\n" % (
            args.seed, len(g.rows), n_att,
            ", ".join("%s=%d" % (k, len(v)) for k, v in sorted(inst.items()))))


if __name__ == "__main__":
    main()
