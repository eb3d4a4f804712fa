#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR Apache-2.0
"""Runs the manuals (docs/manuals/*.md): every command they show, against real servers.

A manual marks what the test runs and checks, in the fence's info string:

  ```sh manual-test                run by bash (one bash per manual, blocks in order, `set -euo
                                   pipefail`; variables and files carry over between blocks,
                                   each block starts in the manual's work directory)
  ```text expected                 right after a `sh manual-test` block: its stdout must be
                                   this (alert ids normalised; a line `...` matches any lines)
  ```toml manual-test file=NAME    written to NAME in the manual's work directory when reached,
                                   then `acm check-config -c NAME` must accept it
  ```LANG manual-test file=NAME    (any other language) written to NAME when reached
  ```LANG manual-file=PATH         must be byte for byte the repository's PATH (a shipped file)
  ```text                          an illustration or output not compared; nothing else

Any other fenced block fails the run: a manual cannot show a command the test does not run.

Each manual runs in a fresh temporary directory with `acm` (the binary under test) first on
PATH and, already running for it, a real `acm serve` on a free loopback port with a file
alert log, shared lists in a file, three bearer tokens and a webhook receiver:

  API        http://127.0.0.1:PORT of that server
  VIEWER_TOKEN, TOKEN (analyst "alice"), ADMIN_TOKEN
  WEBHOOK_DIR    where the receiver stores each request: N.json {path, headers, body}
  WEBHOOK_SECRET the standard receiver's signing secret (whsec_...)
  CLICKHOUSE_URL a real clickhouse-server's HTTP URL (only for manuals that use it)
  DESTDIR        an empty staging root for install commands (/ on a real host)
  REDIS_URL      a real redis-server on a free port (the Redis/Dragonfly examples)
  PYTHON         the test venv's Python ($ACM_TEST_VENV, default /opt/acm-test/venv): grpcio
  LIBACM_DIR     where libacm.so/libacm.a are (--lib-dir, default target/release)
  REPO           the repository root (cfg-examples/, sql/, proto/)
  free_port      a shell function printing a free loopback port

Usage: scripts/manuals.py [--acm PATH] [docs/manuals/X.md ...]
ACM binary: --acm, else $ACM_BIN, else target/debug/acm. Missing servers fail; nothing skips.
"""

import argparse
import base64
import difflib
import hashlib
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FENCE = re.compile(r"^```(.*)$")
ALERT_ID = re.compile(r"\b[a-z]{2,5}-[0-9a-f]{6,16}-[0-9a-f]{8}\b")
BLOCK_TIMEOUT_S = 300


class ManualError(Exception):
    pass


