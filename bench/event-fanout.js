'use strict'
/*
 * event-fanout: event fan-out benchmark over the deepstream v4+ binary protocol (raw `ws` sockets).
 *
 *   node event-fanout.js --url ws://127.0.0.1:PORT/deepstream [--pid SERVER_PID] [--label NAME] [--out result.json]
 *
 * Scenario "event" (knobs via env, see README.md):
 *   One publisher and BENCH_E_SUBS subscribers (200), each on its own connection. Every subscriber sends EVENT
 *   SUBSCRIBE [bench/e] and waits for the ack; the publisher does not subscribe. The publisher then EMITs
 *   BENCH_E_N events (20000) on bench/e with ~BENCH_E_PAYLOAD bytes of JSON data (100) that start with the
 *   sequence number, keeping at most BENCH_E_K (8) events in flight: an event is complete when every subscriber
 *   has received it. Sending stops after N events or after BENCH_DURATION seconds (20); then everything sent must
 *   be delivered (BENCH_DRAIN, BENCH_STALL as in write-fanout).
 *
 * Validation (on every message): every subscriber receives every event exactly once and in order, with the data
 *   that was sent (sequence number on every event, the whole JSON on every BENCH_DATA_EVERY-th and the last);
 *   the publisher receives nothing (the sender is excluded); no error, no other message, no socket closed, one
 *   message per frame.
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
const SUBS = Math.floor(envInt('BENCH_E_SUBS', 200))
const N = Math.floor(envInt('BENCH_E_N', 20000))
const K = Math.floor(envInt('BENCH_E_K', 8))
const PAYLOAD_BYTES = Math.floor(envInt('BENCH_E_PAYLOAD', 100, 40))
const EVENT = 'bench/e'
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
  await c.request({ topic: C.TOPIC.EVENT, action: EA.SUBSCRIBE, names: [EVENT], correlationId: c.id },
    (m) => (m.topic === C.TOPIC.EVENT && m.action === EA.SUBSCRIBE && m.isAck) ? true : undefined, `SUBSCRIBE ack for ${EVENT}`)
}

async function main () {
  const { durationMs: DURATION_MS, drainMs: DRAIN_MS, stallMs: STALL_MS, dataEvery: DATA_EVERY, pid: PID } = ctx
  const t00 = performance.now()
  const publisher = new Conn(ctx, 'p', 'publisher')
  const subs = []
  for (let s = 0; s < SUBS; s++) subs.push(new Conn(ctx, `s${s}`, 'subscriber'))
  const all = [publisher, ...subs]
  await publisher.login()
  await inBatches(subs, 20, subscribe)
  const pinger = keepAlive(all)
  const setupMs = performance.now() - t00

  const payloads = new Array(N)
  const frames = new Array(N)
  for (let i = 0; i < N; i++) {
    payloads[i] = payloadFor(i)
    frames[i] = builder.getMessage({ topic: C.TOPIC.EVENT, action: EA.EMIT, name: EVENT, data: payloads[i] }, false)
  }
  const frameBytes = frames[0].length

  const sendTime = new Float64Array(N)
  const received = new Int32Array(N) // subscribers that got event i
  const nextExpected = new Int32Array(SUBS)
  const lat = new Float64Array(N * SUBS); let latN = 0
  let sent = 0; let completed = 0; let delivered = 0
  let stopSending = false
  let t0 = 0; let tLast = 0
  let finish
  const done = new Promise((resolve) => { finish = resolve })
  const isDone = () => stopSending && completed === sent

  function pump () {
    while (!stopSending && sent < N && sent - completed < K) {
      sendTime[sent] = performance.now()
      publisher.send(frames[sent++])
    }
    if (sent === N) stopSending = true
  }

  publisher.onMessage = (m, buf) => {
    if (m.topic === C.TOPIC.EVENT && m.action === EA.EMIT) problem(`publisher: received its own event ${describe(buf)} — the sender must be excluded`)
    else problem(`publisher: unexpected message ${describe(buf)}`)
  }
  subs.forEach((s, si) => {
    s.onMessage = (m, buf) => {
      if (m.topic !== C.TOPIC.EVENT || m.action !== EA.EMIT || m.name !== EVENT || m.isError || m.dataStart < 0) {
        problem(`subscriber ${s.id}: unexpected message ${describe(buf)}`)
        return
      }
      const now = performance.now()
      const i = seqOf(buf, m.dataStart, m.dataEnd)
      const want = nextExpected[si]
      if (i !== want) { problem(`subscriber ${s.id}: got event ${i}, expected ${want} (${i >= 0 && i < want ? 'duplicate/out of order' : 'gap or bad data'})`); return }
      if (i >= sent) { problem(`subscriber ${s.id}: event ${i} that was never sent`); return }
      if ((i + 1) % DATA_EVERY === 0 || i === N - 1) {
        const data = buf.toString('utf8', m.dataStart, m.dataEnd)
        if (data !== payloads[i]) problem(`subscriber ${s.id}: event ${i} has data ${data.slice(0, 120)}, expected ${payloads[i].slice(0, 60)}...`)
      }
      nextExpected[si] = i + 1
      delivered++
      lat[latN++] = now - sendTime[i]
      tLast = now
      if (++received[i] === SUBS) {
        completed++
        if (!stopSending && now - t0 >= DURATION_MS) stopSending = true
        pump()
        if (isDone()) finish('complete')
      }
    }
  })

  const cpu0 = PID ? procCpu(PID) : null
  const client0 = process.cpuUsage()
  t0 = performance.now()
  pump()
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
    problem(`${how === 'stalled' ? `stalled (nothing received for ${STALL_MS / 1000} s)` : `not complete ${DRAIN_MS / 1000} s after the time cap`}: ${completed}/${sent} events reached every subscriber, ${delivered}/${sent * SUBS} deliveries`)
    let shown = 0
    subs.forEach((s, si) => { if (nextExpected[si] !== sent && shown++ < 10) problem(`subscriber ${s.id}: received events up to ${nextExpected[si] - 1}, publisher sent up to ${sent - 1}`) })
  }
  clearInterval(pinger)
  await endRun(ctx, all)

  const elapsedS = (t1 - t0) / 1000
  const result = {
    label: ctx.label,
    status: ctx.problems.count === 0 ? 'OK' : 'FAILED',
    problems: ctx.problems.list,
    problemCount: ctx.problems.count,
    params: { subscribers: SUBS, N, K, durationS: DURATION_MS / 1000, payloadBytes: payloads[0].length, frameBytes },
    setupMs: Math.round(setupMs),
    stoppedBy: how !== 'complete' ? how : sent === N ? 'count' : 'time cap',
    elapsedS,
    events: completed,
    deliveries: delivered,
    eventsPerS: completed / elapsedS,
    deliveriesPerS: delivered / elapsedS,
    deliveryLatencyMs: latency(lat, latN),
    clientCpu: { userMs: client1.user / 1000, sysMs: client1.system / 1000, pctOfOneCore: 100 * (client1.user + client1.system) / 1000 / (t1 - t0) }
  }
  if (PID) result.server = serverCpu(PID, cpu0, cpu1, t1 - t0, rssKb, { Event: completed, Delivery: delivered })
  return result
}

function printResult (r) {
  const lines = []
  lines.push(`== event-fanout [${r.label}]: ${r.status}`)
  lines.push(`   1 publisher x ${r.params.subscribers} subscribers, N=${r.params.N} K=${r.params.K} cap=${r.params.durationS}s payload=${r.params.payloadBytes}B frame=${r.params.frameBytes}B setup=${r.setupMs}ms stopped by ${r.stoppedBy}`)
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
