'use strict'
/*
 * Failover: writers behind a round-robin TCP balancer in front of two nodes; node A is killed (SIGKILL) mid-run.
 *
 *   node failover.js --ports <portA>,<portB> --kill-pid <pid of A> --survivor ws://B/deepstream
 *                    [--writers 8] [--kill-at 5] [--duration 15] [--label NAME] [--out result.json]
 *   node failover.js --pg-check <psql output: "id version" lines> --out result.json    (adds PostgreSQL's view)
 *
 * The balancer (in this process, 127.0.0.1, free port) sends each new connection to the next port in turn and
 * skips a port that refuses or does not connect within 1 s. Writer i owns record bench/fo<i>: it subscribes
 * (SUBSCRIBECREATEANDREAD: the current version), then writes version+1, +2, ... one at a time with a write ack,
 * data {"n":<version>,"w":<i>}. When its socket closes (or a write stays unanswered for 3 s: the socket is then
 * dropped) it reconnects through the balancer every 100 ms, reads the record again and continues from the
 * version it reads. An acknowledged version that the re-read does not show is an acked write lost at reconnect.
 *
 * Reported: acked writes (before / after the kill), per writer the time from the kill until the first ack of a
 * write sent after the kill (the largest = "every client writing again"), the longest gap between two acks,
 * reconnects, errors; at the end every record read through node B directly: final version vs the last acked
 * version (lost = acked versions the final state does not hold; data checked too).
 */
const fs = require('fs')
const net = require('net')
const { Client, C, RA, updateFrame, nowUs, sleep } = require('./client')
const { arg, numArg, Problems, finish, f } = require('./common')

if (arg('--pg-check')) {
  // ---- the PostgreSQL view, after both nodes stopped
  const out = arg('--out')
  const r = JSON.parse(fs.readFileSync(out, 'utf8'))
  let text = ''
  try { text = fs.readFileSync(arg('--pg-check'), 'utf8') } catch (e) {}
  const pg = new Map(text.split('\n').filter(Boolean).map((l) => { const [id, v] = l.trim().split(/\s+/); return [`bench/${id}`, Number(v)] }))
  if (r.records) {
    let behind = 0; let missing = 0
    for (const rec of r.records) {
      const v = pg.get(rec.name)
      if (v === undefined) { if (rec.lastAck > 0) missing++ } else if (v < rec.lastAck) behind += rec.lastAck - v
      rec.pgVersion = v === undefined ? null : v
    }
    r.pg = { rows: pg.size, recordsMissing: missing, ackedVersionsBehind: behind }
    fs.writeFileSync(out, JSON.stringify(r, null, 2) + '\n')
    process.stdout.write(`   failover [${r.label}] PostgreSQL after both nodes stopped: ${pg.size} rows, ${missing} records missing, ${behind} acked versions behind\n`)
  }
  process.exit(0)
}

const problems = new Problems()
const ports = String(arg('--ports', '')).split(',').filter(Boolean).map(Number)
const killPid = Number(arg('--kill-pid', 0))
const survivor = arg('--survivor')
const W = numArg('--writers', 8)
const KILL_AT = numArg('--kill-at', 5)
const D = numArg('--duration', 15)
const label = arg('--label', 'server')
const WRITE_TIMEOUT_MS = 3000
if (ports.length < 2 || !killPid || !survivor) { process.stderr.write('usage: see the header of failover.js\n'); process.exit(2) }

function startBalancer (targets) {
  const lb = { next: 0, sockets: new Set() }
  const tryPort = (port) => new Promise((resolve) => {
    const up = net.connect(port, '127.0.0.1')
    const timer = setTimeout(() => { up.destroy(); resolve(null) }, 1000)
    up.once('connect', () => { clearTimeout(timer); resolve(up) })
    up.once('error', () => { clearTimeout(timer); up.destroy(); resolve(null) })
  })
  const server = net.createServer({ pauseOnConnect: true }, async (client) => {
    lb.sockets.add(client)
    client.on('close', () => lb.sockets.delete(client))
    client.on('error', () => {})
    let up = null
    for (let i = 0; i < targets.length && !up; i++) up = await tryPort(targets[lb.next++ % targets.length])
    if (!up || client.destroyed) { if (up) up.destroy(); client.destroy(); return }
    lb.sockets.add(up)
    up.on('close', () => lb.sockets.delete(up))
    up.on('error', () => {})
    client.port = up.remotePort
    const both = () => { client.destroy(); up.destroy() }
    client.on('close', both)
    up.on('close', both)
    client.pipe(up)
    up.pipe(client)
    client.resume()
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      lb.url = `ws://127.0.0.1:${server.address().port}/deepstream`
      lb.close = () => { for (const s of lb.sockets) s.destroy(); server.close() }
      resolve(lb)
    })
  })
}

