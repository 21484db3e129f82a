'use strict'
// The legacy text endpoint /deepstream-v3 (PROTOCOL 5 and 7) with the legacy client
// deepstream.io-client-js@2.3.4, alone and side by side with @deepstream/client 7 on /deepstream:
// both kinds of client share records, events, RPCs and presence.
const assert = require('node:assert/strict')
const { after } = require('node:test')
const createLegacyClient = require('deepstream.io-client-js')
const h = require('./harness')

const CONFIG = 'connectionEndpoints:\n  - type: ws-binary\n  - type: ws-text\n'
const srv = h.useServer({ config: CONFIG })
const legacyUrl = () => srv.server.url.replace('/deepstream', '/deepstream-v3')
const WAIT = 10000

const legacyClients = new Set()
after(() => { for (const c of legacyClients) { try { c.close() } catch (e) { /* closed */ } } })

/** A logged-in 2.3.4 client; its error events are collected in `errors`. */
function legacy (username, options = {}) {
  const client = createLegacyClient(legacyUrl(), { maxReconnectAttempts: 0, subscriptionTimeout: 1000, ...options })
  legacyClients.add(client)
  client.errors = []
  client.on('error', (message, event, topic) => client.errors.push({ message, event, topic }))
  const loggedIn = new Promise((resolve, reject) => {
    client.login(username === undefined ? {} : { username }, (success, data) =>
      success ? resolve(client) : reject(new Error(`legacy login failed: ${JSON.stringify(data)}`)))
  })
  return h.withTimeout(loggedIn, WAIT, `legacy login of ${username}`)
}

/** Promisifies a node-style (err, value) callback API of the legacy client. */
const call = (what, fn) => h.withTimeout(new Promise((resolve, reject) =>
  fn((err, value) => (err ? reject(Object.assign(new Error(String(err)), { code: err })) : resolve(value)))), WAIT, what)

const ready = (record) => h.withTimeout(new Promise((resolve) => record.whenReady(resolve)), WAIT, `record ${record.name} ready`)

/** Resolves when `register(callback)` has been called back with a value satisfying `pred`. */
const seen = (what, register, pred = () => true) => h.withTimeout(new Promise((resolve) =>
  register((...args) => { if (pred(...args)) resolve(args.length > 1 ? args : args[0]) })), WAIT, what)

const noErrors = (client) => assert.deepEqual(client.errors, [])

h.test('legacy login and records: get, set, set path, ack callback, snapshot, head, delete', async () => {
  const a = await legacy('leg-a')
  const b = await legacy('leg-b')
  const ra = a.record.getRecord('legacy/rec')
  await ready(ra)
  assert.deepEqual(ra.get(), {})
  const rb = b.record.getRecord('legacy/rec')
  await ready(rb)
  const bSeesSet = seen('b to see the whole-record set', (cb) => rb.subscribe(cb, false), (d) => d.x === 1)
  ra.set({ x: 1, nested: { y: 'a' } })
  assert.deepEqual(await bSeesSet, { x: 1, nested: { y: 'a' } })
  const bSeesPath = seen('b to see the path set', (cb) => rb.subscribe('nested.y', cb), (v) => v === 'b')
  ra.set('nested.y', 'b')
  await bSeesPath
  const ack = await h.withTimeout(new Promise((resolve) => ra.set('z', [1, 2], resolve)), WAIT, 'the write ack')
  assert.equal(ack, null)
  // (a snapshot by a client that holds the record would be applied to it as an out-of-order update)
  const c = await legacy('leg-reader')
  assert.deepEqual(await call('snapshot', (cb) => c.record.snapshot('legacy/rec', cb)), { x: 1, nested: { y: 'b' }, z: [1, 2] })
  assert.equal(await call('head', (cb) => b.record.head('legacy/rec', cb)), 3)
  const deleted = seen('b to see the delete', (cb) => rb.on('delete', cb))
  ra.delete()
  await deleted
  noErrors(a)
  noErrors(b)
  noErrors(c)
})

