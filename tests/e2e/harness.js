'use strict'
/*
 * Test harness for the strata end-to-end suite.
 *
 * Target selection (env E2E_TARGET):
 *   strata (default)  runs `$STRATA_BIN start -c <tmpdir>/config.yml --host 127.0.0.1 --port <free port>`
 *                     with cwd = <tmpdir>. STRATA_BIN defaults to ../../build/strata (relative to this folder).
 *   deepstream        runs the real @deepstream/server@7.0.2 through ref-server.js in a child node process
 *                     (in-memory cache, no storage), used to validate that the tests encode real behaviour.
 *
 * Exports: startServer, connect, rawSocket, rawTextSocket, strataOnly, test (node:test wrapper that prints the server output
 * of a failed test), cleanup, and small helpers (sleep, withTimeout, httpGet, configs, protocol constants).
 */
const { spawn } = require('child_process')
const fs = require('fs')
const net = require('net')
const os = require('os')
const path = require('path')
const nodeTest = require('node:test')
const WebSocket = require('ws')
const { DeepstreamClient } = require('@deepstream/client')
const builder = require('@deepstream/protobuf/dist/src/message-builder')
const parser = require('@deepstream/protobuf/dist/src/message-parser')
const C = require('@deepstream/protobuf/dist/types/all')

const TARGET = (process.env.E2E_TARGET || 'strata').toLowerCase()
if (TARGET !== 'strata' && TARGET !== 'deepstream') {
  throw new Error(`E2E_TARGET must be "strata" or "deepstream", got "${process.env.E2E_TARGET}"`)
}
const isStrata = TARGET === 'strata'
const STRATA_BIN = process.env.STRATA_BIN
  ? path.resolve(process.cwd(), process.env.STRATA_BIN)
  : path.resolve(__dirname, '..', '..', 'build', 'strata')

const HEALTH_TIMEOUT_MS = 20000
const STOP_GRACE_MS = 10000
const DEFAULT_WAIT_MS = 10000
const OUTPUT_LIMIT = 256 * 1024

// Configs (deepstream v7 config keys, which strata shares).
// DEFAULT_CONFIG has no keys at all: strata's defaults apply (embedded sqlite at ./data/strata.db in cwd).
const DEFAULT_CONFIG = '# strata e2e: no settings, server defaults apply\n'
const MEMORY_CONFIG = 'storage:\n  name: none\n'
const sqliteConfig = (dir) => `storage:\n  name: sqlite\n  options:\n    path: ${path.join(dir, 'strata.db')}\n`
const endpointConfig = (opts) => 'connectionEndpoints:\n  - type: ws-binary\n    options:\n      urlPath: /deepstream\n' +
  Object.entries(opts).map(([k, v]) => `      ${k}: ${v}\n`).join('')

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

function withTimeout (promise, ms, what) {
  let timer
  return Promise.race([
    promise,
    new Promise((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)
    })
  ]).finally(() => clearTimeout(timer))
}

function freePort () {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })
}

async function httpGet (port, urlPath) {
  const res = await fetch(`http://127.0.0.1:${port}${urlPath}`)
  const body = await res.text()
  return { status: res.status, body }
}

/** An https request trusting `ca` (PEM); fetch cannot take a CA. Resolves {status, body, headers}. */
function httpsRequest (port, urlPath, { ca, method = 'GET', body, headers = {} } = {}) {
  const https = require('https')
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, path: urlPath, method, ca, headers, agent: false }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (d) => { text += d })
      res.on('end', () => resolve({ status: res.statusCode, body: text, headers: res.headers }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}

/* ------------------------------------------------------------------ server processes */

const servers = new Set()
const tmpDirs = new Set()

function makeTmpDir (prefix = 'strata-e2e-') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  tmpDirs.add(dir)
  return dir
}

class ServerProcess {
  constructor (dataDir, configPath, tlsCa = null) {
    this.dataDir = dataDir
    this.configPath = configPath
    this.tlsCa = tlsCa // PEM the client trusts when the server speaks TLS (httpServer.options.ssl)
    this.child = null
    this.port = null
    this.url = null
    this.exitCode = null
    this.exitSignal = null
    this.out = ''
    this.exited = null
  }

  get running () { return this.child !== null && this.exitCode === null && this.exitSignal === null }

  log (chunk) {
    this.out += chunk
    if (this.out.length > OUTPUT_LIMIT) this.out = this.out.slice(this.out.length - OUTPUT_LIMIT)
  }

  output () { return this.out }

