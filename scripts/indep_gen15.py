#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR Apache-2.0
"""indep_gen15 -- labelled synthetic SBC INVITE traffic for evaluating
call-masking detectors.  Modelled network: the SBC of a large Mexican (+52)
mobile operator in Mexico City (the number-two mobile network, interconnected
with Telcel, Telmex, Movistar, Altan/MVNOs and cable operators), two weekday
evening hours (Tue 2024-10-15 19:00-21:00 CST, UTC-6, no DST since 2022).

Python 3.11 standard library only.  Output depends only on --seed: every
component draws from its own random.Random seeded with a string.
"""
import argparse
import datetime
import math
import os
import random
import sys

FAMILIES = ["masking_burst", "refiled_masking", "simbox", "cli_rotation",
            "intl_local_cli", "invalid_cli"]
FAMILY_TAG = {"masking_burst": "MB", "refiled_masking": "RM", "simbox": "SB",
              "cli_rotation": "CR", "intl_local_cli": "IL", "invalid_cli": "IC"}

T0_MS = int(datetime.datetime(2024, 10, 15, 19, 0, 0,
                              tzinfo=datetime.timezone(datetime.timedelta(hours=-6))
                              ).timestamp() * 1000)
SEC = 1000
MIN = 60 * SEC
HOUR = 60 * MIN
DUR = 2 * HOUR

# ---------------------------------------------------------------- numbering
# Mexican area codes (IFT plan, 10-digit national numbers since 2019-08-03)
# with rough subscriber weights.  Subscriber part starts with 2-9.
MX_AREAS = [
    ("55", 30), ("56", 12), ("33", 8), ("81", 8), ("222", 2.5), ("442", 2),
    ("477", 2), ("664", 2.5), ("656", 2), ("998", 1.5), ("999", 1.5),
    ("614", 1.5), ("662", 1.2), ("744", 1), ("229", 1), ("871", 1),
    ("444", 1.2), ("449", 1), ("722", 2), ("961", 1), ("951", 1), ("833", 0.8),
    ("667", 1), ("669", 0.6), ("686", 1), ("612", 0.4), ("624", 0.5),
    ("771", 1), ("777", 1.2), ("443", 1.2), ("311", 0.5), ("312", 0.4),
    ("618", 0.6), ("844", 1), ("834", 0.5), ("993", 1), ("981", 0.4),
    ("983", 0.4), ("246", 0.5), ("492", 0.5), ("228", 0.5), ("238", 0.3),
    ("271", 0.4), ("314", 0.3), ("341", 0.3), ("351", 0.3), ("415", 0.3),
    ("461", 0.5), ("473", 0.4), ("481", 0.3), ("631", 0.3), ("646", 0.5),
    ("653", 0.3), ("687", 0.3), ("719", 0.3), ("735", 0.3), ("753", 0.3),
    ("782", 0.3), ("866", 0.3), ("868", 0.3), ("899", 0.4), ("921", 0.4),
    ("938", 0.3), ("962", 0.4), ("967", 0.3), ("984", 0.4), ("985", 0.3),
]
_MX_CODES = [a for a, _ in MX_AREAS]
_MX_CUM = []
_acc = 0.0
for _a, _w in MX_AREAS:
    _acc += _w
    _MX_CUM.append(_acc)

# Three-digit codes that do not exist in the plan (checked: libphonenumber
# rejects every number under them) and two-digit unassigned leads.
MX_UNASSIGNED_3 = ["202", "210", "230", "250", "301", "310", "400", "416",
                   "501", "520", "600", "610", "700", "730", "801", "820",
                   "901", "920", "940", "980"]
MX_UNASSIGNED_2 = ["40", "50", "51", "53", "54", "57", "60", "70", "80",
                   "85", "90", "94"]

US_NPAS = ["212", "213", "310", "312", "415", "469", "713", "832", "915",
           "210", "602", "619", "702", "786", "305", "404", "646", "917",
           "956", "520", "480", "214", "323", "818", "408", "773", "347",
           "512", "281", "972", "909", "714"]
# country -> (weight, list of (prefix, digits_after_prefix, first_digit_set))
FOREIGN = {
    "US": (55, None),
    "CA": (3, [("+1416", 7, "23456789"), ("+1604", 7, "23456789")]),
    "GT": (8, [("+5023", 7, "0123456789"), ("+5024", 7, "0123456789"),
               ("+5025", 7, "0123456789")]),
    "HN": (5, [("+5049", 7, "0123456789"), ("+5043", 7, "0123456789")]),
    "SV": (4, [("+5037", 7, "0123456789")]),
    "NI": (1, [("+5058", 7, "0123456789")]),
    "PA": (1, [("+5076", 7, "0123456789")]),
    "CO": (6, [("+57300", 7, "0123456789"), ("+57310", 7, "0123456789"),
               ("+57315", 7, "0123456789"), ("+57320", 7, "0123456789")]),
    "PE": (3, [("+519", 8, "0123456789")]),
    "VE": (3, [("+58412", 7, "0123456789"), ("+58414", 7, "0123456789"),
               ("+58424", 7, "0123456789")]),
    "EC": (1, [("+59399", 7, "0123456789")]),
    "CU": (2, [("+535", 7, "0123456789")]),
    "DO": (1, [("+1809", 7, "23456789")]),
    "ES": (3, [("+346", 8, "0123456789")]),
    "GB": (1, [("+4474", 8, "0123456789"), ("+4475", 8, "0123456789"), ("+4478", 8, "0123456789")]),
    "DE": (1, [("+4917", 9, "23456789")]),
    "CN": (1, [("+8613", 9, "0123456789")]),
    "IT": (1, [("+3936", 8, "0123456789")]),
}
_FOREIGN_KEYS = list(FOREIGN.keys())
_FOREIGN_W = [FOREIGN[k][0] for k in _FOREIGN_KEYS]


def digits(rng, n):
    return "".join(rng.choice("0123456789") for _ in range(n))


def mx_number(rng, area=None):
    if area is None:
        area = rng.choices(_MX_CODES, cum_weights=_MX_CUM)[0]
    return "+52" + area + rng.choice("23456789") + digits(rng, 10 - len(area) - 1)


def us_number(rng):
    npa = rng.choice(US_NPAS)
    while True:
        nxx = rng.choice("23456789") + digits(rng, 2)
        if nxx[1:] != "11" and nxx != "555":
            break
    return "+1" + npa + nxx + digits(rng, 4)


