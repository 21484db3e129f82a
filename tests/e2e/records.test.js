'use strict'
// Records with the official client (@deepstream/client 7.0.5), plus raw sockets where the client hides the wire.
const assert = require('node:assert/strict')
const h = require('./harness')
const { C } = h
const { TOPIC, RECORD_ACTION: RA } = C

const srv = h.useServer() // strata: default config (embedded storage); reference: in-memory
let seq = 0
const uniq = (prefix) => `${prefix}/${++seq}`

/** Resolves with the argument of the next subscribe callback of `record` (optionally for `path`). */
function nextChange (record, path) {
  return h.withTimeout(new Promise((resolve) => {
    const cb = (value) => {
      if (path === undefined) record.unsubscribe(cb); else record.unsubscribe(path, cb)
      resolve(value)
    }
    if (path === undefined) record.subscribe(cb); else record.subscribe(path, cb)
  }), 10000, `a change of ${record.name}${path ? ' at ' + path : ''}`)
}

/** Polls `fn` (sync or async) until it returns a truthy value; bounded. */
async function waitUntil (fn, what, timeout = 10000) {
  const deadline = Date.now() + timeout
  for (;;) {
    const v = await fn()
    if (v) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await h.sleep(50)
  }
}

async function ready (client, name) {
  const r = client.record.getRecord(name)
  await h.withTimeout(r.whenReady(), 10000, `getRecord(${name}).whenReady()`)
  return r
}

/**
 * Two clients, plus an observer that never holds records locally: the client answers snapshot()/head()
 * from its local copy when it has the record, so server-side checks go through the observer.
 */
async function twoClients () {
  const url = srv.server.url
  return [
    await h.connect(url, { username: 'alice' }),
    await h.connect(url, { username: 'bob' }),
    await h.connect(url, { username: 'observer' })
  ]
}

async function rawAuthed (user) {
  const raw = await h.rawSocket(srv.server.url)
  await raw.handshake({ username: user })
  return raw
}

/** Raw SUBSCRIBECREATEANDREAD; resolves with the READ_RESPONSE. */
async function rawSubscribe (raw, name, correlationId = 'sub-' + name) {
  const since = raw.mark()
  raw.send({ topic: TOPIC.RECORD, action: RA.SUBSCRIBECREATEANDREAD, names: [name], correlationId })
  await raw.waitFor((m) => m.topic === TOPIC.RECORD && m.action === RA.SUBSCRIBECREATEANDREAD && m.isAck, { since, what: 'subscribe ack' })
  return raw.waitFor((m) => m.topic === TOPIC.RECORD && m.action === RA.READ_RESPONSE && m.name === name, { since, what: `READ_RESPONSE ${name}` })
}

/** Raw READ; resolves with READ_RESPONSE or RECORD_NOT_FOUND. */
async function rawRead (raw, name) {
  const since = raw.mark()
  raw.send({ topic: TOPIC.RECORD, action: RA.READ, name })
  return raw.waitFor((m) => m.topic === TOPIC.RECORD && m.name === name &&
    (m.action === RA.READ_RESPONSE || m.action === RA.RECORD_NOT_FOUND), { since, what: `READ ${name}` })
}

h.test('getRecord creates a missing record at version 0 with data {}', async () => {
  const [c1, , obs] = await twoClients()
  const name = uniq('rec-new')
  const r = await ready(c1, name)
  assert.equal(r.version, 0)
  assert.deepEqual(r.get(), {})
  assert.equal(await obs.record.head(name), 0)
  assert.deepEqual(await obs.record.snapshot(name), {})
})

h.test('subscribe fires on another client\'s set (whole record and by path)', async () => {
  const [c1, c2] = await twoClients()
  const name = uniq('rec-sub')
  const w = await ready(c1, name)
  const r = await ready(c2, name)

  const whole = nextChange(r)
  w.set({ a: { b: 1 }, c: 'x' })
  assert.deepEqual(await whole, { a: { b: 1 }, c: 'x' })
  assert.equal(r.version, 1)

  const byPath = nextChange(r, 'a.b')
  w.set('a.b', 2)
  assert.equal(await byPath, 2)
  assert.equal(r.version, 2)
  assert.deepEqual(r.get(), { a: { b: 2 }, c: 'x' })
})

