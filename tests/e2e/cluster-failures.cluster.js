'use strict'
// Cluster mode (strata-only; `npm run test:cluster`): faults of CLUSTER.md §4, each judged by what the
// stores and the clients hold afterwards, never by timing:
//   - a writer killed (-9) while storage is stalled: the other nodes' sweepers store its writes;
//   - a delete racing an in-flight set: nothing resurrects the record;
//   - a node paused (SIGSTOP) past its lease while its storage write is in flight: the late write is fenced;
//   - Redis restarted empty: writes fail (not hang) meanwhile, /health-check says so, subscribers converge;
//   - a rolling restart (SIGTERM, start again on the same port) under write load: no acknowledged write lost.
// Storage is stalled by a psql session holding ACCESS EXCLUSIVE on ds."default" (plain record names live
// there). While it is held, nothing here reads PostgreSQL (that would stall too), and no record is created
// (a new record's first write reads storage): records are created before the stall.
const assert = require('node:assert/strict')
const { isDeepStrictEqual } = require('util')
const h = require('./harness')
const cl = require('./cluster')

const SKIP = cl.SKIP
const cluster = cl.useCluster()
const SETTLE_MS = 20000 // bound for storage to converge once a fault is over
let seq = 0
const uniq = (prefix) => `flt-${prefix}-${process.pid}-${++seq}` // no '/': table ds."default"

/** Logs every subscribe callback of `record` as {version, data}, and its deletes as {deleted: true}. */
function logChanges (record) {
  const log = []
  record.subscribe(() => log.push({ version: record.version, data: cl.clone(record.get()) }))
  record.on('delete', () => log.push({ deleted: true }))
  return log
}

async function ready (client, name) {
  const r = client.record.getRecord(name)
  await cl.within(r.whenReady(), cl.CLIENT_WAIT_MS, `getRecord(${name}).whenReady()`)
  return r
}

/** Versions of a change log that go down or repeat: [] when strictly increasing. */
function regressions (log) {
  const bad = []
  let last = null
  for (const [i, e] of log.entries()) {
    if (e.deleted) continue
    if (last !== null && !(e.version > last.version)) bad.push({ at: i, after: last, got: e })
    last = e
  }
  return bad
}

/** Ends a test's faults and nodes: releases locks and relays, resumes paused nodes, stops the rest. */
async function teardown (nodes, locks = [], relays = []) {
  for (const lock of locks) if (lock) await lock.release()
  for (const relay of relays) if (relay) relay.release()
  for (const node of nodes) {
    if (node.running) { try { process.kill(node.child.pid, 'SIGCONT') } catch (e) { /* gone */ } }
  }
  for (const node of nodes) await node.stop()
}

/* ------------------------------------------------------------------ 1. kill -9 with storage stalled */

h.test('kill -9 of a writer while storage is stalled: the other nodes\' sweepers store its writes, PostgreSQL == Redis, ledger empty', {
  skip: SKIP, timeout: 60000
}, async (t) => {
  const nodes = await cl.startNodes(cluster, 3)
  const [A, B] = nodes
  let lock = null
  try {
    const writer = await h.connect(A.url, { username: 'k9-writer' })
    const reader = await h.connect(B.url, { username: 'k9-reader' })
    const names = Array.from({ length: 5 }, (_, i) => uniq(`k9-${i}`))
    // created (and stored: the ack waits for storage) before the stall
    for (const [i, name] of names.entries()) {
      await cl.within(writer.record.setDataWithAck(name, { i, n: 0 }), 10000, `create ${name}`)
    }
    lock = await cl.lockTable(cluster.pg.port)
    // cache-level writes: no ack asked, so nothing waits for the stalled storage
    for (let n = 1; n <= 3; n++) {
      for (const [i, name] of names.entries()) writer.record.setData(name, { i, n })
    }
    // confirmed by a read on another node (served from the cache)
    for (const [i, name] of names.entries()) {
      await cl.waitUntil(async () => isDeepStrictEqual(await cl.within(reader.record.snapshot(name), 5000, `snapshot ${name} on B`), { i, n: 3 }),
        `B reads the last write of ${name}`)
    }
    const pending = await cl.ledgerMembers(cluster.redis.port)
    for (const name of names) assert.ok(pending.includes(name), `${name} is in the ledger while storage is stalled: ${pending}`)

    await cl.killNode(A)
    assert.equal(A.exitSignal, 'SIGKILL')
    await lock.release()

    const settled = await cl.settleStores(cluster, names, SETTLE_MS)
    const { rows, ledger, ledgerMembers } = settled
    t.diagnostic(`after the kill: ${JSON.stringify(settled)}`)
    for (const [i, r] of rows.entries()) {
      assert.deepEqual(r.cache && r.cache.data, { i, n: 3 }, `${r.name}: Redis holds the last write`)
      assert.deepEqual(r.storage, r.cache, `${r.name}: PostgreSQL vs Redis`)
    }
    assert.equal(ledger, 0, `the ledger is empty: ${ledgerMembers} (strata:seq ${settled.seq}, Redis TIME ${settled.redisTimeUs})`)
  } finally {
    await teardown(nodes, [lock])
  }
})

