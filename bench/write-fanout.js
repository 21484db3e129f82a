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
const { performance } = require('perf_hooks')
const builder = require('@deepstream/protobuf/dist/src/message-builder')
const C = require('@deepstream/protobuf/dist/types/all')
const { envInt } = require('./lib/options')
const { Conn, CONSUMED, keepAlive, inBatches } = require('./lib/conn')
const { describe } = require('./lib/wire')
const { procCpu, procRssKb, serverCpu, latency } = require('./lib/proc')
const { context, endRun, run, fmt } = require('./lib/scenario')

const ctx = context('write-fanout')
const W = Math.floor(envInt('BENCH_W', 10))
const S = Math.floor(envInt('BENCH_S', 10))
const N = Math.floor(envInt('BENCH_N', 2000))
const K = Math.floor(envInt('BENCH_K', 8))
const PAYLOAD_BYTES = Math.floor(envInt('BENCH_PAYLOAD', 200, 60))
const RA = C.RECORD_ACTION
const problem = (msg) => ctx.problems.add(msg)

// SUBSCRIBECREATEANDREAD on the connection's record: ack (echo + isAck), then READ_RESPONSE; resolves the version.
async function subscribeAndRead (c, record) {
  await c.login()
  let acked = false
  const version = await c.request(
    { topic: C.TOPIC.RECORD, action: RA.SUBSCRIBECREATEANDREAD, names: [record], correlationId: c.id },
    (m, buf) => {
      if (m.topic !== C.TOPIC.RECORD) return undefined
      if (m.action === RA.SUBSCRIBECREATEANDREAD && !m.isError) { acked = true; return CONSUMED }
      if (m.action === RA.READ_RESPONSE && m.name === record) {
        if (m.version === undefined) c.problem(`READ_RESPONSE without version: ${describe(buf)}`)
        return m.version === undefined ? 0 : m.version
      }
      return undefined
    }, `READ_RESPONSE for ${record}`)
  if (!acked) c.problem('no SUBSCRIBECREATEANDREAD ack before the READ_RESPONSE')
  return version
}


function payloadFor (writer, version) {
  const head = `{"writer":${writer},"seq":${version},"ts":"bench","fill":"`
  const tail = '"}'
  const fill = Math.max(0, PAYLOAD_BYTES - head.length - tail.length)
  return head + 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(Math.ceil(fill / 36)).slice(0, fill) + tail
}

async function main () {
  const { durationMs: DURATION_MS, drainMs: DRAIN_MS, stallMs: STALL_MS, dataEvery: DATA_EVERY, pid: PID } = ctx
  const t00 = performance.now()
  const writers = []
  const subs = [] // subs[w] = [Conn...]
  for (let w = 0; w < W; w++) {
    const record = `bench/w${w}`
    writers.push(Object.assign(new Conn(ctx, `w${w}`, 'writer'), { record }))
    subs.push([])
    for (let s = 0; s < S; s++) subs[w].push(Object.assign(new Conn(ctx, `w${w}s${s}`, 'subscriber'), { record }))
  }
  const all = [...writers, ...subs.flat()]

  // ---- setup: connect, log in, subscribe (at most 20 connections at a time; no write starts before all are done)
  const baseOf = new Map()
  await inBatches(all, 20, async (c) => {
    baseOf.set(c, await subscribeAndRead(c, c.record))
  })
  const pinger = keepAlive(all)
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
  clearInterval(pinger)
  await endRun(ctx, all)

  const elapsedS = (t1 - t0) / 1000
  const result = {
    label: ctx.label,
    status: ctx.problems.count === 0 ? 'OK' : 'FAILED',
    problems: ctx.problems.list,
    problemCount: ctx.problems.count,
    params: { W, S, N, K, durationS: DURATION_MS / 1000, payloadBytes: payloads[0][0].length, frameBytes },
    setupMs: Math.round(setupMs),
    stoppedBy: how !== 'complete' ? how : totalSent === W * N ? 'count' : 'time cap',
    elapsedS,
    updates: totalAcked,
    notifications: totalDelivered,
    updatesPerS: totalAcked / elapsedS,
    notificationsPerS: totalDelivered / elapsedS,
    ackLatencyMs: latency(ackLat, ackLatN),
    notifyLatencyMs: latency(subLat, subLatN),
    clientCpu: { userMs: client1.user / 1000, sysMs: client1.system / 1000, pctOfOneCore: 100 * (client1.user + client1.system) / 1000 / (t1 - t0) }
  }
  if (PID) result.server = serverCpu(PID, cpu0, cpu1, t1 - t0, rssKb, { Update: totalAcked, Notification: totalDelivered })
  return result
}

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
  process.stdout.write(lines.join('\n') + '\n')
}

run(ctx, main, printResult)
