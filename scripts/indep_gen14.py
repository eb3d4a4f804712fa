# SPDX-License-Identifier: MIT OR Apache-2.0
"""Independent labelled synthetic CDR generator (gen14) for evaluating a
call-masking detector.

Models the ingress side of the session border controller (SBC) of a large
Indonesian mobile operator (+62) in Jakarta over two hours of evening traffic
(2024-10-16 19:00-21:00 WIB = 12:00-14:00 UTC).  One row per INVITE.

Ingresses: the operator's own core (IMS/MSS nodes), national points of
interconnect (POIs) with the other Indonesian operators, international
gateways (SLI carriers, including backup addresses with an empty trunk name),
wholesale transit carriers and enterprise SIP trunks (call centres, PBXs,
small businesses, bare SIP peers).

Legitimate traffic classes and six attack families (masking_burst,
refiled_masking, simbox, cli_rotation, intl_local_cli, invalid_cli) are
generated with per-call labels; see README.md.

Usage:
    python3 indep_gen14.py --seed S --out cdrs.csv --labels labels.csv \
        --config deploy.toml [--bare-config bare.toml] [--quiet]

Python 3 standard library only.  The same seed gives the same bytes.
"""

import argparse
import calendar
import math
import random
import sys

# --------------------------------------------------------------------------
# Time window
# --------------------------------------------------------------------------
T0 = calendar.timegm((2024, 10, 16, 12, 0, 0)) * 1000  # 19:00 WIB, Wednesday
HOUR = 3600 * 1000
T_END = T0 + 2 * HOUR
SEC = 1000
MIN = 60 * 1000


def profile(t):
    """Relative load: evening peak at 19:00 WIB declining gently to 21:00."""
    x = (t - T0) / (T_END - T0)
    return 1.04 - 0.08 * x


PROFILE_MAX = 1.04

# --------------------------------------------------------------------------
# Network
# --------------------------------------------------------------------------
CORE = [  # (trunk, ip, weight)
    ("IMS-JKT-IBCF01", "10.20.1.11", 18),
    ("IMS-JKT-IBCF02", "10.20.1.12", 18),
    ("IMS-BDG-IBCF01", "10.20.1.21", 8),
    ("MSS-JKT-01", "10.20.2.11", 16),
    ("MSS-JKT-02", "10.20.2.12", 16),
    ("MSS-BDG-01", "10.20.2.21", 8),
    ("MSS-SBY-01", "10.20.2.31", 8),
    ("MSS-MDN-01", "10.20.2.41", 8),
]

# National interconnects: partner -> [(trunk, ip, weight)]
POIS = {
    "ISAT": [("POI-ISAT-JKT-01", "172.20.10.11", 40), ("POI-ISAT-JKT-02", "172.20.10.12", 40),
             ("POI-ISAT-SBY-01", "172.20.10.21", 20)],
    "XL": [("POI-XL-JKT-01", "172.20.20.11", 45), ("POI-XL-JKT-02", "172.20.20.12", 35),
           ("POI-XL-BDG-01", "172.20.20.21", 20)],
    "SMF": [("POI-SMF-JKT-01", "172.20.30.11", 60), ("POI-SMF-JKT-02", "172.20.30.12", 40)],
    "TLKM": [("POI-TLKM-JKT-01", "172.20.40.11", 35), ("POI-TLKM-JKT-02", "172.20.40.12", 30),
             ("POI-TLKM-BDG-01", "172.20.40.21", 15), ("POI-TLKM-SBY-01", "172.20.40.31", 20)],
}

# International gateways (the only ingresses the operator names in config).
IGW = [  # (trunk, ip, weight)
    ("IGW-TELIN-01", "198.51.100.10", 30),
    ("IGW-TELIN-02", "198.51.100.11", 20),
    ("IGW-ISAT-SLI-01", "198.51.100.74", 28),
    ("IGW-XL-SLI-01", "198.51.100.138", 17),
]
IGW_BACKUP = ["198.51.100.20", "198.51.100.84", "198.51.100.150"]  # trunk name empty
IGW_CIDRS = ["198.51.100.0/27", "198.51.100.64/27", "198.51.100.128/27"]

TRANSIT = [
    ("TRANSIT-WS-A", "203.0.113.21", 45),
    ("TRANSIT-WS-B", "203.0.113.45", 35),
    ("TRANSIT-WS-C", "203.0.113.77", 20),
]

# --------------------------------------------------------------------------
# Numbering (validated against libphonenumber metadata for ID and others)
# --------------------------------------------------------------------------
HOME_PREFIXES = ["811", "812", "813", "821", "822", "823", "851", "852", "853"]
HOME_W = [6, 22, 16, 10, 10, 8, 6, 14, 8]
OPERATOR_PREFIXES = {
    "ISAT": ["814", "815", "816", "855", "856", "857", "858"],
    "TRI": ["895", "896", "897", "898", "899"],
    "XL": ["817", "818", "819", "859", "877", "878"],
    "AXIS": ["831", "832", "833", "838"],
    "SMF": ["881", "882", "883", "884", "885", "886", "887", "888", "889"],
}
# area code, subscriber lengths, weight
AREAS = [("21", (8, 7), 40), ("22", (7, 8), 8), ("31", (7, 8), 9), ("24", (7, 8), 4),
         ("61", (7, 8), 5), ("274", (6, 7), 3), ("361", (6, 7), 4), ("411", (6, 7), 3),
         ("711", (6, 7), 2), ("542", (6, 7), 1), ("251", (6, 7), 3), ("778", (6, 7), 2),
         ("341", (6, 7), 2), ("511", (6, 7), 1), ("431", (6, 7), 1), ("231", (6, 7), 1),
         ("761", (6, 7), 1)]

# Foreign templates: (prefix choices, random digits)
FOREIGN = {
    "MY": [(["+6012", "+6016", "+6019", "+60112", "+60115"], 7), (["+6038"], 7)],
    "SA": [(["+96650", "+96653", "+96654", "+96655", "+96656", "+96658", "+96659"], 7),
           (["+966112", "+966114", "+966116"], 6)],
    "SG": [(["+6581", "+6583", "+6587", "+6590", "+6591", "+6596", "+6597"], 6), (["+6562", "+6565"], 6)],
    "HK": [(["+85261", "+85294"], 6), (["+85221", "+85223", "+85225", "+85227"], 6)],
    "TW": [(["+88690", "+88691", "+88692", "+88693", "+88695", "+88697", "+88698"], 7)],
    "JP": [(["+81901", "+81802", "+81703", "+81905", "+81806"], 7), (["+8133", "+8135"], 7)],
    "KR": [(["+82102", "+82103", "+82109"], 7)],
    "AU": [(["+6140", "+6141", "+6142", "+6143", "+6146"], 7)],
    "CN": [(["+86138", "+86139", "+86135", "+86150", "+86186", "+86188", "+86156"], 8)],
    "US": None,  # special
    "NL": [(["+3161", "+3162", "+3163", "+3164", "+3165"], 7), (["+31202", "+31204", "+31206"], 6)],
    "GB": [(["+44779", "+44749"], 7), (["+4475", "+4478"], 8)],
    "QA": [(["+9743", "+9745", "+9746", "+9747"], 7)],
    "AE": [(["+97150", "+97152", "+97155", "+97156"], 7)],
    "KW": [(["+96550", "+96555", "+96566", "+96597", "+96599"], 6)],
    "TH": [(["+6681", "+6682", "+6686", "+6689"], 7)],
    "PH": [(["+63917", "+63918", "+63920", "+63927", "+63905", "+63995"], 7)],
}
US_NPA = ["212", "213", "312", "415", "646", "713", "206", "408", "917", "305"]

