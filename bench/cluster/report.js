'use strict'
// Markdown tables of bench/cluster results: node report.js [--notes notes.txt] result.json ...
const fs = require('fs')
const { f } = require('./common')

const files = []
let notes = null
for (let i = 2; i < process.argv.length; i++) {
  if (process.argv[i] === '--notes') notes = process.argv[++i]
  else files.push(process.argv[i])
}
const results = files.map((file) => {
  try { return JSON.parse(fs.readFileSync(file, 'utf8')) } catch (e) { return { scenario: '?', label: file, status: 'FAILED', error: e.message } }
})
const row = (cells) => `| ${cells.join(' | ')} |`
const head = (cells) => row(cells) + '\n' + row(cells.map(() => '---'))
const status = (r) => r.status === 'OK' ? 'OK' : `FAILED${r.error ? ': ' + r.error : ''}`
const lat = (l) => l && l.n ? `${f(l.p50, 2)} / ${f(l.p99, 2)}` : '-'
const out = []

// ---- fan-out
const fan = results.filter((r) => r.scenario === 'fanout')
if (fan.length) {
  out.push('### Cross-node fan-out (1 writer on node A, subscribers split over the nodes)\n')
  out.push(head(['system', 'run', 'writes/s', 'deliveries/s', 'node CPU ms per 1000 own deliveries', 'nodes together, ms per 1000 deliveries', 'Redis ms per 1000 deliveries',
    'same-node p50 / p99 ms', 'cross-node p50 / p99 ms', 'context switches per write', 'writer behind schedule, max ms', 'missing deliveries', 'client ms per 1000', 'load avg', 'status']))
  for (const r of fan) {
    if (!r.perNode) { out.push(row([r.label, '-', '-', '-', '-', '-', '-', '-', '-', '-', '-', '-', '-', '-', status(r)])); continue }
    const nodes = Object.keys(r.perNode)
    const single = nodes.length === 1
    const run = r.mode === 'closed' ? `probe: closed loop, ${r.K} in flight` : `${single ? '1 node' : '2 nodes'}, ${r.rate}/s paced${r.heldBackMax ? ` (held back up to ${r.heldBackMax})` : ''}`
    const cpuOwn = nodes.map((k) => `${k} ${f(r.perNode[k].cpuMsPer1000Own, 2)}`).join(' / ')
    const sumCpu = nodes.reduce((s, k) => s + (r.perNode[k].cpuMs || 0), 0)
    const same = r.perNode[single ? nodes[0] : 'A']
    const cross = single ? null : r.perNode.B
    const missing = nodes.reduce((s, k) => s + r.perNode[k].missing + r.perNode[k].repeated, 0)
    out.push(row([r.label, run, f(r.writesPerS, 0), f(r.deliveriesPerS, 0), cpuOwn, f(sumCpu / r.delivered * 1000, 2), f(r.redisCpuMsPer1000, 2),
      lat(same && same.latencyMs), cross ? lat(cross.latencyMs) : '-',
      nodes.map((k) => `${k} ${f(r.perNode[k].ctxSwitchesPerWrite, 1)}`).join(' / ') + ` / redis ${f(r.redisCtxSwitchesPerWrite, 1)}`,
      r.sendLagMsMaxPerSecond ? f(Math.max(...r.sendLagMsMaxPerSecond), 1) : '-', String(missing), f(r.clientCpuMsPer1000, 1), f(r.loadAvg1, 1), status(r)]))
  }
  out.push('\nCPU: utime+stime of each process over the measured phase (first write to last delivery), per 1000 deliveries made by that node ' +
    '(ms per 1000 = us per delivery); "same-node" = subscribers on the writer\'s node A (or the single node), "cross-node" = on node B; ' +
    '"writer behind schedule" = how late the paced writer (same process as the subscribers) sent against its own schedule: a measure of how much CPU this machine left the client.')
  // targets: node CPU per own delivery <= 1.5x the single node's, cross-node p99 < 2 ms
  for (const label of [...new Set(fan.map((r) => r.label))]) {
    const paced = (n) => fan.filter((r) => r.label === label && r.mode === 'paced' && r.perNode && Object.keys(r.perNode).length === n).sort((a, b) => b.rate - a.rate)
    const [two, ...slower] = paced(2)
    const one = paced(1)[0]
    if (!two) continue
    const parts = []
    if (one) {
      const base = Object.values(one.perNode)[0].cpuMsPer1000Own
      for (const k of ['A', 'B']) {
        const x = two.perNode[k].cpuMsPer1000Own / base
        parts.push(`node ${k} ${f(x, 2)}x the single node's CPU per delivery (${x <= 1.5 ? 'meets' : 'misses'} <= 1.5x)`)
      }
    }
    const p99 = two.perNode.B.latencyMs.p99
    parts.push(`cross-node p99 ${f(p99, 2)} ms at ${two.rate}/s (${p99 < 2 ? 'meets' : 'misses'} < 2 ms)`)
    for (const r of slower) parts.push(`at ${r.rate}/s: ${f(r.perNode.B.latencyMs.p99, 2)} ms`)
    if (one) {
      const sum = Object.values(two.perNode).reduce((s, n) => s + n.cpuMs, 0) / two.delivered
      parts.push(`both nodes together ${f(sum / (Object.values(one.perNode)[0].cpuMs / one.delivered), 2)}x the single node per delivery`)
    }
    out.push(`\n- ${label}: ${parts.join('; ')}`)
  }
  out.push('')
}

