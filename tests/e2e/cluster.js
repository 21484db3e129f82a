'use strict'
/*
 * Cluster harness (strata-only): N strata nodes sharing one Redis (cache + message bus, `clusterNode`)
 * and one PostgreSQL (storage), both throwaway servers from backends.js, started once per test file.
 *
 * useCluster() registers the file's before/after hooks and returns a holder:
 *   holder.ready           resolves once Redis and PostgreSQL are up (never settles when SKIP is set)
 *   holder.redis, .pg      the backends ({port, ...})
 *   holder.startNode(opts) starts one node (harness.startServer: own temp dir, own free --port, which also
 *                          serves /health-check and, with http: true, the HTTP API) → the ServerProcess
 *   holder.config(opts)    the YAML a node gets (also for the refusal tests)
 * killNode(node)           kill -9 by pid, waits for the exit
 * startBalancer(ports)     a TCP round-robin balancer in front of the nodes' websocket ports
 * startRelay(port)         a TCP relay (holder.relay) that can hold what a node sends to PostgreSQL
 * runRefused(yaml)         runs `strata start` on a config that must be refused: {code, signal, stdout, stderr}
 * pgRow / redisRecord      a record as PostgreSQL and as Redis hold it
 * lockTable(pgPort)        a psql session holding ACCESS EXCLUSIVE on ds."default": storage stalls until release()
 * ledgerSize / storesOf / settleStores   the write-behind ledger, and Redis vs PostgreSQL per record
 * healthStatus / stopNode / restartNode  GET /health-check; SIGTERM; start again on the same port
 * pauseNode / resumeNode  SIGSTOP / SIGCONT by pid
 * rpcOutcome(promise)     a make() settled within a bound: {result} or {error: 'NO_RPC_PROVIDER', ...}
 */
const { spawn, execFileSync } = require('child_process')
const { isDeepStrictEqual } = require('util')
const fs = require('fs')
const net = require('net')
const path = require('path')
const nodeTest = require('node:test')
const h = require('./harness')
const b = require('./backends')

const PLUGINS = path.join(path.dirname(h.STRATA_BIN_PATH), 'plugins')
const PSQL = fs.existsSync('/usr/lib/postgresql/15/bin/psql') ? '/usr/lib/postgresql/15/bin/psql' : 'psql'

const missing = [
  !b.haveRedis() && 'redis-server', !b.havePostgres() && 'postgresql',
  !fs.existsSync(path.join(PLUGINS, 'libstrata-redis.so')) && 'the redis connector',
  !fs.existsSync(path.join(PLUGINS, 'libstrata-postgres.so')) && 'the postgres connector'
].filter(Boolean)
// As backends.test.js: skipped on a machine without them, a failure in CI.
const SKIP = h.strataOnly('cluster mode is strata\'s') ||
  (missing.length && process.env.CI !== 'true' ? `not installed/built: ${missing.join(', ')}` : false)

// Test-scaled cluster registry timers (ms), in deepstream's layout (`clusterRegistry.options`).
const REGISTRY = { keepAliveInterval: 200, activeCheckInterval: 200, nodeInactiveTimeout: 600 }

const CLIENT_WAIT_MS = 15000

/** h.withTimeout, and a rejection that is not an Error (the client rejects with strings such as 'INVALID_VERSION') names `what`. */
function within (promise, ms, what) {
  return h.withTimeout(promise, ms, what).catch((e) => {
    throw e instanceof Error ? e : new Error(`${what}: rejected with ${JSON.stringify(e)}`)
  })
}

