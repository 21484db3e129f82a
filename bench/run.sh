#!/usr/bin/env bash
# Runs the benchmark scenarios (write-fanout, event-fanout) against strata (in-memory, then default sqlite
# storage) and the reference deepstream 7.0.2 server (in-memory), one server at a time, and prints one comparison
# table per scenario.
#
#   bash bench/run.sh
#
# Env: BENCH_LOADGEN: "node" (default: write-fanout.js, event-fanout.js) or "cpp" (build/strata-loadgen,
#      LOADGEN_BIN to override; scenarios write, fanout, event, conns; BENCH_THREADS event loops, default 1),
#      BENCH_SCENARIOS (default "write event"; with cpp "write fanout event conns"), for "write": BENCH_W (10 writers), BENCH_S (10 subscribers per record), BENCH_N (2000 updates per writer),
#      BENCH_K (8 writes in flight per writer), BENCH_DURATION (20 s time cap per server), BENCH_DRAIN (15 s),
#      for "event": BENCH_E_PUBS (4 publishers), BENCH_E_SUBS (100 subscribers), BENCH_E_N (5000 events per publisher), BENCH_E_K (8 in flight per publisher),
#      BENCH_TARGETS (default "strata-memory strata-sqlite deepstream"; also strata-memory-1t: in-memory with
#      "threads: 1", one event loop; storage scenarios: "strata-redis-pg deepstream-redis-pg"),
#      more cpp scenarios: fanout10k (fanout with BENCH_F10K_S = 10000 subscribers, its own table),
#      write-paced / fanout-paced (open loop: write / fanout at BENCH_RATE updates/s, or BENCH_RATE=P% of the same
#      target's closed-loop result of this round, default 50%; time cap BENCH_PACED_DURATION, 10 s),
#      storage scenarios (cpp only; targets *-redis-pg, each with its own fresh redis-server + PostgreSQL 15 on 127.0.0.1):
#        write-ack (BENCH_A_W/S/N/K, default BENCH_W/S/N/K; PostgreSQL checked for the last version of every record
#        after the server stopped) and read-cold (BENCH_R_N 20000 records seeded over HTTP, server restarted with the
#        cache flushed, read back by BENCH_R_C 8 connections x BENCH_R_K 64 in flight),
#      BENCH_ROUNDS (1): repeat the whole sequence of targets (1..20); the table then shows per-server medians
#      (each ratio = median of the per-round ratios, every round compared with its own deepstream row),
#      STRATA_BIN (default build/strata), DSPROTO_V7 / DSPROTO_ROOT (reference install, see tests/e2e/ref-paths.js),
#      BENCH_KEEP=1 keeps the temp dir (configs, server logs, JSON results).
# Exit code: 0 if every target passed validation, 1 otherwise.
set -u -o pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
STRATA_BIN="${STRATA_BIN:-$ROOT/build/strata}"
REF_SERVER="$ROOT/tests/e2e/ref-server.js"
TARGETS="${BENCH_TARGETS:-strata-memory strata-sqlite deepstream}"
LOADGEN="${BENCH_LOADGEN:-node}"
LOADGEN_BIN="${LOADGEN_BIN:-$ROOT/build/strata-loadgen}"
case "$LOADGEN" in
  node) SCENARIOS="${BENCH_SCENARIOS:-write event}"; KNOWN="write event" ;;
  cpp) SCENARIOS="${BENCH_SCENARIOS:-write fanout event conns}"
       KNOWN="write fanout event conns write-ack read-cold fanout10k write-paced fanout-paced"
       [ -x "$LOADGEN_BIN" ] || { echo "C++ load generator not found at $LOADGEN_BIN (ninja -C build strata-loadgen)" >&2; exit 2; } ;;
  *) echo "BENCH_LOADGEN must be node or cpp" >&2; exit 2 ;;
esac
for scenario in $SCENARIOS; do
  case " $KNOWN " in *" $scenario "*) ;; *) echo "unknown scenario $scenario for the $LOADGEN load generator ($KNOWN)" >&2; exit 2 ;; esac
