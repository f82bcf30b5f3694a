#!/usr/bin/env bash
# Installs what the gateway needs, builds it (release) and runs it on the embedded default:
# SQLite in ./data, http://127.0.0.1:8444. Extra arguments go to `crow-calls serve`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash tools/bootstrap.sh --no-venv
command -v swift >/dev/null 2>&1 || export PATH=/opt/swift/usr/bin:$PATH
swift build -c release --product crow-calls
exec "$(swift build -c release --show-bin-path)/crow-calls" serve "$@"