/** Polls `fn` (sync or async) until it returns a truthy value, which it resolves with; bounded. */
async function waitUntil (fn, what, timeout = CLIENT_WAIT_MS, interval = 50) {
  const deadline = Date.now() + timeout
  for (;;) {
    const v = await fn()
    if (v) return v
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting until ${what}`)
    await h.sleep(interval)
  }
}

/**
 * Subscriptions travel through the cluster asynchronously: calls `write(j)` (j = 1, 2, ...) until `seen()`
 * is truthy, so that later writes/emits are known to reach every subscriber. Bounded.
 */
async function untilSeen (write, seen, what, timeout = CLIENT_WAIT_MS) {
  const deadline = Date.now() + timeout
  for (let j = 1; ; j++) {
    await write(j)
    const until = Date.now() + 200
    while (Date.now() < until) {
      if (seen()) return j
      await h.sleep(20)
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting until ${what}`)
  }
}

/**
 * The config of one node. `cache`/`storage`/`clusterNode`: the connector names (null leaves the key out,
 * so strata's default applies). `http`: also serve the HTTP API. `extra`: YAML appended as is.
 */
function clusterConfig ({ name, redisPort, pgPort, cache = 'redis', storage = 'postgres', clusterNode = 'redis', http = false, extra = '' }) {
  const redisOpts = `  options:\n    host: 127.0.0.1\n    port: ${redisPort}\n`
  let y = `# strata e2e cluster node\n`
  if (name) y += `serverName: ${name}\n`
  if (clusterNode) y += `clusterNode:\n  name: ${clusterNode}\n` + redisOpts
  y += 'clusterRegistry:\n  options:\n' + Object.entries(REGISTRY).map(([k, v]) => `    ${k}: ${v}\n`).join('')
  if (cache) y += `cache:\n  name: ${cache}\n` + (cache === 'redis' ? redisOpts : '')
  if (storage) {
    y += `storage:\n  name: ${storage}\n` + (storage === 'postgres'
      ? `  options:\n    host: 127.0.0.1\n    port: ${pgPort}\n    user: postgres\n    database: postgres\n`
      : '')
  }
  if (http) y += 'connectionEndpoints:\n  - type: ws-binary\n  - type: http\n'
  return y + extra
}

/** Registers the file's before/after hooks (backends up before the first test, everything down after the last). */
function useCluster () {
  const holder = { redis: null, pg: null, nodes: [], balancers: [] }
  let resolveReady, rejectReady
  holder.ready = new Promise((resolve, reject) => { resolveReady = resolve; rejectReady = reject })
  holder.ready.catch(() => {})
  holder.config = (opts = {}) => clusterConfig({ redisPort: holder.redis.port, pgPort: holder.pg.port, ...opts })
  holder.startNode = async (opts = {}) => {
    await holder.ready
    const node = await h.startServer({ config: holder.config(opts) })
    node.name = opts.name
    holder.nodes.push(node)
    return node
  }
  nodeTest.before(async () => {
    if (SKIP) return
    try {
      holder.redis = await b.startRedis()
      holder.pg = await b.startPostgres()
      resolveReady()
    } catch (e) {
      rejectReady(e)
      throw e
    }
  })
  nodeTest.after(async () => {
    for (const lb of holder.balancers) await lb.close()
    await h.cleanup()
    if (holder.redis) await holder.redis.stop()
    if (holder.pg) await holder.pg.destroy()
  })
  holder.balancer = async (ports) => {
    const lb = await startBalancer(ports)
    holder.balancers.push(lb)
    return lb
  }
  holder.relay = async (port) => {
    const relay = await startRelay(port)
    holder.balancers.push(relay) // closed with the balancers
    return relay
  }
  return holder
}

/** Starts nodes node-a, node-b, ... one after another; resolves with them. */
async function startNodes (holder, count, opts = {}) {
  const nodes = []
  for (let i = 0; i < count; i++) {
    nodes.push(await holder.startNode({ name: `node-${String.fromCharCode(97 + i)}`, ...opts }))
  }
  return nodes
}

/** kill -9 of a node's process (by pid); resolves once it has exited. */
async function killNode (node) {
  process.kill(node.child.pid, 'SIGKILL')
  await h.withTimeout(node.exited, 10000, `node ${node.name} to exit after SIGKILL`)
}

