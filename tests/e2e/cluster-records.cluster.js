'use strict'
// Cluster mode (strata-only; `npm run test:cluster`): records across nodes A, B, C sharing one Redis
// and one PostgreSQL behave as on one node: every version reaches the subscribers of other nodes once,
// in order; a version conflict is decided once cluster-wide; overlapping writers from three nodes
// lose nothing; a node started later reads the latest state; the HTTP API of one node sees the
// websocket clients of another.
const assert = require('node:assert/strict')
const { before } = require('node:test')
const h = require('./harness')
const cl = require('./cluster')
const { C } = h
const { TOPIC, RECORD_ACTION: RA } = C

const SKIP = cl.SKIP
const cluster = cl.useCluster()
let A, B, Cn // the three nodes (Cn: C is the protocol constants)
let seq = 0
const uniq = (prefix) => `cl/${prefix}-${++seq}`

before(async () => {
  if (SKIP) return
  [A, B, Cn] = await cl.startNodes(cluster, 3, { http: true })
})

async function ready (client, name) {
  const r = client.record.getRecord(name)
  await cl.within(r.whenReady(), cl.CLIENT_WAIT_MS, `getRecord(${name}).whenReady()`)
  return r
}

/** Logs every subscribe callback of `record` as {version, data} (version as the client holds it then). */
function logChanges (record) {
  const log = []
  record.subscribe(() => log.push({ version: record.version, data: cl.clone(record.get()) }))
  return log
}

/** Raw SUBSCRIBECREATEANDREAD; resolves with the READ_RESPONSE. */
async function rawSubscribe (raw, name) {
  const since = raw.mark()
  raw.send({ topic: TOPIC.RECORD, action: RA.SUBSCRIBECREATEANDREAD, names: [name], correlationId: 'sub-' + name })
  return raw.waitFor((m) => m.topic === TOPIC.RECORD && m.action === RA.READ_RESPONSE && m.name === name, { what: `READ_RESPONSE ${name}`, since })
}

/** UPDATE/PATCH broadcasts of `name` a raw socket received. */
const rawWrites = (raw, name) => raw.messages.filter((m) => m.topic === TOPIC.RECORD && m.name === name &&
  (m.action === RA.UPDATE || m.action === RA.PATCH))

/** Sets (value !== undefined) or removes a dotted path of plain object keys, as the client does. */
function applyPath (data, path, value) {
  const out = cl.clone(data)
  const keys = path.split('.')
  let node = out
  for (const k of keys.slice(0, -1)) {
    if (node[k] === null || typeof node[k] !== 'object') node[k] = {}
    node = node[k]
  }
  if (value === undefined) delete node[keys[keys.length - 1]]; else node[keys[keys.length - 1]] = cl.clone(value)
  return out
}

/** Data after each raw UPDATE/PATCH broadcast, starting from `data` (a PATCH without data erases its path). */
function replayRaw (messages, data) {
  return messages.map((m) => {
    data = m.action === RA.UPDATE ? m.parsedData : applyPath(data, m.path, m.parsedData)
    return { version: m.version, data }
  })
}

