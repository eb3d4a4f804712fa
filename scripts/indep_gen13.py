# SPDX-License-Identifier: MIT OR Apache-2.0
"""Independent labelled synthetic CDR generator (gen13): Bangladesh (+880).

Models the SBC of a Bangladeshi mobile operator (ANS licensee, number ranges
014 and 019) in Dhaka.  Under BTRC's ILDTS structure every call between
operators passes an ICX (interconnection exchange); international traffic
enters through IGW operators and reaches the operator on dedicated
international trunk groups (one group per IGW).  The SBC also faces the
operator's own mobile core (IMS / MSS) and a few enterprise SIP trunks.

Two hours of INVITEs (about 57k per hour) are written to cdrs.csv together
with a label per row (labels.csv), an operator configuration (deploy.toml)
and the same configuration with empty allow lists (bare.toml).

All numbers are logged in E.164 with a leading '+': the SBC normalises the
national (01XXXXXXXXX), international (00...) and ICX forms on ingress.

Usage:
  python3 indep_gen13.py --seed S --out cdrs.csv --labels labels.csv \
      --config deploy.toml [--bare-config bare.toml] [--quiet]

Python 3 standard library only.  A seed always gives the same bytes.
"""

import argparse
import math
import random
import sys

START_MS = 1710248400000          # 2024-03-12 13:00:00 UTC = 19:00 Dhaka (UTC+6)
HOUR = 3_600_000
DUR = 2 * HOUR

# ---------------------------------------------------------------- network --
CORE = [("core_ims_dhk1", "10.61.0.11"), ("core_ims_dhk2", "10.61.0.12"),
        ("core_mss_dhk1", "10.61.4.21"), ("core_mss_ctg1", "10.62.0.21")]
CORE_W = [0.35, 0.30, 0.20, 0.15]

# ICX operators (domestic inter-operator traffic), two SBC-facing IPs each.
ICX = [("icx_mnh_dom", ["103.15.40.10", "103.15.40.11"]),
       ("icx_getco_dom", ["103.26.136.20", "103.26.136.21"]),
       ("icx_novo_dom", ["103.48.16.30", "103.48.16.31"]),
       ("icx_cloudtel_dom", ["103.92.84.40", "103.92.84.41"]),
       ("icx_sheba_dom", ["103.106.236.50", "103.106.236.51"]),
       ("icx_bangla_dom", ["103.230.104.60", "103.230.104.61"])]
ICX_W = [0.24, 0.20, 0.18, 0.15, 0.13, 0.10]

# International trunk groups, one per IGW operator (handed over via ICX
# international routes under ILDTS; identified by the IGW's peer range).
IGW = [("igw_btcl_intl", "203.112.192.0/26", ["203.112.192.5", "203.112.192.6"]),
       ("igw_mir_intl", "103.4.108.0/28", ["103.4.108.3", "103.4.108.4"]),
       ("igw_banglatrac_intl", "103.218.24.0/28", ["103.218.24.3", "103.218.24.4"]),
       ("igw_novotel_intl", "103.9.112.0/28", ["103.9.112.5", "103.9.112.6"]),
       ("igw_unique_intl", "103.67.156.0/28", ["103.67.156.2", "103.67.156.3"])]
IGW_W = [0.26, 0.22, 0.20, 0.18, 0.14]
# A backup route of one IGW arrives without a trunk name (address only).
IGW_NOTRUNK_IP = "103.4.108.9"

ENT = [("ent_bank1_cc", "202.4.96.10"), ("ent_bank2_cc", "202.4.97.14"),
       ("ent_mfs1_cc", "114.130.54.20"), ("ent_ecom1_cc", "114.130.55.7"),
       ("ent_insur1_cc", "202.84.42.9"), ("ent_hosp1_pbx", "202.84.43.30"),
       ("ent_textile1_pbx", "103.197.204.5"), ("ent_textile2_pbx", "103.197.205.8"),
       ("ent_pharma1_pbx", "180.92.224.12"), ("ent_soft1_pbx", "180.92.225.40"),
       ("ent_travel1_pbx", "202.191.120.15"), ("ent_univ1_pbx", "202.191.121.22"),
       ("ent_ngo1_pbx", "123.200.0.45"), ("ent_realestate1_pbx", "123.200.1.60"),
       ("ent_logistics1_pbx", "103.133.132.9"), ("ent_garments3_pbx", "103.133.133.11"),
       ("ent_hotel1_pbx", "45.125.220.30"), ("ent_school1_pbx", "45.125.221.33"),
       ("ent_ivr1_bcast", "103.151.60.10"), ("ent_smb_sip1", "103.151.61.70")]