done
# Paced runs (write-paced, fanout-paced): BENCH_RATE updates/s, or P% of the same target's closed-loop result
# of the same round, whose scenario is then added to the list if missing.
PACED_RATE="${BENCH_RATE:-50%}"
PACED_DURATION="${BENCH_PACED_DURATION:-10}"
F10K_S="${BENCH_F10K_S:-10000}"
[[ "$PACED_RATE" =~ ^[0-9]+(\.[0-9]+)?%?$ ]] || { echo "BENCH_RATE must be updates/s or a percentage (50%)" >&2; exit 2; }
for scenario in $SCENARIOS; do
  base="${scenario%-paced}"
  if [ "$base" != "$scenario" ] && [ "${PACED_RATE%\%}" != "$PACED_RATE" ] && [[ " $SCENARIOS " != *" $base "* ]]; then
    echo "$scenario at BENCH_RATE=$PACED_RATE of the closed-loop $base result: adding scenario $base"
    SCENARIOS="$SCENARIOS $base"
  fi
done
# storage scenarios run only against the *-redis-pg targets, the others only against the rest
storage_scenario () { case "$1" in write-ack|read-cold) return 0 ;; *) return 1 ;; esac; }
redis_pg_target () { case "$1" in *-redis-pg) return 0 ;; *) return 1 ;; esac; }
# the JSON "scenario" of each (report.js groups by it, and by the fanout size and paced mode)
result_name () { case "$1" in write|event|write-paced) echo "${1%-paced}-fanout" ;; fanout*) echo fanout ;; *) echo "$1" ;; esac; }
# conns and fanout10k hold many sockets in both processes: the server inherits this shell's limit
case " $SCENARIOS " in *" conns "*|*" fanout10k "*) ulimit -n "$(ulimit -Hn)" 2>/dev/null || true ;; esac
ROUNDS="${BENCH_ROUNDS:-1}"
case "$ROUNDS" in ''|*[!0-9]*) echo "BENCH_ROUNDS must be a positive integer" >&2; exit 2 ;; esac
[ "$ROUNDS" -ge 1 ] && [ "$ROUNDS" -le 20 ] || { echo "BENCH_ROUNDS must be 1..20" >&2; exit 2; }
HEALTH_TIMEOUT_S=20
STOP_GRACE_S=10
# a scenario's own hard bound: setup + time cap + drain + slack
duration_s="${BENCH_DURATION:-20}"; duration_s="${duration_s%.*}"
paced_s="${PACED_DURATION%.*}"; [ "${paced_s:-0}" -gt "${duration_s:-0}" ] && duration_s="$paced_s"
# 10,000 logins and subscriptions: deepstream needs a while
F10K_SETUP_TIMEOUT="${BENCH_SETUP_TIMEOUT:-60}"
setup_s="${BENCH_SETUP_TIMEOUT:-30}"
case " $SCENARIOS " in *" fanout10k "*) setup_s="$F10K_SETUP_TIMEOUT" ;; esac
drain_s="${BENCH_DRAIN:-15}"
CLIENT_TIMEOUT_S=$(( ${setup_s%.*} + ${duration_s:-0} + ${drain_s%.*} + 30 ))

if [ "$LOADGEN" = node ] && { [ ! -d "$HERE/node_modules/ws" ] || [ ! -d "$HERE/node_modules/@deepstream/protobuf" ]; }; then
  echo "installing bench dependencies (npm ci in $HERE)"
  (cd "$HERE" && npm ci --no-audit --no-fund >/dev/null) || { echo "npm ci failed" >&2; exit 1; }
fi

WORK="$(mktemp -d /tmp/strata-bench.XXXXXX)"
SERVER_PID=""
REDIS_PID=""; PG_PID=""; PG_DIR=""; REDIS_PORT=""; PG_PORT=""
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
REF_CONNECTORS="$HERE/.ref-connectors"

stop_server () {
  [ -n "$SERVER_PID" ] || return 0
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null
    for _ in $(seq 1 $(( STOP_GRACE_S * 10 ))); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$SERVER_PID" 2>/dev/null; then
      echo "   server pid $SERVER_PID did not stop within ${STOP_GRACE_S}s of SIGTERM: SIGKILL" >&2
      kill -KILL "$SERVER_PID" 2>/dev/null
    fi
  fi
  wait "$SERVER_PID" 2>/dev/null
  SERVER_EXIT=$?
  SERVER_PID=""
}

stop_pid () {  # stop_pid PID SIGNAL: one process this script started
  local pid="$1"
  [ -n "$pid" ] || return 0
  kill "-$2" "$pid" 2>/dev/null
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  return 0
}