/* ------------------------------------------------------------------ 2. delete vs in-flight set */

h.test('a delete on B racing a set on A whose storage write is stalled: the record stays deleted in Redis and PostgreSQL, C finds none', {
  skip: SKIP, timeout: 60000
}, async (t) => {
  const nodes = await cl.startNodes(cluster, 3)
  const [A, B, Cn] = nodes
  let lock = null
  try {
    const name = uniq('race')
    const writer = await h.connect(A.url, { username: 'race-writer' })
    const deleter = await h.connect(B.url, { username: 'race-deleter' })
    await cl.within(writer.record.setDataWithAck(name, { phase: 'created' }), 10000, `create ${name}`)
    const onB = await ready(deleter, name)

    lock = await cl.lockTable(cluster.pg.port)
    writer.record.setData(name, { phase: 'in-flight' })
    await cl.waitUntil(async () => {
      const r = await cl.redisRecord(cluster.redis.port, name)
      return r && isDeepStrictEqual(r.data, { phase: 'in-flight' })
    }, 'the set reaches Redis')
    // the delete's answer waits for storage: its outcome is only logged
    const deleted = onB.delete().then(() => 'DELETE_SUCCESS', (e) => `rejected: ${e}`)
    await cl.waitUntil(async () => (await cl.redisRecord(cluster.redis.port, name)) === null, 'the delete reaches Redis')
    const pending = await cl.ledgerMembers(cluster.redis.port)
    assert.ok(pending.includes(name), `${name} is in the ledger while storage is stalled: ${pending}`)
    await lock.release()
    t.diagnostic(`delete() on B: ${await cl.within(deleted, 20000, 'the answer to the delete')}`)

    let last = {}
    await cl.waitUntil(async () => {
      last = {
        v: await cl.redisGet(cluster.redis.port, `${name}_v`),
        d: await cl.redisGet(cluster.redis.port, `${name}_d`),
        row: cl.pgRow(cluster.pg.port, name),
        ledger: await cl.ledgerSize(cluster.redis.port)
      }
      return last.ledger === 0
    }, 'the ledger to empty', SETTLE_MS, 200).catch(() => {})
    const observer = await h.connect(Cn.url, { username: 'race-observer-c' })
    assert.equal(await cl.within(observer.record.has(name), 10000, 'has() on C'), false, 'C finds no record')
    // again after C's read: a read must not load anything back into the cache
    const v = await cl.redisGet(cluster.redis.port, `${name}_v`)
    const d = await cl.redisGet(cluster.redis.port, `${name}_d`)
    const row = cl.pgRow(cluster.pg.port, name)
    const ledger = await cl.ledgerSize(cluster.redis.port)
    t.diagnostic(`after the race: ${JSON.stringify({ settled: last, v, d, row, ledger })}`)
    assert.equal(v, null, `Redis has no ${name}_v`)
    assert.equal(d, null, `Redis has no ${name}_d`)
    assert.ok(row === null || isDeepStrictEqual(row, { version: -1, data: null }),
      `PostgreSQL has no live row (absent or the tombstone): ${JSON.stringify(row)}`)
    assert.equal(ledger, 0, `the ledger is empty: ${await cl.ledgerMembers(cluster.redis.port)}`)
  } finally {
    await teardown(nodes, [lock])
  }
})

/* ------------------------------------------------------------------ 3. SIGSTOP past the lease */

