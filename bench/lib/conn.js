'use strict'
// One benchmark connection: a raw `ws` socket speaking the binary protocol, with a setup phase (request/response
// with a predicate) and a measured phase (onMessage handler). Unexpected frames, text frames, frames with more
// than one message (a real client decodes only the first) and sockets closed by the server are problems.
const WebSocket = require('ws')
const builder = require('@deepstream/protobuf/dist/src/message-builder')
const C = require('@deepstream/protobuf/dist/types/all')
const { decodeFrame, describe } = require('./wire')

const CONSUMED = Symbol('consumed') // request() predicate: message expected, keep waiting
const toBuf = (data) => Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data)

class Conn {
  // ctx: { url, setupMs, problems }
  constructor (ctx, id, role) {
    this.ctx = ctx
    this.id = id
    this.role = role
    this.ws = null
    this.waiter = null // setup phase: (msg, buf) => bool (true = consumed)
    this.onMessage = null // measured phase
    this.closed = false
  }

  problem (msg) { this.ctx.problems.add(`${this.role} ${this.id}: ${msg}`) }

  open () {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.ctx.url, { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 })
      this.ws = ws
      ws.binaryType = 'nodebuffer'
      ws.once('open', resolve)
      ws.once('error', reject)
      ws.on('error', () => {})
      ws.on('close', (code) => {
        this.closed = true
        if (!this.ctx.problems.shuttingDown) this.problem(`socket closed by server (code ${code})`)
        if (this.waiter) { const w = this.waiter; this.waiter = null; w(null, null) }
      })
      ws.on('message', (data, isBinary) => {
        const buf = toBuf(data)
        if (!isBinary) { this.problem(`text frame ${buf.toString().slice(0, 100)}`); return }
        let m
        try { m = decodeFrame(buf) } catch (e) { this.problem(`undecodable frame (${e.message})`); return }
        if (m.trailing !== 0) this.problem(`${m.trailing} bytes after the first message of a frame (a real client drops them): ${describe(buf)}`)
        if (m.topic === C.TOPIC.CONNECTION && m.action === C.CONNECTION_ACTION.PONG) return
        if (this.onMessage) { this.onMessage(m, buf); return }
        if (this.waiter && this.waiter(m, buf)) return
        this.problem(`unexpected message during setup ${describe(buf)}`)
      })
    })
  }

  send (frame) { this.ws.send(frame, { binary: true }) }

  // Sends `msg` (if any) and resolves with the first non-undefined, non-CONSUMED result of pred(m, buf).
  request (msg, pred, what) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.waiter = null; reject(new Error(`${this.role} ${this.id}: timed out waiting for ${what}`)) }, this.ctx.setupMs)
      this.waiter = (m, buf) => {
        if (m === null) { clearTimeout(timer); reject(new Error(`${this.role} ${this.id}: socket closed while waiting for ${what}`)); return true }
        const r = pred(m, buf)
        if (r === undefined) return false
        if (r === CONSUMED) return true
        clearTimeout(timer)
        this.waiter = null
        resolve(r)
        return true
      }
      if (msg) this.send(builder.getMessage(msg, false))
    })
  }

  // Opens the socket, CHALLENGE -> ACCEPT, AUTH REQUEST {} -> AUTH_SUCCESSFUL.
  async login () {
    await this.open()
    await this.request({ topic: C.TOPIC.CONNECTION, action: C.CONNECTION_ACTION.CHALLENGE, url: this.ctx.url },
      (m) => (m.topic === C.TOPIC.CONNECTION && m.action === C.CONNECTION_ACTION.ACCEPT) ? true : undefined, 'CONNECTION ACCEPT')
    await this.request({ topic: C.TOPIC.AUTH, action: C.AUTH_ACTION.REQUEST, data: '{}' },
      (m) => (m.topic === C.TOPIC.AUTH && m.action === C.AUTH_ACTION.AUTH_SUCCESSFUL) ? true : undefined, 'AUTH_SUCCESSFUL')
  }
}

const PING_MS = 15000 // keeps every connection inside the servers' heartbeat window (2 x 30 s)

// PINGs every connection every 15 s during the run; returns the interval handle.
function keepAlive (conns) {
  const ping = builder.getMessage({ topic: C.TOPIC.CONNECTION, action: C.CONNECTION_ACTION.PING }, false)
  const timer = setInterval(() => { for (const c of conns) if (!c.closed) c.send(ping) }, PING_MS)
  timer.unref()
  return timer
}

async function inBatches (items, size, fn) {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn))
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

module.exports = { Conn, CONSUMED, keepAlive, inBatches, sleep }