def foreign_number(rng, country=None):
    if country is None:
        country = rng.choices(_FOREIGN_KEYS, weights=_FOREIGN_W)[0]
    if country == "US":
        return us_number(rng)
    prefix, n, first = rng.choice(FOREIGN[country][1])
    return prefix + rng.choice(first) + digits(rng, n - 1)


def invalid_mx_cli(rng, kind):
    """CLIs that pass a generic E.164 length check but cannot exist in MX."""
    good = mx_number(rng)[3:]          # a valid 10-digit national number
    if kind == "unassigned_area":
        if rng.random() < 0.6:
            return "+52" + rng.choice(MX_UNASSIGNED_3) + digits(rng, 7)
        return "+52" + rng.choice(MX_UNASSIGNED_2) + rng.choice("23456789") + digits(rng, 7)
    if kind == "leading_zero":
        return "+520" + digits(rng, 9)
    if kind == "leading_one":
        return "+521" + rng.choice("0123456789") + digits(rng, 8)
    if kind == "short_9":
        return "+52" + good[:9]
    if kind == "long_11":
        return "+52" + good + rng.choice("0123456789")
    if kind == "legacy_mobile_1":
        return "+521" + good
    if kind == "old_prefix_044":
        return "+52044" + good
    if kind == "old_prefix_045":
        return "+52045" + good
    if kind == "old_prefix_01":
        return "+5201" + good
    raise ValueError(kind)


INVALID_KINDS = ["unassigned_area", "leading_zero", "leading_one", "short_9",
                 "long_11", "legacy_mobile_1", "old_prefix_044",
                 "old_prefix_045", "old_prefix_01"]


# ---------------------------------------------------------------- helpers
def profile(t):
    """Evening decline: relative rate 1.08 at 19:00 -> 0.92 at 21:00."""
    return 1.08 - 0.16 * t / DUR


def poisson_times(rng, per_hour, start=0, end=DUR, shaped=True):
    if per_hour <= 0:
        return []
    lam = per_hour / HOUR * (1.08 if shaped else 1.0)
    out = []
    t = float(start)
    while True:
        t += rng.expovariate(lam)
        if t >= end:
            break
        if not shaped or rng.random() < profile(t) / 1.08:
            out.append(int(t))
    return out


def loguniform(rng, lo, hi):
    return math.exp(rng.uniform(math.log(lo), math.log(hi)))


def tier(rng):
    u = rng.random()
    return "quiet" if u < 0.2 else ("loud" if u > 0.8 else "typical")


class Route:
    __slots__ = ("trunk", "ip", "national", "kind", "name")

    def __init__(self, trunk, ip, kind, name, national=False):
        self.trunk, self.ip, self.kind, self.name, self.national = trunk, ip, kind, name, national


class Sink:
    def __init__(self):
        self.rows = []

    def add(self, ts, a, b, route, typ, variant, cls="legit", inst=""):
        ts = int(ts)
        if ts < 0 or ts >= DUR:
            return False
        if route.national:
            if a.startswith("+52") and len(a) == 13:
                a = a[3:]
            if b.startswith("+52") and len(b) == 13:
                b = b[3:]
        self.rows.append([T0_MS + ts, len(self.rows), a, b, route.ip, route.trunk,
                          cls, typ, inst, "", variant])
        return True