# ------------------------------------------------------------- numbering --
HOME_PFX = ["19", "19", "19", "14"]                   # home operator (ANS)
OTHER_PFX = ["17", "17", "17", "13", "13", "18", "18", "16", "15"]  # GP, Robi, Airtel, Teletalk
FOREIGN = [  # (weight, prefixes, digits after prefix) - diaspora source countries
    (25, ["+96650", "+96653", "+96654", "+96655", "+96656", "+96658", "+96659"], 7),   # Saudi Arabia
    (15, ["+97150", "+97152", "+97154", "+97155", "+97156", "+97158"], 7),             # UAE
    (12, ["+6012", "+6016", "+6019"], 7),                                    # Malaysia
    (8, ["+9689"], 7),                                                                # Oman
    (6, ["+9743", "+9745", "+9746", "+9747"], 7),                                     # Qatar
    (4, ["+96550", "+96555", "+96590", "+96597"], 6),                                             # Kuwait
    (4, ["+6581", "+6582", "+6583", "+6591", "+6592"], 6),                           # Singapore
    (8, ["+4474", "+4475", "+4478"], 8),                                    # UK
    (6, ["+1212", "+1718", "+1347", "+1917", "+1646", "+1201", "+1313"], 7),         # USA
    (4, ["+39320", "+39328", "+39333", "+39347", "+39348", "+39349"], 7),            # Italy
    (6, ["+9198", "+9197", "+9196", "+9199", "+9170", "+9181"], 8),                  # India
    (2, ["+97333", "+97336", "+97339"], 6),                                          # Bahrain
]
FOREIGN_W = [f[0] for f in FOREIGN]


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.seed = seed
        self.rows = []
        self.seq = 0
        r = self.r
        self.home_pool = [self.home_mobile() for _ in range(60000)]
        self.other_pool = [self.other_mobile() for _ in range(150000)]
        self.used_b = {}

    # --- numbers
    def rd(self, k):
        return str(self.r.randrange(10 ** k)).zfill(k)

    def home_mobile(self):
        return "+880" + self.r.choice(HOME_PFX) + self.rd(8)

    def other_mobile(self):
        return "+880" + self.r.choice(OTHER_PFX) + self.rd(8)

    def bd_fixed(self):
        # Dhaka 02-55xxxxxx / 02-41xxxxxx (8 digit local numbers)
        return "+8802" + self.r.choice(["55", "41"]) + self.rd(6)

    def iptsp(self):   # 096XX-XXXXXX IP telephony numbers
        return "+88096" + self.r.choice(["12", "66", "78", "09", "13", "38", "39", "44", "77"]) + self.rd(6)

    def foreign(self):
        f = self.r.choices(FOREIGN, weights=FOREIGN_W)[0]
        p = self.r.choice(f[1])
        if p.startswith("+1"):
            return p + self.r.choice("23456789") + self.rd(6)
        return p + self.rd(f[2])

    def caller_pool_other(self):
        return self.r.choice(self.other_pool)

    def callee_home(self):
        # ~2% of home-served subscribers are ported in (MNP since 2018)
        if self.r.random() < 0.02:
            return self.r.choice(self.other_pool)
        return self.r.choice(self.home_pool)

    def any_bd_mobile(self):
        return self.r.choice(self.home_pool) if self.r.random() < 0.35 else self.r.choice(self.other_pool)

    # --- ingress choice
    def core(self):
        return self.r.choices(CORE, weights=CORE_W)[0]

    def icx_ing(self):
        t, ips = self.r.choices(ICX, weights=ICX_W)[0]
        i = self.r.randrange(len(ips))
        return (t + "_" + str(i + 1), ips[i])

    def igw_ing(self):
        if self.r.random() < 0.04:
            return ("", IGW_NOTRUNK_IP)
        t, _c, ips = self.r.choices(IGW, weights=IGW_W)[0]
        return (t, self.r.choice(ips))

    # --- emit
    def add(self, t, a, b, ing, cls, typ, inst="", inten="", var=""):
        t = int(t)
        if t < 0 or t >= DUR:
            return False
        self.seq += 1
        self.rows.append((t, self.seq, a, b, ing[1], ing[0], cls, typ, inst, inten, var))
        return True

    def times(self, per_hour, t0=0, t1=DUR, shape=True):
        """Poisson number of arrivals, evening shape (slight rise to 20:30)."""
        r = self.r
        mean = per_hour * (t1 - t0) / HOUR
        n = max(0, int(round(r.gauss(mean, math.sqrt(mean))))) if mean > 0 else 0
        out = []
        while len(out) < n:
            t = r.uniform(t0, t1)
            if shape:
                m = 0.9 + 0.1 * math.sin(math.pi * t / DUR)   # peak mid-window
                if r.random() > m:
                    continue
            out.append(t)
        out.sort()
        return out


