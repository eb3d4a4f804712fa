#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR Apache-2.0
"""SPDX-License-Identifier lines at the top of acm's source files: add them, or check them.

    scripts/spdx.py            add the missing lines (idempotent: a second run changes nothing)
    scripts/spdx.py --check    list the files without the right line; exit 1 if there are any

Which licence (README, "Licence"):
    kamailio-module/...        GPL-2.0-or-later   (the Kamailio module, like Kamailio's own modules)
    everything else            MIT OR Apache-2.0  (the Rust crate and its tools)

Which files: the ones git tracks or would track (untracked but not ignored), by kind:
    .rs .js                    // SPDX-License-Identifier: ...
    .c .h                      /* SPDX-License-Identifier: ... */
    .sh .py Makefile .mk       # SPDX-License-Identifier: ...   (after a #! line, and after a
                               #   Python coding line)
    .lua .sql                  -- SPDX-License-Identifier: ...
    no suffix, #! sh/bash/python   as .sh/.py
Never touched: anything under a directory named `vendor` (third-party code keeps its own
notices) and .ci/. A file whose first lines already name a different licence is reported
(an error in both modes) and left as it is: decide by hand, this script never overwrites one.

The line goes on the first line (after a #! line): only one line is added to a file, so the
change merges with any other edit that does not touch the file's first lines.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

TAG = "SPDX-License-Identifier:"
CRATE = "MIT OR Apache-2.0"
KAMAILIO_MODULE = "GPL-2.0-or-later"

# How far down an existing identifier is looked for (a #! line, a coding line, the tag).
HEAD_LINES = 5

COMMENT = {
    ".rs": ("// ", ""),
    ".js": ("// ", ""),
    ".c": ("/* ", " */"),
    ".h": ("/* ", " */"),
    ".sh": ("# ", ""),
    ".bash": ("# ", ""),
    ".py": ("# ", ""),
    ".mk": ("# ", ""),
    ".lua": ("-- ", ""),
    ".sql": ("-- ", ""),
}
BY_NAME = {"Makefile": ("# ", ""), "GNUmakefile": ("# ", "")}
SHEBANG_SCRIPT = re.compile(rb"^#!.*\b(sh|bash|python3?)\b")
CODING = re.compile(rb"^[ \t\f]*#.*?coding[:=]")
SKIP_DIRS = {"vendor"}
SKIP_PREFIXES = (".ci/",)


def licence_for(rel: str) -> str:
    return KAMAILIO_MODULE if rel.startswith("kamailio-module/") else CRATE


def comment_style(rel: str, head: bytes) -> tuple[str, str] | None:
    """The comment delimiters for this file, or None when it is not a kind we mark."""
    name = rel.rsplit("/", 1)[-1]
    if name in BY_NAME:
        return BY_NAME[name]
    suffix = os.path.splitext(name)[1]
    if suffix in COMMENT:
        return COMMENT[suffix]
    if suffix == "" and SHEBANG_SCRIPT.match(head):
        return ("# ", "")
    return None


def skipped(rel: str) -> bool:
    parts = rel.split("/")
    return rel.startswith(SKIP_PREFIXES) or any(p in SKIP_DIRS for p in parts[:-1])


def candidate_files(root: Path) -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        check=True,
        capture_output=True,
    ).stdout
    files = sorted({p for p in out.decode().split("\0") if p})
    return [f for f in files if not skipped(f) and (root / f).is_file()]


def insert_at(lines: list[bytes], rel: str) -> int:
    """The index the identifier line goes to: after a #! line (not Rust's #![...]) and a
    Python coding line."""
    i = 0
    if lines and lines[0].startswith(b"#!") and not lines[0].startswith(b"#!["):
        i = 1
        python = rel.endswith(".py") or b"python" in lines[0]
        if python and len(lines) > 1 and CODING.match(lines[1]):
            i = 2
    return i


class Result:
    def __init__(self) -> None:
        self.missing: list[str] = []
        self.added: list[str] = []
        self.conflicts: list[str] = []
        self.ok = 0


def process(root: Path, fix: bool) -> Result:
    res = Result()
    for rel in candidate_files(root):
        path = root / rel
        data = path.read_bytes()
        style = comment_style(rel, data[:200])
        if style is None:
            continue
        want = licence_for(rel)
        lines = data.splitlines(keepends=True)
        found = None
        for line in lines[:HEAD_LINES]:
            m = re.search(rb"SPDX-License-Identifier:\s*(.*?)\s*(\*/)?\s*$", line)
            if m:
                found = m.group(1).decode("utf-8", "replace")
                break
        if found == want:
            res.ok += 1
            continue
        if found is not None:
            res.conflicts.append(f"{rel}: says {found!r}, expected {want!r}")
            continue
        if not fix:
            res.missing.append(f"{rel}: no SPDX-License-Identifier (expected {want!r})")
            continue
        eol = b"\r\n" if lines and lines[0].endswith(b"\r\n") else b"\n"
        at = insert_at(lines, rel)
        if at == len(lines) and lines and not lines[-1].endswith((b"\n", b"\r")):
            lines[-1] += eol  # a file that is only a #! line, without a final newline
        open_, close = style
        lines.insert(at, f"{open_}{TAG} {want}{close}".encode() + eol)
        path.write_bytes(b"".join(lines))
        res.added.append(rel)
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    ap.add_argument("--check", action="store_true", help="report, change nothing; exit 1 if any file lacks its line")
    ap.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent, help="repository root")
    args = ap.parse_args(argv)

    res = process(args.root, fix=not args.check)
    for line in res.conflicts:
        print(f"spdx: CONFLICT {line}", file=sys.stderr)
    if args.check:
        for line in res.missing:
            print(f"spdx: {line}", file=sys.stderr)
        bad = len(res.missing) + len(res.conflicts)
        print(f"spdx: {res.ok} files carry the right identifier, {len(res.missing)} lack one, {len(res.conflicts)} name another licence")
        if bad:
            print("spdx: run scripts/spdx.py to add the missing lines (conflicts need a person)", file=sys.stderr)
        return 1 if bad else 0
    for rel in res.added:
        print(f"spdx: added to {rel}")
    print(f"spdx: added {len(res.added)}, already right {res.ok}, conflicts {len(res.conflicts)}")
    return 1 if res.conflicts else 0


if __name__ == "__main__":
    sys.exit(main())