# ---------------------------------------------------------------- topology
class Topology:
    def __init__(self, seed):
        rng = random.Random(f"{seed}:topology")
        self.core = [Route("CORE-IMS-MEX1", "10.10.1.11", "core", "ims_mex1"),
                     Route("CORE-IMS-MEX2", "10.10.1.12", "core", "ims_mex2"),
                     Route("CORE-VOLTE-TAS1", "10.10.1.40", "core", "tas_mex1"),
                     Route("CORE-MSC-GDL1", "10.10.2.21", "core", "msc_gdl1"),
                     Route("CORE-MSC-MTY1", "10.10.3.31", "core", "msc_mty1")]
        # national points of interconnect; Telmex POI sends 10-digit national format
        self.poi = {
            "telcel": [Route("POI-TELCEL-MEX-A", "172.16.10.1", "poi", "poi_telcel"),
                       Route("POI-TELCEL-MEX-B", "172.16.10.2", "poi", "poi_telcel"),
                       Route("POI-TELCEL-GDL", "172.16.10.3", "poi", "poi_telcel")],
            "telmex": [Route("POI-TELMEX-MEX", "172.16.20.1", "poi", "poi_telmex", national=True)],
            "movistar": [Route("POI-MOVISTAR-MEX", "172.16.30.1", "poi", "poi_movistar")],
            "altan": [Route("POI-ALTAN-MEX", "172.16.40.1", "poi", "poi_altan_mvno")],
            "totalplay": [Route("POI-TOTALPLAY-MEX", "172.16.50.1", "poi", "poi_totalplay")],
            "megacable": [Route("POI-MEGACABLE-GDL", "172.16.60.1", "poi", "poi_megacable")],
            "izzi": [Route("POI-IZZI-MEX", "172.16.70.1", "poi", "poi_izzi")],
        }
        self.poi_ops = ["telcel", "telmex", "movistar", "altan", "totalplay", "megacable", "izzi"]
        self.poi_w = [55, 14, 9, 11, 4, 3, 4]
        self.igw = [Route("IGW-ATT-US-DAL", "198.51.100.10", "igw", "igw_us_dal"),
                    Route("IGW-VZB-US-LAX", "198.51.100.20", "igw", "igw_us_lax"),
                    Route("IGW-LUMEN-US-HOU", "198.51.100.30", "igw", "igw_us_hou"),
                    Route("IGW-TATA-MIA", "198.51.100.40", "igw", "igw_tata_mia"),
                    Route("IGW-TELEFONICA-INT", "198.51.100.50", "igw", "igw_telefonica"),
                    Route("IGW-BICS-INT", "198.51.100.60", "igw", "igw_bics")]
        self.igw_w = [26, 20, 16, 14, 14, 10]
        # backup gateway addresses: no trunk name on the SBC
        self.igw_backup = [Route("", "203.0.113.66", "igw", "igw_backup_66"),
                           Route("", "203.0.113.67", "igw", "igw_backup_67"),
                           Route("", "203.0.113.70", "igw", "igw_backup_70")]
        self.igw_cidrs = ["198.51.100.0/26", "203.0.113.64/28"]
        self.transit = [Route("TRANSIT-MARCATEL", "192.0.2.10", "transit", "transit_marcatel"),
                        Route("TRANSIT-MAXCOM", "192.0.2.20", "transit", "transit_maxcom"),
                        Route("TRANSIT-BESTEL", "192.0.2.30", "transit", "transit_bestel"),
                        Route("TRANSIT-AXTEL", "192.0.2.40", "transit", "transit_axtel")]
        # home-subscriber and other-operator pools (skewed reuse -> repeats)
        self.home_pool = [mx_number(rng) for _ in range(250000)]
        self.other_pool = [mx_number(rng) for _ in range(400000)]
        # call centres: (route, clis, listed_clis, target market, calls/hour)
        cc_specs = [("CC-NEARSHORE-TIJ", "664", "us", 3, 560),
                    ("CC-BPO-MEX-NORTE", "55", "mixed", 4, 480),
                    ("CC-BPO-GDL", "33", "mx", 3, 360),
                    ("CC-BPO-MTY", "81", "us", 3, 400),
                    ("CC-TELEVENTAS-MEX", "55", "mx", 2, 350),
                    ("CC-SEGUROS-QRO", "442", "mx", 2, 220),
                    ("CC-NEARSHORE-CJS", "656", "us", 2, 300),
                    ("CC-BANCA-MEX", "55", "mx", 5, 400)]
        self.call_centres = []
        for i, (name, ac, market, ncli, rate) in enumerate(cc_specs):
            route = Route(name, f"192.168.10.{11 + i}", "callcentre", name.lower().replace("-", "_"))
            clis = []
            for _ in range(ncli):
                if market == "us" and rng.random() < 0.6:
                    clis.append(us_number(rng))     # US DIDs presented to US customers
                else:
                    clis.append(mx_number(rng, ac))
            listed = i in (0, 1, 3, 5, 7)
            lst = [c for j, c in enumerate(clis) if listed and j < max(1, len(clis) - 1)]
            self.call_centres.append((route, clis, lst, market, rate))
        self.diallers = []
        for i, (name, ac) in enumerate([("CC-COBRANZA-MEX", "55"), ("CC-COBRANZA-GDL", "33"),
                                        ("CC-RECUPERA-MTY", "81")]):
            route = Route(name, f"192.168.20.{11 + i}", "callcentre", name.lower().replace("-", "_"))
            clis = [mx_number(rng, ac) for _ in range(rng.randint(1, 2))]
            self.diallers.append((route, clis, clis[:1] if i == 0 else []))
        # PBXs with DDI blocks
        self.pbxs = []
        for i in range(45):
            ac = rng.choices(["55", "56", "33", "81", "222", "442", "477"],
                             weights=[40, 15, 12, 12, 7, 7, 7])[0]
            base = ac + rng.choice("23456789") + digits(rng, 10 - len(ac) - 1 - 2)
            size = rng.choice([100, 100, 100])
            block = ["+52" + base + f"{k:02d}" for k in range(size)]
            national = (i == 7)
            route = Route(f"PBX-CORP{i + 1:02d}", f"10.200.{1 + i // 20}.{10 + i % 200}",
                          "pbx", f"pbx_corp{i + 1:02d}", national=national)
            rate = loguniform(rng, 15, 160)
            main_only = rng.random() < 0.25
            self.pbxs.append((route, block, rate, main_only))
        # small-business trunks, some bare SIP peers (empty trunk name)
        self.smbs = []
        for i in range(150):
            bare = rng.random() < 0.25
            if bare:
                route = Route("", f"100.66.{i // 200}.{10 + i % 200}", "smb", "bare_peer")
            else:
                route = Route(f"SMB-{rng.choice(['CDMX', 'CDMX', 'EDOMEX', 'GDL', 'MTY', 'PUE', 'QRO'])}-{1000 + i}",
                              f"100.64.{i // 200}.{10 + i % 200}", "smb", "smb_trunk")
            nums = [mx_number(rng) for _ in range(rng.randint(1, 4))]
            self.smbs.append((route, nums, loguniform(rng, 2, 25)))
        # hotlines / bank lines / radio-TV call-in / conference bridges
        self.hotlines = []
        for i in range(14):
            num = "+52800" + rng.choice("23456789") + digits(rng, 6) if i % 3 == 0 else mx_number(rng, "55")
            kind = ["bank", "bank", "government", "airline", "utility", "telco_care", "bank",
                    "health", "government", "retail", "bank", "utility", "airline", "insurance"][i]
            self.hotlines.append((num, kind, i % 2 == 0))
        self.radio = []
        for i in range(7):
            num = mx_number(rng, rng.choice(["55", "55", "33", "81"]))
            self.radio.append((num, ["radio", "tv", "radio", "radio", "tv", "radio", "tv"][i], i in (0, 2, 4)))
        self.bridges = []
        for i in range(8):
            num = mx_number(rng, rng.choice(["55", "55", "81"])) if i != 3 else "+52800" + rng.choice("23456789") + digits(rng, 6)
            self.bridges.append((num, i % 2 == 0))

    def home(self, rng):
        return self.home_pool[int(len(self.home_pool) * rng.random() ** 1.3)]

    def other(self, rng):
        return self.other_pool[int(len(self.other_pool) * rng.random() ** 1.3)]

    def core_for(self, rng, a):
        if a.startswith("+5233"):
            return self.core[3]
        if a.startswith("+5281"):
            return self.core[4]
        return self.core[rng.choices([0, 1, 2], weights=[45, 40, 15])[0]]

    def poi_route(self, rng, op=None):
        if op is None:
            op = rng.choices(self.poi_ops, weights=self.poi_w)[0]
        return rng.choice(self.poi[op])

    def igw_route(self, rng, backup_p=0.05):
        if rng.random() < backup_p:
            return rng.choice(self.igw_backup)
        return rng.choices(self.igw, weights=self.igw_w)[0]

    def caller_route(self, rng, home_p=0.45):
        """A national caller: home subscriber via core or other-op via POI."""
        if rng.random() < home_p:
            a = self.home(rng)
            return a, self.core_for(rng, a)
        return self.other(rng), self.poi_route(rng)


# ---------------------------------------------------------------- legit classes
def legit_subscriber(seed, T, S):
    rng = random.Random(f"{seed}:legit:subscriber")
    for ts in poisson_times(rng, 5900):
        a = T.home(rng)
        r = T.core_for(rng, a)
        S.add(ts, a, T.home(rng), r, "mobile_onnet_call", f"ingress={r.name};dest=onnet")
    for ts in poisson_times(rng, 5900):
        a = T.home(rng)
        r = T.core_for(rng, a)
        S.add(ts, a, T.other(rng), r, "mobile_offnet_call", f"ingress={r.name};dest=offnet_national")
    for ts in poisson_times(rng, 1000):
        a = T.home(rng)
        r = T.core_for(rng, a)
        S.add(ts, a, foreign_number(rng), r, "mobile_international_call", f"ingress={r.name};dest=international")