h.test('legacy setData with an ack creates and patches a record', async () => {
  const a = await legacy('leg-c')
  await h.withTimeout(new Promise((resolve, reject) =>
    a.record.setData('legacy/setdata', { k: 'v' }, (err) => (err ? reject(new Error(err)) : resolve()))), WAIT, 'setData ack')
  assert.deepEqual(await call('snapshot', (cb) => a.record.snapshot('legacy/setdata', cb)), { k: 'v' })
  await h.withTimeout(new Promise((resolve, reject) =>
    a.record.setData('legacy/setdata', 'k', 'w', (err) => (err ? reject(new Error(err)) : resolve()))), WAIT, 'setData path ack')
  assert.deepEqual(await call('snapshot', (cb) => a.record.snapshot('legacy/setdata', cb)), { k: 'w' })
})

h.test('legacy has, and head and snapshot of a missing record', {
  skip: h.strataOnly('deepstream 7 does not answer R|H, answers R|HD of a missing record with a version and a missing snapshot in a form 2.3.4 does not match')
}, async () => {
  const a = await legacy('leg-has')
  const r = a.record.getRecord('legacy/has')
  await ready(r)
  assert.equal(await call('has', (cb) => a.record.has('legacy/has', cb)), true)
  assert.equal(await call('has missing', (cb) => a.record.has('legacy/has-not', cb)), false)
  await assert.rejects(call('head missing', (cb) => a.record.head('legacy/has-not', cb)), /RECORD_NOT_FOUND/)
  await assert.rejects(call('snapshot missing', (cb) => a.record.snapshot('legacy/has-not', cb)), /RECORD_NOT_FOUND/)
  noErrors(a)
})

h.test('legacy events: subscribe acks, emit with every payload type, unsubscribe', async () => {
  const a = await legacy('leg-ev-a')
  const b = await legacy('leg-ev-b')
  const got = []
  const cb = (data) => got.push(data)
  b.event.subscribe('legacy/ev', cb)
  await h.sleep(300)
  const payloads = ['text', 42, 1.5, true, false, null, { o: [1, 'x'] }, [1, 2]]
  for (const p of payloads) a.event.emit('legacy/ev', p)
  a.event.emit('legacy/ev')
  await h.withTimeout((async () => { while (got.length < payloads.length + 1) await h.sleep(20) })(), WAIT, 'all events')
  assert.deepEqual(got, [...payloads, undefined])
  b.event.unsubscribe('legacy/ev', cb)
  await h.sleep(1300) // past subscriptionTimeout: a missing ack would show up as ACK_TIMEOUT
  a.event.emit('legacy/ev', 'after')
  await h.sleep(300)
  assert.equal(got.length, payloads.length + 1)
  noErrors(a)
  noErrors(b)
})

h.test('legacy RPC: provide, make, error, rejection, no provider', async () => {
  const p = await legacy('leg-rpc-p')
  const r = await legacy('leg-rpc-r')
  p.rpc.provide('legacy/add', (data, response) => response.send(data.a + data.b))
  p.rpc.provide('legacy/fail', (data, response) => response.error('it failed'))
  p.rpc.provide('legacy/reject', (data, response) => response.reject())
  await h.sleep(300)
  assert.equal(await call('make add', (cb) => r.rpc.make('legacy/add', { a: 1, b: 2 }, cb)), 3)
  await assert.rejects(call('make fail', (cb) => r.rpc.make('legacy/fail', null, cb)), /it failed/)
  await assert.rejects(call('make reject', (cb) => r.rpc.make('legacy/reject', null, cb)), /NO_RPC_PROVIDER/)
  await assert.rejects(call('make none', (cb) => r.rpc.make('legacy/none', 'x', cb)), /NO_RPC_PROVIDER/)
  p.rpc.unprovide('legacy/add')
  await h.sleep(1300)
  await assert.rejects(call('make after unprovide', (cb) => r.rpc.make('legacy/add', { a: 1, b: 2 }, cb)), /NO_RPC_PROVIDER/)
  noErrors(p)
  noErrors(r)
})

