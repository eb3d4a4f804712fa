# SPDX-License-Identifier: MIT OR Apache-2.0
"""Eighth independent labelled CDR generator: a NANP (+1) regional carrier.

Models the SBC of a fictional US regional wireless + wireline carrier serving
Greater Cincinnati / Dayton / Northern Kentucky / south-east Indiana (NPAs 513,
283, 937, 326, 859, 812, 930) for two consecutive hours (08:00-10:00 EDT on
Tuesday 2024-10-29).  One CDR row per INVITE, with a parallel labels file.

Standard library only; deterministic for a given --seed.  See
docs/eighth-generator.md for the model, the volumes and the sources.

Usage:
  python3 scripts/indep_gen8.py --seed N --out cdrs.csv --labels labels.csv \
      --config deploy.toml [--bare-config bare.toml] [--quiet]
"""

import argparse
import bisect
import calendar
import math
import random
import sys
import time

# --------------------------------------------------------------------------
# Time frame
# --------------------------------------------------------------------------
T0_MS = calendar.timegm((2024, 10, 29, 12, 0, 0)) * 1000  # 08:00 EDT
WIN_S = 7200
WIN_MS = WIN_S * 1000

# --------------------------------------------------------------------------
# Numbering data (NPA lists checked against libphonenumber metadata 9.0.x)
# --------------------------------------------------------------------------
US_GEO_NPAS = [
    201, 202, 203, 205, 206, 207, 208, 209, 210, 212, 213, 214, 215, 216, 217,
    218, 219, 220, 223, 224, 225, 227, 228, 229, 231, 234, 235, 239, 240, 248,
    251, 252, 253, 254, 256, 260, 262, 267, 269, 270, 272, 274, 276, 279, 281,
    283, 301, 302, 303, 304, 305, 307, 308, 309, 310, 312, 313, 314, 315, 316,
    317, 318, 319, 320, 321, 323, 324, 325, 326, 327, 329, 330, 331, 332, 334,
    336, 337, 339, 341, 346, 347, 350, 351, 352, 353, 360, 361, 363, 364, 369,
    380, 385, 386, 401, 402, 404, 405, 406, 407, 408, 409, 410, 412, 413, 414,
    415, 417, 419, 423, 424, 425, 430, 432, 434, 435, 440, 442, 443, 445, 447,
    448, 458, 463, 464, 469, 470, 472, 475, 478, 479, 480, 484, 501, 502, 503,
    504, 505, 507, 508, 509, 510, 512, 513, 515, 516, 517, 518, 520, 530, 531,
    534, 539, 540, 541, 551, 557, 559, 561, 562, 563, 564, 567, 570, 571, 572,
    573, 574, 575, 580, 582, 585, 586, 601, 602, 603, 605, 606, 607, 608, 609,
    610, 612, 614, 615, 616, 617, 618, 619, 620, 623, 626, 628, 629, 630, 631,
    636, 640, 641, 645, 646, 650, 651, 656, 657, 659, 660, 661, 662, 667, 669,
    678, 680, 681, 682, 686, 689, 701, 702, 703, 704, 706, 707, 708, 712, 713,
    714, 715, 716, 717, 718, 719, 720, 724, 725, 726, 727, 728, 730, 731, 732,
    734, 737, 738, 740, 743, 747, 748, 754, 757, 760, 762, 763, 765, 769, 770,
    771, 772, 773, 774, 775, 779, 781, 785, 786, 801, 802, 803, 804, 805, 806,
    808, 810, 812, 813, 814, 815, 816, 817, 818, 820, 821, 826, 828, 830, 831,
    832, 835, 838, 839, 840, 843, 845, 847, 848, 850, 854, 856, 857, 858, 859,
    860, 862, 863, 864, 865, 870, 872, 878, 901, 903, 904, 906, 907, 908, 909,
    910, 912, 913, 914, 915, 916, 917, 918, 919, 920, 925, 928, 929, 930, 931,
    934, 936, 937, 938, 940, 941, 943, 945, 947, 948, 949, 951, 952, 954, 956,
    959, 970, 971, 972, 973, 975, 978, 979, 980, 984, 985, 986, 989,
]
# Home NPAs of the modelled carrier and the share of its numbers in each.
HOME_NPA_W = [(513, 0.33), (283, 0.04), (937, 0.22), (326, 0.03),
              (859, 0.22), (812, 0.12), (930, 0.04)]
HOME_NPAS = [n for n, _ in HOME_NPA_W]
HOME_NPA_SET = {str(n) for n in HOME_NPAS}
# How many central-office codes (NXX) the carrier holds in each home NPA.
OUR_NXX_COUNT = {513: 60, 283: 8, 937: 40, 326: 5, 859: 36, 812: 18, 930: 4}
# Neighbouring NPAs (Ohio, Kentucky, Indiana, West Virginia, Michigan).
NEAR_NPAS = [614, 380, 740, 220, 419, 567, 502, 606, 270, 364, 317, 463, 765,
             304, 681, 330, 234, 216, 440, 734, 313]
CA_NPAS = [
    204, 226, 236, 249, 250, 257, 263, 273, 289, 306, 343, 354, 365, 367, 368,
    382, 403, 416, 418, 428, 431, 437, 438, 450, 468, 474, 506, 514, 519, 548,
    579, 581, 584, 587, 604, 613, 639, 647, 672, 683, 705, 709, 742, 753, 778,
    780, 782, 807, 819, 825, 867, 873, 879, 902, 905, 942,
]
CA_ONTARIO = [226, 249, 289, 343, 365, 416, 437, 519, 548, 613, 647, 705, 905]
TOLLFREE_NPAS = [800, 833, 844, 855, 866, 877, 888]
PR_NPAS = [787, 939]
# Caribbean / Atlantic NANP members: NPA -> (region, NXX codes valid in
# libphonenumber metadata, N11 and 555 excluded).
CARIB = {
    876: ("JM", [233, 248, 274, 289, 346, 349, 396, 602, 731, 875, 926, 990]),
    809: ("DO", [224, 283, 431, 445, 477, 512, 527, 528, 594, 673, 762, 956]),
    829: ("DO", [230, 421, 524, 526, 657, 674, 696, 739, 743, 850, 856, 990]),
    849: ("DO", [267, 397, 408, 409, 447, 461, 480, 509, 642, 710, 761, 828]),
    868: ("TT", [304, 336, 355, 361, 430, 470, 482, 499, 615, 679, 734, 774]),
    242: ("BS", [347, 348, 352, 381, 394, 421, 446, 455, 458, 823, 832, 889]),
    246: ("BB", [267, 359, 415, 421, 444, 447, 459, 535, 541, 713, 731, 838]),
    345: ("KY", [232, 329, 412, 768, 777, 924, 928, 929, 939, 949]),
    758: ("LC", [285, 287, 451, 460, 463, 484, 485, 570, 572, 724, 725, 726]),
    473: ("GD", [329, 403, 404, 414, 419, 421, 440, 441, 442, 468, 490, 536]),
    268: ("AG", [406, 481, 713, 715, 716, 717, 720, 722, 723, 728, 734, 786]),
    441: ("BM", [208, 239, 358, 431, 453, 503, 521, 591, 699, 715, 813, 839]),
}
CARIB_W = [(876, 24), (809, 14), (829, 8), (849, 5), (868, 8), (242, 6),
           (246, 5), (345, 3), (758, 3), (473, 3), (268, 3), (441, 3)]
CARIB_NPA_SET = {str(n) for n in CARIB}
# Non-NANP number patterns (E.164 prefix, random digits) that libphonenumber
# validates for every suffix; weights loosely follow inbound origin mix.
INTL_PATTERNS = [
    ("+5255", 8, 9), ("+5281", 8, 4), ("+5233", 8, 5),          # Mexico
    ("+9198", 8, 4), ("+9199", 8, 4), ("+9197", 8, 3), ("+9170", 8, 3),  # India
    ("+4475", 8, 3), ("+4478", 8, 3), ("+44207", 7, 2),           # UK
    ("+491512", 7, 2), ("+491520", 7, 2), ("+4930", 8, 2),       # Germany
    ("+63917", 7, 3), ("+63927", 7, 3),                           # Philippines
    ("+86138", 8, 3), ("+86139", 8, 3),                           # China
    ("+234803", 7, 4),                                            # Nigeria
    ("+50255", 6, 6), ("+50377", 6, 3),                           # GT, SV
    ("+55119", 8, 3), ("+346", 8, 2), ("+39347", 7, 2),           # BR, ES, IT
    ("+8180", 8, 3), ("+23324", 7, 3), ("+254722", 6, 2),         # JP, GH, KE
    ("+97150", 7, 2), ("+92300", 7, 2), ("+880171", 7, 2), ("+8490", 7, 3),
]
# NXX codes never used for ordinary numbers here (555 directory / fiction,
# 950 feature group B, 958/959 plant test, 976 information services).
BAD_NXX = {555, 950, 958, 959, 976}
VALID_NXX = [x for x in range(200, 1000) if x % 100 != 11 and x not in BAD_NXX]
# NPA codes reserved by the plan: N9X (expansion), 37X and 96X (unanticipated).
RESERVED_NPAS = ([a * 100 + 90 + c for a in range(2, 10) for c in range(10)]
                 + list(range(370, 380)) + list(range(960, 970)))
