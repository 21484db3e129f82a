'use strict'
/*
 * Versioned writes from both nodes on shared records.
 *
 *   node versioned.js --nodes A=ws://...,B=ws://... [--records 4] [--writers 4] [--subs 2] [--duration 15]
 *                     [--label NAME] [--out result.json]
 *
 * --writers clients per node write the same --records records bench/v<i> concurrently, each keeping one write
 * in flight per record: UPDATE with isWriteAck, version = the newest version it knows + 1 (from its own acks, the
 * UPDATEs of its subscription and the current version in VERSION_EXISTS / INVALID_VERSION), data
 * {"k":"<writer>:<n>"} unique per attempt. A rejected write is retried at once with a new version and new data;
 * a write without an answer for 5 s is given up (counted; a later ack is still an ack).
 * --subs subscribers per node, subscribed to every record, keep the history (version -> data key) they receive.
 *
 * Checks (after the run; every subscriber subscribed before the first write):
 *   order      each subscriber's versions of a record strictly increase (a repeat or a step back is a violation)
 *   duplicated two different writes acknowledged with the same (record, version), or subscribers that received
 *              different data for the same version
 *   lost       an acknowledged write whose (version, data) no subscriber received
 *   missed     an acknowledged write that some (not all) subscribers did not receive
 *   final      the record read afresh from every node at the end: all nodes agree, its version is the highest
 *              acknowledged one and its data that write's (or a newer version exists that no writer had acked)
 * Acks that reached a connection that did not send the write (deepstream 7.0.2 credits an ack to whichever
 * socket owns the record's current step) are counted as misrouted.
 */
const { Client, C, RA, keepAlive, inBatches, updateFrame, nowUs, sleep } = require('./client')
const { arg, numArg, Problems, finish, f } = require('./common')

const problems = new Problems()
const nodes = String(arg('--nodes', '')).split(',').filter(Boolean).map((s) => { const i = s.indexOf('='); return { node: s.slice(0, i), url: s.slice(i + 1) } })
if (!nodes.length) { process.stderr.write('usage: see the header of versioned.js\n'); process.exit(2) }
const R = numArg('--records', 4)
const WPN = numArg('--writers', 4)
const SPN = numArg('--subs', 2)
const D = numArg('--duration', 15)
const label = arg('--label', 'server')
const WRITE_TIMEOUT_MS = 5000
const records = Array.from({ length: R }, (_, i) => `bench/v${i}`)
const PAD = 'x'.repeat(40)

const keyOf = (buf, m) => {
  // data is {"k":"<key>", ...}
  if (m.dataStart < 0) return null
  const s = buf.toString('latin1', m.dataStart, Math.min(m.dataEnd, m.dataStart + 40))
  const r = /^\{"k":"([^"]*)"/.exec(s)
  return r ? r[1] : (s === '{}' ? '{}' : s.slice(0, 20))
}

