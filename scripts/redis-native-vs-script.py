#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR Apache-2.0
"""Redis's own CPU per check: check.lua against a plain pipeline of native commands.

The experiment behind "Plain pipeline of native commands" in BENCHMARKS.md
(Redis store). Both sides get the traffic of benches/redis_store.rs (four
windows per call: 20,000 B-numbers, 100,000 A-numbers, 200 sources), 50 checks
per pipelined batch, on a redis-server this script starts; what is compared is
the server's CPU time per check (INFO cpu), which the Python client does not
affect. Runs alternate, three rounds.

The native side is a PROTOTYPE of the common path only, in its best case:
ZADD (member and markers), ZREMRANGEBYSCORE, ZCARD, LPUSH per window, the
cooldown HMGET only for the rotation window (the one over its threshold), and
expiry refreshed only when an ideal client-side cache has not refreshed the key
in this 30 s bucket. It does not handle late events, threshold crossings (an
atomic cooldown check-and-set), full windows or recreated keys, which would
each need a second round trip or more client state. Its answers are not used.

Needs: redis-server on PATH, `pip install redis`.
Run:   python3 scripts/redis-native-vs-script.py
"""

import hashlib
import os
import time

from local_redis import local_redis

HERE = os.path.dirname(os.path.abspath(__file__))
BODY = open(os.path.join(HERE, "..", "src", "store", "redis", "check.lua")).read()
SLACK, BUCKET = 60_000, 30_000
HW_OFFSET, BUCKET_OFFSET, NEW_SCORE = 10**15, 2 * 10**15, "-3000000000000000"
N, PIPE = 30_000, 50


def calls(start, n):
    for i in range(start, start + n):
        cid = f"bench-{i}"
        a = "+23480%08d" % ((i * 7919) % 100_000)
        b = "+23481%08d" % ((i * 104_729) % 20_000)
        src = "10.0.%d.%d" % (i % 200, 1 + i % 50)
        yield cid, a, b, src


def windows(cid, a, b, src):
    """(tag, key, member, window ms, threshold, cap), as the benchmark's engine plans them."""
    call_hash = hashlib.sha1(cid.encode()).hexdigest()[:16]
    return [("dc", b, a, 5_000, 5, 64), ("ds", b, a, 60_000, 5, 64),
            ("cv", a, call_hash, 60_000, 15, 64), ("cr", src, a, 10_000, 20, 80)]


def evidence(t, cid, a, b, src):
    return f"{t};{len(cid)}:{cid}{len(a)}:{a}{len(b)}:{b}{len(src)}:{src}"


def with_script(r, sha):
    def add(p, t, cid, a, b, src):
        keys = []
        args = ["0", str(t), str(t - HW_OFFSET), str(t - t % BUCKET - BUCKET_OFFSET),
                evidence(t, cid, a, b, src)]
        for tag, key, member, w, thr, cap in windows(cid, a, b, src):
            base = f"bench:{{{tag}:{key}}}"
            keys += [base + ":m", base + ":e", base + ":c"]
            args += [member, str(t - w), str(cap), str(thr), str(w + SLACK + BUCKET),
                     f"{w} {t + 60_000} {60_000 + SLACK} {tag}-{t:x}-0"]
        p.evalsha(sha, len(keys), *keys, *args)
    return add


def native():
    refreshed = {}

    def add(p, t, cid, a, b, src):
        ev = evidence(t, cid, a, b, src)
        for tag, key, member, w, thr, cap in windows(cid, a, b, src):
            base = f"bench:{{{tag}:{key}}}"
            m, e = base + ":m", base + ":e"
            p.execute_command("ZADD", m, "GT", "CH", t, member, t - HW_OFFSET, "\xff",
                              t - t % BUCKET - BUCKET_OFFSET, "\xff\xff", NEW_SCORE, "\xff\xff\xff")
            p.execute_command("ZREMRANGEBYSCORE", m, "-500000000000000", t - w)
            p.execute_command("ZCARD", m)
            p.execute_command("LPUSH", e, ev)
            if refreshed.get(m) != t // BUCKET:
                refreshed[m] = t // BUCKET
                p.execute_command("PEXPIRE", m, w + SLACK + BUCKET)
                p.execute_command("PEXPIRE", e, w + SLACK + BUCKET)
            if tag == "cr":
                p.execute_command("HMGET", base + ":c", "u", "id")
    return add


def measure(r, add):
    def run(start, n):
        p = r.pipeline(transaction=False)
        for k, (cid, a, b, src) in enumerate(calls(start, n)):
            add(p, int(time.time() * 1000), cid, a, b, src)
            if k % PIPE == PIPE - 1:
                p.execute()
        p.execute()

    def cpu():
        i = r.info("cpu")
        return i["used_cpu_user"] + i["used_cpu_sys"]

    r.flushall()
    run(0, 2_000)
    before = cpu()
    run(10_000, N)
    return 1e6 * (cpu() - before) / N


def main():
    with local_redis("acm-native-") as r:
        sha = r.script_load(BODY)
        for round_ in range(1, 4):
            lua = measure(r, with_script(r, sha))
            nat = measure(r, native())
            print(f"round {round_}: server CPU per check: check.lua {lua:6.1f} us, "
                  f"native pipeline (prototype) {nat:6.1f} us ({nat / lua - 1:+.0%})")


if __name__ == "__main__":
    main()
