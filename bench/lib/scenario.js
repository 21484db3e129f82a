'use strict'
// What every scenario does around its measured phase: the run context, the end of a run (anything arriving
// afterwards is a problem, then all sockets close) and the process exit (result printed, JSON written, exit code).
const fs = require('fs')
const { commonArgs } = require('./options')
const { Problems } = require('./problems')
const { sleep } = require('./conn')

function context (scenario) {
  return { scenario, ...commonArgs(scenario), problems: new Problems() }
}

// Reports anything still arriving within 200 ms, then closes every connection.
async function endRun (ctx, conns) {
  for (const c of conns) c.onMessage = (m, buf) => c.problem(`message after the end (topic ${m.topic}, action ${m.action})`)
  await sleep(200)
  ctx.problems.shuttingDown = true
  for (const c of conns) { try { c.ws.terminate() } catch (e) {} }
}

const fmt = (x, d = 1) => x === null || x === undefined ? '-' : Number(x).toFixed(d)

// Runs main(ctx) -> result, prints it with print(result), writes --out, exits 0 (OK) or 1.
function run (ctx, main, print) {
  main(ctx).then((r) => {
    r.scenario = ctx.scenario
    print(r)
    for (const p of r.problems) process.stdout.write(`   PROBLEM: ${p}\n`)
    if (r.problemCount > r.problems.length) process.stdout.write(`   ... and ${r.problemCount - r.problems.length} more problems\n`)
    if (ctx.out) fs.writeFileSync(ctx.out, JSON.stringify(r, null, 2) + '\n')
    process.exit(r.status === 'OK' ? 0 : 1)
  }, (err) => {
    ctx.problems.shuttingDown = true
    process.stderr.write(`${ctx.scenario} [${ctx.label}]: ${err && err.stack ? err.stack : err}\n`)
    for (const p of ctx.problems.list) process.stderr.write(`   PROBLEM: ${p}\n`)
    if (ctx.out) {
      fs.writeFileSync(ctx.out, JSON.stringify({ scenario: ctx.scenario, label: ctx.label, status: 'FAILED', error: String(err && err.message), problems: ctx.problems.list, problemCount: ctx.problems.count }, null, 2) + '\n')
    }
    process.exit(1)
  })
}

module.exports = { context, endRun, run, fmt }
