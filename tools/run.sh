#!/usr/bin/env bash
# Installs what the gateway needs, builds it (release, tools/release-build.sh) and runs it on the
# embedded default: SQLite in ./data, http://127.0.0.1:8444. Extra arguments go to `crow-calls serve`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash tools/bootstrap.sh --no-venv
bin="$(bash tools/release-build.sh crow-calls)"
exec "$bin/crow-calls" serve "$@"
