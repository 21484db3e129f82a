'use strict'
// Presence (PROTOCOL 2.12) with the official client and on the wire: subscribe to everybody and
// to one user, JOIN/LEAVE on login and logout, getAll() with and without names, a user with two
// connections counted once, the anonymous user "open", and the exact fields of every reply.
const assert = require('node:assert/strict')
const h = require('./harness')
const { TOPIC, PRESENCE_ACTION: PA } = h.C

const srv = h.useServer({ config: h.MEMORY_CONFIG })
const isPresence = (action) => (m) => m.topic === TOPIC.PRESENCE && m.action === action

// Resolves once `cond()` holds (checked every 20 ms); rejects after 10 s.
async function until (cond, what) {
  const deadline = Date.now() + 10000
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await h.sleep(20)
  }
}

// The client bulks SUBSCRIBE for subscriptionInterval (100 ms); a query sent afterwards is
// answered only once the server has handled everything sent before it.
async function subscriptionsSent (client) {
  await h.sleep(300)
  await h.withTimeout(client.presence.getAll(), 10000, 'getAll round trip')
}

// A decoded server message without the harness's parsedData, for exact comparisons.
function wire (m) {
  const { parsedData, ...rest } = m
  return rest
}

async function rawLogin (url, authData) {
  const raw = await h.rawSocket(url)
  await raw.handshake(authData)
  return raw
}

h.test('subscribe(cb) and subscribe(user, cb) see a login and a logout', async () => {
  const watcher = await h.connect(srv.server.url, { username: 'p1-watcher' })
  const all = []
  const one = []
  watcher.presence.subscribe((user, online) => all.push([user, online]))
  watcher.presence.subscribe('p1-bob', (user, online) => one.push([user, online]))
  await subscriptionsSent(watcher)

  const bob = await h.connect(srv.server.url, { username: 'p1-bob' })
  await until(() => one.length === 1, 'JOIN of p1-bob')
  assert.deepEqual(all.filter(([u]) => u === 'p1-bob'), [['p1-bob', true]])
  assert.deepEqual(one, [['p1-bob', true]])

  h.closeClient(bob)
  await until(() => one.length === 2, 'LEAVE of p1-bob')
  assert.deepEqual(all.filter(([u]) => u === 'p1-bob'), [['p1-bob', true], ['p1-bob', false]])
  assert.deepEqual(one, [['p1-bob', true], ['p1-bob', false]])
  h.closeClient(watcher)
})

h.test('getAll() lists everybody else; getAll(names) answers each name', async () => {
  const server = await h.startServer({ config: h.MEMORY_CONFIG })
  const alice = await h.connect(server.url, { username: 'alice' })
  assert.deepEqual(await h.withTimeout(alice.presence.getAll(), 10000, 'getAll alone'), [])
  const bob = await h.connect(server.url, { username: 'bob' })
  await h.connect(server.url, { username: 'dave' })
  assert.deepEqual(await h.withTimeout(alice.presence.getAll(), 10000, 'getAll'), ['bob', 'dave'])
  assert.deepEqual(await h.withTimeout(bob.presence.getAll(), 10000, 'getAll'), ['alice', 'dave'])
  const answer = await h.withTimeout(alice.presence.getAll(['bob', 'carol', 'alice']), 10000, 'getAll(names)')
  assert.deepEqual(answer, { bob: true, carol: false, alice: true })
})

