'use strict'
// Real Redis and PostgreSQL servers for the end-to-end tests, each started on a free 127.0.0.1
// port in a temporary directory and stopped by pid. Nothing is shared with the system's daemons.
const { spawn, execFileSync } = require('child_process')
const fs = require('fs')
const net = require('net')
const os = require('os')
const path = require('path')
const h = require('./harness')

const PG_BIN = '/usr/lib/postgresql/15/bin'
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0

function haveRedis () {
  try { execFileSync('redis-server', ['--version'], { stdio: 'ignore' }); return true } catch { return false }
}
function havePostgres () { return fs.existsSync(path.join(PG_BIN, 'postgres')) }

async function waitForPort (port, child, what, timeout = 30000) {
  const deadline = Date.now() + timeout
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`)
    const open = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(true) })
      s.on('error', () => resolve(false))
    })
    if (open) return
    if (Date.now() > deadline) throw new Error(`${what} did not open port ${port}`)
    await h.sleep(100)
  }
}

function stopper (child, signal = 'SIGTERM') {
  return () => new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    const timer = setTimeout(() => child.kill('SIGKILL'), 10000)
    child.once('exit', () => { clearTimeout(timer); resolve() })
    child.kill(signal)
  })
}

// One RESP command over a fresh connection; resolves with the raw reply text.
function redisCommand (port, ...args) {
  const frame = `*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(frame))
    let reply = ''
    s.on('data', (d) => { reply += d.toString(); if (reply.endsWith('\r\n')) { s.end(); resolve(reply) } })
    s.on('error', reject)
  })
}

// `stop()` ends it (SIGKILL for `kill()`), `start()` brings up a fresh, empty one on the same port.
async function startRedis () {
  const port = await h.freePort()
  const redis = { port, flushAll: () => redisCommand(port, 'FLUSHALL') }
  redis.start = async () => {
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '',
      '--appendonly', 'no'], { stdio: 'ignore' })
    await waitForPort(port, child, 'redis-server')
    redis.stop = stopper(child)
    redis.kill = stopper(child, 'SIGKILL')
  }
  await redis.start()
  return redis
}

// A throwaway cluster; `stop()` keeps its data so that `start()` can bring it back (outage
// tests), `destroy()` removes it.
async function startPostgres () {
  const port = await h.freePort()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-e2e-pg-'))
  // PostgreSQL refuses root. setpriv execs the server itself, so the pid we hold is the
  // postmaster's and our signals reach it.
  const asPostgres = (bin, args) => isRoot
    ? ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', path.join(PG_BIN, bin), ...args]]
    : [path.join(PG_BIN, bin), args]
  if (isRoot) {
    execFileSync('chown', ['postgres', dir])
    execFileSync('chmod', ['755', dir])
  }
  const [initCmd, initArgs] = asPostgres('initdb', ['-D', path.join(dir, 'data'), '-A', 'trust', '-U', 'postgres'])
  execFileSync(initCmd, initArgs, { stdio: 'ignore' })
  const pg = { port, stop: async () => {} }
  pg.start = async () => {
    const [cmd, args] = asPostgres('postgres', ['-D', path.join(dir, 'data'), '-k', dir, '-p', String(port),
      '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'])
    const child = spawn(cmd, args, { stdio: 'ignore' })
    await waitForPort(port, child, 'postgres')
    pg.stop = stopper(child, 'SIGINT')  // fast shutdown: SIGTERM would wait for strata to leave
  }
  pg.destroy = async () => { await pg.stop(); fs.rmSync(dir, { recursive: true, force: true }) }
  await pg.start()
  return pg
}

module.exports = { haveRedis, havePostgres, startRedis, startPostgres, redisCommand }
