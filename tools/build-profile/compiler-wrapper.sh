#!/usr/bin/env bash
# Runs a compiler and appends one line to $CROW_BUILD_PROFILE_LOG: the module (swiftc's -module-name,
# or the directory of a C source), start and end (epoch seconds), then wall, user and system seconds.
# Without CROW_BUILD_PROFILE_LOG it only runs the compiler. Used by tools/build-profile/profile.sh.
real="$1"
shift
[ -z "${CROW_BUILD_PROFILE_LOG:-}" ] && exec "$real" "$@"
name=""
previous=""
for argument in "$@"; do
  [ "$previous" = "-module-name" ] && name="$argument"
  previous="$argument"
done
if [ -z "$name" ]; then
  for argument in "$@"; do
    case "$argument" in *.c | *.cc | *.cpp | *.S) name="C:${argument%/*}"; break ;; esac
  done
fi
[ -z "$name" ] && name="other:$(basename "$real")"
times="$(mktemp)"
start="$(date +%s.%N)"
/usr/bin/time -o "$times" -f "%e %U %S" "$real" "$@"
status=$?
end="$(date +%s.%N)"
echo "$name $start $end $(tail -n 1 "$times")" >> "$CROW_BUILD_PROFILE_LOG"
rm -f "$times"
exit "$status"