# A fresh redis-server and PostgreSQL 15 cluster on free 127.0.0.1 ports (as tests/e2e/backends.js).
start_backends () {
  local dir="$1"
  mkdir -p "$dir"
  REDIS_PORT="$(free_port)"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" > "$dir/redis.log" 2>&1 &
  REDIS_PID=$!
  PG_PORT="$(free_port)"
  PG_DIR="$(mktemp -d /tmp/strata-bench-pg.XXXXXX)"
  local as=()
  # PostgreSQL refuses root; setpriv execs the server itself, so $! is the postmaster
  if [ "$(id -u)" = 0 ]; then chown postgres "$PG_DIR"; chmod 755 "$PG_DIR"; as=(setpriv --reuid=postgres --regid=postgres --init-groups); fi
  "${as[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U postgres > "$dir/initdb.log" 2>&1 || { echo "   initdb failed (see $dir/initdb.log)" >&2; return 1; }
  "${as[@]}" "$PG_BIN/postgres" -D "$PG_DIR/data" -k "$PG_DIR" -p "$PG_PORT" -c listen_addresses=127.0.0.1 \
    -c fsync=off > "$dir/postgres.log" 2>&1 &
  PG_PID=$!
  for _ in $(seq 1 300); do
    if redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; then
      echo "   backends: redis-server pid $REDIS_PID on :$REDIS_PORT, postgres pid $PG_PID on :$PG_PORT (fsync=off)"
      return 0
    fi
    sleep 0.1
  done
  echo "   redis-server / postgres did not come up (see $dir)" >&2
  return 1
}
stop_backends () {
  stop_pid "$REDIS_PID" TERM; REDIS_PID=""
  stop_pid "$PG_PID" INT; PG_PID=""   # fast shutdown
  [ -n "$PG_DIR" ] && rm -rf "$PG_DIR"; PG_DIR=""
}
psql_q () { psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -At -c "$1" 2>/dev/null; }

cleanup () {
  stop_server
  stop_backends
  if [ "${BENCH_KEEP:-}" = "1" ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port () {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# start_server TARGET DIR PORT -> sets SERVER_PID, returns non-zero if it never became healthy
start_server () {
  local target="$1" dir="$2" port="$3"
  case "$target" in
    strata-memory)
      printf 'storage:\n  name: none\n' > "$dir/config.yml"
      (cd "$dir" && exec "$STRATA_BIN" start -c "$dir/config.yml" --host 127.0.0.1 --port "$port") > "$dir/server.log" 2>&1 &
      ;;
    strata-memory-1t)
      # strata-memory with one event loop: compared with strata-memory (one loop per core) it shows what a
      # second core adds
      printf 'storage:\n  name: none\nthreads: 1\n' > "$dir/config.yml"
      (cd "$dir" && exec "$STRATA_BIN" start -c "$dir/config.yml" --host 127.0.0.1 --port "$port") > "$dir/server.log" 2>&1 &
      ;;
    strata-sqlite)
      # no settings: strata's default storage (embedded sqlite at ./data/strata.db, cwd = the temp dir)
      printf '# strata defaults: sqlite storage in ./data\n' > "$dir/config.yml"
      (cd "$dir" && exec "$STRATA_BIN" start -c "$dir/config.yml" --host 127.0.0.1 --port "$port") > "$dir/server.log" 2>&1 &
      ;;
    strata-redis-pg)
      # strata's connector plugins (build/plugins/libstrata-{redis,postgres}.so)
      # (+ the HTTP endpoint that read-cold seeds through)
      printf 'connectionEndpoints:\n  - type: ws-binary\n  - type: http\ncache:\n  name: redis\n  options: {host: 127.0.0.1, port: %s}\nstorage:\n  name: postgres\n  options: {host: 127.0.0.1, port: %s, user: postgres, database: postgres, schema: ds}\n' \
        "$REDIS_PORT" "$PG_PORT" > "$dir/config.yml"
      (cd "$dir" && exec "$STRATA_BIN" start -c "$dir/config.yml" --host 127.0.0.1 --port "$port") > "$dir/server.log" 2>&1 &
      ;;
    deepstream-redis-pg)
      # ref-server.js with deepstream's own connectors from npm (bench/.ref-connectors): @deepstream/cache-redis,
      # @deepstream/storage-postgres with its defaults (writes buffered for writeInterval = 200 ms, pool max 10) except
      # schema ds (it has no default) and no NOTIFY triggers (strata's connector has none either)
      printf 'cache:\n  name: redis\n  options: {host: 127.0.0.1, port: %s}\nstorage:\n  name: postgres\n  options: {host: 127.0.0.1, port: %s, user: postgres, database: postgres, schema: ds, notifications: {CREATE_TABLE: false, DESTROY_TABLE: false, INSERT: false, UPDATE: false, DELETE: false}}\n' \
        "$REDIS_PORT" "$PG_PORT" > "$dir/config.yml"
      (cd "$dir" && REF_CONNECTORS_DIR="$REF_CONNECTORS" exec node "$REF_SERVER" "$dir/config.yml" "$port") > "$dir/server.log" 2>&1 &
      ;;
    deepstream)
      # ref-server.js: @deepstream/server 7.0.2, open auth, no permissions, default in-memory cache, no storage
      printf '# deepstream defaults (in-memory)\n' > "$dir/config.yml"
      (cd "$dir" && exec node "$REF_SERVER" "$dir/config.yml" "$port") > "$dir/server.log" 2>&1 &
      ;;
    *) echo "unknown target $target" >&2; return 1 ;;
  esac
  SERVER_PID=$!
  for _ in $(seq 1 $(( HEALTH_TIMEOUT_S * 10 ))); do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then echo "   $target exited during start-up:" >&2; tail -20 "$dir/server.log" >&2; return 1; fi
    if [ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$port/health-check")" = "200" ]; then return 0; fi
    sleep 0.1
  done
  echo "   $target did not answer /health-check within ${HEALTH_TIMEOUT_S}s" >&2
  tail -20 "$dir/server.log" >&2
  return 1
}