h.test('set whole, set path and erase(path) reach a second client with data and version', async () => {
  const [c1, c2, obs] = await twoClients()
  const name = uniq('rec-writes')
  const w = await ready(c1, name)
  const r = await ready(c2, name)

  let change = nextChange(r)
  w.set({ name: 'x', n: 1, nested: { k: 1, keep: true } })
  assert.deepEqual(await change, { name: 'x', n: 1, nested: { k: 1, keep: true } })
  assert.equal(r.version, 1)

  change = nextChange(r)
  w.set('n', 2)
  await change
  assert.equal(r.version, 2)
  assert.deepEqual(r.get(), { name: 'x', n: 2, nested: { k: 1, keep: true } })

  change = nextChange(r)
  w.set('list', [1, 2, 3])
  await change
  assert.equal(r.version, 3)
  assert.deepEqual(r.get('list'), [1, 2, 3])

  change = nextChange(r)
  w.erase('nested.k')
  await change
  assert.equal(r.version, 4)
  assert.deepEqual(r.get(), { name: 'x', n: 2, nested: { keep: true }, list: [1, 2, 3] })

  change = nextChange(r)
  w.erase('n')
  await change
  assert.equal(r.version, 5)
  assert.deepEqual(r.get(), { name: 'x', nested: { keep: true }, list: [1, 2, 3] })

  // the server's copy agrees
  assert.deepEqual(await obs.record.snapshot(name), { name: 'x', nested: { keep: true }, list: [1, 2, 3] })
  assert.equal(await obs.record.head(name), 5)
})

h.test('setWithAck (whole and path) and eraseWithAck resolve and the write is stored', async () => {
  const [c1, c2] = await twoClients()
  const name = uniq('rec-ack')
  const w = await ready(c1, name)
  assert.equal(await h.withTimeout(w.setWithAck({ a: 1, b: 2 }), 10000, 'setWithAck'), undefined)
  await h.withTimeout(w.setWithAck('c.d', 'e'), 10000, 'setWithAck(path)')
  await h.withTimeout(w.eraseWithAck('b'), 10000, 'eraseWithAck')
  assert.equal(w.version, 3)
  assert.deepEqual(await c2.record.snapshot(name), { a: 1, c: { d: 'e' } })
  assert.equal(await c2.record.head(name), 3)
})

h.test('a writer never receives its own update (raw subscribers)', async () => {
  const name = uniq('rec-own')
  const a = await rawAuthed('writer-a')
  const b = await rawAuthed('writer-b')
  assert.equal((await rawSubscribe(a, name)).version, 0)
  await rawSubscribe(b, name)

  const aSince = a.mark()
  const bSince = b.mark()
  a.send({ topic: TOPIC.RECORD, action: RA.UPDATE, name, version: 1, data: '{"x":1}', isWriteAck: true, correlationId: 'w1' })
  await a.waitFor((m) => m.action === RA.WRITE_ACKNOWLEDGEMENT && m.correlationId === 'w1', { since: aSince, what: 'write ack w1' })
  a.send({ topic: TOPIC.RECORD, action: RA.PATCH, name, version: 2, path: 'y', data: '2', isWriteAck: true, correlationId: 'w2' })
  await a.waitFor((m) => m.action === RA.WRITE_ACKNOWLEDGEMENT && m.correlationId === 'w2', { since: aSince, what: 'write ack w2' })

  // the other subscriber gets both writes ...
  const upd = await b.waitFor((m) => m.action === RA.UPDATE && m.name === name, { since: bSince, what: 'UPDATE at b' })
  assert.equal(upd.version, 1)
  assert.deepEqual(upd.parsedData, { x: 1 })
  const patch = await b.waitFor((m) => m.action === RA.PATCH && m.name === name, { since: bSince, what: 'PATCH at b' })
  assert.equal(patch.version, 2)
  assert.equal(patch.path, 'y')
  assert.equal(patch.parsedData, 2)

  // ... and b's own write comes back to a, not to b
  b.send({ topic: TOPIC.RECORD, action: RA.UPDATE, name, version: 3, data: '{"z":3}' })
  const back = await a.waitFor((m) => m.action === RA.UPDATE && m.name === name, { since: aSince, what: 'UPDATE from b at a' })
  assert.equal(back.version, 3)
  assert.deepEqual(back.parsedData, { z: 3 })

  const aGot = await a.settle(aSince)
  const bGot = await b.settle(bSince)
  assert.deepEqual(aGot.filter((m) => m.topic === TOPIC.RECORD && (m.action === RA.UPDATE || m.action === RA.PATCH)).map((m) => m.version), [3],
    'writer a must only see b\'s write')
  assert.deepEqual(bGot.filter((m) => m.topic === TOPIC.RECORD && (m.action === RA.UPDATE || m.action === RA.PATCH)).map((m) => m.version), [1, 2],
    'writer b must only see a\'s writes')
})

