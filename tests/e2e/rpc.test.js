'use strict'
// RPC (PROTOCOL 2.11) with the official client, and on the wire: provide / make / response,
// errors, rejects, no provider, unprovide, both timeouts, duplicate provides, unknown correlation
// ids, provider disconnects and correlation ids shared by two requestors.
const assert = require('node:assert/strict')
const h = require('./harness')
const { TOPIC, RPC_ACTION: RA } = h.C

// Short server timeouts so that the timeout tests finish quickly; still long enough for the
// official client, which accepts on its next idle callback.
const ACK_TIMEOUT = 500
const RESPONSE_TIMEOUT = 2000
const srv = h.useServer({
  config: h.MEMORY_CONFIG + `rpc:\n  ackTimeout: ${ACK_TIMEOUT}\n  responseTimeout: ${RESPONSE_TIMEOUT}\n`
})
const isRpc = (action) => (m) => m.topic === TOPIC.RPC && m.action === action

async function rejection (promise) {
  try {
    const value = await h.withTimeout(promise, 10000, 'the rpc to finish')
    return { resolved: value }
  } catch (e) {
    return e instanceof Error && /timed out/.test(e.message) ? Promise.reject(e) : e
  }
}

async function rawClient (user) {
  const raw = await h.rawSocket(srv.server.url)
  await raw.handshake({ username: user })
  return raw
}

async function rawProvide (raw, names, cid = 'p1') {
  const since = raw.mark()
  raw.send({ topic: TOPIC.RPC, action: RA.PROVIDE, names, correlationId: cid })
  return raw.waitFor((m) => m.topic === TOPIC.RPC && m.isAck && m.correlationId === cid, { since, what: 'provide ack' })
}

h.test('make() gets the response of the provider', async () => {
  const provider = await h.connect(srv.server.url, { username: 'provider' })
  const requestor = await h.connect(srv.server.url, { username: 'requestor' })
  provider.rpc.provide('rpc/add', (data, response) => response.send(data.a + data.b))
  await h.sleep(300) // the client bulks provides for subscriptionInterval (100 ms)
  assert.equal(await h.withTimeout(requestor.rpc.make('rpc/add', { a: 1, b: 2 }), 10000, 'make'), 3)
  assert.deepEqual(await h.withTimeout(requestor.rpc.make('rpc/add', { a: 'x', b: 'y' }), 10000, 'make'), 'xy')
})

h.test('response.error rejects make() with the error payload', async () => {
  const provider = await h.connect(srv.server.url, { username: 'provider' })
  const requestor = await h.connect(srv.server.url, { username: 'requestor' })
  provider.rpc.provide('rpc/fail', (data, response) => response.error('it broke'))
  await h.sleep(300)
  assert.equal(await rejection(requestor.rpc.make('rpc/fail', null)), 'it broke')
})

h.test('a reject moves the request to another provider; the last reject gives NO_RPC_PROVIDER', async () => {
  const a = await h.connect(srv.server.url, { username: 'a' })
  const b = await h.connect(srv.server.url, { username: 'b' })
  const requestor = await h.connect(srv.server.url, { username: 'requestor' })
  const seen = []
  a.rpc.provide('rpc/picky', (data, response) => { seen.push('a'); response.reject() })
  b.rpc.provide('rpc/picky', (data, response) => { seen.push('b'); response.send('from b') })
  a.rpc.provide('rpc/nope', (data, response) => response.reject())
  b.rpc.provide('rpc/nope', (data, response) => response.reject())
  await h.sleep(300)
  for (let i = 0; i < 3; i++) {
    assert.equal(await h.withTimeout(requestor.rpc.make('rpc/picky', i), 10000, 'make'), 'from b')
  }
  assert.equal(seen.filter((s) => s === 'b').length, 3)
  assert.equal(await rejection(requestor.rpc.make('rpc/nope', 'x')), 'NO_RPC_PROVIDER')
})

h.test('no provider, and after unprovide: NO_RPC_PROVIDER', async () => {
  const provider = await h.connect(srv.server.url, { username: 'provider' })
  const requestor = await h.connect(srv.server.url, { username: 'requestor' })
  assert.equal(await rejection(requestor.rpc.make('rpc/missing', 1)), 'NO_RPC_PROVIDER')
  provider.rpc.provide('rpc/once', (data, response) => response.send('here'))
  await h.sleep(300)
  assert.equal(await h.withTimeout(requestor.rpc.make('rpc/once', 1), 10000, 'make'), 'here')
  provider.rpc.unprovide('rpc/once')
  await h.sleep(300)
  assert.equal(await rejection(requestor.rpc.make('rpc/once', 1)), 'NO_RPC_PROVIDER')
})