echo "scenarios: $SCENARIOS; targets: $TARGETS; rounds: $ROUNDS; load generator: $LOADGEN"
echo "  write: W=${BENCH_W:-10} S=${BENCH_S:-10} N=${BENCH_N:-2000} K=${BENCH_K:-8}; event: publishers=${BENCH_E_PUBS:-4} subscribers=${BENCH_E_SUBS:-100} N=${BENCH_E_N:-5000} K=${BENCH_E_K:-8}; cap=${BENCH_DURATION:-20}s"
if [ "$LOADGEN" = cpp ]; then
  echo "  fanout: writers=${BENCH_F_W:-1} subscribers=${BENCH_F_S:-1000} N=${BENCH_F_N:-1000} K=${BENCH_F_K:-8}; conns: ${BENCH_C_N:-10000} held ${BENCH_C_HOLD:-2}s; generator threads=${BENCH_THREADS:-1}; fd limit $(ulimit -n)"
  case " $SCENARIOS " in *" fanout10k "*) echo "  fanout10k: fanout with $F10K_S subscribers (setup timeout ${F10K_SETUP_TIMEOUT}s)" ;; esac
  case " $SCENARIOS " in *-paced*) echo "  paced: BENCH_RATE=$PACED_RATE updates/s, time cap ${PACED_DURATION}s" ;; esac
fi
case " $SCENARIOS " in *" write-ack "*|*" read-cold "*)
  echo "  write-ack: W=${BENCH_A_W:-${BENCH_W:-10}} S=${BENCH_A_S:-${BENCH_S:-10}} N=${BENCH_A_N:-${BENCH_N:-2000}} K=${BENCH_A_K:-${BENCH_K:-8}}; read-cold: N=${BENCH_R_N:-20000} C=${BENCH_R_C:-8} K=${BENCH_R_K:-64}" ;;
esac
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); strata: $STRATA_BIN; node $(node --version)"
RESULTS=()
STATUS=0
failed_result () {  # failed_result FILE SCENARIO TARGET ERROR
  printf '{"scenario":"%s","label":"%s","status":"FAILED","error":"%s","problems":[],"problemCount":0}\n' "$2" "$3" "$4" > "$1"
}
# conns measures RSS growth per idle connection: it runs first, on a server of its own (the server
# is restarted after it), so that neither earlier load nor its 10,000 sockets distort anything else.
# Paced runs come after the closed-loop ones whose throughput a percentage rate is taken from.
ORDERED="$(for s in $SCENARIOS; do [ "$s" = conns ] && echo conns; done) $(for s in $SCENARIOS; do
  case "$s" in conns|*-paced) ;; *) echo "$s" ;; esac; done) $(for s in $SCENARIOS; do
  case "$s" in *-paced) echo "$s" ;; esac; done)"
