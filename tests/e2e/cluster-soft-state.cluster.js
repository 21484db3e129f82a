'use strict'
// Cluster mode (strata-only; `npm run test:cluster`): the soft state of cluster_presence.h,
// cluster_rpc.h and node_registry.h, judged by what clients see, never by timing (bounded polls):
//   presence - a user on any node is online everywhere, joins once and leaves once with its last
//              connection on any node; a killed node's users leave once; a late node knows them;
//   RPC      - a provider on one node serves requests from the others exactly once; rejects move on;
//              a late node routes to earlier providers (ds#1001); a killed node's providers are gone;
//              a request that may have run is never sent to a second provider.
// Tests 1, 2, 4-7 share nodes A, B, C (unique user and RPC names per test); 3, 8 and 9 add a victim
// node X to them, 4 and 7 a late node D.
const assert = require('node:assert/strict')
const { before } = require('node:test')
const h = require('./harness')
const cl = require('./cluster')
const { TOPIC, RPC_ACTION: RA } = h.C

const SKIP = cl.SKIP
const RPC_ACK_TIMEOUT = 1000
const RPC_RESPONSE_TIMEOUT = 4000
const RPC_CONFIG = `rpc:\n  ackTimeout: ${RPC_ACK_TIMEOUT}\n  responseTimeout: ${RPC_RESPONSE_TIMEOUT}\n`
// nodeInactiveTimeout (cl.REGISTRY) plus a few reaper periods, generously
const REAP_WAIT_MS = 10000
const cluster = cl.useCluster()
let A, B, Cn
let seq = 0
const uniq = (prefix) => `soft-${prefix}-${process.pid}-${++seq}`

before(async () => {
  if (SKIP) return
  ;[A, B, Cn] = await cl.startNodes(cluster, 3, { extra: RPC_CONFIG })
})

const startNode = (name) => cluster.startNode({ name, extra: RPC_CONFIG })

/* ------------------------------------------------------------------ presence helpers */

/** [user, online] of every subscribe(cb) callback about one of `users`. */
function watchAll (client, users) {
  const log = []
  client.presence.subscribe((user, online) => { if (users.includes(user)) log.push([user, online]) })
  return log
}

/** [user, online] of every subscribe(user, cb) callback. */
function watchUser (client, user) {
  const log = []
  client.presence.subscribe(user, (u, online) => log.push([u, online]))
  return log
}

// The client bulks SUBSCRIBE for 100 ms; a query answered afterwards means the node has them.
async function subscriptionsSent (client) {
  await h.sleep(300)
  await cl.within(client.presence.getAll(), 10000, 'getAll round trip')
}

/** getAll() of `client`, only the names in `users`, sorted. */
async function onlineOf (client, users) {
  const all = await cl.within(client.presence.getAll(), 10000, 'getAll')
  return all.filter((u) => users.includes(u)).sort()
}

const has = (log, user, online) => log.some(([u, o]) => u === user && o === online)
const sorted = (log) => log.map((e) => JSON.stringify(e)).sort()

/** Closes an official client and waits until its connection is closed. */
async function closed (client) {
  h.closeClient(client)
  await cl.waitUntil(() => client.getConnectionState() === 'CLOSED', 'the client connection to close')
}

/* ------------------------------------------------------------------ 1, 2. join and leave across nodes */