def legit_interconnect(seed, T, S):
    rng = random.Random(f"{seed}:legit:interconnect")
    for ts in poisson_times(rng, 10800):
        r = T.poi_route(rng)
        b = T.home(rng) if rng.random() < 0.93 else T.other(rng)   # some transit-through
        S.add(ts, T.other(rng), b, r, "national_interconnect_inbound", f"ingress={r.name}")
    for ts in poisson_times(rng, 1400):
        r = rng.choice(T.transit)
        if rng.random() < 0.72:
            a, v = T.other(rng), "cli=national"
        else:
            a, v = foreign_number(rng), "cli=foreign_handover"
        S.add(ts, a, T.home(rng), r, "transit_inbound", f"ingress={r.name};{v}")


def legit_international(seed, T, S):
    rng = random.Random(f"{seed}:legit:international")
    for ts in poisson_times(rng, 3700):
        r = T.igw_route(rng)
        if r.name in ("igw_us_dal", "igw_us_lax", "igw_us_hou") and rng.random() < 0.85:
            a = us_number(rng)
        else:
            a = foreign_number(rng)
        b = T.home(rng) if rng.random() < 0.9 else T.other(rng)
        S.add(ts, a, b, r, "international_inbound", f"ingress={r.name};cli=foreign")


def legit_roaming(seed, T, S):
    rng = random.Random(f"{seed}:legit:roaming")
    # inbound roamers (foreign SIMs in Mexico) originate on our core
    roamers = [foreign_number(rng, rng.choices(["US", "CA", "GT", "CO", "ES", "GB", "DE", "CN"],
                                                weights=[60, 8, 8, 6, 6, 4, 4, 4])[0]) for _ in range(700)]
    for ts in poisson_times(rng, 600):
        a = roamers[int(len(roamers) * rng.random() ** 1.2)]
        r = rng.choice(T.core[:3])
        u = rng.random()
        b = T.home(rng) if u < 0.35 else (T.other(rng) if u < 0.7 else foreign_number(rng, "US"))
        S.add(ts, a, b, r, "inbound_roamer_call", f"ingress={r.name};cli=foreign_roamer")
    # home subscribers roaming abroad: calls return through the gateways with +52 CLIs
    abroad = [T.home(rng) for _ in range(500)]
    for ts in poisson_times(rng, 520):
        a = abroad[int(len(abroad) * rng.random() ** 1.2)]
        r = T.igw_route(rng, backup_p=0.08)
        b = T.home(rng) if rng.random() < 0.55 else T.other(rng)
        where = rng.choices(["us", "eu", "latam"], weights=[75, 12, 13])[0]
        S.add(ts, a, b, r, "home_subscriber_roaming_abroad", f"ingress={r.name};visited={where};cli=home")


def legit_call_centres(seed, T, S):
    rng = random.Random(f"{seed}:legit:callcentre")
    for route, clis, listed, market, rate in T.call_centres:
        w = [3.0 / (1 + j) for j in range(len(clis))]
        for ts in poisson_times(rng, rate):
            a = rng.choices(clis, weights=w)[0]
            if market == "us" or (market == "mixed" and rng.random() < 0.5):
                b = us_number(rng)
            else:
                b = T.home(rng) if rng.random() < 0.4 else T.other(rng)
            if a.startswith("+1") and not b.startswith("+1"):
                b = us_number(rng)
            tag = "listed" if a in listed else "unlisted"
            S.add(ts, a, b, route, "call_centre_outbound", f"ingress={route.name};market={market};cli={tag}")
    # predictive / collections diallers: on-off campaigns, some retries
    for route, clis, listed in T.diallers:
        t = rng.uniform(0, 10 * MIN)
        recent = []
        while t < DUR:
            burst = rng.uniform(5, 18) * MIN
            cpm = rng.uniform(6, 18)
            end = min(DUR, t + burst)
            while t < end:
                t += rng.expovariate(cpm / MIN)
                if recent and rng.random() < 0.12:
                    b = rng.choice(recent)
                else:
                    b = T.home(rng) if rng.random() < 0.4 else T.other(rng)
                    recent.append(b)
                    recent = recent[-200:]
                a = rng.choice(clis)
                S.add(t, a, b, route, "collections_dialler",
                      f"ingress={route.name};cli={'listed' if a in listed else 'unlisted'}")
            t += rng.uniform(4, 15) * MIN


def legit_enterprise(seed, T, S):
    rng = random.Random(f"{seed}:legit:enterprise")
    for route, block, rate, main_only in T.pbxs:
        for ts in poisson_times(rng, rate):
            a = block[0] if main_only else block[int(len(block) * rng.random() ** 1.5)]
            u = rng.random()
            if route.national or u < 0.55:
                b = T.other(rng)
            elif u < 0.9:
                b = T.home(rng)
            else:
                b = foreign_number(rng)
            S.add(ts, a, b, route, "pbx_ddi_outbound",
                  f"ingress={route.name};cli={'main_number' if main_only else 'ddi_block'}")
    for route, nums, rate in T.smbs:
        for ts in poisson_times(rng, rate):
            b = T.other(rng) if rng.random() < 0.6 else T.home(rng)
            S.add(ts, rng.choice(nums), b, route, "small_business_trunk",
                  f"ingress={route.name}")


