#!/usr/bin/env bash
# Installs what strata needs to build (Debian 12 packages) and builds it into ./build.
# Idempotent: apt runs only when a package is missing. Usage: scripts/setup.sh [--no-tests]
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(g++ cmake ninja-build ccache pkg-config libboost1.81-dev rapidjson-dev libyaml-cpp-dev
  libcli11-dev libspdlog-dev libfmt-dev libsqlite3-dev libgtest-dev curl)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

tests=ON
[ "${1:-}" = "--no-tests" ] && tests=OFF
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTRATA_BUILD_TESTS=$tests >/dev/null
if [ "$tests" = ON ]; then
  ninja -C build
else
  ninja -C build strata
fi
