'use strict'
// A raw binary-protocol connection for the cluster scenarios: connect + CHALLENGE + AUTH, subscribe-and-read,
// then every decoded message goes to onMessage(m, buf) (m is bench/lib/wire.js's reused object: copy what
// you keep). A close is reported to onClose (failover expects them); nothing here decides what is a problem.
const WebSocket = require('ws')
const builder = require('@deepstream/protobuf/dist/src/message-builder')
const C = require('@deepstream/protobuf/dist/types/all')
const { decodeFrame } = require('../lib/wire')

const RA = C.RECORD_ACTION
const toBuf = (d) => Array.isArray(d) ? Buffer.concat(d) : Buffer.isBuffer(d) ? d : Buffer.from(d)
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

// Microseconds on CLOCK_MONOTONIC (the same clock in every thread and process of the machine), as a Number.
// performance.now() is cheaper than hrtime.bigint() on the hot path; the offset is fixed per thread.
const { performance } = require('perf_hooks')
const OFFSET_US = Number(process.hrtime.bigint() / 1000n) - performance.now() * 1000
const nowUs = () => performance.now() * 1000 + OFFSET_US

class Client {
  constructor (url, id) {
    this.url = url
    this.id = id
    this.ws = null
    this.closed = false
    this.waiter = null
    this.onMessage = null
    this.onClose = null
    this.unexpected = [] // setup-phase messages nobody waited for (described)
  }

  // Resolves once logged in; rejects on error, close or timeout.
  connect (timeoutMs = 10000) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { fail(new Error(`${this.id}: connect/login timed out`)) }, timeoutMs)
      let settled = false
      const fail = (e) => { if (!settled) { settled = true; clearTimeout(timer); this.terminate(); reject(e) } }
      const ws = new WebSocket(this.url, { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024, handshakeTimeout: timeoutMs })
      this.ws = ws
      ws.binaryType = 'nodebuffer'
      ws.on('error', (e) => fail(e))
      ws.on('close', () => {
        this.closed = true
        fail(new Error(`${this.id}: closed during login`))
        if (this.waiter) { const w = this.waiter; this.waiter = null; w(null) }
        if (this.onClose) this.onClose()
      })
      ws.on('message', (data) => {
        const buf = toBuf(data)
        let m
        try { m = decodeFrame(buf) } catch (e) { this.unexpected.push(`undecodable frame: ${e.message}`); return }
        if (m.topic === C.TOPIC.CONNECTION && m.action === C.CONNECTION_ACTION.PONG) return
        if (this.onMessage) { this.onMessage(m, buf); return }
        if (this.waiter && this.waiter(m, buf)) return
        this.unexpected.push(`topic ${m.topic} action ${m.action} ${m.name || ''}`)
      })
      ws.once('open', async () => {
        try {
          await this.request({ topic: C.TOPIC.CONNECTION, action: C.CONNECTION_ACTION.CHALLENGE, url: this.url },
            (m) => m.topic === C.TOPIC.CONNECTION && m.action === C.CONNECTION_ACTION.ACCEPT, timeoutMs)
          await this.request({ topic: C.TOPIC.AUTH, action: C.AUTH_ACTION.REQUEST, data: '{}' },
            (m) => m.topic === C.TOPIC.AUTH && m.action === C.AUTH_ACTION.AUTH_SUCCESSFUL, timeoutMs)
          if (!settled) { settled = true; clearTimeout(timer); resolve(this) }
        } catch (e) { fail(e) }
      })
    })
  }

  // Sends msg and waits until done(m, buf) returns true (it sees every message meanwhile); an Error returned
  // by done rejects.
  request (msg, done, timeoutMs = 10000) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.waiter = null; reject(new Error(`${this.id}: no answer within ${timeoutMs} ms`)) }, timeoutMs)
      this.waiter = (m, buf) => {
        if (m === null) { clearTimeout(timer); reject(new Error(`${this.id}: closed while waiting`)); return true }
        const r = done(m, buf)
        if (!r) return false
        clearTimeout(timer)
        this.waiter = null
        if (r instanceof Error) reject(r); else resolve()
        return true
      }
      if (msg) this.send(builder.getMessage(msg, false))
    })
  }

  // SUBSCRIBECREATEANDREAD names -> Map name -> {version, data} (from the READ_RESPONSEs).
  async subscribeRead (names, timeoutMs = 10000) {
    const got = new Map()
    await this.request({ topic: C.TOPIC.RECORD, action: RA.SUBSCRIBECREATEANDREAD, names, correlationId: this.id },
      (m, buf) => {
        if (m.topic !== C.TOPIC.RECORD) return false
        if (m.action === RA.READ_RESPONSE && names.includes(m.name)) {
          got.set(m.name, { version: m.version === undefined ? 0 : m.version, data: m.dataStart < 0 ? '' : buf.toString('utf8', m.dataStart, m.dataEnd) })
        } else if (m.isError || m.action >= 100) {
          return new Error(`${this.id}: subscribe ${names.join(',')}: error action ${m.action} (${RA[m.action]})`)
        }
        return got.size === names.length
      }, timeoutMs)
    return got
  }

  send (frame) { if (!this.closed) this.ws.send(frame, { binary: true }) }
  terminate () { try { if (this.ws) this.ws.terminate() } catch (e) {} }
}

const ping = builder.getMessage({ topic: C.TOPIC.CONNECTION, action: C.CONNECTION_ACTION.PING }, false)
// PINGs every client every 15 s (inside the servers' heartbeat window); returns a stop function.
function keepAlive (clients) {
  const t = setInterval(() => { for (const c of clients) if (!c.closed) c.send(ping) }, 15000)
  t.unref()
  return () => clearInterval(t)
}

async function inBatches (items, size, fn) {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn))
}

// Exact strings of a UPDATE frame: builder is the official encoder.
function updateFrame (name, version, data, correlationId) {
  const msg = { topic: C.TOPIC.RECORD, action: RA.UPDATE, name, version, data }
  if (correlationId !== undefined) { msg.isWriteAck = true; msg.correlationId = correlationId }
  return builder.getMessage(msg, false)
}

function percentiles (arr, n) {
  const s = Float64Array.from(arr.subarray ? arr.subarray(0, n) : arr.slice(0, n)).sort()
  const at = (p) => s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil(p / 100 * s.length) - 1))] : null
  return { n: s.length, p50: at(50), p90: at(90), p99: at(99), p999: at(99.9), max: at(100) }
}

module.exports = { Client, C, RA, keepAlive, inBatches, updateFrame, nowUs, sleep, percentiles }
