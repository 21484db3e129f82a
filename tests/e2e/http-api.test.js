'use strict'
// The HTTP API (PROTOCOL 6): POST /api with JIF batches, POST /api/auth, request errors, and
// socket clients seeing what HTTP callers do (and answering their RPCs).
const assert = require('node:assert/strict')
const h = require('./harness')

const srv = h.useServer({ config: 'connectionEndpoints:\n  - type: ws-binary\n  - type: http\n' })
const base = () => srv.server.url.replace('ws://', 'http://').replace('/deepstream', '')

async function post (path, body, contentType = 'application/json') {
  const res = await h.withTimeout(fetch(base() + path, {
    method: 'POST', headers: { 'content-type': contentType }, body: typeof body === 'string' ? body : JSON.stringify(body)
  }), 10000, `POST ${path}`)
  const text = await res.text()
  let json
  try { json = JSON.parse(text) } catch (e) { json = undefined }
  return { status: res.status, text, json, cors: res.headers.get('access-control-allow-origin') }
}
const api = (body) => post('/api', { body })

h.test('records: write, read, head, delete and a missing read', async () => {
  const w = await api([{ topic: 'record', action: 'write', recordName: 'http/r1', data: { a: 1 } }])
  assert.equal(w.status, 200)
  assert.deepEqual(w.json, { result: 'SUCCESS', body: [{ success: true }] })
  assert.equal(w.cors, '*')
  const r = await api([
    { topic: 'record', action: 'read', recordName: 'http/r1' },
    { topic: 'record', action: 'head', recordName: 'http/r1' }
  ])
  assert.deepEqual(r.json.body[0], { version: 1, data: { a: 1 }, success: true })
  assert.deepEqual(r.json.body[1], { version: 1, success: true })
  const patch = await api([{ topic: 'record', action: 'write', recordName: 'http/r1', path: 'b', data: 'x' }])
  assert.deepEqual(patch.json.body[0], { success: true })
  const missing = await api([{ topic: 'record', action: 'read', recordName: 'http/none' }, { topic: 'record', action: 'head', recordName: 'http/r1' }])
  assert.equal(missing.json.result, 'PARTIAL_SUCCESS')
  assert.equal(missing.json.body[0].success, false)
  assert.equal(missing.json.body[0].errorTopic, 'record')
  assert.equal(missing.json.body[0].errorEvent, h.C.RECORD_ACTION.RECORD_NOT_FOUND)
  assert.deepEqual(missing.json.body[1], { version: 2, success: true })
  const d = await api([{ topic: 'record', action: 'delete', recordName: 'http/r1' }])
  assert.deepEqual(d.json, { result: 'SUCCESS', body: [{ success: true }] })
})

h.test('a socket client sees HTTP writes and events, and serves HTTP RPCs', async () => {
  const client = await h.connect(srv.server.url, { username: 'sock' })
  const rec = client.record.getRecord('http/shared')
  await rec.whenReady()
  const sawWrite = new Promise((resolve) => rec.subscribe('n', (n) => { if (n === 7) resolve() }))
  const sawEvent = new Promise((resolve) => client.event.subscribe('http/ev', resolve))
  client.rpc.provide('http/add', (data, response) => response.send(data.a + data.b))
  // The client has no callback for the provide ack: ask until the provider is known.
  await h.withTimeout((async () => {
    for (;;) {
      const probe = await api([{ topic: 'rpc', action: 'make', rpcName: 'http/add', data: { a: 0, b: 0 } }])
      if (probe.json.result === 'SUCCESS') return
      await h.sleep(50)
    }
  })(), 10000, 'the provider to be registered')
  const res = await api([
    { topic: 'record', action: 'write', recordName: 'http/shared', data: { n: 7 } },
    { topic: 'event', action: 'emit', eventName: 'http/ev', data: { hi: 1 } },
    { topic: 'rpc', action: 'make', rpcName: 'http/add', data: { a: 2, b: 3 } },
    { topic: 'rpc', action: 'make', rpcName: 'http/nobody' }
  ])
  assert.equal(res.json.result, 'PARTIAL_SUCCESS')
  assert.deepEqual(res.json.body.slice(0, 3), [{ success: true }, { success: true }, { data: 5, success: true }])
  assert.equal(res.json.body[3].success, false)
  assert.equal(res.json.body[3].errorTopic, 'rpc')
  await h.withTimeout(sawWrite, 5000, 'the socket client to see the write')
  assert.deepEqual(await h.withTimeout(sawEvent, 5000, 'the event'), { hi: 1 })
})

