'use strict'
// Bad input on raw sockets: the server must answer as deepstream 7 does, keep unrelated clients working and keep
// stored data intact. Tests marked strata-only cover inputs that crash or jam deepstream 7.0.2 (PROTOCOL 8,
// SEMANTICS Part A 5/6).
const assert = require('node:assert/strict')
const { before } = require('node:test')
const h = require('./harness')
const { C } = h
const { TOPIC, RECORD_ACTION: RA, AUTH_ACTION: AA, CONNECTION_ACTION: CA, PARSER_ACTION: PA, EVENT_ACTION: EA } = C
const builder = require('@deepstream/protobuf/dist/src/message-builder')
const PB = require('@deepstream/protobuf/dist/generated/protobuf')

const srv = h.useServer()
const VICTIM = 'bad/victim'
let witness, observer
let witnessCount = 0
let seq = 0
const uniq = (prefix) => `${prefix}/${++seq}`

before(async () => {
  await srv.ready
  witness = await h.connect(srv.server.url, { username: 'witness' })
  observer = await h.connect(srv.server.url, { username: 'observer' })
  await witness.record.setDataWithAck(VICTIM, { safe: true })
})

/** The victim record is untouched and a client connected since the start still reads and writes. */
async function assertIntact () {
  assert.equal(await h.withTimeout(observer.record.head(VICTIM), 10000, 'head(victim)'), 1)
  assert.deepEqual(await h.withTimeout(observer.record.snapshot(VICTIM), 10000, 'snapshot(victim)'), { safe: true })
  const n = ++witnessCount
  await h.withTimeout(witness.record.setDataWithAck('bad/witness', { n }), 10000, 'witness write')
  assert.deepEqual(await h.withTimeout(observer.record.snapshot('bad/witness'), 10000, 'snapshot(witness)'), { n })
}

async function authed (user = 'bad') {
  const raw = await h.rawSocket(srv.server.url)
  await raw.handshake({ username: user })
  return raw
}

const isMsg = (topic, action) => (m) => m.topic === topic && m.action === action

/** A binary frame holding a valid EVENT EMIT of exactly `size` bytes. */
// A record CREATEANDUPDATE of `big` whose whole frame is exactly `size` bytes.
function recordFrameOfSize (size) {
  let len = size - 40
  for (let i = 0; i < 20; i++) {
    const data = JSON.stringify({ x: 'x'.repeat(len) })
    const frame = builder.getMessage({ topic: TOPIC.RECORD, action: RA.CREATEANDUPDATE, name: 'big', version: -1, data }, false)
    if (frame.length === size) return frame
    len += size - frame.length
  }
  throw new Error(`could not build a frame of ${size} bytes`)
}

h.test('garbage bytes after auth: PARSER UNKNOWN_TOPIC, connection stays open', async () => {
  const raw = await authed()
  const since = raw.mark()
  raw.sendRaw(Buffer.from([0xff, 0xff, 0xff]))
  const m = await raw.waitFor(isMsg(TOPIC.PARSER, PA.UNKNOWN_TOPIC), { since, what: 'PARSER UNKNOWN_TOPIC' })
  assert.equal(m.topic, TOPIC.PARSER)
  await raw.ping()
  assert.equal(raw.isOpen, true)
  await assertIntact()
})

h.test('unknown topic number: PARSER UNKNOWN_TOPIC, connection stays open', async () => {
  const raw = await authed()
  const since = raw.mark()
  raw.sendRaw(PB.Message.encodeDelimited({ topic: 42, message: Buffer.from([0x08, 0x01]) }).finish())
  await raw.waitFor(isMsg(TOPIC.PARSER, PA.UNKNOWN_TOPIC), { since, what: 'PARSER UNKNOWN_TOPIC' })
  await raw.ping()
  assert.equal(raw.isOpen, true)
  await assertIntact()
})

h.test('unknown record action: no reply, connection stays open', async () => {
  const raw = await authed()
  const since = raw.mark()
  raw.send({ topic: TOPIC.RECORD, action: 99, name: VICTIM })
  const got = await raw.settle(since)
  assert.deepEqual(got.filter((m) => m.topic !== TOPIC.CONNECTION), [], 'no reply to an unknown action')
  assert.equal(raw.isOpen, true)
  await assertIntact()
})

h.test('text frame on the binary endpoint: the server closes the connection', async () => {
  const raw = await authed()
  raw.sendRaw('hello', false)
  await raw.waitClosed()
  assert.equal(raw.isOpen, false)
  await assertIntact()
})

