#!/usr/bin/env bash
# Builds the release tarball: a gateway that runs on a plain Debian 12 server without Swift.
#
#   bash tools/package.sh [--output DIR]      (default DIR: dist/)
#
# It holds crow-calls and crow-ledger, linked with the static Swift standard library (and Foundation),
# the systemd unit, docs/DEPLOY.md, and DEPENDS: the Debian packages of the shared libraries the two
# binaries ask for (libc, SQLite, libsecp256k1, OpenSSL's libcrypto, libcurl, ...), found with readelf,
# ldd and dpkg.
# The build refuses a binary that would load anything from the Swift toolchain. Prints the tarball's path.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

output=dist
while [ $# -gt 0 ]; do
  case "$1" in
    --output) output="$2"; shift 2 ;;
    *) echo "usage: tools/package.sh [--output DIR]" >&2; exit 64 ;;
  esac
done

bash tools/bootstrap.sh --no-venv >&2

# The one release build (tools/release-build.sh): the static standard library is one of its flags.
bin="$(bash tools/release-build.sh crow-calls crow-ledger)"

version="$(git describe --tags --always --dirty 2>/dev/null || echo unknown)"
name="crow-calls-${version}-linux-$(uname -m)"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/$name/bin"
for tool in crow-calls crow-ledger; do
  install -m 0755 "$bin/$tool" "$stage/$name/bin/$tool"
done
install -m 0644 deploy/crow-calls.service "$stage/$name/crow-calls.service"
install -m 0644 docs/DEPLOY.md "$stage/$name/DEPLOY.md"

# Every shared library must come from a Debian package, none from the toolchain. DEPENDS names the
# packages of the libraries the binaries ask for by name (their NEEDED entries); apt brings the rest.
binaries=("$stage/$name/bin/crow-calls" "$stage/$name/bin/crow-ledger")
if ldd "${binaries[@]}" | grep -E "not found|swift" >&2; then
  echo "package: a binary loads a library that is missing or from the Swift toolchain (above)" >&2
  exit 1
fi
owner_of() {
  local found
  found="$(dpkg -S "$1" 2>/dev/null || dpkg -S "$(readlink -f "$1")" 2>/dev/null || true)"
  [ -n "$found" ] || { echo "package: no Debian package owns $1" >&2; exit 1; }
  echo "${found%%:*}"
}
packages=""
for binary in "${binaries[@]}"; do
  listing="$(ldd "$binary")"
  for soname in $(readelf -d "$binary" | awk '/NEEDED/ { gsub(/[][]/, "", $5); print $5 }'); do
    path="$(awk -v lib="$soname" '$1 == lib && $2 == "=>" { print $3 }' <<< "$listing")"
    case "$soname" in ld-linux*) path="$(awk '/ld-linux/ { print $1 }' <<< "$listing")" ;; esac
    [ -n "$path" ] || { echo "package: $soname of $binary did not resolve" >&2; exit 1; }
    packages+="$(owner_of "$path")"$'\n'
  done
  # The whole closure must belong to Debian packages too (a library from anywhere else fails here).
  for path in $(awk '$2 == "=>" { print $3 }' <<< "$listing"); do owner_of "$path" >/dev/null; done
done
printf '%s' "$packages" | sort -u > "$stage/$name/DEPENDS"

mkdir -p "$output"
tarball="$(cd "$output" && pwd)/$name.tar.gz"
tar -C "$stage" --owner=0 --group=0 -czf "$tarball" "$name"
echo "$tarball"