h.test('a node paused (SIGSTOP) past its lease with its storage write in flight: B\'s newer writes stay in PostgreSQL, subscribers see versions only increase', {
  skip: SKIP, timeout: 60000
}, async (t) => {
  // A reaches PostgreSQL through a relay that holds what A sends: A's write of v1 reaches storage only
  // after SIGCONT, i.e. after v3 is stored, and must be fenced there.
  const relay = await cluster.relay(cluster.pg.port)
  const A = await cluster.startNode({ name: 'node-a', pgPort: relay.port })
  const B = await cluster.startNode({ name: 'node-b' })
  const Cn = await cluster.startNode({ name: 'node-c' })
  const nodes = [A, B, Cn]
  let lock = null
  try {
    const name = uniq('pause')
    const writerA = await h.connect(A.url, { username: 'pause-writer-a' })
    const writerB = await h.connect(B.url, { username: 'pause-writer-b' })
    await cl.within(writerA.record.setDataWithAck(name, { by: 'a', n: 0 }), 10000, `create ${name}`)
    const subs = {}
    for (const [key, node] of [['B', B], ['C', Cn]]) {
      const client = await h.connect(node.url, { username: `pause-sub-${key}` })
      subs[key] = logChanges(await ready(client, name))
    }
    await cl.untilSeen((j) => cl.within(writerA.record.setDataWithAck(name, { by: 'a', warm: j }), 10000, 'warm-up write'),
      () => subs.B.length && subs.C.length, 'the subscribers on B and C receive writes made on A')
    const base = (await cl.redisRecord(cluster.redis.port, name)).version

    lock = await cl.lockTable(cluster.pg.port)
    relay.hold()
    writerA.record.setData(name, { by: 'a', n: 1 }) // v1 (base + 1)
    await cl.waitUntil(async () => {
      const r = await cl.redisRecord(cluster.redis.port, name)
      return r && r.version === base + 1
    }, 'A\'s write reaches Redis')
    await cl.waitUntil(() => relay.heldText().includes(name), 'A sends its storage write of v1 (held by the relay)')
    process.kill(A.child.pid, 'SIGSTOP')
    const stoppedAt = Date.now()

    writerB.record.setData(name, { by: 'b', n: 2 }) // v2
    writerB.record.setData(name, { by: 'b', n: 3 }) // v3
    const v3 = { version: base + 3, data: { by: 'b', n: 3 } }
    await cl.waitUntil(async () => isDeepStrictEqual(await cl.redisRecord(cluster.redis.port, name), v3), 'B\'s writes reach Redis')
    await lock.release()
    await cl.waitUntil(() => isDeepStrictEqual(cl.pgRow(cluster.pg.port, name), v3), 'PostgreSQL holds v3', SETTLE_MS, 100)
    // past the lease (nodeInactiveTimeout) for sure
    const lease = cl.REGISTRY.nodeInactiveTimeout
    if (Date.now() - stoppedAt < 2 * lease) await h.sleep(2 * lease - (Date.now() - stoppedAt))

    process.kill(A.child.pid, 'SIGCONT')
    relay.release()
    // A's stale write is now attempted: wait for PostgreSQL's answer to reach A, then a little more
    await cl.waitUntil(() => relay.repliedAfterRelease > 0, 'PostgreSQL answers A\'s held write')
    await h.sleep(1000)

    assert.deepEqual(cl.pgRow(cluster.pg.port, name), v3, 'PostgreSQL still holds v3: A\'s older write was fenced')
    assert.deepEqual(await cl.redisRecord(cluster.redis.port, name), v3, 'Redis holds v3')
    for (const key of ['B', 'C']) {
      await cl.waitUntil(() => subs[key].some((e) => e.version === v3.version), `the subscriber on ${key} reaches v3`)
      t.diagnostic(`subscriber on ${key}: ${JSON.stringify(subs[key])}`)
      assert.deepEqual(regressions(subs[key]), [], `the subscriber on ${key} saw strictly increasing versions`)
      assert.deepEqual(subs[key][subs[key].length - 1], v3, `the subscriber on ${key} ends at v3`)
      assert.ok(!subs[key].some((e) => e.deleted), `no delete reached the subscriber on ${key}`)
    }
    // A, running again, answers the current state
    const onA = await h.connect(A.url, { username: 'pause-reader-a' })
    assert.deepEqual(await cl.within(onA.record.snapshot(name), 10000, 'snapshot on A'), v3.data, 'A reads v3')
    assert.equal(await cl.within(onA.record.head(name), 10000, 'head on A'), v3.version)
    const { rows, ledger, ledgerMembers } = await cl.settleStores(cluster, [name], SETTLE_MS)
    assert.deepEqual(rows[0].storage, v3, 'PostgreSQL holds v3 once everything is done')
    assert.equal(ledger, 0, `the ledger is empty: ${ledgerMembers}`)
  } finally {
    await teardown(nodes, [lock], [relay])
  }
})

/* ------------------------------------------------------------------ 4. Redis restarted empty */