h.test('sequential writes on A (set, path, erase, setWithAck) reach subscribers on B and C once each, in order', { skip: SKIP }, async () => {
  const name = uniq('seq')
  const writer = await h.connect(A.url, { username: 'writer-a' })
  const w = await ready(writer, name)
  const subs = {}
  for (const [key, node] of [['B', B], ['C', Cn]]) {
    const client = await h.connect(node.url, { username: `sub-${key}` })
    subs[key] = logChanges(await ready(client, name))
  }
  // raw subscribers show the wire: a repeated or missing version cannot hide in the client's merge logic
  const raws = { B: await cl.rawAuthed(B.url, 'raw-b'), C: await cl.rawAuthed(Cn.url, 'raw-c') }
  for (const raw of Object.values(raws)) await rawSubscribe(raw, name)

  await cl.untilSeen((j) => cl.within(w.setWithAck('warm', j), 10000, 'warm-up write'),
    () => subs.B.length && subs.C.length && rawWrites(raws.B, name).length && rawWrites(raws.C, name).length,
    'the subscribers on B and C receive writes made on A')
  const v0 = w.version
  const startData = cl.clone(w.get())
  let data = startData

  // [kind, path, value]: every write changes the data, so every version fires the subscribe callbacks
  const ops = [
    ['set', null, { a: 1, b: { c: 'x' }, list: [1, 2] }],
    ['set', 'b.c', 'y'],
    ['set', 'b.d', { e: true }],
    ['set', 'a', undefined], // set(path, undefined) sends ERASE
    ['ack', null, { whole: 'acked', b: { c: 'z' } }],
    ['ack', 'b.c', 'acked-path'],
    ...Array.from({ length: 40 }, (_, i) => [i % 5 === 4 ? 'ack' : 'set', 'n', i])
  ]
  const expected = []
  for (const [kind, path, value] of ops) {
    data = path === null ? cl.clone(value) : applyPath(data, path, value)
    expected.push({ version: v0 + expected.length + 1, data })
    if (kind === 'ack') {
      await cl.within(path === null ? w.setWithAck(value) : w.setWithAck(path, value), 10000, `setWithAck ${path}`)
    } else if (path === null) {
      w.set(value)
    } else {
      w.set(path, value)
    }
  }
  const last = v0 + ops.length
  assert.equal(w.version, last)

  for (const key of ['B', 'C']) {
    await cl.waitUntil(() => subs[key].some((s) => s.version === last), `the subscriber on ${key} reaches version ${last}`)
    assert.deepEqual(subs[key].filter((s) => s.version > v0), expected, `client subscriber on ${key}`)
    const raw = raws[key]
    await cl.waitUntil(() => rawWrites(raw, name).some((m) => m.version === last), `the raw subscriber on ${key} reaches version ${last}`)
    await raw.settle()
    const got = rawWrites(raw, name).filter((m) => m.version > v0)
    assert.deepEqual(got.map((m) => m.version), expected.map((e) => e.version), `raw subscriber on ${key}: each version once, in order`)
    assert.deepEqual(replayRaw(got, startData), expected, `raw subscriber on ${key}: the data of each version`)
    const erase = got[3]
    assert.equal(erase.action, RA.PATCH)
    assert.equal(erase.path, 'a')
    assert.equal(erase.parsedData, undefined, 'an erase is broadcast as a PATCH without data')
  }

  // a client on C that does not hold the record asks the server
  const observer = await h.connect(Cn.url, { username: 'observer-c' })
  assert.deepEqual(await cl.within(observer.record.snapshot(name), 10000, 'snapshot on C'), data)
  assert.equal(await cl.within(observer.record.head(name), 10000, 'head on C'), last)
  assert.equal(await cl.within(observer.record.has(name), 10000, 'has on C'), true)
  assert.equal(await cl.within(observer.record.has(uniq('never-written')), 10000, 'has(missing) on C'), false)
})

h.test('delete on A: the subscribers on B and C get the delete; C then finds no record', { skip: SKIP }, async () => {
  const name = uniq('del')
  const writer = await h.connect(A.url, { username: 'deleter-a' })
  const w = await ready(writer, name)
  const deleted = []
  const changes = []
  for (const [key, node] of [['B', B], ['C', Cn]]) {
    const client = await h.connect(node.url, { username: `del-sub-${key}` })
    const r = await ready(client, name)
    r.subscribe(() => changes.push(key))
    r.on('delete', () => deleted.push(key))
  }
  await cl.untilSeen((j) => cl.within(w.setWithAck({ doomed: j }), 10000, 'warm-up write'),
    () => changes.includes('B') && changes.includes('C'), 'the subscribers on B and C receive writes made on A')
  await cl.within(w.delete(), 10000, 'delete() on A')
  await cl.waitUntil(() => deleted.includes('B') && deleted.includes('C'), 'both subscribers get "delete"')
  assert.deepEqual(deleted.sort(), ['B', 'C'], 'one delete each')
  const observer = await h.connect(Cn.url, { username: 'del-observer-c' })
  await assert.rejects(h.withTimeout(observer.record.snapshot(name), 10000, 'snapshot on C'), (e) => e === 'RECORD_NOT_FOUND')
  assert.equal(await cl.within(observer.record.head(name), 10000, 'head on C'), -1)
  assert.equal(await cl.within(observer.record.has(name), 10000, 'has on C'), false)
})

