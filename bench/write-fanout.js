'use strict'
/*
 * write-fanout: record write path benchmark over the deepstream v4+ binary protocol (raw `ws` sockets).
 *
 *   node write-fanout.js --url ws://127.0.0.1:PORT/deepstream [--pid SERVER_PID] [--label NAME] [--out result.json]
 *
 * Scenario "write" (all knobs via env, see README.md):
 *   BENCH_W writers (10), each owning record `bench/w<i>`, each record with BENCH_S subscribers (10) on their own
 *   connections. Every connection (writers too) does SUBSCRIBECREATEANDREAD and waits for the READ_RESPONSE.
 *   Each writer then sends UPDATE with explicit versions base+1 .. base+N (N = BENCH_N, 2000), ~200 bytes of JSON,
 *   with `isWriteAck:true` and `correlationId` = the version, keeping at most BENCH_K (8) writes in flight:
 *   a write counts as completed when its WRITE_ACKNOWLEDGEMENT arrives. Sending stops after N writes per writer or
 *   after BENCH_DURATION seconds (20), whichever comes first; then everything sent must be acked and delivered
 *   (drain, at most BENCH_DRAIN seconds, 15; the run also ends early when nothing at all arrives for BENCH_STALL
 *   seconds, 5).
 *
 * Validation (done while measuring, on every message):
 *   - every subscriber receives every version of its record exactly once and in order (UPDATE, version = previous+1),
 *     with the expected data (the data JSON is checked on every BENCH_DATA_EVERY-th version (64) and the last one);
 *   - every write gets exactly one WRITE_ACKNOWLEDGEMENT (right name and correlationId);
 *   - a writer never receives its own UPDATE (the sender is excluded from the broadcast);
 *   - no VERSION_EXISTS, no error (isError or action >= 100), no other unexpected message, no socket closed;
 *   - one message per frame (a real client decodes only the first message of a frame).
 *   Anything missing or wrong => result FAILED (exit code 1), with the first problems listed.
 *
 * Measured phase = from the first write until the last ack and the last notification arrived. Reported:
 *   acked updates/s, delivered notifications/s, p50/p99 write->ack and write->subscriber latency (client-side
 *   timestamps), and with --pid the server's CPU (utime/stime from /proc/<pid>/stat, all threads, before/after the
 *   measured phase, converted with CLK_TCK) per update and per notification, plus its VmRSS at the end.
 */
const fs = require('fs')
const { execFileSync } = require('child_process')
const { performance } = require('perf_hooks')
const WebSocket = require('ws')
const builder = require('@deepstream/protobuf/dist/src/message-builder')
const parser = require('@deepstream/protobuf/dist/src/message-parser')
const C = require('@deepstream/protobuf/dist/types/all')

/* ------------------------------------------------------------------ options */

function argValue (name, def) {
  const i = process.argv.indexOf(name)
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def
}
function envInt (name, def, min = 1) {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return def
  const v = Number(raw)
  if (!Number.isFinite(v) || v < min) throw new Error(`${name} must be a number >= ${min}, got "${raw}"`)
  return v
}

const URL_ = argValue('--url')
const PID = argValue('--pid') ? Number(argValue('--pid')) : null
const LABEL = argValue('--label', 'server')
const OUT = argValue('--out')
const W = Math.floor(envInt('BENCH_W', 10))
const S = Math.floor(envInt('BENCH_S', 10))
const N = Math.floor(envInt('BENCH_N', 2000))
const K = Math.floor(envInt('BENCH_K', 8))
const DURATION_MS = envInt('BENCH_DURATION', 20, 0.1) * 1000
const DRAIN_MS = envInt('BENCH_DRAIN', 15, 0.1) * 1000
const SETUP_MS = envInt('BENCH_SETUP_TIMEOUT', 30, 1) * 1000
const DATA_EVERY = Math.floor(envInt('BENCH_DATA_EVERY', 64))
const PAYLOAD_BYTES = Math.floor(envInt('BENCH_PAYLOAD', 200, 60))
const STALL_MS = envInt('BENCH_STALL', 5, 0.1) * 1000
const PING_MS = 15000 // keep every connection inside the servers' heartbeat window (2 x 30 s)
const MAX_PROBLEMS = 20

