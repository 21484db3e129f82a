'use strict'
// Prints one comparison table per scenario for result files: node report.js <target>-r<round>/<scenario>.json ...
// Ratios are strata/deepstream, each row against the "deepstream" row of the same scenario and SAME round
// (run.sh names the result directories <target>-r<round>). With several rounds every cell is the median.
const fs = require('fs')

const results = process.argv.slice(2).map((file) => {
  let r
  try { r = JSON.parse(fs.readFileSync(file, 'utf8')) } catch (e) { r = { label: file, status: 'FAILED', error: `unreadable result: ${e.message}` } }
  const m = /-r(\d+)\/[^/]+\.json$/.exec(file)
  r.round = m ? Number(m[1]) : 1
  r.scenario = r.scenario || 'write-fanout'
  return r
})

// The reference row: "deepstream", or for the storage scenarios "deepstream-redis-pg". In write-ack a reference
// that FAILED validation still has its measurements (deepstream loses acks/versions under that load): they are
// shown, with the losses in their own columns.
const STORAGE = new Set(['write-ack', 'read-cold'])
const measured = (r) => r.params && (r.status === 'OK' || (r.scenario === 'write-ack' && Number.isFinite(r.updatesPerS)))
const refOf = (r) => results.find((x) => x.label === (STORAGE.has(r.scenario) ? 'deepstream-redis-pg' : 'deepstream') &&
  x.scenario === r.scenario && x.round === r.round && measured(x))
const server = (field) => (r) => r.server ? r.server[field] : NaN
const relative = (get) => (r) => { const ref = refOf(r); return ref ? get(r) / get(ref) : NaN }

