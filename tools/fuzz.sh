#!/usr/bin/env bash
# The long run of the Nostr input fuzzers (the short run is part of `bash tools/test.sh`).
#   bash tools/fuzz.sh [cases per seed] [seconds]
# Runs the pure receive rules and the relay-message reader on CASES cases for each of the four fixed
# seeds and for one seed drawn now (printed, so a failure can be replayed with CROW_FUZZ_SEED), then
# sends CASES/10 fuzzed frames to a live gateway's /nostr inbox. CROW_FUZZ_TRACE=1 prints each case
# before it runs, so the last line before a trap names it. Stops a run after SECONDS (default 1800).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v swift >/dev/null 2>&1 || export PATH=/opt/swift/usr/bin:$PATH
cases="${1:-50000}"
seconds="${2:-1800}"
seed="${CROW_FUZZ_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}"
echo "fuzz: $cases cases per seed, seed $seed, at most $seconds s a run"
swift build --build-tests
CROW_FUZZ_CASES="$cases" CROW_FUZZ_SECONDS="$seconds" swift test --skip-build --filter IntakeFuzzTests
CROW_FUZZ_CASES="$cases" CROW_FUZZ_SECONDS="$seconds" CROW_FUZZ_SEED="$seed" swift test --skip-build --filter IntakeFuzzTests
CROW_FUZZ_FRAMES="$((cases / 10))" CROW_FUZZ_SEED="$seed" swift test --skip-build --filter NostrInboxFuzzTests