def legit_crowds(seed, T, S):
    rng = random.Random(f"{seed}:legit:crowds")
    # hotlines / bank lines: steady load, evening TV-ad spikes
    hw = [5, 4, 3, 2, 2, 3, 2, 1, 1, 1, 2, 1, 1, 1]
    for ts in poisson_times(rng, 1500):
        num, kind, listed = rng.choices(T.hotlines, weights=hw)[0]
        a, r = T.caller_route(rng)
        S.add(ts, a, num, r, "hotline_inbound", f"kind={kind};ingress={r.name}")
    for num, kind, listed in T.hotlines[:6]:
        # short advertising spike: 20-120 callers in 1-4 minutes
        start = rng.uniform(0, DUR - 5 * MIN)
        n = rng.randint(20, 120)
        span = rng.uniform(60, 240) * SEC
        for _ in range(n):
            a, r = T.caller_route(rng)
            S.add(start + rng.random() * span, a, num, r, "hotline_inbound",
                  f"kind={kind};ingress={r.name};pattern=ad_spike")
    # radio / TV call-in: contest surges with many distinct callers in seconds
    for num, kind, listed in T.radio:
        for ts in poisson_times(rng, 25):
            a, r = T.caller_route(rng)
            S.add(ts, a, num, r, "radio_tv_call_in", f"kind={kind};ingress={r.name};pattern=background")
        for _ in range(rng.randint(2, 5)):
            start = rng.uniform(0, DUR - 5 * MIN)
            n = int(loguniform(rng, 15, 260))
            span = loguniform(rng, 8, 150) * SEC
            redial = []
            for _ in range(n):
                if redial and rng.random() < 0.15:
                    a, r = rng.choice(redial)
                else:
                    a, r = T.caller_route(rng, home_p=0.4)
                    redial.append((a, r))
                S.add(start + rng.expovariate(3.0 / span) % (2 * span), a, num, r, "radio_tv_call_in",
                      f"kind={kind};ingress={r.name};pattern=contest_surge")
    # conference bridges: joins around the quarter hours
    for num, listed in T.bridges:
        for slot in range(0, DUR, 15 * MIN):
            if rng.random() > 0.45:
                continue
            n = int(loguniform(rng, 3, 45))
            for _ in range(n):
                off = rng.gauss(60 * SEC, 90 * SEC)
                if rng.random() < 0.12:
                    r = T.igw_route(rng, backup_p=0.0)
                    a = us_number(rng)
                else:
                    a, r = T.caller_route(rng, home_p=0.5)
                S.add(slot + off, a, num, r, "conference_bridge_join", f"ingress={r.name};pattern=quarter_hour")


def legit_people(seed, T, S):
    rng = random.Random(f"{seed}:legit:people")
    # heavy mobile users: drivers, sales reps, dispatchers
    for h in range(2):
        for _ in range(int(rng.gauss(45, 4))):
            role = rng.choice(["delivery_driver", "sales_rep", "taxi_dispatch", "technician"])
            if rng.random() < 0.7:
                a = T.home(rng)
                r = T.core_for(rng, a)
            else:
                a, r = T.other(rng), T.poi_route(rng)
            t = h * HOUR + rng.uniform(0, HOUR)
            end = min(DUR, t + rng.uniform(10, 65) * MIN)
            cpm = rng.uniform(0.3, 2.5)
            seen = []
            while t < end:
                if seen and rng.random() < 0.22:
                    b = rng.choice(seen)
                else:
                    b = T.home(rng) if rng.random() < 0.45 else T.other(rng)
                    seen.append(b)
                S.add(t, a, b, r, "heavy_mobile_user", f"role={role};ingress={r.name}")
                t += max(6 * SEC, rng.expovariate(cpm / MIN))
    # call forwarding legs (CFU/CFB/CFNRy) re-originated by our core
    for ts in poisson_times(rng, 700):
        u = rng.random()
        a = T.home(rng) if u < 0.4 else (T.other(rng) if u < 0.9 else foreign_number(rng))
        r = rng.choice(T.core[:3])
        b = T.other(rng) if rng.random() < 0.5 else T.home(rng)
        S.add(ts, a, b, r, "call_forwarding_leg", f"ingress={r.name};cf={rng.choice(['cfu', 'cfb', 'cfnry', 'cfnrc'])}")
    # family calling: several relatives ring one person
    for ts in poisson_times(rng, 90):
        target = T.home(rng)
        for _ in range(rng.randint(3, 6)):
            a, r = T.caller_route(rng, home_p=0.5)
            t = ts + rng.uniform(0, 20) * MIN
            S.add(t, a, target, r, "family_calling", f"ingress={r.name}")
            if rng.random() < 0.3:
                S.add(t + rng.uniform(1, 6) * MIN, a, target, r, "family_calling", f"ingress={r.name};pattern=retry")
    # missed call, callback from the callee's second phone
    for ts in poisson_times(rng, 160):
        a, ra = T.caller_route(rng, home_p=0.5)
        b = T.home(rng)
        S.add(ts, a, b, ra, "missed_call_callback", "leg=missed_call")
        if rng.random() < 0.35:
            S.add(ts + rng.uniform(20, 120) * SEC, a, b, ra, "missed_call_callback", "leg=retry")
        b2, rb = T.caller_route(rng, home_p=0.4)
        S.add(ts + rng.uniform(30, 600) * SEC, b2, a, rb, "missed_call_callback", "leg=callback_second_phone")


def legit_a2p(seed, T, S):
    rng = random.Random(f"{seed}:legit:a2p")
    # international flash-call OTP providers: rotating foreign CLIs via gateways
    providers = [("flash_intl_1", "GB", 320), ("flash_intl_2", "US", 260), ("flash_intl_3", "DE", 150)]
    for name, cc, rate in providers:
        r = T.igw[rng.randrange(3, 6)] if cc != "US" else T.igw[0]
        for ts in poisson_times(rng, rate):
            S.add(ts, foreign_number(rng, cc), T.home(rng), r, "a2p_flash_call",
                  f"provider={name};ingress={r.name};cli=rotating_foreign")
    # national aggregator: CLI block whose last digits carry the OTP
    for i, (route, rate) in enumerate([(T.transit[0], 320), (T.transit[2], 200)]):
        block = "+52" + "55" + "8" + digits(rng, 3)
        for ts in poisson_times(rng, rate):
            S.add(ts, block + digits(rng, 4), T.home(rng), route, "a2p_flash_call",
                  f"provider=flash_nat_{i + 1};ingress={route.name};cli=rotating_block")
    # OTP burst windows (marketing login peaks)
    for _ in range(4):
        route = T.transit[0]
        block = "+52" + "55" + "8" + digits(rng, 3)
        start = rng.uniform(0, DUR - 3 * MIN)
        n = rng.randint(60, 180)
        for _ in range(n):
            S.add(start + rng.uniform(0, 120) * SEC, block + digits(rng, 4), T.home(rng), route,
                  "a2p_flash_call", f"provider=flash_nat_peak;ingress={route.name};cli=rotating_block")


# ---------------------------------------------------------------- attacks
def inst_start(rng, h, span_ms):
    lo = h * HOUR
    hi = min((h + 1) * HOUR - SEC, DUR - span_ms - 2 * SEC)
    return rng.uniform(lo, max(lo, hi))


def pacing_offsets(rng, n, span, mode):
    """n offsets in [0, span], first 0 and last span (n >= 2)."""
    if n == 1:
        return [0.0]
    if mode == "regular":
        step = span / (n - 1)
        mids = [min(span, max(0.0, k * step + rng.uniform(-0.3, 0.3) * step)) for k in range(1, n - 1)]
    elif mode == "front_loaded":
        mids = [min(span, rng.expovariate(4.0 / span)) for _ in range(n - 2)]
    else:
        mids = [rng.uniform(0, span) for _ in range(n - 2)]
    return sorted([0.0] + mids + [float(span)])