// ---- versioned writes
const ver = results.filter((r) => r.scenario === 'versioned')
if (ver.length) {
  out.push('### Versioned writes from both nodes on shared records (write acks)\n')
  out.push(head(['system', 'setup', 'acked updates/s', 'VERSION_EXISTS/s', 'INVALID_VERSION', 'other errors', 'unanswered writes', 'misrouted acks',
    'order violations', 'duplicated versions', 'divergent versions', 'lost acked', 'acked but missed by some subscribers', 'final-state problems', 'status']))
  for (const r of ver) {
    if (r.acked === undefined) { out.push(row([r.label, '-', '-', '-', '-', '-', '-', '-', '-', '-', '-', '-', '-', '-', status(r)])); continue }
    const errs = Object.entries(r.errorsByAction || {}).map(([k, v]) => `${v} ${k}`).join(', ') || '0'
    out.push(row([r.label, `${r.records} records, ${r.writersPerNode} writers + ${r.subsPerNode} subscribers per node, ${r.durationS} s`, f(r.ackedPerS, 0), f(r.conflictsPerS, 0),
      String(r.invalidVersion), errs, `${r.timedOut}${r.lateAcks ? ` (${r.lateAcks} acked late)` : ''}`, String(r.misroutedAcks), String(r.orderViolations), String(r.duplicatedVersions),
      String(r.divergentVersions), String(r.lostAcked), String(r.missedSome), String(r.finalProblems), r.status]))
  }
  out.push('')
}

// ---- failover
const fo = results.filter((r) => r.scenario === 'failover')
if (fo.length) {
  out.push('### Failover: writers behind a round-robin balancer, kill -9 of node A\n')
  out.push(head(['system', 'writers', 'acked/s before / after the kill', 'writers disconnected', 'every writer acking again after (s)', 'longest ack gap (ms)',
    'lost acked: final read', 'lost acked: re-read at reconnect', 'PostgreSQL behind acked', 'writes in doubt', 'errors', 'status']))
  for (const r of fo) {
    if (r.acked === undefined) { out.push(row([r.label, '-', '-', '-', '-', '-', '-', '-', '-', '-', '-', status(r)])); continue }
    const errs = [r.conflicts ? `${r.conflicts} VERSION_EXISTS` : '', ...Object.entries(r.errorsByAction || {}).map(([k, v]) => `${v} ${k}`), r.timeouts ? `${r.timeouts} timeouts` : ''].filter(Boolean).join(', ') || '0'
    out.push(row([r.label, `${r.writers} (kill after ${r.killAtS} s of ${r.durationS})`, `${f(r.ackedPerSBeforeKill, 0)} / ${f(r.ackedPerSAfterKill, 0)}`, String(r.writersDisconnected),
      r.recoveryS === null ? `${r.notRecovered} never` : f(r.recoveryS, 2), f(r.maxAckGapMs, 0), String(r.lostAcked), String(r.lostAtReconnect),
      r.pg ? `${r.pg.ackedVersionsBehind} versions, ${r.pg.recordsMissing} records missing` : '-', String(r.inDoubt), errs, r.status]))
  }
  out.push('')
}
if (notes) { try { const t = fs.readFileSync(notes, 'utf8').trim(); if (t) out.push(t + '\n') } catch (e) {} }
process.stdout.write(out.join('\n') + '\n')