# ----------------------------------------------------------------- legit --
def legit(g):
    r = g.r
    L = "legit"
    # national interconnect: other operators' subscribers -> home subscribers via ICX
    for t in g.times(15300):
        x = r.random()
        a = g.caller_pool_other() if x < 0.965 else r.choice(g.home_pool)  # ported-out home numbers
        g.add(t, a, g.callee_home(), g.icx_ing(), L, "national_interconnect",
              var="ported_out_cli" if x >= 0.965 else "icx_domestic")
    # home core origination (on-net and off-net), SBC sees core leg
    for t in g.times(9800):
        a = r.choice(g.home_pool)
        b = r.choice(g.home_pool) if r.random() < 0.45 else r.choice(g.other_pool)
        g.add(t, a, b, g.core(), L, "mobile_core_origination", var="home_subscriber")
    # international inbound (diaspora) on IGW trunk groups, with retries
    for t in g.times(7200):
        a, b = g.foreign(), g.callee_home()
        ing = g.igw_ing()
        g.add(t, a, b, ing, L, "international_inbound", var="igw")
        if r.random() < 0.15:     # retry after failure / dropped call
            for _ in range(r.randint(1, 3)):
                t += r.uniform(8000, 60000)
                g.add(t, a, b, ing, L, "international_inbound", var="igw_retry")
    # transit: BTCL fixed and IPTSP numbers through the ICX
    for t in g.times(2400):
        a = g.bd_fixed() if r.random() < 0.4 else g.iptsp()
        g.add(t, a, g.callee_home(), g.icx_ing(), L, "transit_fixed_iptsp", var="via_icx")
    legit_fanin(g)
    legit_fanout(g)
    legit_misc(g)


def any_caller(g):
    r = g.r
    x = r.random()
    if x < 0.5:
        return r.choice(g.home_pool), g.core()
    if x < 0.95:
        return g.caller_pool_other(), g.icx_ing()
    return g.foreign(), g.igw_ing()


def legit_fanin(g):
    r = g.r
    # hotlines: toll-free and mobile-number hotlines hosted by the operator
    g.hotlines = ["+880800" + g.rd(7) for _ in range(3)] + ["+8801" + "9" + g.rd(8) for _ in range(3)]
    for h in g.hotlines:
        for t in g.times(r.uniform(220, 420)):
            a, ing = any_caller(g)
            g.add(t, a, h, ing, "legit", "hotline", var="customer_hotline")
    # radio/TV live call-in shows: base rate plus bursts after on-air prompts
    g.callins = ["+88019" + g.rd(8) for _ in range(3)]
    for i, c in enumerate(g.callins):
        t0 = r.uniform(0, DUR - 40 * 60000)
        t1 = t0 + r.uniform(25, 40) * 60000
        for t in g.times(r.uniform(700, 1300), t0, t1, shape=False):
            a, ing = any_caller(g)
            g.add(t, a, c, ing, "legit", "tv_radio_callin", var="live_show")
        for _ in range(r.randint(3, 6)):
            bt = r.uniform(t0, t1)
            rate = r.uniform(4, 25)
            n = int(rate * r.uniform(3, 10))
            for k in range(n):
                a, ing = any_caller(g)
                g.add(bt + r.uniform(0, n / rate * 1000), a, c, ing, "legit", "tv_radio_callin",
                      var="on_air_prompt_burst")
    # conference bridges: joins around :00 and :30
    g.bridges = ["+880800" + g.rd(7) for _ in range(2)] + ["+88019" + g.rd(8)]
    for slot in range(0, DUR, 30 * 60000):
        for _ in range(r.randint(3, 7)):
            br = r.choice(g.bridges)
            centre = slot + r.choice([0, 0, 0, 15 * 60000]) + r.gauss(60000, 60000)
            for _ in range(r.randint(8, 60)):
                a, ing = any_caller(g)
                t = centre + r.gauss(0, 70000)
                g.add(t, a, br, ing, "legit", "conference_bridge", var="meeting_join")
                if r.random() < 0.1:
                    g.add(t + r.uniform(20000, 900000), a, br, ing, "legit", "conference_bridge",
                          var="rejoin")