if (!URL_) {
  process.stderr.write('usage: node write-fanout.js --url ws://127.0.0.1:PORT/deepstream [--pid PID] [--label NAME] [--out FILE]\n')
  process.exit(2)
}

/* ------------------------------------------------------------------ validation bookkeeping */

const problems = []
let problemCount = 0
function problem (msg) {
  problemCount++
  if (problems.length < MAX_PROBLEMS) problems.push(msg)
}

/* ------------------------------------------------------------------ minimal protobuf reader (hot path) */
// A frame is: varint length + Message { topic = 2 (varint), message = 3 (bytes) }. Only the fields this benchmark
// needs are extracted from the inner RecordMessage / ConnectionMessage / AuthMessage. Anything else (other topics,
// errors) is handed to the official parser for the problem report.

let pos = 0
function varint (buf) {
  // int32 semantics: keeps the low 32 bits (negative int32 values are 10-byte varints)
  let result = 0
  let shift = 0
  for (let i = 0; i < 10; i++) {
    const b = buf[pos++]
    if (b === undefined) throw new Error('truncated varint')
    if (shift < 32) result |= (b & 0x7f) << shift
    shift += 7
    if (b < 0x80) return result
  }
  throw new Error('varint too long')
}
function skip (buf, wireType) {
  if (wireType === 0) varint(buf)
  else if (wireType === 2) { const len = varint(buf); pos += len } else if (wireType === 1) pos += 8
  else if (wireType === 5) pos += 4
  else throw new Error(`bad wire type ${wireType}`)
}

// decoded message (reused object: fields reset per frame)
const M = { topic: 0, action: 0, name: undefined, version: undefined, correlationId: undefined, dataStart: -1, dataEnd: -1, isError: false, isWriteAck: false, trailing: 0 }

function decodeFrame (buf) {
  pos = 0
  const total = varint(buf)
  const end = pos + total
  if (end > buf.length) throw new Error('frame shorter than its length prefix')
  M.trailing = buf.length - end
  M.topic = 0; M.action = 0; M.name = undefined; M.version = undefined; M.correlationId = undefined
  M.dataStart = -1; M.dataEnd = -1; M.isError = false; M.isWriteAck = false
  let innerStart = -1; let innerEnd = -1
  while (pos < end) {
    const tag = varint(buf)
    const field = tag >>> 3; const wt = tag & 7
    if (field === 2 && wt === 0) M.topic = varint(buf)
    else if (field === 3 && wt === 2) { const len = varint(buf); innerStart = pos; innerEnd = pos + len; pos = innerEnd } else skip(buf, wt)
  }
  if (innerStart < 0) return M
  pos = innerStart
  const rec = M.topic === C.TOPIC.RECORD
  while (pos < innerEnd) {
    const tag = varint(buf)
    const field = tag >>> 3; const wt = tag & 7
    if (field === 1 && wt === 0) M.action = varint(buf)
    else if (!rec) skip(buf, wt)
    else if (field === 6 && wt === 2) { const len = varint(buf); M.name = buf.toString('utf8', pos, pos + len); pos += len } else if (field === 13 && wt === 0) M.version = varint(buf)
    else if (field === 3 && wt === 2) { const len = varint(buf); M.correlationId = buf.toString('latin1', pos, pos + len); pos += len } else if (field === 2 && wt === 2) { const len = varint(buf); M.dataStart = pos; M.dataEnd = pos + len; pos += len } else if (field === 4 && wt === 0) M.isError = varint(buf) !== 0
    else if (field === 11 && wt === 0) M.isWriteAck = varint(buf) !== 0
    else skip(buf, wt)
  }
  return M
}

