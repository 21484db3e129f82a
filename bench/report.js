'use strict'
// Prints one comparison table per scenario for result files: node report.js <target>-r<round>/<scenario>.json ...
// Ratios are strata/deepstream, each row against the "deepstream" row of the same table and SAME round
// (run.sh names the result directories <target>-r<round>). With several rounds every cell is the median.
// A table holds one JSON "scenario"; fanout results are split by subscriber count and paced (open-loop, params.rate)
// results get tables of their own.
const fs = require('fs')

const results = process.argv.slice(2).map((file) => {
  let r
  try { r = JSON.parse(fs.readFileSync(file, 'utf8')) } catch (e) { r = { label: file, status: 'FAILED', error: `unreadable result: ${e.message}` } }
  const m = /-r(\d+)\/([^/]+)\.json$/.exec(file)
  r.round = m ? Number(m[1]) : 1
  r.file = m ? m[2] : file
  r.scenario = r.scenario || 'write-fanout'
  return r
})

// The table of a result. One without params (it failed before measuring) joins the table of the results from
// files of the same name (run.sh: the same scenario of another target or round).
const paced = (r) => Boolean(r.params && r.params.rate > 0)
for (const r of results) {
  if (!r.params) continue
  r.table = r.scenario + (paced(r) ? ' paced' : '') + (r.scenario === 'fanout' ? `, S=${r.params.S}` : '')
}
for (const r of results) {
  if (!r.table) r.table = (results.find((x) => x.params && x.file === r.file) || { table: r.scenario }).table
}

// The reference row: "deepstream", or for the storage scenarios "deepstream-redis-pg". In write-ack a reference
// that FAILED validation still has its measurements (deepstream loses acks/versions under that load): they are
// shown, with the losses in their own columns.
const STORAGE = new Set(['write-ack', 'read-cold'])
const measured = (r) => r.params && (r.status === 'OK' || (r.scenario === 'write-ack' && Number.isFinite(r.updatesPerS)))
const refOf = (r) => results.find((x) => x.label === (STORAGE.has(r.scenario) ? 'deepstream-redis-pg' : 'deepstream') &&
  x.table === r.table && x.round === r.round && measured(x))
const server = (field) => (r) => r.server ? r.server[field] : NaN
const relative = (get) => (r) => { const ref = refOf(r); return ref ? get(r) / get(ref) : NaN }

const load = (p) => p.rate > 0 ? `paced (open loop, rate per row), at most ${p.maxInFlight} unacked writes per writer` : `K=${p.K} in flight`

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
    params: (p) => `W=${p.W} writers x S=${p.S} subscribers, N=${p.N} updates/writer (cap ${p.durationS}s), ${load(p)}, ${p.payloadBytes}-byte data`,
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
    params: (p) => `W=${p.W} writer(s) x S=${p.S} subscribers on one record each, N=${p.N} updates/writer (cap ${p.durationS}s), ${load(p)}, ${p.payloadBytes}-byte data`,
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

// The paced variant of a write/fanout table: the schedule first, latencies with sub-millisecond precision, and no
// throughput ratio (the rate is set, not measured).
function pacedSpec (spec) {
  const sched = (r) => r.schedule || {}
  const fromSchedule = ['sched p99 ms', (r) => r.notifyLatencyFromScheduleMs.p99, 2]
  const columns = spec.columns.flatMap((c) => / ms$/.test(c[0])
    ? [[c[0], c[1], 2], ...(c[0] === 'notif p99 ms' ? [fromSchedule] : [])]
    : [c])
  return {
    ...spec,
    columns: [
      ['rate/s', (r) => r.params.rate, 0],
      ['sent/s', (r) => sched(r).sentPerS, 0],
      ['behind max', (r) => sched(r).behindMax, 0],
      ['lag p99 ms', (r) => sched(r).sendLagMs.p99, 2],
      ...columns
    ],
    noRateRatio: true,
    legend: spec.legend.replace(/^x thrpt = [^;]*; /, '') + ' Paced: rate/s = target updates/s over all writers, sent/s = achieved; ' +
      'behind max = due writes held back by the in-flight bound (0 = the target rate was offered); lag p99 = schedule -> ' +
      'actual send (the generator\'s own delay); latencies from the actual send; sched p99 = schedule -> subscriber.'
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
    ...(spec.noRateRatio ? [] : [['x thrpt', relative(spec.rate), 2]]),
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
  // (a result run.sh wrote for a run that never started names no generator)
  const generators = [...new Set(rows.filter((r) => r.params).map((r) => r.generator === 'cpp' ? 'C++ (strata-loadgen)' : 'Node'))].join(' + ')
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

// CPU per notification of each server across the fanout sizes of this run (closed-loop fanout tables).
function fanoutSizes () {
  const tables = [...new Set(results.filter((r) => r.scenario === 'fanout' && r.params && !paced(r)).map((r) => r.table))]
  if (tables.length < 2) return []
  const sizeOf = (t) => Number(/S=(\d+)/.exec(t)[1])
  tables.sort((a, b) => sizeOf(a) - sizeOf(b))
  const out = ['fanout: server CPU (user+sys) per notification by subscriber count, medians:']
  for (const label of [...new Set(results.filter((r) => tables.includes(r.table)).map((r) => r.label))]) {
    const cpu = tables.map((t) => median(results.filter((r) => r.table === t && r.label === label && measured(r))
      .map(SCENARIOS.fanout.cpu)))
    const cells = tables.map((t, i) => `S=${sizeOf(t)} ${f(cpu[i], 2)} us`)
    out.push(`  ${label}: ${cells.join(', ')} (x${f(cpu[cpu.length - 1] / cpu[0], 2)} from the smallest to the largest)`)
  }
  return [...out, '']
}

const out = []
for (const [scenario, spec] of Object.entries(SCENARIOS)) {
  // closed loop before paced, small fanout before large
  const order = (t) => [t.includes(' paced') ? 1 : 0, Number((/S=(\d+)/.exec(t) || [0, 0])[1])]
  const tables = [...new Set(results.filter((r) => r.scenario === scenario).map((r) => r.table))].sort((a, b) =>
    order(a)[0] - order(b)[0] || order(a)[1] - order(b)[1])
  for (const t of tables) {
    const rows = results.filter((r) => r.table === t)
    out.push(...table(t, paced(rows.find((r) => r.params) || {}) ? pacedSpec(spec) : spec, rows), '')
  }
}
out.push(...fanoutSizes())
out.push('srv/client core% = CPU time / wall time of the measured phase (100 = one full core). Shared, noisy 2-core machine: compare ratios, not absolutes.')
for (const r of results) {
  if (r.status !== 'OK') {
    out.push(`FAILED ${r.table} ${r.label} (round ${r.round}): ${r.error || ''}`)
    for (const q of r.problems || []) out.push(`   ${q}`)
    if (r.problemCount > (r.problems || []).length) out.push(`   ... ${r.problemCount - r.problems.length} more`)
  }
}
process.stdout.write(out.join('\n') + '\n')
