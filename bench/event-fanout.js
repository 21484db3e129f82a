'use strict'
/*
 * event-fanout: event fan-out benchmark over the deepstream v4+ binary protocol (raw `ws` sockets).
 *
 *   node event-fanout.js --url ws://127.0.0.1:PORT/deepstream [--pid SERVER_PID] [--label NAME] [--out result.json]
 *
 * Scenario "event" (knobs via env, see README.md):
 *   BENCH_E_PUBS publishers (4), publisher p emitting on event bench/e<p>, and BENCH_E_SUBS subscribers (100),
 *   each on its own connection and subscribed to every publisher's event (SUBSCRIBE, wait for the ack); the
 *   publishers do not subscribe. Each publisher EMITs BENCH_E_N events (5000) with ~BENCH_E_PAYLOAD bytes of JSON
 *   data (100) that start with the sequence number, keeping at most BENCH_E_K (8) events in flight: an event is
 *   complete when every subscriber has received it. Sending stops after N events per publisher or after
 *   BENCH_DURATION seconds (20); then everything sent must be delivered (BENCH_DRAIN, BENCH_STALL as in
 *   write-fanout).
 *
 * Validation (on every message): every subscriber receives every event of every publisher exactly once and in
 *   order, with the data that was sent (sequence number on every event, the whole JSON on every
 *   BENCH_DATA_EVERY-th and the last); publishers receive nothing (the sender is excluded, and they do not
 *   subscribe); no error, no other message, no socket closed, one message per frame.
 *
 * Measured phase = from the first EMIT until the last delivery. Reported: events/s, deliveries/s, p50/p99
 *   emit->delivery latency, and with --pid the server's CPU per event and per delivery and its VmRSS.
 */
const { performance } = require('perf_hooks')
const builder = require('@deepstream/protobuf/dist/src/message-builder')
const C = require('@deepstream/protobuf/dist/types/all')
const { envInt } = require('./lib/options')
const { Conn, keepAlive, inBatches } = require('./lib/conn')
const { describe } = require('./lib/wire')
const { procCpu, procRssKb, serverCpu, latency } = require('./lib/proc')
const { context, endRun, run, fmt } = require('./lib/scenario')

const ctx = context('event-fanout')
const PUBS = Math.floor(envInt('BENCH_E_PUBS', 4))
const SUBS = Math.floor(envInt('BENCH_E_SUBS', 100))
const N = Math.floor(envInt('BENCH_E_N', 5000))
const K = Math.floor(envInt('BENCH_E_K', 8))
const PAYLOAD_BYTES = Math.floor(envInt('BENCH_E_PAYLOAD', 100, 40))
const eventOf = (p) => `bench/e${p}`
const EA = C.EVENT_ACTION
const problem = (msg) => ctx.problems.add(msg)

// Data of event i: {"seq":i,...} padded to PAYLOAD_BYTES; the sequence number is read back without JSON.parse.
function payloadFor (i) {
  const head = `{"seq":${i},"fill":"`
  const tail = '"}'
  const fill = Math.max(0, PAYLOAD_BYTES - head.length - tail.length)
  return head + 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(Math.ceil(fill / 36)).slice(0, fill) + tail
}
const SEQ_AT = '{"seq":'.length
function seqOf (buf, start, end) {
  let v = 0
  let i = start + SEQ_AT
  for (; i < end; i++) {
    const d = buf[i] - 48
    if (d < 0 || d > 9) break
    v = v * 10 + d
  }
  return i === start + SEQ_AT ? -1 : v
}

async function subscribe (c) {
  await c.login()
  const names = Array.from({ length: PUBS }, (_, p) => eventOf(p))
  await c.request({ topic: C.TOPIC.EVENT, action: EA.SUBSCRIBE, names, correlationId: c.id },
    (m) => (m.topic === C.TOPIC.EVENT && m.action === EA.SUBSCRIBE && m.isAck) ? true : undefined, 'SUBSCRIBE ack')
}

