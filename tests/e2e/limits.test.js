'use strict'
// Limits of strata's own (issue 5): httpServer.options.maxConnections caps open WebSocket
// connections; upgrades beyond it get 503 and everyone else keeps being served.
const assert = require('node:assert/strict')
const h = require('./harness')

const srv = h.useServer({ config: 'storage:\n  name: none\nhttpServer:\n  options:\n    maxConnections: 2\n' })
const SKIP = h.strataOnly('maxConnections is strata\'s own option')

h.test('maxConnections: the next upgrade gets 503 until a connection closes', { skip: SKIP }, async () => {
  const a = await h.rawSocket(srv.server.url)
  await a.handshake({ username: 'a' })
  const b = await h.rawSocket(srv.server.url)
  await b.handshake({ username: 'b' })
  assert.equal(await h.tryUpgrade(srv.server.url), 'http 503')
  await a.ping() // the open ones still work
  b.close()
  await h.withTimeout((async () => {
    while (await h.tryUpgrade(srv.server.url) !== 'open') await h.sleep(50)
  })(), 5000, 'a free place after a close')
  const res = await h.httpGet(srv.server.port, '/health-check')
  assert.equal(res.status, 200) // plain HTTP is not counted
})
