'use strict'
// The strata command line (strata-only: the reference has a different CLI) and HTTP/WebSocket endpoint routing
// (checked on both: deepstream 7 refuses upgrades on any path but the exact one, PROTOCOL 1.1).
const assert = require('node:assert/strict')
const fs = require('fs')
const path = require('path')
const { spawn } = require('child_process')
const h = require('./harness')

const srv = h.useServer()
const CLI_SKIP = h.strataOnly('strata command line (deepstream\'s CLI differs)')
const CLI_TIMEOUT_MS = 20000

/** Runs the strata binary to completion (killed after 20 s). Resolves {code, signal, out, timedOut}. */
function runStrata (args, { cwd } = {}) {
  return new Promise((resolve) => {
    const dir = cwd || h.makeTmpDir('strata-cli-')
    const child = spawn(h.STRATA_BIN, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let timedOut = false
    child.stdout.on('data', (d) => { out += d })
    child.stderr.on('data', (d) => { out += d })
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL') }, CLI_TIMEOUT_MS)
    child.on('error', (e) => { clearTimeout(timer); resolve({ code: -1, signal: null, out: out + e.message, timedOut }) })
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, out, timedOut }) })
  })
}

h.test('strata --help exits 0 and mentions the start command', { skip: CLI_SKIP }, async () => {
  const r = await runStrata(['--help'])
  assert.equal(r.timedOut, false, 'did not exit')
  assert.equal(r.code, 0, r.out)
  assert.match(r.out, /\bstart\b/)
})

h.test('strata start -c <missing file> exits non-zero naming the file', { skip: CLI_SKIP }, async () => {
  const port = await h.freePort()
  const r = await runStrata(['start', '-c', 'missing.yml', '--host', '127.0.0.1', '--port', String(port)])
  assert.equal(r.timedOut, false, `kept running: ${r.out}`)
  assert.notEqual(r.code, 0, r.out)
  assert.match(r.out, /missing\.yml/)
})

h.test('a config with an unknown key exits non-zero naming the key', { skip: CLI_SKIP }, async () => {
  const dir = h.makeTmpDir('strata-cli-')
  fs.writeFileSync(path.join(dir, 'config.yml'), 'storage:\n  name: none\nnoSuchSettingXyz: 1\n')
  const port = await h.freePort()
  const r = await runStrata(['start', '-c', path.join(dir, 'config.yml'), '--host', '127.0.0.1', '--port', String(port)], { cwd: dir })
  assert.equal(r.timedOut, false, `kept running: ${r.out}`)
  assert.notEqual(r.code, 0, r.out)
  assert.match(r.out, /noSuchSettingXyz/)
})

h.test('a permission rule that does not parse stops startup naming the rule', { skip: CLI_SKIP }, async () => {
  const dir = h.makeTmpDir('strata-cli-')
  fs.writeFileSync(path.join(dir, 'permissions.yml'), 'record:\n  "*":\n    read: true\n  "doc/$id":\n    write: "user.id = $id"\n')
  fs.writeFileSync(path.join(dir, 'config.yml'),
    'storage:\n  name: none\npermission:\n  type: config\n  options:\n    permissions: fileLoad(permissions.yml)\n')
  const port = await h.freePort()
  const r = await runStrata(['start', '-c', path.join(dir, 'config.yml'), '--host', '127.0.0.1', '--port', String(port)], { cwd: dir })
  assert.equal(r.timedOut, false, `kept running: ${r.out}`)
  assert.notEqual(r.code, 0, r.out)
  assert.match(r.out, /record\."doc\/\$id"\.write: assignment is not allowed in a rule at column 9/)
})

h.test('an auth entry without users stops startup naming the entry', { skip: CLI_SKIP }, async () => {
  const dir = h.makeTmpDir('strata-cli-')
  fs.writeFileSync(path.join(dir, 'config.yml'), 'storage:\n  name: none\nauth:\n  - type: file\n    options:\n      hash: md5\n')
  const port = await h.freePort()
  const r = await runStrata(['start', '-c', path.join(dir, 'config.yml'), '--host', '127.0.0.1', '--port', String(port)], { cwd: dir })
  assert.equal(r.timedOut, false, `kept running: ${r.out}`)
  assert.notEqual(r.code, 0, r.out)
  assert.match(r.out, /auth\[0\] \(file\): /)
})

h.test('strata info prints something and exits 0', { skip: CLI_SKIP }, async () => {
  const r = await runStrata(['info'])
  assert.equal(r.timedOut, false, 'did not exit')
  assert.equal(r.code, 0, r.out)
  assert.ok(r.out.trim().length > 0, 'prints something')
})

h.test('GET /health-check answers 200', async () => {
  const res = await h.httpGet(srv.server.port, '/health-check')
  assert.equal(res.status, 200)
})

h.test('WebSocket upgrade only on the exact path /deepstream', async () => {
  const base = `ws://127.0.0.1:${srv.server.port}`
  assert.equal(await h.tryUpgrade(`${base}/deepstream`), 'open')
  assert.notEqual(await h.tryUpgrade(`${base}/deepstream?x=1`), 'open')
  assert.notEqual(await h.tryUpgrade(`${base}/deepstream/`), 'open')
  assert.notEqual(await h.tryUpgrade(`${base}/nope`), 'open')
  // the server is still fine afterwards
  const c = await h.connect(srv.server.url, { username: 'after-upgrades' })
  await c.record.setDataWithAck('cli/ok', { ok: true })
  assert.deepEqual(await c.record.snapshot('cli/ok'), { ok: true })
})
