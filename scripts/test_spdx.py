# SPDX-License-Identifier: MIT OR Apache-2.0
"""Tests of scripts/spdx.py on a scratch git repository (run by scripts/test.sh):

    python3 -m unittest discover -s scripts -p 'test_*.py'
"""

import contextlib
import io
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import spdx  # noqa: E402

FILES = {
    "src/lib.rs": b"//! The crate.\n\npub fn f() {}\n",
    "src/attr.rs": b"#![allow(dead_code)]\nfn g() {}\n",
    "include/acm.h": b"/*\n * acm.h\n */\n#pragma once\n",
    "kamailio-module/acm_mod.c": b"/*\n * acm_mod.c\n */\nint x;\n",
    "kamailio-module/Makefile": b"# build\nall:\n\ttrue\n",
    "kamailio-module/fetch.sh": b"#!/usr/bin/env bash\nset -e\n",
    "scripts/tool.py": b"#!/usr/bin/env python3\n# -*- coding: utf-8 -*-\nprint(1)\n",
    "scripts/plain.py": b'"""Doc."""\n',
    "scripts/only-shebang": b"#!/bin/sh",
    "src/store/check.lua": b"-- check\nreturn 1\n",
    "sql/report.sql": b"-- report\r\nSELECT 1\r\n",
    "web/app.js": b"'use strict';\n",
    "web/vendor/lib/lib.js": b"/* third party */\n",
    "docs/notes.md": b"# notes\n",
    "empty.rs": b"",
}

EXPECTED_HEAD = {
    "src/lib.rs": b"// SPDX-License-Identifier: MIT OR Apache-2.0\n//! The crate.\n",
    "src/attr.rs": b"// SPDX-License-Identifier: MIT OR Apache-2.0\n#![allow(dead_code)]\n",
    "include/acm.h": b"/* SPDX-License-Identifier: MIT OR Apache-2.0 */\n/*\n",
    "kamailio-module/acm_mod.c": b"/* SPDX-License-Identifier: GPL-2.0-or-later */\n/*\n",
    "kamailio-module/Makefile": b"# SPDX-License-Identifier: GPL-2.0-or-later\n# build\n",
    "kamailio-module/fetch.sh": b"#!/usr/bin/env bash\n# SPDX-License-Identifier: GPL-2.0-or-later\nset -e\n",
    "scripts/tool.py": b"#!/usr/bin/env python3\n# -*- coding: utf-8 -*-\n# SPDX-License-Identifier: MIT OR Apache-2.0\nprint(1)\n",
    "scripts/plain.py": b'# SPDX-License-Identifier: MIT OR Apache-2.0\n"""Doc."""\n',
    "scripts/only-shebang": b"#!/bin/sh\n# SPDX-License-Identifier: MIT OR Apache-2.0\n",
    "src/store/check.lua": b"-- SPDX-License-Identifier: MIT OR Apache-2.0\n-- check\n",
    "sql/report.sql": b"-- SPDX-License-Identifier: MIT OR Apache-2.0\r\n-- report\r\n",
    "web/app.js": b"// SPDX-License-Identifier: MIT OR Apache-2.0\n'use strict';\n",
    "empty.rs": b"// SPDX-License-Identifier: MIT OR Apache-2.0\n",
}


