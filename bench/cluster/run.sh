#!/usr/bin/env bash
# Two-node cluster benchmark: strata vs deepstream 7.0.2, side by side in one run.
#
#   bash bench/cluster/run.sh            # from the repo root; about 3-4 minutes
#
# For each system (strata, then deepstream) a fresh redis-server and PostgreSQL 15 (own temp dirs, free ports on
# 127.0.0.1) and two nodes A and B over them (strata: clusterNode redis; deepstream: @deepstream/clusternode-redis
# 1.0.1 + cache-redis 2.0.9 + storage-postgres 3.0.4 from bench/node_modules), then:
#   probe       fanout.js --closed: the maximum cross-node fan-out rate (writer on A, subscribers on A and B)
#   fanout      fanout.js --rate R: R = half of strata's probe (deepstream: the same R, or its probe if lower)
#   fanout-low  fanout.js --rate BENCH_CL_LOW_RATE (100/s): the latency floor of this machine and client
#   versioned   versioned.js: writers on A and B on the same records with write acks; histories checked
#   failover    failover.js: writers through a round-robin TCP balancer, kill -9 of node A mid-run
#   single      fanout.js --rate R against one node without clusterNode (same cache/storage): the baseline
# and prints one markdown table per scenario (report.js).
#
# Env: STRATA_BIN (default build/strata; it and the plugins/ beside it are copied into the run's temp dir first),
#      BENCH_CL_SYSTEMS ("strata deepstream"), BENCH_CL_SUBS (50 subscribers), BENCH_CL_PROBE (5 s),
#      BENCH_CL_DURATION (15 s per scenario), BENCH_CL_RATE (writes/s for fanout/single; default 50% of strata's
#      probe), BENCH_CL_LOW_RATE (100), BENCH_CL_K (16 writes in flight in the probe), BENCH_KEEP=1 (keep the temp dir: configs, logs, JSON).
#      DSPROTO_V7 / DSPROTO_ROOT: the reference install (tests/e2e/ref-paths.js).
# Exit code: 1 if a strata result failed validation or anything did not start; deepstream's violations are
# reported, not fatal.
set -u -o pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BENCH="$(cd "$HERE/.." && pwd)"
ROOT="$(cd "$BENCH/.." && pwd)"
SRC_BIN="${STRATA_BIN:-$ROOT/build/strata}"
SYSTEMS="${BENCH_CL_SYSTEMS:-strata deepstream}"
SUBS="${BENCH_CL_SUBS:-50}"
PROBE_S="${BENCH_CL_PROBE:-5}"
DUR_S="${BENCH_CL_DURATION:-15}"
PROBE_K="${BENCH_CL_K:-16}"
FIXED_RATE="${BENCH_CL_RATE:-}"
LOW_RATE="${BENCH_CL_LOW_RATE:-100}"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
STOP_GRACE_S=10
CLIENT_TIMEOUT_S=$(( DUR_S + 90 ))

for tool in redis-server redis-cli curl node "$PG_BIN/postgres" "$PG_BIN/initdb" "$PG_BIN/pg_isready" psql; do
  command -v "$tool" >/dev/null 2>&1 || { echo "missing: $tool" >&2; exit 2; }
done
[ -x "$SRC_BIN" ] || { echo "strata binary not found at $SRC_BIN (STRATA_BIN=...)" >&2; exit 2; }
[ -f "$(dirname "$SRC_BIN")/plugins/libstrata-redis.so" ] && [ -f "$(dirname "$SRC_BIN")/plugins/libstrata-postgres.so" ] ||
  { echo "the redis/postgres plugins are not beside $SRC_BIN (plugins/)" >&2; exit 2; }
if [ ! -d "$BENCH/node_modules/@deepstream/clusternode-redis" ] || [ ! -d "$BENCH/node_modules/ws" ]; then
  echo "installing bench dependencies (npm ci in $BENCH)"
  (cd "$BENCH" && timeout 300 npm ci --no-audit --no-fund >/dev/null) || { echo "npm ci failed" >&2; exit 1; }
fi

WORK="$(mktemp -d /tmp/strata-cluster-bench.XXXXXX)"
# a private copy of the binary and its plugins: a rebuild meanwhile does not change what is measured
mkdir -p "$WORK/bin" && cp "$SRC_BIN" "$WORK/bin/strata" && cp -r "$(dirname "$SRC_BIN")/plugins" "$WORK/bin/plugins"
STRATA="$WORK/bin/strata"

