#!/usr/bin/env bash
# Runs `swift test --skip-build "$@"` and watches it. A run whose output stops growing for
# CROW_TEST_STALL_SECONDS (default 300; the whole suite takes about a minute) is a hang, not a slow
# machine: every test waits on a deadline far shorter than that. The watch then prints what the run
# was doing (the tests started and not finished, every thread's stack when gdb is installed, the
# test process's sockets), stops it, and exits with 124, so a hang fails in minutes with the evidence
# instead of holding CI until its own limit.
set -uo pipefail
stall_limit="${CROW_TEST_STALL_SECONDS:-300}"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

swift test --skip-build "$@" > >(tee "$log") 2>&1 &
test_pid=$!

diagnose() {
  echo
  echo "=== swift-test-watch: no output for ${stall_limit}s; the Swift suite hangs ==="
  echo "--- tests started and not finished:"
  grep -o '◇ Test [^ ]*(' "$log" | sed 's/◇ Test //' | sort -u > "$log.started"
  grep -oE '[✔✘] Test [^ ]*\(' "$log" | sed -E 's/^. Test //' | sort -u > "$log.done"
  comm -23 "$log.started" "$log.done"
  rm -f "$log.started" "$log.done"
  for pid in $(pgrep -f 'PackageTests.xctest' || true); do
    echo "--- sockets of $pid:"
    ss -tanpe 2>/dev/null | grep "pid=$pid," || true
    if command -v gdb >/dev/null 2>&1; then
      echo "--- threads of $pid:"
      gdb -p "$pid" -batch -ex "thread apply all bt 30" 2>/dev/null | grep -E '^(Thread|#[0-9]+ )' | cut -c1-220
    fi
  done
  echo "=== end of swift-test-watch diagnosis ==="
}

last_size=-1
quiet=0
while kill -0 "$test_pid" 2>/dev/null; do
  sleep 5
  size=$(stat -c %s "$log" 2>/dev/null || echo 0)
  if [ "$size" = "$last_size" ]; then quiet=$((quiet + 5)); else quiet=0; fi
  last_size=$size
  if [ "$quiet" -ge "$stall_limit" ]; then
    diagnose
    pkill -KILL -f 'PackageTests.xctest' 2>/dev/null || true
    kill -KILL "$test_pid" 2>/dev/null || true
    wait "$test_pid" 2>/dev/null
    exit 124
  fi
done
wait "$test_pid"
