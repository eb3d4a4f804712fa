#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR Apache-2.0
"""check.lua under Lua 5.4 (Dragonfly's Lua) against Redis's own Lua 5.1.

Runs src/store/redis/check.lua twice for every one of a few thousand random
checks (late and same-millisecond events, member caps, alerts, cooldowns,
learned levels, an auto-block, every mode: with and without ZADD GT,
retries): once by the redis-server itself (EVALSHA: Lua 5.1) and once in
Lua 5.4 (lupa), whose redis.call is forwarded to the same server under
another key prefix. Both must answer the same and leave the same keys. No
Dragonfly is needed: what differs between the two is the language
(integer/float numbers, string formatting), not the commands.

Needs: redis-server on PATH, `pip install lupa redis`.
Run:   python3 scripts/check-lua54.py
"""

import os
import random
import sys

import redis
from local_redis import local_redis
from lupa import lua54

HERE = os.path.dirname(os.path.abspath(__file__))
BODY = open(os.path.join(HERE, "..", "src", "store", "redis", "check.lua"), "rb").read()
# As src/store/redis/mod.rs writes them.
HW_OFFSET, BUCKET_OFFSET, BUCKET_MS = 10**15, 2 * 10**15, 30_000
T_MAX = 253_402_300_799_999


def main():
    with local_redis("acm-lua54-") as r:
        run(r)


