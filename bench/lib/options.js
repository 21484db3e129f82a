'use strict'
// Command-line and environment knobs shared by the bench scenarios.

function argValue (name, def) {
  const i = process.argv.indexOf(name)
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def
}

// A numeric env knob: `def` when unset, an error naming the knob when not a number >= min.
function envInt (name, def, min = 1) {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return def
  const v = Number(raw)
  if (!Number.isFinite(v) || v < min) throw new Error(`${name} must be a number >= ${min}, got "${raw}"`)
  return v
}

// --url, --pid, --label, --out: the same for every scenario (run.sh passes them).
function commonArgs (scenario) {
  const url = argValue('--url')
  if (!url) {
    process.stderr.write(`usage: node ${scenario}.js --url ws://127.0.0.1:PORT/deepstream [--pid PID] [--label NAME] [--out FILE]\n`)
    process.exit(2)
  }
  return {
    url,
    pid: argValue('--pid') ? Number(argValue('--pid')) : null,
    label: argValue('--label', 'server'),
    out: argValue('--out'),
    setupMs: envInt('BENCH_SETUP_TIMEOUT', 30, 1) * 1000,
    durationMs: envInt('BENCH_DURATION', 20, 0.1) * 1000,
    drainMs: envInt('BENCH_DRAIN', 15, 0.1) * 1000,
    stallMs: envInt('BENCH_STALL', 5, 0.1) * 1000,
    dataEvery: Math.floor(envInt('BENCH_DATA_EVERY', 64))
  }
}

module.exports = { argValue, envInt, commonArgs }