/**
 * A TCP load balancer on a free 127.0.0.1 port: each connection goes to the next port of `ports` in
 * round-robin order; a port that refuses (or does not answer within 2 s) is skipped; no port left →
 * the client connection is closed. Bytes are piped both ways; either side closing closes the other.
 * `forwarded[port]` counts the connections sent there, `order` lists the port of each connection.
 */
async function startBalancer (ports) {
  const lb = { ports: [...ports], next: 0, forwarded: {}, order: [], sockets: new Set() }
  const track = (s) => { lb.sockets.add(s); s.on('close', () => lb.sockets.delete(s)) }
  const tryPort = (port) => new Promise((resolve) => {
    const up = net.connect(port, '127.0.0.1')
    const timer = setTimeout(() => { up.destroy(); resolve(null) }, 2000)
    up.once('connect', () => { clearTimeout(timer); resolve(up) })
    up.once('error', () => { clearTimeout(timer); up.destroy(); resolve(null) })
  })
  const server = net.createServer({ pauseOnConnect: true }, async (client) => {
    track(client)
    client.on('error', () => {})
    let upstream = null
    let port = null
    for (let i = 0; i < lb.ports.length && !upstream; i++) {
      port = lb.ports[lb.next % lb.ports.length]
      lb.next++
      upstream = await tryPort(port)
    }
    if (!upstream || client.destroyed) {
      if (upstream) upstream.destroy()
      client.destroy()
      return
    }
    track(upstream)
    lb.forwarded[port] = (lb.forwarded[port] || 0) + 1
    lb.order.push(port)
    upstream.on('error', () => {})
    const closeBoth = () => { client.destroy(); upstream.destroy() }
    client.on('close', closeBoth)
    upstream.on('close', closeBoth)
    client.pipe(upstream)
    upstream.pipe(client)
    client.resume()
  })
  await new Promise((resolve, reject) => { server.once('error', reject); server.listen(0, '127.0.0.1', resolve) })
  lb.port = server.address().port
  lb.url = `ws://127.0.0.1:${lb.port}/deepstream`
  lb.close = () => new Promise((resolve) => {
    for (const s of lb.sockets) s.destroy()
    server.close(() => resolve())
  })
  return lb
}

/**
 * A TCP relay on a free 127.0.0.1 port to `port` (give it to one node as its PostgreSQL port). hold() keeps
 * what the node sends from then on (buffered here in order, nothing dropped) until release(), which
 * forwards it; replies always flow. heldText() is what was held (latin1), repliedAfterRelease the bytes
 * that came back after release().
 */
async function startRelay (port) {
  const relay = { holding: false, released: false, held: [], repliedAfterRelease: 0, pipes: new Set(), sockets: new Set() }
  const track = (s) => { relay.sockets.add(s); s.on('close', () => relay.sockets.delete(s)); s.on('error', () => {}) }
  const server = net.createServer((client) => {
    const up = net.connect(port, '127.0.0.1')
    track(client)
    track(up)
    const pipe = { up, queue: [] }
    relay.pipes.add(pipe)
    client.on('data', (d) => {
      if (relay.holding) {
        pipe.queue.push(d)
        relay.held.push(d)
      } else {
        up.write(d)
      }
    })
    up.on('data', (d) => {
      if (relay.released) relay.repliedAfterRelease += d.length
      client.write(d)
    })
    const closeBoth = () => { relay.pipes.delete(pipe); client.destroy(); up.destroy() }
    client.on('close', closeBoth)
    up.on('close', closeBoth)
  })
  await new Promise((resolve, reject) => { server.once('error', reject); server.listen(0, '127.0.0.1', resolve) })
  relay.port = server.address().port
  relay.hold = () => { relay.holding = true }
  relay.release = () => {
    relay.holding = false
    relay.released = true
    for (const pipe of relay.pipes) {
      for (const d of pipe.queue) pipe.up.write(d)
      pipe.queue = []
    }
  }
  relay.heldText = () => Buffer.concat(relay.held).toString('latin1')
  relay.close = () => new Promise((resolve) => {
    for (const s of relay.sockets) s.destroy()
    server.close(() => resolve())
  })
  return relay
}

