#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# Prepare a Debian 12 machine (as root) to run the acm test suite against real servers:
# redis-server/redis-cli, ClickHouse 18.16, ZooKeeper (the two-shard ClickHouse cluster test),
# Kamailio 5.6 + SIPp, Debian's chromium + chromedriver (the dashboard's browser test), the
# native build tools, a current ClickHouse engine (chdb from PyPI in a virtualenv at
# $ACM_TEST_VENV, default /opt/acm-test/venv, which also holds grpcio and grpcio-tools for the
# gRPC interop test), openssl (the gRPC TLS test's certificate), and cargo-deny for the
# dependency licence check.
#
# Idempotent: when everything is installed it only runs dpkg-query and exits in well under
# a second.  `apt-get update` runs only when a package is missing.
#
# Services: the server packages would normally start their own daemons on install
# (redis on 6379, clickhouse on 8123/9000, kamailio on 5060).  Tests start their own server
# processes on free ports, so daemons are blocked during the install with a policy-rc.d that
# returns 101, and anything that started anyway is stopped afterwards.
#
# Environment:
#   ACM_SETUP_SKIP_FETCH=1   do not run kamailio-module/fetch-kamailio-src.sh
set -euo pipefail

PACKAGES=(
  redis-server redis-tools
  clickhouse-server clickhouse-client
  kamailio kamailio-utils-modules
  sip-tester            # provides /usr/bin/sipp (there is no "sipp" package)
  dpkg-dev pkg-config libssl-dev libclang-dev clang
  curl ca-certificates build-essential
  zookeeper             # distributed DDL (ON CLUSTER) and replication for the cluster test
  python3-venv python3-pip   # the virtualenv that holds chdb
  openssl               # a self-signed certificate for the gRPC TLS test
  chromium chromium-driver   # the dashboard's browser test (tests/dashboard.rs, WebDriver)
  jq                    # the manuals' examples (scripts/manuals.py runs them)
  systemd               # systemd-analyze verify: the shipped unit cfg-examples/acm.service
  prometheus            # promtool: checks cfg-examples/prometheus-rules.yml (docs/manuals/ADMIN.md)
)
# PyPI packages of the current-engine tests (tests/support/chdb_http.py): chdb is ClickHouse
# 26.x in-process; lz4 and clickhouse-cityhash read ClickHouse's compressed INSERT bodies.
PIP_PACKAGES=(chdb==4.4.0 lz4==4.4.5 clickhouse-cityhash==1.0.2.6)
VENV="${ACM_TEST_VENV:-/opt/acm-test/venv}"
# Services that the packages above may register; stopped/disabled after a fresh install.
SERVICES=(redis-server clickhouse-server kamailio zookeeper prometheus)

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
start_ts=$(date +%s.%N)

log() { printf 'setup-test-env: %s\n' "$*" >&2; }

if [[ $(id -u) -ne 0 ]]; then
  SUDO=sudo
  command -v sudo >/dev/null || { log "must run as root (or have sudo)"; exit 1; }
else
  SUDO=
fi