async function main () {
  const result = { scenario: 'failover', label, status: 'OK', writers: W, killAtS: KILL_AT, durationS: D, date: new Date().toISOString() }
  const lb = await startBalancer(ports)
  let running = true
  let t0 = 0; let tKill = null
  const counts = { acked: 0, ackedBeforeKill: 0, conflicts: 0, errors: 0, errorsByAction: {}, reconnects: 0, failedConnects: 0, timeouts: 0, inDoubt: 0, lostAtReconnect: 0 }
  const writers = Array.from({ length: W }, (_, i) => ({
    i, name: `bench/fo${i}`, c: null, version: 0, lastAck: 0, inflight: null, n: 0,
    lastAckAt: null, maxGapMs: 0, firstAckAfterKill: null, closes: 0
  }))

  function send (w) {
    if (!running || !w.c || w.c.closed || w.inflight) return
    const v = w.version + 1
    const cid = String(++w.n)
    w.inflight = { v, cid, t: nowUs() }
    w.c.send(updateFrame(w.name, v, `{"n":${v},"w":${w.i}}`, cid))
  }
  function onMessage (w, c, m) {
    if (c !== w.c) return
    if (m.topic !== C.TOPIC.RECORD || m.name !== w.name) { problems.add(`writer ${w.i}: unexpected topic ${m.topic} action ${m.action} ${m.name || ''}`); return }
    const p = w.inflight
    if (m.action === RA.WRITE_ACKNOWLEDGEMENT) {
      if (!p || m.correlationId !== p.cid) { problems.add(`writer ${w.i}: ack for ${m.correlationId}, in flight ${p && p.cid}`); return }
      const now = nowUs()
      counts.acked++
      if (tKill === null) counts.ackedBeforeKill++
      if (w.lastAckAt !== null) w.maxGapMs = Math.max(w.maxGapMs, (now - w.lastAckAt) / 1000)
      w.lastAckAt = now
      w.lastAck = w.version = p.v
      if (tKill !== null && w.firstAckAfterKill === null && p.t > tKill) w.firstAckAfterKill = (now - tKill) / 1e6
      w.inflight = null
      send(w)
      return
    }
    if (m.action === RA.UPDATE) { if (m.version > w.version) w.version = m.version; return }
    if (m.action === RA.VERSION_EXISTS) {
      counts.conflicts++
      if (m.version > w.version) w.version = m.version
    } else {
      counts.errors++
      const a = RA[m.action] || String(m.action)
      counts.errorsByAction[a] = (counts.errorsByAction[a] || 0) + 1
    }
    if (p && m.correlationId === p.cid) { w.inflight = null; setTimeout(() => send(w), m.action === RA.VERSION_EXISTS ? 0 : 100) }
  }
  async function connect (w, first) {
    for (;;) {
      if (!running) return
      const c = new Client(lb.url, `fo${w.i}`)
      try {
        await c.connect(3000)
        const got = (await c.subscribeRead([w.name], 3000)).get(w.name)
        if (got.version < w.lastAck) {
          counts.lostAtReconnect += w.lastAck - got.version
          problems.add(`writer ${w.i}: reconnected and read v${got.version}, but v${w.lastAck} had been acknowledged`)
        }
        w.version = got.version
        w.c = c
        c.onMessage = (m) => onMessage(w, c, m)
        c.onClose = () => { if (w.c === c) lost(w) }
        if (!first) counts.reconnects++
        send(w)
        return
      } catch (e) {
        c.terminate()
        counts.failedConnects++
        if (first) throw e
        await sleep(100)
      }
    }
  }
  function lost (w) {
    if (!running) return
    w.closes++
    if (w.inflight) { counts.inDoubt++; w.inflight = null }
    w.c = null
    setTimeout(() => connect(w, false), 100)
  }

  // initial connections one after the other: the balancer alternates A, B, A, B, ...
  for (const w of writers) await connect(w, true)
  result.initialSplit = { A: writers.filter((_, i) => i % 2 === 0).length, B: writers.filter((_, i) => i % 2 === 1).length }
  t0 = nowUs()
  const watchdog = setInterval(() => {
    const now = nowUs()
    for (const w of writers) {
      if (w.c && w.inflight && now - w.inflight.t > WRITE_TIMEOUT_MS * 1000) {
        counts.timeouts++
        const c = w.c
        lost(w) // treat as a dead connection: reconnect
        c.terminate()
      }
    }
  }, 200)
  await sleep(KILL_AT * 1000)
  try { process.kill(killPid, 'SIGKILL') } catch (e) { problems.add(`kill -9 ${killPid}: ${e.message}`) }
  tKill = nowUs()
  await sleep((D - KILL_AT) * 1000)
  running = false
  const tStop = nowUs()
  for (let i = 0; i < 60 && writers.some((w) => w.inflight && w.c); i++) await sleep(50)
  clearInterval(watchdog)
  for (const w of writers) if (w.c) w.c.terminate()
  lb.close()

  // ---- final state through the survivor
  const reader = new Client(survivor, 'final')
  await reader.connect()
  const finals = await reader.subscribeRead(writers.map((w) => w.name))
  reader.terminate()
  let lostAcked = 0; let dataWrong = 0
  result.records = writers.map((w) => {
    const fin = finals.get(w.name)
    let n = null
    try { n = JSON.parse(fin.data).n } catch (e) {}
    if (fin.version < w.lastAck) { lostAcked += w.lastAck - fin.version; problems.add(`${w.name}: final v${fin.version}, last acked v${w.lastAck}`) }
    if (n !== fin.version) { dataWrong++; problems.add(`${w.name}: final v${fin.version} holds data of v${n}`) }
    return { name: w.name, lastAck: w.lastAck, finalVersion: fin.version, finalDataVersion: n, closes: w.closes, firstAckAfterKillS: w.firstAckAfterKill, maxAckGapMs: w.maxGapMs }
  })
  const rec = writers.map((w) => w.firstAckAfterKill)
  const notRecovered = rec.filter((x) => x === null).length
  Object.assign(result, counts, {
    loadAvg1: require('os').loadavg()[0],
    ackedAfterKill: counts.acked - counts.ackedBeforeKill,
    ackedPerSBeforeKill: counts.ackedBeforeKill / KILL_AT,
    ackedPerSAfterKill: (counts.acked - counts.ackedBeforeKill) / ((tStop - tKill) / 1e6),
    writersDisconnected: writers.filter((w) => w.closes > 0).length,
    recoveryS: notRecovered ? null : Math.max(...rec),
    recoveryOfDisconnectedS: (() => { const x = writers.filter((w) => w.closes > 0).map((w) => w.firstAckAfterKill); return x.length && !x.includes(null) ? Math.max(...x) : null })(),
    notRecovered,
    maxAckGapMs: Math.max(...writers.map((w) => w.maxGapMs)),
    lostAcked,
    dataWrong
  })
  if (lostAcked || dataWrong || counts.lostAtReconnect || notRecovered) result.status = 'FAILED'
  process.stdout.write(`   failover [${label}]: ${counts.acked} acked (${f(result.ackedPerSBeforeKill, 0)}/s before the kill, ${f(result.ackedPerSAfterKill, 0)}/s after); ` +
    `${result.writersDisconnected} writers disconnected, ${counts.reconnects} reconnects; every writer acked again after ${f(result.recoveryS, 2)} s ` +
    `(${notRecovered} never); longest ack gap ${f(result.maxAckGapMs, 0)} ms; lost acked: ${lostAcked} (final read), ${counts.lostAtReconnect} (at reconnect); ` +
    `${counts.inDoubt} writes in doubt, ${counts.timeouts} timeouts, ${counts.conflicts} VERSION_EXISTS, ${counts.errors} errors\n`)
  return result
}

main().then((r) => { finish(r, problems); process.exit(r.status === 'OK' ? 0 : 1) }, (e) => {
  const r = { scenario: 'failover', label, status: 'FAILED', error: String(e && e.message) }
  process.stdout.write(`   failover [${label}] FAILED: ${r.error}\n`)
  finish(r, problems)
  process.exit(1)
})
