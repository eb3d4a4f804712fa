#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR Apache-2.0
"""gen3: independent labelled call-masking test traffic generator (stdlib only).

Home network: a mid-size UK (+44) mobile+fixed operator ("HOME"). Two hours of
INVITEs as seen at HOME's switch ingress, ~56k calls/hour, legit + six attack
families. See README.md for the model and sources.
"""
import argparse
import datetime as _dt
import math
import random
import sys

CC = "44"
HOURS = 2
DUR = HOURS * 3600.0
T0 = int(_dt.datetime(2026, 3, 10, 10, 0, 0, tzinfo=_dt.timezone.utc).timestamp() * 1000)

# ---------------------------------------------------------------- numbering
# Mobile 4-digit prefixes (7xxx). libphonenumber accepts 7000-7999 broadly; real
# UK mobile allocations are 74xx-79xx, so use those (7911 and 7700 excluded).
_MOB = [f"7{i:03d}" for i in range(400, 1000) if not (600 <= i < 700) and f"7{i:03d}" not in ("7911", "7700")]
# geographic prefixes (NSN prefix, total NSN length 10)
GEO = {
    "london": ["203", "207", "208"],
    "birmingham": ["1212", "1213", "1214", "1215", "1216", "1217"],
    "manchester": ["1612", "1613", "1614", "1616", "1617", "1618", "1619"],
    "leeds": ["1132", "1133", "1134", "1135"],
    "glasgow": ["1412", "1413", "1414", "1415", "1416", "1417", "1418", "1419"],
    "edinburgh": ["1312", "1313", "1314", "1315", "1316"],
    "bristol": ["1172", "1173", "1174", "1179"],
    "liverpool": ["1512", "1513", "1514", "1515", "1516", "1517"],
    "sheffield": ["1142", "1143", "1144", "1145"],
    "nottingham": ["1156", "1157", "1158", "1159"],
    "cardiff": ["292"],
    "belfast": ["289"],
}
GEO_ALL = [p for v in GEO.values() for p in v]

FOREIGN = [  # (weight, templates)  X any digit, N 2-9
    (14, ["+1212NXXXXXX", "+1646NXXXXXX", "+1312NXXXXXX", "+1415NXXXXXX", "+1713NXXXXXX", "+1404NXXXXXX", "+1617NXXXXXX"]),
    (12, ["+919XXXXXXXXX", "+918XXXXXXXXX", "+917XXXXXXXXX"]),
    (7, ["+9230XXXXXXXX", "+9231XXXXXXXX", "+9232XXXXXXXX", "+9234XXXXXXXX"]),
    (8, ["+4850XXXXXXX", "+4851XXXXXXX", "+4853XXXXXXX", "+4860XXXXXXX", "+4866XXXXXXX", "+4869XXXXXXX", "+4872XXXXXXX", "+4879XXXXXXX", "+4888XXXXXXX"]),
    (6, ["+4072XXXXXXX", "+4073XXXXXXX", "+4074XXXXXXX", "+4075XXXXXXX", "+4076XXXXXXX", "+4077XXXXXXX"]),
    (5, ["+234803XXXXXXX", "+234806XXXXXXX", "+234810XXXXXXX", "+234813XXXXXXX", "+234703XXXXXXX", "+234905XXXXXXX"]),
    (7, ["+35383XXXXXXX", "+35385XXXXXXX", "+35386XXXXXXX", "+35387XXXXXXX", "+35389XXXXXXX"]),
    (6, ["+3361XXXXXXX", "+3362XXXXXXX", "+3366XXXXXXX", "+3367XXXXXXX", "+3368XXXXXXX", "+331NXXXXXXX"]),
    (6, ["+49151XXXXXXXX", "+49152XXXXXXXX", "+49160XXXXXXX", "+49170XXXXXXX", "+49176XXXXXXXX", "+4930NXXXXXXX"]),
    (5, ["+346XXXXXXXX"]),
    (4, ["+393[2-9]XXXXXXXX", "+3906NXXXXXXX"]),
    (3, ["+8613XXXXXXXXX", "+8618XXXXXXXXX"]),
    (3, ["+8801[3-9]XXXXXXXX"]),
    (2, ["+6391[5-9]XXXXXXX", "+6392[0-9]XXXXXXX"]),
    (2, ["+23324XXXXXXX", "+23320XXXXXXX", "+23354XXXXXXX"]),
    (2, ["+2547[0-2]XXXXXXX"]),
    (2, ["+6141XXXXXXX", "+6142XXXXXXX"]),
    (2, ["+97150XXXXXXX", "+97155XXXXXXX", "+97156XXXXXXX"]),
    (2, ["+2782XXXXXXX", "+2783XXXXXXX"]),
    (2, ["+9053[0-9]XXXXXXX", "+9054[0-9]XXXXXXX"]),
    (1, ["+26377XXXXXXX"]),
    (2, ["+3519[1236]XXXXXXX"]),
]