def attack_masking_burst(seed, T, S):
    fam = "masking_burst"
    for h in range(2):
        rng = random.Random(f"{seed}:attack:{fam}:{h}")
        for k in range(rng.randint(20, 30)):
            iid = f"{FAMILY_TAG[fam]}-h{h + 1}-{k + 1:02d}"
            tr = tier(rng)
            if tr == "quiet":
                n, span = rng.randint(3, 8), rng.uniform(30, 180)
            elif tr == "loud":
                n, span = int(loguniform(rng, 40, 260)), loguniform(rng, 1.5, 25)
            else:
                n, span = rng.randint(8, 45), rng.uniform(4, 45)
            span_ms = int(span * SEC)
            route_mode = rng.choices(["igw", "transit", "poi", "multi"], weights=[30, 25, 25, 20])[0]
            pace = rng.choice(["uniform", "front_loaded", "regular"])
            if route_mode == "igw":
                routes = [T.igw_route(rng, 0.15)]
            elif route_mode == "transit":
                routes = [rng.choice(T.transit)]
            elif route_mode == "poi":
                routes = [T.poi_route(rng)]
            else:
                routes = []
                for _ in range(rng.randint(2, 4)):
                    routes.append(rng.choice([T.igw_route(rng, 0.1), rng.choice(T.transit), T.poi_route(rng)]))
            cli_mode = rng.choice(["random_national", "random_foreign", "mixed"])
            victim = T.home(rng)
            start = inst_start(rng, h, span_ms)
            offs = pacing_offsets(rng, n, span_ms, pace)
            used = set()
            for off in offs:
                r = rng.choice(routes)
                while True:
                    if r.kind == "igw" or cli_mode == "random_foreign" or (cli_mode == "mixed" and rng.random() < 0.5):
                        a = foreign_number(rng)
                    else:
                        a = mx_number(rng)
                    if a not in used:
                        used.add(a)
                        break
                S.add(start + off, a, victim, r, fam, f"route={route_mode};cli={cli_mode};pacing={pace};tier={tr}",
                      cls="attack", inst=iid)


def attack_refiled(seed, T, S):
    fam = "refiled_masking"
    for h in range(2):
        rng = random.Random(f"{seed}:attack:{fam}:{h}")
        for k in range(rng.randint(20, 30)):
            iid = f"{FAMILY_TAG[fam]}-h{h + 1}-{k + 1:02d}"
            tr = tier(rng)
            if tr == "quiet":
                ncli, span = rng.randint(2, 3), rng.uniform(90, 600)
            elif tr == "loud":
                ncli, span = rng.randint(7, 20), rng.uniform(5, 40)
            else:
                ncli, span = rng.randint(3, 6), rng.uniform(15, 90)
            span_ms = int(span * SEC)
            if rng.random() < 0.8:
                op = rng.choice(["telcel", "telcel", "movistar", "altan", "totalplay", "megacable", "izzi", "telmex"])
                r = T.poi_route(rng, op)
                rname = f"poi_{op}"
            else:
                r = rng.choice(T.transit)
                rname = "national_transit"
            cli_mode = rng.choice(["fresh_random", "fresh_same_area", "fresh_block"])
            victim = T.home(rng)
            area = victim[3:5] if victim[3:5] in ("55", "56", "33", "81") else "55"
            blk = mx_number(rng)[:-3]
            clis = []
            while len(clis) < ncli:
                if cli_mode == "fresh_random":
                    c = mx_number(rng)
                elif cli_mode == "fresh_same_area":
                    c = mx_number(rng, area)
                else:
                    c = blk + digits(rng, 3)
                if c not in clis:
                    clis.append(c)
            seq = list(clis)
            retry = rng.random() < 0.25
            if retry:
                for c in clis:
                    if rng.random() < 0.4:
                        seq.append(c)
            rest = seq[1:-1] if len(clis) > 1 else []
            rng.shuffle(rest)
            seq = [clis[0]] + rest + [clis[-1]] if len(clis) > 1 else seq
            offs = pacing_offsets(rng, len(seq), span_ms, "uniform")
            start = inst_start(rng, h, span_ms)
            for c, off in zip(seq, offs):
                S.add(start + off, c, victim, r, fam,
                      f"route={rname};cli={cli_mode};pacing={'with_retries' if retry else 'one_per_cli'};tier={tr}",
                      cls="attack", inst=iid)


def attack_simbox(seed, T, S):
    fam = "simbox"
    for h in range(2):
        rng = random.Random(f"{seed}:attack:{fam}:{h}")
        for k in range(rng.randint(20, 30)):
            iid = f"{FAMILY_TAG[fam]}-h{h + 1}-{k + 1:02d}"
            tr = tier(rng)
            nsims = rng.choices([1, rng.randint(2, 4), rng.randint(5, 9), rng.randint(10, 18)],
                                weights=[25, 40, 25, 10])[0]
            if tr == "quiet":
                rate_lo, rate_hi = 0.1, 0.8
            elif tr == "loud":
                rate_lo, rate_hi = 6.0, 12.0
                nsims = min(nsims, rng.randint(1, 8))
            else:
                rate_lo, rate_hi = 1.0, 6.0
            log_rate = tr == "typical"
            mode = rng.choices(["steady", "short_lived", "rotation"], weights=[50, 20, 30])[0]
            home_sims = rng.random() < 0.55
            if home_sims:
                r = rng.choice(T.core[:3])
                simsrc, callee = "home_prepaid_sims", "mixed"
            else:
                op = rng.choice(["telcel", "telcel", "movistar", "altan"])
                r = T.poi_route(rng, op)
                simsrc, callee = f"{op}_sims", "home"
            seqsims = rng.random() < 0.4
            base = mx_number(rng)[:-4]
            sims = []
            while len(sims) < nsims:
                s = (base + digits(rng, 4)) if seqsims else mx_number(rng)
                if s not in sims:
                    sims.append(s)
            t_inst = h * HOUR + rng.uniform(0, HOUR - 2 * MIN)
            for j, sim in enumerate(sims):
                if mode == "short_lived":
                    dur = rng.uniform(1.5, 6) * MIN
                    st = t_inst + rng.uniform(0, 3) * MIN * (j > 0)
                elif mode == "rotation":
                    dur = rng.uniform(3, 12) * MIN
                    st = t_inst + j * rng.uniform(0.5, 1.0) * dur / max(1, min(nsims, 4)) * (j > 0)
                else:
                    dur = rng.uniform(6, 25) * MIN if tr != "loud" else rng.uniform(3, 12) * MIN
                    st = t_inst + (rng.uniform(0, 2) * MIN if j > 0 else 0)
                if j == 0:
                    st = t_inst
                end = min(DUR - SEC, st + dur)
                rate = loguniform(rng, rate_lo, rate_hi) if log_rate else rng.uniform(rate_lo, rate_hi)
                mean_gap = MIN / rate
                times = []
                t = st
                while t <= end:
                    times.append(t)
                    t += max(4 * SEC, rng.gammavariate(4.0, mean_gap / 4.0))
                if len(times) < 2:
                    times = [st, st + max(4 * SEC, mean_gap)]
                    if times[1] >= DUR:
                        times = [st - mean_gap, st] if j > 0 else [st, st + 5 * SEC]
                for t in times:
                    if callee == "home" or rng.random() < 0.6:
                        b = T.home(rng)
                    else:
                        b = T.other(rng)
                    S.add(t, sim, b, r, fam,
                          f"sims={simsrc};numbering={'sequential' if seqsims else 'scattered'};mode={mode};tier={tr}",
                          cls="attack", inst=iid)


