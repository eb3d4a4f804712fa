# SPDX-License-Identifier: MIT OR Apache-2.0
"""Unit tests of scripts/manuals.py's parsing and comparison (the runs themselves are
scripts/manuals.py against real servers, in scripts/test.sh)."""

import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import manuals  # noqa: E402


def plan_of(text):
    with tempfile.NamedTemporaryFile("w", suffix=".md", delete=False) as f:
        f.write(text)
    try:
        return manuals.plan(f.name)
    finally:
        os.unlink(f.name)


class PlanTest(unittest.TestCase):
    def test_marked_blocks(self):
        steps = plan_of(
            "# t\n```sh manual-test\necho hi\n```\n\n```text expected\nhi\n```\n"
            "```toml manual-test file=a.toml\nmode = \"monitor\"\n```\n```text\nillustration\n```\n"
        )
        self.assertEqual(steps[0], ("sh", 2, "echo hi\n", "hi\n"))
        self.assertEqual(steps[1][0:3], ("file", 9, "a.toml"))
        self.assertTrue(steps[1][4])
        self.assertEqual(len(steps), 2)

    def test_unmarked_runnable_block_fails(self):
        for info in ("sh", "bash", "", "toml", "python", "console"):
            with self.assertRaises(manuals.ManualError, msg=info):
                plan_of(f"```{info}\nls\n```\n")

    def test_expected_without_command_fails(self):
        with self.assertRaises(manuals.ManualError):
            plan_of("```text\nx\n```\n```text expected\nx\n```\n")

    def test_shipped_file_must_match(self):
        rel = "cfg-examples/acm.service"
        text = manuals.read_text(os.path.join(manuals.REPO, rel))
        self.assertEqual(plan_of(f"```ini manual-file={rel}\n{text}```\n"), [("shown", 1)])
        with self.assertRaises(manuals.ManualError):
            plan_of(f"```ini manual-file={rel}\n[Unit]\n```\n")

    def test_unclosed_fence_fails(self):
        with self.assertRaises(manuals.ManualError):
            plan_of("```sh manual-test\nls\n")


class MatchTest(unittest.TestCase):
    def test_exact_and_ids(self):
        exp = manuals.normalise("alert dc-1a2310c1488-4a9f995d\n")
        self.assertTrue(manuals.matches(exp, manuals.normalise("alert dc-1a2310c1999-00000000\n")))
        self.assertFalse(manuals.matches(exp, manuals.normalise("alert none\n")))

    def test_ellipsis(self):
        exp = ["a", "...", "z"]
        self.assertTrue(manuals.matches(exp, ["a", "z"]))
        self.assertTrue(manuals.matches(exp, ["a", "b", "c", "z"]))
        self.assertFalse(manuals.matches(exp, ["a", "b"]))
        self.assertFalse(manuals.matches(["a"], ["a", "b"]))


if __name__ == "__main__":
    unittest.main()