# Diaspora / business partner mix for international inbound calls.
INTL_IN_MIX = (["MY", "SA", "SG", "HK", "TW", "JP", "KR", "AU", "CN", "US", "NL", "GB", "QA", "AE", "KW"],
               [22, 13, 10, 9, 9, 5, 5, 5, 6, 5, 3, 2, 2, 2, 2])
ROAM_VISITED = (["SA", "MY", "SG", "HK", "TW", "JP", "KR", "AU", "QA", "AE", "CN", "NL"],
                [28, 20, 12, 9, 9, 4, 4, 4, 3, 3, 2, 2])
INBOUND_ROAM_MIX = (["AU", "SG", "MY", "CN", "KR", "JP", "US", "NL", "GB", "TH", "PH"],
                    [18, 14, 18, 12, 7, 6, 6, 6, 5, 4, 4])


def digits(rng, n):
    return str(rng.randrange(10 ** n)).zfill(n)


def home_mobile(rng):
    p = rng.choices(HOME_PREFIXES, HOME_W)[0]
    nsn_len = rng.choices([9, 10, 11, 12], [5, 25, 55, 15])[0]
    return "+62" + p + digits(rng, nsn_len - 3)


def op_mobile(rng, op):
    p = rng.choice(OPERATOR_PREFIXES[op])
    nsn_len = rng.choices([10, 11, 12], [25, 55, 20])[0]
    return "+62" + p + digits(rng, nsn_len - 3)


def other_mobile(rng):
    op = rng.choices(["ISAT", "TRI", "XL", "AXIS", "SMF"], [34, 18, 28, 10, 10])[0]
    return op_mobile(rng, op)


def national_mobile(rng):
    return home_mobile(rng) if rng.random() < 0.5 else other_mobile(rng)


def fixed_line(rng, area=None):
    if area is None:
        area = rng.choices(AREAS, [a[2] for a in AREAS])[0]
    code, lens, _ = area
    n = lens[0] if rng.random() < 0.7 else lens[1]
    return "+62" + code + rng.choice("23456789") + digits(rng, n - 1)


def jakarta_fixed(rng):
    return "+6221" + rng.choice("2345789") + digits(rng, 7)


def foreign(rng, cc, mobile_only=False):
    if cc == "US":
        nxx = rng.choice("23456789") + rng.choice("023456789") + rng.choice("0123456789")
        return "+1" + rng.choice(US_NPA) + nxx + digits(rng, 4)
    tmpl = FOREIGN[cc]
    if mobile_only or len(tmpl) == 1 or rng.random() < 0.8:
        prefs, n = tmpl[0]
    else:
        prefs, n = tmpl[1]
    return rng.choice(prefs) + digits(rng, n)


def intl_cli(rng, mix=INTL_IN_MIX):
    return foreign(rng, rng.choices(mix[0], mix[1])[0])


def national_dest(rng):
    r = rng.random()
    if r < 0.55:
        return home_mobile(rng)
    if r < 0.86:
        return other_mobile(rng)
    return fixed_line(rng)


def any_dest(rng):
    r = rng.random()
    if r < 0.95:
        return national_dest(rng)
    return intl_cli(rng)


# Invalid CLIs: pass an E.164 length check, cannot exist in the ID plan.
def invalid_cli(rng, kind):
    if kind == "nsn_leading_zero":      # national trunk prefix kept after +62
        return "+620" + rng.choices(HOME_PREFIXES + ["815", "817", "857", "878", "896"])[0] + digits(rng, rng.choice([7, 8]))
    if kind == "nsn_leading_zero_fixed":
        return "+62021" + rng.choice("2345789") + digits(rng, 7)
    if kind == "unassigned_mobile_range":  # 084x is not a mobile range
        return "+6284" + rng.choice("0123456789") + digits(rng, rng.choice([7, 8]))
    if kind == "unassigned_80x":           # 080x outside 0800/0804/0807/0809
        return "+6280" + rng.choice("2356") + digits(rng, rng.choice([6, 7]))
    if kind == "mobile_too_short":         # 08xx with 8-digit NSN
        return "+62" + rng.choice(HOME_PREFIXES + ["857", "878"]) + digits(rng, 5)
    if kind == "jakarta_too_long":         # 021 + 9-digit subscriber
        return "+6221" + rng.choice("2345789") + digits(rng, 8)
    if kind == "jakarta_too_short":        # 021 + 5-digit subscriber
        return "+6221" + rng.choice("2345789") + digits(rng, 4)
    if kind == "unassigned_area_code":     # 020 / 010 / 019 are not area codes
        return "+62" + rng.choice(["20", "10", "19"]) + rng.choice("2345789") + digits(rng, 6)
    raise ValueError(kind)


INVALID_KINDS = ["nsn_leading_zero", "nsn_leading_zero_fixed", "unassigned_mobile_range", "unassigned_80x",
                 "mobile_too_short", "jakarta_too_long", "jakarta_too_short", "unassigned_area_code"]
INVALID_W = [30, 8, 16, 8, 12, 10, 6, 10]


def wpick(rng, items):
    """items: list of tuples whose last element is a weight."""
    return rng.choices(items, [i[-1] for i in items])[0]


def log_uniform(rng, lo, hi):
    return math.exp(rng.uniform(math.log(lo), math.log(hi)))


def poisson_times(rng, per_hour, t0=T0, t1=T_END, shaped=True):
    """Non-homogeneous Poisson arrivals (thinning) following profile()."""
    out = []
    lam = per_hour * (PROFILE_MAX if shaped else 1.0) / HOUR
    t = float(t0)
    while True:
        t += rng.expovariate(lam)
        if t >= t1:
            break
        if not shaped or rng.random() < profile(t) / PROFILE_MAX:
            out.append(int(t))
    return out