def run_main(*argv):
    """spdx.main(argv) with its output captured: (exit code, stdout + stderr)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = spdx.main(list(argv))
    return code, out.getvalue()


class SpdxTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = Path(self.tmp.name)
        subprocess.run(["git", "init", "-q", str(self.root)], check=True)
        (self.root / ".gitignore").write_text("target/\n")
        for rel, data in FILES.items():
            p = self.root / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(data)
        ignored = self.root / "target" / "gen.rs"
        ignored.parent.mkdir()
        ignored.write_bytes(b"fn ignored() {}\n")
        # Half the files committed, half only on disk: both kinds are covered.
        subprocess.run(["git", "-C", str(self.root), "add", "src", "kamailio-module"], check=True)

    def tearDown(self):
        self.tmp.cleanup()

    def snapshot(self):
        files = {}
        for p in self.root.rglob("*"):
            rel = p.relative_to(self.root).as_posix()
            if p.is_file() and not rel.startswith(".git/"):
                files[rel] = p.read_bytes()
        return files

    def test_check_lists_missing_then_fix_adds_each_line_where_it_belongs(self):
        res = spdx.process(self.root, fix=False)
        self.assertEqual(sorted(m.split(":")[0] for m in res.missing), sorted(EXPECTED_HEAD))
        self.assertEqual(res.added, [])
        unchanged = {**FILES, ".gitignore": b"target/\n", "target/gen.rs": b"fn ignored() {}\n"}
        self.assertEqual(self.snapshot(), unchanged)

        res = spdx.process(self.root, fix=True)
        self.assertEqual(sorted(res.added), sorted(EXPECTED_HEAD))
        for rel, head in EXPECTED_HEAD.items():
            data = (self.root / rel).read_bytes()
            self.assertTrue(data.startswith(head), f"{rel}: {data[:120]!r}")
            # Exactly one line added, the rest as it was.
            self.assertEqual(data.count(b"SPDX-License-Identifier"), 1, rel)
        self.assertEqual((self.root / "sql/report.sql").read_bytes(),
                         b"-- SPDX-License-Identifier: MIT OR Apache-2.0\r\n-- report\r\nSELECT 1\r\n")
        # Not ours, not code, or ignored by git: untouched.
        self.assertEqual((self.root / "web/vendor/lib/lib.js").read_bytes(), FILES["web/vendor/lib/lib.js"])
        self.assertEqual((self.root / "docs/notes.md").read_bytes(), FILES["docs/notes.md"])
        self.assertEqual((self.root / "target/gen.rs").read_bytes(), b"fn ignored() {}\n")

    def test_fix_is_idempotent_and_check_then_passes(self):
        spdx.process(self.root, fix=True)
        after_first = self.snapshot()
        res = spdx.process(self.root, fix=True)
        self.assertEqual(res.added, [])
        self.assertEqual(self.snapshot(), after_first)
        res = spdx.process(self.root, fix=False)
        self.assertEqual((res.missing, res.conflicts), ([], []))
        self.assertEqual(res.ok, len(EXPECTED_HEAD))
        code, out = run_main("--check", "--root", str(self.root))
        self.assertEqual(code, 0)
        self.assertIn(f"{len(EXPECTED_HEAD)} files carry the right identifier, 0 lack one", out)

    def test_another_licence_is_a_conflict_left_alone(self):
        wrong = b"// SPDX-License-Identifier: GPL-3.0-only\nfn f() {}\n"
        (self.root / "src/lib.rs").write_bytes(wrong)
        res = spdx.process(self.root, fix=True)
        self.assertEqual(res.conflicts, ["src/lib.rs: says 'GPL-3.0-only', expected 'MIT OR Apache-2.0'"])
        self.assertEqual((self.root / "src/lib.rs").read_bytes(), wrong)
        code, out = run_main("--root", str(self.root))
        self.assertEqual(code, 1)
        self.assertIn("CONFLICT src/lib.rs: says 'GPL-3.0-only'", out)
        code, out = run_main("--check", "--root", str(self.root))
        self.assertEqual(code, 1)
        self.assertIn("1 name another licence", out)

    def test_the_kamailio_module_licence_in_a_rust_file_there_is_a_conflict_too(self):
        (self.root / "src/lib.rs").write_bytes(b"// SPDX-License-Identifier: GPL-2.0-or-later\n")
        (self.root / "kamailio-module/acm_mod.c").write_bytes(b"/* SPDX-License-Identifier: MIT OR Apache-2.0 */\n")
        res = spdx.process(self.root, fix=False)
        self.assertEqual(sorted(c.split(":")[0] for c in res.conflicts), ["kamailio-module/acm_mod.c", "src/lib.rs"])


if __name__ == "__main__":
    unittest.main()
