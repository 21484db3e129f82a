'use strict'
// Strata-only: data survives a graceful restart with the default (embedded) storage and with an explicit sqlite
// config; pure memory mode loses it. deepstream's default setup has no storage at all (SEMANTICS Part A 10).
const assert = require('node:assert/strict')
const fs = require('fs')
const path = require('path')
const { after } = require('node:test')
const h = require('./harness')

const SKIP = h.strataOnly('persistence across restarts needs strata\'s embedded storage (SEMANTICS Part A 2/4/10)')

after(() => h.cleanup())

async function waitUntil (fn, what, timeout = 10000) {
  const deadline = Date.now() + timeout
  for (;;) {
    const v = await fn()
    if (v) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await h.sleep(50)
  }
}

/** Writes a set of records through the official client; returns what the server must hold afterwards. */
async function writeFixture (url) {
  const c = await h.connect(url, { username: 'writer' })
  const observer = await h.connect(url, { username: 'observer' })

  // set whole record + set path, with acks
  const whole = c.record.getRecord('p/whole')
  await whole.whenReady()
  await whole.setWithAck({ a: 1, nested: { b: [1, 2] }, text: 'héllo ✓' })
  await whole.setWithAck('nested.c', 'x')

  // setData / setDataWithAck (CREATEANDUPDATE / CREATEANDPATCH)
  await c.record.setDataWithAck('p/setdata', { k: 1 })
  await c.record.setDataWithAck('p/setdata', 'k2', true)

  // a write without ack: make sure the server has it (observer sees it), then stop right away
  c.record.setData('p/noack', { fire: 'forget' })
  await waitUntil(async () => (await observer.record.head('p/noack')) === 1, 'p/noack reached the server')

  // list
  const list = c.record.getList('p/list')
  await list.whenReady()
  await list.setEntriesWithAck(['a', 'b'])
  await list.setEntriesWithAck(['a', 'b', 'c'])

  // a record that was only created (version 0, {})
  const empty = c.record.getRecord('p/empty')
  await empty.whenReady()

  // erase with ack
  await c.record.setDataWithAck('p/erased', { gone: 1, stays: 2 })
  await c.record.setDataWithAck('p/erased', 'gone', undefined)

  // a deleted record
  await c.record.setDataWithAck('p/deleted', { soon: 'deleted' })
  const del = c.record.getRecord('p/deleted')
  await del.whenReady()
  await del.delete()
  assert.equal(await observer.record.head('p/deleted'), -1)

  h.closeClient(c)
  h.closeClient(observer)
  return {
    'p/whole': { version: 2, data: { a: 1, nested: { b: [1, 2], c: 'x' }, text: 'héllo ✓' } },
    'p/setdata': { version: 2, data: { k: 1, k2: true } },
    'p/noack': { version: 1, data: { fire: 'forget' } },
    'p/list': { version: 2, data: ['a', 'b', 'c'] },
    'p/empty': { version: 0, data: {} },
    'p/erased': { version: 2, data: { stays: 2 } }
  }
}

async function checkFixture (url, expected) {
  const c = await h.connect(url, { username: 'reader' })
  for (const [name, { version, data }] of Object.entries(expected)) {
    assert.equal(await c.record.head(name), version, `head(${name})`)
    assert.deepEqual(await c.record.snapshot(name), data, `snapshot(${name})`)
  }
  await assert.rejects(c.record.snapshot('p/deleted'), (e) => e === 'RECORD_NOT_FOUND', 'deleted record stays deleted')
  assert.equal(await c.record.head('p/deleted'), -1)
  assert.equal(await c.record.has('p/deleted'), false)
  // subscribed reads see the same, and writing continues from the stored version
  const whole = c.record.getRecord('p/whole')
  await whole.whenReady()
  assert.equal(whole.version, expected['p/whole'].version)
  assert.deepEqual(whole.get(), expected['p/whole'].data)
  const list = c.record.getList('p/list')
  await list.whenReady()
  assert.deepEqual(list.getEntries(), expected['p/list'].data)
  h.closeClient(c)
}

h.test('default storage: records survive a graceful restart (SIGTERM exits 0)', { skip: SKIP, timeout: 120000 }, async () => {
  const server = await h.startServer({}) // no storage key: embedded sqlite at ./data/strata.db in cwd
  const expected = await writeFixture(server.url)
  assert.equal(await server.stop(), 0, 'exit code after SIGTERM')
  assert.ok(fs.existsSync(path.join(server.dataDir, 'data', 'strata.db')), 'default database file ./data/strata.db exists')

  await server.restart()
  await checkFixture(server.url, expected)

  // one more write, one more restart
  const c = await h.connect(server.url, { username: 'again' })
  await c.record.setDataWithAck('p/whole', 'a', 2)
  h.closeClient(c)
  assert.equal(await server.stop(), 0)
  await server.restart()
  const d = await h.connect(server.url, { username: 'check' })
  assert.equal(await d.record.head('p/whole'), 3)
  assert.deepEqual(await d.record.snapshot('p/whole'), { ...expected['p/whole'].data, a: 2 })
  h.closeClient(d)
  assert.equal(await server.stop(), 0)
})

h.test('explicit sqlite storage path: records survive a restart', { skip: SKIP, timeout: 120000 }, async () => {
  const dataDir = h.makeTmpDir()
  const dbDir = path.join(dataDir, 'elsewhere')
  fs.mkdirSync(dbDir)
  const server = await h.startServer({ dataDir, config: h.sqliteConfig(dbDir) })
  const expected = await writeFixture(server.url)
  assert.equal(await server.stop(), 0)
  assert.ok(fs.existsSync(path.join(dbDir, 'strata.db')), 'database file at the configured path')

  const again = await h.startServer({ dataDir, config: h.sqliteConfig(dbDir) })
  await checkFixture(again.url, expected)
  assert.equal(await again.stop(), 0)
})

// runs on the reference too: deepstream's default setup is in-memory only
h.test('pure memory mode (storage: none) loses data across a restart', async () => {
  const server = await h.startServer({ config: h.MEMORY_CONFIG })
  const c = await h.connect(server.url, { username: 'mem' })
  await c.record.setDataWithAck('m/rec', { here: 'now' })
  assert.equal(await c.record.head('m/rec'), 1)
  h.closeClient(c)
  assert.equal(await server.stop(), 0)

  await server.restart()
  const d = await h.connect(server.url, { username: 'mem2' })
  assert.equal(await d.record.head('m/rec'), -1)
  await assert.rejects(d.record.snapshot('m/rec'), (e) => e === 'RECORD_NOT_FOUND')
  h.closeClient(d)
  assert.equal(await server.stop(), 0)
})