PIDS=()          # every process this script started and still has to stop: "pid:signal"
REDIS_PID=""; PG_PID=""; PG_DIR=""; REDIS_PORT=""; PG_PORT=""
declare -A NODE_PID NODE_PORT

stop_pid () {  # stop_pid PID SIGNAL: SIGNAL, then SIGKILL after STOP_GRACE_S
  local pid="$1"
  [ -n "$pid" ] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill "-$2" "$pid" 2>/dev/null
    for _ in $(seq 1 $(( STOP_GRACE_S * 10 ))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then echo "   pid $pid did not stop after SIG$2: SIGKILL" >&2; kill -KILL "$pid" 2>/dev/null; fi
  fi
  wait "$pid" 2>/dev/null
  local rc=$?
  local keep=()
  for p in "${PIDS[@]}"; do [ "${p%%:*}" = "$pid" ] || keep+=("$p"); done
  PIDS=("${keep[@]}")
  return $rc
}
cleanup () {
  local i
  for (( i=${#PIDS[@]}-1; i>=0; i-- )); do stop_pid "${PIDS[$i]%%:*}" "${PIDS[$i]##*:}"; done
  [ -n "$PG_DIR" ] && rm -rf "$PG_DIR"
  if [ "${BENCH_KEEP:-}" = "1" ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port () { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

# fresh redis-server and PostgreSQL 15 (as bench/run.sh and tests/e2e/backends.js: initdb -A trust, fsync=off,
# as user postgres via setpriv when root; setpriv execs the server, so $! is the postmaster)
start_backends () {
  local dir="$1"
  mkdir -p "$dir"
  REDIS_PORT="$(free_port)"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" > "$dir/redis.log" 2>&1 &
  REDIS_PID=$!; PIDS+=("$REDIS_PID:TERM")
  PG_PORT="$(free_port)"
  PG_DIR="$(mktemp -d /tmp/strata-cluster-bench-pg.XXXXXX)"
  local as=()
  if [ "$(id -u)" = 0 ]; then chown postgres "$PG_DIR"; chmod 755 "$PG_DIR"; as=(setpriv --reuid=postgres --regid=postgres --init-groups); fi
  "${as[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U postgres > "$dir/initdb.log" 2>&1 || { echo "   initdb failed (see $dir/initdb.log)" >&2; return 1; }
  "${as[@]}" "$PG_BIN/postgres" -D "$PG_DIR/data" -k "$PG_DIR" -p "$PG_PORT" -c listen_addresses=127.0.0.1 -c fsync=off > "$dir/postgres.log" 2>&1 &
  PG_PID=$!; PIDS+=("$PG_PID:INT")
  for _ in $(seq 1 300); do
    if redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; then
      echo "   redis-server pid $REDIS_PID :$REDIS_PORT, postgres pid $PG_PID :$PG_PORT (fsync=off)"
      return 0
    fi
    sleep 0.1
  done
  echo "   redis-server / postgres did not come up (see $dir)" >&2
  return 1
}
stop_backends () {
  stop_pid "$REDIS_PID" TERM; REDIS_PID=""
  stop_pid "$PG_PID" INT; PG_PID=""
  [ -n "$PG_DIR" ] && rm -rf "$PG_DIR"; PG_DIR=""
}

# start_node SYSTEM NAME MODE(cluster|single) DIR: sets NODE_PID[NAME], NODE_PORT[NAME]
start_node () {
  local system="$1" name="$2" mode="$3" dir="$4" port pid
  mkdir -p "$dir"
  port="$(free_port)"
  if [ "$system" = strata ]; then
    {
      echo "serverName: $name"
      if [ "$mode" = cluster ]; then
        echo "clusterNode: {name: redis, options: {host: 127.0.0.1, port: $REDIS_PORT}}"
        echo "clusterRegistry: {options: {keepAliveInterval: 1000, activeCheckInterval: 1000, nodeInactiveTimeout: 3000}}"
      fi
      echo "cache: {name: redis, options: {host: 127.0.0.1, port: $REDIS_PORT}}"
      echo "storage: {name: postgres, options: {host: 127.0.0.1, port: $PG_PORT, user: postgres, database: postgres, schema: ds}}"
    } > "$dir/config.yml"
    (cd "$dir" && exec env -u STRATA_PLUGIN_DIR "$STRATA" start -c "$dir/config.yml" --host 127.0.0.1 --port "$port") > "$dir/server.log" 2>&1 &
  else
    printf '{"serverName":"%s","redisPort":%s,"pgPort":%s,"cluster":%s}\n' "$name" "$REDIS_PORT" "$PG_PORT" \
      "$([ "$mode" = cluster ] && echo true || echo false)" > "$dir/config.json"
    (cd "$dir" && exec node "$HERE/ref-node.js" "$dir/config.json" "$port") > "$dir/server.log" 2>&1 &
  fi
  pid=$!; PIDS+=("$pid:TERM")
  NODE_PID[$name]=$pid; NODE_PORT[$name]=$port
  for _ in $(seq 1 300); do
    if ! kill -0 "$pid" 2>/dev/null; then echo "   $system $name exited during start-up:" >&2; tail -20 "$dir/server.log" >&2; return 1; fi
    if [ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$port/health-check")" = 200 ]; then
      echo "   $system $name ($mode) pid $pid on 127.0.0.1:$port"
      return 0
    fi
    sleep 0.1
  done
  echo "   $system $name did not answer /health-check within 30 s" >&2
  tail -20 "$dir/server.log" >&2
  return 1
}
stop_node () {  # stop_node NAME: SIGTERM (SIGKILL after 10 s); reports a non-zero exit of a node not killed on purpose
  local name="$1" rc
  [ -n "${NODE_PID[$name]:-}" ] || return 0
  stop_pid "${NODE_PID[$name]}" TERM; rc=$?
  [ "$rc" = 0 ] || [ "${2:-}" = killed ] || echo "   node $name exited with code $rc"
  NODE_PID[$name]=""
}
url () { echo "ws://127.0.0.1:${NODE_PORT[$1]}/deepstream"; }
# the JSON field of a result file, or empty
jfield () { node -e 'try{const r=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));const v=process.argv[2].split(".").reduce((o,k)=>o==null?o:o[k],r);if(v!=null)console.log(v)}catch(e){}' "$1" "$2"; }
failed_json () { printf '{"scenario":"%s","label":"%s","status":"FAILED","error":"%s","problems":[],"problemCount":0}\n' "$2" "$3" "$4" > "$1"; }

STATUS=0
RESULTS=()
RATE=""
note () { echo "$*"; echo "$*" >> "$WORK/notes.txt"; }
# run_client SYSTEM SCENARIO FILE CMD...: runs a scenario script bounded by timeout, records its JSON
run_client () {
  local system="$1" scenario="$2" out="$3"; shift 3
  # in the background + wait: a signal to this script interrupts the wait (the trap then stops the client too)
  timeout -k 5 "$CLIENT_TIMEOUT_S" "$@" --label "$system" --out "$out" &
  local cpid=$!
  PIDS+=("$cpid:TERM")
  wait "$cpid"
  local rc=$?
  stop_pid "$cpid" TERM
  [ -f "$out" ] || failed_json "$out" "$scenario" "$system" "client exit $rc"
  if [ $rc -ne 0 ] && [ "$system" = strata ]; then STATUS=1; fi
  RESULTS+=("$out")
}

echo "cluster bench: systems: $SYSTEMS; subscribers $SUBS; probe ${PROBE_S}s (K=$PROBE_K); scenarios ${DUR_S}s"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), load average $(cut -d' ' -f1-3 /proc/loadavg); node $(node --version); redis $(redis-server --version | grep -o "v=[0-9.]*" | cut -c3-); PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}')"
echo "strata: $SRC_BIN (copied to $STRATA), $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null)"

for system in $SYSTEMS; do
  echo "== $system"
  dir="$WORK/$system"
  mkdir -p "$dir"
  if ! start_backends "$dir/backends"; then STATUS=1; stop_backends; continue; fi
  if ! start_node "$system" node-a cluster "$dir/node-a" || ! start_node "$system" node-b cluster "$dir/node-b"; then
    STATUS=1; stop_node node-a; stop_node node-b; stop_backends; continue
  fi
  sleep 1   # the nodes find each other (deepstream's registry, strata's bus subscriptions)
  pids="A=${NODE_PID[node-a]},B=${NODE_PID[node-b]},redis=$REDIS_PID"

  echo "-- probe: closed loop, $PROBE_K writes in flight, ${PROBE_S}s"
  run_client "$system" fanout "$dir/probe.json" node "$HERE/fanout.js" --writer "$(url node-a)" \
    --nodes "A=$(url node-a),B=$(url node-b)" --pids "$pids" --subs "$SUBS" --closed "$PROBE_K" --duration "$PROBE_S" --record bench/probe
  max="$(jfield "$dir/probe.json" writesPerS)"; max="${max%.*}"
  if [ -n "$FIXED_RATE" ]; then rate="$FIXED_RATE"
  elif [ -z "$RATE" ]; then
    [ -n "$max" ] && [ "$max" -gt 0 ] && RATE=$(( max / 2 ))
    rate="$RATE"
  else
    rate="$RATE"
    if [ -n "$max" ] && [ "$max" -lt "$RATE" ]; then rate="$max"; note "   NOTE: $system's probe maximum $max writes/s is below the common rate $RATE: its fanout/single run at $max"; fi
  fi
  [ -n "$FIXED_RATE" ] || [ "$system" != strata ] || note "   rate for fanout/single: $rate writes/s (50% of strata's probe, $max writes/s)"
  if [ -n "${rate:-}" ]; then
    echo "-- fanout: $rate writes/s, ${DUR_S}s"
    run_client "$system" fanout "$dir/fanout.json" node "$HERE/fanout.js" --writer "$(url node-a)" \
      --nodes "A=$(url node-a),B=$(url node-b)" --pids "$pids" --subs "$SUBS" --rate "$rate" --duration "$DUR_S" --record bench/fan
  else
    echo "   no rate (the probe failed): fanout skipped" >&2; STATUS=1
  fi

  echo "-- fanout at a low rate: $LOW_RATE writes/s, 10s (latency when the machine is not saturated)"
  run_client "$system" fanout "$dir/fanout-low.json" node "$HERE/fanout.js" --writer "$(url node-a)" \
    --nodes "A=$(url node-a),B=$(url node-b)" --pids "$pids" --subs "$SUBS" --rate "$LOW_RATE" --duration 10 --record bench/low

  echo "-- versioned writes from both nodes, ${DUR_S}s"
  run_client "$system" versioned "$dir/versioned.json" node "$HERE/versioned.js" \
    --nodes "A=$(url node-a),B=$(url node-b)" --duration "$DUR_S"

  echo "-- failover: kill -9 of node A after $(( DUR_S / 3 ))s of ${DUR_S}s"
  run_client "$system" failover "$dir/failover.json" node "$HERE/failover.js" \
    --ports "${NODE_PORT[node-a]},${NODE_PORT[node-b]}" --kill-pid "${NODE_PID[node-a]}" --kill-at "$(( DUR_S / 3 ))" \
    --survivor "$(url node-b)" --duration "$DUR_S"
  kill -0 "${NODE_PID[node-a]}" 2>/dev/null && { echo "   node A still runs after the failover scenario" >&2; }
  stop_node node-a killed
  stop_node node-b
  # what PostgreSQL holds once both nodes are gone (the survivor stopped by SIGTERM)
  psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -At -F ' ' \
    -c "SELECT id, version FROM \"ds\".\"bench\" WHERE id LIKE 'fo%'" > "$dir/failover-pg.txt" 2>"$dir/failover-pg.err"
  node "$HERE/failover.js" --pg-check "$dir/failover-pg.txt" --out "$dir/failover.json" || true

  if [ -n "${rate:-}" ]; then
    echo "-- single node (no clusterNode, same cache and storage): $rate writes/s, ${DUR_S}s"
    if start_node "$system" single single "$dir/single"; then
      run_client "$system" single "$dir/single.json" node "$HERE/fanout.js" --writer "$(url single)" \
        --nodes "S=$(url single)" --pids "S=${NODE_PID[single]},redis=$REDIS_PID" --subs "$SUBS" --rate "$rate" --duration "$DUR_S" --record bench/single
      stop_node single
    else
      STATUS=1; stop_node single
    fi
  fi
  stop_backends
done

echo
node "$HERE/report.js" --notes "$WORK/notes.txt" "${RESULTS[@]}"
exit $STATUS