def read_text(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def parse(path):
    """Fenced blocks of a manual: (line, info, text)."""
    blocks = []
    lines = read_text(path).split("\n")
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        start, info, body = i + 1, m.group(1).strip(), []
        i += 1
        while i < len(lines) and lines[i] != "```":
            body.append(lines[i])
            i += 1
        if i == len(lines):
            raise ManualError(f"{path}:{start}: fence never closed")
        blocks.append((start, info, "\n".join(body) + "\n"))
        i += 1
    return blocks


def plan(path):
    """Steps of a manual: ('sh', line, text, expected|None), ('file', line, name, text, toml?)."""
    steps, blocks = [], parse(path)
    for n, (line, info, text) in enumerate(blocks):
        words = info.split()
        opts = dict(w.split("=", 1) for w in words[1:] if "=" in w)
        flags = {w for w in words[1:] if "=" not in w}
        where = f"{os.path.relpath(path, REPO)}:{line}"
        if "manual-file" in opts:
            shipped = os.path.join(REPO, opts["manual-file"])
            if not os.path.isfile(shipped):
                raise ManualError(f"{where}: manual-file {opts['manual-file']} does not exist")
            if read_text(shipped) != text:
                raise ManualError(
                    f"{where}: the block differs from {opts['manual-file']} (copy the file in)"
                )
            steps.append(("shown", line))
        elif "manual-test" in flags and words[0] == "sh" and "file" not in opts:
            expected = None
            if n + 1 < len(blocks) and blocks[n + 1][1] == "text expected":
                expected = blocks[n + 1][2]
            steps.append(("sh", line, text, expected))
        elif "manual-test" in flags and "file" in opts:
            steps.append(("file", line, opts["file"], text, words[0] == "toml"))
        elif "manual-test" in flags and words[0] == "toml":
            steps.append(("file", line, f".check-{line}.toml", text, True))
        elif info == "text expected":
            if n == 0 or blocks[n - 1][1] != "sh manual-test":
                raise ManualError(f"{where}: `text expected` must follow a `sh manual-test` block")
        elif info == "text":
            pass
        else:
            raise ManualError(
                f"{where}: fenced block ```{info} is neither run nor checked: mark it "
                "`sh manual-test`, `<lang> manual-test file=NAME`, `<lang> manual-file=PATH` "
                "or `text`"
            )
    return steps


def normalise(text):
    return ALERT_ID.sub("<alert-id>", text).rstrip("\n").split("\n")


def matches(expected, actual):
    """Line lists; a `...` line in expected matches zero or more lines."""
    if not expected:
        return not actual
    if expected[0] == "...":
        return any(matches(expected[1:], actual[k:]) for k in range(len(actual) + 1))
    return bool(actual) and expected[0] == actual[0] and matches(expected[1:], actual[1:])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise ManualError(f"{url} did not answer within {timeout}s")


class Receiver:
    """A real webhook receiver: stores every POST as N.json and answers 204."""

    def __init__(self, directory):
        self.dir = directory
        self.count = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                outer.count += 1
                record = {
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body.decode("utf-8"),
                }
                tmp = os.path.join(outer.dir, f".{outer.count}.json")
                with open(tmp, "w", encoding="utf-8") as f:
                    json.dump(record, f)
                os.rename(tmp, os.path.join(outer.dir, f"{outer.count}.json"))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/acm"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


def need(program):
    found = shutil.which(program) or next(
        (p for p in (f"/usr/sbin/{program}", f"/usr/bin/{program}") if os.access(p, os.X_OK)),
        None,
    )
    if not found:
        raise ManualError(f"`{program}` is not installed: run scripts/setup-test-env.sh")
    return found


CH_CONFIG = """<?xml version="1.0"?>
<yandex>
    <logger><level>warning</level><log>{d}/log/server.log</log>
        <errorlog>{d}/log/error.log</errorlog><size>10M</size><count>1</count></logger>
    <listen_host>127.0.0.1</listen_host>
    <http_port>{http}</http_port>
    <tcp_port>{tcp}</tcp_port>
    <max_connections>64</max_connections>
    <mark_cache_size>67108864</mark_cache_size>
    <path>{d}/data/</path>
    <tmp_path>{d}/tmp/</tmp_path>
    <user_files_path>{d}/user_files/</user_files_path>
    <format_schema_path>{d}/format_schemas/</format_schema_path>
    <users_config>{d}/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
</yandex>
"""
CH_USERS = """<?xml version="1.0"?>
<yandex>
    <profiles><default><max_memory_usage>2000000000</max_memory_usage>
        <allow_experimental_low_cardinality_type>1</allow_experimental_low_cardinality_type>
    </default></profiles>
    <users><default><password></password><networks><ip>::/0</ip></networks>
        <profile>default</profile><quota>default</quota></default></users>
    <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
        <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time>
    </interval></default></quotas>
</yandex>
"""


def start_clickhouse(work):
    """clickhouse-server (Debian's 18.16 in the test environment) on free ports; its HTTP URL."""
    d = os.path.join(work, ".clickhouse")
    for sub in ("data", "tmp", "user_files", "format_schemas", "log"):
        os.makedirs(os.path.join(d, sub))
    http, tcp = free_port(), free_port()
    with open(os.path.join(d, "config.xml"), "w") as f:
        f.write(CH_CONFIG.format(d=d, http=http, tcp=tcp))
    with open(os.path.join(d, "users.xml"), "w") as f:
        f.write(CH_USERS)
    proc = subprocess.Popen([need("clickhouse-server"), f"--config-file={d}/config.xml"],
                            cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{http}/ping", timeout=1) as r:
                if r.read() == b"Ok.\n":
                    return proc, f"http://127.0.0.1:{http}"
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.2)
    proc.kill()
    raise ManualError(f"clickhouse-server did not start (see {d}/log/error.log)")


def clean_env():
    """The environment without ACM_* variables (they would override the configs)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("ACM_")}


def token(acm, name, role):
    out = subprocess.run(
        [acm, "token", "new", "--name", name, "--role", role],
        check=True, env=clean_env(), capture_output=True, text=True,
    ).stdout
    secret = re.search(r"\b(acm_[0-9a-f]{64})\b", out).group(1)
    entry = out[out.index("[[access.tokens]]"):]
    return secret, entry


def run_manual(path, acm, lib_dir, python):
    steps = plan(path)
    name = os.path.relpath(path, REPO)
    work = tempfile.mkdtemp(prefix="acm-manual-")
    procs, receiver, groups = [], None, []
    try:
        bindir = os.path.join(work, ".bin")
        os.mkdir(bindir)
        os.symlink(acm, os.path.join(bindir, "acm"))
        hooks = os.path.join(work, ".webhooks")
        os.mkdir(hooks)
        receiver = Receiver(hooks)
        secret = "whsec_" + base64.b64encode(hashlib.sha256(work.encode()).digest()).decode()

        redis_port = free_port()
        procs.append(subprocess.Popen(
            [need("redis-server"), "--port", str(redis_port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", work],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        ))

        clickhouse = {}
        if "$CLICKHOUSE_URL" in read_text(path):
            proc, url = start_clickhouse(work)
            procs.append(proc)
            clickhouse["CLICKHOUSE_URL"] = url

        tokens = {}
        entries = []
        for var, who, role in (("VIEWER_TOKEN", "victor", "viewer"),
                               ("TOKEN", "alice", "analyst"),
                               ("ADMIN_TOKEN", "root", "admin")):
            tokens[var], entry = token(acm, who, role)
            entries.append(entry)
        state = os.path.join(work, ".server")
        os.mkdir(state)
        port = free_port()
        config = os.path.join(state, "acm.toml")
        with open(config, "w", encoding="utf-8") as f:
            f.write(
                f'node_name = "node-1"\n'
                f"[alerts]\nevents_file = \"{state}/alert-events.jsonl\"\n"
                f"[store]\nlists_file = \"{state}/lists.json\"\n"
                f"[serve]\nlisten = \"127.0.0.1:{port}\"\n"
                f"[webhooks]\nspool_dir = \"{state}/spool\"\n"
                f"[[webhooks.receivers]]\nname = \"soc\"\nurl = \"{receiver.url}\"\n"
                f"format = \"standard\"\nsecret = \"{secret}\"\n\n"
                + "\n".join(entries)
            )
        server_log = open(os.path.join(state, "serve.log"), "w")
        procs.append(subprocess.Popen([acm, "serve", "-c", config], env=clean_env(),
                                      stdout=server_log, stderr=subprocess.STDOUT))
        wait_http(f"http://127.0.0.1:{port}/health")

        outdir = os.path.join(work, ".out")
        os.mkdir(outdir)
        script = [
            "set -eEuo pipefail",
            'free_port() { python3 -c \'import socket; s=socket.socket(); '
            's.bind(("127.0.0.1",0)); print(s.getsockname()[1])\'; }',
        ]
        for k, step in enumerate(steps):
            if step[0] == "sh":
                script += [f"echo {k} > {outdir}/started", f"cd '{work}'", "{", step[2],
                           f"}} > {outdir}/{k}.out 2> {outdir}/{k}.err"]
            elif step[0] == "file":
                _, line, fname, text, is_toml = step
                delim = "__ACM_MANUAL_EOF__"
                script += [f"echo {k} > {outdir}/started", f"cd '{work}'",
                           f"mkdir -p \"$(dirname '{fname}')\"",
                           f"cat > '{fname}' <<'{delim}'", text.rstrip("\n"), delim]
                if is_toml:
                    script.append(f"acm check-config -c '{fname}' > {outdir}/{k}.out "
                                  f"2> {outdir}/{k}.err")
        script.append(f"echo done > {outdir}/started")
        env = clean_env()
        env.update({
            "PATH": bindir + os.pathsep + env.get("PATH", ""),
            "API": f"http://127.0.0.1:{port}",
            "WEBHOOK_DIR": hooks,
            "WEBHOOK_SECRET": secret,
            "REDIS_URL": f"redis://127.0.0.1:{redis_port}",
            "REPO": REPO,
            "PYTHON": python,
            "LIBACM_DIR": lib_dir,
            "DESTDIR": os.path.join(work, ".destdir"),
            **tokens,
            **clickhouse,
        })
        bash = subprocess.Popen(["bash", "-c", "\n".join(script)], cwd=work, env=env,
                                start_new_session=True)
        groups.append(bash.pid)
        try:
            rc = bash.wait(timeout=BLOCK_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            rc = f"timeout after {BLOCK_TIMEOUT_S}s"
        started = read_text(os.path.join(outdir, "started")).strip() if os.path.exists(
            os.path.join(outdir, "started")) else "0"
        if rc != 0 or started != "done":
            k = int(started) if started.isdigit() else 0
            step = steps[k]
            out = os.path.join(outdir, f"{k}.out")
            err = os.path.join(outdir, f"{k}.err")
            read = lambda p: read_text(p) if os.path.exists(p) else ""
            raise ManualError(
                f"{name}:{step[1]}: block failed (exit {rc})\n--- block ---\n"
                f"{step[2] if step[0] == 'sh' else step[3]}--- stdout ---\n{read(out)}"
                f"--- stderr ---\n{read(err)}--- acm serve log (tail) ---\n"
                + "\n".join(read_text(os.path.join(state, "serve.log")).splitlines()[-20:])
            )
        ran = 0
        for k, step in enumerate(steps):
            if step[0] == "sh":
                ran += 1
                if step[3] is not None:
                    actual = read_text(os.path.join(outdir, f"{k}.out"))
                    if not matches(normalise(step[3]), normalise(actual)):
                        diff = "".join(difflib.unified_diff(
                            step[3].splitlines(True), actual.splitlines(True),
                            "manual", "actual"))
                        raise ManualError(
                            f"{name}:{step[1]}: output differs from the manual\n{diff}"
                        )
        files = sum(1 for s in steps if s[0] == "file")
        shown = sum(1 for s in steps if s[0] == "shown")
        compared = sum(1 for s in steps if s[0] == "sh" and s[3] is not None)
        print(f"manuals: {name}: {ran} blocks run ({compared} outputs compared), "
              f"{files} files written/checked, {shown} shipped files matched")
        if ran == 0:
            raise ManualError(f"{name}: no runnable block")
    finally:
        for pgid in groups:  # the manual's shell and whatever it left running
            try:
                os.killpg(pgid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        if receiver:
            receiver.close()
        if os.environ.get("MANUALS_KEEP"):
            print(f"manuals: kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def main():
    # A SIGTERM (CI's timeout) unwinds like Ctrl-C, so every server is stopped.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--acm", default=os.environ.get("ACM_BIN") or
                    os.path.join(REPO, "target", "debug", "acm"))
    ap.add_argument("--lib-dir", default=os.path.join(REPO, "target", "release"))
    ap.add_argument("manuals", nargs="*")
    args = ap.parse_args()
    acm = os.path.abspath(args.acm)
    if not os.access(acm, os.X_OK):
        sys.exit(f"manuals: acm binary {acm} not found (cargo build --bins, or --acm)")
    lib_dir = os.path.abspath(args.lib_dir)
    if not os.path.isfile(os.path.join(lib_dir, "libacm.so")):
        sys.exit(f"manuals: {lib_dir}/libacm.so not found (cargo build --release --lib)")
    python = os.path.join(os.environ.get("ACM_TEST_VENV", "/opt/acm-test/venv"), "bin", "python")
    if subprocess.run([python, "-c", "import grpc, grpc_tools"]).returncode != 0:
        sys.exit(f"manuals: {python} cannot import grpc/grpc_tools: run scripts/setup-test-env.sh")
    manuals = args.manuals or sorted(
        os.path.join(REPO, "docs", "manuals", f)
        for f in os.listdir(os.path.join(REPO, "docs", "manuals")) if f.endswith(".md")
    )
    if not manuals:
        sys.exit("manuals: no manual found")
    failed = 0
    for m in manuals:
        try:
            run_manual(os.path.abspath(m), acm, lib_dir, python)
        except ManualError as e:
            failed += 1
            print(f"manuals: FAILED {e}", file=sys.stderr)
    if failed:
        sys.exit(f"manuals: {failed} of {len(manuals)} manuals failed")


if __name__ == "__main__":
    main()
