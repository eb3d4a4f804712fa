# SPDX-License-Identifier: MIT OR Apache-2.0
"""Shared by agg.py, diff.py, inrange.py and the models: where the evaluation data
lives, how reports and sets are read, the floors' ranges, lists of seeds.

DATA is $ACM_EVAL, or <repo>/target/eval when unset: the sets are DATA/gN-S/
(cdrs.csv, labels.csv, deploy.toml; written by gen.sh) and the reports
DATA/res/TAG/gN-S.json (written by run.sh).
"""
import csv, json, os, re, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.environ.get("ACM_EVAL") or os.path.join(ROOT, "target", "eval")
RES = os.path.join(DATA, "res")
REPORT = re.compile(r"g(\d+)-(\d+)\.json")
# The floors' intensity ranges, lo <= intensity <= hi (inclusive, as
# tests/support/mod.rs `in_range` and `acm quality --floor-range` read them).
FLOORS = {
    "masking_burst": (1.0, 10.0),
    "refiled_masking": (1.3, 20.0),
    "simbox": (1.0, 6.0),
    "cli_rotation": (0.5, 20.0),
    "intl_local_cli": (1.0, 40.0),
    "invalid_cli": (1.0, 20.0),
}


def numbers(text):
    """'1-8' or '2,5-7' -> the integers it names, in order."""
    out = []
    for part in text.split(","):
        if "-" in part:
            a, b = part.split("-")
            out += range(int(a), int(b) + 1)
        else:
            out.append(int(part))
    return out



def set_dir(g, s):
    return os.path.join(DATA, f"g{g}-{s}")


def load(tag):
    """Every report under RES/TAG -> {(generator, seed): report}."""
    d = os.path.join(RES, tag)
    if not os.path.isdir(d):
        sys.exit(f"no reports for tag {tag!r}: {d} does not exist (scripts/eval/run.sh BIN {tag})")
    out = {}
    for f in os.listdir(d):
        m = REPORT.fullmatch(f)
        if m:
            with open(os.path.join(d, f)) as fh:
                out[(int(m[1]), int(m[2]))] = json.load(fh)
    return out


def load_one(tag, g, s):
    """The report RES/TAG/gG-S.json, or None when there is none."""
    p = os.path.join(RES, tag, f"g{g}-{s}.json")
    if not os.path.exists(p):
        return None
    with open(p) as fh:
        return json.load(fh)


def names(setdir, rep):
    """The instance names of a report, in its order, or None when they cannot be matched.

    The report's instances carry no name: they are listed in the order the labels file
    first names each (type, instance), skipping those with no call in the scored span.
    Names are recovered from labels.csv + cdrs.csv and score_from_ms/score_until_ms,
    and checked against the report (family, calls)."""
    order, key_of = [], {}
    seen = {}
    with open(os.path.join(setdir, "labels.csv"), newline="") as fh:
        rd = csv.DictReader(fh)
        for row in rd:
            if row["class"] != "attack":
                continue
            k = (row["type"], row["instance"])
            if k not in seen:
                seen[k] = len(order); order.append(k)
            key_of[row["call_id"]] = seen[k]
    lo = rep.get("score_from_ms") or -2**63
    hi = rep.get("score_until_ms") or 2**63
    calls = [0] * len(order)
    with open(os.path.join(setdir, "cdrs.csv"), newline="") as fh:
        for row in csv.DictReader(fh):
            ix = key_of.get(row["call_id"])
            if ix is not None and lo <= int(row["timestamp_ms"]) < hi:
                calls[ix] += 1
    kept = [(order[i], calls[i]) for i in range(len(order)) if calls[i] > 0]
    ins = rep["instances"]
    if len(kept) != len(ins) or any(k[0][0] != i["family"] or k[1] != i["calls"] for k, i in zip(kept, ins)):
        return None
    return [k[0][1] for k in kept]


def verdicts(binary, tag, g, s):
    """The verdicts of `binary` on set gG-S (`acm replay --verdicts`), replayed once and
    cached as DATA/verdicts/TAG/gN-S.jsonl; the models read them."""
    out = os.path.join(DATA, "verdicts", tag, f"g{g}-{s}.jsonl")
    if not os.path.exists(out):
        os.makedirs(os.path.dirname(out), exist_ok=True)
        d = set_dir(g, s)
        subprocess.run([binary, "-c", os.path.join(d, "deploy.toml"), "replay", "--no-progress",
                        "--verdicts", out + ".tmp", os.path.join(d, "cdrs.csv")],
                       check=True, stdout=subprocess.DEVNULL,
                       # acm reads ACM_* variables as configuration: not ours.
                       env={k: v for k, v in os.environ.items() if k != "ACM_EVAL"})
        os.replace(out + ".tmp", out)
    return out