h.test('same-version writes on two nodes, 50 rounds: exactly one acknowledged, the other VERSION_EXISTS carrying the winner', { skip: SKIP }, async () => {
  const name = uniq('conflict')
  const a = await cl.rawAuthed(A.url, 'race-a')
  const b = await cl.rawAuthed(B.url, 'race-b')
  const watcher = await cl.rawAuthed(Cn.url, 'race-watch-c')
  const since = a.mark()
  a.send({ topic: TOPIC.RECORD, action: RA.CREATEANDUPDATE, name, version: 1, data: '{"round":0}', isWriteAck: true, correlationId: 'init' })
  await a.waitFor((m) => m.action === RA.WRITE_ACKNOWLEDGEMENT && m.correlationId === 'init', { since, what: 'ack of the first version' })
  await rawSubscribe(watcher, name)
  // a (not subscribed) writes versions 2, 3, ... until the watcher on C receives them (should that never
  // happen, the rounds still run first: their verdict matters more)
  let version = 1
  const watching = cl.untilSeen(async (j) => {
    version++
    const s = a.mark()
    a.send({ topic: TOPIC.RECORD, action: RA.UPDATE, name, version, data: JSON.stringify({ warm: j }), isWriteAck: true, correlationId: `warm${j}` })
    await a.waitFor((m) => m.correlationId === `warm${j}` && m.action === RA.WRITE_ACKNOWLEDGEMENT, { since: s, what: `ack warm${j}` })
  }, () => rawWrites(watcher, name).length > 0, 'the watcher on C receives writes made on A').then(() => null, (e) => e)
  const watchError = await watching
  const base = version

  const isResult = (cid) => (m) => m.topic === TOPIC.RECORD && m.correlationId === cid &&
    (m.action === RA.WRITE_ACKNOWLEDGEMENT || m.isWriteAck === true || m.isError === true)
  const winners = []
  const aSince = a.mark()
  const bSince = b.mark()
  for (let round = 1; round <= 50; round++) {
    const v = base + round
    const frame = (by) => ({ topic: TOPIC.RECORD, action: RA.UPDATE, name, version: v, data: JSON.stringify({ round, by }), isWriteAck: true, correlationId: `${by}${round}` })
    // both in the same tick, alternating which socket goes first
    if (round % 2) { a.send(frame('a')); b.send(frame('b')) } else { b.send(frame('b')); a.send(frame('a')) }
    const [ra, rb] = await Promise.all([
      a.waitFor(isResult(`a${round}`), { since: aSince, what: `result of a's write in round ${round}` }),
      b.waitFor(isResult(`b${round}`), { since: bSince, what: `result of b's write in round ${round}` })
    ])
    const actions = [ra.action, rb.action]
    assert.deepEqual([...actions].sort((x, y) => x - y), [RA.WRITE_ACKNOWLEDGEMENT, RA.VERSION_EXISTS].sort((x, y) => x - y),
      `round ${round} (version ${v}): exactly one write wins, got ${JSON.stringify([ra, rb])}`)
    const winner = ra.action === RA.WRITE_ACKNOWLEDGEMENT ? 'a' : 'b'
    const lost = winner === 'a' ? rb : ra
    assert.equal(lost.version, v, `round ${round}: VERSION_EXISTS carries the current version`)
    assert.deepEqual(JSON.parse(lost.data), { round, by: winner }, `round ${round}: VERSION_EXISTS carries the winner's data`)
    assert.equal(lost.isWriteAck, true)
    winners.push(winner)
  }
  const last = base + 50
  const got = { a: await a.settle(aSince), b: await b.settle(bSince) }
  for (const [who, msgs] of Object.entries(got)) {
    const acks = msgs.filter((m) => m.action === RA.WRITE_ACKNOWLEDGEMENT).map((m) => m.correlationId)
    assert.deepEqual(acks, winners.map((w, i) => (w === who ? `${who}${i + 1}` : null)).filter(Boolean), `${who}: an ack for each round it won, no other`)
  }
  if (watchError) throw watchError
  // the watcher on C saw each winner once, in order
  await cl.waitUntil(() => rawWrites(watcher, name).some((m) => m.version === last), `the watcher reaches version ${last}`)
  await watcher.settle()
  const seen = rawWrites(watcher, name).filter((m) => m.version > base)
  assert.deepEqual(seen.map((m) => [m.version, m.parsedData]), winners.map((by, i) => [base + i + 1, { round: i + 1, by }]))
  const observer = await h.connect(Cn.url, { username: 'race-observer' })
  assert.equal(await observer.record.head(name), last)
  assert.deepEqual(await observer.record.snapshot(name), { round: 50, by: winners[49] })
})