  command (port) {
    if (isStrata) {
      return [STRATA_BIN, ['start', '-c', this.configPath, '--host', '127.0.0.1', '--port', String(port)]]
    }
    return [process.execPath, [path.join(__dirname, 'ref-server.js'), this.configPath, String(port)]]
  }

  /** `fixedPort`: listen there (a restart on the port a balancer knows) instead of on a new free port. */
  async start (fixedPort) {
    if (this.running) throw new Error('server already running')
    if (isStrata && !fs.existsSync(STRATA_BIN)) {
      throw new Error(`strata binary not found at ${STRATA_BIN} (build it, or set STRATA_BIN)`)
    }
    const port = fixedPort || await freePort()
    this.startedAt = Date.now()
    const [cmd, args] = this.command(port)
    this.exitCode = null
    this.exitSignal = null
    this.log(`\n----- ${TARGET}: ${cmd} ${args.join(' ')} (cwd ${this.dataDir})\n`)
    const child = spawn(cmd, args, { cwd: this.dataDir, stdio: ['ignore', 'pipe', 'pipe'], env: process.env })
    this.child = child
    child.stdout.on('data', (d) => this.log(d.toString()))
    child.stderr.on('data', (d) => this.log(d.toString()))
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.exitCode = code
        this.exitSignal = signal
        this.exitedAt = Date.now()
        this.log(`----- exited: code=${code} signal=${signal}\n`)
        resolve({ code, signal })
      })
      child.on('error', (err) => {
        this.log(`----- spawn error: ${err.message}\n`)
        this.exitCode = -1
        resolve({ code: -1, signal: null })
      })
    })
    servers.add(this)
    this.port = port
    this.url = `${this.tlsCa ? 'wss' : 'ws'}://127.0.0.1:${port}/deepstream`
    const deadline = Date.now() + HEALTH_TIMEOUT_MS
    for (;;) {
      if (!this.running) {
        throw new Error(`${TARGET} exited before becoming healthy (code=${this.exitCode}, signal=${this.exitSignal})\n${this.out}`)
      }
      try {
        const res = await withTimeout(this.tlsCa ? httpsRequest(port, '/health-check', { ca: this.tlsCa }) : httpGet(port, '/health-check'), 2000, 'health-check')
        if (res.status === 200) break
      } catch (e) { /* not up yet */ }
      if (Date.now() > deadline) {
        await this.stop()
        throw new Error(`${TARGET} did not answer GET /health-check with 200 within ${HEALTH_TIMEOUT_MS} ms\n${this.out}`)
      }
      await sleep(100)
    }
    return this
  }

  /** SIGTERM, wait for exit (SIGKILL after 10 s). Resolves with the exit code (null if killed by a signal). */
  async stop () {
    if (!this.child) return this.exitCode
    if (this.running) {
      this.child.kill('SIGTERM')
      let killTimer
      const killed = new Promise((resolve) => {
        killTimer = setTimeout(() => {
          if (this.running) {
            this.log('----- did not exit within 10 s of SIGTERM: SIGKILL\n')
            this.child.kill('SIGKILL')
          }
          resolve()
        }, STOP_GRACE_MS)
      })
      await Promise.race([this.exited, killed])
      await this.exited
      clearTimeout(killTimer)
    }
    return this.exitCode
  }

  /** Stops and starts again on the same data dir and config (on a new free port: use .url/.port afterwards). */
  async restart () {
    await this.stop()
    return this.start()
  }
}

/**
 * Starts the server under test. `config` is a YAML string written to <dataDir>/config.yml (default: no settings);
 * `dataDir` defaults to a fresh temporary directory (it is also the server's cwd). `tlsCa`: the config enables TLS
 * and the health check (and `url`, then wss://) trust this PEM certificate.
 */
async function startServer ({ config, dataDir, tlsCa } = {}) {
  const dir = dataDir || makeTmpDir()
  fs.mkdirSync(dir, { recursive: true })
  const configPath = path.join(dir, 'config.yml')
  let text = config === undefined ? DEFAULT_CONFIG : config
  if (!/^(cache|storage):/m.test(text)) text += await backendsConfig()
  fs.writeFileSync(configPath, text)
  const server = new ServerProcess(dir, configPath, tlsCa)
  await server.start()
  return server
}

/* ------------------------------------------------------------------ official client */

const clients = new Set()

const DEFAULT_CLIENT_OPTIONS = {
  offlineEnabled: false,
  recordDiscardTimeout: 100,
  maxReconnectAttempts: 0
}