// alice logs in on A, then also on C; her A connection closes, then her C connection. Markers log
// in on the node of the last step after it: once a watcher has a marker's JOIN, anything the step
// published has reached it too (one node publishes in order).
async function joinAndLeave (t, perUser) {
  const p = uniq(perUser ? 'one' : 'all')
  const alice = `${p}-alice`
  const marks = [1, 2, 3].map((i) => `${p}-mark${i}`)
  const watchers = []
  for (const [key, node] of [['B', B], ['C', Cn]]) {
    const client = await h.connect(node.url, { username: `${p}-watch-${key}` })
    const w = { key, client, all: watchAll(client, [alice, ...marks]), one: perUser ? watchUser(client, alice) : null }
    await subscriptionsSent(client)
    watchers.push(w)
  }
  const aliceLog = (w) => (perUser ? w.one : w.all.filter(([u]) => u === alice))
  const markSeen = (mark) => cl.waitUntil(() => watchers.every((w) => has(w.all, mark, true)), `the watchers on B and C to see ${mark} join`)

  const aliceA = await h.connect(A.url, { username: alice })
  await cl.waitUntil(() => watchers.every((w) => aliceLog(w).length > 0), `the watchers on B and C to see ${alice} join`)
  for (const w of watchers) {
    assert.deepEqual(await onlineOf(w.client, [alice]), [alice], `getAll() on ${w.key} lists ${alice} (logged in on A)`)
  }
  if (!perUser) {
    const [wB, wC] = watchers.map((w) => w.client)
    const everyone = [alice, `${p}-watch-B`, `${p}-watch-C`]
    assert.deepEqual(await onlineOf(wB, everyone), [alice, `${p}-watch-C`], 'getAll() on B: everybody but the asker')
    assert.deepEqual(await onlineOf(wC, everyone), [alice, `${p}-watch-B`], 'getAll() on C: everybody but the asker')
    assert.deepEqual(await onlineOf(aliceA, everyone), [`${p}-watch-B`, `${p}-watch-C`], 'getAll() of alice on A: not alice')
  }

  const aliceC = await h.connect(Cn.url, { username: alice }) // a second connection, on another node
  if (!perUser) {
    assert.deepEqual(await onlineOf(aliceC, [alice]), [], 'getAll() of alice on C (she is also on A): not alice')
  }
  await h.connect(Cn.url, { username: marks[0] })
  await markSeen(marks[0])
  for (const w of watchers) assert.deepEqual(aliceLog(w), [[alice, true]], `watcher on ${w.key}: one JOIN for two connections on A and C`)

  await closed(aliceA)
  await h.connect(A.url, { username: marks[1] })
  await markSeen(marks[1])
  for (const w of watchers) {
    assert.deepEqual(aliceLog(w), [[alice, true]], `watcher on ${w.key}: no LEAVE while alice is still on C`)
    assert.deepEqual(await cl.within(w.client.presence.getAll([alice]), 10000, 'getAll([alice])'), { [alice]: true })
  }

  await closed(aliceC)
  await cl.waitUntil(() => watchers.every((w) => aliceLog(w).length >= 2), 'the watchers on B and C to see alice leave')
  await h.connect(Cn.url, { username: marks[2] })
  await markSeen(marks[2])
  for (const w of watchers) {
    t.diagnostic(`watcher on ${w.key}: ${JSON.stringify(perUser ? w.one : w.all)}`)
    assert.deepEqual(aliceLog(w), [[alice, true], [alice, false]], `watcher on ${w.key}: one JOIN, one LEAVE with the last connection`)
    assert.deepEqual(await cl.within(w.client.presence.getAll([alice]), 10000, 'getAll([alice])'), { [alice]: false })
    assert.deepEqual(await onlineOf(w.client, [alice]), [], `getAll() on ${w.key} no longer lists alice`)
  }
}

h.test('presence: a user on A is in getAll() on B and C; subscribe(cb) on B and C: one JOIN for connections on A and C, one LEAVE with the last', {
  skip: SKIP, timeout: 30000
}, (t) => joinAndLeave(t, false))

h.test('presence: subscribe(user, cb) on B and C: one JOIN for connections on A and C, one LEAVE with the last', {
  skip: SKIP, timeout: 30000
}, (t) => joinAndLeave(t, true))

/* ------------------------------------------------------------------ 3. kill -9 of a node with users */