h.test('the provider silent: ACCEPT_TIMEOUT; accepting but silent: RESPONSE_TIMEOUT', async () => {
  const provider = await h.connect(srv.server.url, { username: 'provider' })
  const requestor = await h.connect(srv.server.url, { username: 'requestor' })
  provider.rpc.provide('rpc/mute', (data, response) => { response.autoAccept = false })
  provider.rpc.provide('rpc/slow', () => {})
  await h.sleep(300)
  assert.equal(await rejection(requestor.rpc.make('rpc/mute', 1)), 'ACCEPT_TIMEOUT')
  assert.equal(await rejection(requestor.rpc.make('rpc/slow', 1)), 'RESPONSE_TIMEOUT')
})

h.test('on the wire: the request reaches the provider with the same fields; ACCEPT and RESPONSE come back as sent', async () => {
  const provider = await rawClient('raw-provider')
  const requestor = await rawClient('raw-requestor')
  await rawProvide(provider, ['rpc/wire'])
  let since = provider.mark()
  const sinceR = requestor.mark()
  requestor.send({ topic: TOPIC.RPC, action: RA.REQUEST, name: 'rpc/wire', correlationId: 'w1', data: '{"a":1}' })
  const req = await provider.waitFor(isRpc(RA.REQUEST), { since, what: 'REQUEST' })
  assert.equal(req.name, 'rpc/wire')
  assert.equal(req.correlationId, 'w1')
  assert.equal(req.data, '{"a":1}')
  assert.equal(req.requestorName, undefined) // provideRequestorName is off by default
  provider.send({ topic: TOPIC.RPC, action: RA.ACCEPT, name: 'rpc/wire', correlationId: 'w1' })
  provider.send({ topic: TOPIC.RPC, action: RA.RESPONSE, name: 'rpc/wire', correlationId: 'w1', data: '"ok"' })
  const res = await requestor.waitFor(isRpc(RA.RESPONSE), { since: sinceR, what: 'RESPONSE' })
  assert.equal(res.data, '"ok"')
  assert.equal(res.correlationId, 'w1')
  const got = requestor.messages.slice(sinceR).filter((m) => m.topic === TOPIC.RPC)
  assert.deepEqual(got.map((m) => m.action), [RA.ACCEPT, RA.RESPONSE])
  // The request is over: another RESPONSE is an unknown correlation id.
  since = provider.mark()
  provider.send({ topic: TOPIC.RPC, action: RA.RESPONSE, name: 'rpc/wire', correlationId: 'w1', data: '1' })
  const err = await provider.waitFor(isRpc(RA.INVALID_RPC_CORRELATION_ID), { since, what: 'INVALID_RPC_CORRELATION_ID' })
  assert.equal(err.name, 'rpc/wire')
  assert.equal(err.correlationId, 'w1')
  assert.equal(err.originalAction, RA.RESPONSE)
  assert.equal(err.isError, true)
  assert.equal(err.data, undefined)
})