h.test('legacy presence: subscribe ack, join, leave, getAll', async () => {
  const watcher = await legacy('pres-watch')
  const events = []
  watcher.presence.subscribe((user, online) => events.push(`${user}:${online}`))
  await h.sleep(300)
  const other = await legacy('pres-other')
  await h.withTimeout((async () => { while (!events.includes('pres-other:true')) await h.sleep(20) })(), WAIT, 'join')
  const all = await h.withTimeout(new Promise((resolve) => watcher.presence.getAll(resolve)), WAIT, 'getAll')
  assert.ok(all.includes('pres-other'), JSON.stringify(all))
  assert.ok(!all.includes('pres-watch'), 'the requester is not listed')
  const some = await h.withTimeout(new Promise((resolve) => watcher.presence.getAll(['pres-other', 'pres-nobody'], resolve)), WAIT, 'getAll(users)')
  assert.deepEqual(some, { 'pres-other': true, 'pres-nobody': false })
  other.close()
  await h.withTimeout((async () => { while (!events.includes('pres-other:false')) await h.sleep(20) })(), WAIT, 'leave')
  await h.sleep(1200) // the U|A|S|S ack arrived: no ACK_TIMEOUT
  noErrors(watcher)
})

h.test('mixed: a legacy client and a v7 client share record writes both ways', async () => {
  const l = await legacy('mix-leg')
  const v = await h.connect(srv.server.url, { username: 'mix-v7' })
  const lr = l.record.getRecord('mixed/rec')
  await ready(lr)
  const vr = v.record.getRecord('mixed/rec')
  await vr.whenReady()
  const v7Sees = seen('v7 to see the legacy write', (cb) => vr.subscribe('from', cb), (x) => x === 'legacy')
  lr.set({ from: 'legacy', n: 1 })
  await v7Sees
  const legacySees = seen('legacy to see the v7 patch', (cb) => lr.subscribe('n', cb), (x) => x === 2)
  await vr.setWithAck('n', 2)
  await legacySees
  const legacySeesWhole = seen('legacy to see the v7 update', (cb) => lr.subscribe(cb), (d) => d.from === 'v7')
  await vr.setWithAck({ from: 'v7', list: [1, 2] })
  await legacySeesWhole
  assert.deepEqual(lr.get(), { from: 'v7', list: [1, 2] })
  assert.equal(await call('legacy head', (cb) => l.record.head('mixed/rec', cb)), 3)
  assert.deepEqual(await v.record.snapshot('mixed/rec'), { from: 'v7', list: [1, 2] })
  const legacySeesDelete = seen('legacy to see the v7 delete', (cb) => lr.on('delete', cb))
  await vr.delete()
  await legacySeesDelete
  noErrors(l)
})

h.test('mixed listening: a legacy provider serves a v7 subscriber and is told when it leaves', async () => {
  const v = await h.connect(srv.server.url, { username: 'mixli-v7' })
  const vr = v.record.getRecord('mixli/a')
  await vr.whenReady()
  // Listening after the subscription exists: the server offers the name as the pattern arrives.
  const provider = await legacy('mixli-leg')
  const offers = []
  const stopped = seen('the legacy provider to be told the subscriber left', (cb) =>
    provider.record.listen('mixli/.*', (match, isSubscribed, response) => {
      offers.push([match, isSubscribed])
      if (isSubscribed) response.accept()
      else cb(match)
    }))
  await h.withTimeout((async () => { while (vr.hasProvider !== true) await h.sleep(20) })(), WAIT, 'v7 hasProvider')
  await vr.discard()
  assert.equal(await stopped, 'mixli/a')
  assert.deepEqual(offers, [['mixli/a', true], ['mixli/a', false]])
  noErrors(provider)
})

h.test('mixed listening: a v7 provider serves legacy event subscribers', async () => {
  const v = await h.connect(srv.server.url, { username: 'mixlev-v7' })
  const offers = []
  const stops = []
  v.event.listen('mixlev/.*', (match, response) => {
    offers.push(match)
    response.onStop((m) => stops.push(m))
    response.accept()
  })
  await h.sleep(300) // the v7 client has no callback for the LISTEN ack
  const l = await legacy('mixlev-leg')
  const handler = () => {}
  l.event.subscribe('mixlev/1', handler)
  await h.withTimeout((async () => { while (offers.length === 0) await h.sleep(20) })(), WAIT, 'the offer')
  l.event.unsubscribe('mixlev/1', handler)
  await h.withTimeout((async () => { while (stops.length === 0) await h.sleep(20) })(), WAIT, 'onStop')
  assert.deepEqual(offers, ['mixlev/1'])
  assert.deepEqual(stops, ['mixlev/1'])
  noErrors(l)
})

