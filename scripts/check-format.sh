#!/usr/bin/env bash
# Fails when a C++ file of the repository differs from what clang-format (.clang-format, Debian
# 12's clang-format 14) makes of it, and lists the files. `scripts/check-format.sh --fix` formats
# them in place instead.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v clang-format >/dev/null; then
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq clang-format >/dev/null
fi
mapfile -t files < <(git ls-files '*.cc' '*.h')
if [ "${1:-}" = "--fix" ]; then
  clang-format -i "${files[@]}"
  exit 0
fi
mapfile -t bad < <(clang-format --dry-run "${files[@]}" 2>&1 | grep -oE '^[^: ]+:[0-9]+:[0-9]+: (warning|error)' |
  cut -d: -f1 | sort -u)
if [ ${#bad[@]} -gt 0 ]; then
  echo "check-format: ${#bad[@]} file(s) differ from clang-format ($(clang-format --version)):"
  printf '  %s\n' "${bad[@]}"
  echo "run scripts/check-format.sh --fix"
  exit 1
fi
echo "check-format: ${#files[@]} files formatted"
