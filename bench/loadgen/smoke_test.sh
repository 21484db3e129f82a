#!/bin/sh
# Correctness smoke of the C++ load generator: starts strata (in-memory) on 127.0.0.1 and runs
# every scenario (and the paced mode of write and fanout) for about a second, with 1 and 2 event
# loops. Validation only: the generator
# exits non-zero on any lost, duplicated, reordered or unexpected message. No timing assertions.
#   smoke_test.sh <strata> <strata-loadgen>
set -eu
strata=$1 loadgen=$2
work=$(mktemp -d /tmp/strata-loadgen-smoke-XXXXXX)
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; echo "--- server log:"; tail -20 "$work/server.log"; exit 1; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf 'connectionEndpoints:\n  - type: ws-binary\n  - type: http\nstorage:\n  name: none\n' > "$work/config.yml"
"$strata" start -c "$work/config.yml" --host 127.0.0.1 --port "$port" > "$work/server.log" 2>&1 &
pid=$!
i=0
until curl -s -o /dev/null -m 1 "http://127.0.0.1:$port/health-check"; do
  kill -0 "$pid" 2>/dev/null || fail "strata exited during start-up"
  i=$((i + 1)); [ $i -lt 100 ] || fail "strata not healthy after 10 s"
  sleep 0.1
done

url="ws://127.0.0.1:$port/deepstream"
export BENCH_DURATION=1 BENCH_DRAIN=10 BENCH_STALL=5 BENCH_SETUP_TIMEOUT=20
# counts large enough that most runs end at the 1 s time cap (that path is checked too)
export BENCH_W=3 BENCH_S=4 BENCH_N=30000 BENCH_K=4
export BENCH_F_S=100 BENCH_F_N=5000 BENCH_F_K=4
export BENCH_E_PUBS=2 BENCH_E_SUBS=20 BENCH_E_N=30000 BENCH_E_K=4
# 100 per source address: the conns run also uses 127.0.0.2 and 127.0.0.3
export BENCH_C_N=300 BENCH_C_HOLD=0.5 BENCH_C_PER_SOURCE=100
for threads in 1 2; do
  for scenario in write write-ack fanout event conns; do
    out="$work/$scenario-$threads.json"
    timeout -k 5 60 "$loadgen" "$scenario" --url "$url" --pid "$pid" --label smoke \
      --threads "$threads" --out "$out" || fail "$scenario with $threads loop(s) failed validation"
    grep -q '"status":"OK"' "$out" || fail "$scenario with $threads loop(s): no OK result in $out"
  done
done
# The paced mode (open loop): on schedule, and with writes held back at the in-flight bound.
for threads in 1 2; do
  timeout -k 5 60 "$loadgen" write --rate 3000 --url "$url" --pid "$pid" --label smoke-paced \
    --threads "$threads" --out "$work/write-paced-$threads.json" ||
    fail "paced write with $threads loop(s) failed validation"
  grep -q '"rate":3000' "$work/write-paced-$threads.json" || fail "paced write: no params.rate"
  BENCH_RATE=500 timeout -k 5 60 "$loadgen" fanout --url "$url" --pid "$pid" --label smoke-paced \
    --threads "$threads" --out "$work/fanout-paced-$threads.json" ||
    fail "paced fanout with $threads loop(s) failed validation"
done
BENCH_N=2000 BENCH_RATE_MAX_INFLIGHT=2 timeout -k 5 60 "$loadgen" write --rate 1000000 --url "$url" \
  --label smoke-behind --out "$work/behind.json" || fail "paced write held back failed validation"
grep -q '"behindMax":[1-9]' "$work/behind.json" || fail "paced write at 1e6/s: not reported behind"
# read-cold's reader (here from strata's memory, not cold): 500 records seeded over HTTP first.
command -v node > /dev/null 2>&1 || fail "node not found (scripts/setup.sh installs it)"
timeout -k 5 60 node "$(dirname "$0")/../seed-records.js" --url "http://127.0.0.1:$port/api" --n 500 ||
  fail "seeding read-cold records failed"
for threads in 1 2; do
  BENCH_R_N=500 BENCH_R_C=3 BENCH_R_K=16 timeout -k 5 60 "$loadgen" read-cold --url "$url" --pid "$pid" \
    --label smoke --threads "$threads" --out "$work/read-cold-$threads.json" ||
    fail "read-cold with $threads loop(s) failed validation"
done
# A second write run on the same server starts from the versions the first runs left behind.
BENCH_N=300 timeout -k 5 60 "$loadgen" write --url "$url" --label smoke-again --out "$work/again.json" ||
  fail "write on existing records failed validation"
# Bad command lines are refused with exit code 2.
set +e
"$loadgen" nosuch --url "$url" > /dev/null 2>&1; [ $? -eq 2 ] || fail "unknown scenario not refused"
"$loadgen" write > /dev/null 2>&1; [ $? -eq 2 ] || fail "missing --url not refused"
"$loadgen" event --rate 100 --url "$url" > /dev/null 2>&1; [ $? -eq 2 ] || fail "event --rate not refused"
"$loadgen" write --rate abc --url "$url" > /dev/null 2>&1; [ $? -eq 2 ] || fail "bad --rate not refused"
set -e
echo "loadgen smoke: all scenarios OK"