h.test('frame over maxMessageSize (1 MiB + 1): closed with code 1009; a large frame under it is delivered', async () => {
  const listener = await authed('big-listener')
  let since = listener.mark()
  listener.send({ topic: TOPIC.RECORD, action: RA.SUBSCRIBECREATEANDREAD, names: ['big'], correlationId: 'big1' })
  await listener.waitFor(isMsg(TOPIC.RECORD, RA.READ_RESPONSE), { since, what: 'the read response' })

  const sender = await authed('big-sender')
  since = listener.mark()
  sender.sendRaw(recordFrameOfSize(512 * 1024))
  const update = await listener.waitFor(isMsg(TOPIC.RECORD, RA.UPDATE), { since, what: 'the 512 KiB update' })
  assert.equal(update.name, 'big')
  assert.ok(update.data.length > 500 * 1024)
  const version = update.version

  const big = recordFrameOfSize(1024 * 1024 + 1)
  assert.equal(big.length, 1048577)
  sender.sendRaw(big)
  assert.equal(await sender.waitClosed(), 1009)
  const got = await listener.settle(since)
  assert.equal(got.filter(isMsg(TOPIC.RECORD, RA.UPDATE)).length, 1, 'the oversized write is not applied')
  const reader = await authed('big-reader')
  const readSince = reader.mark()
  reader.send({ topic: TOPIC.RECORD, action: RA.HEAD, name: 'big' })
  const head = await reader.waitFor(isMsg(TOPIC.RECORD, RA.HEAD_RESPONSE), { since: readSince, what: 'head' })
  assert.equal(head.version, version)
  await assertIntact()
})

h.test('record UPDATE whose data is not JSON: RECORD INVALID_MESSAGE_DATA, connection stays open', {
  skip: h.strataOnly('deepstream 7.0.2 throws an uncaught exception on non-JSON data (PROTOCOL 2.13 / 8.1)')
}, async () => {
  const raw = await authed()
  const since = raw.mark()
  raw.send({ topic: TOPIC.RECORD, action: RA.UPDATE, name: VICTIM, version: 2, data: '{"a":' })
  const m = await raw.waitFor(isMsg(TOPIC.RECORD, RA.INVALID_MESSAGE_DATA), { since, what: 'INVALID_MESSAGE_DATA' })
  assert.equal(m.name, VICTIM)
  await raw.ping()
  assert.equal(raw.isOpen, true)
  await assertIntact()
})

for (const data of ['"str"', '42']) {
  h.test(`record UPDATE whose data is JSON but not an object/array (${data}): INVALID_MESSAGE_DATA`, async () => {
    const raw = await authed()
    const since = raw.mark()
    raw.send({ topic: TOPIC.RECORD, action: RA.UPDATE, name: VICTIM, version: 2, data })
    const m = await raw.waitFor((x) => x.topic === TOPIC.RECORD && x.name === VICTIM && x.action !== RA.UPDATE,
      { since, what: 'the error reply' })
    assert.equal(m.action, RA.INVALID_MESSAGE_DATA)
    assert.equal(m.originalAction, RA.UPDATE)
    await raw.ping()
    assert.equal(raw.isOpen, true)
    await assertIntact()
  })
}

h.test('record UPDATE of a record that does not exist: RECORD_UPDATE_ERROR, nothing created', async () => {
  const raw = await authed()
  const name = uniq('bad/none')
  const since = raw.mark()
  raw.send({ topic: TOPIC.RECORD, action: RA.UPDATE, name, version: 1, data: '{"a":1}' })
  const m = await raw.waitFor((x) => x.topic === TOPIC.RECORD && x.name === name, { since, what: 'reply' })
  assert.equal(m.action, RA.RECORD_UPDATE_ERROR)
  assert.equal(m.isError, true)
  assert.equal(await observer.record.head(name), -1)
  await assertIntact()
})

h.test('AUTH whose data is not JSON: AUTH INVALID_MESSAGE_DATA, then the connection is closed', {
  skip: h.strataOnly('deepstream 7.0.2 throws an uncaught exception and its process exits (PROTOCOL 2.5 / 8.1)')
}, async () => {
  const raw = await h.rawSocket(srv.server.url)
  raw.send({ topic: TOPIC.CONNECTION, action: CA.CHALLENGE })
  await raw.waitFor(isMsg(TOPIC.CONNECTION, CA.ACCEPT), { what: 'ACCEPT' })
  raw.send({ topic: TOPIC.AUTH, action: AA.REQUEST, data: 'not json' })
  await raw.waitFor(isMsg(TOPIC.AUTH, AA.INVALID_MESSAGE_DATA), { what: 'AUTH INVALID_MESSAGE_DATA' })
  await raw.waitClosed()
  await assertIntact()
})