function newClient (url, options = {}) {
  const client = new DeepstreamClient(url, { ...DEFAULT_CLIENT_OPTIONS, ...options })
  client.errors = []
  client.on('error', (error, event, topic) => client.errors.push({ error, event, topic }))
  clients.add(client)
  return client
}

/** Creates a client for `url` (a ws:// url or 'host:port/path') and logs in (authData undefined = open login). */
async function connect (url, authData, options = {}) {
  const client = newClient(url, options)
  await withTimeout(authData === undefined ? client.login() : client.login(authData), 15000, `login to ${url}`)
  return client
}

function closeClient (client) {
  if (!clients.has(client)) return
  clients.delete(client)
  try { client.close() } catch (e) { /* already closed */ }
}

/* ------------------------------------------------------------------ raw sockets */

const rawSockets = new Set()

class RawSocket {
  constructor (ws) {
    this.ws = ws
    this.messages = [] // decoded server messages (binary frames), in arrival order
    this.textFrames = []
    this.closeCode = null
    this.waiters = new Set()
    this.opened = new Promise((resolve, reject) => {
      ws.once('open', resolve)
      ws.once('error', reject)
    })
    this.closed = new Promise((resolve) => ws.on('close', (code) => {
      this.closeCode = code
      this.wake()
      resolve(code)
    }))
    ws.on('error', () => {})
    ws.on('message', (data, isBinary) => {
      if (!isBinary) {
        this.textFrames.push(data.toString())
      } else {
        for (const msg of parser.parse(data)) {
          if (typeof msg.data === 'string') {
            try { msg.parsedData = JSON.parse(msg.data) } catch (e) { msg.parsedData = undefined }
          }
          this.messages.push(msg)
        }
      }
      this.wake()
    })
  }

  get isOpen () { return this.ws.readyState === WebSocket.OPEN }

  wake () { for (const w of this.waiters) w() }

  /** Encodes `msg` ({topic, action, ...fields}) with @deepstream/protobuf and sends it as one binary frame. */
  send (msg) { this.ws.send(builder.getMessage({ ...msg }, false), { binary: true }) }

  sendRaw (data, binary = true) { this.ws.send(data, { binary }) }

  /** Index to pass as `since` so that only later messages are considered. */
  mark () { return this.messages.length }

  find (pred, since = 0) { return this.messages.slice(since).find(pred) }