h.test('mixed: events both ways', async () => {
  const l = await legacy('mix-ev-leg')
  const v = await h.connect(srv.server.url, { username: 'mix-ev-v7' })
  const legacyGets = seen('legacy to get the v7 event', (cb) => l.event.subscribe('mixed/ev', cb))
  const v7Gets = seen('v7 to get the legacy event', (cb) => v.event.subscribe('mixed/ev', cb), (d) => d && d.from === 'legacy')
  await h.sleep(400)
  v.event.emit('mixed/ev', { from: 'v7' })
  assert.deepEqual(await legacyGets, { from: 'v7' })
  l.event.emit('mixed/ev', { from: 'legacy' })
  assert.deepEqual(await v7Gets, { from: 'legacy' })
  noErrors(l)
})

h.test('mixed: RPC in both directions, with errors', async () => {
  const l = await legacy('mix-rpc-leg')
  const v = await h.connect(srv.server.url, { username: 'mix-rpc-v7' })
  l.rpc.provide('mixed/double', (data, response) => response.send(data * 2))
  l.rpc.provide('mixed/fail', (data, response) => response.error('legacy says no'))
  v.rpc.provide('mixed/greet', (data, response) => response.send({ hello: data.name }))
  v.rpc.provide('mixed/v7fail', (data, response) => response.error('v7 says no'))
  await h.sleep(400)
  assert.equal(await h.withTimeout(v.rpc.make('mixed/double', 21), WAIT, 'v7 -> legacy rpc'), 42)
  await assert.rejects(h.withTimeout(v.rpc.make('mixed/fail', 1), WAIT, 'v7 -> legacy error'), (e) => String(e).includes('legacy says no'))
  assert.deepEqual(await call('legacy -> v7 rpc', (cb) => l.rpc.make('mixed/greet', { name: 'bob' }, cb)), { hello: 'bob' })
  await assert.rejects(call('legacy -> v7 error', (cb) => l.rpc.make('mixed/v7fail', null, cb)), /v7 says no/)
  noErrors(l)
})

h.test('mixed: presence join and leave seen across protocols', async () => {
  const l = await legacy('mix-pres-leg')
  const v = await h.connect(srv.server.url, { username: 'mix-pres-v7' })
  const legacyEvents = []
  l.presence.subscribe((user, online) => legacyEvents.push(`${user}:${online}`))
  const v7Events = []
  v.presence.subscribe((user, online) => v7Events.push(`${user}:${online}`))
  await h.sleep(400)
  const l2 = await legacy('mix-pres-leg2')
  const v2 = await h.connect(srv.server.url, { username: 'mix-pres-v7b' })
  const until = (list, item) => h.withTimeout((async () => { while (!list.includes(item)) await h.sleep(20) })(), WAIT, item)
  await until(legacyEvents, 'mix-pres-v7b:true')
  await until(v7Events, 'mix-pres-leg2:true')
  assert.ok((await v.presence.getAll()).includes('mix-pres-leg'))
  l2.close()
  v2.close()
  await until(legacyEvents, 'mix-pres-v7b:false')
  await until(v7Events, 'mix-pres-leg2:false')
  noErrors(l)
})

h.test('raw text socket: greeting, several messages per frame, acks', async () => {
  const s = await h.rawTextSocket(legacyUrl())
  await s.waitFor('C|A')
  await s.waitFor('C|PI')
  s.send('C', 'CHR', legacyUrl()) // a client expecting a challenge: tolerated
  await s.login({ username: 'raw-1' })
  const since = s.mark()
  s.sendRaw('E\x1fS\x1fraw/a\x1eE\x1fS\x1fraw/b\x1e\x1e\x1eR\x1fCR\x1fraw/r\x1e')
  await s.waitFor('E|A|S|raw/a', { since })
  await s.waitFor('E|A|S|raw/b', { since })
  await s.waitFor('R|A|S|raw/r', { since })
  await s.waitFor('R|R|raw/r|0|{}', { since })
  s.send('R', 'U', 'raw/r', '1', '{"a":1}', '{"writeSuccess":true}')
  await s.waitFor('R|WA|raw/r|[1]|L', { since })
  s.send('R', 'U', 'raw/r', '1', '{"a":2}')
  await s.waitFor('R|E|VERSION_EXISTS|raw/r|1|{"a":1}', { since })
  s.send('R', 'D', 'raw/r')
  await s.waitFor('R|A|D|raw/r', { since })
})