h.test('AUTH whose data is a JSON string: AUTH INVALID_MESSAGE_DATA, then the connection is closed', async () => {
  const raw = await h.rawSocket(srv.server.url)
  raw.send({ topic: TOPIC.CONNECTION, action: CA.CHALLENGE })
  await raw.waitFor(isMsg(TOPIC.CONNECTION, CA.ACCEPT), { what: 'ACCEPT' })
  raw.send({ topic: TOPIC.AUTH, action: AA.REQUEST, data: '"str"' })
  await raw.waitFor(isMsg(TOPIC.AUTH, AA.INVALID_MESSAGE_DATA), { what: 'AUTH INVALID_MESSAGE_DATA' })
  await raw.waitClosed()
  assert.equal(raw.messages.some(isMsg(TOPIC.AUTH, AA.AUTH_SUCCESSFUL)), false)
  await assertIntact()
})

h.test('AUTH with an action other than REQUEST: AUTH INVALID_MESSAGE_DATA, then closed', async () => {
  const raw = await h.rawSocket(srv.server.url)
  raw.send({ topic: TOPIC.CONNECTION, action: CA.CHALLENGE })
  await raw.waitFor(isMsg(TOPIC.CONNECTION, CA.ACCEPT), { what: 'ACCEPT' })
  raw.send({ topic: TOPIC.AUTH, action: AA.ERROR, data: '{}' })
  await raw.waitFor(isMsg(TOPIC.AUTH, AA.INVALID_MESSAGE_DATA), { what: 'AUTH INVALID_MESSAGE_DATA' })
  await raw.waitClosed()
  await assertIntact()
})

h.test('non-AUTH message after ACCEPT: AUTH INVALID_MESSAGE, connection stays open and can still log in', async () => {
  const raw = await h.rawSocket(srv.server.url)
  raw.send({ topic: TOPIC.CONNECTION, action: CA.CHALLENGE })
  await raw.waitFor(isMsg(TOPIC.CONNECTION, CA.ACCEPT), { what: 'ACCEPT' })
  raw.send({ topic: TOPIC.EVENT, action: EA.SUBSCRIBE, names: ['x'], correlationId: '1' })
  await raw.waitFor(isMsg(TOPIC.AUTH, AA.INVALID_MESSAGE), { what: 'AUTH INVALID_MESSAGE' })
  assert.equal(raw.isOpen, true)
  raw.send({ topic: TOPIC.AUTH, action: AA.REQUEST, data: '{"username":"late"}' })
  await raw.waitFor(isMsg(TOPIC.AUTH, AA.AUTH_SUCCESSFUL), { what: 'AUTH_SUCCESSFUL' })
  await raw.ping()
  await assertIntact()
})

h.test('message before CHALLENGE: CONNECTION INVALID_MESSAGE, connection stays open', async () => {
  const raw = await h.rawSocket(srv.server.url)
  raw.send({ topic: TOPIC.RECORD, action: RA.READ, name: VICTIM })
  await raw.waitFor(isMsg(TOPIC.CONNECTION, CA.INVALID_MESSAGE), { what: 'CONNECTION INVALID_MESSAGE' })
  assert.equal(raw.messages.some((m) => m.topic === TOPIC.RECORD), false, 'the READ is not answered')
  // the connection is still usable
  await raw.handshake({ username: 'after-invalid' })
  await raw.ping()
  await assertIntact()
})

h.test('PING before CHALLENGE and before AUTH is ignored; PONG only after login', async () => {
  const raw = await h.rawSocket(srv.server.url)
  raw.send({ topic: TOPIC.CONNECTION, action: CA.PING })
  raw.send({ topic: TOPIC.CONNECTION, action: CA.CHALLENGE })
  await raw.waitFor(isMsg(TOPIC.CONNECTION, CA.ACCEPT), { what: 'ACCEPT' })
  raw.send({ topic: TOPIC.CONNECTION, action: CA.PING })
  raw.send({ topic: TOPIC.AUTH, action: AA.REQUEST, data: '{"username":"pinger"}' })
  await raw.waitFor(isMsg(TOPIC.AUTH, AA.AUTH_SUCCESSFUL), { what: 'AUTH_SUCCESSFUL' })
  const since = raw.mark()
  await raw.ping()
  const got = await raw.settle(since)
  const all = raw.messages.map((m) => [m.topic, m.action])
  assert.deepEqual(raw.messages.slice(0, since).map((m) => [m.topic, m.action]),
    [[TOPIC.CONNECTION, CA.ACCEPT], [TOPIC.AUTH, AA.AUTH_SUCCESSFUL]], `before login only ACCEPT and AUTH_SUCCESSFUL (got ${JSON.stringify(all)})`)
  assert.equal(got.filter(isMsg(TOPIC.CONNECTION, CA.PONG)).length, 2, 'one PONG per PING after login (ping() + settle())')
})