US_GEO_SET = {str(n) for n in US_GEO_NPAS}
CA_SET = {str(n) for n in CA_NPAS}
TF_SET = {str(n) for n in TOLLFREE_NPAS}
PR_SET = {str(n) for n in PR_NPAS}

# --------------------------------------------------------------------------
# Ingress points of the SBC: (trunk group, signalling peer IPv4)
# Public peers use RFC 5737 documentation ranges; internal ones RFC 1918.
# --------------------------------------------------------------------------
IMS = [("IMS-CORE-1", "10.64.10.11"), ("IMS-CORE-2", "10.64.20.11")]
C5 = {"CIN": ("C5-CIN-A", "10.66.1.20"), "DAY": ("C5-DAY-A", "10.66.2.20"),
      "NKY": ("C5-NKY-A", "10.66.3.20")}
C5_BY_NPA = {"513": "CIN", "283": "CIN", "812": "CIN", "930": "CIN",
             "937": "DAY", "326": "DAY", "859": "NKY"}
TDM = [("IXC-TDM-01", "10.70.0.21"), ("IXC-TDM-02", "10.70.0.22"),
       ("ILEC-TAN-CIN", "10.70.1.21"), ("ILEC-TAN-DAY", "10.70.1.22")]
TDM_W = [0.34, 0.22, 0.28, 0.16]
NNI = [("NNI-SIP-A", "172.16.40.10"), ("NNI-SIP-A", "172.16.40.11"),
       ("NNI-SIP-B", "172.16.41.10"), ("NNI-SIP-C", "172.16.42.10")]
NNI_W = [0.25, 0.25, 0.32, 0.18]
VOIP_PEERS = ["192.0.2.10", "192.0.2.11", "192.0.2.34", "192.0.2.35",
              "192.0.2.66", "192.0.2.98", "192.0.2.130", "192.0.2.162"]
VOIP_W = [0.18, 0.18, 0.14, 0.10, 0.14, 0.10, 0.09, 0.07]
CPAAS_PHARMACY = "192.0.2.180"
CPAAS_APPT = "192.0.2.181"
CPAAS_SCHOOL = "192.0.2.182"
CPAAS_POLITICAL = "192.0.2.183"
INTL = [("INTL-GW-01", "198.51.100.10"), ("INTL-GW-01", "198.51.100.11"),
        ("INTL-GW-02", "198.51.100.40"), ("INTL-GW-02", "198.51.100.41"),
        ("INTL-GW-03", "203.0.113.70"), ("INTL-GW-03", "203.0.113.71")]
INTL_W = [0.22, 0.22, 0.18, 0.18, 0.10, 0.10]
INTL_TRUNKS = ["INTL-GW-01", "INTL-GW-02", "INTL-GW-03"]
INTL_CIDRS = ["198.51.100.0/26", "203.0.113.64/28"]

FAMILY_COUNTS = {  # attack instances over the two hours (about 140 an hour)
    "masking_burst": 62, "refiled_masking": 50, "simbox": 18,
    "cli_rotation": 30, "intl_local_cli": 62, "invalid_cli": 58,
}


def fmt(num, style):
    """Format an internal number (10-digit NANP or '+...') per ingress style."""
    if num[0] == "+":
        if style != "e164":
            raise ValueError("non-NANP number on a national-format ingress")
        return num
    if style == "e164":
        return "+1" + num
    if style == "n11":
        return "1" + num
    return num


def num_kind(num):
    if num[0] == "+":
        return "intl"
    npa = num[:3]
    if npa in HOME_NPA_SET:
        return "home"
    if npa in US_GEO_SET:
        return "us"
    if npa in CA_SET:
        return "ca"
    if npa in CARIB_NPA_SET:
        return "carib"
    if npa in TF_SET:
        return "tf"
    if npa in PR_SET:
        return "pr"
    return "other"


def wchoice(r, items, weights):
    return r.choices(items, weights=weights, k=1)[0]


def sweep(r, n, lo, hi):
    """n stratified log-uniform values between lo and hi, shuffled."""
    a, b = math.log(lo), math.log(hi)
    vals = [math.exp(a + (i + r.random()) / n * (b - a)) for i in range(n)]
    r.shuffle(vals)
    return vals


def strat_fracs(r, n):
    slots = list(range(n))
    r.shuffle(slots)
    return [(s + r.random()) / n for s in slots]


def spread_times(t0, span_ms, n, fracs):
    """n integer ms timestamps from t0 to t0+span_ms (both ends exact),
    interior at the given sorted fractions, strictly increasing if room."""
    if n == 1:
        return [t0]
    ts = [t0] + [t0 + int(round(f * span_ms)) for f in fracs] + [t0 + span_ms]
    if span_ms >= n - 1:
        for i in range(1, n - 1):
            if ts[i] <= ts[i - 1]:
                ts[i] = ts[i - 1] + 1
        for i in range(n - 2, 0, -1):
            if ts[i] >= ts[i + 1]:
                ts[i] = ts[i + 1] - 1
    return ts


