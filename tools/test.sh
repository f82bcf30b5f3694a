#!/usr/bin/env bash
# Installs everything (apt packages, the pinned Python test tools), builds, and runs every test suite:
# the Swift tests, the browser suite, then the Nostr interop suite.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash tools/bootstrap.sh
command -v swift >/dev/null 2>&1 || export PATH=/opt/swift/usr/bin:$PATH
swift build --build-tests
swift test --skip-build "$@"
# The browser suite: the built gateway, real headless Chromium, Selenium (Tests/Browser/conftest.py).
# CROW_SKIP_BROWSER=1 leaves it out (say, while iterating on one Swift test with --filter).
if [ "${CROW_SKIP_BROWSER:-0}" != "1" ]; then
  .venv/bin/python -m pytest Tests/Browser -q
fi
# Interop with an independent Nostr implementation (nostr-sdk), through the built crow-testkit.
.venv/bin/python -m pytest Tests/Interop -q
# The benchmark tool's smoke run (`crow-bench all --quick`): every part runs and reports every target.
.venv/bin/python -m pytest Tests/Bench -q
