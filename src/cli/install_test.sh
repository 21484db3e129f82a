#!/bin/sh
# `strata install` and `strata connectors` end to end:
#   install_test.sh <strata> <libstrata-template.so> <a library built for another ABI>
# Installs the template by path into a fresh plugin directory, checks the copy and the printed
# config, writes it into a config file, lists it, and checks the refusals.
set -eu
strata=$1 template=$2 wrong_abi=$3
work=$(mktemp -d /tmp/strata-install-XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; echo "--- output:"; cat "$work/out" 2>/dev/null; exit 1; }

"$strata" install storage "$template" --lib-dir "$work/plugins" >"$work/out" 2>&1 ||
  fail "install by path exited non-zero"
cmp -s "$template" "$work/plugins/libstrata-template.so" || fail "library not copied"
grep -q "^installed $work/plugins/libstrata-template.so\$" "$work/out" || fail "no 'installed'"
grep -q "^storage:\$" "$work/out" || fail "no example config"
grep -q "^  name: template\$" "$work/out" || fail "example config lacks the name"

# By name from the plugin directory, writing the config (an existing storage is replaced).
mkdir -p "$work/conf"
printf 'logLevel: WARN\nstorage:\n  name: none\nrecord:\n  cacheRetrievalTimeout: 30\n' \
  >"$work/conf/config.yml"
"$strata" install storage template --lib-dir "$work/plugins" -c "$work/conf/config.yml" \
  --write >"$work/out" 2>&1 || fail "install by name --write exited non-zero"
grep -q "^  name: template\$" "$work/conf/config.yml" || fail "config not written"
grep -q "name: none" "$work/conf/config.yml" && fail "old storage section kept"
grep -q "^  cacheRetrievalTimeout: 30\$" "$work/conf/config.yml" || fail "other keys lost"
grep -q "^logLevel: WARN\$" "$work/conf/config.yml" || fail "other keys lost"

"$strata" connectors --lib-dir "$work/plugins" >"$work/out" 2>&1 || fail "connectors failed"
grep -q "^template  *storage  *1.0.0 .*$work/plugins/libstrata-template.so\$" "$work/out" ||
  fail "connectors does not list the template"
grep -q "^sqlite  *storage" "$work/out" || fail "connectors does not list built-ins"

if "$strata" install cache template --lib-dir "$work/plugins" >"$work/out" 2>&1; then
  fail "installing the template as a cache succeeded"
fi
grep -q "cannot serve as cache; it offers: storage" "$work/out" || fail "no role refusal"

if "$strata" install storage "$wrong_abi" --lib-dir "$work/plugins" >"$work/out" 2>&1; then
  fail "installing a library for another ABI succeeded"
fi
grep -q "was built for connector ABI version 99; this strata speaks version 1" "$work/out" ||
  fail "no ABI message"
[ ! -e "$work/plugins/libstrata-wrong-abi.so" ] || fail "refused library was copied"

if "$strata" install storage nosuch --lib-dir "$work/plugins" >"$work/out" 2>&1; then
  fail "installing an unknown name succeeded"
fi
grep -q "no connector 'nosuch' in the plugin directory" "$work/out" || fail "no unknown message"
echo "install_test: ok"
