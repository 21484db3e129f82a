'use strict'
// Strata-only: the records data path over a real Redis cache and a real PostgreSQL storage,
// loaded as connector plugins. Records survive a restart and a cache flush (a cache miss is served
// from storage and loaded back into the cache); a PostgreSQL outage under write load loses nothing
// acknowledged; a cache that is down at startup stops strata with a message naming it.
const assert = require('node:assert/strict')
const fs = require('fs')
const path = require('path')
const { after } = require('node:test')
const h = require('./harness')
const b = require('./backends')

const PLUGINS = path.join(path.dirname(h.STRATA_BIN_PATH), 'plugins')
const missing = [
  !b.haveRedis() && 'redis-server', !b.havePostgres() && 'postgresql',
  !fs.existsSync(path.join(PLUGINS, 'libstrata-redis.so')) && 'the redis connector',
  !fs.existsSync(path.join(PLUGINS, 'libstrata-postgres.so')) && 'the postgres connector'
].filter(Boolean)
// Skipped on a developer machine without them; in CI (which installs everything) a missing piece
// is a failure, never a silent skip.
const SKIP = h.strataOnly('connector plugins are strata\'s') ||
  (missing.length && process.env.CI !== 'true' ? `not installed/built: ${missing.join(', ')}` : false)

const backends = []
after(async () => {
  await h.cleanup()
  for (const stop of backends) await stop()
})

function config (redisPort, pgPort) {
  return `cache:\n  name: redis\n  options:\n    host: 127.0.0.1\n    port: ${redisPort}\n` +
    `storage:\n  name: postgres\n  options:\n    host: 127.0.0.1\n    port: ${pgPort}\n` +
    '    user: postgres\n    database: postgres\n' +
    'record:\n  storageRetryInterval: 100\n  storageRetryMax: 1000\n'
}

async function startAll () {
  const redis = await b.startRedis()
  backends.push(() => redis.stop())
  const pg = await b.startPostgres()
  backends.push(pg.destroy)
  const server = await h.startServer({ config: config(redis.port, pg.port) })
  return { redis, pg, server }
}

h.test('records survive a restart and a cache flush; a miss is loaded back into Redis', { skip: SKIP }, async () => {
  const { redis, server } = await startAll()
  const writer = await h.connect(server.url, { username: 'writer' })
  const reader = await h.connect(server.url, { username: 'reader' })
  const seen = reader.record.getRecord('b/whole')
  await seen.whenReady()
  const updated = new Promise((resolve) => seen.subscribe('n', (n) => n === 2 && resolve()))
  const rec = writer.record.getRecord('b/whole')
  await rec.whenReady()
  await rec.setWithAck({ n: 1, text: 'héllo' })
  await rec.setWithAck('n', 2)
  await h.withTimeout(updated, 10000, 'the reader to see n=2')
  await writer.record.setDataWithAck('b/setdata', { k: 'v' })
  const gone = writer.record.getRecord('b/gone')
  await gone.whenReady()
  await gone.delete()

  assert.equal(await server.stop(), 0, server.output())
  assert.match(await redis.flushAll(), /OK/)
  await server.start()

  const fresh = await h.connect(server.url, { username: 'fresh' })
  assert.deepEqual(await fresh.record.snapshot('b/whole'), { n: 2, text: 'héllo' })
  assert.equal(await fresh.record.head('b/whole'), 2)
  assert.deepEqual(await fresh.record.snapshot('b/setdata'), { k: 'v' })
  await assert.rejects(fresh.record.snapshot('b/gone'))
  // The storage hit was loaded back into the cache, in deepstream's key layout.
  assert.match(await b.redisCommand(redis.port, 'GET', 'b/whole_v'), /2/)
})

h.test('a PostgreSQL outage under write load loses no acknowledged write', { skip: SKIP }, async () => {
  const { redis, pg, server } = await startAll()
  const client = await h.connect(server.url, { username: 'w' })
  const rec = client.record.getRecord('b/outage')
  await rec.whenReady()
  await rec.setWithAck({ i: 0 })
  await pg.stop()
  const acks = []
  for (let i = 1; i <= 20; i++) acks.push(rec.setWithAck({ i }))
  await h.sleep(500)  // let the writes reach the queue and fail against the stopped server
  await pg.start()
  await h.withTimeout(Promise.all(acks), 30000, 'every write to be acknowledged once PostgreSQL is back')
  assert.equal(await server.stop(), 0, server.output())
  await redis.flushAll()
  await server.start()
  const fresh = await h.connect(server.url, { username: 'check' })
  assert.deepEqual(await fresh.record.snapshot('b/outage'), { i: 20 })
})

h.test('a cache that is down at startup stops strata with a message naming it', { skip: SKIP }, async () => {
  const pg = await b.startPostgres()
  backends.push(pg.destroy)
  const closedPort = await h.freePort()
  await assert.rejects(h.startServer({ config: config(closedPort, pg.port) }), /redis/)
})

h.test('Redis killed and restarted under load: writes fail with errors, then work again; /metrics counts it', { skip: SKIP }, async () => {
  const { redis, server } = await startAll()
  const client = await h.connect(server.url, { username: 'w' })
  const rec = client.record.getRecord('b/flaky')
  await rec.whenReady()
  await rec.setWithAck({ phase: 'before' })

  await redis.kill()
  // While the cache is gone a write is refused (RECORD_UPDATE_ERROR), never acknowledged.
  await assert.rejects(h.withTimeout(client.record.setDataWithAck('b/during', { x: 1 }), 20000, 'the refusal'),
    (e) => /RECORD_UPDATE_ERROR/.test(String(e && (e.message || e))))

  await redis.start()  // same port, empty: strata reconnects by itself
  let written = false
  for (let i = 0; i < 100 && !written; i++) {
    try {
      await h.withTimeout(client.record.setDataWithAck('b/after', { phase: 'after' }), 5000, 'a write')
      written = true
    } catch (e) {
      await h.sleep(200)  // still reconnecting
    }
  }
  assert.ok(written, 'writes work again without restarting strata')
  const reader = await h.connect(server.url, { username: 'r' })
  assert.deepEqual(await reader.record.snapshot('b/after'), { phase: 'after' })
  // A cache miss (the new Redis is empty) is served from storage.
  assert.deepEqual(await reader.record.snapshot('b/flaky'), { phase: 'before' })

  const metrics = (await h.httpGet(server.port, '/metrics')).body
  const events = Number(/^strata_connector_events_total (\d+)$/m.exec(metrics)[1])
  assert.ok(events >= 2, `connection lost and restored are counted:\n${metrics}`)
  assert.match(metrics, /^strata_cache_errors_total [1-9]/m)
})