# --------------------------------------------------------------------------
# Generator
# --------------------------------------------------------------------------
class Gen:
    def __init__(self, seed):
        self.seed = seed
        self.rows = []
        self.ids = set()
        self.idrng = random.Random("gen14/%d/callid" % seed)

    def rng(self, name):
        return random.Random("gen14/%d/%s" % (self.seed, name))

    def new_id(self):
        while True:
            v = self.idrng.getrandbits(128)
            h = "%032x" % v
            cid = "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])
            if cid not in self.ids:
                self.ids.add(cid)
                return cid

    def add(self, ts, a, b, ip, trunk, typ, variant, inst="", cls=None):
        ts = int(ts)
        if ts < T0 or ts >= T_END:
            return False
        if cls is None:
            cls = "attack" if inst else "legit"
        self.rows.append([ts, self.new_id(), a, b, ip, trunk, cls, typ, inst, "", variant])
        return True

    # ---------------- ingress helpers ----------------
    def core(self, rng):
        t, ip, _ = wpick(rng, CORE)
        return t, ip

    def poi(self, rng, partner):
        t, ip, _ = wpick(rng, POIS[partner])
        return t, ip

    def igw(self, rng, backup_p=0.05):
        if rng.random() < backup_p:
            return "", rng.choice(IGW_BACKUP)
        t, ip, _ = wpick(rng, IGW)
        return t, ip

    def transit(self, rng):
        t, ip, _ = wpick(rng, TRANSIT)
        return t, ip

    # ---------------- enterprise population ----------------
    def build_enterprises(self):
        rng = self.rng("enterprises")
        self.call_centres = []
        specs = [  # name, n_clis, cli kind, calls/h, listed fraction
            ("BANK-A", 4, "fixed", 850, 1.0),
            ("TELCO-COLL", 6, "mobile", 650, 0.0),
            ("INSURANCE", 3, "fixed", 450, 0.67),
            ("ECOMMERCE", 2, "uan", 600, 1.0),
            ("FINTECH-COLL", 3, "mobile", 700, 0.0),
            ("HOSPITAL", 1, "fixed", 180, 0.0),
            ("TELEMKT-BPO", 5, "fixed", 400, 0.4),
        ]
        for i, (name, n, kind, rate, listed) in enumerate(specs):
            clis = []
            base = jakarta_fixed(rng)[:-3]
            for k in range(n):
                if kind == "fixed":
                    clis.append(base + "%03d" % rng.randrange(1000))
                elif kind == "uan":
                    clis.append("+621500" + digits(rng, 3) if k == 0 else "+628071" + digits(rng, 6))
                else:
                    clis.append(home_mobile(rng) if rng.random() < 0.6 else other_mobile(rng))
            clis = list(dict.fromkeys(clis))
            n_list = int(round(listed * len(clis)))
            self.call_centres.append({
                "name": name, "trunk": "ENT-CC-" + name, "ip": "100.64.1.%d" % (10 + i * 3),
                "clis": clis, "rate": rate, "listed": clis[:n_list]})
        self.pbxs = []
        pbx_names = ["HOSP-RSCM", "UNIV-UI", "OFFICE-SUDIRMAN1", "OFFICE-KUNINGAN", "HOTEL-THAMRIN",
                     "MINISTRY-A", "BANK-BRANCHNET", "MALL-MGMT", "FACTORY-CIKARANG", "LOGISTICS-HUB",
                     "OFFICE-TBSIMATUPANG", "SCHOOL-NET", "HOTEL-BALI", "OFFICE-SBY", "CLINIC-CHAIN",
                     "MEDIA-HOUSE", "LAWFIRM", "OFFICE-BDG"]
        for i, name in enumerate(pbx_names):
            area = AREAS[0]
            if name.endswith("BALI"):
                area = [a for a in AREAS if a[0] == "361"][0]
            elif name.endswith("SBY"):
                area = [a for a in AREAS if a[0] == "31"][0]
            elif name.endswith("BDG"):
                area = [a for a in AREAS if a[0] == "22"][0]
            big = i < 3
            block = 1000 if big else rng.choice([100, 100, 200, 500])
            code = area[0]
            sub_len = 8 if code in ("21",) else 7
            stem_len = sub_len - (3 if block >= 1000 else 2)
            if block >= 1000:
                stem = "+62" + code + rng.choice("2345789") + digits(rng, stem_len - 1)
                ddis = [stem + "%03d" % k for k in range(1000)]
            else:
                stem = "+62" + code + rng.choice("2345789") + digits(rng, stem_len - 1)
                start = rng.randrange(0, 100 - min(block, 100) + 1) if block < 100 else 0
                ddis = [stem + "%02d" % k for k in range(start, start + min(block, 100))]
            rate = rng.uniform(250, 450) if big else log_uniform(rng, 30, 200)
            trunk = "ENT-PBX-" + name
            self.pbxs.append({"name": name, "trunk": trunk, "ip": "100.64.2.%d" % (10 + i * 2),
                              "ddis": ddis, "rate": rate,
                              "pilot_only": (not big) and rng.random() < 0.2})
        self.smbs = []
        for i in range(28):
            n = rng.choice([1, 1, 2, 2, 3, 4])
            clis = []
            for _ in range(n):
                clis.append(fixed_line(rng) if rng.random() < 0.6 else home_mobile(rng))
            bare = rng.random() < 0.3
            self.smbs.append({"name": "SMB-%03d" % (100 + i),
                              "trunk": "" if bare else "SIP-SMB-%03d" % (100 + i),
                              "ip": "100.64.3.%d" % (10 + i * 3), "clis": clis,
                              "rate": log_uniform(rng, 8, 60)})
        # hotlines and bridges
        self.hotlines = []
        for i in range(6):
            self.hotlines.append({"num": "+621500" + digits(rng, 3), "kind": "uan_bank_ecommerce",
                                  "rate": log_uniform(rng, 60, 300), "callin": False})
        for i in range(4):
            self.hotlines.append({"num": "+628001" + digits(rng, 6), "kind": "tollfree",
                                  "rate": log_uniform(rng, 40, 200), "callin": False})
        self.hotlines.append({"num": "+628071" + digits(rng, 6), "kind": "operator_care_uan",
                              "rate": 260, "callin": False})
        for i in range(5):
            self.hotlines.append({"num": jakarta_fixed(rng), "kind": "radio_tv_callin",
                                  "rate": log_uniform(rng, 15, 60), "callin": True})
        for i in range(2):
            self.hotlines.append({"num": "+62809" + digits(rng, 7), "kind": "premium_quiz",
                                  "rate": log_uniform(rng, 10, 40), "callin": True})
        self.bridges = []
        for i in range(10):
            self.bridges.append({"num": jakarta_fixed(rng) if i else "+628071" + digits(rng, 6),
                                 "kind": "conference_bridge"})
        # operator names some of them
        lst = self.hotlines + self.bridges
        idx = list(range(len(lst)))
        rng.shuffle(idx)
        named = set(idx[: int(len(lst) * 0.6)])
        for k, h in enumerate(lst):
            h["listed"] = k in named
        seen = set()
        for h in lst:  # avoid accidental duplicates
            while h["num"] in seen:
                h["num"] = h["num"][:-1] + str((int(h["num"][-1]) + 1) % 10)
            seen.add(h["num"])

    # ---------------- legitimate classes ----------------
    def gen_home_subscriber_call(self):
        rng = self.rng("home_subscriber_call")
        pool = [home_mobile(rng) for _ in range(5000)]
        for t in poisson_times(rng, 11000):
            a = rng.choice(pool) if rng.random() < 0.35 else home_mobile(rng)
            b = any_dest(rng)
            trunk, ip = self.core(rng)
            v = "core;dest=%s" % ("intl" if not b.startswith("+62") else "national")
            self.add(t, a, b, ip, trunk, "home_subscriber_call", v)
            if rng.random() < 0.05:
                self.add(t + rng.uniform(8, 60) * SEC, a, b, ip, trunk, "home_subscriber_call", v + ";redial")

    def gen_national_interconnect(self):
        rng = self.rng("national_interconnect_inbound")
        for t in poisson_times(rng, 11500):
            partner = rng.choices(["ISAT", "XL", "SMF"], [45, 40, 15])[0]
            a = op_mobile(rng, partner)
            b = home_mobile(rng)
            trunk, ip = self.poi(rng, partner)
            v = "poi=%s;cli=own_range" % partner
            self.add(t, a, b, ip, trunk, "national_interconnect_inbound", v)
            if rng.random() < 0.04:
                self.add(t + rng.uniform(5, 45) * SEC, a, b, ip, trunk, "national_interconnect_inbound", v + ";redial")

    def gen_merged_range(self):
        rng = self.rng("merged_operator_range")
        for t in poisson_times(rng, 2200):
            if rng.random() < 0.6:
                partner, brand = "ISAT", "TRI"
            else:
                partner, brand = "XL", "AXIS"
            a = op_mobile(rng, brand)
            b = home_mobile(rng)
            trunk, ip = self.poi(rng, partner)
            self.add(t, a, b, ip, trunk, "merged_operator_range", "poi=%s;cli=%s_range(merged_brand)" % (partner, brand))

    def gen_fixed_interconnect(self):
        rng = self.rng("fixed_interconnect_inbound")
        for t in poisson_times(rng, 2500):
            a = fixed_line(rng)
            b = home_mobile(rng)
            trunk, ip = self.poi(rng, "TLKM")
            self.add(t, a, b, ip, trunk, "fixed_interconnect_inbound", "poi=TLKM;cli=pstn")

    def gen_national_transit(self):
        rng = self.rng("national_transit_via_telkom")
        for t in poisson_times(rng, 600):
            a = other_mobile(rng)
            b = home_mobile(rng) if rng.random() < 0.8 else fixed_line(rng)
            trunk, ip = self.poi(rng, "TLKM")
            self.add(t, a, b, ip, trunk, "national_transit_via_telkom", "poi=TLKM;cli=mobile_of_third_operator")

    def gen_international_inbound(self):
        rng = self.rng("international_inbound")
        for t in poisson_times(rng, 3000):
            a = intl_cli(rng)
            b = home_mobile(rng) if rng.random() < 0.9 else fixed_line(rng)
            trunk, ip = self.igw(rng)
            v = "igw;cli_cc=%s" % a[1:4]
            self.add(t, a, b, ip, trunk, "international_inbound", v)
            if rng.random() < 0.25:
                tt = t
                for r in range(rng.choice([1, 1, 1, 2, 2, 3])):
                    tt += rng.uniform(5, 90) * SEC
                    if rng.random() < 0.3:
                        trunk, ip = self.igw(rng, backup_p=0.25)
                    self.add(tt, a, b, ip, trunk, "international_inbound", v + ";retry%d" % (r + 1))

    def gen_intl_transit(self):
        rng = self.rng("intl_inbound_transit")
        for t in poisson_times(rng, 800):
            a = intl_cli(rng)
            b = home_mobile(rng)
            trunk, ip = self.transit(rng)
            self.add(t, a, b, ip, trunk, "intl_inbound_transit", "transit;cli_cc=%s" % a[1:4])
            if rng.random() < 0.15:
                self.add(t + rng.uniform(5, 60) * SEC, a, b, ip, trunk, "intl_inbound_transit", "transit;retry")

    def gen_outbound_roamers(self):
        rng = self.rng("outbound_roamer_call_home")
        for t in poisson_times(rng, 620):
            visited = rng.choices(ROAM_VISITED[0], ROAM_VISITED[1])[0]
            a = home_mobile(rng)
            family = [national_dest(rng) for _ in range(rng.choice([1, 1, 2, 3]))]
            trunk, ip = self.igw(rng, backup_p=0.06)
            n = rng.choice([1, 1, 1, 2, 2, 3, 4])
            tt = t
            for k in range(n):
                b = family[k % len(family)] if rng.random() < 0.8 else family[0]
                self.add(tt, a, b, ip, trunk, "outbound_roamer_call_home", "visited=%s;igw" % visited)
                tt += rng.uniform(10, 600) * SEC

    def gen_inbound_roamers(self):
        rng = self.rng("inbound_roamer_local_call")
        for t in poisson_times(rng, 320):
            a = foreign(rng, rng.choices(INBOUND_ROAM_MIX[0], INBOUND_ROAM_MIX[1])[0], mobile_only=True)
            trunk, ip = self.core(rng)
            n = rng.choice([1, 1, 2, 2, 3])
            tt = t
            for k in range(n):
                b = national_dest(rng) if rng.random() < 0.7 else fixed_line(rng)
                self.add(tt, a, b, ip, trunk, "inbound_roamer_local_call", "visitor_cc=%s;core" % a[1:3])
                tt += rng.uniform(30, 900) * SEC

    def caller_for_fanin(self, rng, intl_p=0.05):
        r = rng.random()
        if r < 0.6 - intl_p / 2:
            trunk, ip = self.core(rng)
            return home_mobile(rng), trunk, ip, "core"
        if r < 0.93 - intl_p:
            partner = rng.choices(["ISAT", "XL", "SMF", "TLKM"], [40, 35, 12, 13])[0]
            trunk, ip = self.poi(rng, partner)
            if partner == "TLKM":
                a = fixed_line(rng)
            else:
                a = op_mobile(rng, partner)
            return a, trunk, ip, "poi"
        if r < 0.93:
            trunk, ip = self.igw(rng)
            return intl_cli(rng), trunk, ip, "igw"
        pbx = rng.choice(self.pbxs)
        return rng.choice(pbx["ddis"]), pbx["trunk"], pbx["ip"], "pbx"

    def gen_hotlines(self):
        rng = self.rng("hotline_inbound")
        for h in self.hotlines:
            for t in poisson_times(rng, h["rate"]):
                a, trunk, ip, via = self.caller_for_fanin(rng)
                self.add(t, a, h["num"], ip, trunk, "hotline_inbound",
                         "%s;listed=%s;via=%s" % (h["kind"], "y" if h["listed"] else "n", via))
        rng = self.rng("hotline_callin_burst")
        callin = [h for h in self.hotlines if h["callin"]]
        n_bursts = rng.randint(20, 28)
        for k in range(n_bursts):
            h = rng.choice(callin)
            start = rng.uniform(T0, T_END - 3 * MIN)
            n = int(log_uniform(rng, 25, 260))
            dur = rng.uniform(20, 150) * SEC
            used = set()
            for i in range(n):
                a, trunk, ip, via = self.caller_for_fanin(rng, intl_p=0.01)
                if a in used:
                    continue
                used.add(a)
                t = start + dur * rng.betavariate(1.3, 3.0)
                self.add(t, a, h["num"], ip, trunk, "hotline_callin_burst",
                         "%s;listed=%s;burst=%d_in_%ds" % (h["kind"], "y" if h["listed"] else "n", n, dur / SEC))
                if rng.random() < 0.15:  # busy -> redial
                    self.add(t + rng.uniform(3, 25) * SEC, a, h["num"], ip, trunk, "hotline_callin_burst",
                             "%s;listed=%s;redial" % (h["kind"], "y" if h["listed"] else "n"))

    def gen_conference(self):
        rng = self.rng("conference_bridge")
        for br in self.bridges:
            slot = T0 - 15 * MIN
            while slot < T_END + 10 * MIN:
                if rng.random() < 0.45:
                    n = int(log_uniform(rng, 3, 45))
                    for i in range(n):
                        a, trunk, ip, via = self.caller_for_fanin(rng, intl_p=0.12)
                        off = min(max(rng.gauss(60, 100), -240), 900)
                        t = slot + off * SEC
                        v = "bridge;listed=%s;via=%s" % ("y" if br["listed"] else "n", via)
                        self.add(t, a, br["num"], ip, trunk, "conference_bridge", v)
                        if rng.random() < 0.07:
                            self.add(t + rng.uniform(60, 1500) * SEC, a, br["num"], ip, trunk,
                                     "conference_bridge", v + ";rejoin")
                slot += 15 * MIN

    def gen_call_centres(self):
        rng = self.rng("call_centre_outbound")
        for cc in self.call_centres:
            for t in poisson_times(rng, cc["rate"]):
                a = rng.choice(cc["clis"])
                b = home_mobile(rng) if rng.random() < 0.55 else (other_mobile(rng) if rng.random() < 0.85 else fixed_line(rng))
                v = "%s;clis=%d;listed=%s" % (cc["name"], len(cc["clis"]), "y" if a in cc["listed"] else "n")
                self.add(t, a, b, cc["ip"], cc["trunk"], "call_centre_outbound", v)
                if rng.random() < 0.08:  # no answer -> dialer retry
                    self.add(t + rng.uniform(30, 600) * SEC, a, b, cc["ip"], cc["trunk"], "call_centre_outbound", v + ";retry")

    def gen_pbx(self):
        rng = self.rng("pbx_ddi")
        for p in self.pbxs:
            nd = len(p["ddis"])
            weights = [1.0 / (k + 1) ** 0.8 for k in range(nd)]
            order = list(range(nd))
            rng.shuffle(order)
            for t in poisson_times(rng, p["rate"]):
                if p["pilot_only"]:
                    a = p["ddis"][0]
                else:
                    a = p["ddis"][order[rng.choices(range(nd), weights)[0]]]
                b = any_dest(rng)
                self.add(t, a, b, p["ip"], p["trunk"], "pbx_ddi",
                         "%s;ddi_block=%d%s" % (p["name"], nd, ";pilot_only" if p["pilot_only"] else ""))

    def gen_smb(self):
        rng = self.rng("smb_sip_trunk")
        for s in self.smbs:
            for t in poisson_times(rng, s["rate"]):
                a = rng.choice(s["clis"])
                self.add(t, a, national_dest(rng), s["ip"], s["trunk"], "smb_sip_trunk",
                         "%s;clis=%d;%s" % (s["name"], len(s["clis"]), "bare_peer" if not s["trunk"] else "named_trunk"))

    def gen_heavy_users(self):
        rng = self.rng("heavy_mobile_user")
        n = rng.randint(70, 90)
        for k in range(n):
            start = rng.uniform(T0 - 20 * MIN, T_END - 5 * MIN)
            dur = rng.uniform(10, 60) * MIN
            rate = log_uniform(rng, 0.4, 2.5)  # calls/min
            job = rng.choice(["courier", "ojol_driver", "sales_agent", "property_agent", "shop_owner"])
            if rng.random() < 0.75:
                a = home_mobile(rng)
                trunk, ip = self.core(rng)
                via = "core"
            else:
                partner = rng.choice(["ISAT", "XL", "SMF"])
                a = op_mobile(rng, partner)
                trunk, ip = self.poi(rng, partner)
                via = "poi"
            t = start
            recent = []
            while t < start + dur:
                if recent and rng.random() < 0.12:
                    b = rng.choice(recent)
                else:
                    b = national_dest(rng)
                    recent.append(b)
                self.add(t, a, b, ip, trunk, "heavy_mobile_user", "%s;%s;%.1f_per_min" % (job, via, rate))
                t += max(8.0, rng.expovariate(rate / 60.0)) * SEC

    def gen_forwarding(self):
        rng = self.rng("call_forward")
        for t in poisson_times(rng, 500):
            r = rng.random()
            a = intl_cli(rng) if r < 0.25 else (other_mobile(rng) if r < 0.8 else fixed_line(rng))
            b = national_dest(rng)
            trunk, ip = self.core(rng)
            self.add(t, a, b, ip, trunk, "call_forward_core", "cfu_cfnr;orig_cli_kept")
        for t in poisson_times(rng, 300):
            a = home_mobile(rng)
            partner = rng.choice(["ISAT", "XL", "SMF", "TLKM"])
            trunk, ip = self.poi(rng, partner)
            self.add(t, a, home_mobile(rng), ip, trunk, "call_forward_poi", "forwarded_by=%s;home_cli" % partner)

    def gen_flash_calls(self):
        rng = self.rng("flash_call_otp")
        for t in poisson_times(rng, 550):
            cc = rng.choice(["GB", "GB", "NL", "PH", "TH", "HK"])
            a = foreign(rng, cc, mobile_only=True)
            if rng.random() < 0.7:
                trunk, ip = self.transit(rng)
            else:
                trunk, ip = self.igw(rng, backup_p=0.0)
            self.add(t, a, home_mobile(rng), ip, trunk, "flash_call_otp", "a2p_flash_call;cli_cc=%s" % a[1:3])

    # ---------------- attacks ----------------
    def hour_starts(self, rng, lo, hi):
        out = []
        for h in range(2):
            for k in range(rng.randint(lo, hi)):
                out.append((h, T0 + h * HOUR + rng.uniform(0, HOUR - 1)))
        return out

    def gen_masking_burst(self):
        rng = self.rng("masking_burst")
        for k, (h, start) in enumerate(self.hour_starts(rng, 20, 30)):
            inst = "mb-h%d-%02d" % (h + 1, k)
            r = rng.random()
            if r < 0.65:
                rate, band = log_uniform(rng, 1, 10), "core"
            elif r < 0.83:
                rate, band = log_uniform(rng, 0.2, 1), "quiet"
            else:
                rate, band = log_uniform(rng, 10, 40), "loud"
            n = int(log_uniform(rng, 6, 90)) if band != "quiet" else int(log_uniform(rng, 4, 25))
            n = max(n, 4)
            route = rng.choices(["igw_single", "transit_single", "spread_intl", "poi_national", "mixed_all"],
                                [35, 18, 20, 17, 10])[0]
            if route == "igw_single":
                ingresses = [self.igw(rng, backup_p=0.1)]
            elif route == "transit_single":
                ingresses = [self.transit(rng)]
            elif route == "spread_intl":
                ingresses = [(t, ip) for t, ip, _ in IGW] + [(t, ip) for t, ip, _ in TRANSIT] + [("", IGW_BACKUP[0])]
                rng.shuffle(ingresses)
                ingresses = ingresses[: rng.randint(2, 5)]
            elif route == "poi_national":
                partner = rng.choice(["ISAT", "XL", "SMF", "TLKM"])
                ingresses = [(t, ip) for t, ip, _ in POIS[partner]]
            else:
                ingresses = [self.igw(rng, 0.0), self.transit(rng), self.poi(rng, rng.choice(["ISAT", "XL"]))]
            igw_ips = set(ip for _, ip, _ in IGW) | set(IGW_BACKUP)
            pacing = rng.choice(["poisson", "regular_jitter", "ramp"])
            cli_src = rng.choice(["mixed_countries", "one_country", "wangiri_ranges"])
            one_cc = rng.choices(INTL_IN_MIX[0], INTL_IN_MIX[1])[0]
            b = home_mobile(rng)
            start = min(start, T_END - 1 - (n / rate + 5) * SEC)
            t = start
            used = set()
            for i in range(n):
                trunk, ip = rng.choice(ingresses)
                national_ok = ip not in igw_ips and not trunk.startswith("TRANSIT")
                while True:
                    if national_ok:
                        a = national_mobile(rng) if rng.random() < 0.85 else fixed_line(rng)
                    elif cli_src == "one_country":
                        a = foreign(rng, one_cc)
                    elif cli_src == "wangiri_ranges":
                        a = foreign(rng, rng.choice(["GB", "PH", "TH", "KW", "QA", "AE"]), mobile_only=True)
                    else:
                        a = intl_cli(rng)
                    if a not in used:
                        break
                used.add(a)
                self.add(t, a, b, ip, trunk, "masking_burst",
                         "%s;route=%s;n_routes=%d;cli=%s;pacing=%s" % (band, route, len(ingresses),
                                                                      "national" if route == "poi_national" else cli_src, pacing),
                         inst)
                if pacing == "poisson":
                    gap = rng.expovariate(rate)
                elif pacing == "regular_jitter":
                    gap = rng.uniform(0.7, 1.3) / rate
                else:
                    gap = (1.6 - 1.2 * i / max(1, n - 1)) / rate * rng.uniform(0.8, 1.2)
                t += max(gap, 0.005) * SEC

    def gen_refiled(self):
        rng = self.rng("refiled_masking")
        for k, (h, start) in enumerate(self.hour_starts(rng, 20, 30)):
            inst = "rm-h%d-%02d" % (h + 1, k)
            r = rng.random()
            if r < 0.68:
                n, band = rng.randint(3, 6), "core"
            elif r < 0.82:
                n, band = 2, "two_cli"
            else:
                n, band = rng.randint(7, 14), "many_cli"
            r = rng.random()
            if r < 0.7:
                spread, sband = rng.uniform(15, 90), "15-90s"
            elif r < 0.85:
                spread, sband = rng.uniform(4, 15), "fast"
            else:
                spread, sband = rng.uniform(90, 480), "slow"
            partner = rng.choices(["ISAT", "XL", "SMF", "TLKM"], [35, 35, 15, 15])[0]
            trunks = [(t, ip) for t, ip, _ in POIS[partner]]
            multi = rng.random() < 0.3
            if not multi:
                trunks = [rng.choice(trunks)]
            b = home_mobile(rng)
            start = min(start, T_END - (spread + 5) * SEC)
            offs = sorted([0.0, spread] + [rng.uniform(0, spread) for _ in range(n - 2)])
            cli_kind = rng.choice(["mobile_mixed_ops", "partner_range", "fixed_and_mobile"])
            used = set()
            for off in offs:
                while True:
                    if cli_kind == "partner_range" and partner != "TLKM":
                        a = op_mobile(rng, partner)
                    elif cli_kind == "fixed_and_mobile":
                        a = fixed_line(rng) if rng.random() < 0.5 else national_mobile(rng)
                    else:
                        a = national_mobile(rng)
                    if a not in used:
                        break
                used.add(a)
                trunk, ip = rng.choice(trunks)
                self.add(start + off * SEC, a, b, ip, trunk, "refiled_masking",
                         "%s;spread=%s;poi=%s;trunks=%d;cli=%s" % (band, sband, partner, len(trunks), cli_kind), inst)

    def gen_simbox(self):
        rng = self.rng("simbox")
        for k, (h, start) in enumerate(self.hour_starts(rng, 20, 26)):
            inst = "sb-h%d-%02d" % (h + 1, k)
            channels = rng.choices([1, 2, 3, 4, 6, 8, 12, 16], [30, 25, 15, 12, 8, 5, 3, 2])[0]
            r = rng.random()
            if r < 0.7:
                rate, band = log_uniform(rng, 1, 6), "core"
            elif r < 0.85:
                rate, band = rng.uniform(0.3, 1.0), "quiet"
            else:
                rate, band = rng.uniform(6, 10), "loud"
            dur = rng.uniform(10, 40) if rng.random() < 0.55 else rng.uniform(3, 10)
            cap = 300
            if channels * rate * dur > cap:
                dur = max(3.0, cap / (channels * rate))
            rotate = rng.random() < 0.4
            home = rng.random() < 0.55
            if home:
                op = "HOME"
            else:
                op = rng.choice(["ISAT", "TRI", "XL", "AXIS", "SMF"])
            partner = {"ISAT": "ISAT", "TRI": "ISAT", "XL": "XL", "AXIS": "XL", "SMF": "SMF"}.get(op)
            if home:
                node = self.core(rng)
            ongoing = h == 0 and rng.random() < 0.3  # box already running at 19:00
            if ongoing:
                start = T0 - rng.uniform(0, min(15.0, dur * 0.6)) * MIN
            start = min(start, T_END - (dur * MIN + 2 * MIN))
            end = start + dur * MIN
            pending = []
            sims_used = 0
            callees = set()
            for c in range(channels):
                t_ch = start + rng.uniform(0, 60) * SEC
                while t_ch < end - 10 * SEC:
                    shift = rng.uniform(4, 12) * MIN if rotate else (end - t_ch)
                    shift = max(shift, (3.2 / rate) * MIN)
                    sim = home_mobile(rng) if home else op_mobile(rng, op)
                    sims_used += 1
                    if home:
                        trunk, ip = node
                    else:
                        trunk, ip = self.poi(rng, partner)
                    t = t_ch
                    n_sim = 0
                    while (t < t_ch + shift and t < end) or n_sim < 3:
                        while True:
                            b = home_mobile(rng) if rng.random() < 0.7 else other_mobile(rng)
                            if b not in callees:
                                break
                        callees.add(b)
                        pending.append((t, sim, b, ip, trunk, "simbox",
                                        "%s;channels=%d;rotate=%s;sims=%s;route=%s%s" % (
                                            band, channels, "y" if rotate else "n", op.lower(),
                                            "core" if home else "poi_" + partner,
                                            ";running_before_window" if ongoing else ""), inst))
                        n_sim += 1
                        t += max(5.5, (60.0 / rate) * rng.uniform(0.7, 1.3)) * SEC
                    t_ch = t + rng.uniform(5, 40) * SEC
                    if not rotate:
                        break
            # keep only SIMs with at least two calls inside the window
            inside = [p for p in pending if T0 <= p[0] < T_END]
            per_sim = {}
            for p in inside:
                per_sim[p[1]] = per_sim.get(p[1], 0) + 1
            for p in inside:
                if per_sim[p[1]] >= 2:
                    self.add(*p)

    def gen_cli_rotation(self):
        rng = self.rng("cli_rotation")
        for k, (h, start) in enumerate(self.hour_starts(rng, 20, 28)):
            inst = "cr-h%d-%02d" % (h + 1, k)
            r = rng.random()
            if r < 0.68:
                rate, band = log_uniform(rng, 0.5, 2), "core"
                dur = rng.uniform(60, 110)
            elif r < 0.84:
                rate, band = log_uniform(rng, 0.1, 0.5), "slow"
                dur = rng.uniform(180, 480)
            else:
                rate, band = log_uniform(rng, 2, 6), "fast"
                dur = rng.uniform(25, 60)
            src = rng.choices(["hijacked_pbx", "hijacked_smb", "bare_peer"], [35, 25, 40])[0]
            if src == "hijacked_pbx":
                p = rng.choice(self.pbxs[3:])
                trunk, ip = p["trunk"], p["ip"]
            elif src == "hijacked_smb":
                s = rng.choice(self.smbs)
                trunk, ip = s["trunk"], s["ip"]
            else:
                trunk, ip = "", "100.64.9.%d" % (10 + k + 100 * h)
            cli_kind = rng.choice(["random_national", "random_mobile", "sequential_block", "reuse_pool"])
            dest = rng.choice(["home_mobiles", "mixed_national"])
            start = min(start, T_END - (dur + 5) * SEC)
            t = start
            end = start + dur * SEC
            used = []
            seq_base = home_mobile(rng)[:-4]
            seq_i = rng.randrange(5000)
            i = 0
            while t < end or i < 6:
                if cli_kind == "reuse_pool" and used and rng.random() < 0.15:
                    a = rng.choice(used)
                else:
                    while True:
                        if cli_kind == "sequential_block":
                            a = seq_base + "%04d" % ((seq_i + i * rng.randint(1, 7)) % 10000)
                            seq_i += 1
                        elif cli_kind == "random_mobile":
                            a = national_mobile(rng)
                        else:
                            a = national_mobile(rng) if rng.random() < 0.7 else fixed_line(rng)
                        if a not in used:
                            break
                    used.append(a)
                b = home_mobile(rng) if dest == "home_mobiles" else national_dest(rng)
                self.add(t, a, b, ip, trunk, "cli_rotation",
                         "%s;source=%s;cli=%s;dest=%s" % (band, src, cli_kind, dest), inst)
                i += 1
                t += max(rng.expovariate(rate), 0.02) * SEC

    def gen_intl_local(self):
        rng = self.rng("intl_local_cli")
        for k, (h, start) in enumerate(self.hour_starts(rng, 20, 30)):
            inst = "il-h%d-%02d" % (h + 1, k)
            r = rng.random()
            if r < 0.3:
                n, band = 1, "single"
            elif r < 0.6:
                n, band = rng.randint(2, 5), "small"
            elif r < 0.85:
                n, band = rng.randint(6, 30), "campaign"
            else:
                n, band = int(log_uniform(rng, 31, 160)), "long_campaign"
            span = 0 if n == 1 else (rng.uniform(0.5, 8) if n < 6 else rng.uniform(3, 45)) * MIN
            start = min(start, T_END - span - 5 * SEC)
            cli_kind = rng.choice(["random_home", "random_national", "single_spoofed", "small_set", "fixed_jakarta"])
            route = rng.choices(["one_igw", "several_igw", "backup_ip"], [55, 30, 15])[0]
            if route == "one_igw":
                ings = [self.igw(rng, 0.0)]
            elif route == "several_igw":
                ings = [(t, ip) for t, ip, _ in IGW]
            else:
                ings = [("", rng.choice(IGW_BACKUP))]
            cset = [national_mobile(rng) for _ in range(rng.randint(2, 6))]
            single = home_mobile(rng) if rng.random() < 0.6 else jakarta_fixed(rng)
            times = sorted([start] + [start + rng.uniform(0, span) for _ in range(n - 1)])
            for t in times:
                if cli_kind == "random_home":
                    a = home_mobile(rng)
                elif cli_kind == "random_national":
                    a = national_mobile(rng)
                elif cli_kind == "single_spoofed":
                    a = single
                elif cli_kind == "small_set":
                    a = rng.choice(cset)
                else:
                    a = jakarta_fixed(rng)
                trunk, ip = rng.choice(ings)
                b = home_mobile(rng) if rng.random() < 0.9 else other_mobile(rng)
                self.add(t, a, b, ip, trunk, "intl_local_cli",
                         "%s;route=%s;cli=%s" % (band, route, cli_kind), inst)

    def gen_invalid(self):
        rng = self.rng("invalid_cli")
        for k, (h, start) in enumerate(self.hour_starts(rng, 20, 30)):
            inst = "ic-h%d-%02d" % (h + 1, k)
            r = rng.random()
            if r < 0.35:
                n, band = 1, "single"
            elif r < 0.7:
                n, band = rng.randint(2, 6), "small"
            else:
                n, band = int(log_uniform(rng, 7, 50)), "campaign"
            span = 0 if n == 1 else rng.uniform(0.3, 25) * MIN
            start = min(start, T_END - span - 5 * SEC)
            kind = rng.choices(INVALID_KINDS, INVALID_W)[0]
            route = rng.choices(["poi", "transit", "enterprise", "bare_peer"], [45, 25, 20, 10])[0]
            if route == "poi":
                trunk, ip = self.poi(rng, rng.choice(["ISAT", "XL", "SMF", "TLKM"]))
            elif route == "transit":
                trunk, ip = self.transit(rng)
            elif route == "enterprise":
                s = rng.choice(self.smbs + self.pbxs)
                trunk, ip = s["trunk"], s["ip"]
            else:
                trunk, ip = "", "100.64.8.%d" % (10 + k + 100 * h)
            fixed_cli = invalid_cli(rng, kind) if rng.random() < 0.4 else None
            times = sorted([start] + [start + rng.uniform(0, span) for _ in range(n - 1)])
            for t in times:
                a = fixed_cli or invalid_cli(rng, kind)
                self.add(t, a, home_mobile(rng), ip, trunk, "invalid_cli",
                         "%s;kind=%s;route=%s;cli=%s" % (band, kind, route, "fixed" if fixed_cli else "varying"),
                         inst)

    # ---------------- intensity ----------------
    def compute_intensities(self):
        by_inst = {}
        for row in self.rows:
            if row[8]:
                by_inst.setdefault(row[8], []).append(row)
        for inst, rs in by_inst.items():
            val = intensity(rs[0][7], [(r[0], r[2]) for r in rs])
            for r in rs:
                r[9] = val

    def run(self):
        self.build_enterprises()
        self.gen_home_subscriber_call()
        self.gen_national_interconnect()
        self.gen_merged_range()
        self.gen_fixed_interconnect()
        self.gen_national_transit()
        self.gen_international_inbound()
        self.gen_intl_transit()
        self.gen_outbound_roamers()
        self.gen_inbound_roamers()
        self.gen_hotlines()
        self.gen_conference()
        self.gen_call_centres()
        self.gen_pbx()
        self.gen_smb()
        self.gen_heavy_users()
        self.gen_forwarding()
        self.gen_flash_calls()
        self.gen_masking_burst()
        self.gen_refiled()
        self.gen_simbox()
        self.gen_cli_rotation()
        self.gen_intl_local()
        self.gen_invalid()
        self.compute_intensities()
        self.rows.sort(key=lambda r: (r[0], r[1]))