h.test('presence: kill -9 of node X: its users leave once (seen on B and C), a user also on B stays online', {
  skip: SKIP, timeout: 45000
}, async (t) => {
  const X = await startNode('node-x')
  try {
    const p = uniq('kill')
    const [only1, only2, both, mark] = ['only1', 'only2', 'both', 'mark'].map((u) => `${p}-${u}`)
    const watched = [only1, only2, both, mark]
    const watchers = []
    for (const [key, node] of [['B', B], ['C', Cn]]) {
      const client = await h.connect(node.url, { username: `${p}-watch-${key}` })
      watchers.push({ key, client, all: watchAll(client, watched), one: watchUser(client, only1) })
      await subscriptionsSent(client)
    }
    await h.connect(X.url, { username: only1 })
    await h.connect(X.url, { username: only2 })
    await h.connect(X.url, { username: both })
    const bothB = await h.connect(B.url, { username: both })
    await cl.waitUntil(() => watchers.every((w) => [only1, only2, both].every((u) => has(w.all, u, true))), 'the watchers to see the users join')
    for (const w of watchers) {
      assert.deepEqual(await onlineOf(w.client, watched), [both, only1, only2], `getAll() on ${w.key} before the kill`)
    }

    await cl.killNode(X)
    const killedAt = Date.now()
    await cl.waitUntil(() => watchers.every((w) => has(w.all, only1, false) && has(w.all, only2, false)),
      'the users only on X to leave (seen on B and C)', REAP_WAIT_MS)
    t.diagnostic(`LEAVEs seen on B and C ${Date.now() - killedAt} ms after the kill`)
    await h.connect(B.url, { username: mark })
    await cl.waitUntil(() => watchers.every((w) => has(w.all, mark, true)), 'the watchers to see the marker join')
    for (const w of watchers) {
      t.diagnostic(`watcher on ${w.key}: ${JSON.stringify(w.all)}`)
      assert.deepEqual(sorted(w.all), sorted([[only1, true], [only2, true], [both, true], [only1, false], [only2, false], [mark, true]]),
        `watcher on ${w.key}: one JOIN each, one LEAVE for each user only on X, none for the user also on B`)
      assert.deepEqual(w.one, [[only1, true], [only1, false]], `subscribe(${only1}) on ${w.key}`)
      assert.deepEqual(await onlineOf(w.client, watched), [both, mark], `getAll() on ${w.key} after the kill`)
    }

    await closed(bothB)
    await cl.waitUntil(() => watchers.every((w) => has(w.all, both, false)), 'the user also on B to leave when its B connection closes')
    for (const w of watchers) {
      assert.equal(w.all.filter(([u, o]) => u === both && !o).length, 1, `watcher on ${w.key}: one LEAVE of ${both}`)
    }
  } finally {
    await X.stop()
  }
})

/* ------------------------------------------------------------------ 4. late joiner (presence) */

h.test('presence: a node started after users logged in on A and B answers getAll() with them, and sees them leave', {
  skip: SKIP, timeout: 40000
}, async (t) => {
  const p = uniq('late')
  const users = [1, 2, 3].map((i) => `${p}-user${i}`)
  const user1 = await h.connect(A.url, { username: users[0] })
  await h.connect(A.url, { username: users[1] })
  await h.connect(B.url, { username: users[2] })
  const watcherC = await h.connect(Cn.url, { username: `${p}-watch-C` })
  await cl.waitUntil(async () => (await onlineOf(watcherC, users)).length === 3, 'C to list the three users (they are in Redis)')

  const D = await startNode('node-d')
  try {
    const askerD = await h.connect(D.url, { username: `${p}-asker-D` })
    const answers = []
    await cl.waitUntil(async () => {
      answers.push(await onlineOf(askerD, users))
      return answers[answers.length - 1].length === 3
    }, 'getAll() on the late node D to list the users')
    t.diagnostic(`getAll() answers on D: ${JSON.stringify(answers)}`)
    assert.deepEqual(answers[answers.length - 1], [...users].sort())
    assert.deepEqual(await cl.within(askerD.presence.getAll(users), 10000, 'getAll(users) on D'),
      Object.fromEntries(users.map((u) => [u, true])))

    const log = watchAll(askerD, users)
    await subscriptionsSent(askerD)
    await closed(user1)
    await cl.waitUntil(() => has(log, users[0], false), `D's subscriber to see ${users[0]} leave (closed on A)`)
    assert.deepEqual(await onlineOf(askerD, users), users.slice(1).sort())
    assert.deepEqual(log, [[users[0], false]])
  } finally {
    await D.stop()
  }
})