async function main () {
  const { durationMs: DURATION_MS, drainMs: DRAIN_MS, stallMs: STALL_MS, dataEvery: DATA_EVERY, pid: PID } = ctx
  const t00 = performance.now()
  const pubs = Array.from({ length: PUBS }, (_, p) => new Conn(ctx, `p${p}`, 'publisher'))
  const subs = Array.from({ length: SUBS }, (_, s) => new Conn(ctx, `s${s}`, 'subscriber'))
  const all = [...pubs, ...subs]
  await inBatches(pubs, 20, (c) => c.login())
  await inBatches(subs, 20, subscribe)
  const pinger = keepAlive(all)
  const setupMs = performance.now() - t00

  const payloads = Array.from({ length: N }, (_, i) => payloadFor(i))
  const frames = pubs.map((_, p) => payloads.map((data) =>
    builder.getMessage({ topic: C.TOPIC.EVENT, action: EA.EMIT, name: eventOf(p), data }, false)))
  const frameBytes = frames[0][0].length
  const pubOf = new Map(pubs.map((_, p) => [eventOf(p), p]))

  // per publisher p: sendTime[p][i], received[p][i] = subscribers that got event i, sent/completed counts;
  // nextExpected[p][s] = the next sequence number subscriber s must get from publisher p
  const sendTime = pubs.map(() => new Float64Array(N))
  const received = pubs.map(() => new Int32Array(N))
  const sent = new Int32Array(PUBS)
  const completed = new Int32Array(PUBS)
  const nextExpected = pubs.map(() => new Int32Array(SUBS))
  const lat = new Float64Array(PUBS * N * SUBS); let latN = 0
  let totalSent = 0; let totalCompleted = 0; let delivered = 0
  let stopSending = false
  let t0 = 0; let tLast = 0
  let finish
  const done = new Promise((resolve) => { finish = resolve })
  const isDone = () => stopSending && totalCompleted === totalSent

  function pump (p) {
    while (!stopSending && sent[p] < N && sent[p] - completed[p] < K) {
      sendTime[p][sent[p]] = performance.now()
      pubs[p].send(frames[p][sent[p]++])
      totalSent++
    }
    if (!stopSending && sent.every((n) => n === N)) stopSending = true
  }

  for (const c of pubs) {
    c.onMessage = (m, buf) => {
      if (m.topic === C.TOPIC.EVENT && m.action === EA.EMIT) c.problem(`received an event ${describe(buf)} (publishers do not subscribe; the sender must be excluded)`)
      else c.problem(`unexpected message ${describe(buf)}`)
    }
  }
  subs.forEach((s, si) => {
    s.onMessage = (m, buf) => {
      const p = m.topic === C.TOPIC.EVENT && m.action === EA.EMIT && !m.isError && m.dataStart >= 0 ? pubOf.get(m.name) : undefined
      if (p === undefined) { s.problem(`unexpected message ${describe(buf)}`); return }
      const now = performance.now()
      const i = seqOf(buf, m.dataStart, m.dataEnd)
      const want = nextExpected[p][si]
      if (i !== want) { s.problem(`got event ${i} of ${m.name}, expected ${want} (${i >= 0 && i < want ? 'duplicate/out of order' : 'gap or bad data'})`); return }
      if (i >= sent[p]) { s.problem(`event ${i} of ${m.name} that was never sent`); return }
      if ((i + 1) % DATA_EVERY === 0 || i === N - 1) {
        const data = buf.toString('utf8', m.dataStart, m.dataEnd)
        if (data !== payloads[i]) s.problem(`event ${i} of ${m.name} has data ${data.slice(0, 120)}, expected ${payloads[i].slice(0, 60)}...`)
      }
      nextExpected[p][si] = i + 1
      delivered++
      lat[latN++] = now - sendTime[p][i]
      tLast = now
      if (++received[p][i] === SUBS) {
        completed[p]++; totalCompleted++
        if (!stopSending && now - t0 >= DURATION_MS) stopSending = true
        pump(p)
        if (isDone()) finish('complete')
      }
    }
  })

  const cpu0 = PID ? procCpu(PID) : null
  const client0 = process.cpuUsage()
  t0 = performance.now()
  for (let p = 0; p < PUBS; p++) pump(p)
  const capTimer = setTimeout(() => { stopSending = true; if (isDone()) finish('complete') }, DURATION_MS)
  const hardTimer = setTimeout(() => finish('drain-timeout'), DURATION_MS + DRAIN_MS)
  const stallTimer = setInterval(() => { if (performance.now() - Math.max(t0, tLast) > STALL_MS) finish('stalled') }, 250)
  const how = await done
  const t1 = performance.now()
  const cpu1 = PID ? procCpu(PID) : null
  const client1 = process.cpuUsage(client0)
  clearTimeout(capTimer); clearTimeout(hardTimer); clearInterval(stallTimer)
  const rssKb = PID ? procRssKb(PID) : null

  if (how !== 'complete') {
    problem(`${how === 'stalled' ? `stalled (nothing received for ${STALL_MS / 1000} s)` : `not complete ${DRAIN_MS / 1000} s after the time cap`}: ${totalCompleted}/${totalSent} events reached every subscriber, ${delivered}/${totalSent * SUBS} deliveries`)
    let shown = 0
    for (let p = 0; p < PUBS; p++) {
      subs.forEach((s, si) => { if (nextExpected[p][si] !== sent[p] && shown++ < 10) s.problem(`received events of ${eventOf(p)} up to ${nextExpected[p][si] - 1}, publisher sent up to ${sent[p] - 1}`) })
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
    params: { publishers: PUBS, subscribers: SUBS, N, K, durationS: DURATION_MS / 1000, payloadBytes: payloads[0].length, frameBytes },
    setupMs: Math.round(setupMs),
    stoppedBy: how !== 'complete' ? how : totalSent === PUBS * N ? 'count' : 'time cap',
    elapsedS,
    events: totalCompleted,
    deliveries: delivered,
    eventsPerS: totalCompleted / elapsedS,
    deliveriesPerS: delivered / elapsedS,
    deliveryLatencyMs: latency(lat, latN),
    clientCpu: { userMs: client1.user / 1000, sysMs: client1.system / 1000, pctOfOneCore: 100 * (client1.user + client1.system) / 1000 / (t1 - t0) }
  }
  if (PID) result.server = serverCpu(PID, cpu0, cpu1, t1 - t0, rssKb, { Event: totalCompleted, Delivery: delivered })
  return result
}

function printResult (r) {
  const lines = []
  lines.push(`== event-fanout [${r.label}]: ${r.status}`)
  lines.push(`   ${r.params.publishers} publishers x ${r.params.subscribers} subscribers, N=${r.params.N} K=${r.params.K} cap=${r.params.durationS}s payload=${r.params.payloadBytes}B frame=${r.params.frameBytes}B setup=${r.setupMs}ms stopped by ${r.stoppedBy}`)
  lines.push(`   ${r.events} events, ${r.deliveries} deliveries in ${fmt(r.elapsedS, 2)} s: ${fmt(r.eventsPerS, 0)} events/s, ${fmt(r.deliveriesPerS, 0)} deliveries/s`)
  lines.push(`   emit->subscriber ms p50 ${fmt(r.deliveryLatencyMs.p50, 2)} p99 ${fmt(r.deliveryLatencyMs.p99, 2)} max ${fmt(r.deliveryLatencyMs.max, 2)}`)
  if (r.server) {
    const s = r.server
    lines.push(`   server cpu: user ${fmt(s.userMs, 0)} ms, sys ${fmt(s.sysMs, 0)} ms (${fmt(s.pctOfOneCore, 0)}% of one core); per delivery user ${fmt(s.userUsPerDelivery, 2)} us sys ${fmt(s.sysUsPerDelivery, 2)} us; RSS ${fmt(s.rssMB)} MB`)
  }
  lines.push(`   client (node load generator) cpu: ${fmt(r.clientCpu.pctOfOneCore, 0)}% of one core`)
  process.stdout.write(lines.join('\n') + '\n')
}

run(ctx, main, printResult)
