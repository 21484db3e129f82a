'use strict'
/*
 * Cross-node fan-out: one writer on one node writes one record; subscribers are spread evenly over the nodes.
 *
 *   node fanout.js --writer ws://A/deepstream --nodes A=ws://A/deepstream,B=ws://B/deepstream
 *                  --pids A=<pid>,B=<pid>,redis=<pid> --subs 50 (--rate R | --closed K) --duration 15
 *                  [--record bench/fan] [--label NAME] [--out result.json]
 *
 * Threads: the writer runs on the main thread, the subscribers of each node on a worker thread of their own, so
 * that neither the writer's schedule nor one node's deliveries wait for the other's processing. They share a
 * few counters (SharedArrayBuffer): how many subscribers have seen a write, the version where the measured phase
 * starts, and per worker the last write every one of its subscribers has received.
 *
 * 1. Setup: every subscriber does SUBSCRIBECREATEANDREAD on the record; the writer too (for the version).
 * 2. Warm-up: the writer writes every 20 ms until every subscriber has received a write (subscriptions reach
 *    other nodes asynchronously in deepstream; strata's node answers once it follows the record's channel).
 * 3. Measured phase: UPDATE (no write ack) with explicit versions, data {"t":<send time, us on CLOCK_MONOTONIC>,
 *    "s":<seq>,"p":"<padding>"} (~100 bytes). --rate R: the j-th write is due at t0 + j/R (open loop; at most
 *    2000 writes not yet delivered everywhere, beyond that writes are held back and `heldBackMax` says so).
 *    --closed K: at most K writes not yet delivered to every subscriber (the maximum rate).
 *    Sending stops after --duration s; the phase ends when every subscriber has every write (drain 10 s).
 * Each subscriber checks versions: exactly once, in order, no gaps. Latency = receipt - the send time in the
 * data, per node (the writer's own node and the others: cross-node).
 * CPU (utime+stime from /proc) of every pid in --pids and of this process, before/after the measured phase.
 */
const { Worker, isMainThread, parentPort, workerData } = require('worker_threads')
const { Client, C, RA, keepAlive, inBatches, updateFrame, nowUs, sleep, percentiles } = require('./client')

const MSTART = 0; const SEEN = 1; const EPOCH = 2; const SLOT0 = 4
const RING = 1 << 16
const PAD = 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(2).slice(0, 60)