def fmt_rate(x):
    return "%.4f" % x


def intensity(typ, calls):
    """calls: list of (timestamp_ms, a_number) for one instance.

    Rates use (count - 1) / span, span = last - first (floored at 1 ms).
    """
    ts = sorted(c[0] for c in calls)
    span = max(ts[-1] - ts[0], 1)
    if typ == "masking_burst":
        return fmt_rate((len(calls) - 1) / (span / 1000.0))
    if typ == "refiled_masking":
        n = len(set(c[1] for c in calls))
        return fmt_rate((n - 1) / (span / 60000.0))
    if typ == "cli_rotation":
        n = len(set(c[1] for c in calls))
        return fmt_rate((n - 1) / (span / 1000.0))
    if typ == "simbox":
        per = {}
        for t, a in calls:
            per.setdefault(a, []).append(t)
        vals = []
        for a in sorted(per):
            tt = per[a]
            if len(tt) >= 2:
                vals.append((len(tt) - 1) / (max(max(tt) - min(tt), 1) / 60000.0))
        return fmt_rate(sum(vals) / len(vals))
    return str(len(calls))


def toml_list(xs):
    return "[" + ", ".join('"%s"' % x for x in xs) + "]"


def write_config(path, g, bare):
    allow_b = [] if bare else [h["num"] for h in g.hotlines + g.bridges if h["listed"]]
    allow_a = [] if bare else [c for cc in g.call_centres for c in cc["listed"]]
    text = ('[numbering]\ncountry_code = "62"\n\n'
            "[rules.intl_ingress_local_cli]\n"
            "trunks = %s\nsources = %s\n\n"
            "[lists]\nallow_b_numbers = %s\nallow_a_numbers = %s\n") % (
        toml_list([t for t, _, _ in IGW]), toml_list(IGW_CIDRS), toml_list(allow_b), toml_list(allow_a))
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


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
    with open(args.out, "w", encoding="utf-8", newline="\n") as f:
        f.write("call_id,a_number,b_number,timestamp_ms,source_ip,trunk\n")
        for r in g.rows:
            f.write("%s,%s,%s,%d,%s,%s\n" % (r[1], r[2], r[3], r[0], r[4], r[5]))
    with open(args.labels, "w", encoding="utf-8", newline="\n") as f:
        f.write("call_id,class,type,instance,intensity,variant\n")
        for r in g.rows:
            f.write("%s,%s,%s,%s,%s,%s\n" % (r[1], r[6], r[7], r[8], r[9], r[10]))
    write_config(args.config, g, bare=False)
    if args.bare_config:
        write_config(args.bare_config, g, bare=True)
    if not args.quiet:
        n_att = sum(1 for r in g.rows if r[6] == "attack")
        insts = {}
        for r in g.rows:
            if r[8]:
                insts.setdefault(r[7], set()).add(r[8])
        sys.stderr.write("seed %d: %d rows, %d attack (%.1f%%)\n" % (args.seed, len(g.rows), n_att,
                                                                     100.0 * n_att / len(g.rows)))
        for typ in sorted(insts):
            sys.stderr.write("  %-16s %3d instances\n" % (typ, len(insts[typ])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