h.test('on the wire: a second ACCEPT is answered MULTIPLE_ACCEPT; NO_RPC_PROVIDER carries name and correlationId only', async () => {
  const provider = await rawClient('raw-provider2')
  const requestor = await rawClient('raw-requestor2')
  await rawProvide(provider, ['rpc/twice'])
  let since = provider.mark()
  const sinceR = requestor.mark()
  requestor.send({ topic: TOPIC.RPC, action: RA.REQUEST, name: 'rpc/twice', correlationId: 't1', data: '1' })
  await provider.waitFor(isRpc(RA.REQUEST), { since, what: 'REQUEST' })
  provider.send({ topic: TOPIC.RPC, action: RA.ACCEPT, name: 'rpc/twice', correlationId: 't1' })
  provider.send({ topic: TOPIC.RPC, action: RA.ACCEPT, name: 'rpc/twice', correlationId: 't1' })
  const dup = await provider.waitFor(isRpc(RA.MULTIPLE_ACCEPT), { since, what: 'MULTIPLE_ACCEPT' })
  assert.equal(dup.name, 'rpc/twice')
  assert.equal(dup.correlationId, 't1')
  provider.send({ topic: TOPIC.RPC, action: RA.REJECT, name: 'rpc/twice', correlationId: 't1' })
  const none = await requestor.waitFor(isRpc(RA.NO_RPC_PROVIDER), { since: sinceR, what: 'NO_RPC_PROVIDER' })
  assert.equal(none.name, 'rpc/twice')
  assert.equal(none.correlationId, 't1')
  assert.equal(none.isError, undefined)
  const accepts = requestor.messages.slice(sinceR).filter(isRpc(RA.ACCEPT))
  assert.equal(accepts.length, 1)
  since = requestor.mark()
  requestor.send({ topic: TOPIC.RPC, action: RA.REQUEST, name: 'rpc/nobody', correlationId: 't2', data: '1' })
  const direct = await requestor.waitFor(isRpc(RA.NO_RPC_PROVIDER), { since, what: 'NO_RPC_PROVIDER' })
  assert.equal(direct.correlationId, 't2')
})

h.test('on the wire: providing twice gives MULTIPLE_PROVIDERS plus the ack; unprovide of an unknown name just the ack', async () => {
  const raw = await rawClient('raw-dup')
  await rawProvide(raw, ['rpc/dup'], 'd1')
  let since = raw.mark()
  raw.send({ topic: TOPIC.RPC, action: RA.PROVIDE, names: ['rpc/dup'], correlationId: 'd2' })
  const dup = await raw.waitFor(isRpc(RA.MULTIPLE_PROVIDERS), { since, what: 'MULTIPLE_PROVIDERS' })
  assert.equal(dup.name, 'rpc/dup')
  assert.equal(dup.originalAction, RA.PROVIDE)
  await raw.waitFor((m) => m.isAck && m.correlationId === 'd2', { since, what: 'second ack' })
  since = raw.mark()
  raw.send({ topic: TOPIC.RPC, action: RA.UNPROVIDE, names: ['rpc/never'], correlationId: 'd3' })
  const ack = await raw.waitFor((m) => m.isAck && m.correlationId === 'd3', { since, what: 'unprovide ack' })
  assert.equal(ack.action, RA.UNPROVIDE)
  const rest = await raw.settle(since)
  assert.equal(rest.filter((m) => m.isError || m.action === RA.NOT_PROVIDED).length, 0)
})

h.test('on the wire: ACCEPT_TIMEOUT ends the request, a late RESPONSE is an unknown correlation id', async () => {
  const provider = await rawClient('raw-late')
  const requestor = await rawClient('raw-waiting')
  await rawProvide(provider, ['rpc/late'])
  const since = provider.mark()
  const sinceR = requestor.mark()
  requestor.send({ topic: TOPIC.RPC, action: RA.REQUEST, name: 'rpc/late', correlationId: 'l1', data: '1' })
  await provider.waitFor(isRpc(RA.REQUEST), { since, what: 'REQUEST' })
  const timeout = await requestor.waitFor(isRpc(RA.ACCEPT_TIMEOUT), { since: sinceR, what: 'ACCEPT_TIMEOUT' })
  assert.equal(timeout.name, 'rpc/late')
  assert.equal(timeout.correlationId, 'l1')
  provider.send({ topic: TOPIC.RPC, action: RA.RESPONSE, name: 'rpc/late', correlationId: 'l1', data: '1' })
  await provider.waitFor(isRpc(RA.INVALID_RPC_CORRELATION_ID), { since, what: 'INVALID_RPC_CORRELATION_ID' })
  const rest = await requestor.settle(sinceR)
  assert.equal(rest.filter(isRpc(RA.RESPONSE)).length, 0)
})

h.test('provideRequestorName: the provider learns who asks', async () => {
  const server = await h.startServer({ config: h.MEMORY_CONFIG + 'rpc:\n  provideRequestorName: true\n' })
  const provider = await h.connect(server.url, { username: 'provider' })
  const requestor = await h.connect(server.url, { username: 'alice' })
  provider.rpc.provide('rpc/who', (data, response, requestorInfo) => response.send(requestorInfo))
  await h.sleep(300)
  const info = await h.withTimeout(requestor.rpc.make('rpc/who', null), 10000, 'make')
  assert.equal(info.requestorName, 'alice')
})