is_installed() {
  [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" == installed ]]
}

missing=()
present=()
for p in "${PACKAGES[@]}"; do
  if is_installed "$p"; then present+=("$p"); else missing+=("$p"); fi
done

policy=/usr/sbin/policy-rc.d
policy_backup=""
restore_policy() {
  if [[ -n "$policy_backup" ]]; then
    $SUDO mv -f "$policy_backup" "$policy"
  else
    $SUDO rm -f "$policy"
  fi
}

if ((${#missing[@]})); then
  log "installing: ${missing[*]}"
  # Block service start-up during the install; keep and restore an existing policy-rc.d.
  if [[ -e "$policy" ]]; then
    policy_backup="$(mktemp /usr/sbin/policy-rc.d.acm-backup.XXXXXX)"
    $SUDO cp -p "$policy" "$policy_backup"
  fi
  trap restore_policy EXIT
  printf '#!/bin/sh\n# temporary, written by acm scripts/setup-test-env.sh\nexit 101\n' |
    $SUDO tee "$policy" >/dev/null
  $SUDO chmod 755 "$policy"

  export DEBIAN_FRONTEND=noninteractive
  # Another process may hold the dpkg lock (e.g. a concurrent setup): wait for it instead of failing.
  # DPkg::Lock::Timeout covers the dpkg lock only; `apt-get update` fails at once on the lists
  # lock, so retry on any lock error for up to 10 minutes.
  apt_opts=(-o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
  apt_retry() {
    local deadline=$((SECONDS + 600)) err rc
    err="$(mktemp)"
    while :; do
      rc=0
      $SUDO apt-get "${apt_opts[@]}" "$@" >/dev/null 2>"$err" || rc=$?
      if ((rc == 0)); then rm -f "$err"; return 0; fi
      if grep -q 'Could not get lock' "$err" && ((SECONDS < deadline)); then
        log "apt is locked by another process, waiting..."
        sleep 2
        continue
      fi
      cat "$err" >&2
      rm -f "$err"
      return "$rc"
    done
  }
  apt_retry update -qq
  apt_retry install -y -qq --no-install-recommends "${missing[@]}"

  restore_policy
  trap - EXIT

  # Belt and braces: stop and disable any daemon that started anyway (e.g. systemd hosts),
  # so the default ports 6379/8123/9000/5060 are not taken behind the tests' back.
  for s in "${SERVICES[@]}"; do
    if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null; then
      $SUDO systemctl disable --now "$s" >/dev/null 2>&1 || true
    elif [[ -x /etc/init.d/$s ]]; then
      $SUDO /etc/init.d/"$s" stop >/dev/null 2>&1 || true
    fi
  done
fi

# Sanity: every binary the test harness runs must now be on PATH.
for bin in redis-server redis-cli clickhouse-server clickhouse-client kamailio sipp clang pkg-config curl cc jq promtool systemd-analyze; do
  PATH="$PATH:/usr/sbin:/sbin" command -v "$bin" >/dev/null || { log "ERROR: '$bin' not found after install"; exit 1; }
done

# cargo-deny: the dependency licence check of scripts/test.sh (deny.toml; README, "Licence").
# Built from its crates.io source with this machine's toolchain, pinned so that deny.toml's
# format and the check's verdicts do not move under us (2 min 24 s on the 2-core machine).
CARGO_DENY_VERSION=0.20.2
deny_msg="cargo-deny $CARGO_DENY_VERSION: present"
if [[ "$(cargo deny --version 2>/dev/null || true)" != "cargo-deny $CARGO_DENY_VERSION" ]]; then
  log "installing cargo-deny $CARGO_DENY_VERSION (cargo install --locked)"
  cargo install --locked --quiet "cargo-deny@$CARGO_DENY_VERSION"
  deny_msg="cargo-deny $CARGO_DENY_VERSION: installed"
fi

# The current ClickHouse engine: a no-op when the venv already imports every package.
venv_msg="chdb venv: present"
if ! "$VENV/bin/python3" -c 'import chdb, lz4.block, clickhouse_cityhash.cityhash' 2>/dev/null; then
  log "creating $VENV with ${PIP_PACKAGES[*]}"
  $SUDO mkdir -p "$(dirname "$VENV")"
  $SUDO /usr/bin/python3 -m venv "$VENV"
  $SUDO "$VENV/bin/pip" install --quiet --disable-pip-version-check "${PIP_PACKAGES[@]}"
  "$VENV/bin/python3" -c 'import chdb, lz4.block, clickhouse_cityhash.cityhash' || { log "ERROR: chdb venv unusable"; exit 1; }
  venv_msg="chdb venv: created"
fi

# The gRPC interop test (tests/grpc.rs): a Python client generated from proto/acm/v1/acm.proto
# in the test by grpcio-tools, run on grpcio. Same venv; a no-op when both import.
GRPC_PIP_PACKAGES=(grpcio==1.85.1 grpcio-tools==1.85.1)
if ! "$VENV/bin/python3" -c 'import grpc, grpc_tools.protoc' 2>/dev/null; then
  log "installing ${GRPC_PIP_PACKAGES[*]} into $VENV"
  $SUDO "$VENV/bin/pip" install --quiet --disable-pip-version-check "${GRPC_PIP_PACKAGES[@]}"
  "$VENV/bin/python3" -c 'import grpc, grpc_tools.protoc' || { log "ERROR: grpcio unusable in $VENV"; exit 1; }
  venv_msg="$venv_msg; grpcio: installed"
fi

fetch="$REPO_ROOT/kamailio-module/fetch-kamailio-src.sh"
fetch_msg="fetch-kamailio-src.sh: absent"
if [[ "${ACM_SETUP_SKIP_FETCH:-0}" == 1 ]]; then
  fetch_msg="fetch-kamailio-src.sh: skipped (ACM_SETUP_SKIP_FETCH=1)"
elif [[ -x "$fetch" ]]; then
  log "running $fetch"
  "$fetch"
  fetch_msg="fetch-kamailio-src.sh: ran"
elif [[ -e "$fetch" ]]; then
  fetch_msg="fetch-kamailio-src.sh: present but not executable, not run"
fi

elapsed=$(awk -v s="$start_ts" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
printf 'setup-test-env: installed %d (%s), already present %d; %s; %s; %ss\n' \
  "${#missing[@]}" "${missing[*]:-none}" "${#present[@]}" "$deny_msg; $venv_msg" "$fetch_msg" "$elapsed"