def run(r):
    sha = r.script_load(BODY)
    lua = lua54.LuaRuntime(unpack_returned_tuples=False, encoding=None)

    def to_lua(v):
        if v is None:
            return False
        if isinstance(v, list):
            return lua.table_from([to_lua(x) for x in v])
        return v

    def call(*args):
        for a in args:
            assert isinstance(a, bytes), f"redis.call got a non-string argument {a!r}"
        reply = r.execute_command(*args)
        if b"WITHSCORES" in (a.upper() for a in args):
            # redis-py pairs members with float scores; a script gets the
            # flat reply, scores as Redis writes them (%.17g).
            reply = [x for m, sc in reply for x in (m, format(sc, ".17g").encode())]
        return to_lua(reply)

    def pcall(*args):
        try:
            return call(*args)
        except redis.ResponseError as e:
            return lua.table_from({b"err": str(e).encode()})

    api = lua.table_from({b"call": call, b"pcall": pcall})
    run54 = lua.eval(
        b"function(redis, KEYS, ARGV, body)"
        b" local env = setmetatable({redis = redis, KEYS = KEYS, ARGV = ARGV}, {__index = _G})"
        b" return load(body, 'check', 't', env)() end"
    )

    def from_lua(v):
        if lua54.lua_type(v) == "table":
            out, i = [], 1
            while v[i] is not None:
                out.append(from_lua(v[i]))
                i += 1
            return out
        if isinstance(v, float):
            return int(v)  # as Redis turns a Lua number into an integer reply
        return v

    rng = random.Random(7)

    def request(prefix, t, i, mode):
        ev = f"{t};{len(str(i)) + 1}:c{i}14:+2348000000000"
        keys = []
        args = [mode, str(t), str(t - HW_OFFSET), str(t - t % BUCKET_MS - BUCKET_OFFSET), ev]
        for tag, w, thr, cap in (("dc", 5000, 4, 5), ("ds", 60000, 5, 64)):
            base = f"{prefix}:{{{tag}:+23481{rng.randrange(3)}}}"
            keys += [base + ":m", base + ":e", base + ":c"]
            args += [f"+23480{rng.randrange(12)}", str(t - w), str(cap), str(thr),
                     str(w + 90000), f"{w} {t + 20000} 80000 {tag}-{t:x}-0"]
        # A learning window (minus its learning floor as the threshold; its
        # learned state in its cooldown hash), intervals of 20 s, holding its
        # level after one interval over its threshold (key 0: only once it
        # spent three intervals under it, hold_known: 64 added; keys 0 and 1
        # kept long once known, keep_known: 128 added; keys 0 and 2 held
        # while machine-paced, hold_paced: 512 added).
        cf = rng.randrange(3)
        base = f"{prefix}:{{cf:+23480{cf}}}"
        keys += [base + ":m", base + ":e", base + ":c"]
        args += [f"+23481{rng.randrange(12)}", str(t - 60000), "8", "-2", "150000",
                 f"60000 4 20000 2000 60000 86400000 {(705, 129, 513)[cf]} 86460000 4 "
                 f"10000 {t + 20000} 80000 cf-{t:x}-0"]
        # A count-only window that learns (its rare string starts 'c'): its
        # members set and its learned state's hash, no evidence, no alert;
        # it answers its span and its callers in its last 20 s (three
        # quarters on its cap, its rare string ending ' 20000w').
        q = rng.randrange(3)
        base = f"{prefix}:{{cq:*|+23482{q}}}"
        keys += [base + ":m", base + ":c"]
        args += [f"+23480{rng.randrange(12)}", str(t - 60000), "8.75", "-2", "150000",
                 f"c60000 4 20000 2000 60000 86400000 0 86460000 4 10000 "
                 f"{t + 20000} 80000 cq-{t:x}-0 20000w"]
        # A count-only window (threshold 0, its members set its only key),
        # answering its callers in its last 2 s (a quarter on its cap).
        b = rng.randrange(3)
        keys.append(f"{prefix}:{{dc:*|+23481{b}}}:m")
        args += [f"+23480{rng.randrange(12)}", str(t - 5000), "8.25", "0", "95000", "5000 2000w"]
        # The fan-in pair: the slow tier, then the burst tier counting in its
        # members set and quoting its evidence list (its cooldown its only key).
        base = f"{prefix}:{{ds:s|+23481{b}}}"
        keys += [base + ":m", base + ":e", base + ":c", base + ":dc:c"]
        m = f"+23480{rng.randrange(12)}"
        # Both answer their spans (a half on the cap), at caps they reach
        # (4 and 6: at least twice the threshold, as the client sends them).
        args += [m, str(t - 60000), "4.5", "2", "150000", f"60000 {t + 20000} 80000 ds-{t:x}-0"]
        args += [m, f"({t - 5000}", "-6.5", "3", "95000", f"5000 {t + 20000} 80000 dc-{t:x}-0"]
        # A learning window judged by its key's repeats and moves (rare
        # string 'q…', ending ' <share milli> <factor> <span s> <ingress>q'):
        # a CLI's callees from a small pool (repeats), through one of three
        # ingresses or none (moves; the last two recorded in 'ri').
        r_ = rng.randrange(3)
        base = f"{prefix}:{{cr:+23480{r_}}}"
        keys += [base + ":m", base + ":e", base + ":c"]
        args += [f"+23482{rng.randrange(8)}", str(t - 60000), "8", "-2", "150000",
                 f"q60000 4 20000 2000 60000 86400000 0 86460000 4 10000 "
                 f"{t + 20000} 80000 cr-{t:x}-0 100 3 600 {rng.choice((0, 7, 42, 255))}q"]
        if rng.random() < 0.3:
            keys.append(f"{prefix}:{{blk:x}}")
        return keys, args

    r.flushall()
    for p in ("A", "B"):
        r.hset(f"{p}:{{blk:x}}", mapping={"u": T_MAX, "id": "b1"})
    alerts = 0
    spans = 0
    for start in (1_700_000_000_000, T_MAX - 2_000_000):
        now = start
        for i in range(2000):
            now += rng.randrange(1500)
            t = now - rng.randrange(9000) if rng.random() < 0.15 else now
            mode = rng.choice("000213")
            state = rng.getstate()
            ka, aa = request("A", t, i, mode)
            rng.setstate(state)
            kb, ab = request("B", t, i, mode)
            a = r.evalsha(sha, len(ka), *ka, *aa)
            b = from_lua(run54(api, lua.table_from([k.encode() for k in kb]),
                               lua.table_from([x.encode() for x in ab]), BODY))
            assert a == b, (i, a, b)
            assert a[3] & 3 == 0, (i, "a count-only window answered an alert", a)
            alerts += sum(1 for x in a[:7] if x & 3)
            spans += a[5] & 4 != 0
    ka, kb = sorted(r.keys("A:*")), sorted(r.keys("B:*"))
    assert [k[1:] for k in ka] == [k[1:] for k in kb]
    for x, y in zip(ka, kb):
        kind = r.type(x)
        if kind == b"zset":
            assert r.zrange(x, 0, -1, withscores=True) == r.zrange(y, 0, -1, withscores=True), x
        elif kind == b"list":
            assert r.lrange(x, 0, -1) == r.lrange(y, 0, -1), x
        elif kind == b"hash":
            assert r.hgetall(x) == r.hgetall(y), x
    assert spans > 0, "no window answered a span at its cap"
    learned = sum(1 for k in ka if k.endswith(b":c") and r.hexists(k, "l"))
    assert learned > 0, "no learned state"
    moved = [int(r.hget(k, "ri")) for k in ka
             if b"{cr:" in k and k.endswith(b":c") and r.hexists(k, "ri")]
    assert any(x > 255 for x in moved), f"no two ingresses recorded: {moved}"
    quiet = [k for k in ka if b"{cq:" in k]
    assert any(k.endswith(b":c") and r.hexists(k, "l") for k in quiet), "cq learned nothing"
    assert all(k.endswith((b":m", b":c")) for k in quiet), quiet
    assert not any(r.hexists(k, "u") for k in quiet if k.endswith(b":c")), "cq kept a cooldown"
    print(f"ok: 4000 checks, Lua 5.4 answers as Redis's Lua 5.1 ({alerts} alert states, "
          f"{len(ka)} keys alike, {learned} with a learned level)")


if __name__ == "__main__":
    sys.exit(main())
