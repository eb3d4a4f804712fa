# SPDX-License-Identifier: MIT OR Apache-2.0
"""Tests of scripts/third-party-notices.py: reading licence expressions, electing the licence a
crate is used under, telling a licence file's licence (run by scripts/test.sh)."""

import importlib.util
import sys
import tempfile
import unittest
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "third_party_notices", Path(__file__).resolve().parent / "third-party-notices.py")
tpn = importlib.util.module_from_spec(_spec)
sys.modules["third_party_notices"] = tpn
_spec.loader.exec_module(tpn)

ACCEPTED = ["MIT", "Apache-2.0", "BSD-3-Clause", "BSL-1.0", "ISC", "Unicode-3.0", "Zlib"]


def elect(expr):
    return tpn.elect(tpn.parse(expr), ACCEPTED)


class ExpressionTest(unittest.TestCase):
    def test_parse(self):
        self.assertEqual(tpn.parse("MIT"), "MIT")
        self.assertEqual(tpn.parse("MIT OR Apache-2.0"), ("OR", "MIT", "Apache-2.0"))
        self.assertEqual(tpn.parse("MIT/Apache-2.0"), ("OR", "MIT", "Apache-2.0"))
        self.assertEqual(tpn.parse("(MIT OR Apache-2.0) AND Unicode-3.0"),
                         ("AND", ("OR", "MIT", "Apache-2.0"), "Unicode-3.0"))
        self.assertEqual(tpn.parse("Apache-2.0 WITH LLVM-exception OR MIT"),
                         ("OR", "Apache-2.0 WITH LLVM-exception", "MIT"))
        self.assertEqual(tpn.parse("A OR B AND C"), ("OR", "A", ("AND", "B", "C")))
        with self.assertRaises(ValueError):
            tpn.parse("(MIT OR Apache-2.0")
        with self.assertRaises(ValueError):
            tpn.parse("MIT Apache-2.0")

    def test_a_gplv2_compatible_choice_is_elected_first(self):
        self.assertEqual(elect("MIT OR Apache-2.0"), {"MIT"})
        self.assertEqual(elect("Apache-2.0 OR MIT"), {"MIT"})
        self.assertEqual(elect("Apache-2.0 OR BSL-1.0"), {"BSL-1.0"})
        self.assertEqual(elect("Apache-2.0 WITH LLVM-exception OR Apache-2.0 OR MIT"), {"MIT"})
        self.assertEqual(elect("0BSD OR MIT OR Apache-2.0"), {"MIT"})  # 0BSD is not accepted here

    def test_and_takes_every_part_and_apache_only_stays_apache(self):
        self.assertEqual(elect("(MIT OR Apache-2.0) AND Unicode-3.0"), {"MIT", "Unicode-3.0"})
        self.assertEqual(elect("MIT AND BSD-3-Clause"), {"MIT", "BSD-3-Clause"})
        self.assertEqual(elect("Apache-2.0"), {"Apache-2.0"})

    def test_terms_not_accepted_elect_nothing(self):
        self.assertIsNone(elect("GPL-3.0-or-later"))
        self.assertIsNone(elect("MPL-2.0 OR LGPL-2.1-or-later"))
        self.assertIsNone(elect("MIT AND GPL-2.0-only"))
        self.assertEqual(elect("GPL-3.0-only OR MIT"), {"MIT"})


MIT = """Copyright (c) 2020 Someone

Permission is hereby granted, free of charge, to any
person obtaining a copy of this software ..."""
APACHE = """                                 Apache License
                           Version 2.0, January 2004
TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION"""
BSD3 = """Redistribution and use in source and binary forms, with or without
modification, are permitted ... Neither the name of the copyright holder nor the names of its
contributors may be used to endorse or promote products derived from this software"""
BSD2 = "Redistribution and use in source and binary forms, with or without modification, are permitted"
ISC = """Permission to use, copy, modify, and/or distribute this software for any
purpose with or without fee is hereby granted, provided that the above
copyright notice and this permission notice appear in all copies."""
ZERO_BSD = """Permission to use, copy, modify, and/or distribute this software for
any purpose with or without fee is hereby granted."""
UNICODE = """UNICODE LICENSE V3
Permission is hereby granted, free of charge, to any person obtaining a
copy of data files and any associated documentation"""


