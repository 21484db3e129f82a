'use strict'
// Events (PROTOCOL 2.10) with the official client, and on the wire: subscribe, emit with every
// kind of payload, the sender excluded, unsubscribe, duplicate subscriptions, disconnects.
const assert = require('node:assert/strict')
const h = require('./harness')
const { TOPIC, EVENT_ACTION: EA } = h.C

const srv = h.useServer()
const isMsg = (topic, action) => (m) => m.topic === topic && m.action === action

function nextEvent (client, name) {
  return new Promise((resolve) => {
    const cb = (data) => { client.event.unsubscribe(name, cb); resolve(data) }
    client.event.subscribe(name, cb)
  })
}

h.test('emit reaches a subscriber with object, string, number and no data', async () => {
  const sub = await h.connect(srv.server.url, { username: 'sub' })
  const pub = await h.connect(srv.server.url, { username: 'pub' })
  const got = []
  sub.event.subscribe('ev/kinds', (data) => got.push(data))
  await h.sleep(300) // the client bulks subscriptions for subscriptionInterval (100 ms)
  pub.event.emit('ev/kinds', { k: 1 })
  pub.event.emit('ev/kinds', 'a string')
  pub.event.emit('ev/kinds', 42)
  pub.event.emit('ev/kinds')
  const deadline = Date.now() + 10000
  while (got.length < 4 && Date.now() < deadline) await h.sleep(20)
  assert.deepEqual(got.slice(0, 3), [{ k: 1 }, 'a string', 42])
  assert.ok(got[3] === undefined || got[3] === null, `no payload arrives as nothing: ${got[3]}`)
})

h.test('the sender never receives its own emit; other subscribers do', async () => {
  const a = await h.rawSocket(srv.server.url)
  await a.handshake({ username: 'raw-a' })
  const b = await h.rawSocket(srv.server.url)
  await b.handshake({ username: 'raw-b' })
  for (const [raw, cid] of [[a, 'a1'], [b, 'b1']]) {
    const since = raw.mark()
    raw.send({ topic: TOPIC.EVENT, action: EA.SUBSCRIBE, names: ['ev/self'], correlationId: cid })
    await raw.waitFor((m) => m.topic === TOPIC.EVENT && m.isAck && m.correlationId === cid, { since, what: 'ack' })
  }
  const sinceA = a.mark()
  const sinceB = b.mark()
  a.send({ topic: TOPIC.EVENT, action: EA.EMIT, name: 'ev/self', data: '"hi"' })
  const ev = await b.waitFor(isMsg(TOPIC.EVENT, EA.EMIT), { since: sinceB, what: 'the emit' })
  assert.equal(ev.name, 'ev/self')
  assert.equal(ev.data, '"hi"')
  const own = await a.settle(sinceA)
  assert.equal(own.filter(isMsg(TOPIC.EVENT, EA.EMIT)).length, 0)
})

h.test('subscribing twice: MULTIPLE_SUBSCRIPTIONS plus the ack; unsubscribe of an unknown name: just the ack', async () => {
  const raw = await h.rawSocket(srv.server.url)
  await raw.handshake({ username: 'dup' })
  raw.send({ topic: TOPIC.EVENT, action: EA.SUBSCRIBE, names: ['ev/dup'], correlationId: 'c1' })
  await raw.waitFor((m) => m.isAck && m.correlationId === 'c1', { what: 'first ack' })
  let since = raw.mark()
  raw.send({ topic: TOPIC.EVENT, action: EA.SUBSCRIBE, names: ['ev/dup'], correlationId: 'c2' })
  const dup = await raw.waitFor(isMsg(TOPIC.EVENT, EA.MULTIPLE_SUBSCRIPTIONS), { since, what: 'MULTIPLE_SUBSCRIPTIONS' })
  assert.equal(dup.name, 'ev/dup')
  assert.equal(dup.originalAction, EA.SUBSCRIBE)
  await raw.waitFor((m) => m.isAck && m.correlationId === 'c2', { since, what: 'second ack' })
  since = raw.mark()
  raw.send({ topic: TOPIC.EVENT, action: EA.UNSUBSCRIBE, names: ['ev/never'], correlationId: 'c3' })
  await raw.waitFor((m) => m.isAck && m.correlationId === 'c3', { since, what: 'unsubscribe ack' })
  const rest = await raw.settle(since)
  assert.equal(rest.filter((m) => m.isError || m.action === EA.NOT_SUBSCRIBED).length, 0)
})

h.test('after unsubscribe or disconnect a client gets no more events', async () => {
  const pub = await h.connect(srv.server.url, { username: 'pub2' })
  const stay = await h.connect(srv.server.url, { username: 'stay' })
  const leave = await h.connect(srv.server.url, { username: 'leave' })
  let leftGot = 0
  const leftCb = () => leftGot++
  leave.event.subscribe('ev/u', leftCb)
  const first = nextEvent(stay, 'ev/u')
  await h.sleep(300)
  pub.event.emit('ev/u', 1)
  assert.equal(await h.withTimeout(first, 10000, 'first event'), 1)
  leave.event.unsubscribe('ev/u', leftCb)
  const countBefore = leftGot
  await h.sleep(300)
  const second = nextEvent(stay, 'ev/u')
  await h.sleep(300)
  pub.event.emit('ev/u', 2)
  assert.equal(await h.withTimeout(second, 10000, 'second event'), 2)
  await h.sleep(200)
  assert.equal(leftGot, countBefore)
  h.closeClient(stay)
  await h.sleep(200)
  pub.event.emit('ev/u', 3)  // nobody left: must not disturb the server
  assert.equal(await h.withTimeout(pub.record.head('ev/none'), 10000, 'head'), -1)  // still serving
})
