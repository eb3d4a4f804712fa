# SPDX-License-Identifier: MIT OR Apache-2.0
"""Independent labelled synthetic CDR generator (gen12, India, +91).

Models the West-zone SBC cluster (Mumbai) of a fictional Indian access
provider, "Nivaan Telecom", that holds Unified Licence access, NLD and ILD
authorisations.  The SBC sees one INVITE per row from:

  * national POIs with the other access providers (Jio, Airtel, Vi, BSNL/MTNL),
  * NLD carriers (transit / long distance),
  * the operator's own ILD gateways (international inbound),
  * the operator's own mobile core (MSC-S / IMS S-CSCF, mobile originated),
  * the operator's telephony application server (call forwarding legs),
  * enterprise SIP trunks (PBXs with DDI blocks, call centres, bridges).

All numbers are logged in E.164 with a leading "+" (the SBC normalises the
national forms 0XXXXXXXXXX / XXXXXXXXXX on ingress).  Two hours of traffic
starting 2025-03-11 10:00 IST are written.  Every row carries a label:
legitimate classes (including look-alikes such as TV call-in lines, missed
call numbers, conference bridges, 140-series telemarketing header pools,
PBX DDI blocks, heavy users and Indian roamers calling home over ILD) and six
attack families (masking_burst, refiled_masking, simbox, cli_rotation,
intl_local_cli, invalid_cli).

Usage:
  python3 indep_gen12.py --seed S --out cdrs.csv --labels labels.csv \
      --config deploy.toml --bare-config bare.toml [--quiet]

Python 3 standard library only.  The same seed gives the same bytes (for a
given Python version).
"""

import argparse
import bisect
import datetime
import math
import random
import sys
import time

CC = "91"
T0_MS = int(datetime.datetime(2025, 3, 11, 4, 30, tzinfo=datetime.timezone.utc).timestamp() * 1000)
HOUR_MS = 3_600_000
DUR_MS = 2 * HOUR_MS

# ---------------------------------------------------------------- numbering
OWN_MOB_PREFIX = ["9819", "9820", "9867", "9930", "7738", "8879", "9004", "9167",
                  "8291", "7045", "9326", "7506"]
OTHER_MOB_PREFIX = ["7021", "7977", "8097", "8369", "9082", "9137", "6200", "6354",
                    "7208", "8928", "9987", "9769", "8850", "7303", "6302", "9594",
                    "7400", "8104", "9702", "9372", "9810", "9871", "9900", "9845",
                    "9444", "9884", "9830", "9433", "9949", "9703", "6280", "7986"]
# (STD code, allowed first digits of subscriber number) -- 2-digit metro codes
METRO_STD = [("22", "234567"), ("11", "234567"), ("33", "234"), ("44", "2346"),
             ("80", "234"), ("40", "234"), ("20", "2346"), ("79", "2346")]
STD3 = ["712", "253", "231", "240", "265", "261", "141", "522", "484", "866", "471"]

# foreign templates: (weight, prefix choices, digits after prefix)
FOREIGN = [
    (25, ["+97150", "+97152", "+97154", "+97155", "+97156", "+97158"], 7),   # UAE mobile
    (14, ["+96650", "+96653", "+96654", "+96655", "+96656", "+96659"], 7),   # Saudi mobile
    (6, ["+9743", "+9745", "+9746", "+9747"], 7),                           # Qatar
    (5, ["+9689"], 7),                                                      # Oman
    (14, ["+1212", "+1415", "+1646", "+1718", "+1732", "+1201", "+1469", "+1408"], "NANP"),
    (5, ["+1416", "+1647", "+1604", "+1905"], "NANP"),                      # Canada
    (9, ["+4478"], 8),                                    # UK mobile
    (6, ["+6590", "+6591", "+6592", "+6593", "+6594", "+6597", "+6598", "+6581", "+6582", "+6583",
          "+6584", "+6585", "+6586", "+6587", "+6588"], 6),                                               # Singapore
    (5, ["+6141", "+6140"], 7),                                             # Australia
    (3, ["+977984", "+977985", "+977986", "+977980"], 7),                   # Nepal
    (3, ["+88013", "+88017", "+88018", "+88019"], 8),                       # Bangladesh
]


