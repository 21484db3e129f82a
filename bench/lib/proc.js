'use strict'
// Server CPU and memory from /proc, and latency percentiles.
const fs = require('fs')
const { execFileSync } = require('child_process')

const CLK_TCK = (() => { try { return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100 } catch (e) { return 100 } })()

// utime/stime in clock ticks, all threads (fields 14/15 of /proc/<pid>/stat).
function procCpu (pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return { utime: Number(rest[14 - 3]), stime: Number(rest[15 - 3]) }
}

function procRssKb (pid) {
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) : null
}

// Server CPU between two procCpu samples. `per` maps a unit name to a count, e.g. {Update: 100}, and gives
// userUsPerUpdate / sysUsPerUpdate (null when the count is 0).
function serverCpu (pid, cpu0, cpu1, wallMs, rssKb, per) {
  const userUs = (cpu1.utime - cpu0.utime) * 1e6 / CLK_TCK
  const sysUs = (cpu1.stime - cpu0.stime) * 1e6 / CLK_TCK
  const result = {
    pid,
    clkTck: CLK_TCK,
    userMs: userUs / 1000,
    sysMs: sysUs / 1000,
    pctOfOneCore: 100 * (userUs + sysUs) / 1000 / wallMs,
    rssMB: rssKb === null ? null : rssKb / 1024
  }
  for (const [unit, n] of Object.entries(per)) {
    result[`userUsPer${unit}`] = n ? userUs / n : null
    result[`sysUsPer${unit}`] = n ? sysUs / n : null
  }
  return result
}

function percentile (sorted, p) {
  if (sorted.length === 0) return null
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p / 100 * sorted.length) - 1))
  return sorted[i]
}

// {p50, p99, max} of the first n entries of a Float64Array.
function latency (samples, n) {
  const sorted = samples.slice(0, n).sort()
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: percentile(sorted, 100) }
}

module.exports = { procCpu, procRssKb, serverCpu, latency }
