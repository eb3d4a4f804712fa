#!/usr/bin/env bash
# The one test command of acm (README: "Tests"). On a fresh Debian 12 machine,
# as root, it installs what the tests need (idempotently: a no-op when present)
# and runs every test against real servers:
#   - apt packages: redis-server, clickhouse-server, zookeeper, kamailio, sip-tester, clang...
#   - a virtualenv with chdb (a current ClickHouse engine) from PyPI
#   - the Kamailio source headers matching the installed binary
#   - lint: cargo fmt --check, cargo clippy -D warnings
#   - the Kamailio module (release staticlib linked into acm.so) and its C-side tests
#   - cargo test: unit tests, the header/ABI check (bindgen), HTTP, Redis,
#     ClickHouse (18.16 and a current engine through chdb; a two-shard cluster), Kamailio+SIPp tests
# Tests start their own servers on free loopback ports and stop them after;
# a missing server fails a test loudly, it never skips.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
step() { printf '\n== %s (%ss)\n' "$1" "$SECONDS"; }

step "setup: packages and Kamailio headers"
scripts/setup-test-env.sh

step "lint: rustfmt and clippy"
cargo fmt --all -- --check
cargo clippy --all-targets --features header-check -- -D warnings

step "kamailio module: build acm.so and run the C-side ABI tests"
make -C kamailio-module
make -C kamailio-module test

step "cargo test (all test targets)"
cargo build --bins
cargo test --features header-check --lib --bins --tests -- --test-threads="${ACM_TEST_THREADS:-2}"

step "done"