/**
 * Runs `strata start` on `yaml` (a config that must be refused) in a temp dir; resolves with
 * {code, signal, stdout, stderr}. A process still running after `timeout` is killed and reported
 * with `stillRunning: true` (it accepted the config).
 */
async function runRefused (yaml, timeout = 20000) {
  const dir = h.makeTmpDir('strata-e2e-refused-')
  const configPath = path.join(dir, 'config.yml')
  fs.writeFileSync(configPath, yaml)
  const port = await h.freePort()
  const child = spawn(h.STRATA_BIN_PATH, ['start', '-c', configPath, '--host', '127.0.0.1', '--port', String(port)],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
  const res = { code: null, signal: null, stdout: '', stderr: '', stillRunning: false }
  child.stdout.on('data', (d) => { res.stdout += d })
  child.stderr.on('data', (d) => { res.stderr += d })
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => { res.code = code; res.signal = signal; resolve() })
    child.on('error', (e) => { res.stderr += `spawn error: ${e.message}`; res.code = -1; resolve() })
  })
  const timer = setTimeout(() => { res.stillRunning = true; child.kill('SIGKILL') }, timeout)
  await exited
  await new Promise((resolve) => setImmediate(resolve)) // let the last output chunks arrive
  clearTimeout(timer)
  return res
}

/** A record as PostgreSQL stores it (deepstream's layout: name without '/' → "ds"."default"): {version, data} or null. */
function pgRow (pgPort, name) {
  const slash = name.indexOf('/')
  const [table, id] = slash > 0 ? [name.slice(0, slash), name.slice(slash + 1)] : ['default', name]
  const sql = `SELECT version, val::text FROM "ds"."${table.replace(/["]/g, '')}" WHERE id = '${id.replace(/'/g, "''")}'`
  let out
  try {
    out = execFileSync(PSQL, ['-h', '127.0.0.1', '-p', String(pgPort), '-U', 'postgres', '-d', 'postgres',
      '-X', '-A', '-t', '-F', '\t', '-v', 'ON_ERROR_STOP=1', '-c', sql],
    { encoding: 'utf8', env: { ...process.env, PGCONNECT_TIMEOUT: '5' }, stdio: ['ignore', 'pipe', 'pipe'] })
  } catch (e) {
    if (/does not exist/.test(String(e.stderr))) return null
    throw new Error(`psql failed: ${e.stderr || e.message}`)
  }
  const line = out.replace(/\n$/, '')
  if (line === '') return null
  const tab = line.indexOf('\t')
  return { version: Number(line.slice(0, tab)), data: JSON.parse(line.slice(tab + 1)) }
}

/** The value of a Redis string key (null if missing), from backends.redisCommand's raw RESP reply. */
async function redisGet (redisPort, key) {
  const reply = await b.redisCommand(redisPort, 'GET', key)
  if (reply.startsWith('$-1')) return null
  const m = /^\$(\d+)\r\n/.exec(reply)
  if (!m) throw new Error(`unexpected Redis reply to GET ${key}: ${JSON.stringify(reply)}`)
  const body = Buffer.from(reply.slice(m[0].length), 'utf8')
  const len = Number(m[1])
  if (body.length !== len + 2) throw new Error(`incomplete Redis reply to GET ${key}`)
  return body.subarray(0, len).toString('utf8')
}

/** A record as the Redis cache holds it (`<name>_v`, `<name>_d`): {version, data} or null. */
async function redisRecord (redisPort, name) {
  const v = await redisGet(redisPort, `${name}_v`)
  const d = await redisGet(redisPort, `${name}_d`)
  if (v === null && d === null) return null
  return { version: v === null ? null : Number(v), data: d === null ? null : JSON.parse(d) }
}

