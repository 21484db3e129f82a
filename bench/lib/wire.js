'use strict'
// The hot-path reader for deepstream binary frames: only the fields the scenarios need, no allocation
// for the message object. A frame is varint length + Message { topic = 2 (varint), message = 3 (bytes) }.
// RECORD and EVENT messages share field numbers for action (1), data (2), correlationId (3), isError (4),
// isAck (5) and name (6); RECORD adds isWriteAck (11) and version (13) (PROTOCOL.md 2.3).
const parser = require('@deepstream/protobuf/dist/src/message-parser')
const C = require('@deepstream/protobuf/dist/types/all')

let pos = 0
function varint (buf) {
  // int32 semantics: keeps the low 32 bits (negative int32 values are 10-byte varints)
  let result = 0
  let shift = 0
  for (let i = 0; i < 10; i++) {
    const b = buf[pos++]
    if (b === undefined) throw new Error('truncated varint')
    if (shift < 32) result |= (b & 0x7f) << shift
    shift += 7
    if (b < 0x80) return result
  }
  throw new Error('varint too long')
}
function skip (buf, wireType) {
  if (wireType === 0) varint(buf)
  else if (wireType === 2) { const len = varint(buf); pos += len } else if (wireType === 1) pos += 8
  else if (wireType === 5) pos += 4
  else throw new Error(`bad wire type ${wireType}`)
}

// The decoded message: one reused object, reset per frame. dataStart/dataEnd index into the frame.
const M = { topic: 0, action: 0, name: undefined, version: undefined, correlationId: undefined, dataStart: -1, dataEnd: -1, isError: false, isAck: false, isWriteAck: false, trailing: 0 }

function decodeFrame (buf) {
  pos = 0
  const total = varint(buf)
  const end = pos + total
  if (end > buf.length) throw new Error('frame shorter than its length prefix')
  M.trailing = buf.length - end
  M.topic = 0; M.action = 0; M.name = undefined; M.version = undefined; M.correlationId = undefined
  M.dataStart = -1; M.dataEnd = -1; M.isError = false; M.isAck = false; M.isWriteAck = false
  let innerStart = -1; let innerEnd = -1
  while (pos < end) {
    const tag = varint(buf)
    const field = tag >>> 3; const wt = tag & 7
    if (field === 2 && wt === 0) M.topic = varint(buf)
    else if (field === 3 && wt === 2) { const len = varint(buf); innerStart = pos; innerEnd = pos + len; pos = innerEnd } else skip(buf, wt)
  }
  if (innerStart < 0) return M
  pos = innerStart
  const rec = M.topic === C.TOPIC.RECORD
  const named = rec || M.topic === C.TOPIC.EVENT
  while (pos < innerEnd) {
    const tag = varint(buf)
    const field = tag >>> 3; const wt = tag & 7
    if (field === 1 && wt === 0) M.action = varint(buf)
    else if (!named) skip(buf, wt)
    else if (field === 6 && wt === 2) { const len = varint(buf); M.name = buf.toString('utf8', pos, pos + len); pos += len } else if (field === 3 && wt === 2) { const len = varint(buf); M.correlationId = buf.toString('latin1', pos, pos + len); pos += len } else if (field === 2 && wt === 2) { const len = varint(buf); M.dataStart = pos; M.dataEnd = pos + len; pos += len } else if (field === 4 && wt === 0) M.isError = varint(buf) !== 0
    else if (field === 5 && wt === 0) M.isAck = varint(buf) !== 0
    else if (rec && field === 13 && wt === 0) M.version = varint(buf)
    else if (rec && field === 11 && wt === 0) M.isWriteAck = varint(buf) !== 0
    else skip(buf, wt)
  }
  return M
}

// A frame as JSON text for problem reports (slow path: the official parser).
function describe (buf) {
  let text
  try { text = JSON.stringify(parser.parse(buf)[0]) } catch (e) { text = `<undecodable ${buf.length} bytes>` }
  return text.length > 300 ? text.slice(0, 300) + '...' : text
}

module.exports = { decodeFrame, describe }