h.test('delete(): deleter resolves, other subscriber gets "delete", record is gone', async () => {
  const [c1, c2] = await twoClients()
  const name = uniq('rec-del')
  const w = await ready(c1, name)
  const r = await ready(c2, name)
  await w.setWithAck({ doomed: true })
  const deleted = h.withTimeout(new Promise((resolve) => r.on('delete', resolve)), 10000, 'delete event at c2')
  await h.withTimeout(w.delete(), 10000, 'delete()')
  await deleted
  await assert.rejects(c2.record.snapshot(name), (e) => e === 'RECORD_NOT_FOUND')
  assert.equal(await c2.record.head(name), -1)
  assert.equal(await c2.record.has(name), false)
  // a new getRecord starts again from scratch
  const again = await ready(c1, name)
  assert.equal(again.version, 0)
  assert.deepEqual(again.get(), {})
})

h.test('deleting a missing record succeeds (DELETE_SUCCESS)', async () => {
  const raw = await rawAuthed('deleter')
  const name = uniq('rec-del-missing')
  const since = raw.mark()
  raw.send({ topic: TOPIC.RECORD, action: RA.DELETE, name })
  const m = await raw.waitFor((x) => x.topic === TOPIC.RECORD && x.name === name, { since, what: 'reply to DELETE' })
  assert.equal(m.action, RA.DELETE_SUCCESS)
})

h.test('discard(): the record stops receiving updates and a later getRecord reads fresh data', async () => {
  const [c1, c2] = await twoClients()
  const name = uniq('rec-discard')
  const w = await ready(c1, name)
  const r = await ready(c2, name)
  r.discard()
  assert.equal(r.isReady, true)
  // wait until the client has sent UNSUBSCRIBE (recordDiscardTimeout is 100 ms) and the record is released
  await waitUntil(() => !c2.record.names().includes(name), 'c2 released the record')
  await w.setWithAck({ after: 'discard' })
  const fresh = await ready(c2, name)
  assert.equal(fresh.version, 1)
  assert.deepEqual(fresh.get(), { after: 'discard' })
})

h.test('raw UNSUBSCRIBE: acked, and no further updates are delivered', async () => {
  const name = uniq('rec-unsub')
  const raw = await rawAuthed('unsub')
  await rawSubscribe(raw, name)
  let since = raw.mark()
  raw.send({ topic: TOPIC.RECORD, action: RA.UNSUBSCRIBE, names: [name], correlationId: 'u1' })
  const ack = await raw.waitFor((m) => m.action === RA.UNSUBSCRIBE && m.isAck, { since, what: 'UNSUBSCRIBE ack' })
  assert.equal(ack.correlationId, 'u1')
  since = raw.mark()
  const [c1] = await twoClients()
  await c1.record.setDataWithAck(name, { k: 'v' })
  const got = await raw.settle(since)
  assert.deepEqual(got.filter((m) => m.topic === TOPIC.RECORD && m.name === name), [])
})

