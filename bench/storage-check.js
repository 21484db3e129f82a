'use strict'
// After a write-ack run (server stopped): does PostgreSQL hold the LAST version of every record the
// load generator wrote? Reads `lastVersions` from the result JSON, queries the table with psql
// (deepstream's layout, shared by strata: record bench/a<i> -> "ds"."bench", id a<i>), and adds
// `storageCheck` to the result; any record missing or behind makes the result FAILED.
//
//   node bench/storage-check.js RESULT.json PG_PORT
const fs = require('fs')
const { execFileSync } = require('child_process')
const [file, port] = process.argv.slice(2)
const r = JSON.parse(fs.readFileSync(file, 'utf8'))
const want = r.lastVersions || {}
const check = { records: Object.keys(want).length, ok: 0, problems: [] }
let rows = []
try {
  const out = execFileSync('psql', ['-h', '127.0.0.1', '-p', port, '-U', 'postgres', '-d', 'postgres', '-At', '-F', '\t', '-c',
    'SELECT id, version, val FROM "ds"."bench" WHERE id LIKE \'a%\''], { encoding: 'utf8', timeout: 30000 })
  rows = out.split('\n').filter(Boolean).map((l) => l.split('\t'))
} catch (e) {
  check.problems.push(`psql failed: ${String(e.stderr || e.message).trim().slice(0, 200)}`)
}
const byId = new Map(rows.map(([id, version, val]) => [id, { version: Number(version), val }]))
for (const [name, v] of Object.entries(want)) {
  const row = byId.get(name.replace(/^bench\//, ''))
  let seq = null
  try { seq = row && JSON.parse(row.val).seq } catch {}
  if (!row) check.problems.push(`${name}: not in PostgreSQL (last version sent ${v})`)
  else if (row.version !== v || seq !== v) check.problems.push(`${name}: PostgreSQL holds version ${row.version} (data seq ${seq}), last version sent ${v}`)
  else check.ok++
}
r.storageCheck = check
if (check.problems.length) {
  r.status = 'FAILED'
  r.problems = [...(r.problems || []), ...check.problems.map((p) => `storage: ${p}`)]
  r.problemCount = (r.problemCount || 0) + check.problems.length
}
fs.writeFileSync(file, JSON.stringify(r) + '\n')
console.log(`   PostgreSQL check: ${check.ok}/${check.records} records at their last version` +
  (check.problems.length ? `; ${check.problems.slice(0, 3).join('; ')}${check.problems.length > 3 ? ' ...' : ''}` : ''))
process.exit(check.problems.length ? 1 : 0)
