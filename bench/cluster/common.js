'use strict'
// Command line, /proc CPU samples and result output shared by the cluster scenarios.
const fs = require('fs')
const { execFileSync } = require('child_process')

function arg (name, def) {
  const i = process.argv.indexOf(name)
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def
}
function numArg (name, def) {
  const v = Number(arg(name, def))
  if (!Number.isFinite(v)) throw new Error(`${name} must be a number`)
  return v
}
// "--pids A=123,B=456,redis=789" -> {A: 123, B: 456, redis: 789}
function pidsArg () {
  const out = {}
  for (const part of String(arg('--pids', '')).split(',').filter(Boolean)) {
    const [k, v] = part.split('=')
    out[k] = Number(v)
  }
  return out
}

const CLK_TCK = (() => { try { return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100 } catch (e) { return 100 } })()

// utime+stime of a process (all threads) in ms, or null if it is gone.
function cpuMs (pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(rest[11]) + Number(rest[12])) * 1000 / CLK_TCK
  } catch (e) { return null }
}
// voluntary + involuntary context switches of all threads of a process, or null.
function ctxSwitches (pid) {
  try {
    let n = 0
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      let st = ''
      try { st = fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8') } catch (e) { continue }
      const v = /^voluntary_ctxt_switches:\s+(\d+)/m.exec(st); const nv = /nonvoluntary_ctxt_switches:\s+(\d+)/.exec(st)
      n += (v ? Number(v[1]) : 0) + (nv ? Number(nv[1]) : 0)
    }
    return n
  } catch (e) { return null }
}
function sampleCpu (pids) {
  const s = {}
  for (const [k, pid] of Object.entries(pids)) { s[k] = cpuMs(pid); s[`${k}.cs`] = ctxSwitches(pid) }
  const u = process.cpuUsage()
  s.client = (u.user + u.system) / 1000
  return s
}
function cpuDelta (a, b) {
  const d = {}
  for (const k of Object.keys(a)) d[k] = a[k] === null || b[k] === null ? null : b[k] - a[k]
  return d
}

class Problems {
  constructor () { this.list = []; this.count = 0 }
  add (msg) { this.count++; if (this.list.length < 20) this.list.push(msg) }
}

function finish (result, problems) {
  result.problems = problems.list
  result.problemCount = problems.count
  if (problems.count && result.status === 'OK') result.status = 'FAILED'
  const out = arg('--out')
  if (out) fs.writeFileSync(out, JSON.stringify(result, null, 2) + '\n')
  for (const p of problems.list) process.stdout.write(`   PROBLEM: ${p}\n`)
  if (problems.count > problems.list.length) process.stdout.write(`   ... and ${problems.count - problems.list.length} more\n`)
}

const f = (x, d = 1) => x === null || x === undefined || Number.isNaN(x) ? '-' : Number(x).toFixed(d)

module.exports = { arg, numArg, pidsArg, cpuMs, ctxSwitches, sampleCpu, cpuDelta, Problems, finish, f, CLK_TCK }