if (!isMainThread) {
  // ---- a worker: the subscribers of one node
  const { url, node, n, record, sab, slot, latCap } = workerData
  const ctl = new Int32Array(sab)
  const subs = []
  const last = new Float64Array(n)
  const seen = new Uint8Array(n)
  const cnt = new Int32Array(RING)
  const lat = new Float64Array(latCap)
  let nl = 0; let multi = 0; let delivered = 0; let missing = 0; let repeated = 0; let other = 0
  const problems = []
  const secMax = new Float64Array(120) // the largest latency in each second of the measured phase
  let tFirst = 0
  const gaps0 = [] // the gaps of subscriber 0 (as write numbers of the measured phase): for diagnosis
  const problem = (p) => { if (problems.length < 10) problems.push(`${node}: ${p}`) }
  const handler = (i) => (m, buf) => {
    if (m.trailing) { multi++; if (multi === 1) problem(`subscriber ${i}: a frame with more than one message (clients decode only the first)`) }
    if (m.topic !== C.TOPIC.RECORD || m.action !== RA.UPDATE || m.name !== record) {
      other++; problem(`subscriber ${i}: unexpected message topic ${m.topic} action ${m.action} (${RA[m.action] || ''})`); return
    }
    const v = m.version
    if (!seen[i]) { seen[i] = 1; Atomics.add(ctl, SEEN, 1) }
    const prev = last[i]
    if (v <= prev) { repeated++; problem(`subscriber ${i}: version ${v} after ${prev}`); return }
    last[i] = v
    const M = Atomics.load(ctl, MSTART)
    if (M === 0 || v < M) return
    const expected = Math.max(prev + 1, M)
    if (v > expected) {
      missing += v - expected
      problem(`subscriber ${i}: versions ${expected}..${v - 1} missing`)
      if (i === 0 && gaps0.length < 50) gaps0.push([expected - M + 1, v - M])
    }
    delivered++
    // data starts with {"t":<digits>
    let t = 0
    for (let p = m.dataStart + 5; p < m.dataEnd; p++) {
      const ch = buf[p]
      if (ch < 48 || ch > 57) break
      t = t * 10 + (ch - 48)
    }
    const now = nowUs()
    const ms = (now - t) / 1000
    if (nl < latCap) lat[nl++] = ms
    if (tFirst === 0) tFirst = now
    const sec = Math.floor((now - tFirst) / 1e6)
    if (sec < secMax.length && ms > secMax[sec]) secMax[sec] = ms
    const seq = v - M + 1
    if (++cnt[seq & (RING - 1)] === n) {
      cnt[seq & (RING - 1)] = 0
      if (seq > Atomics.load(ctl, slot)) Atomics.store(ctl, slot, seq)
      Atomics.add(ctl, EPOCH, 1)
      Atomics.notify(ctl, EPOCH)
    }
  }
  const start = async () => {
    for (let i = 0; i < n; i++) subs.push(new Client(url, `${node}s${i}`))
    await inBatches(subs.map((c, i) => [c, i]), 10, async ([c, i]) => {
      await c.connect()
      const r = await c.subscribeRead([record])
      last[i] = r.get(record).version
      c.onMessage = handler(i)
      c.onClose = () => { if (!stopping) problem(`subscriber ${i}: socket closed by the server`) }
    })
    keepAlive(subs)
    parentPort.postMessage({ type: 'ready' })
  }
  let stopping = false
  parentPort.on('message', (msg) => {
    if (msg.type !== 'finish') return
    stopping = true
    const expectedTo = msg.lastVersion
    for (let i = 0; i < n; i++) if (last[i] < expectedTo) { missing += expectedTo - last[i]; problem(`subscriber ${i}: ended at version ${last[i]}, last sent ${expectedTo}`) }
    for (const c of subs) c.terminate()
    parentPort.postMessage({ type: 'result', node, n, delivered, missing, repeated, other, latency: percentiles(lat, nl), problems, gaps0, multi, secMax: Array.from(secMax.subarray(0, Math.ceil((nowUs() - tFirst) / 1e6))).map((x) => Math.round(x * 100) / 100) })
  })
  start().catch((e) => parentPort.postMessage({ type: 'error', error: String(e && e.message) }))
} else {
  main()
}

