#!/usr/bin/env bash
# Bootstrap a Crow Calls dev/CI machine (Debian 12, Swift already at /opt/swift).
#   - apt packages: SQLite, secp256k1, OpenSSL headers, pkg-config, Chromium + chromedriver, Firefox ESR, wrk,
#     gdb (the Swift suite's watch prints every thread's stack if the suite ever hangs)
#     and systemd (its systemd-analyze verifies deploy/crow-calls.service in Tests/Deploy)
#   - Python test tools in <repo>/.venv from tools/requirements-test.txt
# Idempotent: a rerun with nothing to do takes about a second.
# Usage: bash tools/bootstrap.sh        (env PYTHON=/path/to/python3 to choose the interpreter)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REQ="$ROOT/tools/requirements-test.txt"
VENV="$ROOT/.venv"
STAMP="$VENV/.requirements-test.sha256"
PY="${PYTHON:-python3}"
START=$SECONDS
WANT_VENV=1
[ "${1:-}" = "--no-venv" ] && WANT_VENV=0

log() { printf '[bootstrap] %s\n' "$*"; }
die() { printf '[bootstrap] ERROR: %s\n' "$*" >&2; exit 1; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || die "not root and no sudo: cannot install apt packages"
  SUDO="sudo"
fi

# --- swift on PATH ---------------------------------------------------------
if ! command -v swift >/dev/null 2>&1; then
  if [ -x /opt/swift/usr/bin/swift ]; then
    export PATH="/opt/swift/usr/bin:$PATH"
    log "swift was not on PATH; for later steps run: export PATH=/opt/swift/usr/bin:\$PATH"
  else
    log "WARNING: swift not found on PATH nor at /opt/swift/usr/bin"
  fi
fi

# --- apt packages ------------------------------------------------------------
# libcurl: the statically linked Foundation's URLSession (FoundationNetworking, which the MCP SDK
# imports) links it; binutils: readelf, for tools/package.sh.
APT_PKGS=(libsqlite3-dev sqlite3 libsecp256k1-dev libssl-dev libcurl4-openssl-dev binutils pkg-config ca-certificates openssl)
# The browsers are for the end-to-end tests (Firefox is driven over Marionette); wrk drives `crow-bench web`.
[ "$WANT_VENV" = 1 ] && APT_PKGS+=(chromium chromium-driver firefox-esr wrk gdb systemd)
# The two-host suite: network namespaces (iproute2, and sysctl from procps), a home router's NAT (nftables), a TURN server (coturn).
[ "$WANT_VENV" = 1 ] && APT_PKGS+=(iproute2 procps nftables coturn)
# Reverse proxies in front of the gateway, run by the two-host suite with the files in deploy/.
[ "$WANT_VENV" = 1 ] && APT_PKGS+=(nginx-light caddy curl)
# The release tarball's test unpacks it into a plain Debian 12 root made by debootstrap.
[ "$WANT_VENV" = 1 ] && APT_PKGS+=(debootstrap)

# python3-venv is only needed when the chosen python has no ensurepip
# (Debian's /usr/bin/python3); pyenv / python.org builds ship it.
if ! command -v "$PY" >/dev/null 2>&1; then
  APT_PKGS+=(python3 python3-venv)
  PY=python3
elif ! "$PY" -c 'import ensurepip, venv' >/dev/null 2>&1; then
  APT_PKGS+=(python3-venv)
fi

missing=()
for p in "${APT_PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing apt packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get -o DPkg::Lock::Timeout=300 update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 \
    install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
log "apt packages ok"

# --- python venv with test tools -----------------------------------------------
if [ "$WANT_VENV" = 0 ]; then
  log "done in $((SECONDS - START))s (no test tools asked for)"
  exit 0
fi
"$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' \
  || die "$PY is $("$PY" -V 2>&1); need Python >= 3.10"
[ -f "$REQ" ] || die "missing $REQ"

want="$( { sha256sum < "$REQ"; "$PY" -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1)"
have="$(cat "$STAMP" 2>/dev/null || true)"
if [ "$want" != "$have" ] || ! "$VENV/bin/python" -c 'pass' >/dev/null 2>&1; then
  log "creating $VENV ($("$PY" -V 2>&1)) and installing tools/requirements-test.txt"
  rm -rf "$VENV"
  "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$REQ"
  echo "$want" > "$STAMP"   # written last: a failed install is retried next run
fi
log "python venv ok ($VENV)"

log "done in $((SECONDS - START))s; hint: export PATH=/opt/swift/usr/bin:\$PATH; activate tools with: . .venv/bin/activate"