h.test('a user with two connections joins on the first and leaves with the last', async () => {
  const watcher = await h.connect(srv.server.url, { username: 'p3-watcher' })
  const all = []
  const one = []
  watcher.presence.subscribe((user, online) => { if (user.startsWith('p3-')) all.push([user, online]) })
  watcher.presence.subscribe('p3-bob', (user, online) => one.push([user, online]))
  await subscriptionsSent(watcher)

  const bob1 = await h.connect(srv.server.url, { username: 'p3-bob' })
  const bob2 = await h.connect(srv.server.url, { username: 'p3-bob' })
  await h.connect(srv.server.url, { username: 'p3-marker' }) // logs in after both bobs
  await until(() => all.some(([u]) => u === 'p3-marker'), 'JOIN of p3-marker')
  assert.deepEqual(all, [['p3-bob', true], ['p3-marker', true]])
  assert.deepEqual(one, [['p3-bob', true]])

  h.closeClient(bob1)
  await h.sleep(300)
  assert.deepEqual(await h.withTimeout(watcher.presence.getAll(['p3-bob']), 10000, 'query'), { 'p3-bob': true })
  assert.deepEqual(one, [['p3-bob', true]])

  h.closeClient(bob2)
  await until(() => one.length === 2, 'LEAVE of p3-bob')
  assert.deepEqual(one, [['p3-bob', true], ['p3-bob', false]])
  assert.deepEqual(await h.withTimeout(watcher.presence.getAll(['p3-bob']), 10000, 'query'), { 'p3-bob': false })
  h.closeClient(watcher)
})

h.test('after unsubscribe no more callbacks; anonymous clients are the user "open"', async () => {
  const watcher = await h.connect(srv.server.url, { username: 'p4-watcher' })
  const all = []
  const one = []
  const allCb = (user, online) => all.push([user, online])
  const oneCb = (user, online) => one.push([user, online])
  watcher.presence.subscribe(allCb)
  watcher.presence.subscribe('p4-bob', oneCb)
  await subscriptionsSent(watcher)

  const anon = await h.connect(srv.server.url) // open auth without a username
  await until(() => all.some(([u]) => u === 'open'), 'JOIN of open')
  h.closeClient(anon)
  await until(() => all.some(([u, online]) => u === 'open' && !online), 'LEAVE of open')

  watcher.presence.unsubscribe(allCb)
  watcher.presence.unsubscribe('p4-bob', oneCb)
  await subscriptionsSent(watcher)
  const before = all.length
  const bob = await h.connect(srv.server.url, { username: 'p4-bob' })
  assert.ok((await h.withTimeout(watcher.presence.getAll(), 10000, 'getAll')).includes('p4-bob'))
  await h.sleep(300)
  assert.equal(all.length, before)
  assert.deepEqual(one, [])
  h.closeClient(bob)
  h.closeClient(watcher)
})

h.test('on the wire: acks, JOIN/LEAVE, QUERY_ALL_RESPONSE and QUERY_RESPONSE carry exactly their fields', async () => {
  const server = await h.startServer({ config: h.MEMORY_CONFIG })
  const a = await rawLogin(server.url, { username: 'w-alice' })
  let since = a.mark()
  a.send({ topic: TOPIC.PRESENCE, action: PA.SUBSCRIBE_ALL })
  a.send({ topic: TOPIC.PRESENCE, action: PA.SUBSCRIBE, names: ['w-bob'], correlationId: '0' })
  a.send({ topic: TOPIC.PRESENCE, action: PA.QUERY_ALL })
  await a.waitFor(isPresence(PA.QUERY_ALL_RESPONSE), { since, what: 'QUERY_ALL_RESPONSE' })
  assert.deepEqual(a.messages.slice(since).map(wire), [
    { topic: TOPIC.PRESENCE, names: [], action: PA.SUBSCRIBE_ALL, isAck: true },
    { topic: TOPIC.PRESENCE, names: [], action: PA.SUBSCRIBE, correlationId: '0', isAck: true },
    { topic: TOPIC.PRESENCE, names: [], action: PA.QUERY_ALL_RESPONSE }
  ])

  since = a.mark()
  const b = await rawLogin(server.url, { username: 'w-bob' })
  await a.waitFor(isPresence(PA.PRESENCE_JOIN), { since, what: 'PRESENCE_JOIN' })
  assert.deepEqual(a.messages.slice(since).map(wire), [
    { topic: TOPIC.PRESENCE, names: [], action: PA.PRESENCE_JOIN_ALL, name: 'w-bob' },
    { topic: TOPIC.PRESENCE, names: [], action: PA.PRESENCE_JOIN, name: 'w-bob' }
  ])

  since = a.mark()
  a.send({ topic: TOPIC.PRESENCE, action: PA.QUERY_ALL })
  a.send({ topic: TOPIC.PRESENCE, action: PA.QUERY, names: ['w-bob', 'w-carol', 'w-alice'], correlationId: '1' })
  await a.waitFor(isPresence(PA.QUERY_RESPONSE), { since, what: 'QUERY_RESPONSE' })
  assert.deepEqual(a.messages.slice(since).map(wire), [
    { topic: TOPIC.PRESENCE, names: ['w-bob'], action: PA.QUERY_ALL_RESPONSE },
    {
      topic: TOPIC.PRESENCE,
      names: [],
      action: PA.QUERY_RESPONSE,
      data: '{"w-bob":true,"w-carol":false,"w-alice":true}',
      correlationId: '1'
    }
  ])

  const ownSince = b.mark()
  since = a.mark()
  b.close()
  await a.waitFor(isPresence(PA.PRESENCE_LEAVE), { since, what: 'PRESENCE_LEAVE' })
  assert.deepEqual(a.messages.slice(since).map(wire), [
    { topic: TOPIC.PRESENCE, names: [], action: PA.PRESENCE_LEAVE_ALL, name: 'w-bob' },
    { topic: TOPIC.PRESENCE, names: [], action: PA.PRESENCE_LEAVE, name: 'w-bob' }
  ])
  assert.equal(b.messages.slice(ownSince).length, 0)
})