def legit_fanout(g):
    r = g.r
    # call centres: one (or few) CLIs, huge fan-out
    g.cc = []
    rates = [0.26, 0.2, 0.15, 0.1, 0.08, 0.06, 0.05, 0.04, 0.03, 0.02]
    ent_cc = ENT[:5]
    for i, rate in enumerate(rates):
        if i < 5:
            ing = ent_cc[i]
            clis = ["+88019" + g.rd(8)] if r.random() < 0.5 else [g.iptsp()]
        else:
            ing = None
            clis = [g.iptsp() for _ in range(r.randint(1, 3))]
        g.cc.append(clis)
        for t in g.times(rate * 3600):
            b = g.any_bd_mobile()
            g.add(t, r.choice(clis), b, ing if ing else g.icx_ing(), "legit", "call_centre",
                  var="outbound_campaign" if i % 2 else "customer_callback")
    # IVR voice broadcast (awareness / political / promo), small rotating CLI block
    for k in range(2):
        base = int(g.rd(6)) // 100 * 100
        blk = ["+8809678" + str(base + j).zfill(6) for j in range(r.randint(5, 20))]
        ing = ENT[18] if k == 0 else None
        for j, t in enumerate(g.times(r.uniform(300, 500))):
            g.add(t, blk[j % len(blk)], g.any_bd_mobile(), ing if ing else g.icx_ing(), "legit",
                  "ivr_voice_broadcast", var="round_robin_cli_block")
    # PBX with DDI blocks
    for ing in ENT[5:18]:
        if r.random() < 0.5:
            base = "+880196" + g.rd(4)
            ddis = [base + str(j).zfill(3) for j in range(0, r.choice([50, 100, 200]))]
        else:
            base = "+8809612" + g.rd(3)
            ddis = [base + str(j).zfill(3) for j in range(0, r.choice([50, 100, 200]))]
        w = [1.0 / (j + 1) ** 0.7 for j in range(len(ddis))]
        for t in g.times(r.uniform(60, 180)):
            b = g.any_bd_mobile() if r.random() < 0.9 else g.foreign()
            g.add(t, r.choices(ddis, weights=w)[0], b, ing, "legit", "pbx_ddi", var="ddi_extension")


def legit_misc(g):
    r = g.r
    # busy small businesses (shops, agents, pharmacies)
    for _ in range(30):
        clis = [r.choice(g.home_pool) for _ in range(r.randint(1, 3))]
        via_ent = r.random() < 0.15
        for t in g.times(r.uniform(10, 30)):
            ing = ENT[19] if via_ent else g.core()
            g.add(t, r.choice(clis), g.any_bd_mobile(), ing, "legit", "small_business", var="shop")
    # heavy individual users, with Bangladeshi "missed call" habit
    for _ in range(40):
        home = r.random() < 0.6
        a = r.choice(g.home_pool) if home else g.caller_pool_other()
        favs = [g.any_bd_mobile() if home else r.choice(g.home_pool) for _ in range(r.randint(2, 8))]
        for t in g.times(r.uniform(8, 22)):
            ing = g.core() if home else g.icx_ing()
            b = r.choice(favs)
            g.add(t, a, b, ing, "legit", "heavy_user", var="favourites")
            if r.random() < 0.25:
                for _ in range(r.randint(1, 3)):
                    t += r.uniform(3000, 20000)
                    g.add(t, a, b, ing, "legit", "heavy_user", var="missed_call_repeat")
    # forwarded calls: original caller's CLI preserved
    for t in g.times(700):
        x = r.random()
        a = g.caller_pool_other() if x < 0.65 else (g.foreign() if x < 0.9 else g.bd_fixed())
        if r.random() < 0.6:
            g.add(t, a, g.callee_home(), g.icx_ing(), "legit", "call_forwarding", var="diverted_by_other_operator")
        else:
            g.add(t, a, g.any_bd_mobile(), g.core(), "legit", "call_forwarding", var="diverted_by_home_subscriber")
    # home subscribers roaming abroad (Hajj/Umrah, migrant workers) calling home: home CLI on IGW
    for t in g.times(220):
        g.add(t, r.choice(g.home_pool), g.any_bd_mobile(), g.igw_ing(), "legit", "outbound_roamer_call_home",
              var="home_cli_via_igw")
    # foreign visitors roaming in Bangladesh: foreign CLI from home core
    for t in g.times(160):
        g.add(t, g.foreign(), g.any_bd_mobile(), g.core(), "legit", "inbound_roamer", var="visitor")