def attack_cli_rotation(seed, T, S):
    fam = "cli_rotation"
    for h in range(2):
        rng = random.Random(f"{seed}:attack:{fam}:{h}")
        for k in range(rng.randint(20, 30)):
            iid = f"{FAMILY_TAG[fam]}-h{h + 1}-{k + 1:02d}"
            tr = tier(rng)
            if tr == "quiet":
                rate, dur = rng.uniform(0.05, 0.5), rng.uniform(60, 420)
            elif tr == "loud":
                rate, dur = rng.uniform(2, 10), rng.uniform(20, 60)
            else:
                rate, dur = rng.uniform(0.5, 2.0), rng.uniform(60, 100)
            u = rng.random()
            if u < 0.35:
                r = T.pbxs[rng.randrange(len(T.pbxs))][0]
                src = "hijacked_pbx"
            elif u < 0.6:
                r = T.smbs[rng.randrange(len(T.smbs))][0]
                src = "hijacked_smb_bare" if r.trunk == "" else "hijacked_smb_trunk"
            else:
                r = Route("", f"100.72.{h}.{10 + k}", "bare", "bare_sip_peer")
                src = "bare_sip_peer"
            cli_mode = rng.choice(["random_national", "random_foreign", "sequential_block", "callee_area"])
            if r.national and cli_mode == "random_foreign":
                cli_mode = "random_national"
            ncli = max(2, int(round(rate * dur)) + 1)
            span_ms = int(dur * SEC)
            start = inst_start(rng, h, span_ms)
            offs = pacing_offsets(rng, ncli, span_ms, rng.choice(["uniform", "regular"]))
            blk_base = mx_number(rng)
            blk_num = int(blk_base[-4:])
            used = set()
            calls_per = rng.choice([1, 1, 1, 1, 1, 2, 3])
            for idx, off in enumerate(offs):
                while True:
                    b = T.home(rng) if rng.random() < 0.6 else T.other(rng)
                    if cli_mode == "random_national":
                        a = mx_number(rng)
                    elif cli_mode == "random_foreign":
                        a = foreign_number(rng)
                    elif cli_mode == "sequential_block":
                        a = blk_base[:-4] + f"{(blk_num + idx) % 10000:04d}"
                    else:
                        a = mx_number(rng, b[3:5] if b[3:5] in ("55", "56", "33", "81") else None)
                    if a not in used:
                        used.add(a)
                        break
                last = idx == len(offs) - 1
                ncalls = 1 if last else rng.randint(1, calls_per)
                gap = (offs[idx + 1] - off) if not last else 0
                for c in range(ncalls):
                    bb = b if c == 0 else (T.home(rng) if rng.random() < 0.6 else T.other(rng))
                    S.add(start + off + (gap * c / ncalls), a, bb, r, fam,
                          f"source={src};cli={cli_mode};calls_per_cli={calls_per};tier={tr}",
                          cls="attack", inst=iid)


def attack_intl_local(seed, T, S):
    fam = "intl_local_cli"
    for h in range(2):
        rng = random.Random(f"{seed}:attack:{fam}:{h}")
        for k in range(rng.randint(20, 30)):
            iid = f"{FAMILY_TAG[fam]}-h{h + 1}-{k + 1:02d}"
            tr = tier(rng)
            if tr == "quiet":
                n = rng.randint(1, 3)
            elif tr == "loud":
                n = int(loguniform(rng, 26, 130))
            else:
                n = rng.randint(4, 25)
            span_ms = int(loguniform(rng, 20, 1200) * SEC) if n > 1 else 0
            r = T.igw_route(rng, backup_p=0.3)
            rname = "gateway_backup_no_trunk" if r.trunk == "" else "gateway_trunk"
            cli_mode = rng.choice(["random_national", "single_cli", "home_subscribers", "same_area_as_callee"])
            tgt_mode = rng.choice(["many_callees", "one_callee"])
            one = T.home(rng)
            fixed = mx_number(rng)
            offs = pacing_offsets(rng, n, span_ms, rng.choice(["uniform", "regular", "front_loaded"]))
            start = inst_start(rng, h, span_ms)
            for off in offs:
                b = one if tgt_mode == "one_callee" else T.home(rng)
                if cli_mode == "random_national":
                    a = mx_number(rng)
                elif cli_mode == "single_cli":
                    a = fixed
                elif cli_mode == "home_subscribers":
                    a = T.home(rng)
                else:
                    a = mx_number(rng, b[3:5] if b[3:5] in ("55", "56", "33", "81") else b[3:6])
                S.add(start + off, a, b, r, fam, f"route={rname};cli={cli_mode};target={tgt_mode};tier={tr}",
                      cls="attack", inst=iid)