// Per scenario: [header, getter, decimals]; the unit of work, its rate and its CPU cost.
const SCENARIOS = {
  'write-fanout': {
    columns: [
      ['updates/s', (r) => r.updatesPerS, 0],
      ['notif/s', (r) => r.notificationsPerS, 0],
      ['ack p50 ms', (r) => r.ackLatencyMs.p50, 1],
      ['ack p99 ms', (r) => r.ackLatencyMs.p99, 1],
      ['notif p50 ms', (r) => r.notifyLatencyMs.p50, 1],
      ['notif p99 ms', (r) => r.notifyLatencyMs.p99, 1],
      ['user us/upd', server('userUsPerUpdate'), 1],
      ['sys us/upd', server('sysUsPerUpdate'), 1]
    ],
    rate: (r) => r.updatesPerS,
    cpu: (r) => r.server ? r.server.userUsPerUpdate + r.server.sysUsPerUpdate : NaN,
    params: (p) => `W=${p.W} writers x S=${p.S} subscribers, N=${p.N} updates/writer (cap ${p.durationS}s), K=${p.K} in flight, ${p.payloadBytes}-byte data`,
    legend: 'x thrpt = acked updates/s relative to deepstream; x cpu = server (user+sys) CPU per update relative to deepstream (lower is better).'
  },
  fanout: {
    columns: [
      ['updates/s', (r) => r.updatesPerS, 0],
      ['notif/s', (r) => r.notificationsPerS, 0],
      ['notif p50 ms', (r) => r.notifyLatencyMs.p50, 1],
      ['notif p99 ms', (r) => r.notifyLatencyMs.p99, 1],
      ['user us/notif', server('userUsPerNotification'), 2],
      ['sys us/notif', server('sysUsPerNotification'), 2]
    ],
    rate: (r) => r.notificationsPerS,
    cpu: (r) => r.server ? r.server.userUsPerNotification + r.server.sysUsPerNotification : NaN,
    params: (p) => `W=${p.W} writer(s) x S=${p.S} subscribers on one record each, N=${p.N} updates/writer (cap ${p.durationS}s), K=${p.K} in flight, ${p.payloadBytes}-byte data`,
    legend: 'x thrpt = delivered notifications/s relative to deepstream; x cpu = server (user+sys) CPU per notification relative to deepstream (lower is better).'
  },
  'event-fanout': {
    columns: [
      ['events/s', (r) => r.eventsPerS, 0],
      ['deliveries/s', (r) => r.deliveriesPerS, 0],
      ['p50 ms', (r) => r.deliveryLatencyMs.p50, 1],
      ['p99 ms', (r) => r.deliveryLatencyMs.p99, 1],
      ['user us/dlv', server('userUsPerDelivery'), 2],
      ['sys us/dlv', server('sysUsPerDelivery'), 2]
    ],
    rate: (r) => r.deliveriesPerS,
    cpu: (r) => r.server ? r.server.userUsPerDelivery + r.server.sysUsPerDelivery : NaN,
    params: (p) => `${p.publishers} publishers x ${p.subscribers} subscribers (each subscribed to every publisher's event), N=${p.N} events/publisher (cap ${p.durationS}s), K=${p.K} in flight, ${p.payloadBytes}-byte data; p50/p99 = emit -> subscriber`,
    legend: 'x thrpt = deliveries/s relative to deepstream; x cpu = server (user+sys) CPU per delivery relative to deepstream (lower is better).'
  },
  'write-ack': {
    columns: [
      ['updates/s', (r) => r.updatesPerS, 0],
      ['notif/s', (r) => r.notificationsPerS, 0],
      ['ack p50 ms', (r) => r.ackLatencyMs.p50, 1],
      ['ack p99 ms', (r) => r.ackLatencyMs.p99, 1],
      ['notif p99 ms', (r) => r.notifyLatencyMs.p99, 1],
      ['lost acks', (r) => r.lostAcks, 0],
      ['lost acks %', (r) => r.lostAcksPct, 2],
      ['lost vers', (r) => r.lostVersions, 0],
      ['lost vers %', (r) => r.lostVersionsPct, 2],
      ['PG last ver', (r) => r.storageCheck ? r.storageCheck.ok : NaN, 0],
      ['user us/upd', server('userUsPerUpdate'), 1],
      ['sys us/upd', server('sysUsPerUpdate'), 1]
    ],
    rate: (r) => r.updatesPerS,
    cpu: (r) => r.server ? r.server.userUsPerUpdate + r.server.sysUsPerUpdate : NaN,
    params: (p) => `over Redis cache + PostgreSQL storage; W=${p.W} writers x S=${p.S} subscribers, N=${p.N} updates/writer (cap ${p.durationS}s), K=${p.K} acked writes in flight, ${p.payloadBytes}-byte data; PG last ver = records whose last version PostgreSQL holds after the server stopped (of W)`,
    legend: 'x thrpt = acked updates/s relative to deepstream-redis-pg; x cpu = server CPU per update relative to it. Rows that FAILED only by losses still show their figures.'
  },
  'read-cold': {
    columns: [
      ['reads', (r) => r.reads, 0],
      ['reads/s', (r) => r.readsPerS, 0],
      ['read p50 ms', (r) => r.readLatencyMs.p50, 1],
      ['read p99 ms', (r) => r.readLatencyMs.p99, 1],
      ['user us/read', server('userUsPerRead'), 1],
      ['sys us/read', server('sysUsPerRead'), 1]
    ],
    rate: (r) => r.readsPerS,
    cpu: (r) => r.server ? r.server.userUsPerRead + r.server.sysUsPerRead : NaN,
    params: (p) => `N=${p.N} records (${p.payloadBytes}-byte data) seeded over HTTP, server restarted, Redis flushed; read back by RECORD READ (snapshot) over C=${p.C} connections x K=${p.K} in flight (cap ${p.durationS}s)`,
    legend: 'x thrpt = reads/s relative to deepstream-redis-pg; x cpu = server (user+sys) CPU per read relative to it (lower is better).'
  },
  conns: {
    columns: [
      ['connections', (r) => r.connections, 0],
      ['logins/s', (r) => r.loginsPerS, 0],
      ['RSS KB/conn', (r) => r.rssKBPerConnection, 2],
      ['x KB/conn', relative((r) => r.rssKBPerConnection), 2],
      ['user us/login', server('userUsPerLogin'), 1],
      ['sys us/login', server('sysUsPerLogin'), 1]
    ],
    rate: (r) => r.loginsPerS,
    cpu: (r) => r.server ? r.server.userUsPerLogin + r.server.sysUsPerLogin : NaN,
    params: (p) => `${p.connections} idle logged-in connections held ${p.holdS}s; RSS KB/conn = server VmRSS growth / connections; CPU and srv core% of the login phase`,
    legend: 'x thrpt = logins/s relative to deepstream; x cpu = server CPU per login relative to deepstream; x KB/conn = RSS per idle connection relative to deepstream (lower is better).'
  }
}

