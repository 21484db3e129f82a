#!/usr/bin/env bash
# Sets up and starts strata on its embedded default (127.0.0.1:6020, data in ./data).
# Extra arguments go to `strata start`, e.g. scripts/start.sh --port 7000 -c conf/config.yml
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --no-tests
exec ./build/strata start "$@"
