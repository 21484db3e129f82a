#!/usr/bin/env bash
# Sets up, builds and runs every test: the C++ unit tests (ctest), then the end-to-end tests that
# drive the real strata binary with the official deepstream client from npm.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

echo "== unit tests (ctest)"
ctest --test-dir build --output-on-failure -j2

echo "== end-to-end tests (node --test, @deepstream/client 7.0.5)"
cd tests/e2e
npm ci --no-audit --no-fund >/dev/null
export STRATA_BIN="$PWD/../../build/strata"
npm test

echo "== end-to-end records tests again, over a real Redis cache and PostgreSQL storage (plugins)"
E2E_BACKENDS=redis-postgres node --test --test-concurrency=1 records.test.js bad-input.test.js

echo "== cluster: three strata nodes over one Redis and one PostgreSQL (records, events, faults)"
npm run test:cluster
