#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# The one test command of acm (README: "Tests"). On a fresh Debian 12 machine,
# as root, it installs what the tests need (idempotently: a no-op when present)
# and runs every test against real servers:
#   - apt packages: redis-server, clickhouse-server, zookeeper, kamailio, sip-tester, clang,
#     chromium + chromium-driver (the dashboard in a real browser)...
#   - a virtualenv with chdb (a current ClickHouse engine) from PyPI
#   - the Kamailio source headers matching the installed binary
#   - licences: cargo deny check licenses (deny.toml), THIRD-PARTY-NOTICES up to date,
#     SPDX headers (scripts/spdx.py --check) and the tests of that script
#   - lint: cargo fmt --check, cargo clippy -D warnings
#   - the Kamailio module (release staticlib linked into acm.so) and its C-side tests
#   - cargo test: unit tests, the header/ABI check (bindgen), HTTP, Redis,
#     ClickHouse (18.16 and a current engine through chdb; a two-shard cluster), Kamailio+SIPp tests
#   - every benchmark (benches/) once at a tiny size, so that none stops running unnoticed
# Tests start their own servers on free loopback ports and stop them after;
# a missing server fails a test loudly, it never skips.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
step() { printf '\n== %s (%ss)\n' "$1" "$SECONDS"; }

step "setup: packages and Kamailio headers"
scripts/setup-test-env.sh

step "licences: dependency licences, third-party notices, SPDX headers"
cargo deny --locked check licenses
scripts/third-party-notices.py --check
python3 -m unittest discover -s scripts -p 'test_*.py'
scripts/spdx.py --check

step "lint: rustfmt and clippy"
cargo fmt --all -- --check
cargo clippy --all-targets --features header-check -- -D warnings

step "kamailio module: build acm.so and run the C-side ABI tests"
make -C kamailio-module
make -C kamailio-module test

step "cargo test (all test targets)"
cargo build --bins
cargo test --features header-check --lib --bins --tests -- --test-threads="${ACM_TEST_THREADS:-2}"

step "benchmarks: every one runs once at a tiny size (quick mode: it proves they run, not their figures)"
# A benchmark binary started without --bench (cargo test, not cargo bench) runs at a tiny
# size (benches/common/mode.rs); the SIPp benchmark runs every variant for 200 calls and
# fails unless every call succeeded.
cargo test --features header-check --bench '*'
CHECK=1 RATE=200 CALLS=200 REPS=1 VARIANTS=all ACM_BIN="${CARGO_TARGET_DIR:-target}/debug/acm" \
  benches/sipp_bench.sh

step "manuals: every command in docs/manuals/*.md, run against real servers"
scripts/manuals.py --acm "${CARGO_TARGET_DIR:-target}/debug/acm" --lib-dir "${CARGO_TARGET_DIR:-target}/release"

step "done"