h.test('overlapping writers on three nodes: 3 × 100 setWithAck of different paths, nothing lost, versions only increase', { skip: SKIP }, async () => {
  const name = uniq('overlap')
  const nodes = { a: A, b: B, c: Cn }
  const writers = {}
  const subs = {}
  for (const [key, node] of Object.entries(nodes)) {
    writers[key] = await h.connect(node.url, { username: `ow-${key}` })
    const client = await h.connect(node.url, { username: `os-${key}` })
    const r = await ready(client, name)
    subs[key] = { r, log: logChanges(r) }
  }
  // The writers hold no record: setDataWithAck sends CREATEANDPATCH with version -1 (the server numbers it).
  await cl.untilSeen((j) => cl.within(writers.a.record.setDataWithAck(name, 'warm', j), 10000, 'warm-up write'),
    () => Object.values(subs).every((s) => s.log.length > 0), 'the subscribers on A, B and C receive writes made on A')
  const start = await writers.a.record.head(name)

  await cl.within(Promise.all(Object.entries(writers).map(([key, client]) =>
    Promise.all(Array.from({ length: 100 }, (_, i) => client.record.setDataWithAck(name, `${key}${i}`, i))))),
  60000, '300 concurrent setDataWithAck')
  const last = start + 300

  for (const [key, s] of Object.entries(subs)) {
    await cl.waitUntil(() => s.r.version === last, `the subscriber on ${key} reaches version ${last} (at ${s.r.version})`, 20000)
  }
  const data = subs.a.r.get()
  for (const key of ['a', 'b', 'c']) {
    for (let i = 0; i < 100; i++) assert.equal(data[`${key}${i}`], i, `path ${key}${i}`)
  }
  assert.equal(Object.keys(data).length, 301, 'the 300 paths and warm')
  for (const [key, s] of Object.entries(subs)) {
    assert.equal(s.r.version, last, `subscriber on ${key}: version`)
    assert.deepEqual(s.r.get(), data, `subscriber on ${key}: data`)
    const versions = s.log.map((e) => e.version)
    for (let i = 1; i < versions.length; i++) {
      assert.ok(versions[i] > versions[i - 1], `subscriber on ${key}: versions strictly increase, got ${versions[i - 1]} then ${versions[i]}`)
    }
  }
  for (const [key, client] of Object.entries(writers)) {
    assert.equal(await client.record.head(name), last, `head via ${key}`)
    assert.deepEqual(await client.record.snapshot(name), data, `snapshot via ${key}`)
  }
})

h.test('a node started later reads the latest version and receives later writes made on A', { skip: SKIP }, async () => {
  const name = uniq('late')
  const writer = await h.connect(A.url, { username: 'late-writer' })
  for (let i = 1; i <= 3; i++) await cl.within(writer.record.setDataWithAck(name, { step: i }), 10000, `write ${i}`)
  const D = await cluster.startNode({ name: 'node-d', http: true })
  const client = await h.connect(D.url, { username: 'late-reader' })
  assert.deepEqual(await cl.within(client.record.snapshot(name), 10000, 'snapshot on D'), { step: 3 })
  assert.equal(await cl.within(client.record.head(name), 10000, 'head on D'), 3)
  const r = await ready(client, name)
  assert.equal(r.version, 3)
  assert.deepEqual(r.get(), { step: 3 })
  const log = logChanges(r)
  await cl.untilSeen((j) => cl.within(writer.record.setDataWithAck(name, { later: j }), 10000, 'warm-up write'),
    () => log.length > 0, 'the subscriber on D receives writes made on A')
  const from = log.length
  const v0 = await writer.record.head(name)
  for (let i = 1; i <= 5; i++) await cl.within(writer.record.setDataWithAck(name, { after: i }), 10000, `write after ${i}`)
  await cl.waitUntil(() => r.version === v0 + 5, `the subscriber on D reaches version ${v0 + 5}`)
  assert.deepEqual(log.slice(from), [1, 2, 3, 4, 5].map((i) => ({ version: v0 + i, data: { after: i } })))
})