/* ------------------------------------------------------------------ RPC helpers (raw requestors) */

const isRpc = (action, cid) => (m) => m.topic === TOPIC.RPC && m.action === action && (cid === undefined || m.correlationId === cid)
const FINAL = [RA.RESPONSE, RA.REQUEST_ERROR, RA.NO_RPC_PROVIDER, RA.ACCEPT_TIMEOUT, RA.RESPONSE_TIMEOUT]
const isFinal = (cid) => (m) => m.topic === TOPIC.RPC && m.correlationId === cid && FINAL.includes(m.action)

function request (raw, name, cid, data) {
  raw.send({ topic: TOPIC.RPC, action: RA.REQUEST, name, correlationId: cid, data: JSON.stringify(data) })
}

/** The RPC messages `raw` received for correlation id `cid`, as action names. */
const actionsFor = (raw, cid, since = 0) => raw.messages.slice(since)
  .filter((m) => m.topic === TOPIC.RPC && m.correlationId === cid).map((m) => RA[m.action])

/** The final answer to `cid` (never a hang: bounded). */
const finalOf = (raw, cid, timeout = RPC_ACK_TIMEOUT + RPC_RESPONSE_TIMEOUT + 5000) =>
  raw.waitFor(isFinal(cid), { timeout, what: `the answer to ${cid}` })

let probes = 0
/**
 * Sends probe requests ({probe: n}) from `raw` until one is answered with a RESPONSE whose data
 * satisfies `done` (and `also()` holds); other answers (NO_RPC_PROVIDER while the provider is not
 * known yet) are retried. Bounded. Resolves with the answers' actions/data, for diagnostics.
 */
async function probeUntil (raw, name, done, what, also = () => true) {
  const seen = []
  await cl.waitUntil(async () => {
    const cid = `probe-${++probes}`
    request(raw, name, cid, { probe: probes })
    const m = await finalOf(raw, cid)
    seen.push(m.action === RA.RESPONSE ? m.parsedData : RA[m.action])
    return m.action === RA.RESPONSE && done(m.parsedData) && also()
  }, what, REAP_WAIT_MS, 50)
  return seen
}

/* ------------------------------------------------------------------ 5. requests from other nodes */

h.test('rpc: a provider on A answers 2 × 20 requests from B and C once each with the right result, running each once', {
  skip: SKIP, timeout: 30000
}, async () => {
  const name = uniq('rpc-double')
  const provider = await h.connect(A.url, { username: `${name}-provider` })
  const runs = []
  provider.rpc.provide(name, (data, response) => {
    if (data.probe) return response.send('probe')
    runs.push(`${data.from}-${data.i}`)
    response.send({ from: data.from, twice: data.i * 2 })
  })
  const requestors = { B: await cl.rawAuthed(B.url, `${name}-req-B`), C: await cl.rawAuthed(Cn.url, `${name}-req-C`) }
  for (const [key, raw] of Object.entries(requestors)) {
    await probeUntil(raw, name, (d) => d === 'probe', `requests from ${key} to reach the provider on A`)
  }
  const N = 20
  const since = {}
  for (const [key, raw] of Object.entries(requestors)) {
    since[key] = raw.mark()
    for (let i = 0; i < N; i++) request(raw, name, `${key}-${i}`, { from: key, i })
  }
  for (const [key, raw] of Object.entries(requestors)) {
    for (let i = 0; i < N; i++) await finalOf(raw, `${key}-${i}`)
    await raw.settle(since[key])
    for (let i = 0; i < N; i++) {
      const cid = `${key}-${i}`
      assert.deepEqual(actionsFor(raw, cid, since[key]), ['ACCEPT', 'RESPONSE'], `${cid}: accepted and answered once`)
      assert.deepEqual(raw.find(isRpc(RA.RESPONSE, cid), since[key]).parsedData, { from: key, twice: i * 2 }, `${cid}: the result`)
    }
  }
  const expected = ['B', 'C'].flatMap((key) => Array.from({ length: N }, (_, i) => `${key}-${i}`))
  assert.deepEqual([...runs].sort(), expected.sort(), 'the provider ran each request exactly once')
})

