'use strict'
// Authentication (PROTOCOL 2.5, 7.4; SEMANTICS B.6): file auth with deepstream's users.yml format,
// the http webhook, maxAuthAttempts, clientData, the legacy client, and `strata hash`.
const assert = require('node:assert/strict')
const http = require('http')
const { execFileSync } = require('child_process')
const createLegacyClient = require('deepstream.io-client-js')
const h = require('./harness')
const { TOPIC, AUTH_ACTION: AA } = h.C

// deepstream 7.0.2's own conf/users.yml entry: "password" hashed by `deepstream hash` with the
// default file-auth options (md5, 100 iterations, 32 bytes). Inline, so that the reference
// (which gets the config as options, without fileLoad) reads the same users.
const SAMPLE_HASH = 'rCOSZxJrgze2AZdVQh12c6ErDMOG0M+Rx5Yu7S5d91c=GS4SbTQYmoaGwjm2shEobg=='
const fileAuth = (users) => 'auth:\n  - type: file\n    options:\n      hash: md5\n      iterations: 100\n      keyLength: 32\n' +
  '      users:\n' + users
const USERS = `        userA:\n          password: "${SAMPLE_HASH}"\n          clientData:\n            favouriteColor: red\n` +
  '          serverData:\n            role: admin\n'
const ENDPOINTS = 'connectionEndpoints:\n  - type: ws-binary\n  - type: ws-text\n'
const srv = h.useServer({ config: fileAuth(USERS) + ENDPOINTS })

const isAuth = (action) => (m) => m.topic === TOPIC.AUTH && m.action === action

async function rawLogin (raw, authData) {
  const since = raw.mark()
  raw.send({ topic: TOPIC.AUTH, action: AA.REQUEST, data: JSON.stringify(authData) })
  return raw.waitFor((m) => m.topic === TOPIC.AUTH, { since, what: 'an AUTH answer' })
}

async function rawChallenged () {
  const raw = await h.rawSocket(srv.server.url)
  raw.send({ topic: TOPIC.CONNECTION, action: h.C.CONNECTION_ACTION.CHALLENGE, url: srv.server.url })
  await raw.waitFor((m) => m.topic === TOPIC.CONNECTION && m.action === h.C.CONNECTION_ACTION.ACCEPT)
  return raw
}

h.test('file auth: a users.yml made by deepstream hash logs in and gets its clientData', async () => {
  const client = h.newClient(srv.server.url)
  const clientData = await h.withTimeout(client.login({ username: 'userA', password: 'password' }), 10000, 'login')
  assert.deepEqual(clientData, { favouriteColor: 'red' })
})

h.test('file auth: wrong passwords are refused, the client may retry, the third failure closes', async () => {
  const raw = await rawChallenged()
  for (let i = 0; i < 2; i++) {
    const answer = await rawLogin(raw, { username: 'userA', password: 'nope' })
    assert.equal(answer.action, AA.AUTH_UNSUCCESSFUL)
    assert.equal(raw.isOpen, true)
  }
  // A retry with the right password still works after failures...
  const ok = await rawLogin(raw, { username: 'userA', password: 'password' })
  assert.equal(ok.action, AA.AUTH_SUCCESSFUL)
  assert.deepEqual(ok.parsedData, { favouriteColor: 'red' })

  // ...and a third failure ends the connection.
  const other = await rawChallenged()
  const since = other.mark()
  for (let i = 0; i < 3; i++) await rawLogin(other, { username: 'userA', password: 'nope' + i })
  await other.waitFor(isAuth(AA.TOO_MANY_AUTH_ATTEMPTS), { since, what: 'TOO_MANY_AUTH_ATTEMPTS' })
  await other.waitClosed()
  assert.deepEqual(other.messages.slice(since).map((m) => m.action),
    [AA.AUTH_UNSUCCESSFUL, AA.AUTH_UNSUCCESSFUL, AA.AUTH_UNSUCCESSFUL, AA.TOO_MANY_AUTH_ATTEMPTS])
})

h.test('file auth: missing parameters are reported to the client', async () => {
  const raw = await rawChallenged()
  const answer = await rawLogin(raw, { username: 'userA' })
  assert.equal(answer.action, AA.AUTH_UNSUCCESSFUL)
  assert.deepEqual(answer.parsedData, { error: 'missing authentication parameter: username or/and password' })
  const unknown = await rawLogin(raw, { username: 'nobody', password: 'x' })
  assert.equal(unknown.action, AA.AUTH_UNSUCCESSFUL) // no handler took it
})

h.test('file auth: the official client rejects login with the reason', async () => {
  const client = h.newClient(srv.server.url)
  await assert.rejects(h.withTimeout(client.login({ username: 'userA', password: 'wrong' }), 10000, 'login'))
})

