#!/usr/bin/env bash
# Installs what strata needs to build (Debian 12 packages) and builds it into ./build.
# Idempotent: apt runs only when a package is missing. Usage: scripts/setup.sh [--no-tests]
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(g++ cmake ninja-build ccache pkg-config libboost1.81-dev rapidjson-dev libyaml-cpp-dev
  libcli11-dev libspdlog-dev libfmt-dev libsqlite3-dev libre2-dev libssl-dev libjemalloc-dev
  libgtest-dev curl)
# Tests also need the connectors' client libraries and the real servers they run against.
if [ "${1:-}" != "--no-tests" ]; then
  packages+=(libhiredis-dev redis-server libmemcached-dev memcached librocksdb-dev libpq-dev
    postgresql openssl)
  # The end-to-end tests and the benchmark smoke test run on Node.js (the machine's own when it has one).
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then packages+=(nodejs npm); fi
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  # Server packages (redis, memcached, postgresql) start a system daemon on install; the tests
  # start their own on free ports, so keep the installer from starting any (policy-rc.d 101).
  policy=/usr/sbin/policy-rc.d
  added_policy=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo_cmd tee "$policy" >/dev/null
    $sudo_cmd chmod +x "$policy"
    added_policy=1
  fi
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
  if [ -n "$added_policy" ]; then $sudo_cmd rm -f "$policy"; fi
fi

tests=ON
[ "${1:-}" = "--no-tests" ] && tests=OFF
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTRATA_BUILD_TESTS=$tests >/dev/null
if [ "$tests" = ON ]; then
  ninja -C build
else
  ninja -C build strata
fi
