'use strict'
/*
 * Child process for tls.test.js: the official v7 client over wss://, trusting the test's self-signed
 * certificate only through NODE_EXTRA_CA_CERTS (set by the parent; Node reads it at start-up), which
 * is how a deployment with a private CA would run it.
 *
 *   NODE_EXTRA_CA_CERTS=ca.pem node tls-client.js wss://127.0.0.1:<port>/deepstream
 *
 * Logs in, does an event round trip and a record write + read-back, prints one JSON line and exits 0;
 * exits 1 with the error otherwise.
 */
const { inspect } = require('node:util')
const { DeepstreamClient } = require('@deepstream/client')

const url = process.argv[2]
const fail = (e) => { process.stderr.write(`tls-client: ${e && e.stack ? e.stack : e}\n`); process.exit(1) }
setTimeout(() => fail('timed out'), 15000).unref()

async function main () {
  const client = new DeepstreamClient(url, { offlineEnabled: false, maxReconnectAttempts: 0, recordDiscardTimeout: 100 })
  client.on('error', (error, event) => fail(`client error ${event}: ${error && error.message ? error.message : inspect(error, { depth: 1 })}`))
  const login = await client.login()
  const event = await new Promise((resolve) => {
    client.event.subscribe('tls/event', resolve)
    // the subscription is acknowledged before the emit is processed: messages are ordered
    client.event.emit('tls/event', { over: 'wss' })
  })
  const record = client.record.getRecord('tls/record')
  await record.whenReady()
  await record.setWithAck({ secure: true })
  const snapshot = await client.record.snapshot('tls/record')
  client.close()
  process.stdout.write(JSON.stringify({ login, event, snapshot }) + '\n')
  process.exit(0)
}
main().catch(fail)