h.test('a provider that disconnects before accepting hands the request on', { skip: h.strataOnly('deepstream lets it time out') }, async () => {
  const gone = await rawClient('raw-gone')
  const stays = await rawClient('raw-stays')
  const requestor = await rawClient('raw-asks')
  await rawProvide(gone, ['rpc/handover'])
  const sinceS = stays.mark()
  const sinceR = requestor.mark()
  requestor.send({ topic: TOPIC.RPC, action: RA.REQUEST, name: 'rpc/handover', correlationId: 'h1', data: '1' })
  await gone.waitFor(isRpc(RA.REQUEST), { what: 'the request at the only provider' })
  await rawProvide(stays, ['rpc/handover']) // a second provider, not tried yet
  gone.close()
  const req = await stays.waitFor(isRpc(RA.REQUEST), { since: sinceS, what: 'the request at the remaining provider' })
  assert.equal(req.correlationId, 'h1')
  stays.send({ topic: TOPIC.RPC, action: RA.RESPONSE, name: 'rpc/handover', correlationId: 'h1', data: '"done"' })
  const res = await requestor.waitFor(isRpc(RA.RESPONSE), { since: sinceR, what: 'RESPONSE' })
  assert.equal(res.data, '"done"')
})

h.test('a provider that disconnects after accepting: NO_RPC_PROVIDER at once, no second provider', { skip: h.strataOnly('deepstream waits for RESPONSE_TIMEOUT') }, async () => {
  const serving = await rawClient('raw-acc-a')
  const other = await rawClient('raw-acc-b')
  const requestor = await rawClient('raw-acc-asks')
  await rawProvide(serving, ['rpc/accepted'])
  const sinceR = requestor.mark()
  requestor.send({ topic: TOPIC.RPC, action: RA.REQUEST, name: 'rpc/accepted', correlationId: 'x1', data: '1' })
  await serving.waitFor(isRpc(RA.REQUEST), { what: 'the request' })
  serving.send({ topic: TOPIC.RPC, action: RA.ACCEPT, name: 'rpc/accepted', correlationId: 'x1' })
  await requestor.waitFor(isRpc(RA.ACCEPT), { since: sinceR, what: 'ACCEPT' })
  await rawProvide(other, ['rpc/accepted'])
  const sinceOther = other.mark()
  serving.close() // it may have done the work: the request must not run a second time
  const none = await requestor.waitFor(isRpc(RA.NO_RPC_PROVIDER), { since: sinceR, what: 'NO_RPC_PROVIDER' })
  assert.equal(none.correlationId, 'x1')
  const rest = await other.settle(sinceOther)
  assert.equal(rest.filter(isRpc(RA.REQUEST)).length, 0)
})

h.test('two requestors with the same correlation id each get their own answer', { skip: h.strataOnly('deepstream keys requests by correlation id alone') }, async () => {
  const p1 = await rawClient('raw-p1')
  const p2 = await rawClient('raw-p2')
  const r1 = await rawClient('raw-r1')
  const r2 = await rawClient('raw-r2')
  await rawProvide(p1, ['rpc/same'])
  await rawProvide(p2, ['rpc/same'])
  const since1 = p1.mark()
  const since2 = p2.mark()
  r1.send({ topic: TOPIC.RPC, action: RA.REQUEST, name: 'rpc/same', correlationId: 'same', data: '"r1"' })
  r2.send({ topic: TOPIC.RPC, action: RA.REQUEST, name: 'rpc/same', correlationId: 'same', data: '"r2"' })
  // A provider never holds two requests with one correlation id, so each provider got one.
  const q1 = await p1.waitFor(isRpc(RA.REQUEST), { since: since1, what: 'request at p1' })
  const q2 = await p2.waitFor(isRpc(RA.REQUEST), { since: since2, what: 'request at p2' })
  for (const [p, q] of [[p1, q1], [p2, q2]]) {
    p.send({ topic: TOPIC.RPC, action: RA.RESPONSE, name: 'rpc/same', correlationId: 'same', data: q.data })
  }
  assert.equal((await r1.waitFor(isRpc(RA.RESPONSE), { what: 'r1 response' })).data, '"r1"')
  assert.equal((await r2.waitFor(isRpc(RA.RESPONSE), { what: 'r2 response' })).data, '"r2"')
})