/* ------------------------------------------------------------------ 6. no provider; rejects move on */

h.test('rpc: no provider anywhere gives NO_RPC_PROVIDER; with a rejecting provider on B and an accepting one on A, every request from C is answered by A', {
  skip: SKIP, timeout: 30000
}, async (t) => {
  const requestor = await cl.rawAuthed(Cn.url, uniq('rpc-req-C'))
  const nobody = uniq('rpc-nobody')
  let since = requestor.mark()
  request(requestor, nobody, 'none-1', 1)
  await finalOf(requestor, 'none-1')
  await requestor.settle(since)
  assert.deepEqual(actionsFor(requestor, 'none-1', since), ['NO_RPC_PROVIDER'], 'a name nobody provides')

  const name = uniq('rpc-picky')
  const rejecter = await h.connect(B.url, { username: `${name}-rejecter-B` })
  const acceptor = await h.connect(A.url, { username: `${name}-acceptor-A` })
  const rejected = []
  const runs = []
  rejecter.rpc.provide(name, (data, response) => { rejected.push(data); response.reject() })
  acceptor.rpc.provide(name, (data, response) => {
    if (!data.probe) runs.push(data.i)
    response.send({ by: 'A', data })
  })
  // until C knows both: A has answered and B has rejected (the provider to ask is picked at random)
  const seen = await probeUntil(requestor, name, (d) => d.by === 'A', 'C to know the providers on A and B',
    () => rejected.length > 0)
  t.diagnostic(`probes: ${JSON.stringify(seen)}; rejected by B: ${JSON.stringify(rejected)}`)

  const N = 20
  since = requestor.mark()
  const rejectedBefore = rejected.length
  for (let i = 0; i < N; i++) request(requestor, name, `picky-${i}`, { i })
  for (let i = 0; i < N; i++) await finalOf(requestor, `picky-${i}`)
  await requestor.settle(since)
  for (let i = 0; i < N; i++) {
    const cid = `picky-${i}`
    assert.deepEqual(actionsFor(requestor, cid, since), ['ACCEPT', 'RESPONSE'], `${cid}: accepted and answered once`)
    assert.deepEqual(requestor.find(isRpc(RA.RESPONSE, cid), since).parsedData, { by: 'A', data: { i } }, `${cid}: answered by A`)
  }
  assert.deepEqual([...runs].sort((x, y) => x - y), Array.from({ length: N }, (_, i) => i), 'A ran each request once')
  t.diagnostic(`requests B rejected first (then answered by A): ${rejected.slice(rejectedBefore).map((d) => d.i)}`)
})

/* ------------------------------------------------------------------ 7. late joiner (ds#1001) */

h.test('rpc: a node started after a provider registered on A routes requests to it (ds#1001)', {
  skip: SKIP, timeout: 40000
}, async (t) => {
  const name = uniq('rpc-late')
  const provider = await h.connect(A.url, { username: `${name}-provider` })
  const runs = []
  provider.rpc.provide(name, (data, response) => {
    if (!data.probe) runs.push(data.i)
    response.send({ by: 'A', data })
  })
  // registered cluster-wide: B routes to it
  await probeUntil(await cl.rawAuthed(B.url, `${name}-req-B`), name, (d) => d.by === 'A', 'B to route to the provider on A')

  const D = await startNode('node-d')
  try {
    const requestor = await cl.rawAuthed(D.url, `${name}-req-D`)
    const seen = await probeUntil(requestor, name, (d) => d.by === 'A', 'the late node D to route to the provider on A')
    t.diagnostic(`probes from D: ${JSON.stringify(seen)}`)
    const since = requestor.mark()
    for (let i = 0; i < 5; i++) request(requestor, name, `late-${i}`, { i })
    for (let i = 0; i < 5; i++) await finalOf(requestor, `late-${i}`)
    await requestor.settle(since)
    for (let i = 0; i < 5; i++) {
      assert.deepEqual(actionsFor(requestor, `late-${i}`, since), ['ACCEPT', 'RESPONSE'], `late-${i}`)
      assert.deepEqual(requestor.find(isRpc(RA.RESPONSE, `late-${i}`), since).parsedData, { by: 'A', data: { i } })
    }
    assert.deepEqual(runs, [0, 1, 2, 3, 4], 'A ran each request once')
  } finally {
    await D.stop()
  }
})