def _expand(t):
    parts, i = [], 0
    while i < len(t):
        c = t[i]
        if c == "[":
            j = t.index("]", i)
            cls, opts, k = t[i + 1:j], [], 0
            while k < len(cls):
                if k + 2 < len(cls) and cls[k + 1] == "-":
                    opts += [str(d) for d in range(int(cls[k]), int(cls[k + 2]) + 1)]
                    k += 3
                else:
                    opts.append(cls[k])
                    k += 1
            parts.append(opts)
            i = j + 1
        elif c == "X":
            parts.append(list("0123456789")); i += 1
        elif c == "N":
            parts.append(list("23456789")); i += 1
        else:
            parts.append([c]); i += 1
    return parts


FOREIGN_EXP = [(w, [_expand(t) for t in ts]) for w, ts in FOREIGN]
FOREIGN_W = [w for w, _ in FOREIGN_EXP]

# ---------------------------------------------------------------- world (fixed, seed independent)
W = random.Random(20260310)
_mob = _MOB[:]
W.shuffle(_mob)
OPS = ["HOME", "OPA", "OPB", "OPC", "OPD"]
# share of mobile prefix space per operator (HOME mid-size)
_share = {"HOME": 0.18, "OPA": 0.30, "OPB": 0.22, "OPC": 0.20, "OPD": 0.10}
MOB_BLOCKS, k = {}, 0
for op in OPS:
    n = int(len(_mob) * _share[op])
    MOB_BLOCKS[op] = _mob[k:k + n]
    k += n
MOB_BLOCKS["OPD"] += _mob[k:]
# fixed: each operator holds 1000-number blocks (NSN minus last 4 digits = 6 digits)
FIX_BLOCKS = {op: [] for op in OPS}
_fshare = {"HOME": 0.15, "OPA": 0.50, "OPB": 0.05, "OPC": 0.05, "OPD": 0.25}
for p in GEO_ALL:
    for _ in range(60):
        blk = p + "".join(W.choice("0123456789") for _ in range(6 - len(p)))
        r = W.random()
        acc = 0
        for op in OPS:
            acc += _fshare[op]
            if r < acc:
                FIX_BLOCKS[op].append(blk)
                break
        else:
            FIX_BLOCKS["OPD"].append(blk)


def _rip(rng, first):
    return f"{first}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


# trunks: name -> list of IPs
OWN_MSC = {f"MSC-{s}": [f"10.10.{i}.{j}" for j in (11, 12)] for i, s in enumerate(["LDN1", "LDN2", "MAN1", "BHM1", "GLA1"], 1)}
OWN_IMS = {"IMS-SBC-CORE1": ["10.20.0.21", "10.20.0.22"]}
INTERCONNECT = {}
IC_BY_OP = {}
_icw = {"OPA": 3, "OPB": 2, "OPC": 2, "OPD": 2}
for oi, op in enumerate(["OPA", "OPB", "OPC", "OPD"], 1):
    IC_BY_OP[op] = []
    for n in range(1, _icw[op] + 1):
        name = f"IC-{op}-{['LDN', 'MAN', 'BHM'][n - 1]}"
        INTERCONNECT[name] = [f"172.{16 + oi}.{n}.{j}" for j in (10, 11, 12)]
        IC_BY_OP[op].append(name)
IGW = {
    "IGW-LDN-A": ["195.66.10.5", "195.66.10.6"],
    "IGW-LDN-B": ["195.66.11.5", "195.66.11.6"],
    "IGW-MAN-A": ["212.58.40.9", "212.58.40.10"],
}
WHOLESALE = {
    "WS-TRANSITCO-1": ["83.137.20.1", "83.137.20.2"],
    "WS-TRANSITCO-2": ["83.137.21.1"],
    "WS-VOIPHUB-1": ["94.228.32.7", "94.228.32.8"],
}
PBX = {}
PBX_INFO = {}
_co = ["ACME", "NORTHWIND", "BRIGHTLAW", "KELVINENG", "HARBOURDENTAL", "STMARYSSCH", "CITYCOUNCIL", "PARKHOTEL",
       "REDKITE", "OAKLOGISTICS", "MERIDIANIT", "FOXACCOUNTS", "RIVERSIDEGP", "ATLASBUILD", "BLUEWAVE", "GREENLEAF",
       "IRONBRIDGE", "LUMENMEDIA", "NOBLEINS", "ORBITTRAVEL", "PEAKPROP", "QUAYMOTORS", "SUMMITFIN", "TRINITYCHURCH",
       "UNITYHOUSING", "VALEFOODS", "WESTGATESOL", "YORKARCH", "ZENITHRECRUIT", "ALPHAPRINT", "BECKETTVET",
       "CASTLEESTATES", "DOVERFREIGHT", "ELMCARE", "FALCONSEC", "GLENHOTEL", "HIGHPOINT", "ISLINGTONUNI",
       "JUBILEEPHARMA", "KINGSWAYLAW"]
for name in _co:
    t = f"PBX-{name}"
    PBX[t] = [_rip(W, W.choice([81, 86, 88, 90, 109, 146, 185, 212, 217]))] * 1
    if W.random() < 0.3:
        PBX[t].append(_rip(W, W.choice([81, 86, 185])))
    blk = W.choice(FIX_BLOCKS["HOME"])
    size = W.choice([20, 50, 100, 100, 200, 500, 1000])
    base = W.randint(0, 10000 - size)
    main = f"+{CC}{blk}{base:04d}"
    PBX_INFO[t] = (main, blk, base, size, W.lognormvariate(0, 0.9))