class Gen:
    def __init__(self, seed):
        self.seed = seed
        self.rows = []
        self.inst_rows = {}
        self.inst_family = {}
        self.order = self.rng("order")
        self.used = set()
        self.hotlines = {}   # number -> (name, listed, onnet)
        self.bridges = {}
        self.allow_a = []
        self.build_world()

    def rng(self, name):
        return random.Random("indep_gen8|%d|%s" % (self.seed, name))

    # ------------------------------------------------------------------ world
    def build_world(self):
        r = self.rng("world")
        self.our_nxx, self.other_nxx = {}, {}
        self.mob_blocks, self.wl_blocks, self.biz_blocks = {}, {}, {}
        for npa in HOME_NPAS:
            allx = VALID_NXX[:]
            r.shuffle(allx)
            n = OUR_NXX_COUNT[npa]
            ours = sorted(allx[:n])
            self.our_nxx[npa] = ours
            self.other_nxx[npa] = sorted(allx[n:])
            mob, wl = [], []
            # overlay codes (283/326/930) are young: mostly mobile numbers
            pm = 0.85 if npa in (283, 326, 930) else 0.66
            for i, x in enumerate(ours):
                (mob if (r.random() < pm or i == 0) else wl).append("%d%03d" % (npa, x))
            while len(wl) < 2:
                wl.append(mob.pop())
            # business exchanges (DID blocks, hosted lines) are kept apart
            # from the residential ones
            nb = max(1, len(wl) // 3)
            self.biz_blocks[npa] = wl[:nb]
            wl = wl[nb:]
            self.mob_blocks[npa], self.wl_blocks[npa] = mob, wl
        self.home_w = [w for _, w in HOME_NPA_W]
        # subscriber pools
        self.mob, self.mob_cw = self._pool(r, 130000, self.mob_blocks, 0.03)
        self.wl, self.wl_cw = self._pool(r, 50000, self.wl_blocks, 0.0)
        # off-net caller pool (frequent correspondents of our subscribers)
        pool, cw, acc = [], [], 0.0
        seen = set()
        while len(pool) < 60000:
            x = r.random()
            if x < 0.58:
                n = self.offnet_local(r)
            elif x < 0.935:
                n = self.national(r)
            elif x < 0.97:
                n = self.canadian(r)
            elif x < 0.975:
                n = self.caribbean(r)
            elif x < 0.978:
                n = self.puerto_rico(r)
            else:
                n = self.tollfree(r)
            if n in seen:
                continue
            seen.add(n)
            pool.append(n)
            acc += r.lognormvariate(0.0, 1.0)
            cw.append(acc)
        self.offp, self.offp_cw = pool, cw

    def _pool(self, r, size, blocks, ported):
        nums, cw, acc = [], [], 0.0
        while len(nums) < size:
            if r.random() < ported:
                n = self.national(r)
            else:
                npa = wchoice(r, HOME_NPAS, self.home_w)
                n = r.choice(blocks[npa]) + "%04d" % r.randint(0, 9999)
            if n in self.used:
                continue
            self.used.add(n)
            nums.append(n)
            acc += r.lognormvariate(0.0, 1.1)
            cw.append(acc)
        return nums, cw

    # --------------------------------------------------------- number makers
    @staticmethod
    def pick(pool, cw, r):
        return pool[bisect.bisect_right(cw, r.random() * cw[-1])]

    def mobile_sub(self, r):
        return self.pick(self.mob, self.mob_cw, r)

    def wireline_sub(self, r):
        return self.pick(self.wl, self.wl_cw, r)

    def onnet_sub(self, r, pm=0.7):
        return self.mobile_sub(r) if r.random() < pm else self.wireline_sub(r)

    def offnet_local(self, r, npa=None):
        if npa is None:
            npa = wchoice(r, HOME_NPAS, self.home_w)
        return "%d%03d%04d" % (npa, r.choice(self.other_nxx[npa]), r.randint(0, 9999))

    def national(self, r):
        npa = r.choice(NEAR_NPAS) if r.random() < 0.4 else r.choice(US_GEO_NPAS)
        return "%d%03d%04d" % (npa, r.choice(VALID_NXX), r.randint(0, 9999))

    def canadian(self, r):
        npa = r.choice(CA_ONTARIO) if r.random() < 0.5 else r.choice(CA_NPAS)
        return "%d%03d%04d" % (npa, r.choice(VALID_NXX), r.randint(0, 9999))

    def caribbean(self, r):
        npa = wchoice(r, [n for n, _ in CARIB_W], [w for _, w in CARIB_W])
        return "%d%03d%04d" % (npa, r.choice(CARIB[npa][1]), r.randint(0, 9999))

    def puerto_rico(self, r):
        return "%d%03d%04d" % (r.choice(PR_NPAS), r.choice(VALID_NXX), r.randint(0, 9999))

    def tollfree(self, r):
        return "%d%03d%04d" % (r.choice(TOLLFREE_NPAS), r.choice(VALID_NXX), r.randint(0, 9999))

    def intl_number(self, r):
        p = wchoice(r, INTL_PATTERNS, [w for _, _, w in INTL_PATTERNS])
        return p[0] + "".join(r.choice("0123456789") for _ in range(p[1]))

    def offnet_caller(self, r):
        if r.random() < 0.62:
            return self.pick(self.offp, self.offp_cw, r)
        return self.offnet_local(r) if r.random() < 0.6 else self.national(r)

    def new_onnet(self, r, wireline=True, npa=None):
        blocks = self.biz_blocks if wireline else self.mob_blocks
        while True:
            p = npa or wchoice(r, HOME_NPAS, self.home_w)
            n = r.choice(blocks[p]) + "%04d" % r.randint(0, 9999)
            if n not in self.used:
                self.used.add(n)
                return n

    def outbound_dest(self, r, allow_intl):
        x = r.random()
        if x < 0.27:
            return self.mobile_sub(r)
        if x < 0.33:
            return self.wireline_sub(r)
        if x < 0.74:
            return self.offnet_local(r)
        if x < 0.895:
            return self.national(r)
        if x < 0.945:
            return self.tollfree(r)
        if x < 0.965:
            return self.canadian(r)
        if x < 0.97:
            return self.caribbean(r)
        if allow_intl and x < 0.985:
            return self.intl_number(r)
        return self.offnet_local(r)

    # ------------------------------------------------------------- ingresses
    @staticmethod
    def ing_ims(r):
        t, ip = r.choice(IMS)
        return ("ims", t, ip, "e164")

    @staticmethod
    def ing_c5(num):
        t, ip = C5[C5_BY_NPA.get(num[:3], "CIN")]
        return ("c5", t, ip, "n10")

    @staticmethod
    def ing_tdm(r):
        t, ip = wchoice(r, TDM, TDM_W)
        return ("tdm", t, ip, "n10")

    @staticmethod
    def ing_nni(r):
        t, ip = wchoice(r, NNI, NNI_W)
        return ("nni", t, ip, "e164")

    @staticmethod
    def ing_voip(r):
        return ("voip", "", wchoice(r, VOIP_PEERS, VOIP_W), "n11")

    @staticmethod
    def ing_intl(r):
        t, ip = wchoice(r, INTL, INTL_W)
        return ("intl", t, ip, "e164")

    def sub_ingress(self, r, num):
        """Ingress of a call originated by one of our subscribers."""
        if num in self._wl_set:
            return self.ing_c5(num)
        return self.ing_ims(r)

    def inbound_source(self, r):
        """Caller and ingress for a call towards a number hosted on-net."""
        x = r.random()
        if x < 0.30:
            a = self.mobile_sub(r)
            return a, self.ing_ims(r)
        if x < 0.40:
            a = self.wireline_sub(r)
            return a, self.ing_c5(a)
        a = self.offnet_caller(r)
        if x < 0.62:
            return a, self.ing_tdm(r)
        if x < 0.81:
            return a, self.ing_nni(r)
        return a, self.ing_voip(r)

    def ramp_time(self, r, lo_s=0.0, hi_s=WIN_S):
        """Time (ms offset) with traffic density rising ~8% over the window."""
        while True:
            t = lo_s + (hi_s - lo_s) * r.random()
            if r.random() * 1.04 <= 0.96 + 0.08 * t / WIN_S:
                return int(t * 1000)

    # ------------------------------------------------------------------ emit
    def emit(self, t_ms, a, b, ing, typ, cls="legit", inst="", var="",
             akind=None, bkind=None):
        kind, trunk, ip, style = ing
        t_ms = int(t_ms)
        if t_ms < 0 or t_ms >= WIN_MS:
            if cls == "attack":
                raise AssertionError("attack call outside the window: %s" % inst)
            return False
        v = "ing=" + kind
        if var:
            v += ";" + var
        v += ";a=%s;b=%s" % (akind or num_kind(a), bkind or num_kind(b))
        self.rows.append([T0_MS + t_ms, fmt(a, style), fmt(b, style), ip, trunk,
                          cls, typ, inst, v, self.order.getrandbits(32)])
        if inst:
            self.inst_rows.setdefault(inst, []).append(len(self.rows) - 1)
        return True

    # ================================================================ attacks
    def attacks(self):
        r = self.rng("attack-counts")
        self.counts = {f: n + r.randint(-2, 2) for f, n in FAMILY_COUNTS.items()}
        self.att_masking_burst()
        self.att_refiled()
        self.att_simbox()
        self.att_cli_rotation()
        self.att_intl_local()
        self.att_invalid()

    def _inst(self, fam, k):
        iid = "%s-%d-%03d" % (fam, self.seed, k)
        self.inst_family[iid] = fam
        return iid

    def _neighbour(self, r, callee):
        """Spoofed CLI sharing the callee's NPA-NXX (different line)."""
        while True:
            n = callee[:6] + "%04d" % r.randint(0, 9999)
            if n != callee:
                return n

    def att_masking_burst(self):
        fam = "masking_burst"
        r = self.rng(fam)
        N = self.counts[fam]
        ints = sweep(r, N, 0.02, 50.0)       # calls / s; described 0.5-5
        fr = strat_fracs(r, N)
        for k in range(N):
            iid = self._inst(fam, k)
            I = ints[k]
            n = r.choice([3, 3, 4, 4, 4, 5, 5, 5, 6, 6, 7, 8, 9, 10])
            span_ms = max(int(round((n - 1) / I * 1000)), n - 1)
            t0 = int((20 + fr[k] * (WIN_S - 40 - span_ms / 1000)) * 1000)
            pace = wchoice(r, ["jitter", "regular", "accelerating"], [5, 3, 2])
            if pace == "regular":
                fracs = [min(max(i / (n - 1) + r.uniform(-0.12, 0.12) / (n - 1), 0), 1)
                         for i in range(1, n - 1)]
            elif pace == "accelerating":
                fracs = [(i / (n - 1)) ** 0.6 for i in range(1, n - 1)]
            else:
                fracs = [r.random() for _ in range(n - 2)]
            fracs.sort()
            ts = spread_times(t0, span_ms, n, fracs)
            callee = self.onnet_sub(r, 0.75)
            shape = wchoice(r, ["neighbour", "same_npa", "national", "mixed_repeat"],
                            [40, 20, 25, 15])
            clis = []
            while len(clis) < n:
                if shape == "neighbour" or (shape == "mixed_repeat" and r.random() < 0.5):
                    c = self._neighbour(r, callee)
                elif shape == "same_npa":
                    npa = int(callee[:3])
                    c = (self.offnet_local(r, npa) if npa in self.other_nxx
                         else callee[:3] + "%03d%04d" % (r.choice(VALID_NXX), r.randint(0, 9999)))
                else:
                    c = self.national(r)
                if c not in clis:
                    clis.append(c)
            if shape == "mixed_repeat":
                j = r.randint(1, n - 1)
                clis[j] = clis[r.randint(0, j - 1)]
            route = wchoice(r, ["voip", "nni", "tdm"], [55, 30, 15])
            mk = {"voip": self.ing_voip, "nni": self.ing_nni, "tdm": self.ing_tdm}[route]
            ing = mk(r)
            multi = r.random() < 0.2
            var = "shape=%s;pace=%s;n=%d;route=%s%s" % (shape, pace, n, route,
                                                       "-multi" if multi else "")
            for t, c in zip(ts, clis):
                self.emit(t, c, callee, mk(r) if multi else ing, fam, "attack", iid, var)

    def att_refiled(self):
        fam = "refiled_masking"
        r = self.rng(fam)
        N = self.counts[fam]
        ints = sweep(r, N, 0.3, 300.0)       # fresh CLIs / min; described 2-24
        fr = strat_fracs(r, N)
        for k in range(N):
            iid = self._inst(fam, k)
            I = ints[k]
            n = r.choice([3, 3, 4, 4, 4, 5, 5, 6, 6, 7, 8])
            spread_ms = max(int(round(n * 60.0 / I * 1000)), n - 1)
            t0 = int((20 + fr[k] * (WIN_S - 40 - spread_ms / 1000)) * 1000)
            fracs = sorted(r.random() for _ in range(n - 2))
            ts = spread_times(t0, spread_ms, n, fracs)
            callee = self.onnet_sub(r, 0.7)
            shape = wchoice(r, ["domestic_random", "home_npa", "neighbour", "canadian",
                                "mixed_us_ca"], [35, 30, 15, 10, 10])
            clis = []
            while len(clis) < n:
                if shape == "domestic_random":
                    c = self.national(r)
                elif shape == "home_npa":
                    c = self.offnet_local(r)
                elif shape == "neighbour":
                    c = self._neighbour(r, callee)
                elif shape == "canadian":
                    c = self.canadian(r)
                else:
                    c = self.canadian(r) if r.random() < 0.5 else self.national(r)
                if c not in clis:
                    clis.append(c)
            route = r.choice(["tdm", "nni"])
            ing = self.ing_tdm(r) if route == "tdm" else self.ing_nni(r)
            var = "shape=%s;n=%d;route=%s;trunk=%s" % (shape, n, route, ing[1])
            for t, c in zip(ts, clis):
                self.emit(t, c, callee, ing, fam, "attack", iid, var)

    def att_simbox(self):
        fam = "simbox"
        r = self.rng(fam)
        N = self.counts[fam]
        ints = sweep(r, N, 0.1, 30.0)        # calls / min / SIM; described 1-6
        fr = strat_fracs(r, N)
        for k in range(N):
            iid = self._inst(fam, k)
            I = ints[k]
            S = int(round(math.exp(r.uniform(math.log(2), math.log(24)))))
            T = r.uniform(8, 60)
            T = max(T, min(60.0, 3.0 / I))
            while I * S * T > 400 and T > 5:
                T = max(5.0, T * 0.8)
            while I * S * T > 400 and S > 2:
                S -= 1
            while I * S * T < 2 * S and S > 2:
                S -= 1
            calls = max(S, int(round(I * S * T)))
            t0 = int((30 + fr[k] * (WIN_S - 60 - T * 60)) * 1000)
            Tms = int(T * 60000)
            onnet = r.random() < 0.7
            numbering = "sequential" if r.random() < 0.4 else "scattered"
            sims = []
            if onnet:
                if numbering == "sequential":
                    while True:
                        blk = r.choice(self.mob_blocks[wchoice(r, HOME_NPAS, self.home_w)])
                        base = r.randint(0, 9999 - 3 * S)
                        step = r.randint(1, 3)
                        cand = [blk + "%04d" % (base + i * step) for i in range(S)]
                        if not any(c in self.used for c in cand):
                            break
                    for c in cand:
                        self.used.add(c)
                    sims = cand
                else:
                    sims = [self.new_onnet(r, wireline=False) for _ in range(S)]
                ings = [self.ing_ims(r) for _ in range(S)]
            else:
                npa = wchoice(r, HOME_NPAS, self.home_w)
                nxx = r.choice(self.other_nxx[npa])
                if numbering == "sequential":
                    base = r.randint(0, 9999 - 3 * S)
                    step = r.randint(1, 3)
                    sims = ["%d%03d%04d" % (npa, nxx, base + i * step) for i in range(S)]
                else:
                    sims = []
                    while len(sims) < S:
                        c = self.offnet_local(r)
                        if c not in sims:
                            sims.append(c)
                route = r.choice(["nni", "tdm"])
                one = self.ing_nni(r) if route == "nni" else self.ing_tdm(r)
                ings = [one] * S
            pace = wchoice(r, ["poisson", "human", "round_robin", "staggered"], [3, 4, 2, 2])
            per = [calls // S] * S
            for i in range(calls - sum(per)):
                per[i % S] += 1
            events = []  # (t, sim index)
            if pace == "round_robin":
                for j in range(calls):
                    f = (j + r.uniform(0.2, 0.8)) / calls
                    events.append((t0 + int(f * Tms), j % S))
            else:
                for s in range(S):
                    m = per[s]
                    if pace == "staggered":
                        L = Tms * r.uniform(0.3, 0.6)
                        off = t0 + r.random() * (Tms - L)
                        ts = [off + r.random() * L for _ in range(m)]
                    elif pace == "human":
                        gaps = [r.lognormvariate(0, 0.8) for _ in range(m)]
                        for _ in range(min(2, m // 4)):
                            gaps[r.randrange(m)] *= 5
                        tot = sum(gaps) * r.uniform(1.0, 1.15)
                        acc, ts = r.random() * gaps[0], []
                        for g in gaps:
                            ts.append(t0 + min(acc / tot, 1.0) * Tms)
                            acc += g
                    else:
                        ts = [t0 + r.random() * Tms for _ in range(m)]
                    events.extend((int(t), s) for t in ts)
            events.sort()
            callees, seen = [], set()
            var = "pace=%s;sims=%d;active_min=%.1f;numbering=%s;sim_home=%s" % (
                pace, S, T, numbering, "onnet" if onnet else "offnet")
            n_rep = 0
            for t, s in events:
                if (callees and pace == "human" and r.random() < 0.08
                        and n_rep + 1 <= 0.1 * calls):
                    n_rep += 1
                    b = r.choice(callees)
                else:
                    while True:
                        b = self.outbound_dest(r, False) if onnet else self.onnet_sub(r)
                        if b not in seen and b not in sims:
                            break
                    seen.add(b)
                    callees.append(b)
                self.emit(t, sims[s], b, ings[s], fam, "attack", iid, var)

    def att_cli_rotation(self):
        fam = "cli_rotation"
        r = self.rng(fam)
        N = self.counts[fam]
        ints = sweep(r, N, 0.01, 20.0)       # new CLIs / s; described 0.5-2
        fr = strat_fracs(r, N)
        for k in range(N):
            iid = self._inst(fam, k)
            I = ints[k]
            span_target = math.exp(r.uniform(math.log(60), math.log(600)))
            n_new = int(round(1 + I * span_target))
            n_new = min(max(n_new, 4), 150)
            span_s = (n_new - 1) / I
            if span_s > 2400:
                n_new = max(4, int(2400 * I) + 1)
                span_s = (n_new - 1) / I
            span_ms = max(int(round(span_s * 1000)), n_new - 1)
            reuse = 0.0
            style = wchoice(r, ["pure", "reuse"], [6, 4])
            if style == "reuse":
                reuse = r.uniform(0.15, 0.4)
            n_re = int(round(n_new * reuse / (1 - reuse)))
            t0 = int((20 + fr[k] * (WIN_S - 60 - span_ms / 1000)) * 1000)
            pace = r.choice(["jitter", "regular"])
            if pace == "regular":
                fracs = [i / (n_new - 1) for i in range(1, n_new - 1)]
            else:
                fracs = sorted(r.random() for _ in range(n_new - 2))
            ts = spread_times(t0, span_ms, n_new, fracs)
            shape = wchoice(r, ["random_national", "neighbour_match", "sequential_block",
                                "home_npa_random"], [3, 3, 2, 2])
            src = wchoice(r, ["ent_compromised", "ent_dedicated", "reseller"], [35, 40, 25])
            if src == "ent_compromised":
                ent = r.choice(self.small_ents)
                ing = ent["ing"]
            elif src == "ent_dedicated":
                ing = ("ent", "ENT-%05d" % r.randint(60000, 69999),
                       "172.21.%d.%d" % (r.randint(0, 255), r.randint(2, 250)),
                       "n10" if r.random() < 0.7 else "n11")
            else:
                ing = ("voip", "", r.choice(self.reseller_ips), "n11")
            # callees (distinct), then the CLIs
            callees, seen = [], set()
            total = n_new + n_re
            while len(callees) < total:
                x = r.random()
                b = (self.onnet_sub(r) if x < 0.45 else
                     self.offnet_local(r) if x < 0.8 else self.national(r))
                if b not in seen:
                    seen.add(b)
                    callees.append(b)
            clis, cs = [], set()
            seq_base = None
            if shape == "sequential_block":
                seq_base = (self.offnet_local(r)[:6], r.randint(0, 9999 - n_new))
            while len(clis) < n_new:
                j = len(clis)
                if shape == "random_national":
                    c = self.national(r)
                elif shape == "neighbour_match":
                    c = self._neighbour(r, callees[j])
                elif shape == "sequential_block":
                    c = seq_base[0] + "%04d" % (seq_base[1] + j)
                else:
                    c = self.offnet_local(r)
                if c not in cs:
                    cs.add(c)
                    clis.append(c)
            calls = list(zip(ts, clis, callees))
            k_re = n_new
            for _ in range(n_re):
                t = ts[0] + 1 + int(r.random() * max(1, span_ms - 1))
                j = bisect.bisect_left(ts, t)
                if j == 0:
                    continue
                c = clis[r.randrange(j)]
                b = callees[k_re]
                k_re += 1
                while shape == "neighbour_match" and (b == c or b[:6] != c[:6]):
                    b = c[:6] + "%04d" % r.randint(0, 9999)
                calls.append((t, c, b))
            calls.sort()
            var = "shape=%s;style=%s;source=%s;new_clis=%d;reuse=%.2f" % (
                shape, style, src, n_new, reuse)
            for t, c, b in calls:
                self.emit(t, c, b, ing, fam, "attack", iid, var)

    def _count_timing(self, r, C):
        """Start and per-call offsets (ms) for a count-intensity instance."""
        if C == 1:
            return [0]
        mode = wchoice(r, ["burst", "steady", "trickle"], [3, 5, 2])
        gap = {"burst": r.uniform(0.3, 3.0), "steady": r.uniform(5, 40),
               "trickle": r.uniform(40, 180)}[mode]
        D = min(C * gap, 45 * 60.0)
        offs = sorted(int(r.random() * D * 1000) for _ in range(C))
        return [o - offs[0] for o in offs]

    def att_intl_local(self):
        fam = "intl_local_cli"
        r = self.rng(fam)
        N = self.counts[fam]
        cnts = [max(1, int(round(x))) for x in sweep(r, N, 0.8, 150.0)]
        fr = strat_fracs(r, N)
        for k in range(N):
            iid = self._inst(fam, k)
            C = cnts[k]
            offs = self._count_timing(r, C)
            dur = offs[-1] / 1000
            t0 = int((20 + fr[k] * (WIN_S - 40 - dur)) * 1000)
            shape = wchoice(r, ["single_cli", "rotating_home", "neighbour", "national_random",
                                "spoof_subscriber", "tollfree"], [25, 25, 20, 10, 10, 10])
            multi = r.random() < 0.2
            ing = self.ing_intl(r)
            single = None
            if shape == "single_cli":
                single = self.offnet_local(r) if r.random() < 0.6 else self.national(r)
            elif shape == "tollfree":
                single = self.tollfree(r)
            var = "shape=%s;calls=%d;gateway=%s" % (shape, C, "multi" if multi else ing[1])
            for o in offs:
                b = self.onnet_sub(r, 0.72)
                if single:
                    a = single
                elif shape == "rotating_home":
                    a = self.offnet_local(r)
                elif shape == "neighbour":
                    a = self._neighbour(r, b)
                elif shape == "national_random":
                    a = self.national(r)
                else:
                    a = self.mobile_sub(r)
                self.emit(t0 + o, a, b, self.ing_intl(r) if multi else ing, fam,
                          "attack", iid, var)

    def invalid_number(self, r, kind):
        line = "%04d" % r.randint(0, 9999)
        if kind == "npa01":
            return "%s%02d%03d%s" % (r.choice("01"), r.randint(0, 99), r.choice(VALID_NXX), line)
        if kind == "nxx01":
            npa = r.choice(HOME_NPAS) if r.random() < 0.6 else r.choice(US_GEO_NPAS)
            return "%d%s%02d%s" % (npa, r.choice("01"), r.randint(0, 99), line)
        if kind == "npaN11":
            return "%d11%03d%s" % (r.randint(2, 9), r.choice(VALID_NXX), line)
        if kind == "npa_reserved":
            return "%d%03d%s" % (r.choice(RESERVED_NPAS), r.choice(VALID_NXX), line)
        if kind == "fict555":
            npa = r.choice(HOME_NPAS) if r.random() < 0.6 else r.choice(US_GEO_NPAS)
            return "%d5550%03d" % (npa, 100 + r.randint(0, 99))
        # nxxN11
        npa = r.choice(HOME_NPAS) if r.random() < 0.6 else r.choice(US_GEO_NPAS)
        return "%d%d11%s" % (npa, r.randint(2, 9), line)

    def att_invalid(self):
        fam = "invalid_cli"
        r = self.rng(fam)
        N = self.counts[fam]
        cnts = [max(1, int(round(x))) for x in sweep(r, N, 0.8, 150.0)]
        fr = strat_fracs(r, N)
        for k in range(N):
            iid = self._inst(fam, k)
            C = cnts[k]
            offs = self._count_timing(r, C)
            dur = offs[-1] / 1000
            t0 = int((20 + fr[k] * (WIN_S - 40 - dur)) * 1000)
            kind = wchoice(r, ["npa01", "nxx01", "npaN11", "npa_reserved", "fict555", "nxxN11"],
                           [20, 20, 10, 20, 15, 15])
            mode = "single" if r.random() < 0.4 else "rotating"
            route = wchoice(r, ["voip", "nni", "tdm", "reseller", "intl", "ent"],
                            [35, 20, 20, 10, 10, 5])
            if route == "voip":
                ing = self.ing_voip(r)
            elif route == "nni":
                ing = self.ing_nni(r)
            elif route == "tdm":
                ing = self.ing_tdm(r)
            elif route == "reseller":
                ing = ("voip", "", r.choice(self.reseller_ips), "n11")
            elif route == "intl":
                ing = self.ing_intl(r)
            else:
                ing = ("ent", "ENT-%05d" % r.randint(70000, 79999),
                       "172.21.%d.%d" % (r.randint(0, 255), r.randint(2, 250)), "n10")
            single = self.invalid_number(r, kind)
            var = "kind=%s;mode=%s;calls=%d;route=%s" % (kind, mode, C, route)
            for o in offs:
                a = single if mode == "single" else self.invalid_number(r, kind)
                self.emit(t0 + o, a, self.onnet_sub(r, 0.7), ing, fam, "attack", iid, var,
                          akind="inv_" + kind)

    # ============================================================ legit world
    def setup_enterprises(self):
        r = self.rng("enterprises")
        self.ents = []
        for i in range(72):
            size = int(min(600, max(8, r.lognormvariate(math.log(40), 0.9))))
            npa = wchoice(r, HOME_NPAS, self.home_w)
            while True:
                blk = r.choice(self.biz_blocks[npa])
                start = r.randrange(0, 10000 - size, 10)
                dids = [blk + "%04d" % (start + j) for j in range(size)]
                if not any(d in self.used for d in dids):
                    break
            for d in dids:
                self.used.add(d)
            ing = ("ent", "ENT-%05d" % (10000 + i * 137 % 50000),
                   "172.20.%d.%d" % (i // 4, 10 + (i % 4) * 16),
                   "n10" if r.random() < 0.8 else "n11")
            mode = "per_did" if r.random() < 0.65 else "main"
            cw, acc = [], 0.0
            for _ in dids:
                acc += r.lognormvariate(0, 1.0)
                cw.append(acc)
            self.ents.append({"dids": dids, "cw": cw, "ing": ing, "mode": mode,
                              "size": size})
        self.small_ents = [e for e in self.ents if e["size"] <= 60] or self.ents
        self.reseller_ips = ["192.0.2.%d" % (200 + i) for i in range(12)]

    def setup_lists(self):
        """Hotlines, conference bridges, contact centres and what is listed."""
        r = self.rng("lists")
        H = [  # name, on-net?, toll-free?, per-2h volume, listed?
            ("carrier_care", True, True, 900, True),
            ("utility_outage", True, False, 300, True),
            ("county_services", True, False, 200, False),
            ("hospital_scheduling", True, False, 400, True),
            ("city_nonemergency", True, False, 150, False),
            ("bank_a_service", False, True, 250, True),
            ("airline_reservations", False, True, 150, False),
            ("state_unemployment", False, True, 200, True),
            ("isp_support", False, True, 200, False),
            ("pharmacy_chain_line", False, True, 150, False),
            ("insurance_claims", False, True, 120, False),
        ]
        self.hotline_defs = []
        for name, onnet, tf, vol, listed in H:
            if tf:
                num = self.tollfree(r)
            elif onnet:
                num = self.new_onnet(r, True, 859 if name == "hospital_scheduling" else
                                     937 if name == "city_nonemergency" else 513)
            else:
                num = self.offnet_local(r)
            self.hotline_defs.append((name, num, onnet, vol, listed))
            self.hotlines[num] = (name, listed, onnet)
        B = [  # name, on-net?, toll-free?, meetings per slot (mean), listed?
            ("carrier_conf_tf", True, True, 10.0, True),
            ("carrier_conf_513", True, False, 4.0, False),
            ("carrier_conf_859", True, False, 3.0, True),
            ("thirdparty_conf_a", False, True, 8.0, True),
            ("thirdparty_conf_b", False, True, 5.0, True),
            ("thirdparty_conf_c", False, True, 4.0, False),
            ("thirdparty_conf_d", False, True, 3.0, False),
        ]
        self.bridge_defs = []
        for name, onnet, tf, mean, listed in B:
            if tf:
                num = self.tollfree(r)
            else:
                num = self.new_onnet(r, True, 859 if name.endswith("859") else 513)
            self.bridge_defs.append((name, num, onnet, mean, listed))
            self.bridges[num] = (name, listed, onnet)
        # contact centres: name, ingress kind, cli mode, n numbers, vol/2h, listed
        C = [
            ("cc_bank_collections", "ent", "tollfree", 1, 700, "all"),
            ("cc_utility_billing", "ent", "tf_plus_main", 2, 450, "all"),
            ("cc_health_system", "ent", "main", 1, 600, "all"),
            ("cc_dealer_bdc", "ent", "local_presence", 12, 300, "partial"),
            ("cc_insurance_sales", "voip", "main", 1, 500, "none"),
            ("cc_home_services", "voip", "local_presence", 40, 1100, "none"),
            ("cc_survey_research", "voip", "round_robin", 25, 700, "none"),
            ("cc_cable_retention", "nni", "tollfree", 1, 450, "none"),
        ]
        self.cc_defs = []
        for i, (name, ik, mode, nn, vol, listed) in enumerate(C):
            nums = []
            if mode == "tollfree":
                nums = [self.tollfree(r)]
            elif mode == "tf_plus_main":
                nums = [self.tollfree(r), self.offnet_local(r, 513)]
            elif mode == "main":
                nums = [self.offnet_local(r, r.choice([513, 937]))]
            elif mode == "local_presence":
                npas = HOME_NPAS + NEAR_NPAS
                while len(nums) < nn:
                    p = npas[len(nums) % len(npas)]
                    c = (self.offnet_local(r, p) if p in self.other_nxx else
                         "%d%03d%04d" % (p, r.choice(VALID_NXX), r.randint(0, 9999)))
                    if c not in nums:
                        nums.append(c)
            else:
                while len(nums) < nn:
                    c = self.national(r)
                    if c not in nums:
                        nums.append(c)
            if ik == "ent":
                ing = ("ent", "ENT-%05d" % (80000 + i * 11), "172.20.200.%d" % (10 + i),
                       "n10")
            elif ik == "voip":
                ing = ("voip", "", "192.0.2.%d" % (190 + i), "n11")
            else:
                ing = ("nni", "NNI-SIP-B", "172.16.41.10", "e164")
            self.cc_defs.append((name, ing, mode, nums, vol))
            if listed == "all":
                self.allow_a.extend(nums)
            elif listed == "partial":
                self.allow_a.extend(nums[:9])
        # offshore customer-care centres presenting US toll-free numbers
        self.offshore = [("carrier_care_offshore", self.tollfree(r), 150),
                         ("bank_fraud_offshore", self.tollfree(r), 90)]
        for _, n, _ in self.offshore:
            self.allow_a.append(n)
        self._wl_set = set(self.wl)

    # ========================================================= legit classes
    def legit_special(self):
        self.cls_enterprise_pbx()
        self.cls_contact_centre()
        self.cls_offshore()
        self.cls_pharmacy()
        self.cls_appointment()
        self.cls_school()
        self.cls_political()
        self.cls_hotline()
        self.cls_conference()
        self.cls_radio()
        self.cls_forwarding()
        self.cls_small_business()
        self.cls_heavy_individual()
        self.cls_redial()
        self.cls_alarm()
        self.cls_international()
        self.cls_intl_nanp_foreign()
        self.cls_roamers()

    def cls_enterprise_pbx(self):
        r = self.rng("enterprise_pbx")
        tot = sum(e["size"] for e in self.ents)
        target = 7000 * r.uniform(0.92, 1.08)
        for e in self.ents:
            m = int(round(target * e["size"] / tot * r.uniform(0.6, 1.4)))
            for _ in range(m):
                t = self.ramp_time(r)
                a = e["dids"][0] if e["mode"] == "main" else self.pick(e["dids"], e["cw"], r)
                x = r.random()
                b = (self.offnet_local(r) if x < 0.45 else self.national(r) if x < 0.68 else
                     self.onnet_sub(r) if x < 0.85 else self.tollfree(r) if x < 0.97 else
                     self.canadian(r))
                self.emit(t, a, b, e["ing"], "enterprise_pbx", var="cli=" + e["mode"])

    def cls_contact_centre(self):
        r = self.rng("contact_centre")
        for name, ing, mode, nums, vol in self.cc_defs:
            m = int(round(vol * r.uniform(0.9, 1.1)))
            start = 0 if r.random() < 0.6 else 1800
            rr = 0
            lp = {}
            for n in nums:
                lp.setdefault(n[:3], []).append(n)
            for _ in range(m):
                t = self.ramp_time(r, start, WIN_S)
                if ing[0] == "ent":
                    b = self.onnet_sub(r) if r.random() < 0.4 else (
                        self.offnet_local(r) if r.random() < 0.7 else self.national(r))
                else:
                    b = self.onnet_sub(r)
                if mode == "tollfree" or mode == "main":
                    a = nums[0]
                elif mode == "tf_plus_main":
                    a = nums[0] if r.random() < 0.7 else nums[1]
                elif mode == "local_presence":
                    cand = lp.get(b[:3])
                    a = r.choice(cand) if cand else nums[rr % len(nums)]
                    rr += 1
                else:
                    a = nums[rr % len(nums)]
                    rr += 1
                self.emit(t, a, b, ing, "contact_centre", var="centre=%s;cli=%s" % (name, mode))

    def cls_offshore(self):
        r = self.rng("offshore")
        for name, num, vol in self.offshore:
            for _ in range(int(round(vol * r.uniform(0.85, 1.15)))):
                self.emit(self.ramp_time(r), num, self.onnet_sub(r), self.ing_intl(r),
                          "offshore_contact_centre", var="centre=" + name)

    def cls_pharmacy(self):
        r = self.rng("pharmacy")
        stores = [self.offnet_local(r) for _ in range(45)]
        sw = [r.lognormvariate(0, 0.6) for _ in stores]
        ing = ("voip", "", CPAAS_PHARMACY, "n11")
        burst = int(r.uniform(250, 350))
        steady = int(r.uniform(1150, 1350))
        t_start = int(r.uniform(0, 40) * 1000)   # campaign released at 08:00
        for i in range(burst):
            t = t_start + int(r.expovariate(1 / 120.0) * 1000)
            self.emit(t, wchoice(r, stores, sw), self.onnet_sub(r, 0.6), ing,
                      "pharmacy_reminder", var="phase=opening_batch")
        for i in range(steady):
            t = self.ramp_time(r, 300, WIN_S)
            self.emit(t, wchoice(r, stores, sw), self.onnet_sub(r, 0.6), ing,
                      "pharmacy_reminder", var="phase=steady")

    def cls_appointment(self):
        r = self.rng("appointment")
        ing = ("voip", "", CPAAS_APPT, "n11")
        for p in range(90):
            num = self.offnet_local(r)
            batches = r.choice([1, 1, 2])
            for _ in range(batches):
                start = r.choice([0, 900, 1800, 2700, 3600, 5400]) + r.uniform(0, 120)
                n = int(r.uniform(3, 12))
                for _ in range(n):
                    t = int((start + r.expovariate(1 / 90.0)) * 1000)
                    self.emit(t, num, self.onnet_sub(r, 0.65), ing, "appointment_reminder",
                              var="practice=%d" % p)

    def cls_school(self):
        r = self.rng("school")
        ing = ("voip", "", CPAAS_SCHOOL, "n11")
        district = self.offnet_local(r, r.choice([513, 859]))
        n = int(r.uniform(2500, 5000))
        start = r.uniform(600, 5400)
        dur = r.uniform(360, 900)
        seen = set()
        for _ in range(n):
            b = self.onnet_sub(r, 0.7)
            if b in seen:
                continue
            seen.add(b)
            t = int((start + dur * r.random() ** 1.3) * 1000)
            self.emit(t, district, b, ing, "school_notification", var="kind=district_alert")
        for s in range(12):
            num = self.offnet_local(r)
            for _ in range(int(r.uniform(10, 60))):
                t = int(r.uniform(5400, 6900) * 1000)
                self.emit(t, num, self.onnet_sub(r, 0.7), ing, "school_notification",
                          var="kind=attendance")

    def cls_political(self):
        r = self.rng("political")
        ing = ("voip", "", CPAAS_POLITICAL, "n11")
        pac = self.offnet_local(r, 513)
        start = r.uniform(300, 6000)
        n = int(r.uniform(600, 900))
        dur = r.uniform(600, 1000)
        for _ in range(n):
            t = int((start + dur * r.random()) * 1000)
            self.emit(t, pac, self.wireline_sub(r), ing, "political_dialer",
                      var="kind=prerecorded_landline")
        pool = []
        for p in HOME_NPAS + NEAR_NPAS[:5]:
            pool.append(self.offnet_local(r, p) if p in self.other_nxx else self.national(r))
        for _ in range(int(r.uniform(550, 700))):
            b = self.mobile_sub(r)
            cand = [c for c in pool if c[:3] == b[:3]]
            a = r.choice(cand) if cand else r.choice(pool)
            self.emit(self.ramp_time(r, 1800, WIN_S), a, b, ing, "political_dialer",
                      var="kind=live_dialer_local_presence")

    def cls_hotline(self):
        r = self.rng("hotline")
        for name, num, onnet, vol, listed in self.hotline_defs:
            m = int(round(vol * r.uniform(0.85, 1.15)))
            for _ in range(m):
                t = self.ramp_time(r)
                if onnet:
                    a, ing = self.inbound_source(r)
                else:
                    a = self.onnet_sub(r, 0.75)
                    ing = self.sub_ingress(r, a)
                self.emit(t, a, num, ing, "hotline", var="line=" + name)
            if name == "utility_outage":
                # localised power cut: neighbours (few exchanges) call the outage line
                t0 = r.uniform(600, 6000)
                k = int(r.uniform(150, 400))
                exch = [self.wireline_sub(r)[:6] for _ in range(2)] + \
                       [self.offnet_local(r)[:6] for _ in range(2)]
                for _ in range(k):
                    t = int((t0 + r.expovariate(1 / 240.0)) * 1000)
                    e = r.choice(exch)
                    if r.random() < 0.5:
                        a = self.mobile_sub(r)
                        ing = self.ing_ims(r)
                    else:
                        a = e + "%04d" % r.randint(0, 9999)
                        ing = self.ing_c5(a) if a[:6] in self._our_wl_exch else self.ing_tdm(r)
                    self.emit(t, a, num, ing, "hotline", var="line=%s;event=outage" % name)

    def cls_conference(self):
        r = self.rng("conference")
        slots = [0, 900, 1800, 2700, 3600, 4500, 5400, 6300]
        for name, num, onnet, mean, listed in self.bridge_defs:
            for s in slots:
                w = 1.0 if s % 1800 == 0 else 0.35
                meetings = self._poisson(r, mean * w)
                for _ in range(meetings):
                    size = int(min(200, max(2, r.lognormvariate(math.log(6), 0.8))))
                    if r.random() < 0.03:
                        size = int(r.uniform(80, 200))
                    for _ in range(size):
                        t = s + r.gauss(-40, 80)
                        t = min(max(t, s - 300), s + 600)
                        if onnet:
                            x = r.random()
                            if x < 0.15 and self.ents:
                                e = r.choice(self.ents)
                                a = e["dids"][0] if e["mode"] == "main" else r.choice(e["dids"])
                                ing = e["ing"]
                            else:
                                a, ing = self.inbound_source(r)
                        else:
                            if r.random() < 0.25:
                                e = r.choice(self.ents)
                                a = e["dids"][0] if e["mode"] == "main" else r.choice(e["dids"])
                                ing = e["ing"]
                            else:
                                a = self.onnet_sub(r, 0.75)
                                ing = self.sub_ingress(r, a)
                        self.emit(int(t * 1000), a, num, ing, "conference_bridge",
                                  var="bridge=" + name)
                        if r.random() < 0.04:  # dropped and rejoined
                            self.emit(int((t + r.uniform(20, 600)) * 1000), a, num, ing,
                                      "conference_bridge", var="bridge=%s;rejoin" % name)

    @staticmethod
    def _poisson(r, lam):
        L, k, p = math.exp(-lam), 0, 1.0
        while True:
            p *= r.random()
            if p <= L:
                return k
            k += 1

    def cls_radio(self):
        r = self.rng("radio")
        onnet_line = self.new_onnet(r, True, 513)
        offnet_line = self.offnet_local(r, 513)
        for line, onnet in ((onnet_line, True), (offnet_line, False)):
            # ordinary request-line calls
            for _ in range(int(r.uniform(20, 40))):
                if onnet:
                    a, ing = self.inbound_source(r)
                else:
                    a = self.onnet_sub(r)
                    ing = self.sub_ingress(r, a)
                self.emit(self.ramp_time(r), a, line, ing, "radio_callin", var="kind=request")
            nb = r.randint(2, 4) if onnet else r.randint(1, 3)
            for _ in range(nb):
                t0 = r.uniform(300, 6900)
                k = int(r.uniform(100, 400) if onnet else r.uniform(40, 150))
                for _ in range(k):
                    t = t0 + r.expovariate(1 / 12.0)
                    if onnet:
                        a, ing = self.inbound_source(r)
                    else:
                        a = self.onnet_sub(r)
                        ing = self.sub_ingress(r, a)
                    self.emit(int(t * 1000), a, line, ing, "radio_callin", var="kind=contest")
                    if r.random() < 0.15:
                        for _ in range(r.randint(1, 3)):
                            t += r.uniform(2, 10)
                            self.emit(int(t * 1000), a, line, ing, "radio_callin",
                                      var="kind=contest;redial")

    def cls_forwarding(self):
        r = self.rng("forwarding")
        for i in range(300):
            mob = r.random() < 0.7
            fwd = self.mobile_sub(r) if mob else self.wireline_sub(r)
            x = r.random()
            target = (self.offnet_local(r) if x < 0.45 else self.national(r) if x < 0.6
                      else self.onnet_sub(r))
            ing = self.ing_ims(r) if mob else self.ing_c5(fwd)
            for _ in range(self._poisson(r, 7)):
                x = r.random()
                if x < 0.55:
                    a = self.offnet_caller(r)
                elif x < 0.9:
                    a = self.onnet_sub(r)
                elif x < 0.95 or not mob:
                    a = self.canadian(r)
                else:
                    a = self.intl_number(r)
                self.emit(self.ramp_time(r), a, target, ing, "call_forwarding",
                          var="forwarder=%s" % ("mobile" if mob else "wireline"))

    def cls_small_business(self):
        r = self.rng("small_business")
        kinds = ["medical_office"] * 8 + ["dental"] * 4 + ["auto_repair"] * 8 + \
                ["law_office"] * 5 + ["cafe"] * 5 + ["plumbing_hvac"] * 6 + ["vet"] * 4
        for kind in kinds:
            num = self.new_onnet(r, True)
            base = int(r.uniform(10, 40))
            for _ in range(base):
                t = self.ramp_time(r, 0 if kind == "cafe" else 900, WIN_S)
                a, ing = self.inbound_source(r)
                self.emit(t, a, num, ing, "busy_small_business", var="kind=" + kind)
            if kind in ("medical_office", "dental"):
                # phones open at 08:00: queue of patients, many redial when busy
                for _ in range(int(r.uniform(30, 80))):
                    t = r.expovariate(1 / 300.0) + r.uniform(0, 20)
                    a, ing = self.inbound_source(r)
                    self.emit(int(t * 1000), a, num, ing, "busy_small_business",
                              var="kind=%s;opening" % kind)
                    for _ in range(r.choice([0, 0, 1, 2, 3])):
                        t += r.uniform(15, 120)
                        self.emit(int(t * 1000), a, num, ing, "busy_small_business",
                                  var="kind=%s;opening;redial" % kind)

    def cls_heavy_individual(self):
        r = self.rng("heavy_individual")
        users = []
        for _ in range(30):
            users.append(([self.mobile_sub(r)], "individual"))
        for _ in range(5):
            users.append(([self.wireline_sub(r)], "dispatcher_wireline"))
        for _ in range(4):
            m = r.randint(3, 8)
            blk = r.choice(self.mob_blocks[wchoice(r, HOME_NPAS, self.home_w)])
            base = r.randint(0, 9000)
            team = []
            j = 0
            while len(team) < m:
                c = blk + "%04d" % (base + j)
                j += r.randint(1, 4)
                if c not in self.used:
                    self.used.add(c)
                    team.append(c)
            users.append((team, "team"))
        for lines, kind in users:
            for a in lines:
                rate = r.uniform(0.4, 1.8)   # calls per minute while working
                active = r.uniform(30, 110) * 60
                start = r.uniform(0, WIN_S - active)
                t = start
                called = []
                ing0 = self.ing_c5(a) if kind == "dispatcher_wireline" else None
                while True:
                    t += r.lognormvariate(math.log(60.0 / rate), 0.6)
                    if r.random() < 0.03:
                        t += r.uniform(300, 1200)   # a break
                    if t > start + active:
                        break
                    if called and r.random() < 0.15:
                        b = r.choice(called)
                    else:
                        x = r.random()
                        b = (self.offnet_local(r) if x < 0.6 else self.national(r) if x < 0.8
                             else self.onnet_sub(r))
                        called.append(b)
                    self.emit(int(t * 1000), a, b, ing0 or self.ing_ims(r),
                              "heavy_individual", var="kind=" + kind)

    def cls_redial(self):
        r = self.rng("redial")
        for _ in range(160):
            x = r.random()
            if x < 0.5:
                a = self.onnet_sub(r)
                ing = self.sub_ingress(r, a)
                b = self.outbound_dest(r, False)
            else:
                a, ing = self.inbound_source(r)
                b = self.onnet_sub(r)
            t = self.ramp_time(r, 0, WIN_S - 600) / 1000
            for _ in range(r.randint(3, 12)):
                self.emit(int(t * 1000), a, b, ing, "repeat_redial")
                t += r.uniform(5, 40)

    def cls_alarm(self):
        r = self.rng("alarm")
        onnet_rx = self.new_onnet(r, True, 513)
        tf_rx = self.tollfree(r)
        for _ in range(int(r.uniform(250, 320))):
            if r.random() < 0.5:
                a = self.wireline_sub(r)
                self.emit(self.ramp_time(r), a, onnet_rx, self.ing_c5(a), "alarm_monitoring",
                          var="kind=test_timer")
            else:
                a = self.offnet_local(r)
                self.emit(self.ramp_time(r), a, onnet_rx, self.ing_tdm(r), "alarm_monitoring",
                          var="kind=test_timer")
            if r.random() < 0.3:
                a = self.wireline_sub(r)
                self.emit(self.ramp_time(r), a, tf_rx, self.ing_c5(a), "alarm_monitoring",
                          var="kind=test_timer")
        # short power dip: panels in two exchanges report AC loss within ~90 s
        t0 = r.uniform(300, 6800)
        ex = [self.wireline_sub(r)[:6], self.offnet_local(r)[:6]]
        for _ in range(int(r.uniform(25, 70))):
            e = r.choice(ex)
            a = e + "%04d" % r.randint(0, 9999)
            ing = self.ing_c5(a) if e in self._our_wl_exch else self.ing_tdm(r)
            self.emit(int((t0 + r.uniform(0, 90)) * 1000), a, onnet_rx, ing,
                      "alarm_monitoring", var="kind=power_event")

    def cls_international(self):
        r = self.rng("international")
        for _ in range(int(2200 * r.uniform(0.9, 1.1))):
            self.emit(self.ramp_time(r), self.intl_number(r), self.onnet_sub(r, 0.75),
                      self.ing_intl(r), "international_inbound")

    def cls_intl_nanp_foreign(self):
        r = self.rng("intl_nanp_foreign")
        for _ in range(int(300 * r.uniform(0.85, 1.15))):
            a = self.canadian(r) if r.random() < 0.55 else self.caribbean(r)
            self.emit(self.ramp_time(r), a, self.onnet_sub(r, 0.75), self.ing_intl(r),
                      "intl_gateway_nanp_foreign")

    def cls_roamers(self):
        r = self.rng("roamers")
        for _ in range(40):  # our subscribers abroad calling home
            a = self.mobile_sub(r)
            fam = [self.onnet_sub(r) for _ in range(2)]
            ing = self.ing_intl(r)
            for _ in range(r.randint(1, 4)):
                self.emit(self.ramp_time(r), a, r.choice(fam), ing, "roamer_home_call")
        for _ in range(60):  # visitors roaming on our network
            x = r.random()
            home_ca = x < 0.3
            a = self.canadian(r) if home_ca else self.intl_number(r)
            for _ in range(r.randint(1, 8)):
                if r.random() < 0.6:
                    b = self.offnet_local(r) if r.random() < 0.6 else self.onnet_sub(r)
                else:
                    b = self.canadian(r) if home_ca else self.intl_number(r)
                self.emit(self.ramp_time(r), a, b, self.ing_ims(r), "inbound_roamer")

    # ------------------------------------------------------------ bulk fill
    def bulk(self):
        r = self.rng("bulk")
        tgt = [int(r.uniform(56200, 57800)), int(r.uniform(58000, 59600))]
        have = [0, 0]
        for row in self.rows:
            have[0 if row[0] - T0_MS < 3600000 else 1] += 1
        shares = [("mobile_subscriber", 0.45), ("domestic_inbound", 0.33),
                  ("voip_inbound", 0.12), ("wireline_subscriber", 0.10)]
        for h in (0, 1):
            need = max(0, tgt[h] - have[h])
            for cls, sh in shares:
                for _ in range(int(round(need * sh))):
                    t = self.ramp_time(r, h * 3600, (h + 1) * 3600)
                    getattr(self, "_bulk_" + cls)(r, t)

    def _bulk_mobile_subscriber(self, r, t):
        a = self.mobile_sub(r)
        if r.random() < 0.004:   # dialling one's own number reaches voicemail
            self.emit(t, a, a, self.ing_ims(r), "mobile_subscriber", var="voicemail_access")
            return
        self.emit(t, a, self.outbound_dest(r, True), self.ing_ims(r), "mobile_subscriber")

    def _bulk_wireline_subscriber(self, r, t):
        a = self.wireline_sub(r)
        b = (a[:6] + "%04d" % r.randint(0, 9999)) if r.random() < 0.05 else \
            self.outbound_dest(r, False)
        self.emit(t, a, b, self.ing_c5(a), "wireline_subscriber")

    def _bulk_domestic_inbound(self, r, t):
        a = self.offnet_caller(r)
        ing = self.ing_tdm(r) if r.random() < 0.55 else self.ing_nni(r)
        self.emit(t, a, self.onnet_sub(r, 0.7), ing, "domestic_inbound")

    def _bulk_voip_inbound(self, r, t):
        a = self.offnet_caller(r)
        if r.random() < 0.04:
            ing = ("voip", "", r.choice(self.reseller_ips), "n11")
        else:
            ing = self.ing_voip(r)
        self.emit(t, a, self.onnet_sub(r, 0.7), ing, "voip_inbound")

    # -------------------------------------------------------------- finalise
    def intensities(self):
        out = {}
        for iid, idx in self.inst_rows.items():
            fam = self.inst_family[iid]
            rows = sorted((self.rows[i] for i in idx), key=lambda x: (x[0], x[9]))
            ts = [x[0] for x in rows]
            n = len(rows)
            if fam == "masking_burst":
                span = (ts[-1] - ts[0]) / 1000.0
                val = (n - 1) / span if span > 0 else float(n - 1) * 1000.0
            elif fam == "refiled_masking":
                span = (ts[-1] - ts[0]) / 1000.0
                val = n * 60.0 / span if span > 0 else n * 60000.0
            elif fam == "simbox":
                sims = len({x[1] for x in rows})
                mins = (ts[-1] - ts[0]) / 60000.0
                val = n / (sims * mins) if mins > 0 else float(n)
            elif fam == "cli_rotation":
                first = {}
                for x in rows:
                    first.setdefault(x[1], x[0])
                f = sorted(first.values())
                span = (f[-1] - f[0]) / 1000.0
                val = (len(f) - 1) / span if span > 0 else float(len(f) - 1)
            else:
                val = float(n)
            out[iid] = repr(round(val, 6))
        return out

    def run(self):
        self.setup_enterprises()
        self.setup_lists()
        self._our_wl_exch = {b for d in (self.wl_blocks, self.biz_blocks)
                             for blks in d.values() for b in blks}
        self.attacks()
        self.legit_special()
        self.bulk()

    def write(self, out, labels):
        inten = self.intensities()
        self.rows.sort(key=lambda x: (x[0], x[9]))
        r = self.rng("callid")
        ids = set()
        with open(out, "w", newline="") as fo, open(labels, "w", newline="") as fl:
            fo.write("call_id,a_number,b_number,timestamp_ms,source_ip,trunk\n")
            fl.write("call_id,class,type,instance,intensity,variant\n")
            for row in self.rows:
                while True:
                    h = "%032x" % r.getrandbits(128)
                    cid = "%s-%s-%s-%s-%s@sbc1.cvg" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])
                    if cid not in ids:
                        ids.add(cid)
                        break
                ts, a, b, ip, trunk, cls, typ, inst, var, _ = row
                fo.write("%s,%s,%s,%d,%s,%s\n" % (cid, a, b, ts, ip, trunk))
                iv = inten[inst] if inst else ""
                fl.write("%s,%s,%s,%s,%s,%s\n" % (cid, cls, typ, inst, iv, var))

    def write_config(self, path, bare):
        allow_b = [] if bare else ["+1" + n for n, v in list(self.hotlines.items()) +
                                   list(self.bridges.items()) if v[1]]
        allow_a = [] if bare else ["+1" + n for n in self.allow_a]

        def arr(xs):
            return "[" + ", ".join('"%s"' % x for x in xs) + "]"
        with open(path, "w") as f:
            f.write("[numbering]\ncountry_code = \"1\"\n\n")
            f.write("[rules.intl_ingress_local_cli]\n")
            f.write("trunks = %s\n" % arr(INTL_TRUNKS))
            f.write("sources = %s\n\n" % arr(INTL_CIDRS))
            f.write("[lists]\n")
            f.write("allow_b_numbers = %s\n" % arr(allow_b))
            f.write("allow_a_numbers = %s\n" % arr(allow_a))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--labels", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--bare-config")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    t = time.time()
    g = Gen(args.seed)
    g.run()
    g.write(args.out, args.labels)
    g.write_config(args.config, False)
    if args.bare_config:
        g.write_config(args.bare_config, True)
    if not args.quiet:
        n_att = sum(1 for x in g.rows if x[5] == "attack")
        print("seed %d: %d rows (%d attack rows, %d instances) in %.1fs"
              % (args.seed, len(g.rows), n_att, len(g.inst_rows), time.time() - t),
              file=sys.stderr)


if __name__ == "__main__":
    main()