h.test('on the wire: duplicate subscriptions, unknown unsubscribes and unknown actions', async () => {
  const a = await rawLogin(srv.server.url, { username: 'w2-alice' })
  const since = a.mark()
  a.send({ topic: TOPIC.PRESENCE, action: PA.SUBSCRIBE_ALL })
  a.send({ topic: TOPIC.PRESENCE, action: PA.SUBSCRIBE_ALL })
  a.send({ topic: TOPIC.PRESENCE, action: PA.SUBSCRIBE, names: ['w2-bob', 'w2-bob'], correlationId: 'c1' })
  a.send({ topic: TOPIC.PRESENCE, action: PA.UNSUBSCRIBE, names: ['w2-never'], correlationId: 'c2' })
  a.send({ topic: TOPIC.PRESENCE, action: PA.UNSUBSCRIBE_ALL })
  a.send({ topic: TOPIC.PRESENCE, action: PA.UNSUBSCRIBE_ALL })
  a.send({ topic: TOPIC.PRESENCE, action: 99 })
  a.send({ topic: TOPIC.PRESENCE, action: PA.PRESENCE_JOIN, name: 'w2-fake' })
  // (announcements about other tests' users may arrive meanwhile: not part of this exchange)
  const announcement = (m) => m.action >= PA.PRESENCE_JOIN && m.action <= PA.PRESENCE_LEAVE_ALL
  const got = (await a.settle(since)).filter((m) => m.topic === TOPIC.PRESENCE && !announcement(m)).map(wire)
  const P = TOPIC.PRESENCE
  assert.deepEqual(got, [
    { topic: P, names: [], action: PA.SUBSCRIBE_ALL, isAck: true },
    { topic: P, names: [], action: PA.MULTIPLE_SUBSCRIPTIONS, originalAction: PA.SUBSCRIBE_ALL, name: '%_EVERYONE_%' },
    { topic: P, names: [], action: PA.SUBSCRIBE_ALL, isAck: true },
    { topic: P, names: [], action: PA.MULTIPLE_SUBSCRIPTIONS, originalAction: PA.SUBSCRIBE, name: 'w2-bob' },
    { topic: P, names: [], action: PA.SUBSCRIBE, correlationId: 'c1', isAck: true },
    { topic: P, names: [], action: PA.UNSUBSCRIBE, correlationId: 'c2', isAck: true },
    { topic: P, names: [], action: PA.UNSUBSCRIBE_ALL, isAck: true },
    { topic: P, names: [], action: PA.UNSUBSCRIBE_ALL, isAck: true }
  ])
  assert.ok(a.isOpen)
})