h.test('raw text socket: bad messages get legacy errors and the connection keeps serving', {
  skip: h.strataOnly('deepstream 7 drops unknown actions and bad messages silently on /deepstream-v3')
}, async () => {
  const s = await h.rawTextSocket(legacyUrl())
  await s.login({ username: 'raw-2' })
  const since = s.mark()
  s.send('Z', 'S', 'x')
  await s.waitFor('X|E|UNKNOWN_TOPIC|Z', { since })
  s.send('R', 'EVT', 'x')
  await s.waitFor('R|E|UNKNOWN_ACTION|unknown action EVT', { since })
  s.send('E', 'S')
  await s.waitFor('E|E|INVALID_MESSAGE_DATA|E|S', { since })
  s.send('E', 'EVT', 'x', 'Qbad')
  await s.waitFor('E|E|INVALID_MESSAGE_DATA|E|EVT|x|Qbad', { since })
  s.send('R', 'U', 'raw/bad', '1', '{not json')
  await s.waitFor(/^R\|E\|INVALID_MESSAGE_DATA\|R\|U\|raw\/bad/, { since })
  s.send('R', 'U', 'raw/bad', 'x', '{}')
  await s.waitFor('R|E|INVALID_VERSION|raw/bad|x', { since })
  // a conflicting write that asked for an ack fails its ack (3.2.5 reported success)
  s.send('R', 'CR', 'raw/conflict')
  await s.waitFor('R|R|raw/conflict|0|{}', { since })
  s.send('R', 'U', 'raw/conflict', '0', '{}', '{"writeSuccess":true}')
  await s.waitFor('R|E|VERSION_EXISTS|raw/conflict|0|{}', { since })
  await s.waitFor('R|WA|raw/conflict|[0]|SVERSION_EXISTS', { since })
  s.sendRaw('garbage')
  await s.waitFor('X|E|MESSAGE_PARSE_ERROR|garbage', { since })
  s.sendRaw('ab\x1e\x1e')
  s.send('R', 'H', 'raw/none')
  await s.waitFor('R|H|raw/none|F', { since })
  s.send('E', 'S', 'still/alive')
  await s.waitFor('E|A|S|still/alive', { since })
})

h.test('raw text socket: malformed auth is refused and the connection closed', {
  skip: h.strataOnly('deepstream 3.2.5 left such connections open; strata closes them')
}, async () => {
  for (const bad of [['A', 'REQ', 'not json'], ['A', 'REQ', '"str"'], ['A', 'REQ'], ['E', 'S', 'x']]) {
    const s = await h.rawTextSocket(legacyUrl())
    await s.waitFor('C|A')
    s.send(...bad)
    await s.waitFor('A|E|INVALID_AUTH_MSG|invalid authentication message')
    await s.waitClosed()
  }
})

h.test('raw text socket: the server pings every heartbeatInterval; silent connections are closed', {
  skip: h.strataOnly('needs its own server with a short heartbeat')
}, async () => {
  const server = await h.startServer({ config: 'connectionEndpoints:\n  - type: ws-text\n    options:\n      heartbeatInterval: 200\n' })
  const url = `ws://127.0.0.1:${server.port}/deepstream-v3`
  const s = await h.rawTextSocket(url)
  await s.login({ username: 'hb' })
  for (let i = 0; i < 5; i++) {
    const since = s.mark()
    await s.waitFor('C|PI', { since, timeout: 1000 })
    s.send('C', 'PO') // answered pings keep the connection alive; the server ignores C|PO
  }
  assert.equal(s.closeCode, null)
  const silent = await h.rawTextSocket(url)
  await silent.waitFor('C|A')
  await silent.waitClosed(3000)
})

h.test('raw text socket: unauthenticated connections time out', {
  skip: h.strataOnly('needs its own server with a short timeout')
}, async () => {
  const server = await h.startServer({ config: 'connectionEndpoints:\n  - type: ws-text\n    options:\n      unauthenticatedClientTimeout: 300\n' })
  const s = await h.rawTextSocket(`ws://127.0.0.1:${server.port}/deepstream-v3`)
  await s.waitFor(/^C\|E\|CONNECTION_AUTHENTICATION_TIMEOUT\|S/)
  await s.waitClosed()
})