/** Raw binary socket to `url`, logged in. */
async function rawAuthed (url, user) {
  const raw = await h.rawSocket(url)
  await raw.handshake({ username: user })
  return raw
}

/* ------------------------------------------------------------------ fault helpers */

/**
 * Stalls PostgreSQL writes to `table` (schema ds): a psql session as the postgres user runs
 * `BEGIN; LOCK TABLE ds."<table>" IN ACCESS EXCLUSIVE MODE` and stays open (reads of the table stall
 * too). Resolves once the lock is held, with {release(), kill(), output()}: release() commits and
 * waits for psql to exit; kill() ends psql with SIGKILL (its backend then drops the lock).
 * Both are idempotent, so a `finally` may call release() again.
 */
async function lockTable (pgPort, table = 'default', timeout = 15000) {
  const child = spawn(PSQL, ['-h', '127.0.0.1', '-p', String(pgPort), '-U', 'postgres', '-d', 'postgres',
    '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1'],
  { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, PGCONNECT_TIMEOUT: '5' } })
  let out = ''
  child.stdout.on('data', (d) => { out += d })
  child.stderr.on('data', (d) => { out += d })
  child.stdin.on('error', () => {})
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })))
  let gone = false
  exited.then(() => { gone = true })
  const quoted = table.replace(/"/g, '')
  child.stdin.write(`BEGIN;\nLOCK TABLE ds."${quoted}" IN ACCESS EXCLUSIVE MODE;\nSELECT 'strata-e2e-' || 'locked';\n`)
  try {
    await waitUntil(() => {
      if (gone) throw new Error(`psql exited before taking the lock: ${out}`)
      return out.includes('strata-e2e-locked')
    }, `psql to lock ds."${quoted}"`, timeout, 20)
  } catch (e) {
    child.kill('SIGKILL')
    throw e
  }
  const lock = {
    output: () => out,
    release: async () => {
      if (!gone) {
        child.stdin.end('COMMIT;\n\\q\n')
        await h.withTimeout(exited, 10000, 'psql to commit and exit').catch(() => child.kill('SIGKILL'))
      }
      await exited
    },
    kill: async () => {
      if (!gone) child.kill('SIGKILL')
      await exited
    }
  }
  return lock
}

/** ZCARD of the write-behind ledger (`strata:wb`): records whose latest change storage may not have yet. */
async function ledgerSize (redisPort) {
  const reply = await b.redisCommand(redisPort, 'ZCARD', 'strata:wb')
  const m = /^:(\d+)\r\n$/.exec(reply)
  if (!m) throw new Error(`unexpected Redis reply to ZCARD strata:wb: ${JSON.stringify(reply)}`)
  return Number(m[1])
}

/** The members of the write-behind ledger (at most 100), for failure messages. */
async function ledgerMembers (redisPort) {
  const reply = await b.redisCommand(redisPort, 'ZRANGE', 'strata:wb', '0', '99', 'WITHSCORES')
  return reply.split('\r\n').filter((l) => l !== '' && !/^[*$]/.test(l))
}

/** {name, cache, storage} of each name: Redis (`redisRecord`) and PostgreSQL (`pgRow`, tombstones included). */
async function storesOf (holder, names) {
  const rows = []
  for (const name of names) {
    rows.push({ name, cache: await redisRecord(holder.redis.port, name), storage: pgRow(holder.pg.port, name) })
  }
  return rows
}

/**
 * Waits (bounded) until every name is in Redis and PostgreSQL holds exactly what Redis holds, and the
 * ledger is empty. Resolves {rows, ledger} as last seen, whether or not that happened: the caller asserts.
 */