function describe (buf) {
  let text
  try { text = JSON.stringify(parser.parse(buf)[0]) } catch (e) { text = `<undecodable ${buf.length} bytes>` }
  return text.length > 300 ? text.slice(0, 300) + '...' : text
}

/* ------------------------------------------------------------------ connections */

const RA = C.RECORD_ACTION
const CONSUMED = Symbol('consumed') // request() predicate: message expected, keep waiting
const sockets = []
const toBuf = (data) => Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data)

class Conn {
  constructor (id, record, role) {
    this.id = id
    this.record = record
    this.role = role // 'writer' | 'subscriber'
    this.ws = null
    this.waiter = null // setup-phase: (msg, buf) => bool (true = consumed)
    this.onMessage = null // measured-phase handler
    this.closed = false
  }

  open () {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(URL_, { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 })
      this.ws = ws
      ws.binaryType = 'nodebuffer'
      ws.once('open', resolve)
      ws.once('error', reject)
      ws.on('error', () => {})
      ws.on('close', (code) => {
        this.closed = true
        if (!shuttingDown) problem(`${this.role} ${this.id} (${this.record}): socket closed by server (code ${code})`)
        if (this.waiter) { const w = this.waiter; this.waiter = null; w(null, null) }
      })
      ws.on('message', (data, isBinary) => {
        const buf = toBuf(data)
        if (!isBinary) { problem(`${this.role} ${this.id}: text frame ${buf.toString().slice(0, 100)}`); return }
        let m
        try { m = decodeFrame(buf) } catch (e) { problem(`${this.role} ${this.id}: undecodable frame (${e.message})`); return }
        if (m.trailing !== 0) problem(`${this.role} ${this.id}: ${m.trailing} bytes after the first message of a frame (a real client drops them): ${describe(buf)}`)
        if (m.topic === C.TOPIC.CONNECTION && m.action === C.CONNECTION_ACTION.PONG) return
        if (this.onMessage) { this.onMessage(m, buf); return }
        if (this.waiter && this.waiter(m, buf)) return
        problem(`${this.role} ${this.id}: unexpected message during setup ${describe(buf)}`)
      })
    })
  }

  send (frame) { this.ws.send(frame, { binary: true }) }

  /** Sends `msg` and resolves with the first message accepted by pred (others are problems). */
  request (msg, pred, what) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.waiter = null; reject(new Error(`${this.role} ${this.id}: timed out waiting for ${what}`)) }, SETUP_MS)
      this.waiter = (m, buf) => {
        if (m === null) { clearTimeout(timer); reject(new Error(`${this.role} ${this.id}: socket closed while waiting for ${what}`)); return true }
        const r = pred(m, buf)
        if (r === undefined) return false
        if (r === CONSUMED) return true
        clearTimeout(timer)
        this.waiter = null
        resolve(r)
        return true
      }
      if (msg) this.send(builder.getMessage(msg, false))
    })
  }

  async setup (corr) {
    await this.open()
    await this.request({ topic: C.TOPIC.CONNECTION, action: C.CONNECTION_ACTION.CHALLENGE, url: URL_ },
      (m) => (m.topic === C.TOPIC.CONNECTION && m.action === C.CONNECTION_ACTION.ACCEPT) ? true : undefined, 'CONNECTION ACCEPT')
    await this.request({ topic: C.TOPIC.AUTH, action: C.AUTH_ACTION.REQUEST, data: '{}' },
      (m) => (m.topic === C.TOPIC.AUTH && m.action === C.AUTH_ACTION.AUTH_SUCCESSFUL) ? true : undefined, 'AUTH_SUCCESSFUL')
    // SUBSCRIBECREATEANDREAD: ack (echo + isAck) then READ_RESPONSE {name, version, data}
    let acked = false
    const version = await this.request(
      { topic: C.TOPIC.RECORD, action: RA.SUBSCRIBECREATEANDREAD, names: [this.record], correlationId: corr },
      (m, buf) => {
        if (m.topic !== C.TOPIC.RECORD) return undefined
        if (m.action === RA.SUBSCRIBECREATEANDREAD && !m.isError) { acked = true; return CONSUMED }
        if (m.action === RA.READ_RESPONSE && m.name === this.record) {
          if (m.version === undefined) problem(`${this.role} ${this.id}: READ_RESPONSE without version: ${describe(buf)}`)
          return m.version === undefined ? 0 : m.version
        }
        return undefined
      }, `READ_RESPONSE for ${this.record}`)
    if (!acked) problem(`${this.role} ${this.id}: no SUBSCRIBECREATEANDREAD ack before the READ_RESPONSE`)
    return version
  }
}

