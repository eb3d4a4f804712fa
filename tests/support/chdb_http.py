#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR Apache-2.0
"""A current ClickHouse engine behind ClickHouse's HTTP interface, for tests.

No current clickhouse-server package is installable on the test machines, but `chdb` (PyPI)
is a current ClickHouse engine (26.x) running in-process. This script puts the part of the
HTTP interface acm uses in front of it, so acm's own code (schema apply, the pipeline's
RowBinary INSERTs, reports) runs unchanged against a current engine:

  GET /ping                      -> "Ok.\n"
  POST /?database=D&default_format=F&<setting>=<v>   body = SQL
  POST /?database=D&query=INSERT ... FORMAT RowBinary[&decompress=1]   body = data
       (chunked or Content-Length; decompress=1: ClickHouse's compressed block stream,
       LZ4 or none, CityHash128 checksums verified as the server does)

The SQL runs in one chdb session (one data directory, kept across restarts of this script,
so outage tests can stop and start it). Settings given as URL parameters apply to that one
request and are restored afterwards. Errors answer 500 with ClickHouse's exception text
("Code: N. DB::Exception: ...") and the X-ClickHouse-Exception-Code header, as a server does.

--capture DIR writes every INSERT's SQL and (decompressed) body to DIR/NNNNNN.sql/.bin, so a
test can send the very same bytes to another server.

Run: python3 chdb_http.py --port P --path DATA_DIR [--capture DIR]
(needs `pip install chdb lz4 clickhouse-cityhash`, done by scripts/setup-test-env.sh).
"""

import argparse
import os
import re
import struct
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import lz4.block
from chdb import session
from clickhouse_cityhash.cityhash import CityHash128

# Parameters of the HTTP interface that are not settings.
NOT_SETTINGS = {"query", "database", "default_format", "decompress", "compress", "user",
                "password", "query_id", "session_id", "session_timeout", "session_check",
                "wait_end_of_query", "buffer_size"}
INSERT_FORMAT = re.compile(r"^\s*INSERT\s+INTO\s+(.+?)\s+FORMAT\s+(\w+)\s*$", re.I | re.S)
HAS_FORMAT = re.compile(r"\bFORMAT\s+\w+\s*;?\s*$", re.I)
EXCEPTION_CODE = re.compile(r"Code:\s*(\d+)")


def decompress_blocks(data):
    """ClickHouse's compressed block stream (`decompress=1`): per block a 16-byte CityHash128
    of the rest, a method byte (0x82 LZ4, 0x02 none), the compressed size (with the 9-byte
    header) and the original size, both u32 LE."""
    out = bytearray()
    pos = 0
    while pos < len(data):
        if len(data) - pos < 25:
            raise ValueError("truncated compressed block header")
        checksum = data[pos:pos + 16]
        method, compressed, original = struct.unpack_from("<BII", data, pos + 16)
        block = data[pos + 16:pos + 16 + compressed]
        if len(block) != compressed:
            raise ValueError("truncated compressed block")
        # The server writes CityHash128's two words first-then-second; this library returns
        # them as one integer with the first word on top.
        first, second = struct.unpack("<QQ", checksum)
        if CityHash128(bytes(block)) != (first << 64) | second:
            raise ValueError("checksum mismatch in compressed block")
        payload = block[9:]
        if method == 0x82:
            out += lz4.block.decompress(bytes(payload), uncompressed_size=original)
        elif method == 0x02:
            out += payload
        else:
            raise ValueError(f"unsupported compression method 0x{method:02x}")
        pos += 16 + compressed
    return bytes(out)


class Engine:
    """One chdb session, used by one request at a time."""

    def __init__(self, path, capture):
        self.session = session.Session(path)
        self.lock = threading.Lock()
        self.capture = capture
        self.captured = 0
        self.inserts = 0
        self.tmp = tempfile.mkdtemp(prefix="chdb-http-")

    def _setting(self, name):
        res = self.session.query(
            f"SELECT value FROM system.settings WHERE name = '{name}'", "TSVRaw")
        return res.bytes().decode().rstrip("\n")

    def run(self, sql, database, default_format, settings, data):
        with self.lock:
            self.session.query(f"USE `{database}`")
            saved = {}
            for name, value in settings.items():
                if not re.fullmatch(r"\w+", name):
                    raise ValueError(f"bad setting name {name!r}")
                saved[name] = self._setting(name)
                self.session.query(f"SET {name} = '{value}'")
            try:
                if data is not None:
                    return self._insert(sql, data)
                fmt = default_format or "TabSeparated"
                return self.session.query(sql, fmt).bytes()
            finally:
                for name, value in saved.items():
                    self.session.query(f"SET {name} = '{value}'")

    def _insert(self, sql, data):
        m = INSERT_FORMAT.match(sql)
        if not m:
            raise ValueError(f"cannot take data for {sql!r}: expected INSERT INTO ... FORMAT X")
        target, fmt = m.group(1), m.group(2)
        if self.capture:
            self.captured += 1
            stem = os.path.join(self.capture, f"{self.captured:06d}")
            with open(stem + ".sql", "w") as f:
                f.write(sql)
            with open(stem + ".bin", "wb") as f:
                f.write(data)
        self.inserts += 1
        path = os.path.join(self.tmp, f"insert-{self.inserts}.bin")
        with open(path, "wb") as f:
            f.write(data)
        try:
            self.session.query(f"INSERT INTO {target} FROM INFILE '{path}' FORMAT {fmt}")
        finally:
            os.remove(path)
        return b""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    engine = None

    def log_message(self, *args):
        pass

    def _body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _reply(self, status, body, code=None):
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        if code is not None:
            self.send_header("X-ClickHouse-Exception-Code", code)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path in ("/ping", "/"):
            params = dict(parse_qsl(url.query, keep_blank_values=True))
            if url.path == "/ping" or "query" not in params:
                return self._reply(200, b"Ok.\n")
            return self._handle(params, b"")
        self._reply(404, b"not found\n")

    def do_POST(self):
        url = urlsplit(self.path)
        params = dict(parse_qsl(url.query, keep_blank_values=True))
        self._handle(params, self._body())

    def _handle(self, params, body):
        try:
            if "query" in params:
                sql, data = params["query"], body
                if params.get("decompress") == "1":
                    data = decompress_blocks(data)
                if not data and not INSERT_FORMAT.match(sql):
                    data = None
            else:
                sql, data = body.decode(), None
            settings = {k: v for k, v in params.items() if k not in NOT_SETTINGS}
            out = self.engine.run(sql, params.get("database") or "default",
                                  params.get("default_format"), settings, data)
            self._reply(200, out)
        except Exception as e:  # noqa: BLE001 - every failure is the client's answer
            text = str(e)
            print(f"error: {text}", file=sys.stderr, flush=True)
            m = EXCEPTION_CODE.search(text)
            self._reply(500, (text + "\n").encode(), m.group(1) if m else "1000")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--path", required=True)
    ap.add_argument("--capture")
    args = ap.parse_args()
    Handler.engine = Engine(args.path, args.capture)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print(f"chdb {session.__name__} listening on {args.port}", file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