/* ------------------------------------------------------------------ 8. kill -9 of the provider's node */

h.test('rpc: kill -9 of the provider\'s node X: requests from B get NO_RPC_PROVIDER (never a hang); a provider registered later on C is used', {
  skip: SKIP, timeout: 60000
}, async (t) => {
  const X = await startNode('node-x')
  try {
    const name = uniq('rpc-dead')
    const providerX = await h.connect(X.url, { username: `${name}-provider-X` })
    providerX.rpc.provide(name, (data, response) => response.send({ by: 'X' }))
    const requestor = await h.connect(B.url, { username: `${name}-req-B` })
    await cl.waitUntil(async () => {
      const o = await cl.rpcOutcome(requestor.rpc.make(name, { warm: true }), RPC_ACK_TIMEOUT + RPC_RESPONSE_TIMEOUT + 5000, 'a request before the kill')
      return o.result && o.result.by === 'X'
    }, 'B to route to the provider on X', REAP_WAIT_MS, 50)

    await cl.killNode(X)
    const killedAt = Date.now()
    const outcomes = []
    const make = async (what) => {
      const o = await cl.rpcOutcome(requestor.rpc.make(name, { n: outcomes.length }), RPC_ACK_TIMEOUT + RPC_RESPONSE_TIMEOUT + 5000, what)
      outcomes.push(o)
      return o
    }
    await cl.waitUntil(async () => (await make('a request after the kill')).error === 'NO_RPC_PROVIDER',
      'requests to the killed provider\'s name to get NO_RPC_PROVIDER', REAP_WAIT_MS, 50)
    t.diagnostic(`NO_RPC_PROVIDER ${Date.now() - killedAt} ms after the kill; outcomes: ${JSON.stringify(outcomes)}`)
    for (let i = 0; i < 3; i++) assert.deepEqual(await make('a later request'), { error: 'NO_RPC_PROVIDER' })
    assert.ok(outcomes.every((o) => o.error !== undefined), `nothing answered for the dead provider: ${JSON.stringify(outcomes)}`)

    const providerC = await h.connect(Cn.url, { username: `${name}-provider-C` })
    const runsC = []
    providerC.rpc.provide(name, (data, response) => { runsC.push(data); response.send({ by: 'C' }) })
    await cl.waitUntil(async () => {
      const o = await make('a request after the provider on C registered')
      assert.ok(o.result === undefined || o.result.by === 'C', `answered by C: ${JSON.stringify(o)}`)
      return o.result
    }, 'B to route to the new provider on C', REAP_WAIT_MS, 50)
    const answered = outcomes.filter((o) => o.result).length
    for (let i = 0; i < 3; i++) assert.deepEqual(await make('a request to C'), { result: { by: 'C' } })
    assert.equal(runsC.length, answered + 3, 'C ran each answered request once')
  } finally {
    await X.stop()
  }
})

/* ------------------------------------------------------------------ 9. never twice */

