'use strict'
// Cluster mode (strata-only; `npm run test:cluster`): events emitted on node A reach the subscribers
// on A (another client), B and C exactly once each, in emit order.
const assert = require('node:assert/strict')
const { before } = require('node:test')
const h = require('./harness')
const cl = require('./cluster')

const SKIP = cl.SKIP
const cluster = cl.useCluster()
let nodes

before(async () => {
  if (SKIP) return
  nodes = await cl.startNodes(cluster, 3)
})

h.test('100 events emitted on A reach subscribers on A, B and C exactly once each, in order', { skip: SKIP }, async () => {
  const [A, B, C] = nodes
  const event = 'cl/ev/numbered'
  const emitter = await h.connect(A.url, { username: 'emitter-a' })
  const got = {}
  for (const [key, node] of [['A', A], ['B', B], ['C', C]]) {
    const client = await h.connect(node.url, { username: `ev-sub-${key}` })
    got[key] = []
    client.event.subscribe(event, (data) => got[key].push(data))
  }
  // subscriptions travel through the cluster: emit until every subscriber has received one
  await cl.untilSeen((j) => emitter.event.emit(event, { warm: j }),
    () => Object.values(got).every((list) => list.length > 0), 'the subscribers on A, B and C receive events emitted on A')
  for (let n = 0; n < 100; n++) emitter.event.emit(event, { n })
  emitter.event.emit(event, { end: 1 })
  await cl.waitUntil(() => Object.values(got).every((list) => list.some((d) => d.end === 1)), 'every subscriber receives the end marker')
  // a second marker: anything repeated or late from the numbered run would arrive before it
  emitter.event.emit(event, { end: 2 })
  await cl.waitUntil(() => Object.values(got).every((list) => list.some((d) => d.end === 2)), 'every subscriber receives the second end marker')
  const expected = [...Array.from({ length: 100 }, (_, n) => ({ n })), { end: 1 }, { end: 2 }]
  for (const [key, list] of Object.entries(got)) {
    // the warm-up events (the first ones may have gone out before the subscription reached A) come first,
    // once each and in order; then exactly the numbered run
    const firstReal = list.findIndex((d) => d.warm === undefined)
    const warm = list.slice(0, firstReal).map((d) => d.warm)
    assert.ok(warm.every((j, i) => i === 0 || j > warm[i - 1]), `subscriber on ${key}: warm-up events once each, in order: ${warm}`)
    assert.deepEqual(list.slice(firstReal), expected, `subscriber on ${key}: every event once, in emit order`)
  }
})
