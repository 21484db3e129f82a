'use strict'
// Validation findings of one benchmark run: the first MAX are kept verbatim, all are counted.
// Any finding makes the run FAILED.

const MAX_PROBLEMS = 20

class Problems {
  constructor () {
    this.list = []
    this.count = 0
    this.shuttingDown = false // set at the end: sockets closing then are expected
  }

  add (msg) {
    this.count++
    if (this.list.length < MAX_PROBLEMS) this.list.push(msg)
  }
}

module.exports = { Problems }