CALLCENTRE = {"SIP-CC-CONTACTPRO": ["62.128.96.40", "62.128.96.41"], "SIP-CC-RECOVERIES": ["31.221.5.70"]}
CC_CLIS = {
    "SIP-CC-CONTACTPRO": [f"+{CC}330{W.randint(1000000, 9999999)}" for _ in range(6)]
    + [f"+{CC}{W.choice(GEO['manchester'])}{W.randint(0, 999999):06d}" for _ in range(4)]
    + [f"+{CC}{W.choice(GEO['london'])}{W.randint(0, 9999999):07d}" for _ in range(4)],
    "SIP-CC-RECOVERIES": [f"+{CC}345{W.randint(1000000, 9999999)}" for _ in range(3)]
    + [f"+{CC}{W.choice(GEO['leeds'])}{W.randint(0, 999999):06d}" for _ in range(2)],
}
HOTLINES = {  # number -> kind
    f"+{CC}800{W.randint(1000000, 9999999)}": "utility-customer-service",
    f"+{CC}345{W.randint(1000000, 9999999)}": "bank-customer-service",
    f"+{CC}300{W.randint(1000000, 9999999)}": "government-helpline",
    f"+{CC}{GEO['london'][1]}{W.randint(0, 9999999):07d}": "radio-phone-in-london",
    f"+{CC}{GEO['manchester'][0]}{W.randint(0, 999999):06d}": "radio-phone-in-manchester",
    f"+{CC}330{W.randint(1000000, 9999999)}": "tv-competition-line",
}
BRIDGES = [f"+{CC}330{W.randint(1000000, 9999999)}" for _ in range(3)] + [f"+{CC}{GEO['london'][0]}{W.randint(0, 9999999):07d}"]
HOME_CORE = list(OWN_MSC)


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.rows = []  # (t_ms, a, b, ip, trunk, cls, type, inst, intensity, variant)
        self.home_active = [self.mob("HOME") for _ in range(15000)]
        self.inbound_for_callback = []

    # ---------------- numbers
    def digits(self, n):
        r = self.r
        return "".join(r.choice("0123456789") for _ in range(n))

    def mob(self, op):
        return f"+{CC}{self.r.choice(MOB_BLOCKS[op])}{self.digits(6)}"

    def fix(self, op):
        return f"+{CC}{self.r.choice(FIX_BLOCKS[op])}{self.digits(4)}"

    def sub(self, op, p_mob=None):
        if p_mob is None:
            p_mob = {"HOME": 0.8, "OPA": 0.45, "OPB": 0.95, "OPC": 0.95, "OPD": 0.4}[op]
        return self.mob(op) if self.r.random() < p_mob else self.fix(op)

    def foreign(self):
        r = self.r
        ts = r.choices(FOREIGN_EXP, weights=FOREIGN_W)[0][1]
        return "".join(r.choice(x) for x in r.choice(ts))

    def other_op(self):
        return self.r.choices(["OPA", "OPB", "OPC", "OPD"], weights=[35, 25, 22, 18])[0]

    def any_uk(self):
        op = self.r.choices(OPS, weights=[20, 32, 20, 17, 11])[0]
        return self.sub(op)

    def home_sub(self):
        r = self.r
        return r.choice(self.home_active) if r.random() < 0.3 else self.sub("HOME")

    def core_trunk(self, num):
        # stable per number (python str hash is salted -> use own hash)
        h = sum(ord(c) * (i + 1) for i, c in enumerate(num))
        if num[3] == "7":
            t = HOME_CORE[h % len(HOME_CORE)]
        else:
            t = "IMS-SBC-CORE1"
        return t

    def ip(self, trunk, tab):
        return self.r.choice(tab[trunk])

    # ---------------- timing
    def t_uniform(self):
        # mild late-morning ramp: rate 0.9 -> 1.1 over two hours
        r = self.r
        while True:
            t = r.random() * DUR
            if r.random() * 1.1 <= 0.9 + 0.2 * t / DUR:
                return t

    def pois(self, mu):
        return max(0, int(round(self.r.gauss(mu, math.sqrt(mu))))) if mu > 30 else self._pois_small(mu)

    def _pois_small(self, mu):
        L, k, p = math.exp(-mu), 0, 1.0
        while True:
            p *= self.r.random()
            if p < L:
                return k
            k += 1

    def add(self, t, a, b, ip, trunk, cls, typ, inst="", inten="", var=""):
        if 0 <= t < DUR:
            self.rows.append((T0 + int(t * 1000), a, b, ip, trunk, cls, typ, inst, inten, var))
            return True
        return False

    def legit(self, t, a, b, ip, trunk, typ):
        return self.add(t, a, b, ip, trunk, "legit", typ)

    # ---------------- ingress helper for a caller number
    def ingress_for_caller(self, a, op):
        """trunk/ip on which a call from number a (owned by op or 'INTL') reaches HOME."""
        r = self.r
        if op == "HOME":
            t = self.core_trunk(a)
            tab = OWN_MSC if t in OWN_MSC else OWN_IMS
            return t, r.choice(tab[t])
        if op == "INTL":
            t = r.choice(list(IGW))
            return t, r.choice(IGW[t])
        t = r.choice(IC_BY_OP[op])
        return t, r.choice(INTERCONNECT[t])

    def random_caller(self, p_home=0.3, p_intl=0.03):
        r = self.r
        x = r.random()
        if x < p_home:
            a, op = self.home_sub(), "HOME"
        elif x < p_home + p_intl:
            a, op = self.foreign(), "INTL"
        else:
            op = self.other_op()
            a = self.sub(op)
        t, ip = self.ingress_for_caller(a, op)
        return a, t, ip

    # ================================================================ LEGIT
    def legit_all(self):
        r = self.r
        H = HOURS
        # --- own subscribers (mobile + fixed) originating
        for _ in range(self.pois(16500 * H)):
            t = self.t_uniform()
            a = self.home_sub() if r.random() < 0.86 else self.fix("HOME")
            x = r.random()
            if x < 0.36:
                b = self.home_sub()
            elif x < 0.88:
                b = self.any_uk() if r.random() < 0.2 else self.sub(self.other_op())
            elif x < 0.955:
                b = f"+{CC}{r.choice(['800', '345', '330', '333', '300', '370'])}{self.digits(7)}"
            else:
                b = self.foreign()
            tr, ip = self.ingress_for_caller(a, "HOME")
            self.legit(t, a, b, ip, tr, "subscriber")
            # retries of the same call (busy / no answer)
            if r.random() < 0.06:
                tt = t
                for _ in range(r.randint(1, 3)):
                    tt += r.uniform(8, 90)
                    self.legit(tt, a, b, ip, tr, "subscriber")
        # --- national interconnect inbound (other domestic operators' subs calling HOME subs)
        for _ in range(self.pois(12500 * H)):
            t = self.t_uniform()
            op = self.other_op()
            # number portability: ~8% of CLIs belong to another range holder
            a = self.sub(op) if r.random() > 0.08 else self.sub(r.choice(["OPA", "OPB", "OPC", "OPD", "HOME"]))
            b = self.home_sub()
            tr = r.choice(IC_BY_OP[op])
            if self.legit(t, a, b, r.choice(INTERCONNECT[tr]), tr, "interconnect"):
                self.inbound_for_callback.append((t, a, b))
            if r.random() < 0.05:
                tt = t + r.uniform(10, 120)
                self.legit(tt, a, b, r.choice(INTERCONNECT[tr]), tr, "interconnect")
        # --- international inbound on gateways, foreign CLIs
        for _ in range(self.pois(2300 * H)):
            t = self.t_uniform()
            a = self.foreign()
            b = self.home_sub() if r.random() < 0.85 else self.sub(self.other_op())  # some transit to other UK nets
            tr = r.choice(list(IGW))
            if self.legit(t, a, b, r.choice(IGW[tr]), tr, "international"):
                self.inbound_for_callback.append((t, a, b))
            if r.random() < 0.08:  # international retries are common (poor ASR)
                self.legit(t + r.uniform(15, 120), a, b, r.choice(IGW[tr]), tr, "international")
        # --- roamers calling home via international gateways (UK CLI on IGW)
        for _ in range(self.pois(620 * H)):
            t = self.t_uniform()
            if r.random() < 0.6:
                a = r.choice(self.home_active) if r.random() < 0.5 else self.mob("HOME")
            else:
                a = self.mob(self.other_op())  # other UK operators' roamers calling HOME subs
            b = self.home_sub() if r.random() < 0.8 else self.any_uk()
            tr = r.choice(list(IGW))
            self.legit(t, a, b, r.choice(IGW[tr]), tr, "roamer")
        # --- wholesale / transit partners: small operators, VoIP, MVNO and legit intl transit
        for _ in range(self.pois(2600 * H)):
            t = self.t_uniform()
            x = r.random()
            if x < 0.3:
                a = f"+{CC}56{self.digits(8)}" if r.random() < 0.3 else self.fix(r.choice(["OPD", "OPA"]))
            elif x < 0.55:
                a = self.mob(r.choice(["OPD", "OPC"]))  # MVNO ranges
            elif x < 0.8:
                a = f"+{CC}{r.choice(['330', '333', '345', '370'])}{self.digits(7)}"
            else:
                a = self.foreign()
            b = self.home_sub()
            tr = r.choices(list(WHOLESALE), weights=[5, 2, 3])[0]
            self.legit(t, a, b, r.choice(WHOLESALE[tr]), tr, "wholesale")
        self.pbx_traffic()
        self.call_centre()
        self.hotlines()
        self.conferences()
        self.busy_mobiles()
        self.small_business_inbound()
        self.forwarding()

    def pbx_traffic(self):
        r = self.r
        tot = sum(v[4] for v in PBX_INFO.values())
        for tr, (main, blk, base, size, act) in PBX_INFO.items():
            n = self.pois(2000 * HOURS * act / tot)
            for _ in range(n):
                t = self.t_uniform()
                if size <= 20 or r.random() < 0.55:
                    a = main
                else:
                    a = f"+{CC}{blk}{base + r.randrange(size):04d}"
                x = r.random()
                b = self.any_uk() if x < 0.85 else (self.foreign() if x < 0.93 else f"+{CC}{r.choice(['800', '345', '330'])}{self.digits(7)}")
                self.legit(t, a, b, r.choice(PBX[tr]), tr, "pbx")

    def call_centre(self):
        r = self.r
        for tr, clis in CC_CLIS.items():
            big = tr == "SIP-CC-CONTACTPRO"
            # campaigns: dialler runs in sessions with breaks
            t = r.uniform(0, 300)
            while t < DUR:
                sess = r.uniform(900, 2400)
                rate = r.uniform(0.18, 0.35) if big else r.uniform(0.03, 0.08)  # calls/s
                camp_clis = r.sample(clis, k=min(len(clis), r.randint(2, 5)))
                end = min(DUR, t + sess)
                while t < end:
                    t += r.expovariate(rate)
                    a = r.choice(camp_clis)
                    b = self.any_uk() if r.random() < 0.97 else self.home_sub()
                    self.legit(t, a, b, r.choice(CALLCENTRE[tr]), tr, "call_centre")
                t = end + r.uniform(120, 900)

    def fan_in_call(self, t, b, typ, p_home=0.3, p_intl=0.02):
        a, tr, ip = self.random_caller(p_home, p_intl)
        self.legit(t, a, b, ip, tr, typ)

    def hotlines(self):
        r = self.r
        for num, kind in HOTLINES.items():
            if "customer-service" in kind or "helpline" in kind:
                rate = r.uniform(0.05, 0.16)  # calls/s steady, many distinct callers
                t = 0.0
                while t < DUR:
                    t += r.expovariate(rate * (0.9 + 0.2 * t / DUR))
                    self.fan_in_call(t, num, "hotline", 0.3, 0.01)
            else:
                # phone-in / competition: bursts after on-air announcements
                nb = r.randint(2, 4)
                for _ in range(nb):
                    t0 = r.uniform(-60, DUR - 60)
                    n = int(r.lognormvariate(math.log(180), 0.7))
                    tau = r.uniform(20, 90)
                    for _ in range(n):
                        a_t = t0 + r.expovariate(1 / tau)
                        self.fan_in_call(a_t, num, "hotline", 0.3, 0.005)
                        if r.random() < 0.25:  # engaged tone -> redial
                            self.fan_in_call(a_t + r.uniform(3, 30), num, "hotline", 0.3, 0.0)
                # background trickle
                t = 0.0
                while t < DUR:
                    t += r.expovariate(1 / 40)
                    self.fan_in_call(t, num, "hotline")

    def conferences(self):
        r = self.r
        for slot in range(0, int(DUR), 1800):
            for _ in range(r.randint(15, 30)):
                bridge = r.choice(BRIDGES)
                start = slot + r.choice([0, 0, 0, 900]) + r.gauss(0, 30)
                n = max(3, int(r.lognormvariate(math.log(11), 0.8)))
                for _ in range(n):
                    tt = start + r.gauss(60, 100)
                    self.fan_in_call(tt, bridge, "conference", 0.35, 0.06)
                    if r.random() < 0.08:  # dropped and rejoined
                        self.fan_in_call(tt + r.uniform(60, 900), bridge, "conference", 0.35, 0.0)

    def busy_mobiles(self):
        r = self.r
        for _ in range(45):
            a = self.mob("HOME")
            contacts = [self.any_uk() for _ in range(r.randint(15, 60))]
            tr, ip = self.ingress_for_caller(a, "HOME")
            t = r.uniform(-600, DUR)
            end = t + r.uniform(600, 2700)
            while t < end:
                t += r.lognormvariate(math.log(r.uniform(25, 90)), 0.6)
                b = r.choice(contacts) if r.random() < 0.7 else self.any_uk()
                self.legit(t, a, b, ip, tr, "busy_mobile")
                if r.random() < 0.3:  # they also receive calls (from contacts)
                    c = r.choice(contacts)
                    if c[3] == "7" or True:
                        op = self.owner(c)
                        itr, iip = self.ingress_for_caller(c, op)
                        self.legit(t + r.uniform(5, 120), c, a, iip, itr, "busy_mobile")

    def owner(self, num):
        nsn = num[3:]
        for op in OPS:
            if nsn[:4] in MOB_BLOCKS[op] or nsn[:6] in FIX_BLOCKS[op]:
                return op
        return "OPA"

    def small_business_inbound(self):
        # taxi firms, takeaways, GP surgeries: several distinct callers within a minute
        r = self.r
        for _ in range(30):
            b = self.fix("HOME") if r.random() < 0.7 else self.mob("HOME")
            base = r.uniform(0.1, 0.8) / 60  # calls/s
            t = 0.0
            peak = r.uniform(0, DUR)
            while t < DUR:
                lam = base * (1 + 3 * math.exp(-((t - peak) / 900) ** 2))
                t += r.expovariate(lam)
                self.fan_in_call(t, b, "small_business", 0.35, 0.01)

    def forwarding(self):
        # calls diverted by another operator's subscriber to a HOME number: arrive on the
        # interconnect with the ORIGINAL caller's CLI (may be foreign or any UK network)
        r = self.r
        for _ in range(self.pois(520 * HOURS)):
            t = self.t_uniform()
            x = r.random()
            a = self.foreign() if x < 0.12 else self.any_uk()
            op = self.other_op()
            tr = r.choice(IC_BY_OP[op])
            self.legit(t, a, self.home_sub(), r.choice(INTERCONNECT[tr]), tr, "call_forwarding")

    def callbacks(self):
        r = self.r
        for (t, a, b) in self.inbound_for_callback:
            if r.random() < 0.035:
                tr, ip = self.ingress_for_caller(b, "HOME")
                self.legit(t + r.uniform(20, 1800), b, a, ip, tr, "callback")

    # ================================================================ ATTACKS
    def bare_ip(self):
        return _rip(self.r, self.r.choice([5, 31, 37, 45, 91, 102, 103, 141, 176, 185, 193, 196, 197]))

    def attack_start(self, i, n, dur):
        """spread instance starts; first runs from before t=0, one straddles 3600."""
        r = self.r
        if i == 0:
            return -r.uniform(0.1, 0.6) * dur
        if i == 1:
            return 3600 - r.uniform(0.2, 0.8) * dur
        return r.uniform(-0.2 * dur, DUR - min(0.5 * dur, 600) - 30)

    def spoof_uk(self, style, ref=None):
        r = self.r
        if style == "uk-mobile":
            return self.mob(r.choice(OPS))
        if style == "uk-geo":
            return self.fix(r.choice(OPS))
        if style == "home-range":
            return self.sub("HOME")
        if style == "neighbour" and ref:
            return ref[:-4] + self.digits(4)
        return self.any_uk()

    def masking_burst(self, n_inst):
        r = self.r
        for i in range(n_inst):
            inst = f"mburst-{i + 1}"
            rate = math.exp(r.uniform(math.log(0.02), math.log(12)))  # calls/s
            dur = math.exp(r.uniform(math.log(10), math.log(420)))
            n = int(min(450, max(3, rate * dur)))
            dur = n / rate
            ing = r.choices(["wholesale", "interconnect", "bareip"], weights=[4, 3, 3])[0]
            if ing == "wholesale":
                tr = r.choice(list(WHOLESALE)); ips = WHOLESALE[tr]
            elif ing == "interconnect":
                tr = r.choice(list(INTERCONNECT)); ips = INTERCONNECT[tr]
            else:
                tr = ""; ips = [self.bare_ip() for _ in range(r.randint(1, 2))]
            style = r.choices(["uk-mobile", "uk-geo", "neighbour", "foreign", "mixed"], weights=[4, 2, 1.5, 1.5, 1])[0]
            b = self.home_sub() if r.random() < 0.8 else self.fix("HOME")
            t = self.attack_start(i, n_inst, dur)
            for _ in range(n):
                t += r.expovariate(rate)
                a = self.foreign() if style == "foreign" else self.spoof_uk(style, b)
                self.add(t, a, b, r.choice(ips), tr, "attack", "masking_burst", inst, f"{rate:.4g}", f"{ing}/{style}")

    def refiled_masking(self, n_inst):
        r = self.r
        routes = [(t, INTERCONNECT[t]) for t in r.sample(list(INTERCONNECT), 3)] + [(t, WHOLESALE[t]) for t in WHOLESALE]
        pools = {rt[0]: [self.spoof_uk(r.choice(["uk-mobile", "uk-geo"])) for _ in range(r.randint(150, 600))] for rt in routes}
        for i in range(n_inst):
            inst = f"refile-{i + 1}"
            tr, ips = r.choice(routes)
            v = r.random()
            if v < 0.65:
                n, span, sub = r.randint(3, 6), r.uniform(15, 90), "typical"
            elif v < 0.85:
                n, span, sub = r.randint(2, 4), r.uniform(90, 420), "quiet"
            else:
                n, span, sub = r.randint(7, 16), r.uniform(10, 60), "loud"
            clis = r.choice(["fresh-random", "route-pool", "foreign-kept"])
            b = self.home_sub()
            t0 = self.attack_start(i, n_inst, span)
            times = sorted(r.uniform(0, span) for _ in range(n - 2)) if n > 2 else []
            times = [0.0] + times + [span]
            intensity = n / (span / 60.0)
            used = set()
            for tt in times[:n]:
                while True:
                    if clis == "fresh-random":
                        a = self.spoof_uk(r.choice(["uk-mobile", "uk-mobile", "uk-geo"]))
                    elif clis == "route-pool":
                        a = r.choice(pools[tr])
                    else:
                        a = self.foreign()
                    if a not in used:
                        break
                used.add(a)
                self.add(t0 + tt, a, b, r.choice(ips), tr, "attack", "refiled_masking", inst, f"{intensity:.4g}", f"{sub}/{clis}")

    def simbox(self, n_inst):
        r = self.r
        for i in range(n_inst):
            inst = f"simbox-{i + 1}"
            op = "HOME" if r.random() < 0.6 else self.other_op()
            slots = int(math.exp(r.uniform(math.log(2), math.log(16))))
            rate = math.exp(r.uniform(math.log(0.12), math.log(6)))  # calls/min per SIM
            dur = r.uniform(600, 4800)
            # cap the volume of one box
            dur = min(dur, 700 / max(1e-9, slots * rate / 60))
            dur = max(dur, 300)
            rotation = r.random() < 0.4
            consecutive = r.random() < 0.5
            decoy = r.random() < 0.3
            blk = r.choice(MOB_BLOCKS[op])
            base = r.randint(0, 999000)

            def new_sim(k=[0]):
                k[0] += 1
                if consecutive:
                    return f"+{CC}{blk}{(base + k[0] * r.randint(1, 3)) % 1000000:06d}"
                return self.mob(op)
            # static location: one MSC (home SIMs) or one interconnect trunk (other op)
            if op == "HOME":
                tr = r.choice(HOME_CORE); ips = OWN_MSC[tr]
            else:
                tr = r.choice(IC_BY_OP[op]); ips = INTERCONNECT[tr]
            t_start = self.attack_start(i, n_inst, dur)
            variant = f"{'home' if op == 'HOME' else 'otherop'}-sims/{'consecutive' if consecutive else 'scattered'}{'/rotating' if rotation else ''}{'/decoy-intra' if decoy else ''}"
            all_sims = []
            for s in range(slots):
                sim = new_sim(); all_sims.append(sim)
                t = t_start + r.uniform(0, 60)
                life_end = t + (r.uniform(300, 1500) if rotation else dur)
                end = t_start + dur
                mean_gap = 60.0 / rate
                while t < end:
                    gap = max(4.0, r.lognormvariate(math.log(mean_gap), 0.5))
                    if r.random() < 0.04:  # human-like pause
                        gap += r.uniform(60, 600)
                    t += gap
                    if t >= life_end and rotation and t < end:
                        sim = new_sim(); all_sims.append(sim)
                        life_end = t + r.uniform(300, 1500)
                    if t >= end:
                        break
                    if decoy and r.random() < 0.05 and len(all_sims) > 1:
                        b = r.choice(all_sims)
                    else:
                        b = self.home_sub() if (op != "HOME" or r.random() < 0.4) else self.sub(self.other_op())
                    self.add(t, sim, b, r.choice(ips), tr, "attack", "simbox", inst, f"{rate:.4g}", variant)
                    if r.random() < 0.015:
                        # the called person rings back the local number they saw (legit behaviour)
                        cop = self.owner(b)
                        ctr, cip = self.ingress_for_caller(b, cop)
                        self.legit(t + r.uniform(60, 1800), b, sim, cip, ctr, "callback")

    def cli_rotation(self, n_inst):
        r = self.r
        pbxs = list(PBX)
        for i in range(n_inst):
            inst = f"clirot-{i + 1}"
            rate = math.exp(r.uniform(math.log(0.04), math.log(4)))  # new CLIs/s
            dur = math.exp(r.uniform(math.log(45), math.log(900)))
            n = int(min(250, max(4, rate * dur)))
            dur = n / rate
            src = r.choices(["pbx", "wholesale", "bareip"], weights=[4, 3, 3])[0]
            if src == "pbx":
                tr = r.choice(pbxs); ips = PBX[tr][:1]
            elif src == "wholesale":
                tr = r.choice(list(WHOLESALE)); ips = [r.choice(WHOLESALE[tr])]
            else:
                tr = ""; ips = [self.bare_ip()]
            style = r.choice(["random-mobile", "sequential", "neighbour", "random-geo"])
            targets = "many" if r.random() < 0.8 else "few"
            few = [self.home_sub() for _ in range(r.randint(1, 5))]
            seq_base = int(self.mob(r.choice(OPS))[3:]) if style == "sequential" else 0
            reuse = r.random() < 0.3
            t = self.attack_start(i, n_inst, dur)
            k = 0
            a = None
            while k < n:
                b = self.home_sub() if targets == "many" else r.choice(few)
                if style == "random-mobile":
                    a = self.mob(r.choice(OPS))
                elif style == "random-geo":
                    a = self.fix(r.choice(OPS))
                elif style == "sequential":
                    a = f"+{CC}{seq_base + k}"
                else:
                    a = self.spoof_uk("neighbour", b)
                reps = r.randint(1, 3) if reuse else 1
                gap = r.expovariate(rate)
                for j in range(reps):
                    self.add(t + j * gap / reps, a, b if j == 0 else self.home_sub(), ips[0], tr, "attack", "cli_rotation", inst, f"{rate:.4g}", f"{src}/{style}/{targets}-callees")
                t += gap
                k += 1

    def intl_local_cli(self, n_inst):
        r = self.r
        for i in range(n_inst):
            inst = f"intlcli-{i + 1}"
            n = max(1, int(math.exp(r.uniform(0, math.log(350)))))
            rate = math.exp(r.uniform(math.log(0.02), math.log(3)))
            dur = n / rate
            tr = r.choice(list(IGW))
            style = r.choices(["uk-mobile", "home-range", "uk-geo", "fixed-brand-cli", "neighbour"], weights=[3, 2, 2, 1.5, 1.5])[0]
            fixed = f"+{CC}{r.choice(['300', '345', '800'])}{self.digits(7)}" if r.random() < 0.6 else self.fix("OPA")
            t = self.attack_start(i, n_inst, dur)
            for _ in range(n):
                t += r.expovariate(rate)
                b = self.home_sub()
                a = fixed if style == "fixed-brand-cli" else self.spoof_uk(style, b)
                self.add(t, a, b, r.choice(IGW[tr]), tr, "attack", "intl_local_cli", inst, str(n), style)

    def invalid_cli_num(self, style):
        r = self.r
        if style == "nsn-leading-0":
            # NSN written with the trunk prefix 0 kept (lengths chosen so that stripping the 0
            # does not yield a valid number either)
            x = r.randrange(5)
            if x == 0:
                return f"+{CC}00{self.digits(9)}"
            if x == 1:
                return f"+{CC}07{r.choice('45789')}{self.digits(r.choice([7, 9]))}"
            if x == 2:
                return f"+{CC}020{r.choice('378')}{self.digits(r.choice([6, 8]))}"
            if x == 3:
                return f"+{CC}01{self.digits(7)}"
            return f"+{CC}0{r.choice(['7', '20'])}{self.digits(7)}"
        if style == "unassigned-range":
            return f"+{CC}{r.choice(['4', '6'])}{self.digits(9)}"
        if style == "wrong-length-mobile":
            return f"+{CC}{r.choice(MOB_BLOCKS[r.choice(OPS)])}{self.digits(r.choice([4, 5, 7]))}"
        # wrong-length geographic
        p = r.choice(["203", "207", "208", "1612", "1212"])
        return f"+{CC}{p}{self.digits(10 - len(p) + r.choice([-1, 1]))}"

    def invalid_cli(self, n_inst):
        r = self.r
        for i in range(n_inst):
            inst = f"invcli-{i + 1}"
            n = max(1, int(math.exp(r.uniform(0, math.log(450)))))
            rate = math.exp(r.uniform(math.log(0.02), math.log(4)))
            dur = n / rate
            ing = r.choices(["wholesale", "igw", "interconnect", "bareip", "pbx"], weights=[3, 3, 2, 2, 1])[0]
            tab = {"wholesale": WHOLESALE, "igw": IGW, "interconnect": INTERCONNECT, "pbx": PBX}.get(ing)
            if tab:
                tr = r.choice(list(tab)); ips = tab[tr]
            else:
                tr = ""; ips = [self.bare_ip()]
            style = r.choice(["nsn-leading-0", "unassigned-range", "wrong-length-mobile", "wrong-length-geo"])
            per_cli = 1 if r.random() < 0.7 else r.randint(2, 10)
            t = self.attack_start(i, n_inst, dur)
            a = None
            for k in range(n):
                t += r.expovariate(rate)
                if k % per_cli == 0:
                    a = self.invalid_cli_num(style)
                self.add(t, a, self.home_sub(), r.choice(ips), tr, "attack", "invalid_cli", inst, str(n), f"{ing}/{style}")

    # ================================================================ run
    def run(self):
        self.legit_all()
        self.masking_burst(46)
        self.refiled_masking(80)
        self.simbox(26)
        self.cli_rotation(44)
        self.intl_local_cli(44)
        self.invalid_cli(44)
        self.callbacks()
        # for the "calls per instance" families, report the calls actually inside the window
        cnt = {}
        for x in self.rows:
            if x[6] in ("intl_local_cli", "invalid_cli"):
                cnt[x[7]] = cnt.get(x[7], 0) + 1
        self.rows = [x[:8] + (str(cnt[x[7]]),) + x[9:] if x[7] in cnt else x for x in self.rows]
        self.rows.sort(key=lambda x: x[0])


