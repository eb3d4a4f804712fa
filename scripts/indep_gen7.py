#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR Apache-2.0
"""Independent labelled synthetic traffic generator no. 7 (blind second opinion).

Simulates two evening hours (19:00-21:00 PKT) of call set-up records seen by
a fictional large Pakistani mobile operator ("Indus Mobile", country calling
code 92) at every ingress: its own MSC/IMS core, national interconnects with
the other mobile networks, the fixed incumbent, a local-loop operator and two
long-distance (LDI) operators' national-transit trunks, the LDI international
gateways, enterprise SIP trunks / PBX trunks, and bare SIP peers.

Legitimate traffic contains many look-alikes (hotlines, conference bridges,
call centres, DDI PBXs, number-masking proxies for ride hailing, OTP voice,
legal robocalls, missed-call services, TV call-ins, heavy users, corporate
GSM gateways, roamers, forwarded and tromboned calls). Six attack families
are injected with their intensity swept log-uniformly (stratified) from well
below to well above the ranges given in the issue.

Standard library only. The output depends only on --seed.

Usage:
  python3 scripts/indep_gen7.py --seed 1 --out cdrs.csv --labels labels.csv \
      --config deploy.toml [--bare-config bare.toml] [--quiet]

See docs/seventh-generator.md for the model and its sources.
"""

import argparse
import datetime
import math
import random
import sys

# 2024-10-17 (Thursday) 19:00 PKT == 14:00 UTC
T0_MS = int(datetime.datetime(2024, 10, 17, 14, 0, 0,
                              tzinfo=datetime.timezone.utc).timestamp() * 1000)
SPAN = 7200.0
HOUR = 3600.0

# ---------------------------------------------------------------- numbering
# Indus Mobile's own mobile NDCs (assumption; modelled on the largest MNO).
HOME_PFX = ["300", "301", "302", "303", "304", "305", "306", "307", "308",
            "309", "320", "321", "322", "323", "324", "325"]
OTHER_MNO = {
    "Z": ["310", "311", "312", "313", "314", "315", "316", "317", "318",
          "319", "370"],
    "U": ["330", "331", "332", "333", "334", "335", "336", "337", "339"],
    "T": ["340", "341", "342", "343", "344", "345", "346", "347", "348",
          "349"],
    "S": ["355"],
}
OTHER_W = [("Z", 0.35), ("T", 0.32), ("U", 0.29), ("S", 0.04)]
# Mobile NDCs that are NOT assigned in libphonenumber's PK metadata
# (mobile pattern is 3(?:[0-247]\d|3[0-79]|55|64)\d{7}).
UNASSIGNED_MOBILE = ["338", "350", "351", "352", "353", "354", "356", "357",
                     "358", "359", "360", "361", "362", "363", "365", "366",
                     "367", "368", "369", "380", "381", "385", "388", "390",
                     "391", "393", "395", "399"]
# area code, subscriber length, weight
FIXED_AREAS = [("21", 8, 0.30), ("42", 8, 0.25), ("51", 7, 0.14),
               ("41", 7, 0.08), ("61", 7, 0.06), ("91", 7, 0.06),
               ("81", 7, 0.03), ("22", 7, 0.04), ("52", 7, 0.02),
               ("55", 7, 0.02)]
UAN_AREAS = ["21", "42", "51"]

# ------------------------------------------------------------------ network
CORE = [("MSS-KHI-01", ("10.10.1.10", "10.10.1.11"), 0.22),
        ("MSS-KHI-02", ("10.10.1.20", "10.10.1.21"), 0.14),
        ("MSS-LHE-01", ("10.10.2.10", "10.10.2.11"), 0.21),
        ("MSS-ISB-01", ("10.10.3.10",), 0.12),
        ("MSS-FSD-01", ("10.10.4.10",), 0.08),
        ("MSS-PEW-01", ("10.10.5.10",), 0.07),
        ("IMS-SBC-01", ("10.10.9.5", "10.10.9.6"), 0.16)]
NIC_MNO = {
    "Z": [("NIC-MNOZ-KHI-01", ("172.20.1.2", "172.20.1.3")),
          ("NIC-MNOZ-LHE-01", ("172.20.1.18",))],
    "U": [("NIC-MNOU-ISB-01", ("172.20.2.2", "172.20.2.3"))],
    "T": [("NIC-MNOT-LHE-01", ("172.20.3.2",)),
          ("NIC-MNOT-KHI-01", ("172.20.3.18",))],
    "S": [("NIC-SCOM-RWP-01", ("172.20.4.2",))],
}
NIC_FIXED = [("NIC-FIXP-KHI-01", ("172.20.10.2", "172.20.10.3")),
             ("NIC-FIXP-LHE-01", ("172.20.10.18",)),
             ("NIC-FIXP-ISB-01", ("172.20.10.34",)),
             ("NIC-LLW-LHE-01", ("172.20.11.2",))]
NIC_NLD = [("NIC-LDI1-NLD-KHI-01", ("172.20.20.2",)),
           ("NIC-LDI2-NLD-LHE-01", ("172.20.21.2",))]
IGW = [("IGW-LDI1-KHI-01", ("203.0.113.10", "203.0.113.11")),
       ("IGW-LDI1-LHE-01", ("203.0.113.20", "203.0.113.21")),
       ("IGW-LDI2-ISB-01", ("203.0.113.70", "203.0.113.71")),
       ("IGW-LDI3-KHI-01", ("198.51.100.140", "198.51.100.141",
                            "198.51.100.142"))]
IGW_CIDRS = ["203.0.113.0/27", "203.0.113.64/27", "198.51.100.128/26"]

FAMILIES = ["masking_burst", "refiled_masking", "simbox", "cli_rotation",
            "intl_local_cli", "invalid_cli"]
# instances per hour and the swept intensity range (lo, hi)
FAMILY_PLAN = {
    "masking_burst": (28, 0.01, 30.0),     # calls/s into the callee
    "refiled_masking": (28, 0.25, 200.0),  # fresh CLIs per minute
    "simbox": (14, 0.1, 20.0),             # calls/min per SIM
    "cli_rotation": (24, 0.02, 25.0),      # new CLIs per second
    "intl_local_cli": (24, 1.0, 300.0),    # calls in the instance
    "invalid_cli": (22, 1.0, 250.0),       # calls in the instance
}
ABBR = {"masking_burst": "MB", "refiled_masking": "RM", "simbox": "SB",
        "cli_rotation": "CR", "intl_local_cli": "IL", "invalid_cli": "IC"}


