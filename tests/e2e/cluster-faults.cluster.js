'use strict'
// Cluster mode (strata-only; `npm run test:cluster`): configs a cluster node must refuse, and a node
// killed with SIGKILL under write load behind a load balancer (clients fail over, no acknowledged
// write is lost, PostgreSQL converges to what Redis holds). Also a self-check of the test balancer.
const assert = require('node:assert/strict')
const net = require('net')
const { isDeepStrictEqual } = require('util')
const h = require('./harness')
const cl = require('./cluster')

const SKIP = cl.SKIP
const cluster = cl.useCluster()

/* ------------------------------------------------------------------ the test balancer itself */

h.test('harness: the balancer forwards round-robin and skips a port that refuses connections', async () => {
  const echo = (tag) => new Promise((resolve) => {
    const srv = net.createServer((s) => s.on('data', (d) => s.write(`${tag}:${d}`)))
    srv.listen(0, '127.0.0.1', () => resolve(srv))
  })
  const one = await echo('one')
  const two = await echo('two')
  const refusing = await h.freePort()
  const [onePort, twoPort] = [one.address().port, two.address().port]
  const lb = await cl.startBalancer([onePort, refusing, twoPort])
  const talk = () => cl.within(new Promise((resolve, reject) => {
    const s = net.connect(lb.port, '127.0.0.1', () => s.write('hi'))
    let reply = ''
    s.on('data', (d) => { reply += d; s.end() })
    s.on('close', () => resolve(reply))
    s.on('error', reject)
  }), 10000, 'a reply through the balancer')
  try {
    const replies = []
    for (let i = 0; i < 4; i++) replies.push(await talk())
    assert.deepEqual(replies, ['one:hi', 'two:hi', 'one:hi', 'two:hi'])
    await new Promise((resolve) => one.close(resolve))
    assert.deepEqual([await talk(), await talk()], ['two:hi', 'two:hi'])
    assert.deepEqual(lb.forwarded, { [onePort]: 2, [twoPort]: 4 })
  } finally {
    await lb.close()
    await new Promise((resolve) => two.close(resolve))
  }
})

/* ------------------------------------------------------------------ refused configs */

const REFUSED = [
  { what: 'the default cache (memory)', opts: { cache: null }, want: ["cache.name: 'memory'", 'cluster'] },
  { what: 'cache.name: memory', opts: { cache: 'memory' }, want: ["cache.name: 'memory'", 'cluster'] },
  { what: 'storage.name: sqlite', opts: { storage: 'sqlite' }, want: ["storage.name: 'sqlite'", 'cluster'] },
  { what: 'clusterNode.name: nats', opts: { clusterNode: 'nats' }, want: ['clusterNode.name'] }
]
for (const { what, opts, want } of REFUSED) {
  h.test(`a cluster node refuses ${what}: non-zero exit, stderr names it`, { skip: SKIP }, async () => {
    await cluster.ready
    const yaml = cluster.config({ name: 'refused', ...opts })
    const res = await cl.runRefused(yaml)
    const shown = `config:\n${yaml}\nexit: ${res.code} ${res.signal}\nstdout:\n${res.stdout}\nstderr:\n${res.stderr}`
    assert.equal(res.stillRunning, false, `strata accepted the config and kept running\n${shown}`)
    assert.equal(res.signal, null, shown)
    assert.notEqual(res.code, 0, shown)
    for (const text of want) assert.ok(res.stderr.includes(text), `stderr should contain ${JSON.stringify(text)}\n${shown}`)
  })
}

/* ------------------------------------------------------------------ node failure */

const CLIENTS = 6
const WRITES = 200
const KILL_AFTER = 40 // the victim is killed once every client has issued this many writes

