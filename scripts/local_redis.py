# SPDX-License-Identifier: MIT OR Apache-2.0
"""A throwaway redis-server on a free loopback port, for the scripts beside this file.

    with local_redis("acm-lua54-") as r:   # r: a redis.Redis client, server answering PING
        ...

The server is killed and its temporary directory removed on the way out.
"""

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time

import redis


@contextlib.contextmanager
def local_redis(prefix):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    tmp = tempfile.mkdtemp(prefix=prefix)
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", tmp],
        stdout=subprocess.DEVNULL,
    )
    try:
        r = redis.Redis(port=port)
        for _ in range(100):
            try:
                r.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield r
    finally:
        server.kill()
        server.wait()
        shutil.rmtree(tmp, ignore_errors=True)