h.test('Redis restarted without persistence: writes fail meanwhile (no hang), /health-check is not 200, subscribers on B and C converge to the next write', {
  skip: SKIP, timeout: 90000
}, async (t) => {
  const nodes = await cl.startNodes(cluster, 3)
  const [A, B, Cn] = nodes
  try {
    const name = uniq('wipe')
    const writer = await h.connect(A.url, { username: 'wipe-writer' })
    await cl.within(writer.record.setDataWithAck(name, { epoch: 1, n: 0 }), 10000, `create ${name}`)
    const subs = {}
    for (const [key, node] of [['B', B], ['C', Cn]]) {
      const client = await h.connect(node.url, { username: `wipe-sub-${key}` })
      subs[key] = logChanges(await ready(client, name))
    }
    await cl.untilSeen((j) => cl.within(writer.record.setDataWithAck(name, { epoch: 1, warm: j }), 10000, 'warm-up write'),
      () => subs.B.length && subs.C.length, 'the subscribers on B and C receive writes made on A')
    // acknowledged, so stored in PostgreSQL too
    for (let n = 1; n <= 3; n++) await cl.within(writer.record.setDataWithAck(name, { epoch: 1, n }), 10000, `write ${n}`)
    const before = await cl.redisRecord(cluster.redis.port, name)
    for (const key of ['B', 'C']) {
      await cl.waitUntil(() => subs[key].some((e) => e.version === before.version), `the subscriber on ${key} reaches version ${before.version}`)
    }
    assert.deepEqual(cl.pgRow(cluster.pg.port, name), before, 'PostgreSQL holds the acknowledged writes')
    const epoch1 = { B: subs.B.length, C: subs.C.length }

    await cluster.redis.stop()
    // during the outage: a write errors (it does not hang); the health check turns non-200
    const outageWrite = await h.withTimeout(writer.record.setDataWithAck(name, { epoch: 'outage' }), 20000, 'the answer to a write while Redis is down')
      .then(() => 'acknowledged', (e) => (e instanceof Error && /timed out/.test(e.message) ? `hang: ${e.message}` : `rejected: ${e && e.message ? e.message : e}`))
    const healthDown = []
    await cl.waitUntil(async () => {
      healthDown.push(await cl.healthStatus(B.port))
      return healthDown[healthDown.length - 1] !== 200
    }, '/health-check on B to answer non-200 while Redis is down', 8000, 200).catch(() => {})

    await cluster.redis.start() // empty: no persistence
    const healthUp = []
    await cl.waitUntil(async () => {
      healthUp.push(await cl.healthStatus(B.port))
      return healthUp[healthUp.length - 1] === 200
    }, '/health-check on B to answer 200 again', 15000, 200).catch(() => {})

    const target = { epoch: 2 }
    const attempts = []
    await cl.waitUntil(async () => {
      try {
        await cl.within(writer.record.setDataWithAck(name, target), 5000, 'a write after Redis came back')
        attempts.push('acknowledged')
        return true
      } catch (e) {
        attempts.push(e && e.message ? e.message : String(e))
        return false
      }
    }, 'a write on A succeeds once Redis is back', 30000, 300).catch(() => {})
    let converged = true
    for (const key of ['B', 'C']) {
      await cl.waitUntil(() => {
        const last = subs[key][subs[key].length - 1]
        return last && !last.deleted && isDeepStrictEqual(last.data, target)
      }, `the subscriber on ${key} converges to ${JSON.stringify(target)}`).catch(() => { converged = false })
    }
    const after = await cl.redisRecord(cluster.redis.port, name)
    const { rows, ledger, ledgerMembers } = await cl.settleStores(cluster, [name], SETTLE_MS)
    t.diagnostic(JSON.stringify({ before, after, outageWrite, healthDown, healthUp, attempts, subs, rows, ledger, ledgerMembers }))

    assert.ok(outageWrite.startsWith('rejected'), `a write while Redis is down is answered with an error: ${outageWrite}`)
    assert.equal(attempts[attempts.length - 1], 'acknowledged', `a write on A succeeds once Redis is back: ${JSON.stringify(attempts)}`)
    assert.ok(converged, `the subscribers converge to the new data: ${JSON.stringify(subs)}`)
    for (const key of ['B', 'C']) {
      assert.deepEqual(regressions(subs[key].slice(0, epoch1[key])), [], `subscriber on ${key}, before the restart: versions only increase`)
      assert.deepEqual(regressions(subs[key].slice(epoch1[key])), [], `subscriber on ${key}, after the restart: versions only increase`)
    }
    assert.deepEqual(after && after.data, target, 'Redis holds the new data')
    assert.deepEqual(rows[0].storage, rows[0].cache, 'PostgreSQL holds what Redis holds')
    assert.equal(ledger, 0, `the ledger is empty: ${ledgerMembers}`)
    assert.ok(healthDown.some((s) => s !== 200), `/health-check on B is not 200 while Redis is down: ${JSON.stringify(healthDown)}`)
    assert.equal(healthUp[healthUp.length - 1], 200, `/health-check on B is 200 again once Redis is back: ${JSON.stringify(healthUp)}`)
  } finally {
    await teardown(nodes)
  }
})