h.test('file auth: the legacy client logs in with the same users', async () => {
  const url = srv.server.url.replace('/deepstream', '/deepstream-v3')
  const login = (authData) => {
    const client = createLegacyClient(url, { maxReconnectAttempts: 0 })
    return h.withTimeout(new Promise((resolve) => client.login(authData, (success, data) => {
      client.close()
      resolve({ success, data })
    })), 10000, 'legacy login')
  }
  assert.deepEqual(await login({ username: 'userA', password: 'password' }), { success: true, data: { favouriteColor: 'red' } })
  const refused = await login({ username: 'userA', password: 'wrong' })
  assert.equal(refused.success, false)
})

h.test('strata hash: its output logs in', { skip: h.strataOnly('the strata CLI') }, async () => {
  const dir = h.makeTmpDir()
  const config = `${dir}/hash-config.yml`
  require('fs').writeFileSync(config, fileAuth('        x:\n          password: x\n'))
  const out = execFileSync(h.STRATA_BIN, ['hash', 's3cret pass', '-c', config]).toString()
  const hash = /^Password hash: (\S+)\n$/.exec(out)[1]
  const server = await h.startServer({ config: fileAuth(`        carol:\n          password: "${hash}"\n`) })
  try {
    await h.connect(server.url, { username: 'carol', password: 's3cret pass' })
    const client = h.newClient(server.url)
    await assert.rejects(h.withTimeout(client.login({ username: 'carol', password: 's3cret' }), 10000, 'login'))
  } finally {
    await server.stop()
  }
})

h.test('http auth: the webhook decides, with id, clientData and retries', async () => {
  const seen = []
  let flaky = 1
  const hook = http.createServer((req, res) => {
    let body = ''
    req.on('data', (c) => { body += c })
    req.on('end', () => {
      const { authData } = JSON.parse(body)
      seen.push({ authData, token: req.headers.token })
      if (authData.username === 'flaky' && flaky-- > 0) { res.writeHead(504); return res.end() }
      if (authData.password !== 'ok') { res.writeHead(401, { 'content-type': 'text/plain' }); return res.end('bad password') }
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ id: 'hook-' + authData.username, clientData: { via: 'hook' } }))
    })
  })
  await new Promise((resolve) => hook.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${hook.address().port}/auth`
  const server = await h.startServer({
    config: `auth:\n  - type: http\n    options:\n      endpointUrl: ${url}\n      permittedStatusCodes: [200]\n` +
      '      requestTimeout: 2000\n      promoteToHeader: [token]\n      retryStatusCodes: [504]\n      retryAttempts: 2\n      retryInterval: 50\n'
  })
  try {
    const client = h.newClient(server.url)
    assert.deepEqual(await h.withTimeout(client.login({ username: 'dora', password: 'ok', token: 't1' }), 10000, 'login'), { via: 'hook' })
    assert.equal(seen[0].token, 't1')
    const raw = await h.rawSocket(server.url)
    raw.send({ topic: TOPIC.CONNECTION, action: h.C.CONNECTION_ACTION.CHALLENGE, url: server.url })
    await raw.waitFor((m) => m.topic === TOPIC.CONNECTION && m.action === h.C.CONNECTION_ACTION.ACCEPT)
    const refused = await rawLogin(raw, { username: 'eve', password: 'no' })
    assert.equal(refused.action, AA.AUTH_UNSUCCESSFUL)
    assert.deepEqual(refused.parsedData, { error: 'bad password' })
    const retried = await rawLogin(raw, { username: 'flaky', password: 'ok' })
    assert.equal(retried.action, AA.AUTH_SUCCESSFUL)
    assert.equal(seen.filter((s) => s.authData.username === 'flaky').length, 2)
  } finally {
    await server.stop()
    hook.close()
  }
})

h.test('a failed login does not stop the unauthenticated-client timeout', {
  skip: h.strataOnly('deepstream 7.0.2 cancels the timeout on the first attempt, so a client can stay unauthenticated forever')
}, async () => {
  const server = await h.startServer({ config: fileAuth(USERS) + h.endpointConfig({ unauthenticatedClientTimeout: 2000 }) })
  try {
    const raw = await h.rawSocket(server.url)
    raw.send({ topic: TOPIC.CONNECTION, action: h.C.CONNECTION_ACTION.CHALLENGE, url: server.url })
    await raw.waitFor((m) => m.topic === TOPIC.CONNECTION && m.action === h.C.CONNECTION_ACTION.ACCEPT)
    assert.equal((await rawLogin(raw, { username: 'userA', password: 'nope' })).action, AA.AUTH_UNSUCCESSFUL)
    await raw.waitFor((m) => m.topic === TOPIC.CONNECTION && m.action === h.C.CONNECTION_ACTION.AUTHENTICATION_TIMEOUT,
      { what: 'AUTHENTICATION_TIMEOUT' })
    await raw.waitClosed()
  } finally {
    await server.stop()
  }
})
