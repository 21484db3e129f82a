'use strict'
// TLS (httpServer.options.ssl): wss:// with the official v7 client, https:// health check and HTTP API on the
// same port, wrong-protocol clients refused without harm, and (strata-only) key/cert files and startup errors.
// Certificates are generated per run with the openssl CLI into a temporary directory.
const assert = require('node:assert/strict')
const { execFile, execFileSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const WebSocket = require('ws')
const h = require('./harness')

const keysDir = h.makeTmpDir('strata-e2e-tls-')
function generate (name) {
  const key = path.join(keysDir, `${name}.key`)
  const cert = path.join(keysDir, `${name}.crt`)
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-days', '2', '-subj', `/CN=${name}`, '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert],
  { stdio: 'ignore' })
  return { key, cert, keyPem: fs.readFileSync(key, 'utf8'), certPem: fs.readFileSync(cert, 'utf8') }
}
const server = generate('server')
const other = generate('other')

const indent = (pem) => pem.trim().split('\n').map((l) => `        ${l}`).join('\n')
// PEM text inline, as deepstream's fileLoad() gives it (so the reference runs the same config).
const TLS_CONFIG = 'connectionEndpoints:\n  - type: ws-binary\n  - type: http\n' +
  `httpServer:\n  options:\n    ssl:\n      key: |\n${indent(server.keyPem)}\n      cert: |\n${indent(server.certPem)}\n`

const srv = h.useServer({ config: TLS_CONFIG, tlsCa: server.certPem })

/** Runs tls-client.js with NODE_EXTRA_CA_CERTS; resolves {code, stdout, stderr}. */
function runClient (url, caFile) {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(__dirname, 'tls-client.js'), url],
      { env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile }, timeout: 20000 },
      (err, stdout, stderr) => resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr }))
  })
}

h.test('the official client logs in over wss://, emits and writes a record', async () => {
  assert.match(srv.server.url, /^wss:\/\//)
  const r = await runClient(srv.server.url, server.cert)
  assert.equal(r.code, 0, r.stderr)
  const out = JSON.parse(r.stdout)
  assert.deepEqual(out.event, { over: 'wss' })
  assert.deepEqual(out.snapshot, { secure: true })
})

h.test('a client that does not trust the certificate cannot log in', async () => {
  const r = await runClient(srv.server.url, other.cert)
  assert.notEqual(r.code, 0)
  assert.match(r.stderr, /certificate/i)
})

h.test('https:// health check, HTTP API and (strata) metrics on the same port', async () => {
  const port = srv.server.port
  const health = await h.httpsRequest(port, '/health-check', { ca: server.certPem })
  assert.equal(health.status, 200)
  const body = JSON.stringify({ body: [{ topic: 'event', action: 'emit', eventName: 'tls/http', data: 1 }] })
  const api = await h.httpsRequest(port, '/api', {
    ca: server.certPem, method: 'POST', body, headers: { 'content-type': 'application/json' }
  })
  assert.equal(api.status, 200)
  assert.deepEqual(JSON.parse(api.body), { result: 'SUCCESS', body: [{ success: true }] })
  if (h.isStrata) { // deepstream has no /metrics without a monitoring plugin
    const metrics = await h.httpsRequest(port, '/metrics', { ca: server.certPem })
    assert.equal(metrics.status, 200)
  }
})

h.test('plain ws:// and http:// clients on the TLS port fail; the server keeps serving', async () => {
  const port = srv.server.port
  const outcome = await h.tryUpgrade(`ws://127.0.0.1:${port}/deepstream`, 5000)
  assert.match(outcome, /^error /)
  await assert.rejects(h.withTimeout(fetch(`http://127.0.0.1:${port}/health-check`), 5000, 'plain GET'))
  // A raw WebSocket over TLS still works afterwards, with the full handshake.
  const ws = new WebSocket(srv.server.url, { ca: server.certPem, perMessageDeflate: false })
  await h.withTimeout(new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject) }), 5000, 'wss open')
  ws.terminate()
  const health = await h.httpsRequest(port, '/health-check', { ca: server.certPem })
  assert.equal(health.status, 200)
})

h.test('a wss:// client on a plain port fails; that server keeps serving', async () => {
  const plain = await h.startServer({ config: h.MEMORY_CONFIG })
  const outcome = await h.tryUpgrade(plain.url.replace('ws://', 'wss://'), 5000)
  assert.match(outcome, /^error /)
  assert.equal((await h.httpGet(plain.port, '/health-check')).status, 200)
  if (h.isStrata) {
    await h.sleep(100)
    assert.match(plain.output(), /sent a TLS handshake to the plain port/)
  }
  await plain.stop()
})

h.test('key and cert given as file() paths', { skip: h.strataOnly('fileLoad/file() are resolved by the config loader, not ref-server') }, async () => {
  const dir = h.makeTmpDir()
  fs.copyFileSync(server.key, path.join(dir, 'key.pem'))
  fs.copyFileSync(server.cert, path.join(dir, 'cert.pem'))
  const s = await h.startServer({
    dataDir: dir,
    tlsCa: server.certPem,
    config: 'httpServer:\n  options:\n    ssl:\n      key: file(key.pem)\n      cert: fileLoad(cert.pem)\n'
  })
  const health = await h.httpsRequest(s.port, '/health-check', { ca: server.certPem })
  assert.equal(health.status, 200)
  await s.stop()
})

/** Runs strata with `config` and expects it to exit non-zero at once, naming `problem`. */
async function expectStartupError (config, problem) {
  const dir = h.makeTmpDir()
  fs.writeFileSync(path.join(dir, 'config.yml'), config)
  const r = await new Promise((resolve) => {
    execFile(h.STRATA_BIN, ['start', '-c', path.join(dir, 'config.yml'), '--port', '0'], { cwd: dir, timeout: 15000 },
      (err, stdout, stderr) => resolve({ code: err ? err.code : 0, out: stdout + stderr }))
  })
  assert.notEqual(r.code, 0, r.out)
  assert.match(r.out, problem)
}

h.test('unusable TLS settings stop strata at startup with the reason', { skip: h.strataOnly('strata startup errors') }, async () => {
  const ssl = (key, cert) => `httpServer:\n  options:\n    ssl:\n      key: ${key}\n      cert: ${cert}\n`
  await expectStartupError(ssl(path.join(keysDir, 'missing.key'), server.cert),
    /httpServer\.options\.ssl\.key: neither PEM text nor a readable file: .*missing\.key/)
  await expectStartupError(ssl(other.key, server.cert), /httpServer\.options\.ssl: key does not match cert/)
  await expectStartupError(ssl(server.key, server.key), /httpServer\.options\.ssl: cert: not a PEM certificate/)
  await expectStartupError('httpServer:\n  options:\n    ssl:\n      key: file(x.pem)\n',
    /httpServer\.options\.ssl\.(key: neither|cert: required)/)
})