h.test('snapshot of an existing record and of a missing one (RECORD_NOT_FOUND)', async () => {
  const [c1, c2] = await twoClients()
  const name = uniq('rec-snap')
  const w = await ready(c1, name)
  assert.deepEqual(await c2.record.snapshot(name), {})
  await w.setWithAck({ s: [1, { t: 2 }] })
  assert.deepEqual(await c2.record.snapshot(name), { s: [1, { t: 2 }] })
  await assert.rejects(c2.record.snapshot(uniq('rec-snap-missing')), (e) => e === 'RECORD_NOT_FOUND')
  // snapshot does not create
  const missing = uniq('rec-snap-missing')
  await assert.rejects(c2.record.snapshot(missing), (e) => e === 'RECORD_NOT_FOUND')
  assert.equal(await c2.record.has(missing), false)
})

h.test('raw READ of a missing record: RECORD_NOT_FOUND with isError and originalAction READ', async () => {
  const raw = await rawAuthed('reader')
  const name = uniq('rec-read-missing')
  const m = await rawRead(raw, name)
  assert.equal(m.action, RA.RECORD_NOT_FOUND)
  assert.equal(m.isError, true)
  assert.equal(m.originalAction, RA.READ)
})

h.test('head: missing = -1, after getRecord = 0, after first set = 1', async () => {
  const [c1, c2] = await twoClients()
  const name = uniq('rec-head')
  assert.equal(await c2.record.head(name), -1)
  const w = await ready(c1, name)
  assert.equal(await c2.record.head(name), 0)
  await w.setWithAck({ one: 1 })
  assert.equal(await c2.record.head(name), 1)
})

h.test('has: true for an existing record, false for a missing one', async () => {
  const [c1, c2] = await twoClients()
  const name = uniq('rec-has')
  assert.equal(await c2.record.has(name), false)
  await ready(c1, name)
  assert.equal(await c2.record.has(name), true)
})

h.test('setData / setDataWithAck with and without path create missing records', async () => {
  const [c1, c2] = await twoClients()

  // with ack, no path (CREATEANDUPDATE)
  const a = uniq('rec-setdata')
  await h.withTimeout(c1.record.setDataWithAck(a, { k: 1 }), 10000, 'setDataWithAck')
  assert.deepEqual(await c2.record.snapshot(a), { k: 1 })
  assert.equal(await c2.record.head(a), 1)

  // with ack, path (CREATEANDPATCH), on a missing record
  const b = uniq('rec-setdata')
  await h.withTimeout(c1.record.setDataWithAck(b, 'x.y', 'z'), 10000, 'setDataWithAck(path)')
  assert.deepEqual(await c2.record.snapshot(b), { x: { y: 'z' } })
  assert.equal(await c2.record.head(b), 1)

  // without ack, no path: no reply, so wait for it to appear
  const c = uniq('rec-setdata')
  c1.record.setData(c, { plain: true })
  await waitUntil(async () => (await c2.record.head(c)) === 1, `${c} exists at version 1`)
  assert.deepEqual(await c2.record.snapshot(c), { plain: true })

  // without ack, path, on a missing record
  const d = uniq('rec-setdata')
  c1.record.setData(d, 'p', 7)
  await waitUntil(async () => (await c2.record.head(d)) === 1, `${d} exists at version 1`)
  assert.deepEqual(await c2.record.snapshot(d), { p: 7 })

  // existing record: version -1 means "next", subscribers see it with the right version
  await c1.record.setDataWithAck(a, 'k', 2)
  assert.equal(await c2.record.head(a), 2)
  const sub = await ready(c2, a)
  assert.equal(sub.version, 2)
  let change = nextChange(sub)
  c1.record.setData(a, { k: 3 })
  assert.deepEqual(await change, { k: 3 })
  assert.equal(sub.version, 3)
  change = nextChange(sub)
  c1.record.setData(a, 'm', 'n')
  await change
  assert.equal(sub.version, 4)
  assert.deepEqual(sub.get(), { k: 3, m: 'n' })
  // setData with path and undefined erases the key
  change = nextChange(sub)
  await c1.record.setDataWithAck(a, 'k', undefined)
  await change
  assert.equal(sub.version, 5)
  assert.deepEqual(sub.get(), { m: 'n' })
})

