'use strict'
// Prints the comparison table for write-fanout result files: node report.js <dir>-r<round>/result.json ...
// Ratios are strata/deepstream, each row against the "deepstream" row of the SAME round (run.sh names the result
// directories <target>-r<round>). With several rounds every cell is the median over the rounds.
const fs = require('fs')

const results = process.argv.slice(2).map((file) => {
  let r
  try { r = JSON.parse(fs.readFileSync(file, 'utf8')) } catch (e) { r = { label: file, status: 'FAILED', error: `unreadable result: ${e.message}` } }
  const m = /-r(\d+)\/result\.json$/.exec(file)
  r.round = m ? Number(m[1]) : 1
  return r
})

const cpuPerUpdate = (r) => r.server ? r.server.userUsPerUpdate + r.server.sysUsPerUpdate : NaN
const refOf = (r) => results.find((x) => x.label === 'deepstream' && x.round === r.round && x.status === 'OK' && x.params)
const columns = [
  ['updates/s', (r) => r.updatesPerS, 0],
  ['notif/s', (r) => r.notificationsPerS, 0],
  ['ack p50 ms', (r) => r.ackLatencyMs.p50, 1],
  ['ack p99 ms', (r) => r.ackLatencyMs.p99, 1],
  ['notif p50 ms', (r) => r.notifyLatencyMs.p50, 1],
  ['notif p99 ms', (r) => r.notifyLatencyMs.p99, 1],
  ['user us/upd', (r) => r.server ? r.server.userUsPerUpdate : NaN, 1],
  ['sys us/upd', (r) => r.server ? r.server.sysUsPerUpdate : NaN, 1],
  ['RSS MB', (r) => r.server ? r.server.rssMB : NaN, 1],
  ['srv core%', (r) => r.server ? r.server.pctOfOneCore : NaN, 0],
  ['client core%', (r) => r.clientCpu.pctOfOneCore, 0],
  ['x thrpt', (r) => { const ref = refOf(r); return ref ? r.updatesPerS / ref.updatesPerS : NaN }, 2],
  ['x cpu/upd', (r) => { const ref = refOf(r); return ref ? cpuPerUpdate(r) / cpuPerUpdate(ref) : NaN }, 2]
]

function median (xs) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b)
  if (v.length === 0) return NaN
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2
}
const f = (x, d) => Number.isFinite(x) ? x.toFixed(d) : '-'

const labels = [...new Set(results.map((r) => r.label))]
const rounds = Math.max(...results.map((r) => r.round))
const header = ['server', 'status', ...(rounds > 1 ? ['runs'] : []), ...columns.map((c) => c[0])]
const table = []
for (const label of labels) {
  const group = results.filter((r) => r.label === label)
  const ok = group.filter((r) => r.status === 'OK' && r.params)
  const status = ok.length === group.length ? 'OK' : 'FAILED'
  const cells = columns.map(([, get, d]) => f(median(ok.map((r) => { try { return get(r) } catch (e) { return NaN } })), d))
  table.push([label, status, ...(rounds > 1 ? [`${ok.length}/${group.length}`] : []), ...cells])
}
const widths = header.map((_, i) => Math.max(header[i].length, ...table.map((row) => String(row[i]).length)))
const isText = (i) => i < 2
const line = (row) => '| ' + row.map((c, i) => isText(i) ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i])).join(' | ') + ' |'
const out = [line(header), '|' + widths.map((w, i) => isText(i) ? ':' + '-'.repeat(w + 1) : '-'.repeat(w + 1) + ':').join('|') + '|']
for (const row of table) out.push(line(row))

const p = results.find((r) => r.params)
if (p) out.push(`W=${p.params.W} writers x S=${p.params.S} subscribers, N=${p.params.N} updates/writer (cap ${p.params.durationS}s), K=${p.params.K} in flight, ${p.params.payloadBytes}-byte data` + (rounds > 1 ? `; ${rounds} rounds, every cell is the median of the passing rounds` : ''))
out.push('x thrpt = acked updates/s relative to deepstream; x cpu/upd = server (user+sys) CPU per update relative to deepstream (lower is better); both against deepstream of the same round.')
out.push('srv/client core% = CPU time / wall time of the measured phase (100 = one full core). Shared, noisy 2-core machine: compare ratios, not absolutes.')
if (rounds > 1) {
  for (const label of labels) {
    const ups = results.filter((r) => r.label === label && r.params).map((r) => `r${r.round}:${f(r.updatesPerS, 0)}`)
    out.push(`  ${label} updates/s per round: ${ups.join(' ')}`)
  }
}
for (const r of results) {
  if (r.status !== 'OK') {
    out.push(`FAILED ${r.label} (round ${r.round}): ${r.error || ''}`)
    for (const q of r.problems || []) out.push(`   ${q}`)
    if (r.problemCount > (r.problems || []).length) out.push(`   ... ${r.problemCount - r.problems.length} more`)
  }
}
process.stdout.write(out.join('\n') + '\n')
