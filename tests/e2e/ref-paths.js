'use strict'
// Where the reference deepstream 7 install (shared/reference/setup.sh) lives.
// Order: $DSPROTO_V7, $DSPROTO_ROOT/v7, shared/reference/.dsproto/v7 beside the repo, /work/dsproto/v7.
const fs = require('fs')
const path = require('path')

function candidates () {
  const list = []
  if (process.env.DSPROTO_V7) list.push(process.env.DSPROTO_V7)
  if (process.env.DSPROTO_ROOT) list.push(path.join(process.env.DSPROTO_ROOT, 'v7'))
  list.push(path.resolve(__dirname, '..', '..', '..', 'shared', 'reference', '.dsproto', 'v7'))
  list.push('/work/dsproto/v7')
  return list
}

function refModulesDir () {
  for (const dir of candidates()) {
    if (fs.existsSync(path.join(dir, 'node_modules', '@deepstream', 'server', 'package.json'))) return dir
  }
  throw new Error('reference deepstream 7.0.2 not installed; run: DSPROTO_ROOT=/work/dsproto bash shared/reference/setup.sh ' +
    '(or set DSPROTO_V7 / DSPROTO_ROOT). Looked in: ' + candidates().join(', '))
}

module.exports = { refModulesDir }