h.test('presence query and the auth endpoint', async () => {
  await h.connect(srv.server.url, { username: 'pres-http' })
  const res = await api([{ topic: 'presence', action: 'query' }, { topic: 'presence', action: 'query', names: ['pres-http', 'zed'] }])
  assert.ok(res.json.body[0].users.includes('pres-http'))
  assert.deepEqual(res.json.body[1], { users: { 'pres-http': true, zed: false }, success: true })
  const auth = await post('/api/auth', { username: 'x' })
  assert.equal(auth.status, 200)
  assert.deepEqual(auth.json, {})
})

h.test('request errors', async () => {
  assert.equal((await post('/api', '{}', 'text/plain')).status, 415)
  const notJson = await post('/api', '{nope')
  assert.equal(notJson.status, 400)
  assert.match(notJson.text, /^Failed to parse body of request/)
  assert.equal((await post('/api', { body: [] })).text, 'Invalid message: the "body" parameter must be a non-empty array of Objects.\r\n\r\n')
  assert.equal((await post('/api', { body: 'x' })).status, 400)
  const badJif = await post('/api', { body: [{ topic: 'event', action: 'emit', eventName: 'e' }, { topic: 'record', action: 'read' }] })
  assert.equal(badJif.status, 400)
  assert.match(badJif.text, /^Failed to parse JIF object at index 1/)
  const get = await h.withTimeout(fetch(base() + '/api'), 10000, 'GET /api')
  assert.equal(get.status, 400)
})

h.test('messages on one record run in batch order', { skip: h.strataOnly('deepstream runs the messages of a batch concurrently') }, async () => {
  const res = await api([
    { topic: 'record', action: 'write', recordName: 'http/order', data: { v: 1 } },
    { topic: 'record', action: 'read', recordName: 'http/order' },
    { topic: 'record', action: 'write', recordName: 'http/order', data: { v: 2 }, version: 2 },
    { topic: 'record', action: 'read', recordName: 'http/order' },
    { topic: 'record', action: 'write', recordName: 'http/order', data: { v: 3 }, version: 2 }
  ])
  assert.deepEqual(res.json.body[1], { version: 1, data: { v: 1 }, success: true })
  assert.deepEqual(res.json.body[3], { version: 2, data: { v: 2 }, success: true })
  assert.equal(res.json.body[4].success, false) // version 2 exists
  assert.equal(res.json.body[4].errorEvent, h.C.RECORD_ACTION.VERSION_EXISTS)
  assert.equal(res.json.body[4].currentVersion, 2)
})

h.test('answered requests do not keep their connection from closing at stop', { skip: h.strataOnly('strata\'s stop log') }, async () => {
  const server = await h.startServer({ config: 'storage:\n  name: none\nconnectionEndpoints:\n  - type: ws-binary\n  - type: http\n' })
  const url = server.url.replace('ws://', 'http://').replace('/deepstream', '/api')
  for (let i = 0; i < 3; i++) {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ body: [{ topic: 'record', action: 'head', recordName: 'x' }] }) })
    assert.equal(res.status, 200)
    await res.text()
  }
  assert.equal(await server.stop(), 0)
  assert.doesNotMatch(server.out, /still open after stopping/)
})