def wchoice(r, items):
    """items: list of (value, weight)."""
    tot = sum(w for _, w in items)
    x = r.random() * tot
    for v, w in items:
        x -= w
        if x <= 0:
            return v
    return items[-1][0]


def digits(r, n):
    return "".join(str(r.randint(0, 9)) for _ in range(n))


def strat(r, k, lo, hi):
    """k stratified log-uniform draws in [lo, hi], shuffled."""
    vals = [lo * (hi / lo) ** ((i + r.random()) / k) for i in range(k)]
    r.shuffle(vals)
    return vals


def fmt6(x):
    return "%.6g" % x


class Gen:
    def __init__(self, seed):
        self.seed = seed
        self.r = random.Random(seed * 7919 + 17)
        self.rows = []
        self.seq = 0
        self.used = set()
        self.build_pools()
        self.build_customers()

    # ---------------------------------------------------------- numbers
    def home_mobile(self):
        r = self.r
        return "+92" + r.choice(HOME_PFX) + str(r.randint(2, 9)) + digits(r, 6)

    def op_mobile(self, op):
        r = self.r
        return "+92" + r.choice(OTHER_MNO[op]) + str(r.randint(2, 9)) + digits(r, 6)

    def fixed(self, area=None):
        r = self.r
        if area is None:
            area, n, _ = wchoice(r, [((a, n, w), w) for a, n, w in FIXED_AREAS])
        else:
            n = dict((a, n) for a, n, _ in FIXED_AREAS)[area]
        return "+92" + area + str(r.randint(2, 9)) + digits(r, n - 1)

    def uan(self):
        r = self.r
        return "+92" + r.choice(UAN_AREAS) + "111" + digits(r, 6)

    def tollfree(self):
        return "+92800" + str(self.r.randint(1, 9)) + digits(self.r, 4)

    def foreign(self, cc=None):
        r = self.r
        if cc is None:
            cc = wchoice(r, [("SA", 30), ("AE", 22), ("GB", 12), ("US", 8),
                             ("QA", 5), ("KW", 4), ("OM", 6), ("CN", 3),
                             ("DE", 3), ("AF", 4)])
        if cc == "SA":
            return "+9665" + r.choice("0345689") + digits(r, 7)
        if cc == "AE":
            return "+9715" + r.choice("024568") + digits(r, 7)
        if cc == "GB":
            return "+447" + r.choice(["90", "92", "94", "95", "96", "97",
                                      "98", "99"]) + digits(r, 7)
        if cc == "US":
            return ("+1" + r.choice(["212", "646", "718", "917", "347", "713",
                                     "832", "312", "408", "201", "732", "516"])
                    + str(r.randint(2, 9)) + r.choice(["0", "2", "3", "4", "6",
                                                       "7", "8", "9"])
                    + str(r.randint(2, 9)) + digits(r, 4))
        if cc == "QA":
            return "+974" + r.choice("3567") + r.choice("0123456789") + digits(r, 6)
        if cc == "KW":
            return "+965" + r.choice(["50", "55", "66", "99"]) + digits(r, 6)
        if cc == "OM":
            return "+9689" + str(r.randint(1, 9)) + digits(r, 6)
        if cc == "CN":
            return "+8613" + digits(r, 9)
        if cc == "DE":
            return "+49" + r.choice(["151", "152", "170", "176"]) + digits(r, 8)
        if cc == "AF":
            return "+937" + r.choice("0123456789") + digits(r, 7)
        raise ValueError(cc)

    def uniq(self, fn, *a):
        while True:
            n = fn(*a)
            if n not in self.used:
                self.used.add(n)
                return n

    def block(self, base_fn, size):
        """A consecutive number block (DDI range / SIM batch)."""
        while True:
            base = base_fn()
            head, tail = base[:-4], int(base[-4:])
            if tail + size >= 10000:
                continue
            nums = [head + "%04d" % (tail + i) for i in range(size)]
            if not any(n in self.used for n in nums):
                self.used.update(nums)
                return nums

    # ------------------------------------------------------------ pools
    def build_pools(self):
        r = self.r
        self.home = [self.uniq(self.home_mobile) for _ in range(90000)]
        # ported-in numbers (other operators' NDCs now on Indus Mobile)
        for _ in range(3000):
            self.home.append(self.uniq(self.op_mobile, wchoice(r, OTHER_W)))
        r.shuffle(self.home)
        self.other = {}
        for op, w in OTHER_W:
            n = int(90000 * w)
            self.other[op] = [self.uniq(self.op_mobile, op) for _ in range(n)]
        # ported-out numbers: home NDC but now on another MNO
        for _ in range(2500):
            op = wchoice(r, OTHER_W)
            self.other[op].append(self.uniq(self.home_mobile))
        for op in self.other:
            r.shuffle(self.other[op])
        self.fixed_pool = [self.uniq(self.fixed) for _ in range(15000)]
        self.foreign_pool = [self.uniq(self.foreign) for _ in range(12000)]

    def pick(self, pool, alpha=1.7):
        return pool[int(len(pool) * self.r.random() ** alpha)]

    def pk_party(self, w_home=0.55, w_other=0.38, w_fixed=0.07, alpha=1.7):
        """A Pakistani party: (number, kind, op)."""
        r = self.r
        x = r.random() * (w_home + w_other + w_fixed)
        if x < w_home:
            return self.pick(self.home, alpha), "home", None
        if x < w_home + w_other:
            op = wchoice(r, OTHER_W)
            return self.pick(self.other[op], alpha), "other", op
        return self.pick(self.fixed_pool, alpha), "fixed", None

    def pk_b(self, **kw):
        return self.pk_party(**kw)[0]

    # ---------------------------------------------------------- ingress
    def core(self, idx=None):
        r = self.r
        if idx is None:
            t, ips, _ = wchoice(r, [(c, c[2]) for c in CORE])
        else:
            t, ips, _ = CORE[idx]
        return r.choice(ips), t

    def nic(self, op):
        t, ips = self.r.choice(NIC_MNO[op])
        return self.r.choice(ips), t

    def nic_fixed(self):
        t, ips = self.r.choice(NIC_FIXED)
        return self.r.choice(ips), t

    def nic_nld(self):
        t, ips = self.r.choice(NIC_NLD)
        return self.r.choice(ips), t

    def igw(self):
        t, ips = self.r.choice(IGW)
        return self.r.choice(ips), t

    def ingress_for(self, kind, op):
        if kind == "home":
            return self.core()
        if kind == "other":
            return self.nic(op)
        return self.nic_fixed()

    # ----------------------------------------------------------- output
    def fmt(self, num, p_nat):
        """Some switches see Pakistani numbers in national format."""
        if num.startswith("+92") and self.r.random() < p_nat:
            return "0" + num[3:]
        return num

    def emit(self, t, a, b, src, label, p_nat_a=0.0, p_nat_b=0.0):
        ip, trunk = src
        if t < 0.0 or t >= SPAN:
            return False
        self.seq += 1
        self.rows.append((T0_MS + int(t * 1000.0), self.seq,
                          self.fmt(a, p_nat_a), self.fmt(b, p_nat_b),
                          ip, trunk, label))
        return True

    def t_uniform(self, lo=0.0, hi=SPAN):
        # mild evening decline, ~8% over two hours
        r = self.r
        while True:
            t = lo + (hi - lo) * r.random()
            if r.random() < 1.0 - 0.08 * t / SPAN:
                return t

    def n_of(self, per_hour):
        return max(0, int(round(per_hour * 2 * (1 + self.r.gauss(0, 0.02)))))

    def poisson_times(self, rate_per_s, lo, hi):
        r = self.r
        out = []
        if rate_per_s <= 0:
            return out
        t = lo + r.expovariate(rate_per_s)
        while t < hi:
            out.append(t)
            t += r.expovariate(rate_per_s)
        return out

    # -------------------------------------------------------- customers
    def build_customers(self):
        r = self.r
        ent_ip = iter("198.18.%d.%d" % (i // 200 + 1, i % 200 + 10) for i in range(4000))
        pbx_ip = iter("198.18.%d.%d" % (i // 200 + 100, i % 200 + 10) for i in range(4000))
        self.bare_ip = iter("198.19.%d.%d" % (i // 200 + 1, i % 200 + 10) for i in range(4000))
        self.evil_ip = iter("198.19.%d.%d" % (i // 200 + 200, i % 200 + 10) for i in range(4000))

        # hotlines: (number, listed, calls/min, label)
        self.hotlines = []
        for i in range(16):
            num = self.uniq(self.uan) if i % 4 else self.uniq(self.tollfree)
            self.hotlines.append({"num": num, "listed": i < 11,
                                  "cpm": math.exp(r.uniform(math.log(0.8), math.log(9)))})
        for i in range(26):
            num = self.uniq(self.uan) if i % 3 else (
                self.uniq(self.tollfree) if i % 2 else self.uniq(self.fixed))
            self.hotlines.append({"num": num, "listed": False,
                                  "cpm": math.exp(r.uniform(math.log(0.12), math.log(1.6)))})
        # one unlisted government relief helpline with registration surges
        self.gov_helpline = self.uniq(self.tollfree)

        # conference bridges
        self.bridges = []
        for i in range(7):
            num = self.uniq(self.uan) if i < 3 else self.uniq(self.fixed, r.choice(["21", "42", "51"]))
            self.bridges.append({"num": num, "listed": i in (0, 1, 4)})

        # enterprise SIP customers and PBXs
        def ent(name):
            return (next(ent_ip), "ENT-" + name)

        def pbx(name):
            return (next(pbx_ip), "PBX-" + name)

        self.cc_listed = []
        for i, name in enumerate(["BANKA-KHI", "BANKB-LHE", "TELCO-CARE-OUT", "INSUR-KHI"]):
            clis = [self.uniq(self.uan) for _ in range(r.randint(1, 3))]
            self.cc_listed.append({"src": ent(name), "clis": clis,
                                   "listed_clis": clis[:max(1, len(clis) - (1 if i == 2 else 0))],
                                   "cpm": r.uniform(4, 12)})
        self.cc_unlisted = []
        for i, name in enumerate(["BPO-KHI-1", "BPO-LHE-2", "COURIER-ISB", "MICROFIN-LHE",
                                  "ECOM-KHI", "BPO-KHI-3"]):
            area = r.choice(["21", "42", "51"])
            if i % 2 == 0:
                clis = self.block(lambda: self.fixed(area), r.randint(30, 90))
                mode = "agent_ddi"
            else:
                clis = [self.uniq(self.uan)]
                mode = "single"
            self.cc_unlisted.append({"src": ent(name), "clis": clis, "mode": mode,
                                     "cpm": r.uniform(3, 9)})
        self.pbxs = []
        for i in range(18):
            area = r.choice(["21", "21", "42", "42", "51", "41", "61"])
            size = r.choice([50, 100, 100, 200, 500, 1000])
            ddis = self.block(lambda: self.fixed(area), size)
            self.pbxs.append({"src": pbx("CORP%02d-%s" % (i + 1, area)), "ddis": ddis,
                              "main": ddis[0], "cpm": math.exp(r.uniform(math.log(0.4), math.log(5)))})
        self.otp = []
        for name in ["OTPAGG-1", "OTPAGG-2"]:
            self.otp.append({"src": ent(name), "clis": [self.uniq(self.uan) for _ in range(r.randint(1, 2))],
                             "rps": r.uniform(0.08, 0.14)})
        self.robo = []
        for i, name in enumerate(["GOVAWARE-IVR", "TELCO-PROMO", "NGO-POLIO"]):
            if i == 1:
                clis = self.block(lambda: self.fixed("51"), r.randint(3, 5))
            else:
                clis = [self.uniq(self.uan) if i == 0 else self.uniq(self.fixed, "42")]
            src = ent(name) if i != 2 else (next(self.bare_ip), "")
            self.robo.append({"src": src, "clis": clis})
        self.proxies = []
        for name in ["RIDEHAIL-A", "FOODDEL-B"]:
            size = r.randint(150, 400)
            pool = self.block(self.home_mobile, size)
            self.proxies.append({"src": ent(name), "pool": pool, "cpm": r.uniform(7, 13)})
        self.resellers = []
        for i in range(8):
            area = r.choice(["21", "42", "51"])
            clis = self.block(lambda: self.fixed(area), r.randint(20, 200))
            self.resellers.append({"src": (next(self.bare_ip), ""), "clis": clis,
                                   "cpm": r.uniform(0.5, 3.5)})
        self.fct = []
        for i in range(5):
            n = r.randint(4, 14)
            sims = self.block(self.home_mobile, n)
            self.fct.append({"sims": sims, "core": r.randrange(len(CORE)),
                             "cpm": r.uniform(0.3, 1.2)})
        self.missed = [self.uniq(self.home_mobile), self.uniq(self.fixed, "42")]
        self.tv = [self.uniq(self.fixed, "21"), self.uniq(self.fixed, "42")]
        self.shops = [self.pick(self.home, 1.0) for _ in range(160)]
        # listed numbers for deploy.toml
        self.allow_b = [h["num"] for h in self.hotlines if h["listed"]] + \
                       [b["num"] for b in self.bridges if b["listed"]]
        self.allow_a = [c for cc in self.cc_listed for c in cc["listed_clis"]]

    # =================================================== legitimate classes
    def legit(self):
        r = self.r
        L = lambda t: ("legit", t, "", "", "")

        # 1. on-net mobile to mobile via own core
        lab = L("onnet_mobile")
        for _ in range(self.n_of(9300)):
            a = self.pick(self.home)
            self.emit(self.t_uniform(), a, self.pk_b(w_home=1, w_other=0, w_fixed=0),
                      self.core(), lab, 0.08, 0.10)
        # 2. own subscribers to other networks
        lab = L("offnet_out")
        for _ in range(self.n_of(3400)):
            self.emit(self.t_uniform(), self.pick(self.home),
                      self.pk_b(w_home=0, w_other=0.85, w_fixed=0.15),
                      self.core(), lab, 0.08, 0.12)
        # 3. own subscribers calling abroad
        lab = L("intl_out")
        for _ in range(self.n_of(1200)):
            self.emit(self.t_uniform(), self.pick(self.home),
                      self.pick(self.foreign_pool, 1.3), self.core(), lab, 0.05)
        # 4. other MNOs' subscribers into the home network
        lab = L("offnet_in_mobile")
        for _ in range(self.n_of(6400)):
            op = wchoice(r, OTHER_W)
            self.emit(self.t_uniform(), self.pick(self.other[op]), self.pick(self.home),
                      self.nic(op), lab, 0.12, 0.05)
        # 5. fixed / local-loop into home
        lab = L("offnet_in_fixed")
        for _ in range(self.n_of(2500)):
            self.emit(self.t_uniform(), self.pick(self.fixed_pool), self.pick(self.home),
                      self.nic_fixed(), lab, 0.15, 0.05)
        # 6. international incoming (diaspora); some callers ring several relatives
        lab = L("intl_in")
        n = self.n_of(2600)
        k = 0
        while k < n:
            a = self.pick(self.foreign_pool, 1.4)
            t = self.t_uniform()
            src = self.igw() if r.random() < 0.92 else self.nic_nld()
            reps = 1 if r.random() < 0.85 else r.randint(2, 4)
            for _ in range(reps):
                self.emit(t, a, self.pick(self.home), src, lab)
                t += r.uniform(20, 300)
                k += 1
        # 7. foreign visitors roaming on Indus Mobile
        lab = L("inbound_roamer")
        visitors = [self.uniq(self.foreign, wchoice(r, [("SA", 3), ("AE", 3), ("CN", 3), ("AF", 4), ("GB", 2)]))
                    for _ in range(400)]
        for _ in range(self.n_of(300)):
            self.emit(self.t_uniform(), self.pick(visitors, 1.3), self.pk_b(), self.core(), lab, 0, 0.1)
        # 8. own subscribers roaming abroad (Umrah, Gulf workers) calling home:
        #    HOME CLI on an international gateway
        lab = L("outbound_roamer_via_igw")
        roamers = [self.pick(self.home, 1.0) for _ in range(160)]
        for _ in range(self.n_of(70)):
            self.emit(self.t_uniform(), self.pick(roamers, 1.5), self.pk_b(), self.igw(), lab)
        # 9. late call forwarding by a roamer back to Pakistan (tromboning):
        #    original Pakistani caller's CLI arrives on the IGW
        lab = L("roamer_tromboned_forward")
        for _ in range(self.n_of(15)):
            a = self.pk_b(w_home=0.6, w_other=0.35, w_fixed=0.05)
            self.emit(self.t_uniform(), a, self.pick(self.home), self.igw(), lab)
        # 10. call forwarding inside Pakistan (original CLI kept, leaves via core)
        lab = L("forwarded_call")
        for _ in range(self.n_of(900)):
            x = r.random()
            a = self.pick(self.home) if x < 0.3 else (
                self.pk_b(w_home=0, w_other=1, w_fixed=0) if x < 0.8 else (
                    self.pick(self.fixed_pool) if x < 0.9 else self.pick(self.foreign_pool)))
            self.emit(self.t_uniform(), a, self.pk_b(), self.core(), lab, 0.05, 0.1)
        self.hotline_traffic()
        self.bridge_traffic()
        self.enterprise_traffic()
        self.consumer_lookalikes()

    def caller_in(self, alpha=1.2):
        num, kind, op = self.pk_party(w_home=0.55, w_other=0.40, w_fixed=0.05, alpha=alpha)
        return num, self.ingress_for(kind, op)

    def hotline_traffic(self):
        r = self.r
        for h in self.hotlines:
            lab = ("legit", "hotline_listed" if h["listed"] else "hotline_unlisted", "", "", "")
            for t in self.poisson_times(h["cpm"] / 60.0, 0, SPAN):
                a, src = self.caller_in(1.0)
                self.emit(t, a, h["num"], src, lab, 0.08, 0.08)
        # government relief helpline: baseline + registration surges
        lab = ("legit", "govt_helpline_surge", "", "", "")
        ts = self.poisson_times(1.5 / 60, 0, SPAN)
        for _ in range(r.randint(3, 5)):
            s = r.uniform(0, SPAN - 600)
            ts += self.poisson_times(r.uniform(20, 60) / 60.0, s, s + r.uniform(180, 420))
        for t in ts:
            a, src = self.caller_in(1.0)
            self.emit(t, a, self.gov_helpline, src, lab, 0.08, 0.05)
            if r.random() < 0.25:  # redial after busy
                self.emit(t + r.uniform(15, 90), a, self.gov_helpline, src, lab, 0.08, 0.05)

    def bridge_traffic(self):
        r = self.r
        for b in self.bridges:
            lab = ("legit", "bridge_listed" if b["listed"] else "bridge_unlisted", "", "", "")
            for slot in range(0, int(SPAN), 900):
                # meetings mostly on the hour / half hour
                p = 0.9 if slot % 1800 == 0 else 0.35
                if r.random() > p:
                    continue
                for _ in range(r.randint(1, 3)):
                    n = int(math.exp(r.uniform(math.log(3), math.log(45))))
                    for _ in range(n):
                        t = slot + r.gauss(30, 70)
                        if r.random() < 0.15:
                            t += r.uniform(120, 900)  # late joiners
                        a, src = self.caller_in(1.3)
                        if r.random() < 0.1:
                            a, src = self.pick(self.foreign_pool), self.igw()
                        self.emit(t, a, b["num"], src, lab, 0.05, 0.05)

    def enterprise_traffic(self):
        r = self.r
        for cc in self.cc_listed:
            lab = ("legit", "call_centre_listed", "", "", "")
            for t in self.poisson_times(cc["cpm"] / 60, 0, SPAN):
                self.emit(t, r.choice(cc["clis"]), self.pk_b(alpha=1.0), cc["src"], lab, 0, 0.1)
        for cc in self.cc_unlisted:
            lab = ("legit", "call_centre_unlisted", "", "", "")
            shift = r.uniform(0, 1800)
            for t in self.poisson_times(cc["cpm"] / 60, shift, SPAN):
                a = r.choice(cc["clis"])
                self.emit(t, a, self.pk_b(alpha=1.0), cc["src"], lab, 0.1 if cc["mode"] == "agent_ddi" else 0, 0.1)
        for p in self.pbxs:
            lab = ("legit", "pbx_ddi", "", "", "")
            for t in self.poisson_times(p["cpm"] / 60, 0, SPAN):
                a = p["main"] if r.random() < 0.12 else self.pick(p["ddis"], 1.4)
                b = self.pick(self.foreign_pool) if r.random() < 0.05 else self.pk_b()
                self.emit(t, a, b, p["src"], lab, 0.2, 0.2)
        for o in self.otp:
            lab = ("legit", "otp_voice", "", "", "")
            for t in self.poisson_times(o["rps"], 0, SPAN):
                b = self.pk_b(w_home=0.6, w_other=0.4, w_fixed=0, alpha=0.8)
                self.emit(t, r.choice(o["clis"]), b, o["src"], lab)
        for i, c in enumerate(self.robo):
            lab = ("legit", "robocall_legal", "", "", "")
            nblocks = r.randint(1, 3)
            for _ in range(nblocks):
                s = r.uniform(0, SPAN - 900)
                dur = r.uniform(120, 480)
                cps = r.uniform(0.6, 3.0)
                for t in self.poisson_times(cps, s, s + dur):
                    b = self.pk_b(w_home=0.7, w_other=0.3, w_fixed=0, alpha=0.6)
                    self.emit(t, r.choice(c["clis"]), b, c["src"], lab)
        for p in self.proxies:
            lab = ("legit", "number_masking_proxy", "", "", "")
            riders = [self.pick(self.home, 1.0) for _ in range(600)]
            for t in self.poisson_times(p["cpm"] / 60, 0, SPAN):
                a = r.choice(p["pool"])
                b = r.choice(riders) if r.random() < 0.5 else self.pk_b(alpha=1.0)
                self.emit(t, a, b, p["src"], lab)
        for s in self.resellers:
            lab = ("legit", "sip_reseller", "", "", "")
            for t in self.poisson_times(s["cpm"] / 60, 0, SPAN):
                self.emit(t, self.pick(s["clis"], 1.5), self.pk_b(), s["src"], lab, 0.3, 0.3)
        # legal corporate GSM gateways (fixed cellular terminals) - debt
        # collection / field-force, SIMs registered to the company
        for f in self.fct:
            lab = ("legit", "enterprise_gsm_gateway", "", "", "")
            start = r.uniform(0, 2400)
            end = min(SPAN, start + r.uniform(1800, 6000))
            src_core = CORE[f["core"]]
            contacts = [self.pk_b(alpha=0.8) for _ in range(400)]
            for sim in f["sims"]:
                for t in self.poisson_times(f["cpm"] / 60, start, end):
                    b = r.choice(contacts) if r.random() < 0.3 else self.pk_b(alpha=0.8)
                    self.emit(t, sim, b, (r.choice(src_core[1]), src_core[0]), lab)
                    if r.random() < 0.06:  # customer calls back
                        a, src = self.caller_in()
                        self.emit(t + r.uniform(60, 900), a, sim, src, lab)

    def consumer_lookalikes(self):
        r = self.r
        # heavy users: agents (mobile money / easyload), riders, shopkeepers
        for kind, count, cpm_lo, cpm_hi, w_new in (("heavy_user_agent", 45, 0.3, 1.5, 0.5),
                                                   ("heavy_user_rider", 45, 0.5, 2.5, 0.85),
                                                   ("heavy_user_shop", 35, 0.2, 1.0, 0.4)):
            lab = ("legit", kind, "", "", "")
            for _ in range(count):
                u = self.pick(self.home, 1.0)
                contacts = [self.pk_b() for _ in range(25)]
                for _ in range(r.randint(1, 3)):
                    s = r.uniform(0, SPAN - 600)
                    e = s + r.uniform(900, 3600)
                    cpm = r.uniform(cpm_lo, cpm_hi)
                    t = s
                    while True:
                        t += r.lognormvariate(math.log(60 / cpm), 0.6)
                        if t >= e:
                            break
                        b = self.pk_b(alpha=1.0) if r.random() < w_new else r.choice(contacts)
                        self.emit(t, u, b, self.core(), lab, 0.05, 0.2)
                    for t in self.poisson_times(0.3 / 60, s, e):
                        a, src = self.caller_in()
                        self.emit(t, a, u, src, lab, 0.1, 0.05)
        # missed-call services (advertised on TV: spikes after each ad)
        lab = ("legit", "missed_call_service", "", "", "")
        for num in self.missed:
            ts = self.poisson_times(r.uniform(1, 4) / 60, 0, SPAN)
            for _ in range(r.randint(3, 6)):
                s = r.uniform(0, SPAN - 300)
                d = r.uniform(90, 240)
                ts += self.poisson_times(r.uniform(40, 120) / d, s, s + d)
            for t in ts:
                a, src = self.caller_in(0.7)
                self.emit(t, a, num, src, lab, 0.1, 0.1)
        # TV/radio call-in shows: segments with a flood of distinct callers and redials
        lab = ("legit", "tv_callin", "", "", "")
        for num in self.tv:
            for h in (0, 1):
                for _ in range(r.randint(2, 3)):
                    s = h * HOUR + r.uniform(0, HOUR - 360)
                    d = r.uniform(180, 360)
                    for _ in range(r.randint(40, 120)):
                        a, src = self.caller_in(0.8)
                        t = s + d * r.random() ** 1.5
                        for _ in range(1 if r.random() < 0.6 else r.randint(2, 4)):
                            self.emit(t, a, num, src, lab, 0.1, 0.1)
                            t += r.uniform(8, 40)
        # small businesses on a mobile number (pharmacy, tiffin, clinic):
        # clusters of 3-6 distinct callers within a minute at rush moments
        lab = ("legit", "busy_small_business", "", "", "")
        for shop in self.shops:
            for t in self.poisson_times(r.uniform(2, 5) / HOUR, 0, SPAN):
                n = 1 if r.random() < 0.6 else r.randint(2, 6)
                for _ in range(n):
                    a, src = self.caller_in()
                    self.emit(t, a, shop, src, lab, 0.1, 0.05)
                    t += r.uniform(3, 25)

    # ================================================================ attacks
    def fresh_pk_mobile(self, op=None):
        r = self.r
        if op is None:
            op = wchoice(r, [("H", 0.4)] + OTHER_W)
        if op == "H":
            return self.uniq(self.home_mobile)
        return self.uniq(self.op_mobile, op)

    def attack_ingress(self, kind):
        """Returns (src, op_hint) for an attack ingress kind."""
        r = self.r
        if kind == "nic":
            op = wchoice(r, OTHER_W)
            return self.nic(op), op
        if kind == "nic_fixed":
            return self.nic_fixed(), "FIX"
        if kind == "nic_transit":
            return self.nic_nld(), None
        if kind == "sip_peer":
            if r.random() < 0.5:
                return (r.choice(self.resellers)["src"][0], ""), None
            return (next(self.evil_ip), ""), None
        if kind == "enterprise":
            pool = self.cc_unlisted + self.cc_listed + self.otp + self.robo[:2]
            return r.choice(pool)["src"], None
        if kind == "pbx":
            return r.choice(self.pbxs)["src"], None
        if kind == "igw":
            return self.igw(), None
        if kind == "core":
            return self.core(), "H"
        raise ValueError(kind)

    def masked_cli(self, style, op_hint, callee):
        r = self.r
        if style == "peer_range":
            if op_hint == "FIX":
                return self.uniq(self.fixed)
            return self.fresh_pk_mobile(op_hint if op_hint in OTHER_MNO else None)
        if style == "neighbour":
            nsn = callee.replace("+92", "")
            if nsn.startswith("0"):
                nsn = nsn[1:]
            return self.uniq(lambda: "+92" + nsn[:5] + digits(r, 5))
        if style == "fixed":
            return self.uniq(self.fixed)
        return self.fresh_pk_mobile()

    def victim(self):
        return self.pick(self.home, 1.0)

    def schedule(self, h, dur):
        lo = h * HOUR
        hi = max(lo, lo + HOUR - dur - 1)
        return self.r.uniform(lo, hi)

    def attacks(self):
        r = self.r
        self.ninst = 0
        for fam in FAMILIES:
            k, lo, hi = FAMILY_PLAN[fam]
            for h in (0, 1):
                for I in strat(r, k, lo, hi):
                    self.ninst += 1
                    iid = "%s%d-%04d" % (ABBR[fam], self.seed, self.ninst)
                    getattr(self, "atk_" + fam)(h, I, iid)

    def put(self, fam, iid, inten, variant, events):
        """events: list of (t, a, b, src, p_nat_a). Computes nothing; intensity given."""
        lab = ("attack", fam, iid, fmt6(inten), variant)
        for t, a, b, src, pn in events:
            self.emit(t, a, b, src, lab, pn, 0.03)

    @staticmethod
    def ms(t):
        return int(t * 1000.0) / 1000.0

    def atk_masking_burst(self, h, I, iid):
        r = self.r
        n = int(round(math.exp(r.uniform(math.log(3), math.log(16)))))
        spread = (n - 1) / I
        if spread > 1800:
            n = 3
            spread = (n - 1) / I
        kind = wchoice(r, [("nic", 0.40), ("nic_transit", 0.20), ("sip_peer", 0.25), ("enterprise", 0.15)])
        src, op = self.attack_ingress(kind)
        style = wchoice(r, [("random_mobile", 0.4), ("peer_range", 0.3), ("neighbour", 0.3)])
        timing = r.choice(["even", "jitter"])
        pn = 0.0 if r.random() < 0.7 else 0.3
        callee = self.victim()
        t0 = self.schedule(h, spread)
        if timing == "even":
            offs = [spread * i / (n - 1) for i in range(n)]
        else:
            offs = [0.0, spread] + sorted(r.uniform(0, spread) for _ in range(n - 2))
            offs.sort()
        ts = [self.ms(t0 + o) for o in offs]
        inten = (n - 1) / max(0.001, ts[-1] - ts[0])
        ev = [(t, self.masked_cli(style, op, callee), callee, src, pn) for t in ts]
        self.put("masking_burst", iid, inten, "%s;cli=%s;timing=%s;n=%d%s" % (
            kind, style, timing, n, ";natfmt" if pn else ""), ev)

    def atk_refiled_masking(self, h, I, iid):
        r = self.r
        if I < 2:
            var, n = "quiet", r.randint(3, 4)
        elif I <= 24:
            var, n = "issue_shape", r.randint(3, 6)
        else:
            var, n = "loud", r.randint(6, 10)
        spread = n * 60.0 / I
        kind = wchoice(r, [("nic_transit", 0.5), ("nic_fixed", 0.25), ("nic", 0.25)])
        src, op = self.attack_ingress(kind)
        style = "peer_range" if kind != "nic_transit" else r.choice(["random_mobile", "fixed", "peer_range"])
        callee = self.victim()
        t0 = self.schedule(h, spread)
        offs = sorted([0.0, spread] + [r.uniform(0, spread) for _ in range(n - 2)])
        ts = [self.ms(t0 + o) for o in offs]
        inten = n * 60.0 / max(0.001, ts[-1] - ts[0])
        pn = 0.0 if r.random() < 0.7 else 0.4
        ev = [(t, self.masked_cli(style, op, callee), callee, src, pn) for t in ts]
        self.put("refiled_masking", iid, inten, "%s;%s;cli=%s;n=%d%s" % (
            kind, var, style, n, ";natfmt" if pn else ""), ev)

    def atk_simbox(self, h, I, iid):
        r = self.r
        D = math.exp(r.uniform(math.log(10), math.log(50))) * 60.0
        target = math.exp(r.uniform(math.log(30), math.log(400)))
        D = max(480.0, min(D, target * 60.0 / (2 * I)))
        nsim = int(max(2, min(32, round(target / (I * D / 60.0)))))
        kind = "core" if r.random() < 0.7 else "nic"
        op = "H" if kind == "core" else wchoice(r, OTHER_W)
        flags = [f for f, p in (("rotation", 0.35), ("repeat", 0.35), ("intra", 0.3),
                                ("incoming", 0.35), ("human_pacing", 0.5),
                                ("multi_site", 0.2 if kind == "core" else 0.0)) if r.random() < p]
        if kind == "core":
            sites = [r.randrange(len(CORE))]
            if "multi_site" in flags:
                sites.append((sites[0] + 1 + r.randrange(len(CORE) - 1)) % len(CORE))
        nic_choice = r.choice(NIC_MNO[op]) if kind == "nic" else None

        def sim_src(i):
            if kind == "core":
                c = CORE[sites[i % len(sites)]]
                return (c[1][0], c[0])
            return (nic_choice[1][0], nic_choice[0])

        def new_sim():
            return self.fresh_pk_mobile(op)

        t0 = self.schedule(h, D)
        ev = []
        callees = []
        all_sims = []
        out_calls = 0
        active_s = 0.0
        gap = 60.0 / I
        for i in range(nsim):
            sim = new_sim()
            all_sims.append(sim)
            # stagger SIM start within the first tenth of the window
            s = t0 + r.uniform(0, 0.1 * D)
            e = t0 + D - r.uniform(0, 0.05 * D)
            active_s += e - s
            t = s
            used_on_sim = 0
            life = r.randint(8, 25)
            while True:
                if "human_pacing" in flags:
                    t += r.lognormvariate(math.log(gap) - 0.18, 0.6)
                    if r.random() < 0.05:
                        t += r.uniform(2, 6) * gap  # a pause, then catch up
                else:
                    t += r.expovariate(1.0 / gap)
                if t >= e:
                    break
                if "rotation" in flags and used_on_sim >= life:
                    sim = new_sim()
                    all_sims.append(sim)
                    used_on_sim, life = 0, r.randint(8, 25)
                x = r.random()
                if "intra" in flags and x < 0.04 and len(all_sims) > 1:
                    b = r.choice([s2 for s2 in all_sims if s2 != sim])
                elif "repeat" in flags and x < 0.14 and callees:
                    b = r.choice(callees)
                else:
                    b = self.pk_b(w_home=0.55, w_other=0.42, w_fixed=0.03, alpha=0.6)
                    callees.append(b)
                ev.append((t, sim, b, sim_src(i), 0.0))
                out_calls += 1
                used_on_sim += 1
                if "incoming" in flags and r.random() < 0.07:
                    a, src = self.caller_in()
                    ev.append((t + r.uniform(30, 600), a, sim, src, 0.1))
        inten = out_calls / max(1e-9, active_s / 60.0)
        if out_calls == 0:
            t = t0 + 1
            ev.append((t, all_sims[0], self.pk_b(), sim_src(0), 0.0))
            inten = 1.0 / (D / 60.0)
        self.put("simbox", iid, inten, "%s;sims=%d;sims_total=%d;minutes=%d%s" % (
            kind, nsim, len(all_sims), int(D / 60), "".join(";" + f for f in flags)), ev)

    def atk_cli_rotation(self, h, I, iid):
        r = self.r
        D = math.exp(r.uniform(math.log(45), math.log(400)))
        nd = int(max(4, min(120, round(I * D))))
        D = (nd - 1) / I
        kind = wchoice(r, [("enterprise", 0.4), ("pbx", 0.25), ("sip_peer", 0.35)])
        src, _ = self.attack_ingress(kind)
        style = wchoice(r, [("random_mobile", 0.4), ("ddi_block", 0.3), ("mixed", 0.3)])
        if style == "ddi_block":
            area = r.choice(["21", "42", "51"])
            clis = self.block(lambda: self.fixed(area), nd)
        elif style == "mixed":
            clis = [self.fresh_pk_mobile() if r.random() < 0.6 else self.uniq(self.fixed)
                    for _ in range(nd)]
        else:
            clis = [self.fresh_pk_mobile() for _ in range(nd)]
        reuse = r.random() < 0.3
        targets = "few" if r.random() < 0.1 else "many"
        few = [self.victim() for _ in range(r.randint(1, 5))]
        timing = r.choice(["even", "poisson", "bursty"])
        t0 = self.schedule(h, D)
        if timing == "even":
            offs = [D * i / (nd - 1) for i in range(nd)]
        elif timing == "poisson":
            offs = sorted([0.0, D] + [r.uniform(0, D) for _ in range(nd - 2)])
        else:  # bursts separated by pauses
            offs = sorted([0.0, D] + [r.choice([0.1, 0.35, 0.6, 0.85]) * D + r.uniform(0, 0.15) * D
                                      for _ in range(nd - 2)])
        ts = [self.ms(t0 + o) for o in offs]
        inten = (nd - 1) / max(0.001, ts[-1] - ts[0])
        ev = []
        pn = 0.0 if r.random() < 0.7 else 0.25
        for i, t in enumerate(ts):
            b = r.choice(few) if targets == "few" else self.pk_b(alpha=0.6)
            ev.append((t, clis[i], b, src, pn))
            if reuse and r.random() < 0.5:
                for _ in range(r.randint(1, 2)):
                    t2 = t + r.uniform(1, 0.5 * max(1.0, D / nd) + 5)
                    if t2 < ts[-1]:
                        ev.append((t2, clis[i], self.pk_b(alpha=0.6), src, pn))
        self.put("cli_rotation", iid, inten, "%s;cli=%s;timing=%s;targets=%s;distinct=%d%s%s" % (
            kind, style, timing, targets, nd, ";reuse" if reuse else "", ";natfmt" if pn else ""), ev)

    def atk_intl_local_cli(self, h, I, iid):
        r = self.r
        n = max(1, int(round(I)))
        gap = math.exp(r.uniform(math.log(2), math.log(120)))
        D = min(2400.0, gap * max(0, n - 1))
        style = wchoice(r, [("fresh_mobile", 0.35), ("hijacked_subscriber", 0.2),
                            ("fixed", 0.15), ("single_cli", 0.15), ("small_pool", 0.15)])
        pn = 0.0 if r.random() < 0.8 else 0.5
        t0 = self.schedule(h, D)
        src_trunk = self.igw()
        sticky = r.random() < 0.6
        single = self.fresh_pk_mobile("H") if r.random() < 0.5 else self.pick(self.home, 1.0)
        pool = [self.fresh_pk_mobile() for _ in range(r.randint(2, 6))]
        ev = []
        for i in range(n):
            t = t0 + (D * r.random() if n > 1 else 0.0)
            if style == "fresh_mobile":
                a = self.fresh_pk_mobile()
            elif style == "hijacked_subscriber":
                a = self.pick(self.home, 1.0)
            elif style == "fixed":
                a = self.uniq(self.fixed)
            elif style == "single_cli":
                a = single
            else:
                a = r.choice(pool)
            src = src_trunk if sticky else self.igw()
            ev.append((t, a, self.victim() if r.random() < 0.9 else self.pk_b(), src, pn))
        self.put("intl_local_cli", iid, float(n), "igw;cli=%s;n=%d%s%s" % (
            style, n, ";one_trunk" if sticky else ";spread_trunks", ";natfmt" if pn else ""), ev)

    def invalid_number(self, shape):
        r = self.r
        if shape == "trunk_prefix_mobile":      # +92 0 3xx xxxxxx (10-digit NSN)
            return "+920" + r.choice(HOME_PFX + OTHER_MNO["Z"] + OTHER_MNO["T"]) + digits(r, 6)
        if shape == "trunk_prefix_unassigned":  # +92 0 338 xxxxxxx
            return "+920" + r.choice(UNASSIGNED_MOBILE) + digits(r, 7)
        if shape == "trunk_prefix_fixed":       # +92 0 21 xxxxxxx
            return "+920" + r.choice(["21", "42"]) + str(r.randint(2, 9)) + digits(r, 6)
        if shape == "unassigned_mobile":        # +92 338 xxxxxxx
            return "+92" + r.choice(UNASSIGNED_MOBILE) + digits(r, 7)
        if shape == "unassigned_ndc":           # +92 20/27/1x ... ten digits
            return "+92" + r.choice(["20", "27", "28", "11", "13", "19"]) + digits(r, 8)
        if shape == "short_mobile":
            return "+92" + r.choice(HOME_PFX) + digits(r, 6)
        if shape == "long_mobile":
            return "+92" + r.choice(HOME_PFX) + digits(r, 8)
        if shape == "uan_without_area":
            return "+92111" + digits(r, 6)
        if shape == "double_cc":
            return "+9292" + r.choice(HOME_PFX) + digits(r, 7)
        if shape == "national_unassigned":
            return "0" + r.choice(UNASSIGNED_MOBILE) + digits(r, 7)
        raise ValueError(shape)

    def atk_invalid_cli(self, h, I, iid):
        r = self.r
        n = max(1, int(round(I)))
        shapes = ["trunk_prefix_mobile", "trunk_prefix_unassigned", "trunk_prefix_fixed",
                  "unassigned_mobile", "unassigned_ndc", "short_mobile", "long_mobile",
                  "uan_without_area", "double_cc", "national_unassigned"]
        mine = r.sample(shapes, 1 if r.random() < 0.6 else 2)
        kind = wchoice(r, [("nic_transit", 0.25), ("nic", 0.2), ("sip_peer", 0.25),
                           ("enterprise", 0.15), ("igw", 0.15)])
        src, _ = self.attack_ingress(kind)
        gap = math.exp(r.uniform(math.log(0.5), math.log(60)))
        D = min(2400.0, gap * max(0, n - 1))
        t0 = self.schedule(h, D)
        fixed_cli = r.random() < 0.3
        one = self.invalid_number(mine[0])
        ev = []
        for i in range(n):
            a = one if fixed_cli else self.invalid_number(r.choice(mine))
            t = t0 + (D * r.random() if n > 1 else 0.0)
            ev.append((t, a, self.victim() if r.random() < 0.8 else self.pk_b(), src, 0.0))
        self.put("invalid_cli", iid, float(n), "%s;shape=%s;n=%d%s" % (
            kind, "+".join(mine), n, ";one_cli" if fixed_cli else ""), ev)

    # ================================================================= write
    def finish(self):
        self.rows.sort(key=lambda x: (x[0], x[1]))
        ids = set()
        out = []
        for row in self.rows:
            while True:
                cid = "%08x-%04x-%04x@%s" % (self.r.getrandbits(32), self.r.getrandbits(16),
                                            self.r.getrandbits(16),
                                            "sbc%d.indus.example" % (self.r.randint(1, 6)))
                if cid not in ids:
                    ids.add(cid)
                    break
            out.append((cid,) + row)
        return out


def toml_list(xs):
    return "[" + ", ".join('"%s"' % x for x in xs) + "]"


def write_config(path, gen, bare):
    with open(path, "w", newline="\n") as f:
        f.write("[numbering]\n")
        f.write('country_code = "92"\n\n')
        f.write("[rules.intl_ingress_local_cli]\n")
        f.write("trunks = %s\n" % toml_list([t for t, _ in IGW]))
        f.write("sources = %s\n\n" % toml_list(IGW_CIDRS))
        f.write("[lists]\n")
        f.write("allow_b_numbers = %s\n" % toml_list([] if bare else gen.allow_b))
        f.write("allow_a_numbers = %s\n" % toml_list([] if bare else gen.allow_a))


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
    g.legit()
    g.attacks()
    rows = g.finish()
    with open(args.out, "w", newline="\n") as fc, open(args.labels, "w", newline="\n") as fl:
        fc.write("call_id,a_number,b_number,timestamp_ms,source_ip,trunk\n")
        fl.write("call_id,class,type,instance,intensity,variant\n")
        for cid, t, _seq, a, b, ip, trunk, lab in rows:
            fc.write("%s,%s,%s,%d,%s,%s\n" % (cid, a, b, t, ip, trunk))
            fl.write("%s,%s,%s,%s,%s,%s\n" % ((cid,) + lab))
    write_config(args.config, g, False)
    if args.bare_config:
        write_config(args.bare_config, g, True)
    if not args.quiet:
        n_att = sum(1 for r in rows if r[7][0] == "attack")
        sys.stderr.write("seed %d: %d calls (%d attack rows, %d instances)\n"
                         % (args.seed, len(rows), n_att, g.ninst))
    return 0


if __name__ == "__main__":
    sys.exit(main())