function median (xs) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b)
  if (v.length === 0) return NaN
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2
}
const f = (x, d) => Number.isFinite(x) ? x.toFixed(d) : '-'

function table (scenario, spec, rows) {
  const columns = [
    ...spec.columns,
    ['RSS MB', server('rssMB'), 1],
    ['srv core%', server('pctOfOneCore'), 0],
    ['client core%', (r) => r.clientCpu.pctOfOneCore, 0],
    ['x thrpt', relative(spec.rate), 2],
    ['x cpu', relative(spec.cpu), 2]
  ]
  const labels = [...new Set(rows.map((r) => r.label))]
  const rounds = Math.max(...rows.map((r) => r.round))
  const header = ['server', 'status', ...(rounds > 1 ? ['runs'] : []), ...columns.map((c) => c[0])]
  const body = []
  for (const label of labels) {
    const group = rows.filter((r) => r.label === label)
    const ok = group.filter((r) => r.status === 'OK' && r.params)
    const status = ok.length === group.length ? 'OK' : 'FAILED'
    const cells = columns.map(([, get, d]) => f(median(group.filter(measured).map((r) => { try { return get(r) } catch (e) { return NaN } })), d))
    body.push([label, status, ...(rounds > 1 ? [`${ok.length}/${group.length}`] : []), ...cells])
  }
  const widths = header.map((_, i) => Math.max(header[i].length, ...body.map((row) => String(row[i]).length)))
  const isText = (i) => i < 2
  const line = (row) => '| ' + row.map((c, i) => isText(i) ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i])).join(' | ') + ' |'
  const generators = [...new Set(rows.map((r) => r.generator === 'cpp' ? 'C++ (strata-loadgen)' : 'Node'))].join(' + ')
  const out = [`### ${scenario} (load generator: ${generators})`, line(header), '|' + widths.map((w, i) => isText(i) ? ':' + '-'.repeat(w + 1) : '-'.repeat(w + 1) + ':').join('|') + '|']
  for (const row of body) out.push(line(row))
  const p = rows.find((r) => r.params)
  if (p) out.push(spec.params(p.params) + (rounds > 1 ? `; ${rounds} rounds, every cell is the median of the passing rounds` : ''))
  out.push(spec.legend + ' Ratios against deepstream of the same round.')
  if (rounds > 1) {
    for (const label of labels) {
      const per = rows.filter((r) => r.label === label && r.params).map((r) => `r${r.round}:${f(spec.rate(r), 0)}`)
      out.push(`  ${label} per round: ${per.join(' ')}`)
    }
  }
  return out
}

const out = []
for (const [scenario, spec] of Object.entries(SCENARIOS)) {
  const rows = results.filter((r) => r.scenario === scenario)
  if (rows.length) out.push(...table(scenario, spec, rows), '')
}
out.push('srv/client core% = CPU time / wall time of the measured phase (100 = one full core). Shared, noisy 2-core machine: compare ratios, not absolutes.')
for (const r of results) {
  if (r.status !== 'OK') {
    out.push(`FAILED ${r.scenario} ${r.label} (round ${r.round}): ${r.error || ''}`)
    for (const q of r.problems || []) out.push(`   ${q}`)
    if (r.problemCount > (r.problems || []).length) out.push(`   ... ${r.problemCount - r.problems.length} more`)
  }
}
process.stdout.write(out.join('\n') + '\n')