class Gen:
    def __init__(self, seed):
        self.seed = seed
        self.r = random.Random(seed)
        self.rows = []
        self.seq = 0
        self.inst_counter = {}
        self._build_network()
        self._build_pools()

    # ------------------------------------------------------------ helpers
    def d(self, k):
        return str(self.r.randrange(10 ** k)).zfill(k)

    def lu(self, lo, hi):
        return math.exp(self.r.uniform(math.log(lo), math.log(hi)))

    def poisson(self, mean):
        if mean <= 0:
            return 0
        if mean < 30:
            L, k, p = math.exp(-mean), 0, 1.0
            while True:
                p *= self.r.random()
                if p <= L:
                    return k
                k += 1
        return max(0, int(round(self.r.gauss(mean, math.sqrt(mean)))))

    def wchoice(self, items, weights):
        return self.r.choices(items, weights=weights, k=1)[0]

    def pick_ip(self, ing):
        trunk, ips = ing
        return (self.r.choice(ips), trunk)

    def add(self, t, a, b, ing, cls="legit", typ="", inst="", inten="", var=""):
        t = int(t)
        if t < 0 or t >= DUR_MS:
            return False
        ip, trunk = self.pick_ip(ing)
        self.rows.append((t, self.seq, a, b, ip, trunk, cls, typ, inst, inten, var))
        self.seq += 1
        return True

    def steady_times(self, per_hour, t0=0, t1=DUR_MS, wobble=0.08):
        """Poisson arrivals with a slow +-wobble modulation (thinning)."""
        rate = per_hour / HOUR_MS * (1 + wobble)
        ph = self.r.uniform(0, 2 * math.pi)
        out = []
        t = t0
        while True:
            t += self.r.expovariate(rate)
            if t >= t1:
                break
            f = (1 + wobble * math.sin(2 * math.pi * t / DUR_MS + ph)) / (1 + wobble)
            if self.r.random() < f:
                out.append(int(t))
        return out

    # ------------------------------------------------------------ numbers
    def own_mobile_new(self):
        return "+91" + self.r.choice(OWN_MOB_PREFIX) + self.d(6)

    def other_mobile_new(self):
        return "+91" + self.r.choice(OTHER_MOB_PREFIX) + self.d(6)

    def fixed_new(self, metro_only=False):
        if metro_only or self.r.random() < 0.7:
            std, first = self.r.choice(METRO_STD)
            return "+91" + std + self.r.choice(first) + self.d(7)
        return "+91" + self.r.choice(STD3) + "2" + self.d(6)

    def foreign_new(self):
        w = [f[0] for f in FOREIGN]
        _, prefs, k = self.r.choices(FOREIGN, weights=w, k=1)[0]
        p = self.r.choice(prefs)
        if k == "NANP":
            return p + str(self.r.randrange(2, 10)) + self.d(2) + self.d(4)
        return p + self.d(k)

    def tollfree_new(self):
        return "+911800" + self.d(7)

    def any_indian_callee(self):
        x = self.r.random()
        if x < 0.40:
            return self.r.choice(self.own_mob)
        if x < 0.85:
            return self.r.choice(self.other_mob)
        return self.r.choice(self.fixed)

    def own_callee(self):
        if self.r.random() < 0.9:
            return self.r.choice(self.own_mob)
        return self.r.choice(self.own_fixed)

    # ------------------------------------------------------------ network
    def _build_network(self):
        r = self.r
        self.pois = {
            "JIO": ("POI-MUM-JIO-01", ["172.20.1.%d" % i for i in range(10, 14)]),
            "AIRTEL": ("POI-MUM-AIRTEL-01", ["172.20.2.%d" % i for i in range(10, 14)]),
            "VI": ("POI-MUM-VI-01", ["172.20.3.%d" % i for i in range(10, 13)]),
            "BSNL": ("POI-MUM-BSNL-01", ["172.20.4.10", "172.20.4.11"]),
            "MTNL": ("POI-MUM-MTNL-01", ["172.20.5.10"]),
        }
        self.poi_list = list(self.pois.values())
        self.poi_w = [40, 33, 18, 5, 4]
        self.nlds = [("NLD-TCL-MUM-01", ["172.21.1.10", "172.21.1.11"]),
                     ("NLD-SIFY-MUM-01", ["172.21.2.10"]),
                     ("NLD-BHARTI-MUM-02", ["172.21.3.10", "172.21.3.11"])]
        self.nld_w = [45, 20, 35]
        # ILD gateways.  deploy.toml lists trunks MUM-01, CHN-01, CHN-02 and
        # CIDRs 203.0.113.0/26, 198.51.100.64/27, 192.0.2.128/26.
        self.ilds = [("ILDGW-MUM-01", ["203.0.113.10", "203.0.113.11", "203.0.113.12", "203.0.113.13"]),
                     ("ILDGW-CHN-01", ["198.51.100.70", "198.51.100.71", "198.51.100.72"]),
                     ("ILDGW-CHN-02", ["198.51.100.200", "198.51.100.201"]),   # trunk listed, IP not in CIDR
                     ("", ["203.0.113.40", "203.0.113.41"]),                   # no trunk name, CIDR only
                     ("ILD-HUB-DEL-03", ["192.0.2.130", "192.0.2.131"])]       # trunk not listed, CIDR only
        self.ild_w = [40, 25, 10, 10, 15]
        self.core = [("MSC-MUM-01", ["10.10.1.11", "10.10.1.12"]),
                     ("MSC-MUM-02", ["10.10.2.11", "10.10.2.12"]),
                     ("IMS-SCSCF-MUM-01", ["10.10.11.21", "10.10.11.22"]),
                     ("IMS-SCSCF-PUN-01", ["10.10.12.21"])]
        self.core_w = [25, 25, 35, 15]
        self.tas = ("TAS-MUM-01", ["10.10.30.5", "10.10.30.6"])
        self.ent_ip_used = 0

    def new_ent(self, prefix):
        self.ent_ip_used += 1
        n = self.ent_ip_used
        return ("%s-%03d" % (prefix, n), ["10.200.%d.%d" % (n // 200, 10 + n % 200)])

    def _build_pools(self):
        r = self.r
        self.own_mob = [self.own_mobile_new() for _ in range(30000)]
        self.other_mob = [self.other_mobile_new() for _ in range(60000)]
        self.fixed = [self.fixed_new() for _ in range(15000)]
        self.own_fixed = ["+9122" + r.choice("46") + self.d(7) for _ in range(4000)]

    def poi(self):
        return self.wchoice(self.poi_list, self.poi_w)

    def nld(self):
        return self.wchoice(self.nlds, self.nld_w)

    def ild(self):
        return self.wchoice(self.ilds, self.ild_w)

    def corei(self):
        return self.wchoice(self.core, self.core_w)

    def random_caller(self, foreign_p=0.02):
        """A caller of the general public with the ingress it arrives on."""
        x = self.r.random()
        if x < foreign_p:
            return self.foreign_new(), self.ild()
        if x < 0.55:
            return self.r.choice(self.other_mob), self.poi()
        if x < 0.87:
            return self.r.choice(self.own_mob), self.corei()
        return self.r.choice(self.fixed), self.nld()

    # ================================================================ LEGIT
    def legit(self):
        r = self.r
        # --- national interconnect (POIs), ~17k/h
        typ = "national_interconnect"
        for t in self.steady_times(15000):
            a = r.choice(self.other_mob) if r.random() < 0.88 else r.choice(self.fixed)
            b = self.own_callee()
            ing = self.poi()
            self.add(t, a, b, ing, typ=typ, var="poi")
            if r.random() < 0.04:   # redial after no answer / busy
                self.add(t + r.randint(5000, 40000), a, b, ing, typ=typ, var="poi_redial")
        # --- NLD transit, ~3.5k/h
        for t in self.steady_times(3500):
            a = r.choice(self.other_mob) if r.random() < 0.7 else self.fixed_new()
            self.add(t, a, self.own_callee(), self.nld(), typ="nld_transit", var="nld")
        # --- mobile originated (own subscribers), ~10k/h
        for t in self.steady_times(9000):
            a = r.choice(self.own_mob)
            x = r.random()
            if x < 0.95:
                b = self.any_indian_callee()
            elif x < 0.98:
                b = self.tollfree_new()
            else:
                b = self.foreign_new()
            self.add(t, a, b, self.corei(), typ="mobile_originated", var="mo")
        # --- international inbound, ~2.8k/h
        for t in self.steady_times(2800):
            self.add(t, self.foreign_new(), self.own_callee(), self.ild(),
                     typ="international_inbound", var="ild_foreign_cli")
        # --- own / other Indian subscribers roaming abroad calling home: Indian CLI on ILD
        for t in self.steady_times(50):
            a = r.choice(self.own_mob) if r.random() < 0.7 else r.choice(self.other_mob)
            self.add(t, a, self.any_indian_callee() if r.random() < 0.3 else self.own_callee(),
                     self.ild(), typ="intl_inbound_roamer", var="outbound_roamer_calling_home")
        # --- foreign inbound roamers calling from our network
        for t in self.steady_times(300):
            b = self.any_indian_callee() if r.random() < 0.85 else self.foreign_new()
            self.add(t, self.foreign_new(), b, self.corei(), typ="inbound_roamer_local",
                     var="foreign_sim_roaming_in_india")
        # --- call forwarding legs
        for t in self.steady_times(700):
            x = r.random()
            a = self.foreign_new() if x < 0.05 else (self.fixed_new() if x < 0.2 else r.choice(self.other_mob) if x < 0.6 else r.choice(self.own_mob))
            if r.random() < 0.85:
                self.add(t, a, self.any_indian_callee(), self.tas, typ="call_forwarding", var="cfu_cfnr_own_tas")
            else:
                self.add(t, a, self.own_callee(), self.poi(), typ="call_forwarding", var="forwarded_by_other_operator")
        self.hotlines()
        self.bridges()
        self.call_centres()
        self.header_pools()
        self.pbxs()
        self.small_business()
        self.heavy_users()
        self.multi_caller()

    def hotlines(self):
        r = self.r
        # (name, number, base calls/s, bursts per hour, peak range, tau range s, listed)
        spec = [
            ("tv_contest_tollfree", self.tollfree_new(), 0.03, 2, (5, 30), (10, 30), True),
            ("tv_vote_line", "+91" + r.choice(OWN_MOB_PREFIX) + self.d(6), 0.01, 1, (5, 20), (20, 60), False),
            ("radio_callin", "+91224" + self.d(7), 0.02, 4, (2, 8), (10, 30), True),
            ("missed_call_bank_balance", "+91" + r.choice(OWN_MOB_PREFIX) + self.d(6), 0.25, 0, None, None, True),
            ("missed_call_campaign", "+91" + r.choice(OWN_MOB_PREFIX) + self.d(6), 0.08, 2, (2, 10), (20, 60), False),
            ("govt_helpline_tollfree", self.tollfree_new(), 0.12, 0, None, None, True),
            ("utility_outage_line", "+91226" + self.d(7), 0.02, 0.5, (2, 6), (120, 300), False),
        ]
        for name, num, base, bph, peak, tau, listed in spec:
            if listed:
                self.allow_b.append(num)
            times = self.steady_times(base * 3600, wobble=0.2)
            nb = self.poisson(bph * 2)
            for _ in range(nb):
                t0 = r.uniform(0, DUR_MS - 60000)
                pk = self.lu(*peak)
                tu = r.uniform(*tau)
                n = self.poisson(pk * tu)
                ramp = r.uniform(2, 8)
                for _ in range(n):
                    times.append(int(t0 + (r.uniform(0, ramp) + r.expovariate(1 / tu)) * 1000))
            recent = []
            for t in times:
                if recent and r.random() < 0.08:
                    a, ing = r.choice(recent[-200:])
                else:
                    a, ing = self.random_caller()
                    recent.append((a, ing))
                self.add(t, a, num, ing, typ="hotline_fanin", var=name + ("_listed" if listed else "_unlisted"))

    def bridges(self):
        r = self.r
        spec = [("+91226" + self.d(7), True, True), ("+91804" + self.d(7), True, False),
                ("+91114" + self.d(7), False, True), (self.tollfree_new(), False, False),
                ("+91404" + self.d(7), False, True), ("+91226" + self.d(7), False, False)]
        for num, big, listed in spec:
            if listed:
                self.allow_b.append(num)
            for slot in range(0, DUR_MS + 1, 15 * 60000):
                major = (slot // 60000) % 30 == 0
                if big:
                    n = int(self.lu(20, 250) if major else self.lu(5, 60))
                else:
                    if r.random() < 0.4:
                        continue
                    n = int(self.lu(3, 40) if major else self.lu(2, 12))
                for _ in range(n):
                    if r.random() < 0.75:
                        off = min(300, max(-180, r.gauss(40, 50)))
                    else:
                        off = r.uniform(-300, 600)
                    a, ing = self.random_caller(foreign_p=0.05)
                    self.add(slot + off * 1000, a, num, ing, typ="conference_bridge",
                             var=("large" if big else "small") + ("_listed" if listed else "_unlisted"))

    def call_centres(self):
        r = self.r
        kinds = ["140"] * 5 + ["160"] * 4 + ["fixed"] * 3 + ["tollfree"] * 2
        trunk = None
        for i, k in enumerate(kinds):
            if i % 2 == 0:
                trunk = self.new_ent("ENT-CC")
            if k == "140":
                cli = "+91140" + self.d(7)
            elif k == "160":
                cli = "+91160" + r.choice("01234") + self.d(6)
            elif k == "fixed":
                cli = "+9122" + r.choice("46") + self.d(7)
            else:
                cli = self.tollfree_new()
            listed = r.random() < 0.65
            if listed:
                self.allow_a.append(cli)
            rate = self.lu(0.02, 0.4)  # calls/s while active
            t = r.uniform(0, 20 * 60000)
            while t < DUR_MS:
                on = r.uniform(10, 50) * 60000
                for tt in self.steady_times(rate * 3600, int(t), int(min(DUR_MS, t + on)), wobble=0.3):
                    b = r.choice(self.other_mob) if r.random() < 0.6 else r.choice(self.own_mob)
                    self.add(tt, cli, b, trunk, typ="call_centre_outbound",
                             var="cli_%s%s" % (k, "_listed" if listed else "_unlisted"))
                t += on + r.uniform(3, 25) * 60000

    def header_pools(self):
        r = self.r
        for _ in range(2):
            trunk = self.new_ent("ENT-OBD")
            size = r.randint(30, 120)
            base = r.randrange(10 ** 7 - 200)
            pool = ["+91140" + str(base + i).zfill(7) for i in range(size)]
            for _ in range(r.randint(1, 3)):
                t0 = r.uniform(0, DUR_MS - 5 * 60000)
                dur = r.uniform(5, 15) * 60000
                rate = r.uniform(0.4, 1.6)
                rr = r.random() < 0.5
                for j, t in enumerate(self.steady_times(rate * 3600, int(t0), int(min(DUR_MS, t0 + dur)), wobble=0)):
                    a = pool[j % size] if rr else r.choice(pool)
                    self.add(t, a, r.choice(self.other_mob) if r.random() < 0.6 else r.choice(self.own_mob),
                             trunk, typ="telemarketing_header_pool",
                             var="obd_140_pool_%s" % ("round_robin" if rr else "random"))

    def pbxs(self):
        r = self.r
        self.pbx_list = []
        for i in range(40):
            trunk = self.new_ent("ENT-PBX")
            city = r.choice([("22", "6"), ("22", "4"), ("80", "4"), ("11", "4"), ("20", "6"), ("44", "4")])
            size = 1000 if i < 2 else r.choice([20, 100, 100, 100, 1000])
            width = 3 if size == 1000 else 2
            stem = "+91" + city[0] + city[1] + self.d(8 - 1 - width)
            ddis = [stem + str(j).zfill(width) for j in range(size)]
            if size == 20:
                ddis = ddis[:20]
            rate = r.uniform(0.15, 0.35) if i < 2 else self.lu(0.002, 0.08)
            main_share = r.choice([0.0, 0.2, 0.5, 0.9])
            self.pbx_list.append((trunk, ddis))
            # extension activity is skewed: a few busy extensions
            weights = [1.0 / (k + 1) ** 0.8 for k in range(size)]
            cum = []
            s = 0.0
            for w in weights:
                s += w
                cum.append(s)
            for t in self.steady_times(rate * 3600, wobble=0.2):
                if r.random() < main_share:
                    a = ddis[0]
                else:
                    a = ddis[bisect.bisect_left(cum, r.random() * s)]
                self.add(t, a, self.any_indian_callee(), trunk, typ="pbx_ddi",
                         var="ddi_block_%d" % size)

    def small_business(self):
        r = self.r
        for i in range(150):
            if r.random() < 0.5:
                ing = ("mobile", None)
                clis = [r.choice(self.own_mob) for _ in range(r.randint(1, 2))]
            else:
                ing = self.new_ent("ENT-SB")
                clis = ["+9122" + r.choice("46") + self.d(7) for _ in range(r.randint(1, 3))]
            customers = [self.any_indian_callee() for _ in range(r.randint(5, 40))]
            for _ in range(self.poisson(1.0)):
                t0 = r.uniform(0, DUR_MS)
                dur = r.uniform(5, 30) * 60000
                rate = r.uniform(0.5, 3)
                for t in self.steady_times(rate * 60, int(t0), int(min(DUR_MS, t0 + dur)), wobble=0):
                    b = r.choice(customers) if r.random() < 0.5 else self.any_indian_callee()
                    g = self.corei() if ing[1] is None else ing
                    self.add(t, r.choice(clis), b, g, typ="small_business",
                             var="mobile_shop" if ing[1] is None else "sip_trunk_office")

    def heavy_users(self):
        r = self.r
        for _ in range(self.poisson(60)):
            own = r.random() < 0.7
            a = r.choice(self.own_mob) if own else r.choice(self.other_mob)
            fixed_ing = None if own else self.poi()
            t = r.uniform(-10 * 60000, DUR_MS)
            end = t + self.lu(10, 60) * 60000
            rate = r.uniform(0.7, 3.0)
            contacts = []
            while True:
                t += max(15000, r.expovariate(rate / 60000))
                if t >= end:
                    break
                if contacts and r.random() < 0.3:
                    b = r.choice(contacts)
                else:
                    b = self.any_indian_callee() if own else self.own_callee()
                    contacts.append(b)
                self.add(t, a, b, self.corei() if own else fixed_ing, typ="heavy_user",
                         var="sales_or_broker_" + ("own_sub" if own else "other_op_sub"))

    def multi_caller(self):
        r = self.r
        for _ in range(self.poisson(200)):
            b = self.own_callee()
            t0 = r.uniform(0, DUR_MS)
            span = r.uniform(20, 120) * 1000
            for _ in range(r.randint(3, 5)):
                a, ing = self.random_caller()
                self.add(t0 + r.uniform(0, span), a, b, ing, typ="multi_caller_callee",
                         var="several_people_call_one_person")

    # ================================================================ ATTACKS
    def inst_id(self, fam):
        k = self.inst_counter.get(fam, 0) + 1
        self.inst_counter[fam] = k
        return "%s-%03d" % (fam, k)

    def starts(self, dur_ms):
        """Hour index for each instance: 20-30 instances in each of the two hours."""
        out = []
        for h in range(2):
            for _ in range(self.r.randint(20, 30)):
                out.append(h)
        return out

    def start_in_hour(self, h, dur_ms):
        lo = h * HOUR_MS
        hi = min((h + 1) * HOUR_MS, DUR_MS - dur_ms - 1)
        return int(self.r.uniform(lo, max(lo, hi)))

    def invented_mobile(self):
        return "+91" + self.r.choice(OWN_MOB_PREFIX + OTHER_MOB_PREFIX) + self.d(6)

    def cli_source(self, kind, n, seqbase=None):
        r = self.r
        if kind == "invented_mobile":
            return [self.invented_mobile() for _ in range(n)]
        if kind == "harvested_subscribers":
            return r.sample(self.own_mob, n // 2) + r.sample(self.other_mob, n - n // 2)
        if kind == "sequential_block":
            stem = "+91" + r.choice(OTHER_MOB_PREFIX + OWN_MOB_PREFIX)
            base = r.randrange(0, 10 ** 6 - n - 1)
            return [stem + str(base + i).zfill(6) for i in range(n)]
        if kind == "fixed_lines":
            return [self.fixed_new() for _ in range(n)]
        if kind == "foreign":
            return [self.foreign_new() for _ in range(n)]
        raise ValueError(kind)

    @staticmethod
    def clip(calls):
        return sorted([c for c in calls if 0 <= c[0] < DUR_MS], key=lambda c: c[0])

    def emit(self, fam, inst, inten, var, calls):
        for t, a, b, ing in calls:
            ok = self.add(t, a, b, ing, cls="attack", typ=fam, inst=inst, inten=inten, var=var)
            assert ok, (fam, inst, t)

    def masking_burst(self):
        r = self.r
        for h in self.starts(0):
            fam = "masking_burst"
            rate = self.lu(0.2, 30)
            n = r.randint(5, 40)
            gaps = [max(1.0, r.expovariate(rate / 1000.0)) for _ in range(n - 1)]
            span = sum(gaps)
            t0 = self.start_in_hour(h, int(span) + 10)
            route = r.choice(["poi_single", "poi_spread", "nld_single", "enterprise_trunk", "ild_foreign_cli"])
            if route == "ild_foreign_cli":
                src = "foreign"
            else:
                src = r.choice(["invented_mobile", "harvested_subscribers", "sequential_block", "fixed_lines"])
            clis = list(dict.fromkeys(self.cli_source(src, n + 5)))[:n]
            while len(clis) < n:
                clis.append(self.invented_mobile())
                clis = list(dict.fromkeys(clis))
            b = self.own_callee()
            if route == "poi_single":
                ings = [self.poi()]
            elif route == "poi_spread":
                ings = self.poi_list + self.nlds
            elif route == "nld_single":
                ings = [self.nld()]
            elif route == "enterprise_trunk":
                ings = [self.new_ent("ENT-SIP")]
            else:
                ings = [self.ild()]
            calls = []
            t = float(t0)
            for i in range(n):
                if i:
                    t += gaps[i - 1]
                calls.append((int(t), clis[i], b, r.choice(ings)))
            ts = [c[0] for c in calls]
            inten = (n - 1) / ((ts[-1] - ts[0]) / 1000.0)
            self.emit(fam, self.inst_id(fam), "%.4f" % inten, "%s_%s" % (route, src), calls)

    def refiled_masking(self):
        r = self.r
        for h in self.starts(0):
            fam = "refiled_masking"
            n = r.randint(2, 8)
            span = int(self.lu(5, 300) * 1000)
            t0 = self.start_in_hour(h, span + 10)
            offs = [0, span] + sorted(r.randint(1, span - 1) for _ in range(n - 2))
            offs.sort()
            route = r.choice(["nld_transit", "nld_transit", "poi_access_provider"])
            src = r.choice(["invented_mobile", "harvested_subscribers", "fixed_lines"])
            clis = list(dict.fromkeys(self.cli_source(src, n + 3)))[:n]
            b = self.own_callee()
            ing = self.nld() if route == "nld_transit" else self.poi()
            if r.random() < 0.3:   # each retry refiled over a different carrier
                ings = [self.nld() if r.random() < 0.6 else self.poi() for _ in range(n)]
                route += "_carrier_hop"
            else:
                ings = [ing] * n
            calls = [(t0 + o, clis[i], b, ings[i]) for i, o in enumerate(offs)]
            inten = (n - 1) / ((offs[-1] - offs[0]) / 60000.0)
            self.emit(fam, self.inst_id(fam), "%.4f" % inten, "%s_%s" % (route, src), calls)

    def simbox(self):
        r = self.r
        for h in self.starts(0):
            fam = "simbox"
            sims = int(round(self.lu(1, 32)))
            rate = self.lu(0.2, 12)   # calls/min/SIM
            dur = self.lu(5, 60)      # minutes
            cap = 350
            if sims * rate * dur > cap:
                dur = max(5.0, cap / (sims * rate))
                if sims * rate * dur > cap:
                    sims = max(1, int(cap / (rate * dur)))
            dur_ms = int(dur * 60000)
            t0 = self.start_in_hour(h, dur_ms + int(3 * 60000.0 / rate) + 60000)
            route = r.choice(["own_sims_one_msc", "own_sims_one_msc", "own_sims_two_nodes", "other_op_sims_poi"])
            batch = r.random() < 0.5
            if route == "other_op_sims_poi":
                stem_pool = OTHER_MOB_PREFIX
            else:
                stem_pool = OWN_MOB_PREFIX
            if batch:
                stem = "+91" + r.choice(stem_pool)
                base = r.randrange(0, 10 ** 6 - 100)
                msisdns = [stem + str(base + i * r.randint(1, 3)).zfill(6) for i in range(sims)]
                msisdns = list(dict.fromkeys(msisdns))
            else:
                msisdns = ["+91" + r.choice(stem_pool) + self.d(6) for _ in range(sims)]
                msisdns = list(dict.fromkeys(msisdns))
            if route == "own_sims_one_msc":
                ings = [self.corei()]
            elif route == "own_sims_two_nodes":
                ings = r.sample(self.core, 2)
            else:
                ings = [self.poi()]
            humanlike = r.random() < 0.5
            calls = []
            mean_gap = 60000.0 / rate
            for m in msisdns:
                ing = r.choice(ings)
                t = t0 + r.uniform(0, min(60000, mean_gap))
                k = 0
                while True:
                    if humanlike:
                        g = r.expovariate(1 / mean_gap)
                    else:
                        g = r.gauss(mean_gap, 0.25 * mean_gap)
                    g = max(2000.0, g)
                    if k >= 2 and t - t0 > dur_ms:
                        break
                    calls.append((int(t), m, self.any_indian_callee() if route != "other_op_sims_poi" else self.own_callee(), ing))
                    k += 1
                    t += g
                    if t - t0 > dur_ms and k >= 2:
                        break
            calls = self.clip(calls)
            span_min = (calls[-1][0] - calls[0][0]) / 60000.0
            inten = len(calls) / len(set(c[1] for c in calls)) / span_min
            var = "%s_%s_%s_%dsims" % (route, "msisdn_batch" if batch else "scattered_msisdn",
                                       "expo_pacing" if humanlike else "regular_pacing", len(msisdns))
            self.emit(fam, self.inst_id(fam), "%.4f" % inten, var, calls)

    def cli_rotation(self):
        r = self.r
        for h in self.starts(0):
            fam = "cli_rotation"
            rate = self.lu(0.1, 40)   # new CLIs per second
            dur = r.uniform(60, 120)
            if rate / 0.9 * dur > 250:
                dur = max(10.0, 250 * 0.9 / rate)
            if rate * dur < 10:
                dur = min(600.0, 10 / rate)
            dur_ms = int(dur * 1000)
            t0 = self.start_in_hour(h, dur_ms + 5000)
            srcmode = r.choice(["hijacked_pbx", "hijacked_pbx", "rogue_sip_trunk"])
            if srcmode == "hijacked_pbx":
                trunk, ddis = r.choice(self.pbx_list)
            else:
                trunk, ddis = self.new_ent("ENT-SIP"), None
            kind = r.choice(["invented_mobile", "harvested_subscribers", "sequential_block", "ddi_lookalike"])
            nmax = int(rate * dur * 1.3) + 20
            if kind == "ddi_lookalike":
                stem = (ddis[0][:-4] if ddis else "+91226" + self.d(3))
                base = r.randrange(0, 9000)
                pool = [stem + str(base + i).zfill(4) for i in range(nmax)]
                pool = [p for p in pool if len(p) == 13 and (ddis is None or p not in ddis)]
                if len(pool) < nmax:
                    pool += self.cli_source("invented_mobile", nmax - len(pool))
            else:
                pool = self.cli_source(kind, nmax)
            pool = list(dict.fromkeys(pool))
            call_rate = rate / 0.9 / 1000.0
            calls, used = [], []
            t = float(t0)
            pi = 0
            while t - t0 <= dur_ms and pi < len(pool):
                if used and r.random() < 0.1:
                    a = r.choice(used)
                else:
                    a = pool[pi]
                    pi += 1
                    used.append(a)
                calls.append((int(t), a, self.any_indian_callee(), trunk))
                t += max(1.0, r.expovariate(call_rate))
            if len(set(c[1] for c in calls)) < 2:
                calls.append((int(t), pool[pi], self.any_indian_callee(), trunk))
            calls = self.clip(calls)
            distinct = len(set(c[1] for c in calls))
            span_s = (calls[-1][0] - calls[0][0]) / 1000.0
            inten = (distinct - 1) / span_s
            self.emit(fam, self.inst_id(fam), "%.4f" % inten, "%s_%s" % (srcmode, kind), calls)

    def intl_local_cli(self):
        r = self.r
        covered = self.ilds  # every gateway is covered by the trunk list or the CIDR list
        for h in self.starts(0):
            fam = "intl_local_cli"
            n = max(1, int(round(self.lu(1, 80))))
            dur_ms = int(self.lu(1, 30) * 60000) if n > 1 else 0
            t0 = self.start_in_hour(h, dur_ms + 1000)
            gw = r.choice(covered)
            kind = r.choice(["own_subscriber_harvested", "other_operator_mobile", "fixed_line",
                             "callee_own_number", "sequential_block", "invented_mobile"])
            one_callee = r.random() < 0.25
            b1 = self.own_callee()
            calls = []
            clis = None
            if kind == "sequential_block":
                clis = self.cli_source("sequential_block", n)
            for i in range(n):
                t = t0 + (0 if i == 0 else r.randint(0, dur_ms))
                b = b1 if one_callee else self.own_callee()
                if kind == "own_subscriber_harvested":
                    a = r.choice(self.own_mob)
                elif kind == "other_operator_mobile":
                    a = r.choice(self.other_mob)
                elif kind == "fixed_line":
                    a = r.choice(self.fixed)
                elif kind == "callee_own_number":
                    a = b
                elif kind == "sequential_block":
                    a = clis[i]
                else:
                    a = self.invented_mobile()
                calls.append((t, a, b, gw))
            var = "%s_%s_%s" % (gw[0] or "untrunked_gw", kind, "one_callee" if one_callee else "many_callees")
            self.emit(fam, self.inst_id(fam), "%d" % n, var, calls)

    def invalid_number(self, kind):
        r = self.r
        if kind == "trunk_prefix_in_nsn":
            return "+910" + r.choice(["22", "11", "80", "33", "20"]) + r.choice("2346") + self.d(6)
        if kind == "unassigned_level":
            return "+91" + r.choice(["50", "10"]) + self.d(8)
        if kind == "fixed_sn_starting_0_or_1":
            return "+91" + r.choice(["22", "11", "33", "44", "40", "20"]) + r.choice("01") + self.d(7)
        if kind == "mobile_9_digits":
            return "+91" + r.choice(OWN_MOB_PREFIX + OTHER_MOB_PREFIX) + self.d(5)
        if kind == "mobile_11_digits":
            return "+91" + r.choice(OWN_MOB_PREFIX + OTHER_MOB_PREFIX) + self.d(7)
        raise ValueError(kind)

    def invalid_cli(self):
        r = self.r
        for h in self.starts(0):
            fam = "invalid_cli"
            n = max(1, int(round(self.lu(1, 40))))
            dur_ms = int(self.lu(0.5, 20) * 60000) if n > 1 else 0
            t0 = self.start_in_hour(h, dur_ms + 1000)
            kind = r.choice(["trunk_prefix_in_nsn", "unassigned_level", "fixed_sn_starting_0_or_1",
                             "mobile_9_digits", "mobile_11_digits"])
            route = r.choice(["poi", "nld", "enterprise_trunk", "ild"])
            ing = {"poi": self.poi, "nld": self.nld, "ild": self.ild}.get(route, lambda: self.new_ent("ENT-SIP"))()
            fixed_cli = r.random() < 0.3
            a1 = self.invalid_number(kind)
            calls = []
            for i in range(n):
                t = t0 + (0 if i == 0 else r.randint(0, dur_ms))
                a = a1 if fixed_cli else self.invalid_number(kind)
                calls.append((t, a, self.own_callee(), ing))
            var = "%s_%s_%s" % (route, kind, "same_cli" if fixed_cli else "random_cli")
            self.emit(fam, self.inst_id(fam), "%d" % n, var, calls)

    # ================================================================ output
    def run(self):
        self.allow_a, self.allow_b = [], []
        self.legit()
        self.masking_burst()
        self.refiled_masking()
        self.simbox()
        self.cli_rotation()
        self.intl_local_cli()
        self.invalid_cli()
        self.rows.sort(key=lambda x: (x[0], x[1]))
        # stale entries an operator list typically carries
        self.allow_b.append(self.tollfree_new())
        self.allow_a.append("+91140" + self.d(7))

    def write(self, out, labels, config, bare):
        r = random.Random(self.seed * 7919 + 1)
        seen = set()
        with open(out, "w", newline="") as fo, open(labels, "w", newline="") as fl:
            fo.write("call_id,a_number,b_number,timestamp_ms,source_ip,trunk\n")
            fl.write("call_id,class,type,instance,intensity,variant\n")
            for row in self.rows:
                t, _, a, b, ip, trunk, cls, typ, inst, inten, var = row
                while True:
                    cid = "%016x@sbc-mum" % r.getrandbits(64)
                    if cid not in seen:
                        seen.add(cid)
                        break
                fo.write("%s,%s,%s,%d,%s,%s\n" % (cid, a, b, T0_MS + t, ip, trunk))
                fl.write("%s,%s,%s,%s,%s,%s\n" % (cid, cls, typ, inst, inten, var))

        def toml(allow_b, allow_a):
            q = lambda xs: "[" + ", ".join('"%s"' % x for x in xs) + "]"
            return ("[numbering]\ncountry_code = \"91\"\n\n"
                    "[rules.intl_ingress_local_cli]\n"
                    "trunks = [\"ILDGW-MUM-01\", \"ILDGW-CHN-01\", \"ILDGW-CHN-02\"]\n"
                    "sources = [\"203.0.113.0/26\", \"198.51.100.64/27\", \"192.0.2.128/26\"]\n\n"
                    "[lists]\n"
                    "allow_b_numbers = %s\n"
                    "allow_a_numbers = %s\n" % (q(allow_b), q(allow_a)))
        with open(config, "w") as f:
            f.write(toml(self.allow_b, self.allow_a))
        if not bare:
            return
        with open(bare, "w") as f:
            f.write(toml([], []))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--labels", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--bare-config")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args()
    t = time.time()
    g = Gen(a.seed)
    g.run()
    g.write(a.out, a.labels, a.config, a.bare_config)
    if not a.quiet:
        att = sum(1 for x in g.rows if x[6] == "attack")
        print("seed %d: %d rows (%d attack), instances %s, %.1fs" % (
            a.seed, len(g.rows), att, dict(sorted(g.inst_counter.items())), time.time() - t),
            file=sys.stderr)


if __name__ == "__main__":
    main()