  /** Resolves with the first message (at index >= since) matching pred; rejects on timeout or close. */
  waitFor (pred, { since = 0, timeout = DEFAULT_WAIT_MS, what = 'a matching message' } = {}) {
    return new Promise((resolve, reject) => {
      let timer = null
      const check = () => {
        const found = this.find(pred, since)
        if (found) { done(); resolve(found); return }
        if (this.closeCode !== null) {
          done()
          reject(new Error(`socket closed (code ${this.closeCode}) while waiting for ${what}; got ${JSON.stringify(this.messages.slice(since))}`))
        }
      }
      const done = () => { clearTimeout(timer); this.waiters.delete(check) }
      timer = setTimeout(() => {
        done()
        reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.messages.slice(since))}`))
      }, timeout)
      this.waiters.add(check)
      check()
    })
  }

  /** Resolves with the close code; rejects if the socket is still open after `timeout`. */
  waitClosed (timeout = DEFAULT_WAIT_MS) { return withTimeout(this.closed, timeout, 'the server to close the connection') }

  /** CHALLENGE -> ACCEPT -> AUTH REQUEST -> AUTH_SUCCESSFUL. */
  async handshake (authData = {}) {
    const since = this.mark()
    this.send({ topic: C.TOPIC.CONNECTION, action: C.CONNECTION_ACTION.CHALLENGE, url: this.ws.url })
    await this.waitFor((m) => m.topic === C.TOPIC.CONNECTION && m.action === C.CONNECTION_ACTION.ACCEPT, { since, what: 'CONNECTION ACCEPT' })
    this.send({ topic: C.TOPIC.AUTH, action: C.AUTH_ACTION.REQUEST, data: JSON.stringify(authData) })
    return this.waitFor((m) => m.topic === C.TOPIC.AUTH && m.action === C.AUTH_ACTION.AUTH_SUCCESSFUL, { since, what: 'AUTH_SUCCESSFUL' })
  }

  /** PING -> PONG round trip (only answered after authentication). Resolves with the PONG. */
  ping (timeout = DEFAULT_WAIT_MS) {
    const since = this.mark()
    this.send({ topic: C.TOPIC.CONNECTION, action: C.CONNECTION_ACTION.PING })
    return this.waitFor((m) => m.topic === C.TOPIC.CONNECTION && m.action === C.CONNECTION_ACTION.PONG, { since, timeout, what: 'PONG' })
  }

  /**
   * For "the server sends nothing" checks: a PING/PONG round trip (the server answers in order) and then a
   * quiet period for asynchronous work (storage/cache) to finish. Returns the messages received since `since`.
   */
  async settle (since = 0, quietMs = 300) {
    await this.ping()
    await sleep(quietMs)
    return this.messages.slice(since)
  }

  close () {
    rawSockets.delete(this)
    try { this.ws.terminate() } catch (e) { /* ignore */ }
  }
}

/** Opens a WebSocket to `url` (default binary endpoint url of a server) and waits until it is open. */
async function rawSocket (url) {
  const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 })
  const raw = new RawSocket(ws)
  rawSockets.add(raw)
  await withTimeout(raw.opened, DEFAULT_WAIT_MS, `websocket open ${url}`)
  return raw
}

/**
 * A raw WebSocket on the legacy text endpoint. `messages` holds the server's messages split into
 * their parts (a frame may carry several; 0x1E ends a message, 0x1F separates parts).
 */
class TextSocket {
  constructor (ws) {
    this.ws = ws
    this.messages = []
    this.closeCode = null
    this.waiters = new Set()
    this.opened = new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject) })
    this.closed = new Promise((resolve) => ws.on('close', (code) => { this.closeCode = code; this.wake(); resolve(code) }))
    ws.on('error', () => {})
    ws.on('message', (data) => {
      for (const m of data.toString().split('\x1e')) {
        if (m.length > 0) this.messages.push(m.split('\x1f'))
      }
      this.wake()
    })
  }

  wake () { for (const w of this.waiters) w() }
  /** Sends one message given as its parts, e.g. send('E', 'S', 'name'). */
  send (...parts) { this.ws.send(parts.join('\x1f') + '\x1e') }
  sendRaw (text) { this.ws.send(text) }
  mark () { return this.messages.length }
  /** Messages as 'T|A|x' strings (0x1F shown as '|'), from index `since`. */
  texts (since = 0) { return this.messages.slice(since).map((m) => m.join('|')) }

  /** Resolves with the first message (as 'T|A|x' text) at index >= since equal to / matching `want`. */
  waitFor (want, { since = 0, timeout = DEFAULT_WAIT_MS } = {}) {
    const match = (t) => (typeof want === 'string' ? t === want : want.test(t))
    return new Promise((resolve, reject) => {
      let timer = null
      const check = () => {
        const found = this.texts(since).find(match)
        if (found !== undefined) { done(); resolve(found); return }
        if (this.closeCode !== null) { done(); reject(new Error(`socket closed while waiting for ${want}; got ${JSON.stringify(this.texts(since))}`)) }
      }
      const done = () => { clearTimeout(timer); this.waiters.delete(check) }
      timer = setTimeout(() => { done(); reject(new Error(`timed out waiting for ${want}; got ${JSON.stringify(this.texts(since))}`)) }, timeout)
      this.waiters.add(check)
      check()
    })
  }

  waitClosed (timeout = DEFAULT_WAIT_MS) { return withTimeout(this.closed, timeout, 'the server to close the connection') }

  /** Waits for the greeting (C|A), logs in and waits for A|A. */
  async login (authData = {}) {
    await this.waitFor('C|A')
    const since = this.mark()
    this.send('A', 'REQ', JSON.stringify(authData))
    return this.waitFor('A|A', { since })
  }

  close () {
    rawSockets.delete(this)
    try { this.ws.terminate() } catch (e) { /* ignore */ }
  }
}

/** Opens a raw WebSocket to a legacy text endpoint url and waits until it is open. */
async function rawTextSocket (url) {
  const raw = new TextSocket(new WebSocket(url, { perMessageDeflate: false }))
  rawSockets.add(raw)
  await withTimeout(raw.opened, DEFAULT_WAIT_MS, `websocket open ${url}`)
  return raw
}

/** Tries a WebSocket upgrade; resolves 'open', 'http <status>' or 'error <message>'. */
function tryUpgrade (url, timeout = DEFAULT_WAIT_MS) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { perMessageDeflate: false })
    const timer = setTimeout(() => { ws.terminate(); resolve('timeout') }, timeout)
    const finish = (r) => { clearTimeout(timer); try { ws.terminate() } catch (e) {} resolve(r) }
    ws.on('open', () => finish('open'))
    ws.on('unexpected-response', (req, res) => finish(`http ${res.statusCode}`))
    ws.on('error', (e) => finish(`error ${e.message}`))
  })
}

/* ------------------------------------------------------------------ tests & cleanup */

/** `{skip}` value for tests that only hold for strata (fixed deepstream bugs, persistence, CLI). */
function strataOnly (reason) {
  // E2E_RUN_STRATA_ONLY=1 runs them on the reference too (to see that they do fail there)
  if (isStrata || process.env.E2E_RUN_STRATA_ONLY) return false
  return `strata-only: ${reason}`
}

function dumpServerOutput (t, since) {
  for (const s of servers) {
    if (!s.running && !(s.startedAt >= since) && !(s.exitedAt >= since)) continue // not involved in this test
    const tail = s.output().slice(-16384)
    const text = `===== ${TARGET} output (port ${s.port}, dir ${s.dataDir}) =====\n${tail}\n===== end of ${TARGET} output =====`
    try { t.diagnostic(text) } catch (e) { /* ignore */ }
    process.stderr.write(text + '\n')
  }
}

/** node:test `test` with a default hang-protection timeout; on failure prints the server's output. */
function test (name, opts, fn) {
  if (typeof opts === 'function') { fn = opts; opts = {} }
  return nodeTest.test(name, { timeout: 60000, ...opts }, async (t) => {
    const since = Date.now()
    try {
      await fn(t)
    } catch (err) {
      dumpServerOutput(t, since)
      throw err
    }
  })
}

/**
 * E2E_BACKENDS=redis-postgres runs strata over a real Redis cache and PostgreSQL storage (started
 * once per test file) wherever a test leaves cache and storage to the defaults, so the same
 * records tests judge the plugin data path too.
 */
let backends = null
function backendsConfig () {
  if (!isStrata || process.env.E2E_BACKENDS !== 'redis-postgres') return ''
  if (!backends) {
    backends = (async () => {
      const b = require('./backends')
      const redis = await b.startRedis()
      const pg = await b.startPostgres()
      return {
        stop: async () => { await redis.stop(); await pg.destroy() },
        config: `cache:\n  name: redis\n  options:\n    host: 127.0.0.1\n    port: ${redis.port}\n` +
          `storage:\n  name: postgres\n  options:\n    host: 127.0.0.1\n    port: ${pg.port}\n` +
          '    user: postgres\n    database: postgres\n'
      }
    })()
  }
  return backends.then((b) => b.config)
}

/** Closes all clients and raw sockets, stops all servers, removes temp dirs. Use in `after`. */
async function cleanup () {
  for (const c of [...clients]) closeClient(c)
  for (const r of [...rawSockets]) r.close()
  await Promise.all([...servers].map((s) => s.stop()))
  servers.clear()
  if (backends) {
    const started = backends
    backends = null
    await (await started).stop()
  }
  if (!process.env.E2E_KEEP_TMP) {
    for (const d of tmpDirs) { try { fs.rmSync(d, { recursive: true, force: true }) } catch (e) { /* ignore */ } }
    tmpDirs.clear()
  }
}

/** Registers before/after hooks that start one server for the file. Returns {server, ready} (ready: promise of the server). */
function useServer (opts = {}) {
  let resolveReady, rejectReady
  const holder = { server: null }
  // other top-level before hooks may run concurrently with this one: they should await holder.ready
  holder.ready = new Promise((resolve, reject) => { resolveReady = resolve; rejectReady = reject })
  holder.ready.catch(() => {})
  nodeTest.before(async () => {
    try {
      holder.server = await startServer(opts)
      resolveReady(holder.server)
    } catch (e) {
      rejectReady(e)
      throw e
    }
  })
  nodeTest.after(async () => { await cleanup() })
  return holder
}

module.exports = {
  STRATA_BIN_PATH: STRATA_BIN,
  TARGET,
  isStrata,
  STRATA_BIN,
  C,
  DEFAULT_CONFIG,
  MEMORY_CONFIG,
  sqliteConfig,
  endpointConfig,
  sleep,
  withTimeout,
  freePort,
  httpGet,
  httpsRequest,
  makeTmpDir,
  startServer,
  newClient,
  connect,
  closeClient,
  rawSocket,
  rawTextSocket,
  tryUpgrade,
  strataOnly,
  test,
  cleanup,
  useServer
}