# ---------------------------------------------------------------- attacks --
def logu(r, lo, hi):
    return math.exp(r.uniform(math.log(lo), math.log(hi)))


def fmt(x):
    return "%.6f" % x


def clis_for(g, src, n):
    r = g.r
    if src == "sequential_block":
        base = int(g.rd(8)) if n < 10 ** 7 else 0
        pfx = "+880" + r.choice(OTHER_PFX + HOME_PFX)
        base = min(base, 10 ** 8 - n - 1)
        return [pfx + str(base + k).zfill(8) for k in range(n)]
    out, seen = [], {}
    while len(out) < n:
        if src == "harvested_home":
            c = r.choice(g.home_pool)
        elif src == "harvested_other":
            c = r.choice(g.other_pool)
        elif src == "foreign_random":
            c = g.foreign()
        else:   # invented valid BD mobiles
            c = "+880" + r.choice(OTHER_PFX + HOME_PFX) + g.rd(8)
        if c not in seen:
            seen[c] = 1
            out.append(c)
    return out


def instances(g, per_hour_lo=22, per_hour_hi=28):
    r = g.r
    return r.randint(per_hour_lo, per_hour_hi) + r.randint(per_hour_lo, per_hour_hi)


def fresh_callee(g):
    return g.callee_home()


def masking_burst(g):
    r = g.r
    for i in range(instances(g)):
        rate = logu(r, 0.2, 30)
        n = max(3, min(300, int(round(rate * r.uniform(3, 20)))))
        span = (n - 1) / rate * 1000
        route = r.choice(["icx", "icx", "igw", "enterprise"])
        src = r.choice(["invented", "harvested_home", "harvested_other", "sequential_block"])
        if route == "igw" and r.random() < 0.5:
            src = "foreign_random"
        clis = clis_for(g, src, n)
        b = fresh_callee(g)
        t0 = r.uniform(0, DUR - span - 1000)
        ts = [t0] + sorted(t0 + r.uniform(0, span) for _ in range(n - 2)) + [t0 + span]
        ts = [int(t) for t in ts]
        inten = (n - 1) / ((ts[-1] - ts[0]) / 1000.0)
        ent = r.choice(ENT[:18])
        fixed = g.icx_ing() if route == "icx" else g.igw_ing()
        inst = "masking_burst_%03d" % i
        for k in range(n):
            if route == "enterprise":
                ing = ent
            elif route == "icx" and r.random() < 0.3:
                ing = g.icx_ing()     # spread over ICX trunks
            else:
                ing = fixed
            g.add(ts[k], clis[k], b, ing, "attack", "masking_burst", inst, fmt(inten), route + "_" + src)


def refiled_masking(g):
    r = g.r
    for i in range(instances(g)):
        n = r.randint(2, 8)
        span = logu(r, 5, 300) * 1000
        src = r.choice(["invented", "harvested_home", "harvested_other", "sequential_block"])
        clis = clis_for(g, src, n)
        b = fresh_callee(g)
        t0 = r.uniform(0, DUR - span - 1000)
        ts = [int(t0)] + sorted(int(t0 + r.uniform(0, span)) for _ in range(n - 2)) + [int(t0 + span)]
        inten = (n - 1) / ((ts[-1] - ts[0]) / 60000.0)
        ing = g.icx_ing()
        same = r.random() < 0.7
        inst = "refiled_masking_%03d" % i
        for k in range(n):
            g.add(ts[k], clis[k], b, ing if same else g.icx_ing(), "attack", "refiled_masking", inst,
                  fmt(inten), ("one_icx_trunk_" if same else "multi_icx_") + src)