h.test('unauthenticatedClientTimeout: AUTHENTICATION_TIMEOUT, then closed', async () => {
  const server = await h.startServer({ config: h.endpointConfig({ unauthenticatedClientTimeout: 1000 }) })
  const raw = await h.rawSocket(server.url)
  raw.send({ topic: TOPIC.CONNECTION, action: CA.CHALLENGE })
  await raw.waitFor(isMsg(TOPIC.CONNECTION, CA.ACCEPT), { what: 'ACCEPT' })
  await raw.waitFor(isMsg(TOPIC.CONNECTION, CA.AUTHENTICATION_TIMEOUT), { what: 'AUTHENTICATION_TIMEOUT', timeout: 15000 })
  await raw.waitClosed()
  // a client that logs in is not affected by the timeout
  const client = await h.connect(server.url, { username: 'quick' })
  await h.sleep(1500)
  await h.withTimeout(client.record.setDataWithAck(uniq('bad/timeout'), { ok: true }), 10000, 'write after the timeout period')
  await server.stop()
  await assertIntact()
})

h.test('version > current+1: INVALID_VERSION with the current version, nothing stored', async () => {
  const raw = await authed()
  const name = uniq('bad/version')
  let since = raw.mark()
  raw.send({ topic: TOPIC.RECORD, action: RA.CREATEANDUPDATE, name, version: 1, data: '{"v":1}', isWriteAck: true, correlationId: 'v1' })
  await raw.waitFor((m) => m.action === RA.WRITE_ACKNOWLEDGEMENT && m.correlationId === 'v1', { since, what: 'ack v1' })
  since = raw.mark()
  raw.send({ topic: TOPIC.RECORD, action: RA.UPDATE, name, version: 5, data: '{"v":5}' })
  const m = await raw.waitFor((x) => x.topic === TOPIC.RECORD && x.name === name, { since, what: 'reply to version 5' })
  assert.equal(m.action, RA.INVALID_VERSION)
  assert.equal(m.originalAction, RA.UPDATE)
  assert.equal(m.version, 1)
  assert.equal(await observer.record.head(name), 1)
  assert.deepEqual(await observer.record.snapshot(name), { v: 1 })
  await assertIntact()
})

h.test('after INVALID_VERSION a correct write still succeeds', {
  skip: h.strataOnly('deepstream 7.0.2 jams the record after INVALID_VERSION (PROTOCOL 2.9.1 / 8.2, SEMANTICS A.5)')
}, async () => {
  const raw = await authed()
  const name = uniq('bad/version-recover')
  let since = raw.mark()
  raw.send({ topic: TOPIC.RECORD, action: RA.CREATEANDUPDATE, name, version: 1, data: '{"v":1}', isWriteAck: true, correlationId: 'r1' })
  await raw.waitFor((m) => m.action === RA.WRITE_ACKNOWLEDGEMENT && m.correlationId === 'r1', { since, what: 'ack r1' })
  since = raw.mark()
  raw.send({ topic: TOPIC.RECORD, action: RA.UPDATE, name, version: 7, data: '{"v":7}', isWriteAck: true, correlationId: 'r7' })
  const bad = await raw.waitFor((x) => x.correlationId === 'r7', { since, what: 'reply to version 7' })
  assert.equal(bad.action, RA.INVALID_VERSION)
  assert.equal(bad.isWriteAck, true)
  since = raw.mark()
  raw.send({ topic: TOPIC.RECORD, action: RA.UPDATE, name, version: 2, data: '{"v":2}', isWriteAck: true, correlationId: 'r2' })
  const ok = await raw.waitFor((x) => x.correlationId === 'r2', { since, what: 'reply to version 2' })
  assert.equal(ok.action, RA.WRITE_ACKNOWLEDGEMENT)
  assert.equal(await observer.record.head(name), 2)
  assert.deepEqual(await observer.record.snapshot(name), { v: 2 })
  // and the official client can keep writing it
  await h.withTimeout(witness.record.setDataWithAck(name, 'v', 3), 10000, 'setDataWithAck after recovery')
  assert.equal(await observer.record.head(name), 3)
  await assertIntact()
})