h.test('kill -9 of a node under write load: clients fail over through the balancer, no acknowledged write is lost, PostgreSQL converges to Redis', {
  skip: SKIP, timeout: 110000
}, async (t) => {
  const nodes = await cl.startNodes(cluster, 3)
  const ports = nodes.map((n) => n.port)
  const lb = await cluster.balancer(ports)
  const clients = []
  for (let k = 0; k < CLIENTS; k++) {
    clients.push(await h.connect(lb.url, { username: `failover-${k}` },
      { maxReconnectAttempts: 100, reconnectIntervalIncrement: 50, maxReconnectInterval: 300 }))
  }
  assert.deepEqual(lb.order, [...ports, ...ports], 'two clients per node, round-robin')
  const victim = nodes[1]

  const state = clients.map((c, k) => ({ name: `failover-${k}`, issued: 0, acked: 0, lastAcked: 0, ackedAfterKill: 0, errors: [] }))
  let killed = null
  const maybeKill = () => {
    if (killed === null && state.every((s) => s.issued >= KILL_AFTER)) killed = cl.killNode(victim)
  }
  const writer = async (c, s, k) => {
    for (let i = 1; i <= WRITES; i++) {
      maybeKill()
      // No writer runs ahead past the kill: each has writes left to make on the surviving nodes.
      if (i > KILL_AFTER && killed === null) {
        await cl.waitUntil(() => { maybeKill(); return killed !== null }, 'the kill', 60000)
      }
      const afterKill = killed !== null
      s.issued = i
      try {
        // the client holds no record: CREATEANDUPDATE with version -1, never resent by the client
        await cl.within(c.record.setDataWithAck(s.name, { n: i, k }), 5000, `write ${i} of ${s.name}`)
        s.acked++
        s.lastAcked = i
        if (afterKill) s.ackedAfterKill++
      } catch (e) {
        s.errors.push(`${i}: ${e && e.message ? e.message : e}`)
        await cl.waitUntil(() => c.getConnectionState() === 'OPEN', `${s.name}'s client to be connected again`, 20000)
      }
    }
  }
  await cl.within(Promise.all(clients.map((c, k) => writer(c, state[k], k))), 90000, 'the write loops')
  assert.ok(killed !== null, `the victim was killed (issued: ${state.map((s) => s.issued)})`)
  await killed
  assert.equal(victim.exitSignal, 'SIGKILL')
  const report = JSON.stringify(state.map(({ name, issued, acked, lastAcked, ackedAfterKill, errors }) =>
    ({ name, issued, acked, lastAcked, ackedAfterKill, errors: errors.slice(0, 5) })))
  t.diagnostic(`writers: ${report}; balancer: ${lb.order}`)
  assert.ok(lb.order.length >= CLIENTS + 2, `the victim's clients reconnected through the balancer: ${lb.order}`)
  assert.ok(!lb.order.slice(CLIENTS).includes(victim.port), 'no reconnection went to the killed node')
  for (const [k, s] of state.entries()) {
    assert.ok(s.ackedAfterKill > 0, `${s.name} carried on after the kill: ${report}`)
    assert.equal(clients[k].getConnectionState(), 'OPEN', s.name)
  }

  // every record: at least as new as its last acknowledged write, seen through both survivors
  const heads = {}
  for (const node of [nodes[0], nodes[2]]) {
    const fresh = await h.connect(node.url, { username: `check-${node.name}` })
    for (const [k, s] of state.entries()) {
      const data = await cl.within(fresh.record.snapshot(s.name), 10000, `snapshot ${s.name}`)
      const head = await cl.within(fresh.record.head(s.name), 10000, `head ${s.name}`)
      assert.equal(data.k, k)
      assert.ok(data.n >= s.lastAcked, `${s.name} on ${node.name}: holds n=${data.n}, last acknowledged ${s.lastAcked}: ${report}`)
      // each applied write adds one version: every acknowledged one is in, none applied twice
      assert.ok(head >= s.acked && head <= s.issued, `${s.name} on ${node.name}: version ${head}, ${s.acked} acknowledged, ${s.issued} sent`)
      if (heads[s.name] === undefined) heads[s.name] = { head, data }
      assert.deepEqual({ head, data }, heads[s.name], `${s.name}: both survivors answer the same`)
    }
  }

  // the writes have stopped: storage converges to the cache
  const compare = async () => {
    const rows = []
    for (const s of state) {
      rows.push({ name: s.name, cache: await cl.redisRecord(cluster.redis.port, s.name), storage: cl.pgRow(cluster.pg.port, s.name) })
    }
    return rows
  }
  let rows = []
  try {
    await cl.waitUntil(async () => {
      rows = await compare()
      return rows.every((r) => r.cache !== null && isDeepStrictEqual(r.storage, r.cache))
    }, 'PostgreSQL holds what Redis holds', 15000, 200)
  } catch (e) {
    if (rows.length !== CLIENTS) throw e // no complete comparison: the error says why
    // else the assertions below show the difference
  }
  for (const r of rows) {
    assert.notEqual(r.cache, null, `${r.name}: in Redis`)
    assert.deepEqual(r.storage, r.cache, `${r.name}: PostgreSQL vs Redis`)
    assert.deepEqual(r.cache, { version: heads[r.name].head, data: heads[r.name].data }, `${r.name}: Redis vs what the nodes answer`)
  }
})