def attack_invalid(seed, T, S):
    fam = "invalid_cli"
    for h in range(2):
        rng = random.Random(f"{seed}:attack:{fam}:{h}")
        for k in range(rng.randint(20, 30)):
            iid = f"{FAMILY_TAG[fam]}-h{h + 1}-{k + 1:02d}"
            tr = tier(rng)
            if tr == "quiet":
                n = rng.randint(1, 2)
            elif tr == "loud":
                n = int(loguniform(rng, 16, 70))
            else:
                n = rng.randint(3, 15)
            span_ms = int(loguniform(rng, 10, 900) * SEC) if n > 1 else 0
            u = rng.random()
            if u < 0.3:
                op = rng.choice(["telcel", "movistar", "altan", "totalplay", "izzi", "megacable"])
                r, rname = T.poi_route(rng, op), f"poi_{op}"
            elif u < 0.55:
                r, rname = rng.choice(T.transit), "national_transit"
            elif u < 0.75:
                r = T.smbs[rng.randrange(len(T.smbs))][0]
                rname = "smb_bare_peer" if r.trunk == "" else "smb_trunk"
            elif u < 0.85:
                r = T.pbxs[rng.randrange(len(T.pbxs))][0]
                if r.national:
                    r = T.pbxs[0][0]
                rname = "pbx"
            else:
                r, rname = Route("", f"100.73.{h}.{10 + k}", "bare", "bare"), "bare_sip_peer"
            kind = rng.choice(INVALID_KINDS)
            fixed_cli = rng.random() < 0.3
            cli0 = invalid_mx_cli(rng, kind)
            offs = pacing_offsets(rng, n, span_ms, rng.choice(["uniform", "regular"]))
            start = inst_start(rng, h, span_ms)
            for off in offs:
                a = cli0 if fixed_cli else invalid_mx_cli(rng, kind)
                b = T.home(rng) if rng.random() < 0.7 else T.other(rng)
                S.add(start + off, a, b, r, fam,
                      f"route={rname};cli={kind};cli_reuse={'fixed' if fixed_cli else 'varying'};tier={tr}",
                      cls="attack", inst=iid)


# ---------------------------------------------------------------- intensity
def compute_intensities(rows):
    by = {}
    order = []
    for row in rows:
        if row[6] == "attack":
            if row[8] not in by:
                by[row[8]] = []
                order.append(row[8])
            by[row[8]].append(row)
    out = {}
    for iid in order:
        rs = by[iid]
        fam = rs[0][7]
        ts = [r[0] for r in rs]
        span_ms = max(ts) - min(ts)
        if fam == "masking_burst":
            val = (len(rs) - 1) / (span_ms / 1000.0)
        elif fam == "refiled_masking":
            clis = len({r[2] for r in rs})
            val = (clis - 1) / (span_ms / 60000.0)
        elif fam == "cli_rotation":
            clis = len({r[2] for r in rs})
            val = (clis - 1) / (span_ms / 1000.0)
        elif fam == "simbox":
            per = {}
            sims = []
            for r in rs:
                if r[2] not in per:
                    per[r[2]] = []
                    sims.append(r[2])
                per[r[2]].append(r[0])
            vals = []
            for s in sims:
                t = per[s]
                # A SIM whose calls share one millisecond (or a single call):
                # its span floored at 1 ms, as for the whole instance.
                vals.append((len(t) - 1) / (max(max(t) - min(t), 1) / 60000.0))
            val = sum(vals) / len(vals)
        else:
            val = float(len(rs))
        out[iid] = f"{val:.6f}" if fam not in ("intl_local_cli", "invalid_cli") else str(len(rs))
    return out


# ---------------------------------------------------------------- output
def toml_list(items):
    if not items:
        return "[]"
    return "[\n" + "".join(f'  "{x}",\n' for x in items) + "]"


def write_config(path, T, bare):
    allow_b, allow_a = [], []
    if not bare:
        allow_b = [n for n, k, listed in T.hotlines if listed] + \
                  [n for n, k, listed in T.radio if listed] + \
                  [n for n, listed in T.bridges if listed]
        for route, clis, listed, market, rate in T.call_centres:
            allow_a.extend(listed)
        for route, clis, listed in T.diallers:
            allow_a.extend(listed)
    trunks = [r.trunk for r in T.igw]
    with open(path, "w", encoding="utf-8") as f:
        f.write("[numbering]\ncountry_code = \"52\"\n\n")
        f.write("[rules.intl_ingress_local_cli]\n")
        f.write(f"trunks = {toml_list(trunks)}\n")
        f.write(f"sources = {toml_list(T.igw_cidrs)}\n\n")
        f.write("[lists]\n")
        f.write(f"allow_b_numbers = {toml_list(allow_b)}\n")
        f.write(f"allow_a_numbers = {toml_list(allow_a)}\n")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--labels", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--bare-config")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    seed = args.seed
    T = Topology(seed)
    S = Sink()
    for fn in (legit_subscriber, legit_interconnect, legit_international, legit_roaming,
               legit_call_centres, legit_enterprise, legit_crowds, legit_people, legit_a2p,
               attack_masking_burst, attack_refiled, attack_simbox, attack_cli_rotation,
               attack_intl_local, attack_invalid):
        fn(seed, T, S)
    rows = S.rows
    rows.sort(key=lambda r: (r[0], r[1]))
    inten = compute_intensities(rows)
    idr = random.Random(f"{seed}:callid")
    for d in (args.out, args.labels, args.config, args.bare_config):
        if d and os.path.dirname(os.path.abspath(d)):
            os.makedirs(os.path.dirname(os.path.abspath(d)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8", newline="") as fc, \
            open(args.labels, "w", encoding="utf-8", newline="") as fl:
        fc.write("call_id,a_number,b_number,timestamp_ms,source_ip,trunk\n")
        fl.write("call_id,class,type,instance,intensity,variant\n")
        for i, r in enumerate(rows):
            cid = f"{idr.getrandbits(64):016x}-{i:06x}@{r[4]}"
            if r[6] == "attack":
                r[9] = inten[r[8]]
            fields_c = [cid, r[2], r[3], str(r[0]), r[4], r[5]]
            fields_l = [cid, r[6], r[7], r[8], r[9], r[10]]
            for fv in fields_c + fields_l:
                if "," in fv or '"' in fv:
                    raise SystemExit(f"bad field {fv!r}")
            fc.write(",".join(fields_c) + "\n")
            fl.write(",".join(fields_l) + "\n")
    write_config(args.config, T, bare=False)
    if args.bare_config:
        write_config(args.bare_config, T, bare=True)
    if not args.quiet:
        counts = {}
        for r in rows:
            key = (r[6], r[7])
            counts[key] = counts.get(key, 0) + 1
        hours = [0, 0]
        for r in rows:
            hours[min(1, (r[0] - T0_MS) // HOUR)] += 1
        print(f"seed {seed}: {len(rows)} INVITEs (hour1 {hours[0]}, hour2 {hours[1]}), "
              f"{len(inten)} attack instances", file=sys.stderr)
        for key in sorted(counts):
            print(f"  {key[0]:6s} {key[1]:34s} {counts[key]:7d}", file=sys.stderr)


if __name__ == "__main__":
    main()