h.test('lists: setEntries, addEntry, removeEntry seen by another client', async () => {
  const [c1, c2, obs] = await twoClients()
  const name = uniq('list')
  const l1 = c1.record.getList(name)
  await h.withTimeout(l1.whenReady(), 10000, 'list ready')
  assert.deepEqual(l1.getEntries(), [])
  assert.equal(l1.isEmpty(), true)
  const l2 = c2.record.getList(name)
  await h.withTimeout(l2.whenReady(), 10000, 'list ready')

  const nextEntries = () => h.withTimeout(new Promise((resolve) => {
    const cb = (entries) => { l2.unsubscribe(cb); resolve(entries) }
    l2.subscribe(cb)
  }), 10000, 'list change at c2')

  let change = nextEntries()
  l1.setEntries(['a', 'b'])
  assert.deepEqual(await change, ['a', 'b'])
  change = nextEntries()
  l1.addEntry('c')
  assert.deepEqual(await change, ['a', 'b', 'c'])
  change = nextEntries()
  l1.addEntry('x', 1)
  assert.deepEqual(await change, ['a', 'x', 'b', 'c'])
  change = nextEntries()
  l1.removeEntry('a')
  assert.deepEqual(await change, ['x', 'b', 'c'])
  assert.deepEqual(l2.getEntries(), ['x', 'b', 'c'])
  assert.equal(l2.version, 4)
  await h.withTimeout(l1.setEntriesWithAck(['x', 'b', 'c', 'd']), 10000, 'setEntriesWithAck')
  assert.deepEqual(await obs.record.snapshot(name), ['x', 'b', 'c', 'd'])
  assert.equal(await obs.record.head(name), 5)
})

h.test('anonymous record: setName switches between records, set writes to the current one', async () => {
  const [c1, c2] = await twoClients()
  const n1 = uniq('anon')
  const n2 = uniq('anon')
  await c2.record.setDataWithAck(n1, { which: 1 })
  await c2.record.setDataWithAck(n2, { which: 2 })
  const anon = c1.record.getAnonymousRecord()
  await h.withTimeout(anon.setName(n1), 10000, 'setName(n1)')
  assert.equal(anon.name, n1)
  assert.deepEqual(anon.get(), { which: 1 })
  await h.withTimeout(anon.setName(n2), 10000, 'setName(n2)')
  assert.equal(anon.name, n2)
  assert.deepEqual(anon.get(), { which: 2 })
  assert.equal(anon.version, 1)
  await h.withTimeout(anon.setWithAck({ which: 2, written: true }), 10000, 'anon.setWithAck')
  assert.deepEqual(await c2.record.snapshot(n2), { which: 2, written: true })
  assert.deepEqual(await c2.record.snapshot(n1), { which: 1 })
  // changes by another client reach the anonymous record
  const watcher = await ready(c2, n2)
  watcher.set('other', 'client')
  await waitUntil(() => anon.get('other') === 'client', 'anonymous record sees the remote write')
  assert.equal(anon.version, 3)
})

h.test('notify(): resolves, and every subscriber ends up with what the server now holds', async () => {
  // deepstream 7 (in-memory, no storage): the record is dropped -> both subscribers get "delete".
  // strata with storage: the record is re-read from storage -> both keep the stored data.
  const [c1, c2, obs] = await twoClients()
  const name = uniq('rec-notify')
  const r1 = await ready(c1, name)
  const r2 = await ready(c2, name)
  const del1 = new Promise((resolve) => r1.on('delete', () => resolve(true)))
  const del2 = new Promise((resolve) => r2.on('delete', () => resolve(true)))
  await r1.setWithAck({ v: 1 })
  await waitUntil(() => r2.version === 1, 'c2 sees version 1')
  await h.withTimeout(c2.record.notify([name]), 10000, 'notify()')
  let server
  try {
    server = { data: await obs.record.snapshot(name), version: await obs.record.head(name) }
  } catch (e) {
    assert.equal(e, 'RECORD_NOT_FOUND')
    server = null
  }
  if (server === null) {
    // record was dropped: both subscribers were told
    await h.withTimeout(Promise.all([del1, del2]), 10000, 'delete events after notify')
    assert.equal(await obs.record.head(name), -1)
  } else {
    assert.deepEqual(server, { data: { v: 1 }, version: 1 })
    await waitUntil(() => r1.version === 1 && r2.version === 1, 'both subscribers at version 1')
    assert.deepEqual(r1.get(), { v: 1 })
    assert.deepEqual(r2.get(), { v: 1 })
  }
})

