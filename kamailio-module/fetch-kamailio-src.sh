#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# fetch-kamailio-src.sh — get the Kamailio source tree that matches the
# installed `kamailio` package and configure it the way Debian built it, so
# that kamailio-module/ can be compiled against the right headers.
#
# Debian ships no kamailio-dev package: headers come from the source package.
#
#   Tree location: $KAMAILIO_SRC_DIR, default /var/cache/acm/kamailio-src
#                  (outside the repository so that every clone on the machine,
#                  CI's fresh ones included, reuses it). The configured tree is
#                  $KAMAILIO_SRC_DIR/kamailio-<upstream version>; the file
#                  $KAMAILIO_SRC_DIR/current holds its path.
#
# Idempotent: when the tree for the installed version is already configured
# it prints its path and exits in milliseconds. Needs root for apt (it runs
# apt only when something is missing). Assumes the kamailio package is
# installed (scripts/setup-test-env.sh installs it, then calls this script).
#
# Prints the path of the configured tree on its last line of stdout.
set -euo pipefail

SRC_ROOT="${KAMAILIO_SRC_DIR:-/var/cache/acm/kamailio-src}"
SOURCES_FILE=/etc/apt/sources.list.d/acm-debian-src.sources

log() { echo "fetch-kamailio-src: $*" >&2; }
die() { log "error: $*"; exit 1; }

command -v kamailio >/dev/null 2>&1 || [ -x /usr/sbin/kamailio ] \
    || die "the kamailio package is not installed (apt-get install kamailio)"
PKG_VERSION="$(dpkg-query -W -f='${Version}' kamailio 2>/dev/null)" \
    || die "dpkg does not know the kamailio package"
[ -n "$PKG_VERSION" ] || die "kamailio package version is empty"
# 5.6.3-2 -> 5.6.3 ; 1:5.6.3-2 -> 5.6.3
UPSTREAM="${PKG_VERSION#*:}"
UPSTREAM="${UPSTREAM%-*}"
TREE="$SRC_ROOT/kamailio-$UPSTREAM"
STAMP="$TREE/.acm-configured-$PKG_VERSION"

# Fast path: already fetched and configured for this exact package version.
if [ -f "$STAMP" ] && [ -f "$TREE/src/Makefile.defs" ]; then
    echo "$TREE"
    exit 0
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "needs root (apt-get) and sudo is missing"
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive

# 1. A deb-src source mirroring the existing binary sources (deb822 format).
if ! grep -qs '^Types:.*deb-src' /etc/apt/sources.list.d/*.sources 2>/dev/null \
   && ! grep -qs '^deb-src ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null; then
    BIN_SOURCES=/etc/apt/sources.list.d/debian.sources
    field() { sed -n "s/^$1:[[:space:]]*//p" "$BIN_SOURCES" 2>/dev/null || true; }
    SIGNED_BY="$(field Signed-By | head -n1)"
    SIGNED_BY="${SIGNED_BY:-/usr/share/keyrings/debian-archive-keyring.gpg}"
    MIRROR="$(field URIs | grep -v security | head -n1)"
    MIRROR="${MIRROR:-http://deb.debian.org/debian}"
    SEC_MIRROR="$(field URIs | grep security | head -n1)"
    SEC_MIRROR="${SEC_MIRROR:-http://deb.debian.org/debian-security}"
    log "adding deb-src source $SOURCES_FILE"
    $SUDO tee "$SOURCES_FILE" >/dev/null <<EOF
# Added by acm kamailio-module/fetch-kamailio-src.sh: source packages, used
# only to get the Kamailio headers matching the installed binary.
Types: deb-src
URIs: $MIRROR
Suites: bookworm bookworm-updates
Components: main
Signed-By: $SIGNED_BY

Types: deb-src
URIs: $SEC_MIRROR
Suites: bookworm-security
Components: main
Signed-By: $SIGNED_BY
EOF
    NEED_UPDATE=1
fi

# Whether the deb-src indexes know the installed version. The output is read
# whole before grep looks at it: `apt-cache ... | grep -q` under pipefail fails
# at random when grep exits before apt-cache has written everything (SIGPIPE).
src_known() {
    local srcs
    srcs="$(apt-cache showsrc kamailio 2>/dev/null || true)"
    grep -q "^Version: $PKG_VERSION\$" <<<"$srcs"
}

# apt-get update only when the source index for kamailio is not known yet.
if [ -n "${NEED_UPDATE:-}" ] || ! src_known; then
    log "apt-get update"
    $SUDO apt-get update -qq
fi
src_known || die "source package kamailio=$PKG_VERSION not found in the deb-src indexes"

# 2. dpkg-dev (dpkg-source) for apt-get source; make and gcc for configuring.
MISSING=""
for p in dpkg-dev make gcc pkg-config libssl-dev; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || MISSING="$MISSING $p"
done
if [ -n "$MISSING" ]; then
    log "apt-get install$MISSING"
    $SUDO apt-get install -y -qq $MISSING >/dev/null
fi

# 3. The source itself.
$SUDO mkdir -p "$SRC_ROOT"
if [ ! -f "$TREE/src/Makefile.defs" ]; then
    log "apt-get source kamailio=$PKG_VERSION into $SRC_ROOT"
    rm -rf "$TREE"
    (cd "$SRC_ROOT" && $SUDO apt-get source -qq kamailio="$PKG_VERSION" >/dev/null)
    [ -f "$TREE/src/Makefile.defs" ] || die "apt-get source did not produce $TREE/src/Makefile.defs"
fi

# 4. Configure it as Debian did. LIBSSL_SET_MUTEX_SHARED=1 matters: without it
#    the TLS_PTHREAD_MUTEX_SHARED flag drops out of module_flags and Kamailio
#    refuses the module ("module compile flags mismatch").
log "configuring $TREE"
$SUDO make -s -C "$TREE" cfg prefix=/usr cfg_target=/etc/kamailio/ \
    FLAVOUR=kamailio LIBSSL_SET_MUTEX_SHARED=1 group_include=kstandard >/dev/null
$SUDO touch "$STAMP"
echo "$TREE" | $SUDO tee "$SRC_ROOT/current" >/dev/null
echo "$TREE"
