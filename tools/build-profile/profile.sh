#!/usr/bin/env bash
# Where a release build of crow-calls spends its time: clones HEAD into a fresh folder, builds it with
# tools/release-build.sh (or with the swift build flags given after --), every compiler run timed
# through compiler-wrapper.sh, and prints the CPU seconds per module, the total, and how many
# compilers ran at once over time (summarize.py).
#
#   bash tools/build-profile/profile.sh [--keep DIR] [-- swift build flags instead of the release ones]
#
# CPU seconds per module hold still on a busy machine; the wall time does not.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
repo="$(pwd)"
keep=""
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) keep="$2"; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "usage: $0 [--keep DIR] [-- swift build flags]" >&2; exit 64 ;;
  esac
done
command -v swift >/dev/null 2>&1 || export PATH=/opt/swift/usr/bin:$PATH
toolchain="$(dirname "$(readlink -f "$(command -v swiftc)")")"
work="${keep:-$(mktemp -d)}"
mkdir -p "$work"
[ -n "$keep" ] || trap 'rm -rf "$work"' EXIT
rm -rf "$work/clone"
git clone -q "$repo" "$work/clone"
for tool in swiftc clang; do
  printf '#!/usr/bin/env bash\nexec "%s" "%s" "$@"\n' "$repo/tools/build-profile/compiler-wrapper.sh" "$toolchain/$tool" > "$work/$tool"
  chmod +x "$work/$tool"
done
log="$work/compilers.log"
rm -f "$log"
# Resolve first (clones from the package mirror), so the build's figure is the compile alone.
(cd "$work/clone" && swift package resolve >/dev/null 2>&1)
started="$(date +%s.%N)"
if [ "${#extra[@]}" -gt 0 ]; then
  what="swift build ${extra[*]} --product crow-calls"
  (cd "$work/clone" && CROW_BUILD_PROFILE_LOG="$log" SWIFT_EXEC="$work/swiftc" CC="$work/clang" swift build "${extra[@]}" --product crow-calls >/dev/null)
else
  what="tools/release-build.sh crow-calls"
  (cd "$work/clone" && CROW_BUILD_PROFILE_LOG="$log" SWIFT_EXEC="$work/swiftc" CC="$work/clang" bash tools/release-build.sh crow-calls >/dev/null 2>&1)
fi
ended="$(date +%s.%N)"
echo "$what: $(python3 -c "print(round($ended - $started))") s wall"
python3 "$repo/tools/build-profile/summarize.py" "$log"