# paced_rate DIR BASE: the updates/s of a paced run: BENCH_RATE, or its percentage of DIR/BASE.json's updatesPerS
paced_rate () {
  case "$PACED_RATE" in
    *%) node -e '
      const [file, pct] = process.argv.slice(1)
      let r = {}
      try { r = JSON.parse(require("fs").readFileSync(file, "utf8")) } catch (e) {}
      if (r.status !== "OK" || !(r.updatesPerS > 0)) process.exit(1)
      console.log(Math.max(1, Math.round(r.updatesPerS * Number(pct) / 100)))' "$1/$2.json" "${PACED_RATE%\%}" ;;
    *) echo "$PACED_RATE" ;;
  esac
}
for round in $(seq 1 "$ROUNDS"); do
for target in $TARGETS; do
  dir="$WORK/$target-r$round"
  mkdir -p "$dir"
  if [ "${target#strata}" != "$target" ] && [ ! -x "$STRATA_BIN" ]; then
    echo "   strata binary not found at $STRATA_BIN" >&2; STATUS=1; continue
  fi
  # the scenarios of this target: storage ones (write-ack, read-cold) on *-redis-pg targets only
  target_scenarios=""
  for scenario in $ORDERED; do
    if storage_scenario "$scenario"; then redis_pg_target "$target" && target_scenarios="$target_scenarios $scenario"
    else redis_pg_target "$target" || target_scenarios="$target_scenarios $scenario"; fi
  done
  [ -n "$target_scenarios" ] || { echo "-- $target: no scenario of \"$SCENARIOS\" applies (storage scenarios write-ack/read-cold need *-redis-pg targets)"; continue; }
  if redis_pg_target "$target"; then
    if [ "$target" = deepstream-redis-pg ] && [ ! -d "$REF_CONNECTORS/node_modules/@deepstream/storage-postgres" ]; then
      echo "   installing deepstream's connectors (npm ci in $REF_CONNECTORS)"
      (cd "$REF_CONNECTORS" && timeout 300 npm ci --no-audit --no-fund >/dev/null) || echo "   npm ci failed in $REF_CONNECTORS" >&2
    fi
    if ! start_backends "$dir/backends"; then
      stop_backends; STATUS=1
      for scenario in $target_scenarios; do
        failed_result "$dir/$scenario.json" "$(result_name "$scenario")" "$target" "redis/postgres did not start"; RESULTS+=("$dir/$scenario.json")
      done
      continue
    fi
  fi
  for scenario in $target_scenarios; do
    sdir="$dir"
    if [ "$scenario" = read-cold ]; then
      # seed N records over HTTP on a running server, wait until PostgreSQL holds them all, stop the server,
      # flush Redis, start the server again: the reads below find nothing in the cache
      if [ -z "$SERVER_PID" ]; then
        port="$(free_port)"
        echo "-- $target (round $round/$ROUNDS) on 127.0.0.1:$port (read-cold: seeding)"
        mkdir -p "$dir/seed-server"
        start_server "$target" "$dir/seed-server" "$port" || { stop_server; STATUS=1; failed_result "$dir/$scenario.json" read-cold "$target" "server did not start"; RESULTS+=("$dir/$scenario.json"); continue; }
      fi
      rn="${BENCH_R_N:-20000}"
      seeded=0
      if timeout -k 5 300 node "$HERE/seed-records.js" --url "http://127.0.0.1:$port/api" --n "$rn" --payload "${BENCH_R_PAYLOAD:-200}"; then
        for _ in $(seq 1 300); do
          [ "$(psql_q "SELECT count(*) FROM \"ds\".\"bench\" WHERE id LIKE 'c%'")" = "$rn" ] && { seeded=1; break; }
          sleep 0.1
        done
        [ $seeded = 1 ] || echo "   PostgreSQL holds $(psql_q "SELECT count(*) FROM \"ds\".\"bench\" WHERE id LIKE 'c%'") of $rn seeded records after 30 s" >&2
      fi
      stop_server
      echo "   redis FLUSHALL: $(redis-cli -p "$REDIS_PORT" FLUSHALL 2>&1), keys left: $(redis-cli -p "$REDIS_PORT" DBSIZE 2>&1)"
      if [ $seeded != 1 ]; then
        STATUS=1; failed_result "$dir/$scenario.json" read-cold "$target" "seeding $rn records failed"; RESULTS+=("$dir/$scenario.json"); continue
      fi
    fi
    if [ -z "$SERVER_PID" ]; then
      port="$(free_port)"
      sdir="$dir"; [ "$scenario" = conns ] && { sdir="$dir/conns-server"; mkdir -p "$sdir"; }
      echo "-- $target (round $round/$ROUNDS) on 127.0.0.1:$port"
      if ! start_server "$target" "$sdir" "$port"; then
        stop_server; STATUS=1
        failed_result "$dir/$scenario.json" "$(result_name "$scenario")" "$target" "server did not start"
        RESULTS+=("$dir/$scenario.json")
        continue
      fi
    fi
    if [ "$LOADGEN" = cpp ]; then
      # run.sh's variants of the generator's scenarios; BENCH_RATE reaches the generator only as --rate
      lg_scenario="$scenario"; lg_env=(); lg_args=()
      case "$scenario" in
        fanout10k) lg_scenario=fanout; lg_env=(BENCH_F_S="$F10K_S" BENCH_SETUP_TIMEOUT="$F10K_SETUP_TIMEOUT") ;;
        *-paced)
          lg_scenario="${scenario%-paced}"
          if ! rate="$(paced_rate "$dir" "$lg_scenario")"; then
            echo "   $scenario: no passing $lg_scenario result of $target in this round to take $PACED_RATE of" >&2
            STATUS=1
            failed_result "$dir/$scenario.json" "$(result_name "$scenario")" "$target" "no $lg_scenario result to take $PACED_RATE of"
            RESULTS+=("$dir/$scenario.json")
            continue
          fi
          echo "   $scenario: $rate updates/s ($PACED_RATE)"
          lg_env=(BENCH_DURATION="$PACED_DURATION"); lg_args=(--rate "$rate") ;;
      esac
      timeout -k 5 "$CLIENT_TIMEOUT_S" env -u BENCH_RATE "${lg_env[@]}" "$LOADGEN_BIN" "$lg_scenario" \
        --url "ws://127.0.0.1:$port/deepstream" --pid "$SERVER_PID" --label "$target" --out "$dir/$scenario.json" \
        --threads "${BENCH_THREADS:-1}" "${lg_args[@]}"
    else
      timeout -k 5 "$CLIENT_TIMEOUT_S" node "$HERE/$scenario-fanout.js" --url "ws://127.0.0.1:$port/deepstream" \
        --pid "$SERVER_PID" --label "$target" --out "$dir/$scenario.json"
    fi
    rc=$?
    [ $rc -eq 0 ] || STATUS=1
    [ -f "$dir/$scenario.json" ] || failed_result "$dir/$scenario.json" "$(result_name "$scenario")" "$target" "load generator exit $rc"
    if [ $rc -ne 0 ]; then echo "   server log tail:"; tail -15 "$sdir/server.log" | sed 's/^/   | /'; fi
    RESULTS+=("$dir/$scenario.json")
    if [ "$scenario" = write-ack ] && [ -n "$SERVER_PID" ]; then
      # what PostgreSQL holds once the server has stopped (strata drains its storage queue on SIGTERM)
      stop_server
      node "$HERE/storage-check.js" "$dir/$scenario.json" "$PG_PORT" || STATUS=1
    fi
    if [ "$scenario" = conns ]; then
      stop_server
      if [ "$SERVER_EXIT" != "0" ]; then echo "   $target exited with code $SERVER_EXIT after SIGTERM" >&2; fi
    fi
  done
  if [ -n "$SERVER_PID" ]; then
    stop_server
    if [ "$SERVER_EXIT" != "0" ]; then echo "   $target exited with code $SERVER_EXIT after SIGTERM" >&2; fi
  fi
  redis_pg_target "$target" && stop_backends
  if [ "$target" = "strata-sqlite" ]; then
    echo "   sqlite files: $(cd "$dir" && find . -name '*.db*' -printf '%p %s bytes  ' 2>/dev/null)"
  fi
  sleep 1
done
done

echo
node "$HERE/report.js" "${RESULTS[@]}"
exit $STATUS