/* ------------------------------------------------------------------ 5. rolling restart */

const CLIENTS = 6
const MAX_WRITES = 600 // per client; the loops stop earlier, once the roll is over
const STEP = 15 // writes every client issues between two restarts

h.test('rolling restart (SIGTERM, start again on the same port) of 3 nodes under write load: no acknowledged write lost, PostgreSQL == Redis, ledger empty', {
  skip: SKIP, timeout: 100000
}, async (t) => {
  const nodes = await cl.startNodes(cluster, 3)
  try {
    const lb = await cluster.balancer(nodes.map((n) => n.port))
    const clients = []
    for (let k = 0; k < CLIENTS; k++) {
      clients.push(await h.connect(lb.url, { username: `roll-${k}` },
        { maxReconnectAttempts: 200, reconnectIntervalIncrement: 50, maxReconnectInterval: 300 }))
    }
    const state = clients.map((c, k) => ({ name: uniq(`roll-${k}`), issued: 0, acked: 0, lastAcked: 0, errors: [] }))
    let stop = false
    const writer = async (c, s, k) => {
      for (let i = 1; i <= MAX_WRITES && !stop; i++) {
        s.issued = i
        try {
          await cl.within(c.record.setDataWithAck(s.name, { n: i, k }), 5000, `write ${i} of ${s.name}`)
          s.acked++
          s.lastAcked = i
        } catch (e) {
          s.errors.push(`${i}: ${e && e.message ? e.message : e}`)
          await cl.waitUntil(() => c.getConnectionState() === 'OPEN', `${s.name}'s client to be connected again`, 20000)
        }
      }
    }
    const loops = Promise.all(clients.map((c, k) => writer(c, state[k], k)))
    loops.catch(() => {})
    const exits = []
    try {
      for (const node of nodes) {
        const mark = state.map((s) => s.acked)
        await cl.waitUntil(() => state.every((s, k) => s.acked >= mark[k] + STEP), `every client to have ${STEP} more acknowledged writes before restarting ${node.name}`, 30000)
        const { code, signal } = await cl.stopNode(node)
        exits.push({ node: node.name, code, signal })
        await cl.restartNode(node)
      }
      const mark = state.map((s) => s.acked)
      await cl.waitUntil(() => state.every((s, k) => s.acked >= mark[k] + STEP), `every client to have ${STEP} more acknowledged writes after the roll`, 30000)
    } finally {
      stop = true
    }
    await cl.within(loops, 30000, 'the write loops to end')
    const report = JSON.stringify(state.map(({ name, issued, acked, lastAcked, errors }) => ({ name, issued, acked, lastAcked, errors: errors.slice(0, 5) })))
    t.diagnostic(`exits: ${JSON.stringify(exits)}; writers: ${report}; balancer: ${JSON.stringify(lb.forwarded)}`)
    for (const e of exits) assert.deepEqual(e, { node: e.node, code: 0, signal: null }, `${e.node} exits cleanly on SIGTERM`)

    const { rows, ledger, ledgerMembers } = await cl.settleStores(cluster, state.map((s) => s.name), SETTLE_MS)
    const fresh = await h.connect(nodes[0].url, { username: 'roll-check' })
    for (const [k, s] of state.entries()) {
      const r = rows[k]
      assert.ok(r.cache !== null && r.cache.data.k === k, `${s.name} in Redis: ${JSON.stringify(r.cache)}`)
      assert.ok(r.cache.data.n >= s.lastAcked, `${s.name}: Redis holds n=${r.cache.data.n}, last acknowledged ${s.lastAcked}: ${report}`)
      // each applied write adds one version: every acknowledged one is in, none applied twice
      assert.ok(r.cache.version >= s.acked && r.cache.version <= s.issued, `${s.name}: version ${r.cache.version}, ${s.acked} acknowledged, ${s.issued} sent`)
      assert.deepEqual(r.storage, r.cache, `${s.name}: PostgreSQL vs Redis`)
      assert.deepEqual(await cl.within(fresh.record.snapshot(s.name), 10000, `snapshot ${s.name}`), r.cache.data, `${s.name}: what a node answers`)
    }
    assert.equal(ledger, 0, `the ledger is empty: ${ledgerMembers}`)
  } finally {
    await teardown(nodes)
  }
})