async function main () {
  const result = { scenario: 'versioned', label, status: 'OK', records: R, writersPerNode: WPN, subsPerNode: SPN, durationS: D, nodes: nodes.map((x) => x.node), date: new Date().toISOString() }
  const counts = { sent: 0, acked: 0, conflicts: 0, invalidVersion: 0, otherErrors: 0, errorsByAction: {}, timedOut: 0, lateAcks: 0, misroutedAcks: 0, unknownAcks: 0, closed: 0 }
  const pending = new Map() // cid -> {w, name, version, key, t, state: 'pending'|'timeout'|'done'}
  const acked = [] // {name, version, key, late}
  let stopping = false
  let running = true

  // ---- subscribers
  const subs = []
  for (const x of nodes) for (let s = 0; s < SPN; s++) subs.push({ id: `${x.node}s${s}`, url: x.url })
  await inBatches(subs, 10, async (s) => {
    s.c = new Client(s.url, s.id)
    await s.c.connect()
    const got = await s.c.subscribeRead(records)
    s.last = new Map(records.map((n) => [n, got.get(n).version]))
    s.history = new Map(records.map((n) => [n, new Map()]))
    s.violations = 0
    s.c.onClose = () => { if (!stopping) problems.add(`subscriber ${s.id}: socket closed by the server`) }
    s.c.onMessage = (m, buf) => {
      if (m.topic !== C.TOPIC.RECORD || m.action !== RA.UPDATE || !s.history.has(m.name)) {
        problems.add(`subscriber ${s.id}: unexpected message topic ${m.topic} action ${m.action} (${RA[m.action] || ''}) ${m.name || ''}`)
        return
      }
      const prev = s.last.get(m.name)
      const key = keyOf(buf, m)
      if (m.version <= prev) {
        s.violations++
        problems.add(`subscriber ${s.id}: ${m.name} version ${m.version} (${key}) after ${prev}`)
      } else s.last.set(m.name, m.version)
      const h = s.history.get(m.name)
      if (h.has(m.version) && h.get(m.version) !== key) s.conflictingRepeat = (s.conflictingRepeat || 0) + 1
      if (!h.has(m.version)) h.set(m.version, key)
    }
  })

  // ---- writers
  const writers = []
  for (const x of nodes) for (let i = 0; i < WPN; i++) writers.push({ id: `${x.node}w${i}`, url: x.url, node: x.node })
  await inBatches(writers, 10, async (w) => {
    w.c = new Client(w.url, w.id)
    await w.c.connect()
    const got = await w.c.subscribeRead(records)
    w.known = new Map(records.map((n) => [n, got.get(n).version]))
    w.inflight = new Map()
    w.n = 0
    w.c.onClose = () => { counts.closed++; if (!stopping) problems.add(`writer ${w.id}: socket closed by the server`) }
    w.c.onMessage = (m, buf) => onWriterMessage(w, m, buf)
  })
  const stopPing = keepAlive([...subs.map((s) => s.c), ...writers.map((w) => w.c)])

  const bump = (w, name, v) => { if (v !== undefined && v > w.known.get(name)) w.known.set(name, v) }
  function write (w, name) {
    if (!running || w.c.closed) return
    const version = w.known.get(name) + 1
    const key = `${w.id}:${++w.n}`
    const cid = `${w.id}.${w.n}`
    const p = { w: w.id, name, version, key, t: nowUs(), state: 'pending' }
    pending.set(cid, p)
    w.inflight.set(name, cid)
    counts.sent++
    w.c.send(updateFrame(name, version, `{"k":"${key}","p":"${PAD}"}`, cid))
  }
  const settle = (w, name, cid) => {
    if (w.inflight.get(name) === cid) { w.inflight.delete(name); write(w, name) }
  }
  function onWriterMessage (w, m, buf) {
    if (m.topic !== C.TOPIC.RECORD) { problems.add(`writer ${w.id}: unexpected topic ${m.topic} action ${m.action}`); return }
    const name = m.name
    if (!w.known.has(name)) { problems.add(`writer ${w.id}: message for unknown record ${name}`); return }
    const cid = m.correlationId
    const p = cid === undefined ? undefined : pending.get(cid)
    if (m.action === RA.UPDATE) { bump(w, name, m.version); return }
    if (m.action === RA.WRITE_ACKNOWLEDGEMENT) {
      if (!p) { counts.unknownAcks++; problems.add(`writer ${w.id}: ack with unknown correlationId ${cid}`); return }
      if (p.w !== w.id) { counts.misroutedAcks++; return }
      if (p.state === 'done') { problems.add(`writer ${w.id}: second answer for ${cid}`); return }
      const late = p.state === 'timeout'
      p.state = 'done'
      if (late) counts.lateAcks++
      counts.acked++
      acked.push({ name, version: p.version, key: p.key, late })
      bump(w, name, p.version)
      settle(w, name, cid)
      return
    }
    if (m.action === RA.VERSION_EXISTS || m.action === RA.INVALID_VERSION) {
      bump(w, name, m.version)
      if (m.action === RA.VERSION_EXISTS) counts.conflicts++; else counts.invalidVersion++
      if (p && p.w === w.id) { p.state = 'done'; settle(w, name, cid) }
      return
    }
    counts.otherErrors++
    const a = RA[m.action] || String(m.action)
    counts.errorsByAction[a] = (counts.errorsByAction[a] || 0) + 1
    if (p && p.w === w.id) { p.state = 'done'; setTimeout(() => settle(w, name, cid), 50) }
  }

  // ---- run
  const t0 = nowUs()
  for (const w of writers) for (const name of records) write(w, name)
  const watchdog = setInterval(() => {
    const now = nowUs()
    for (const w of writers) {
      for (const [name, cid] of [...w.inflight]) {
        const p = pending.get(cid)
        if (p.state === 'pending' && now - p.t > WRITE_TIMEOUT_MS * 1000) { p.state = 'timeout'; counts.timedOut++; settle(w, name, cid) }
      }
    }
  }, 250)
  await sleep(D * 1000)
  running = false
  const tStop = nowUs()
  // the writes still in flight: their answers (3 s at most), then the broadcasts settle
  for (let i = 0; i < 60 && writers.some((w) => [...w.inflight.values()].some((cid) => pending.get(cid).state === 'pending')); i++) await sleep(50)
  clearInterval(watchdog)
  await sleep(1000)
  const elapsedS = (tStop - t0) / 1e6

  // ---- final state, read afresh from every node
  const finals = {}
  for (const x of nodes) {
    const c = new Client(x.url, `final-${x.node}`)
    await c.connect()
    const got = await c.subscribeRead(records)
    finals[x.node] = new Map(records.map((n) => { const g = got.get(n); return [n, { version: g.version, key: keyOf(Buffer.from(g.data), { dataStart: 0, dataEnd: g.data.length }) }] }))
    c.terminate()
  }
  stopping = true
  stopPing()
  for (const s of subs) s.c.terminate()
  for (const w of writers) w.c.terminate()

  // ---- checks
  let duplicated = 0; let lost = 0; let missed = 0; let divergent = 0
  const ackBy = new Map(records.map((n) => [n, new Map()]))
  for (const a of acked) {
    const m = ackBy.get(a.name)
    if (m.has(a.version) && m.get(a.version) !== a.key) {
      duplicated++
      if (duplicated <= 5) problems.add(`duplicated version: ${a.name} v${a.version} acknowledged for ${m.get(a.version)} and for ${a.key}`)
    } else m.set(a.version, a.key)
  }
  for (const name of records) {
    const union = new Map()
    for (const s of subs) {
      for (const [v, k] of s.history.get(name)) {
        if (union.has(v) && union.get(v) !== k) {
          divergent++
          if (divergent <= 5) problems.add(`divergent: ${name} v${v} was ${union.get(v)} at one subscriber, ${k} at ${s.id}`)
        } else union.set(v, k)
      }
    }
  }
  for (const a of acked) {
    let seenBy = 0
    for (const s of subs) if (s.history.get(a.name).get(a.version) === a.key) seenBy++
    if (seenBy === 0) {
      lost++
      if (lost <= 5) {
        const other = subs.map((s) => s.history.get(a.name).get(a.version)).find((k) => k !== undefined)
        problems.add(`lost: ${a.name} v${a.version} ${a.key} acknowledged, never received${other ? ` (subscribers got ${other} as v${a.version})` : ''}`)
      }
    } else if (seenBy < subs.length) missed++
  }
  let finalProblems = 0
  for (const name of records) {
    const m = ackBy.get(name)
    const maxAcked = m.size ? Math.max(...m.keys()) : null
    const states = nodes.map((x) => finals[x.node].get(name))
    if (states.some((s) => s.version !== states[0].version || s.key !== states[0].key)) {
      finalProblems++; problems.add(`final: ${name} differs between nodes: ${states.map((s, i) => `${nodes[i].node} v${s.version} ${s.key}`).join(', ')}`)
    }
    const fin = states[0]
    if (maxAcked !== null && fin.version < maxAcked) { finalProblems++; problems.add(`final: ${name} is v${fin.version}, behind the acknowledged v${maxAcked}`) }
    if (maxAcked !== null && fin.version === maxAcked && fin.key !== m.get(maxAcked)) { finalProblems++; problems.add(`final: ${name} v${fin.version} holds ${fin.key}, acknowledged was ${m.get(maxAcked)}`) }
    for (const s of subs) {
      if (s.last.get(name) !== fin.version) { finalProblems++; problems.add(`final: subscriber ${s.id} ended at ${name} v${s.last.get(name)}, final is v${fin.version}`) }
    }
  }
  const order = subs.reduce((n, s) => n + s.violations, 0)
  Object.assign(result, counts, {
    loadAvg1: require('os').loadavg()[0],
    elapsedS,
    ackedPerS: counts.acked / elapsedS,
    conflictsPerS: counts.conflicts / elapsedS,
    orderViolations: order,
    duplicatedVersions: duplicated,
    divergentVersions: divergent,
    lostAcked: lost,
    missedSome: missed,
    finalProblems,
    final: Object.fromEntries(records.map((n) => [n, nodes.map((x) => finals[x.node].get(n))]))
  })
  if (order || duplicated || divergent || lost || missed || finalProblems || counts.timedOut || counts.misroutedAcks || counts.unknownAcks || counts.otherErrors) result.status = 'FAILED'
  process.stdout.write(`   versioned [${label}]: ${f(result.ackedPerS, 0)} acked updates/s (${counts.acked} of ${counts.sent} writes; ${counts.conflicts} VERSION_EXISTS, ${counts.invalidVersion} INVALID_VERSION, ` +
    `${counts.otherErrors} other errors, ${counts.timedOut} unanswered, ${counts.misroutedAcks} misrouted acks); order violations ${order}, duplicated ${duplicated}, divergent ${divergent}, ` +
    `lost ${lost}, missed by some ${missed}, final-state problems ${finalProblems}\n`)
  return result
}

main().then((r) => { finish(r, problems); process.exit(r.status === 'OK' ? 0 : 1) }, (e) => {
  const r = { scenario: 'versioned', label, status: 'FAILED', error: String(e && e.message) }
  process.stdout.write(`   versioned [${label}] FAILED: ${r.error}\n`)
  finish(r, problems)
  process.exit(1)
})