/* ------------------------------------------------------------------ helpers */

const CLK_TCK = (() => { try { return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100 } catch (e) { return 100 } })()

function procCpu (pid) {
  // fields after the ")" of comm: state is field 3, utime 14, stime 15
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return { utime: Number(rest[14 - 3]), stime: Number(rest[15 - 3]) }
}
function procRssKb (pid) {
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) : null
}

function percentile (sorted, p) {
  if (sorted.length === 0) return null
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p / 100 * sorted.length) - 1))
  return sorted[i]
}

function payloadFor (writer, version) {
  const head = `{"writer":${writer},"seq":${version},"ts":"bench","fill":"`
  const tail = '"}'
  const fill = Math.max(0, PAYLOAD_BYTES - head.length - tail.length)
  return head + 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(Math.ceil(fill / 36)).slice(0, fill) + tail
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

async function inBatches (items, size, fn) {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn))
}

/* ------------------------------------------------------------------ main */

let shuttingDown = false

async function main () {
  const t00 = performance.now()
  const writers = []
  const subs = [] // subs[w] = [Conn...]
  for (let w = 0; w < W; w++) {
    const record = `bench/w${w}`
    writers.push(new Conn(`w${w}`, record, 'writer'))
    subs.push([])
    for (let s = 0; s < S; s++) subs[w].push(new Conn(`w${w}s${s}`, record, 'subscriber'))
  }
  const all = [...writers, ...subs.flat()]
  sockets.push(...all)

  // ---- setup: connect, log in, subscribe (at most 20 connections at a time; no write starts before all are done)
  const baseOf = new Map()
  await inBatches(all, 20, async (c) => {
    const v = await c.setup(c.id)
    baseOf.set(c, v)
  })
  const pinger = setInterval(() => {
    const ping = builder.getMessage({ topic: C.TOPIC.CONNECTION, action: C.CONNECTION_ACTION.PING }, false)
    for (const c of all) if (!c.closed) c.send(ping)
  }, PING_MS)
  pinger.unref()
  const setupMs = performance.now() - t00

  // every connection of one record must see the same starting version
  const base = new Int32Array(W)
  for (let w = 0; w < W; w++) {
    base[w] = baseOf.get(writers[w])
    for (const s of subs[w]) {
      if (baseOf.get(s) !== base[w]) problem(`subscriber ${s.id}: READ_RESPONSE version ${baseOf.get(s)} != writer's ${base[w]}`)
    }
  }

  // ---- pre-encode every frame (the writers' hot path is one ws.send per write)
  const frames = []; const payloads = []
  for (let w = 0; w < W; w++) {
    const f = new Array(N); const p = new Array(N)
    for (let i = 0; i < N; i++) {
      const v = base[w] + 1 + i
      p[i] = payloadFor(w, v)
      f[i] = builder.getMessage({
        topic: C.TOPIC.RECORD, action: RA.UPDATE, name: writers[w].record, version: v, data: p[i], isWriteAck: true, correlationId: String(v)
      }, false)
    }
    frames.push(f); payloads.push(p)
  }
  const frameBytes = frames[0][0].length

  // ---- state for the measured phase
  const sendTime = Array.from({ length: W }, () => new Float64Array(N))
  const acked = Array.from({ length: W }, () => new Uint8Array(N))
  const sentCount = new Int32Array(W)
  const ackCount = new Int32Array(W)
  const nextExpected = subs.map((list) => new Int32Array(list.length).fill(0)) // index i = version base+1+i expected
  const ackLat = new Float64Array(W * N); let ackLatN = 0
  const subLat = new Float64Array(W * N * S); let subLatN = 0
  let totalSent = 0; let totalAcked = 0; let totalDelivered = 0
  let stopSending = false
  let t0 = 0; let tLastAck = 0; let tLastNotif = 0
  let finish
  const done = new Promise((resolve) => { finish = resolve })
  const isDone = () => stopSending && totalAcked === totalSent && totalDelivered === totalSent * S

  function pump (w) {
    const c = writers[w]
    while (!stopSending && sentCount[w] < N && sentCount[w] - ackCount[w] < K) {
      const i = sentCount[w]++
      totalSent++
      sendTime[w][i] = performance.now()
      c.send(frames[w][i])
    }
  }

  function checkStop () {
    if (stopSending) return
    let allSent = true
    for (let w = 0; w < W; w++) if (sentCount[w] < N) { allSent = false; break }
    if (allSent) stopSending = true
  }

  writers.forEach((c, w) => {
    c.onMessage = (m, buf) => {
      if (m.topic === C.TOPIC.RECORD && m.action === RA.WRITE_ACKNOWLEDGEMENT && !m.isError) {
        const now = performance.now()
        const i = Number(m.correlationId) - base[w] - 1
        if (m.name !== c.record) problem(`writer ${c.id}: ack for ${m.name}`)
        if (!m.isWriteAck) problem(`writer ${c.id}: WRITE_ACKNOWLEDGEMENT without isWriteAck: ${describe(buf)}`)
        if (!(i >= 0 && i < sentCount[w])) { problem(`writer ${c.id}: ack with unknown correlationId ${m.correlationId}`); return }
        if (acked[w][i]) { problem(`writer ${c.id}: duplicate ack for version ${base[w] + 1 + i}`); return }
        acked[w][i] = 1
        ackCount[w]++; totalAcked++
        ackLat[ackLatN++] = now - sendTime[w][i]
        tLastAck = now
        if (!stopSending && now - t0 >= DURATION_MS) stopSending = true
        pump(w)
        if (sentCount[w] === N) checkStop()
        if (isDone()) finish('complete')
        return
      }
      if (m.topic === C.TOPIC.RECORD && m.name === c.record && (m.action === RA.UPDATE || m.action === RA.PATCH)) {
        problem(`writer ${c.id}: received its own write (version ${m.version}) — the sender must be excluded`)
        return
      }
      problem(`writer ${c.id}: unexpected ${m.action === RA.VERSION_EXISTS ? 'VERSION_EXISTS' : 'message'} ${describe(buf)}`)
    }
    subs[w].forEach((s, si) => {
      const exp = nextExpected[w]
      const expectData = payloads[w]
      s.onMessage = (m, buf) => {
        if (m.topic === C.TOPIC.RECORD && m.action === RA.UPDATE && m.name === s.record && !m.isError) {
          const now = performance.now()
          const i = exp[si]
          const v = m.version
          if (v !== base[w] + 1 + i) {
            problem(`subscriber ${s.id}: got version ${v}, expected ${base[w] + 1 + i} (${v <= base[w] + i ? 'duplicate/out of order' : 'gap'})`)
            return
          }
          if (i >= sentCount[w]) { problem(`subscriber ${s.id}: version ${v} that was never sent`); return }
          if ((i + 1) % DATA_EVERY === 0 || i === N - 1) {
            const data = m.dataStart < 0 ? undefined : buf.toString('utf8', m.dataStart, m.dataEnd)
            let same = false
            try { same = data !== undefined && JSON.stringify(JSON.parse(data)) === expectData[i] } catch (e) {}
            if (!same) problem(`subscriber ${s.id}: version ${v} has data ${String(data).slice(0, 120)}, expected ${expectData[i].slice(0, 60)}...`)
          }
          exp[si] = i + 1
          totalDelivered++
          subLat[subLatN++] = now - sendTime[w][i]
          tLastNotif = now
          if (isDone()) finish('complete')
          return
        }
        problem(`subscriber ${s.id}: unexpected ${m.action === RA.VERSION_EXISTS ? 'VERSION_EXISTS' : 'message'} ${describe(buf)}`)
      }
    })
  })

  // ---- measured phase
  const cpu0 = PID ? procCpu(PID) : null
  const client0 = process.cpuUsage()
  t0 = performance.now()
  for (let w = 0; w < W; w++) pump(w)
  // time cap even when no ack arrives at all, and a hard bound for the drain
  const capTimer = setTimeout(() => { stopSending = true; if (isDone()) finish('complete') }, DURATION_MS)
  const hardTimer = setTimeout(() => finish('drain-timeout'), DURATION_MS + DRAIN_MS)
  // no ack and no notification for BENCH_STALL seconds: give up early (a lost message stalls a writer for good)
  const stallTimer = setInterval(() => {
    if (performance.now() - Math.max(t0, tLastAck, tLastNotif) > STALL_MS) finish('stalled')
  }, 250)
  const how = await done
  const t1 = performance.now()
  const cpu1 = PID ? procCpu(PID) : null
  const client1 = process.cpuUsage(client0)
  clearTimeout(capTimer); clearTimeout(hardTimer); clearInterval(stallTimer)
  const rssKb = PID ? procRssKb(PID) : null

  // ---- final validation
  if (how !== 'complete') {
    problem(`${how === 'stalled' ? `stalled (nothing received for ${STALL_MS / 1000} s)` : `not complete ${DRAIN_MS / 1000} s after the time cap`}: acked ${totalAcked}/${totalSent} writes, delivered ${totalDelivered}/${totalSent * S} notifications`)
    let shown = 0
    for (let w = 0; w < W && shown < 10; w++) {
      if (ackCount[w] !== sentCount[w]) { problem(`writer ${writers[w].id}: ${sentCount[w] - ackCount[w]} writes without ack (first missing version ${base[w] + 1 + acked[w].indexOf(0)})`); shown++ }
      subs[w].forEach((s, si) => {
        if (nextExpected[w][si] !== sentCount[w] && shown < 10) { problem(`subscriber ${s.id}: received versions up to ${base[w] + nextExpected[w][si]}, writer sent up to ${base[w] + sentCount[w]}`); shown++ }
      })
    }
  }
  // anything arriving after the end is reported too (give stragglers 200 ms)
  const after = (c) => (m, buf) => problem(`${c.role} ${c.id}: message after the end ${describe(buf)}`)
  for (const c of all) c.onMessage = after(c)
  await sleep(200)
  shuttingDown = true
  clearInterval(pinger)
  for (const c of all) { try { c.ws.terminate() } catch (e) {} }

  const elapsedS = (t1 - t0) / 1000
  const ackSorted = ackLat.slice(0, ackLatN).sort()
  const subSorted = subLat.slice(0, subLatN).sort()
  const result = {
    label: LABEL,
    status: problemCount === 0 ? 'OK' : 'FAILED',
    problems,
    problemCount,
    params: { W, S, N, K, durationS: DURATION_MS / 1000, payloadBytes: payloads[0][0].length, frameBytes },
    setupMs: Math.round(setupMs),
    stoppedBy: how !== 'complete' ? how : totalSent === W * N ? 'count' : 'time cap',
    elapsedS,
    updates: totalAcked,
    notifications: totalDelivered,
    updatesPerS: totalAcked / elapsedS,
    notificationsPerS: totalDelivered / elapsedS,
    ackLatencyMs: { p50: percentile(ackSorted, 50), p99: percentile(ackSorted, 99), max: percentile(ackSorted, 100) },
    notifyLatencyMs: { p50: percentile(subSorted, 50), p99: percentile(subSorted, 99), max: percentile(subSorted, 100) },
    clientCpu: { userMs: client1.user / 1000, sysMs: client1.system / 1000, pctOfOneCore: 100 * (client1.user + client1.system) / 1000 / (t1 - t0) }
  }
  if (PID) {
    const userUs = (cpu1.utime - cpu0.utime) * 1e6 / CLK_TCK
    const sysUs = (cpu1.stime - cpu0.stime) * 1e6 / CLK_TCK
    result.server = {
      pid: PID,
      clkTck: CLK_TCK,
      userMs: userUs / 1000,
      sysMs: sysUs / 1000,
      pctOfOneCore: 100 * (userUs + sysUs) / 1000 / (t1 - t0),
      userUsPerUpdate: totalAcked ? userUs / totalAcked : null,
      sysUsPerUpdate: totalAcked ? sysUs / totalAcked : null,
      userUsPerNotification: totalDelivered ? userUs / totalDelivered : null,
      sysUsPerNotification: totalDelivered ? sysUs / totalDelivered : null,
      rssMB: rssKb === null ? null : rssKb / 1024
    }
  }
  return result
}