async function main () {
  const { arg, numArg, pidsArg, sampleCpu, cpuDelta, Problems, finish, f } = require('./common')
  const problems = new Problems()
  const writerUrl = arg('--writer')
  const nodes = String(arg('--nodes', '')).split(',').filter(Boolean).map((s) => { const i = s.indexOf('='); return { node: s.slice(0, i), url: s.slice(i + 1) } })
  if (!writerUrl || !nodes.length) { process.stderr.write('usage: see the header of fanout.js\n'); process.exit(2) }
  const pids = pidsArg()
  const S = numArg('--subs', 50)
  const rate = arg('--rate') ? numArg('--rate') : null
  const K = arg('--closed') ? numArg('--closed') : null
  const D = numArg('--duration', 15)
  const record = arg('--record', 'bench/fan')
  const label = arg('--label', 'server')
  const MAXQ = 2000
  const WARM = numArg('--warmup', 2)
  const result = { scenario: 'fanout', label, status: 'OK', mode: rate ? 'paced' : 'closed', rate, K, subs: S, durationS: D, nodes: nodes.map((x) => x.node), date: new Date().toISOString() }

  const sab = new SharedArrayBuffer(4 * (SLOT0 + nodes.length))
  const ctl = new Int32Array(sab)
  const latCap = Math.ceil(4e6 / nodes.length)
  const workers = nodes.map((x, w) => {
    const n = Math.floor(S / nodes.length) + (w < S % nodes.length ? 1 : 0)
    const worker = new Worker(__filename, { workerData: { url: x.url, node: x.node, n, record, sab, slot: SLOT0 + w, latCap } })
    const ready = new Promise((resolve, reject) => {
      worker.on('message', (m) => { if (m.type === 'ready') resolve(); if (m.type === 'error') reject(new Error(`${x.node}: ${m.error}`)) })
      worker.on('error', reject)
    })
    return { ...x, n, worker, ready }
  })
  const cleanup = () => { for (const w of workers) w.worker.terminate() }
  try {
    await Promise.race([Promise.all(workers.map((w) => w.ready)), sleep(60000).then(() => { throw new Error('subscriber setup took over 60 s') })])
    const writer = new Client(writerUrl, 'writer')
    await writer.connect()
    const base = (await writer.subscribeRead([record])).get(record).version
    writer.onMessage = (m) => problems.add(`writer: unexpected message topic ${m.topic} action ${m.action} (${RA[m.action] || ''})`)
    writer.onClose = () => { if (!stopped) problems.add('writer: socket closed by the server') }
    let stopped = false
    const stopPing = keepAlive([writer])
    let version = base

    // ---- warm-up: until every subscriber has a write, then WARM s at the measured rate (closed loop: 300/s) so
    // that neither the servers nor this process (JIT) start the measured phase cold
    const warmUntil = Date.now() + 20000
    while (Atomics.load(ctl, SEEN) < S) {
      if (Date.now() > warmUntil) throw new Error(`only ${Atomics.load(ctl, SEEN)} of ${S} subscribers received a warm-up write within 20 s`)
      writer.send(updateFrame(record, ++version, '{"t":0,"s":0,"p":"warm-up"}'))
      await sleep(20)
    }
    const warmRate = rate || 300
    const tw = nowUs()
    const warmN = Math.round(warmRate * WARM)
    for (let j = 0; j < warmN;) {
      const due = Math.min(warmN, Math.floor((nowUs() - tw) / 1e6 * warmRate) + 1)
      for (; j < due; j++) writer.send(updateFrame(record, ++version, `{"t":${Math.round(nowUs())},"s":0,"p":"${PAD}"}`))
      await sleep(Math.max(0, (tw + j / warmRate * 1e6 - nowUs()) / 1000))
    }
    result.warmupWrites = version - base
    result.warmupS = WARM

    // ---- measured phase
    const M = version + 1
    Atomics.store(ctl, MSTART, M)
    let sent = 0; let heldBackMax = 0
    const lagMax = new Float64Array(Math.ceil(D) + 6)
    const completed = () => { let c = Infinity; for (let w = 0; w < nodes.length; w++) c = Math.min(c, Atomics.load(ctl, SLOT0 + w)); return c }
    const sendOne = () => {
      const seq = sent + 1
      writer.send(updateFrame(record, M + seq - 1, `{"t":${Math.round(nowUs())},"s":${seq},"p":"${PAD}"}`))
      sent = seq
    }
    const cpu0 = sampleCpu(pids)
    const t0 = nowUs()
    const endBy = t0 + D * 1e6
    await new Promise((resolve) => {
      if (rate) {
        const total = Math.round(rate * D)
        const tick = () => {
          const now = nowUs()
          const due = Math.min(total, Math.floor((now - t0) / 1e6 * rate) + 1)
          const c = completed()
          let held = false
          while (sent < due) {
            if (sent - c >= MAXQ) { held = true; heldBackMax = Math.max(heldBackMax, due - sent); break }
            // how late the writer itself is against its schedule (the write j = sent + 1 was due at t0 + sent / rate)
            const lag = (now - (t0 + sent / rate * 1e6)) / 1000
            const sec = Math.floor((now - t0) / 1e6)
            if (sec < lagMax.length && lag > lagMax[sec]) lagMax[sec] = lag
            sendOne()
          }
          if (sent >= total || now > endBy + 5e6) return resolve()
          const next = t0 + sent / rate * 1e6
          setTimeout(tick, held ? 1 : Math.max(0, (next - nowUs()) / 1000))
        }
        tick()
      } else {
        const pump = () => {
          if (nowUs() >= endBy) return resolve()
          const e = Atomics.load(ctl, EPOCH)
          const c = completed()
          while (sent - c < K) sendOne()
          const r = Atomics.waitAsync(ctl, EPOCH, e, 1000)
          if (r.async) r.value.then(pump); else setImmediate(pump)
        }
        pump()
      }
    })
    const tSent = nowUs()
    const drainBy = tSent + 10e6
    while (completed() < sent && nowUs() < drainBy) {
      const r = Atomics.waitAsync(ctl, EPOCH, Atomics.load(ctl, EPOCH), 50)
      if (r.async) await r.value
    }
    const tEnd = nowUs()
    const cpu1 = sampleCpu(pids)
    if (completed() < sent) problems.add(`drain: after 10 s only ${completed()} of ${sent} writes reached every subscriber`)
    stopped = true
    stopPing()
    writer.terminate()

    // ---- results from the workers
    const results = await Promise.all(workers.map((w) => new Promise((resolve) => {
      w.worker.on('message', (m) => { if (m.type === 'result') resolve(m) })
      w.worker.postMessage({ type: 'finish', lastVersion: M + sent - 1 })
    })))
    const elapsedS = (tEnd - t0) / 1e6
    const cpu = cpuDelta(cpu0, cpu1)
    let delivered = 0
    result.perNode = {}
    for (const r of results) {
      delivered += r.delivered
      for (const p of r.problems) problems.add(p)
      if (r.missing || r.repeated || r.other) problems.add(`${r.node}: ${r.missing} missing, ${r.repeated} repeated/out of order, ${r.other} other messages`)
      result.perNode[r.node] = { subs: r.n, delivered: r.delivered, missing: r.missing, repeated: r.repeated, gapsOfSubscriber0: r.gaps0, multiMessageFrames: r.multi, maxLatencyMsPerSecond: r.secMax, latencyMs: r.latency, cpuMs: cpu[r.node] === undefined ? null : cpu[r.node] }
    }
    for (const [k, r] of Object.entries(result.perNode)) {
      r.ctxSwitchesPerWrite = cpu[`${k}.cs`] == null ? null : cpu[`${k}.cs`] / sent
      r.cpuMsPer1000Own = r.cpuMs === null || !r.delivered ? null : r.cpuMs / r.delivered * 1000
      r.cpuMsPer1000All = r.cpuMs === null || !delivered ? null : r.cpuMs / delivered * 1000
    }
    Object.assign(result, {
      writes: sent,
      writesPerS: sent / elapsedS,
      sentPerS: sent / ((tSent - t0) / 1e6),
      delivered,
      deliveriesPerS: delivered / elapsedS,
      elapsedS,
      heldBackMax,
      sendLagMsMaxPerSecond: rate ? Array.from(lagMax.subarray(0, Math.ceil((tSent - t0) / 1e6))).map((x) => Math.round(x * 100) / 100) : null,
      writerNode: nodes.find((x) => x.url === writerUrl)?.node || null,
      redisCpuMs: cpu.redis === undefined ? null : cpu.redis,
      redisCpuMsPer1000: cpu.redis == null ? null : cpu.redis / delivered * 1000,
      redisCtxSwitchesPerWrite: cpu['redis.cs'] == null ? null : cpu['redis.cs'] / sent,
      loadAvg1: require('os').loadavg()[0],
      clientCpuMs: cpu.client,
      clientCpuMsPer1000: cpu.client / delivered * 1000
    })
    const lat = Object.entries(result.perNode).map(([k, r]) => `${k} p50/p99 ${f(r.latencyMs.p50, 2)}/${f(r.latencyMs.p99, 2)} ms`).join(', ')
    const cpus = Object.entries(result.perNode).map(([k, r]) => `${k} ${f(r.cpuMsPer1000Own, 1)}`).join(', ')
    process.stdout.write(`   fanout [${label}] ${result.mode}${rate ? ' ' + rate + '/s' : ' K=' + K}: ${f(result.writesPerS, 0)} writes/s, ${f(result.deliveriesPerS, 0)} deliveries/s; ${lat}; ` +
      `CPU ms per 1000 own deliveries ${cpus}, redis ${f(result.redisCpuMsPer1000, 2)}, client ${f(result.clientCpuMsPer1000, 1)}${heldBackMax ? `; held back up to ${heldBackMax}` : ''}\n`)
  } catch (e) {
    result.status = 'FAILED'
    result.error = String(e && e.message)
    process.stdout.write(`   fanout [${label}] FAILED: ${result.error}\n`)
  }
  cleanup()
  finish(result, problems)
  process.exit(result.status === 'OK' ? 0 : 1)
}
