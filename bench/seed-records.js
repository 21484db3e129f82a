'use strict'
// Seeds the records of the read-cold scenario through a server's HTTP API (POST /api, batches of
// record writes), as run.sh does before restarting the server with a flushed cache:
//
//   node bench/seed-records.js --url http://127.0.0.1:PORT/api [--n 20000] [--payload 200] [--batch 100]
//
// Record bench/c<i> gets the data {"i":<i>,"fill":"abc..."} of about `payload` bytes: the same
// bytes as SeedData() in loadgen/read_cold_scenario.cc. Exits 1 unless every write succeeded.
const args = Object.fromEntries(process.argv.slice(2).reduce((a, v, i, all) => (i % 2 ? a : [...a, [v.replace(/^--/, ''), all[i + 1]]]), []))
const url = args.url
const n = Number(args.n || 20000)
const payload = Number(args.payload || 200)
const batch = Number(args.batch || 100)
const inFlight = Number(args.parallel || 4)
if (!url || !(n > 0)) { process.stderr.write('usage: node seed-records.js --url http://127.0.0.1:PORT/api [--n N]\n'); process.exit(2) }

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789'
function seedData (i) {  // Padded() of the load generator
  const head = `{"i":${i},"fill":"`
  const fill = Math.max(0, payload - head.length - 2)
  let s = head
  for (let k = 0; k < fill; k++) s += ALPHABET[k % ALPHABET.length]
  return s + '"}'
}

async function post (from, to) {
  const body = []
  for (let i = from; i < to; i++) body.push({ topic: 'record', action: 'write', recordName: `bench/c${i}`, data: JSON.parse(seedData(i)) })
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ body }), signal: AbortSignal.timeout(60000) })
  const text = await res.text()
  let json
  try { json = JSON.parse(text) } catch { throw new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`) }
  if (json.result !== 'SUCCESS') throw new Error(`batch ${from}..${to - 1}: ${text.slice(0, 300)}`)
}

async function main () {
  const t0 = Date.now()
  let next = 0
  const worker = async () => {
    while (next < n) {
      const from = next
      next = Math.min(n, next + batch)
      await post(from, next)
    }
  }
  await Promise.all(Array.from({ length: inFlight }, worker))
  const s = (Date.now() - t0) / 1000
  console.log(`   seeded ${n} records (bench/c0..bench/c${n - 1}) over HTTP in ${s.toFixed(1)} s (${Math.round(n / s)} writes/s)`)
}
main().catch((e) => { console.error(`   seeding failed: ${e.message}`); process.exit(1) })