h.test('notify() with storage: subscribers still see the stored data and can keep writing', {
  skip: h.strataOnly('needs a storage behind the cache; the reference runs in-memory where NOTIFY deletes (PROTOCOL 2.9.3)')
}, async () => {
  const [c1, c2, obs] = await twoClients()
  const name = uniq('rec-notify-store')
  const r1 = await ready(c1, name)
  const r2 = await ready(c2, name)
  let deletedEvents = 0
  r1.on('delete', () => deletedEvents++)
  r2.on('delete', () => deletedEvents++)
  await r1.setWithAck({ v: 1, keep: 'me' })
  await waitUntil(() => r2.version === 1, 'c2 sees version 1')
  await h.withTimeout(c2.record.notify([name]), 10000, 'notify()')
  assert.deepEqual(await obs.record.snapshot(name), { v: 1, keep: 'me' })
  assert.equal(await obs.record.head(name), 1)
  assert.equal(deletedEvents, 0)
  assert.deepEqual(r1.get(), { v: 1, keep: 'me' })
  assert.deepEqual(r2.get(), { v: 1, keep: 'me' })
  const change = nextChange(r1)
  await r2.setWithAck('v', 2)
  assert.deepEqual(await change, { v: 2, keep: 'me' })
  assert.equal(r1.version, 2)
  assert.deepEqual(await obs.record.snapshot(name), { v: 2, keep: 'me' })
})

h.test('two clients see each other\'s writes', async () => {
  const [c1, c2] = await twoClients()
  const name = uniq('rec-both')
  const r1 = await ready(c1, name)
  const r2 = await ready(c2, name)
  let change = nextChange(r2)
  r1.set('from1', 1)
  await change
  change = nextChange(r1)
  r2.set('from2', 2)
  await change
  change = nextChange(r2)
  r1.set({ replaced: true })
  await change
  assert.equal(r1.version, 3)
  assert.equal(r2.version, 3)
  assert.deepEqual(r1.get(), { replaced: true })
  assert.deepEqual(r2.get(), { replaced: true })
})

h.test('concurrent writes of the same version: exactly one wins, both clients converge', async () => {
  const [c1, c2, obs] = await twoClients()
  const name = uniq('rec-race')
  const r1 = await ready(c1, name)
  const r2 = await ready(c2, name)
  // both clients are at version 0 and write version 1 in the same tick
  const p1 = r1.setWithAck({ w: 1 }).then(() => 1)
  const p2 = r2.setWithAck({ w: 2 }).then(() => 2)
  // the winner's ack resolves (the 7.0.5 client never settles the loser's promise, so only the winner is awaited)
  const winner = await h.withTimeout(Promise.any([p1, p2]), 10000, 'the winning write ack')
  await waitUntil(() => r1.version === 1 && r2.version === 1 &&
    r1.get('w') === winner && r2.get('w') === winner, 'both clients converge on the winner at version 1')
  assert.deepEqual(await obs.record.snapshot(name), { w: winner })
  assert.equal(await obs.record.head(name), 1)
})