def simbox(g):
    r = g.r
    for i in range(instances(g)):
        rate = logu(r, 0.2, 12)                      # calls/min per SIM
        sims = int(round(logu(r, 1, 32)))
        dur = r.uniform(5, 60)                       # minutes
        budget = 250
        if sims * rate * dur > budget:
            dur = max(5.0, budget / (sims * rate))
        while sims > 1 and sims * rate * dur > budget:
            sims -= 1
        dur = max(dur, 2.5 / rate)                   # at least two calls per SIM
        variant = r.choice(["home_sims_core", "home_sims_core", "offnet_sims_via_icx", "home_sims_ctg_cluster"])
        if variant == "offnet_sims_via_icx":
            nums = clis_for(g, "harvested_other", sims)
        else:
            nums = clis_for(g, "invented" if r.random() < 0.5 else "harvested_home", sims)
            nums = ["+880" + r.choice(HOME_PFX) + x[-8:] for x in nums]
        t0 = r.uniform(0, DUR - dur * 60000 - 120000)
        inst = "simbox_%03d" % i
        per_sim = []
        for s, a in enumerate(nums):
            if variant == "offnet_sims_via_icx":
                ing = g.icx_ing()
            elif variant == "home_sims_ctg_cluster":
                ing = CORE[3]
            else:
                ing = g.core()
            gap = 60000.0 / rate
            t = t0 + r.uniform(0, min(gap, 60000))
            end = t0 + dur * 60000
            ts = []
            while (t < end or len(ts) < 2) and t < DUR - 1:
                ts.append(int(t))
                t += gap * r.uniform(0.6, 1.4)    # paced like a person, not Poisson
            per_sim.append((a, ing, ts))
        rates = [(len(ts) - 1) / ((ts[-1] - ts[0]) / 60000.0) for _, _, ts in per_sim]
        inten = sum(rates) / len(rates)
        for a, ing, ts in per_sim:
            for t in ts:
                b = g.any_bd_mobile() if variant != "offnet_sims_via_icx" else g.callee_home()
                g.add(t, a, b, ing, "attack", "simbox", inst, fmt(inten), "%s_%dsims" % (variant, sims))


def cli_rotation(g):
    r = g.r
    for i in range(instances(g)):
        rate = logu(r, 0.1, 40)
        dur = r.uniform(60, 180)
        n = int(round(rate * dur))
        if n > 160:                                  # keep volume bounded at high rates
            n = 160
        n = max(n, 6)
        span = (n - 1) / rate * 1000
        src = r.choice(["invented", "harvested_home", "harvested_other", "sequential_block", "foreign_random"])
        clis = clis_for(g, src, n)
        ing = r.choice(ENT[5:18])
        t0 = r.uniform(0, DUR - span - 1000)
        ts = [int(t0)] + sorted(int(t0 + r.uniform(0, span)) for _ in range(n - 2)) + [int(t0 + span)]
        inten = (n - 1) / ((ts[-1] - ts[0]) / 1000.0)
        inst = "cli_rotation_%03d" % i
        for k in range(n):
            g.add(ts[k], clis[k], g.any_bd_mobile(), ing, "attack", "cli_rotation", inst, fmt(inten),
                  "hijacked_pbx_trunk_" + src)


def intl_local_cli(g):
    r = g.r
    for i in range(instances(g)):
        n = max(1, int(round(logu(r, 1, 80))))
        win = n * r.uniform(5, 45) * 1000
        src = r.choice(["harvested_home", "invented_home", "harvested_other", "bd_fixed"])
        route = r.choice(["listed_trunk", "listed_trunk", "listed_trunk", "cidr_only"])
        t0 = r.uniform(0, DUR - win - 1000)
        t_, _c, ips = r.choices(IGW, weights=IGW_W)[0]
        inst = "intl_local_cli_%03d" % i
        for k in range(n):
            if src == "harvested_home":
                a = r.choice(g.home_pool)
            elif src == "invented_home":
                a = "+880" + r.choice(HOME_PFX) + g.rd(8)
            elif src == "harvested_other":
                a = r.choice(g.other_pool)
            else:
                a = g.bd_fixed()
            ing = (t_, r.choice(ips)) if route == "listed_trunk" else ("", IGW_NOTRUNK_IP)
            g.add(t0 + r.uniform(0, win), a, g.callee_home(), ing, "attack", "intl_local_cli", inst,
                  str(n), route + "_" + src)


