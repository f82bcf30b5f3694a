#!/usr/bin/env bash
# The one release build: builds the given products (default: crow-calls) and prints the folder of the
# binaries. tools/run.sh, tools/package.sh, the benchmarks and tools/build-profile all build this way,
# so they share one .build/release instead of rebuilding it for each other's flags.
#
#   bash tools/release-build.sh [PRODUCT ...]     e.g. bash tools/release-build.sh crow-calls crow-bench
#
# The flags (docs/DECISIONS.md, "Tools"):
# - --static-swift-stdlib: the Swift standard library and Foundation are linked into each binary, so
#   it runs on a server without Swift (the release tarball) and starts without loading them;
# - -debug-info-format none: no DWARF. It was a fifth of the compile's CPU time (docs/BENCHMARKS.md,
#   "Build time"); a crash report still names functions from the symbol table.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v swift >/dev/null 2>&1 || export PATH=/opt/swift/usr/bin:$PATH
flags=(-c release --static-swift-stdlib -debug-info-format none)
[ $# -gt 0 ] || set -- crow-calls
for product in "$@"; do
  swift build "${flags[@]}" --product "$product" >&2
done
swift build "${flags[@]}" --show-bin-path