h.test('stale write via raw socket: VERSION_EXISTS with the current version and data', async () => {
  const raw = await rawAuthed('stale')
  const name = uniq('rec-stale')
  let since = raw.mark()
  raw.send({ topic: TOPIC.RECORD, action: RA.CREATEANDUPDATE, name, version: 1, data: '{"a":1}', isWriteAck: true, correlationId: 'c1' })
  await raw.waitFor((m) => m.action === RA.WRITE_ACKNOWLEDGEMENT && m.correlationId === 'c1', { since, what: 'ack c1' })

  // same version again, no ack requested
  since = raw.mark()
  raw.send({ topic: TOPIC.RECORD, action: RA.UPDATE, name, version: 1, data: '{"a":2}' })
  const ve = await raw.waitFor((m) => m.topic === TOPIC.RECORD && m.name === name && m.action === RA.VERSION_EXISTS, { since, what: 'VERSION_EXISTS' })
  assert.equal(ve.version, 1)
  assert.deepEqual(JSON.parse(ve.data), { a: 1 })
  assert.equal(ve.originalAction, RA.UPDATE)
  assert.notEqual(ve.isWriteAck, true)

  // stale version with a write ack requested: error carries isWriteAck + correlationId, and there is no ack
  since = raw.mark()
  raw.send({ topic: TOPIC.RECORD, action: RA.UPDATE, name, version: 1, data: '{"a":3}', isWriteAck: true, correlationId: '77' })
  const ve2 = await raw.waitFor((m) => m.topic === TOPIC.RECORD && m.name === name && m.action === RA.VERSION_EXISTS, { since, what: 'VERSION_EXISTS with ack' })
  assert.equal(ve2.version, 1)
  assert.deepEqual(JSON.parse(ve2.data), { a: 1 })
  assert.equal(ve2.originalAction, RA.UPDATE)
  assert.equal(ve2.isWriteAck, true)
  assert.equal(ve2.correlationId, '77')

  // an older PATCH: VERSION_EXISTS too
  raw.send({ topic: TOPIC.RECORD, action: RA.PATCH, name, version: 0, path: 'a', data: '9', isWriteAck: true, correlationId: '78' })
  const ve3 = await raw.waitFor((m) => m.action === RA.VERSION_EXISTS && m.correlationId === '78', { since, what: 'VERSION_EXISTS for PATCH' })
  assert.equal(ve3.version, 1)
  assert.deepEqual(JSON.parse(ve3.data), { a: 1 })

  const got = await raw.settle(since)
  assert.equal(got.filter((m) => m.action === RA.WRITE_ACKNOWLEDGEMENT).length, 0, 'rejected writes are not acknowledged')
  const read = await rawRead(raw, name)
  assert.equal(read.action, RA.READ_RESPONSE)
  assert.equal(read.version, 1)
  assert.deepEqual(read.parsedData, { a: 1 })

  // the correct next version is accepted
  since = raw.mark()
  raw.send({ topic: TOPIC.RECORD, action: RA.UPDATE, name, version: 2, data: '{"a":4}', isWriteAck: true, correlationId: '79' })
  await raw.waitFor((m) => m.action === RA.WRITE_ACKNOWLEDGEMENT && m.correlationId === '79', { since, what: 'ack 79' })
  const read2 = await rawRead(raw, name)
  assert.equal(read2.version, 2)
  assert.deepEqual(read2.parsedData, { a: 4 })
})

h.test('two raw writers with the same version: one acked, the other VERSION_EXISTS carrying the winner', async () => {
  const name = uniq('rec-race-raw')
  const a = await rawAuthed('race-a')
  const b = await rawAuthed('race-b')
  await rawSubscribe(a, name)
  await rawSubscribe(b, name)
  const aSince = a.mark()
  const bSince = b.mark()
  a.send({ topic: TOPIC.RECORD, action: RA.UPDATE, name, version: 1, data: '{"by":"a"}', isWriteAck: true, correlationId: 'ra' })
  b.send({ topic: TOPIC.RECORD, action: RA.UPDATE, name, version: 1, data: '{"by":"b"}', isWriteAck: true, correlationId: 'rb' })
  const isResult = (cid) => (m) => m.correlationId === cid && (m.action === RA.WRITE_ACKNOWLEDGEMENT || m.action === RA.VERSION_EXISTS)
  const ra = await a.waitFor(isResult('ra'), { since: aSince, what: 'result of a\'s write' })
  const rb = await b.waitFor(isResult('rb'), { since: bSince, what: 'result of b\'s write' })
  const results = [ra.action, rb.action].sort()
  assert.deepEqual(results, [RA.WRITE_ACKNOWLEDGEMENT, RA.VERSION_EXISTS].sort(), 'exactly one write wins')
  const winner = ra.action === RA.WRITE_ACKNOWLEDGEMENT ? 'a' : 'b'
  const loserMsg = winner === 'a' ? rb : ra
  assert.equal(loserMsg.version, 1)
  assert.deepEqual(JSON.parse(loserMsg.data), { by: winner })
  assert.equal(loserMsg.isWriteAck, true)
  const read = await rawRead(a, name)
  assert.equal(read.version, 1)
  assert.deepEqual(read.parsedData, { by: winner })
})
