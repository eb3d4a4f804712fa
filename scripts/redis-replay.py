#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR Apache-2.0
"""Replays recorded `check.lua` calls against variants of the script.

Where a check's Redis time goes, and what a change to `check.lua` saves,
without rebuilding anything: record the script calls a benchmark sends
(`MONITOR`), then replay the same calls, in the same order, on a fresh
throwaway redis-server once per variant of the script, and compare the
server's own time per call (`INFO commandstats`: `evalsha` and every command
the script ran) and the replies (a variant that answers differently from the
first is counted, so a variant meant to be exact is checked on the way).

    # 1. record (the benchmark prints its server's URL on its first line)
    ACM_BENCH_SECS=2 ./redis_store-<hash> --bench &     # redis://127.0.0.1:PORT/
    python3 scripts/redis-replay.py capture --port PORT --seconds 8 --out trace.txt
    # 2. replay: the first script is the reference
    python3 scripts/redis-replay.py replay trace.txt src/store/redis/check.lua v2.lua --rounds 3

A script given as `fcall:<path>` is loaded as a Redis Function library
instead (Redis 7: its body wrapped in `redis.register_function`, the same
KEYS and ARGV) and called with `FCALL`, to compare the two ways of running
one script (`fcall:` the same file as the first: same replies, its own time).

Only calls of the first script given are kept (by its SHA1), so record with
the script the trace was made with. MONITOR slows the server down a lot: the
trace is a sample (the first seconds of the benchmark's latency phase, mostly
new keys), not a measurement. Variants must take the same KEYS and ARGV.

Needs: redis-server and redis-cli on PATH, `pip install redis`.
"""

import argparse
import hashlib
import subprocess
import sys

from local_redis import local_redis

ESCAPES = {"n": b"\n", "r": b"\r", "t": b"\t", "a": b"\a", "b": b"\b", '"': b'"', "\\": b"\\"}


def parse_monitor_line(line):
    """The arguments of one MONITOR line, as bytes."""
    s = line[line.index("] ") + 2:]
    out, j, n = [], 0, len(s)
    while j < n:
        if s[j] != '"':
            j += 1
            continue
        j += 1
        b = bytearray()
        while s[j] != '"':
            if s[j] == "\\":
                if s[j + 1] == "x":
                    b.append(int(s[j + 2:j + 4], 16))
                    j += 4
                else:
                    b += ESCAPES[s[j + 1]]
                    j += 2
            else:
                b += s[j].encode("latin-1")
                j += 1
        out.append(bytes(b))
        j += 1
    return out


def capture(args):
    with open(args.out, "w", encoding="latin-1") as f:
        try:
            subprocess.run(["redis-cli", "-h", args.host, "-p", str(args.port), "monitor"],
                           stdout=f, timeout=args.seconds, check=False)
        except subprocess.TimeoutExpired:
            pass
    print(f"recorded {args.out}")


def load_calls(path, sha):
    calls = []
    with open(path, encoding="latin-1") as f:
        for line in f:
            if '"EVALSHA"' not in line and '"evalsha"' not in line:
                continue
            a = parse_monitor_line(line)
            if len(a) > 2 and a[1].decode("latin-1").lower() == sha:
                calls.append(a[2:])
    return calls


def run_once(r, body, calls, as_function=False):
    if as_function:
        # The whole script inside the function: its locals stay per call.
        r.function_load(b"#!lua name=acmreplay\nredis.register_function('check', "
                        b"function(KEYS, ARGV)\n" + body + b"\nend)\n", replace=True)
    else:
        sha = r.script_load(body)
    r.flushall()
    r.config_resetstat()
    if as_function:
        replies = [r.fcall("check", int(c[0]), *c[1:]) for c in calls]
    else:
        replies = [r.evalsha(sha, int(c[0]), *c[1:]) for c in calls]
    stats = r.info("commandstats")
    call = "cmdstat_fcall" if as_function else "cmdstat_evalsha"
    skip = {call, "cmdstat_flushall", "cmdstat_config|resetstat",
            "cmdstat_script|load", "cmdstat_function|load", "cmdstat_info"}
    inner = {k[len("cmdstat_"):]: v for k, v in stats.items() if k not in skip}
    return replies, stats[call]["usec_per_call"], inner


def replay(args):
    bodies = [open(p.removeprefix("fcall:"), "rb").read() for p in args.scripts]
    sha = hashlib.sha1(bodies[0]).hexdigest()
    calls = load_calls(args.trace, sha)
    if not calls:
        sys.exit(f"no calls of {args.scripts[0]} (sha {sha}) in {args.trace}")
    n = len(calls)
    print(f"{n} script calls from {args.trace}")
    reference = None
    with local_redis("acm-replay-") as r:
        for rnd in range(1, args.rounds + 1):
            for path, body in zip(args.scripts, bodies):
                replies, evalsha, inner = run_once(r, body, calls, path.startswith("fcall:"))
                usec = sum(v["usec"] for v in inner.values()) / n
                ncalls = sum(v["calls"] for v in inner.values()) / n
                how = "fcall" if path.startswith("fcall:") else "evalsha"
                line = (f"round {rnd} {path}: {how} {evalsha:.2f} µs/call, commands "
                        f"{usec:.2f} µs in {ncalls:.2f} calls, the rest {evalsha - usec:.2f} µs")
                if reference is None:
                    reference = replies
                else:
                    diff = sum(1 for a, b in zip(reference, replies) if a != b)
                    line += f", {diff} replies differ from {args.scripts[0]}"
                print(line)
                if rnd == args.rounds:
                    for cmd, v in sorted(inner.items(), key=lambda kv: -kv[1]["usec"]):
                        print(f"    {cmd:18} {v['calls'] / n:6.2f} calls/call "
                              f"{v['usec_per_call']:6.2f} µs each {v['usec'] / n:6.2f} µs/call")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="what", required=True)
    c = sub.add_parser("capture", help="record a server's commands with MONITOR")
    c.add_argument("--host", default="127.0.0.1")
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--seconds", type=float, default=8)
    c.add_argument("--out", required=True)
    r = sub.add_parser("replay", help="replay the recorded calls on each script")
    r.add_argument("trace")
    r.add_argument("scripts", nargs="+")
    r.add_argument("--rounds", type=int, default=2)
    args = p.parse_args()
    capture(args) if args.what == "capture" else replay(args)


if __name__ == "__main__":
    main()