h.test('rpc: the provider\'s node X paused (SIGSTOP) after ACCEPT: the requestor on B gets an error, the request never reaches the provider on C, X\'s provider ran it once', {
  skip: SKIP, timeout: 60000
}, async (t) => {
  const X = await startNode('node-x')
  let poll = null
  try {
    const name = uniq('rpc-once')
    // the provider on X: a raw socket, so that ACCEPT and RESPONSE are sent exactly when wanted
    const providerX = await cl.rawAuthed(X.url, `${name}-provider-X`)
    let since = providerX.mark()
    providerX.send({ topic: TOPIC.RPC, action: RA.PROVIDE, names: [name], correlationId: 'prov' })
    await providerX.waitFor((m) => m.topic === TOPIC.RPC && m.isAck && m.correlationId === 'prov', { since, what: 'the provide ack' })
    // probes: answered by X until `probeMode` is 'reject'
    let probeMode = 'respond'
    let scanned = 0
    poll = setInterval(() => {
      for (; scanned < providerX.messages.length; scanned++) {
        const m = providerX.messages[scanned]
        if (!isRpc(RA.REQUEST)(m) || !m.parsedData || !m.parsedData.probe) continue
        if (probeMode === 'respond') {
          providerX.send({ topic: TOPIC.RPC, action: RA.ACCEPT, name, correlationId: m.correlationId })
          providerX.send({ topic: TOPIC.RPC, action: RA.RESPONSE, name, correlationId: m.correlationId, data: '"x"' })
        } else {
          providerX.send({ topic: TOPIC.RPC, action: RA.REJECT, name, correlationId: m.correlationId })
        }
      }
    }, 20)
    const requestor = await cl.rawAuthed(B.url, `${name}-req-B`)
    await probeUntil(requestor, name, (d) => d === 'x', 'B to route to the provider on X')

    // the request: X's provider accepts it (the requestor sees the ACCEPT)
    const sinceR = requestor.mark()
    since = providerX.mark()
    request(requestor, name, 'target', { target: true })
    const req = await providerX.waitFor((m) => isRpc(RA.REQUEST)(m) && m.parsedData && m.parsedData.target, { since, what: 'the request at X' })
    providerX.send({ topic: TOPIC.RPC, action: RA.ACCEPT, name, correlationId: req.correlationId })
    await requestor.waitFor(isRpc(RA.ACCEPT, 'target'), { since: sinceR, what: 'the ACCEPT at the requestor' })

    // another provider, on C, known to B (probes: X rejects them now, C answers)
    const providerC = await h.connect(Cn.url, { username: `${name}-provider-C` })
    const runsC = []
    providerC.rpc.provide(name, (data, response) => {
      if (!data.probe) runsC.push(data)
      response.send('c')
    })
    probeMode = 'reject'
    await probeUntil(requestor, name, (d) => d === 'c', 'B to route to the provider on C')
    assert.equal(requestor.find(isFinal('target'), sinceR), undefined,
      'precondition: the request is still open when X is paused (probing took longer than rpc.responseTimeout?)')

    await cl.pauseNode(X)
    const pausedAt = Date.now()
    // its RESPONSE waits in X's socket until SIGCONT
    providerX.send({ topic: TOPIC.RPC, action: RA.RESPONSE, name, correlationId: req.correlationId, data: '"x-ran"' })
    const end = await finalOf(requestor, 'target', RPC_RESPONSE_TIMEOUT + REAP_WAIT_MS)
    t.diagnostic(`the requestor got ${RA[end.action]} ${end.data || ''} ${Date.now() - pausedAt} ms after X stopped`)
    cl.resumeNode(X)
    await providerX.ping(15000) // X has handled the RESPONSE sent while it was paused
    await requestor.settle(sinceR, 500)
    await providerX.settle(since, 0)

    assert.ok([RA.RESPONSE_TIMEOUT, RA.NO_RPC_PROVIDER].includes(end.action), `an error: ${RA[end.action]}`)
    assert.deepEqual(actionsFor(requestor, 'target', sinceR), ['ACCEPT', RA[end.action]], 'the requestor: ACCEPT, the error, nothing after')
    const atX = providerX.messages.slice(since).filter((m) => isRpc(RA.REQUEST)(m) && m.parsedData && m.parsedData.target)
    assert.equal(atX.length, 1, 'X\'s provider got the request once')
    assert.deepEqual(runsC, [], 'the provider on C never got the request')
  } finally {
    if (poll) clearInterval(poll)
    cl.resumeNode(X)
    await X.stop()
  }
})