function fmt (x, d = 1) { return x === null || x === undefined ? '-' : Number(x).toFixed(d) }

function printResult (r) {
  const lines = []
  lines.push(`== write-fanout [${r.label}]: ${r.status}`)
  lines.push(`   W=${r.params.W} S=${r.params.S} N=${r.params.N} K=${r.params.K} cap=${r.params.durationS}s payload=${r.params.payloadBytes}B frame=${r.params.frameBytes}B setup=${r.setupMs}ms stopped by ${r.stoppedBy}`)
  lines.push(`   ${r.updates} acked updates, ${r.notifications} notifications in ${fmt(r.elapsedS, 2)} s: ${fmt(r.updatesPerS, 0)} updates/s, ${fmt(r.notificationsPerS, 0)} notifications/s`)
  lines.push(`   write->ack ms p50 ${fmt(r.ackLatencyMs.p50, 2)} p99 ${fmt(r.ackLatencyMs.p99, 2)} max ${fmt(r.ackLatencyMs.max, 2)}; write->subscriber ms p50 ${fmt(r.notifyLatencyMs.p50, 2)} p99 ${fmt(r.notifyLatencyMs.p99, 2)} max ${fmt(r.notifyLatencyMs.max, 2)}`)
  if (r.server) {
    const s = r.server
    lines.push(`   server cpu: user ${fmt(s.userMs, 0)} ms, sys ${fmt(s.sysMs, 0)} ms (${fmt(s.pctOfOneCore, 0)}% of one core); per update user ${fmt(s.userUsPerUpdate)} us sys ${fmt(s.sysUsPerUpdate)} us; per notification user ${fmt(s.userUsPerNotification, 2)} us sys ${fmt(s.sysUsPerNotification, 2)} us; RSS ${fmt(s.rssMB)} MB`)
  }
  lines.push(`   client (node load generator) cpu: ${fmt(r.clientCpu.pctOfOneCore, 0)}% of one core`)
  for (const p of r.problems) lines.push(`   PROBLEM: ${p}`)
  if (r.problemCount > r.problems.length) lines.push(`   ... and ${r.problemCount - r.problems.length} more problems`)
  process.stdout.write(lines.join('\n') + '\n')
}

main().then((r) => {
  printResult(r)
  if (OUT) fs.writeFileSync(OUT, JSON.stringify(r, null, 2) + '\n')
  process.exit(r.status === 'OK' ? 0 : 1)
}, (err) => {
  shuttingDown = true
  process.stderr.write(`write-fanout [${LABEL}]: ${err && err.stack ? err.stack : err}\n`)
  for (const p of problems) process.stderr.write(`   PROBLEM: ${p}\n`)
  if (OUT) fs.writeFileSync(OUT, JSON.stringify({ label: LABEL, status: 'FAILED', error: String(err && err.message), problems, problemCount }, null, 2) + '\n')
  for (const c of sockets) { try { c.ws.terminate() } catch (e) {} }
  process.exit(1)
})
