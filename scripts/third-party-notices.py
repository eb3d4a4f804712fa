#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR Apache-2.0
"""THIRD-PARTY-NOTICES: the crates compiled into acm's binaries, their licences and the licence
texts they ship, for anyone who distributes a binary (README, "Licence").

    scripts/third-party-notices.py            rewrite THIRD-PARTY-NOTICES from Cargo.lock
    scripts/third-party-notices.py --check    exit 1 if it is not what Cargo.lock gives

The crates: the acm crate's normal dependencies (all features; dev- and build-dependencies are
not in a binary) for each target in deny.toml's [graph] targets, from `cargo metadata`.
For each crate the licence it is used under is elected from its expression: among the choices
deny.toml accepts, a GPLv2-compatible one first (so MIT, not Apache-2.0, from
"MIT OR Apache-2.0"), then the others in deny.toml's order. The texts are the crate's own
licence files (LICENSE*, LICENCE*, COPYING*, NOTICE*, UNLICENSE*, ...) that match the elected
licences; a crate that ships none borrows them from a crate of the same repository in the
graph, or gets the standard MIT or Apache-2.0 text with its authors named; failing that the
script stops and says which crate needs a look. Identical texts are
written once and referred to by a short hash.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "THIRD-PARTY-NOTICES"

# Licences the FSF lists as compatible with GPL version 2 (and so with every later version), in
# the order they are preferred when a crate offers a choice. Apache-2.0 is not among them: the
# FSF holds it compatible with GPLv3 only (README, "Licence").
GPLV2_COMPATIBLE = [
    "MIT", "BSD-3-Clause", "BSD-2-Clause", "ISC", "Zlib", "BSL-1.0",
    "Unicode-3.0", "Unicode-DFS-2016", "0BSD", "Unlicense", "CC0-1.0",
]

# What a licence file's text says, to tell which licence it carries.
MARKERS = {
    "MIT": [r"Permission is hereby granted,?\s+free of charge"],
    "Apache-2.0": [r"Apache License", r"Version 2\.0"],
    "BSD-3-Clause": [r"Redistribution and use in source and binary forms", r"be\s+used\s+to\s+endorse\s+or\s+promote"],
    "BSD-2-Clause": [r"Redistribution and use in source and binary forms"],
    "ISC": [r"Permission to use, copy, modify, and(/or)? distribute this software for any\s+purpose"],
    "0BSD": [r"Permission to use, copy, modify, and(/or)? distribute this software for any\s+purpose"],
    "Zlib": [r"provided ['‘]as-is['’], without any express or implied\s+warranty"],
    "BSL-1.0": [r"Boost Software License"],
    "Unicode-3.0": [r"UNICODE LICENSE V3|UNICODE,? INC\.? LICENSE AGREEMENT"],
    "Unicode-DFS-2016": [r"UNICODE,? INC\.? LICENSE AGREEMENT"],
    "Unlicense": [r"This is free and unencumbered software released into the public domain"],
    "CC0-1.0": [r"CC0 1\.0 Universal"],
}
LICENCE_FILE = re.compile(r"(?i)^(licen[cs]e|copying|copyright|notice|unlicense)([-._ ].*)?$")
LICENCE_DIRS = ("LICENSES", "licenses", "license", "LICENSE")


# ---------------------------------------------------------------- SPDX expressions

def tokens(expr: str) -> list[str]:
    # Old crates write "MIT/Apache-2.0" for "MIT OR Apache-2.0".
    return re.findall(r"\(|\)|[^\s()]+", expr.replace("/", " OR "))


def parse(expr: str):
    """An expression as nested tuples: ("OR", a, b, ...), ("AND", ...), or a licence id
    (with " WITH exception" kept in the id)."""
    toks = tokens(expr)
    pos = 0

    def peek():
        return toks[pos] if pos < len(toks) else None

    def take():
        nonlocal pos
        if pos >= len(toks):
            raise ValueError(f"licence expression {expr!r} ends too early")
        pos += 1
        return toks[pos - 1]

    def factor():
        if peek() == "(":
            take()
            e = disjunction()
            if take() != ")":
                raise ValueError(f"unbalanced parentheses in {expr!r}")
            return e
        ident = take()
        if peek() == "WITH":
            take()
            ident = f"{ident} WITH {take()}"
        return ident

    def conjunction():
        parts = [factor()]
        while peek() == "AND":
            take()
            parts.append(factor())
        return parts[0] if len(parts) == 1 else ("AND", *parts)

    def disjunction():
        parts = [conjunction()]
        while peek() == "OR":
            take()
            parts.append(conjunction())
        return parts[0] if len(parts) == 1 else ("OR", *parts)

    e = disjunction()
    if pos != len(toks):
        raise ValueError(f"cannot read licence expression {expr!r}")
    return e


def elect(expr, accepted: list[str]) -> frozenset[str] | None:
    """The set of licences to use the crate under, or None when no choice is accepted."""
    if isinstance(expr, str):
        return frozenset([expr]) if expr in accepted else None
    op, *parts = expr
    options = [elect(p, accepted) for p in parts]
    if op == "AND":
        return None if None in options else frozenset().union(*options)
    options = [o for o in options if o is not None]
    if not options:
        return None

    def cost(choice):
        not_v2 = sum(1 for lic in choice if lic not in GPLV2_COMPATIBLE)
        rank = max(GPLV2_COMPATIBLE.index(lic) if lic in GPLV2_COMPATIBLE
                   else len(GPLV2_COMPATIBLE) + accepted.index(lic) for lic in choice)
        return (not_v2, rank, len(choice))

    return min(options, key=cost)


# ---------------------------------------------------------------- crates and their files

def cargo_metadata(target: str) -> dict:
    out = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--locked", "--all-features",
         "--filter-platform", target, "--manifest-path", str(ROOT / "Cargo.toml")],
        check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(out)


def shipped_crates(targets: list[str]) -> tuple[dict, list[dict]]:
    """The root package and the packages reachable from it through normal dependencies."""
    packages: dict[str, dict] = {}
    root_pkg = None
    for target in targets:
        meta = cargo_metadata(target)
        by_id = {p["id"]: p for p in meta["packages"]}
        nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
        root = meta["resolve"]["root"]
        root_pkg = by_id[root]
        todo, seen = [root], {root}
        while todo:
            for dep in nodes[todo.pop()]["deps"]:
                if any(k["kind"] is None for k in dep["dep_kinds"]) and dep["pkg"] not in seen:
                    seen.add(dep["pkg"])
                    todo.append(dep["pkg"])
        for pid in seen - {root}:
            p = by_id[pid]
            packages[(p["name"], p["version"])] = p
    return root_pkg, [packages[k] for k in sorted(packages)]


def licence_files(pkg: dict) -> list[Path]:
    d = Path(pkg["manifest_path"]).parent
    found = set()
    for entry in sorted(os.listdir(d)):
        path = d / entry
        if path.is_file() and LICENCE_FILE.match(entry):
            found.add(path)
        elif path.is_dir() and entry in LICENCE_DIRS:
            found.update(p for p in path.iterdir() if p.is_file())
    if pkg.get("license_file"):
        lf = (d / pkg["license_file"]).resolve()
        if lf.is_file():
            found.add(lf)
    return sorted(found, key=lambda p: p.relative_to(d).as_posix() if p.is_relative_to(d) else p.name)


def read_text(path: Path) -> str:
    text = path.read_bytes().decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.strip("\n").split("\n")) + "\n"


def identify(text: str) -> set[str]:
    # A text written as comments (untrusted's LICENSE.txt: "// Permission to use, ...") reads
    # without the markers.
    text = re.sub(r"(?m)^[ \t]*(?://+|#+|\*+)[ \t]?", "", text)
    text = re.sub(r"\s+", " ", text)
    ids = {lic for lic, pats in MARKERS.items() if all(re.search(p, text, re.I) for p in pats)}
    if "BSD-3-Clause" in ids:
        ids.discard("BSD-2-Clause")
    if "ISC" in ids:  # 0BSD is ISC without the condition to keep the notice
        ids.discard("ISC" if not re.search(r"provided that the above\s+copyright notice", text, re.I) else "0BSD")
    if ids & {"Unicode-3.0", "Unicode-DFS-2016"} and len(re.findall(MARKERS["MIT"][0], text, re.I)) == 1:
        ids.discard("MIT")  # the Unicode agreement grants its permission in MIT's words
    if "Unicode-3.0" in ids:
        ids.discard("Unicode-DFS-2016" if re.search(r"UNICODE LICENSE V3", text, re.I) else "Unicode-3.0")
    return ids


def texts_for(pkg: dict, elected: frozenset[str]) -> list[tuple[str, str]]:
    """(file name, text) of the crate's licence files that carry an elected licence, plus its
    NOTICE and third-party files and any licence file whose licence cannot be told (a pointer,
    a custom text)."""
    d = Path(pkg["manifest_path"]).parent
    out = []
    for path in licence_files(pkg):
        text = read_text(path)
        ids = identify(text)
        name = path.relative_to(d).as_posix() if path.is_relative_to(d) else path.name
        always = re.search(r"NOTICE|THIRD", path.name.upper())  # Apache-2.0 4(d); code of others
        if always or not ids or ids & elected:
            out.append((name, text))
    return out


def covered(files: list[tuple[str, str]], elected: frozenset[str]) -> set[str]:
    """The elected licences that `files` give a text for."""
    got = set()
    for _, text in files:
        got |= identify(text)
    # A Unicode agreement reads the same to the markers whichever version it is.
    if {"Unicode-DFS-2016", "Unicode-3.0"} & got:
        got |= {"Unicode-DFS-2016", "Unicode-3.0"}
    if "ISC" in got or "0BSD" in got:
        got |= {"ISC", "0BSD"}
    return {lic.split(" WITH ")[0] for lic in elected} & got


def standard_texts() -> dict[str, str]:
    """The standard texts of the licences acm itself uses, from its own licence files: what a
    crate that ships no text of its own is given (with its authors named)."""
    mit = read_text(ROOT / "LICENSE-MIT").split("\n")
    start = next(i for i, line in enumerate(mit) if line.startswith("Permission is hereby granted"))
    return {"MIT": "\n".join(["MIT License", ""] + mit[start:]), "Apache-2.0": read_text(ROOT / "LICENSE-APACHE")}


def resolve_texts(pkg, chosen, own, elections, by_repo) -> tuple[list[tuple[str, str]], str | None]:
    """The texts to print for `pkg` and, when they are not the package's own, where they come
    from: a crate of the same repository in the graph, else the licence's standard text.
    LookupError when none of these has them."""
    key = (pkg["name"], pkg["version"])
    files = own[key]
    base = {lic.split(" WITH ")[0] for lic in chosen}
    if covered(files, chosen) == base:
        return files, None
    repo = (pkg.get("repository") or "").rstrip("/").removesuffix(".git")
    for sib in by_repo.get(repo, []) if repo else []:
        skey = (sib["name"], sib["version"])
        if sib is not pkg and elections.get(skey) == chosen and covered(own.get(skey, []), chosen) == base:
            return own[skey], f"none in the package; those of {sib['name']} {sib['version']}, same repository:"
    missing = sorted(base - covered(files, chosen))
    standard = standard_texts()
    if all(lic in standard for lic in missing):
        authors = ", ".join(re.sub(r"\s*<[^>]*>", "", a) for a in pkg.get("authors") or []) or "its authors"
        extra = [(f"standard {lic} text (copyright: {authors})", standard[lic]) for lic in missing]
        return files + extra, f"the package ships no {', '.join(missing)} text; the standard one follows:"
    raise LookupError(f"ships no text of {', '.join(missing)}, no crate of the same repository in the "
                      f"graph does, and this script has no standard text of it: add one to "
                      f"standard_texts() or ask the crate to ship its licence")


# ---------------------------------------------------------------- the file

def build(accepted: list[str], targets: list[str]) -> str:
    root, crates = shipped_crates(targets)
    problems = []
    rows = []  # (pkg, expression, elected, [(file, hash)], borrowed_from)
    texts: dict[str, tuple[str, set[str]]] = {}
    own: dict[tuple[str, str], list[tuple[str, str]]] = {}
    elections = {}
    for pkg in crates:
        expr = pkg.get("license")
        if not expr:
            problems.append(f"{pkg['name']} {pkg['version']}: no `license` field in its Cargo.toml")
            continue
        chosen = elect(parse(expr), accepted)
        if chosen is None:
            problems.append(f"{pkg['name']} {pkg['version']}: {expr!r} has no choice deny.toml accepts")
            continue
        elections[(pkg["name"], pkg["version"])] = chosen
        own[(pkg["name"], pkg["version"])] = texts_for(pkg, chosen)

    by_repo: dict[str, list[dict]] = {}
    for pkg in crates:
        if pkg.get("repository"):
            by_repo.setdefault(pkg["repository"].rstrip("/").removesuffix(".git"), []).append(pkg)

    for pkg in crates:
        key = (pkg["name"], pkg["version"])
        if key not in elections:
            continue
        chosen = elections[key]
        try:
            files, borrowed = resolve_texts(pkg, chosen, own, elections, by_repo)
        except LookupError as e:
            problems.append(f"{pkg['name']} {pkg['version']}: {e}")
            continue
        refs = []
        for name, text in files:
            h = hashlib.sha256(text.encode()).hexdigest()[:12]
            texts.setdefault(h, (text, set()))[1].update(identify(text))
            refs.append((name, h))
        rows.append((pkg, pkg["license"], chosen, refs, borrowed))

    if problems:
        raise SystemExit("third-party-notices: cannot write the notices:\n  " + "\n  ".join(problems))

    not_v2 = [(p, e, c) for p, e, c, _, _ in rows if any(lic not in GPLV2_COMPATIBLE for lic in c)]
    used = sorted({lic for _, _, c, _, _ in rows for lic in c},
                  key=lambda lic: (GPLV2_COMPATIBLE + accepted).index(lic))
    w = []
    w.append(f"THIRD-PARTY NOTICES for {root['name']} {root['version']}")
    w.append("")
    w.append("Generated by scripts/third-party-notices.py from Cargo.lock: do not edit by hand.")
    w.append("scripts/test.sh fails when this file is not what Cargo.lock gives; run the script to update it.")
    w.append("")
    w.append(f"acm itself is licensed under {root['license']} (LICENSE-MIT, LICENSE-APACHE); the Kamailio")
    w.append("module's C code under GPL-2.0-or-later (kamailio-module/LICENSE). README.md, \"Licence\", says how")
    w.append("they combine in a distributed acm.so.")
    w.append("")
    w.append("This file lists the crates compiled into acm's binaries (the `acm` command, libacm.a and")
    w.append("libacm.so, and the Kamailio module acm.so, which links libacm.a): the acm crate's normal")
    w.append(f"dependencies with all features, on {', '.join(targets)}. Proc-macro crates")
    w.append("run at build time and are listed because the code they generate is compiled in.")
    w.append("Each crate: its licence as published, the licence(s) acm's binaries use it under (from a choice")
    w.append("such as \"MIT OR Apache-2.0\", a GPLv2-compatible one), and the licence texts it ships, written")
    w.append("once each under \"Texts\" at the end and referred to by a short hash.")
    w.append("")
    w.append("Not listed here, also in every binary: the Rust standard library (MIT OR Apache-2.0, with parts")
    w.append("under Unicode-3.0 and BSD-2-Clause); its notices are share/doc/rust/COPYRIGHT-library.html in")
    w.append("the Rust toolchain that built the binary. System libraries (glibc, libgcc_s) are linked")
    w.append("dynamically and are not part of the binary.")
    w.append("")
    w.append(f"Licences used: {', '.join(used)}.")
    w.append("")
    w.append("Crates with no GPLv2-compatible choice (so a distributed acm.so is conveyed under GPLv3;")
    w.append("README.md, \"Licence\"):")
    for p, e, c in not_v2:
        w.append(f"  {p['name']} {p['version']}: {e}")
    if not not_v2:
        w.append("  (none)")
    w.append("")
    w.append(f"== Crates ({len(rows)})")
    for pkg, expr, chosen, refs, borrowed in rows:
        w.append("")
        kind = " (proc-macro)" if any("proc-macro" in t["kind"] for t in pkg["targets"]) else ""
        w.append(f"{pkg['name']} {pkg['version']}{kind}")
        w.append(f"  licence:    {expr}")
        w.append(f"  used under: {' AND '.join(sorted(chosen))}")
        if pkg.get("repository"):
            w.append(f"  repository: {pkg['repository']}")
        if borrowed:
            w.append(f"  texts:      {borrowed}")
        for name, h in refs:
            w.append(f"  text {h}  {name}")
    w.append("")
    w.append(f"== Texts ({len(texts)})")
    for h in sorted(texts):
        text, ids = texts[h]
        w.append("")
        w.append(f"---- text {h} ({', '.join(sorted(ids)) or 'unidentified'})")
        w.append("")
        w.append(text.rstrip("\n"))
    return "\n".join(w) + "\n"


def deny_config() -> tuple[list[str], list[str]]:
    cfg = tomllib.loads((ROOT / "deny.toml").read_text())
    return cfg["licenses"]["allow"], cfg["graph"]["targets"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if THIRD-PARTY-NOTICES is out of date")
    args = ap.parse_args(argv)
    accepted, targets = deny_config()
    text = build(accepted, targets)
    current = OUT.read_text() if OUT.exists() else ""
    if args.check:
        if current == text:
            print(f"third-party-notices: {OUT.name} is up to date")
            return 0
        diff = list(difflib.unified_diff(current.splitlines(), text.splitlines(),
                                         OUT.name, "from Cargo.lock", lineterm="", n=1))
        print("\n".join(diff[:60]), file=sys.stderr)
        print(f"third-party-notices: {OUT.name} is out of date ({len(diff)} diff lines): "
              "run scripts/third-party-notices.py and commit the result", file=sys.stderr)
        return 1
    if current != text:
        OUT.write_text(text)
        print(f"third-party-notices: wrote {OUT.name}")
    else:
        print(f"third-party-notices: {OUT.name} unchanged")
    return 0


if __name__ == "__main__":
    sys.exit(main())