async function api (node, body) {
  const res = await cl.within(fetch(`http://127.0.0.1:${node.port}/api`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ body })
  }), 10000, `POST /api on ${node.name}`)
  const text = await res.text()
  assert.equal(res.status, 200, text)
  return JSON.parse(text)
}

h.test('HTTP API: a websocket write on A is read over HTTP on B; an HTTP write on C reaches a subscriber on A', { skip: SKIP }, async () => {
  const name = uniq('http')
  const writer = await h.connect(A.url, { username: 'http-ws-writer' })
  await cl.within(writer.record.setDataWithAck(name, { via: 'ws-a' }), 10000, 'write on A')
  await cl.within(writer.record.setDataWithAck(name, 'n', 2), 10000, 'path write on A')
  const read = await api(B, [{ topic: 'record', action: 'read', recordName: name }, { topic: 'record', action: 'head', recordName: name }])
  assert.deepEqual(read, { result: 'SUCCESS', body: [{ version: 2, data: { via: 'ws-a', n: 2 }, success: true }, { version: 2, success: true }] })

  const sub = await h.connect(A.url, { username: 'http-sub-a' })
  const r = await ready(sub, name)
  const log = logChanges(r)
  await cl.untilSeen(async (j) => {
    assert.deepEqual(await api(Cn, [{ topic: 'record', action: 'write', recordName: name, data: { http: j } }]), { result: 'SUCCESS', body: [{ success: true }] })
  }, () => log.length > 0, 'the subscriber on A receives HTTP writes made on C')
  const from = log.length
  const [head] = (await api(Cn, [{ topic: 'record', action: 'head', recordName: name }])).body
  assert.equal(head.success, true)
  assert.deepEqual(await api(Cn, [
    { topic: 'record', action: 'write', recordName: name, data: { http: 'last' } },
    { topic: 'record', action: 'write', recordName: name, path: 'p.q', data: 'patched' }
  ]), { result: 'SUCCESS', body: [{ success: true }, { success: true }] })
  await cl.waitUntil(() => r.version === head.version + 2, `the subscriber on A reaches version ${head.version + 2}`)
  assert.deepEqual(log.slice(from), [
    { version: head.version + 1, data: { http: 'last' } },
    { version: head.version + 2, data: { http: 'last', p: { q: 'patched' } } }
  ])
})

h.test('/metrics on a node reports its cluster state: bus and Redis connected, lease held, changes delivered', { skip: SKIP }, async () => {
  const name = uniq('metrics')
  const writer = await h.connect(A.url, { username: 'metrics-a' })
  const watcher = await h.connect(B.url, { username: 'metrics-b' })
  const watched = await ready(watcher, name)
  const seen = new Promise((resolve) => watched.subscribe('n', (n) => { if (n === 1) resolve() }))
  await ready(writer, name)
  await cl.within(writer.record.setDataWithAck(name, { n: 1 }), cl.CLIENT_WAIT_MS, 'write on A')
  await cl.within(seen, cl.CLIENT_WAIT_MS, 'the change on B')
  const text = await h.httpGet(B.port, '/metrics').then((r) => r.body)
  const value = (metric) => {
    const line = text.split('\n').find((l) => l.startsWith(metric + ' '))
    assert.ok(line, `${metric} in /metrics:\n${text}`)
    return Number(line.split(' ')[1])
  }
  assert.equal(value('strata_cluster_bus_connected'), 1)
  assert.equal(value('strata_cluster_redis_commands_connected'), 1)
  assert.equal(value('strata_cluster_lease_held'), 1)
  assert.ok(value('strata_cluster_record_changes_delivered_total') >= 1)
  assert.ok(value('strata_cluster_records_followed') >= 1)
  assert.equal(value('strata_cluster_bus_malformed_total'), 0)
})