def write(gen, out, labels, config):
    r = gen.r
    seen = set()
    with open(out, "w", newline="") as fc, open(labels, "w", newline="") as fl:
        fc.write("call_id,a_number,b_number,timestamp_ms,source_ip,trunk\n")
        fl.write("call_id,class,type,instance,intensity,variant\n")
        for row in gen.rows:
            while True:
                cid = f"{r.getrandbits(64):016x}"
                if cid not in seen:
                    seen.add(cid)
                    break
            t, a, b, ip, tr, cls, typ, inst, inten, var = row
            fc.write(f"{cid},{a},{b},{t},{ip},{tr}\n")
            fl.write(f"{cid},{cls},{typ},{inst},{inten},{var}\n")
    q = lambda xs: "[" + ", ".join(f'"{x}"' for x in xs) + "]"
    with open(config, "w") as f:
        f.write("[numbering]\n")
        f.write(f'country_code = "{CC}"\n\n')
        f.write("[rules.intl_ingress_local_cli]\n")
        f.write(f"trunks = {q(IGW)}\n\n")
        f.write("[lists]\n")
        f.write(f"allow_b_numbers = {q(list(HOTLINES) + BRIDGES)}\n")
        f.write(f"allow_a_numbers = {q([c for v in CC_CLIS.values() for c in v])}\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--labels", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args()
    g = Gen(a.seed)
    g.run()
    write(g, a.out, a.labels, a.config)
    if not a.quiet:
        from collections import Counter
        c = Counter((x[5], x[6]) for x in g.rows)
        inst = Counter()
        for x in g.rows:
            if x[5] == "attack":
                inst[(x[6], x[7])] += 1
        fam = Counter(k[0] for k in inst)
        print(f"calls={len(g.rows)}", file=sys.stderr)
        for k, v in sorted(c.items()):
            extra = f" instances={fam[k[1]]}" if k[0] == "attack" else ""
            print(f"  {k[0]:6s} {k[1]:16s} {v:7d}{extra}", file=sys.stderr)


if __name__ == "__main__":
    main()