async function settleStores (holder, names, timeout = 20000) {
  let last = { rows: [], ledger: null }
  await waitUntil(async () => {
    const rows = await storesOf(holder, names)
    const ledger = await ledgerSize(holder.redis.port)
    last = { rows, ledger }
    return ledger === 0 && rows.every((r) => r.cache !== null && isDeepStrictEqual(r.storage, r.cache))
  }, 'PostgreSQL holds what Redis holds and the ledger is empty', timeout, 200).catch(() => {})
  if (last.ledger !== 0) {
    // what the sweepers judge an entry's age by
    last.ledgerMembers = await ledgerMembers(holder.redis.port)
    last.seq = await redisGet(holder.redis.port, 'strata:seq')
    const time = (await b.redisCommand(holder.redis.port, 'TIME')).split('\r\n').filter((l) => /^\d+$/.test(l))
    last.redisTimeUs = time.length === 2 ? `${time[0]}${time[1].padStart(6, '0')}` : time
  }
  return last
}

/** GET /health-check on a node's port: the status, or the error's text (connection refused, timeout). */
async function healthStatus (port, timeout = 3000) {
  try {
    const res = await h.withTimeout(h.httpGet(port, '/health-check'), timeout, 'GET /health-check')
    return res.status
  } catch (e) {
    return `error: ${e.message}`
  }
}

/** SIGTERM, waits for the exit; resolves {code, signal}. */
async function stopNode (node, timeout = 15000) {
  if (node.running) node.child.kill('SIGTERM')
  return h.withTimeout(node.exited, timeout, `node ${node.name} to exit after SIGTERM`)
}

/** Starts a stopped node again with the same config and data dir, on the same port (a balancer keeps its list). */
async function restartNode (node) {
  if (node.running) throw new Error(`node ${node.name} is still running`)
  await node.start(node.port)
  return node
}

/** The states (R, S, T, ...) of a process's threads, from /proc/<pid>/task/<tid>/stat ([] if gone). */
function threadStates (pid) {
  let tids
  try { tids = fs.readdirSync(`/proc/${pid}/task`) } catch (e) { return [] }
  const states = []
  for (const tid of tids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
      states.push(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3))
    } catch (e) { /* the thread ended */ }
  }
  return states
}

/**
 * SIGSTOP of a node's process (by pid); resolves once every thread of it is stopped (the signal is
 * delivered asynchronously: until then it may still read and answer what it is sent). It keeps its
 * sockets but does nothing until resumeNode().
 */
async function pauseNode (node) {
  process.kill(node.child.pid, 'SIGSTOP')
  await waitUntil(() => {
    const states = threadStates(node.child.pid)
    return states.length > 0 && states.every((s) => s === 'T' || s === 't')
  }, `every thread of node ${node.name} to be stopped`, 5000, 1)
}

/** SIGCONT of a paused node (harmless if it is not paused or has exited). */
function resumeNode (node) {
  try { process.kill(node.child.pid, 'SIGCONT') } catch (e) { /* gone */ }
}

/**
 * The outcome of an rpc.make() promise of the official client: {result} or {error} (the client rejects
 * with the action's name, e.g. 'NO_RPC_PROVIDER', or the provider's error payload). Not settled within
 * `timeout` (a hang): throws, naming `what`.
 */
async function rpcOutcome (promise, timeout = CLIENT_WAIT_MS, what = 'the rpc to finish') {
  const outcome = promise.then((result) => ({ result }), (error) => ({ error: error instanceof Error ? error.message : error }))
  return h.withTimeout(outcome, timeout, `${what} (a hang)`)
}

const clone = (x) => (x === undefined ? undefined : JSON.parse(JSON.stringify(x)))

module.exports = {
  SKIP,
  REGISTRY,
  CLIENT_WAIT_MS,
  within,
  waitUntil,
  untilSeen,
  clusterConfig,
  useCluster,
  startNodes,
  killNode,
  startBalancer,
  startRelay,
  runRefused,
  pgRow,
  redisGet,
  redisRecord,
  rawAuthed,
  lockTable,
  ledgerSize,
  ledgerMembers,
  storesOf,
  settleStores,
  healthStatus,
  stopNode,
  restartNode,
  pauseNode,
  resumeNode,
  rpcOutcome,
  clone
}