def invalid_a(g, kind):
    r = g.r
    if kind == "trunk_prefix_in_nsn":   # national form 01XXXXXXXXX with +880 prepended
        return "+8800" + "1" + r.choice("3456789") + g.rd(8)
    if kind == "unassigned_012":
        return "+88012" + g.rd(8)
    if kind == "unassigned_010":
        return "+88010" + g.rd(8)
    if kind == "mobile_short":
        return "+8801" + r.choice("3456789") + g.rd(7)
    if kind == "mobile_long":
        return "+8801" + r.choice("3456789") + g.rd(9)
    if kind == "dhaka_wrong_length":
        return "+880255" + (g.rd(7) if r.random() < 0.5 else g.rd(5))
    return "+88096" + r.choice(["12", "66", "78"]) + g.rd(5)   # iptsp_short


def invalid_cli(g):
    r = g.r
    kinds = ["trunk_prefix_in_nsn", "unassigned_012", "unassigned_010", "mobile_short", "mobile_long",
             "dhaka_wrong_length", "iptsp_short"]
    for i in range(instances(g)):
        n = max(1, int(round(logu(r, 1, 40))))
        kind = r.choice(kinds)
        route = r.choice(["icx", "icx", "igw", "enterprise"])
        win = n * r.uniform(3, 40) * 1000
        t0 = r.uniform(0, DUR - win - 1000)
        ent = r.choice(ENT[:18])
        inst = "invalid_cli_%03d" % i
        fixed_icx = g.icx_ing()
        for k in range(n):
            ing = fixed_icx if route == "icx" else (g.igw_ing() if route == "igw" else ent)
            g.add(t0 + r.uniform(0, win), invalid_a(g, kind), g.callee_home(), ing, "attack",
                  "invalid_cli", inst, str(n), route + "_" + kind)


# ----------------------------------------------------------------- output --
def write_toml(path, g, bare):
    trunks = ", ".join('"%s"' % t for t, _c, _i in IGW)
    cidrs = ", ".join('"%s"' % c for _t, c, _i in IGW)
    if bare:
        bl, al = [], []
    else:
        # the operator lists only some hotlines / bridges / call-centre CLIs
        bl = g.hotlines[:4] + g.callins[:1] + g.bridges[:2]
        al = []
        for clis in g.cc[:6]:
            al.extend(clis)
    with open(path, "w", newline="\n") as f:
        f.write('[numbering]\ncountry_code = "880"\n\n')
        f.write("[rules.intl_ingress_local_cli]\ntrunks = [%s]\nsources = [%s]\n\n" % (trunks, cidrs))
        f.write("[lists]\nallow_b_numbers = [%s]\n" % ", ".join('"%s"' % x for x in bl))
        f.write("allow_a_numbers = [%s]\n" % ", ".join('"%s"' % x for x in al))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--labels", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--bare-config")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args(argv)
    g = Gen(a.seed)
    legit(g)
    for fam in (masking_burst, refiled_masking, simbox, cli_rotation, intl_local_cli, invalid_cli):
        fam(g)
    g.rows.sort(key=lambda x: (x[0], x[1]))
    ids = {}
    with open(a.out, "w", newline="\n") as fc, open(a.labels, "w", newline="\n") as fl:
        fc.write("call_id,a_number,b_number,timestamp_ms,source_ip,trunk\n")
        fl.write("call_id,class,type,instance,intensity,variant\n")
        for row in g.rows:
            while True:
                cid = "%016x" % g.r.getrandbits(64)
                if cid not in ids:
                    ids[cid] = 1
                    break
            t, _s, an, bn, ip, trunk, cls, typ, inst, inten, var = row
            fc.write("%s,%s,%s,%d,%s,%s\n" % (cid, an, bn, START_MS + t, ip, trunk))
            fl.write("%s,%s,%s,%s,%s,%s\n" % (cid, cls, typ, inst, inten, var))
    write_toml(a.config, g, False)
    if a.bare_config:
        write_toml(a.bare_config, g, True)
    if not a.quiet:
        na = sum(1 for x in g.rows if x[6] == "attack")
        print("seed %d: %d rows (%d attack)" % (a.seed, len(g.rows), na), file=sys.stderr)


if __name__ == "__main__":
    main()