class IdentifyTest(unittest.TestCase):
    def test_each_text_is_told_apart(self):
        self.assertEqual(tpn.identify(MIT), {"MIT"})
        self.assertEqual(tpn.identify(APACHE), {"Apache-2.0"})
        self.assertEqual(tpn.identify(BSD3), {"BSD-3-Clause"})
        self.assertEqual(tpn.identify(BSD2), {"BSD-2-Clause"})
        self.assertEqual(tpn.identify(ISC), {"ISC"})
        as_comments = "\n".join("// " + line if line else "//" for line in ISC.split("\n"))
        self.assertEqual(tpn.identify(as_comments), {"ISC"})  # untrusted's LICENSE.txt
        self.assertEqual(tpn.identify(ZERO_BSD), {"0BSD"})
        self.assertEqual(tpn.identify(UNICODE), {"Unicode-3.0"})
        self.assertEqual(tpn.identify("This project is dual-licensed; see LICENSE-MIT."), set())
        self.assertEqual(tpn.identify(MIT + "\n\n" + APACHE), {"MIT", "Apache-2.0"})

    def test_covered_says_which_elected_licences_have_a_text(self):
        files = [("LICENSE-MIT", MIT), ("COPYING", "see LICENSE-MIT")]
        self.assertEqual(tpn.covered(files, frozenset({"MIT"})), {"MIT"})
        self.assertEqual(tpn.covered(files, frozenset({"MIT", "Unicode-3.0"})), {"MIT"})
        self.assertEqual(tpn.covered([("LICENSE", ISC)], frozenset({"ISC"})), {"ISC"})


class ResolveTextsTest(unittest.TestCase):
    """Where a crate's texts come from: its own files, a crate of its repository, or the
    standard text; never nothing."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.pkgs = {}

    def tearDown(self):
        self.tmp.cleanup()

    def pkg(self, name, licence, files, repo=None, authors=()):
        d = Path(self.tmp.name) / name
        d.mkdir()
        (d / "Cargo.toml").write_text("")
        for fname, text in files.items():
            (d / fname).write_text(text)
        p = {"name": name, "version": "1.0.0", "license": licence, "manifest_path": str(d / "Cargo.toml"),
             "repository": repo, "authors": list(authors)}
        self.pkgs[name] = p
        return p

    def resolve(self, name):
        elections = {(p["name"], p["version"]): elect(p["license"]) for p in self.pkgs.values()}
        own = {k: tpn.texts_for(self.pkgs[k[0]], v) for k, v in elections.items()}
        by_repo = {}
        for p in self.pkgs.values():
            by_repo.setdefault(p["repository"], []).append(p)
        p = self.pkgs[name]
        return tpn.resolve_texts(p, elections[(name, "1.0.0")], own, elections, by_repo)

    def test_own_then_sibling_then_standard_then_refusal(self):
        self.pkg("a", "MIT OR Apache-2.0", {"LICENSE-MIT": MIT, "LICENSE-APACHE": APACHE, "NOTICE": "a notice"},
                 repo="https://example.org/ab")
        self.pkg("b", "MIT OR Apache-2.0", {}, repo="https://example.org/ab.git")
        self.pkg("c", "MIT", {"README": "not a licence"}, repo="https://example.org/c", authors=["C Dev <c@example.org>"])
        self.pkg("d", "BSD-3-Clause", {}, repo="https://example.org/d")

        files, note = self.resolve("a")
        self.assertEqual([f for f, _ in files], ["LICENSE-MIT", "NOTICE"])  # MIT elected: no Apache text
        self.assertIsNone(note)

        files, note = self.resolve("b")
        self.assertEqual([f for f, _ in files], ["LICENSE-MIT", "NOTICE"])
        self.assertIn("those of a 1.0.0", note)

        files, note = self.resolve("c")
        self.assertEqual([f for f, _ in files], ["standard MIT text (copyright: C Dev)"])
        self.assertTrue(files[0][1].startswith("MIT License\n\nPermission is hereby granted"))
        self.assertNotIn("acm contributors", files[0][1])
        self.assertIn("ships no MIT text", note)

        with self.assertRaisesRegex(LookupError, "ships no text of BSD-3-Clause"):
            self.resolve("d")


if __name__ == "__main__":
    unittest.main()
