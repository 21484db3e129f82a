'use strict'
/*
 * One node of a deepstream 7.0.2 cluster for bench/cluster/run.sh.
 *
 *   node ref-node.js <config.json> <port>
 *
 * config.json: {serverName, redisPort, pgPort, cluster: true|false}. The node listens on 127.0.0.1:<port>
 * (ws-binary on /deepstream, HTTP with /health-check), open auth, no permissions, and uses deepstream's own
 * connectors from bench/node_modules:
 *   clusterNode  @deepstream/clusternode-redis 1.0.1   (only with cluster: true; else the default single node)
 *   cache        @deepstream/cache-redis 2.0.9
 *   storage      @deepstream/storage-postgres 3.0.4   (schema ds, NOTIFY triggers off, otherwise its defaults)
 * They are named by `path` (absolute) instead of `name`, which would make deepstream look for them beside
 * its own install; the plugin classes and options are the same.
 * The reference server itself is found like tests/e2e does (tests/e2e/ref-paths.js).
 * SIGTERM/SIGINT: stop and exit 0.
 */
const fs = require('fs')
const path = require('path')
const { refModulesDir } = require('../../tests/e2e/ref-paths')

const [configPath, portArg] = process.argv.slice(2)
if (!configPath || !portArg) {
  process.stderr.write('usage: node ref-node.js <config.json> <port>\n')
  process.exit(2)
}
const cfg = JSON.parse(fs.readFileSync(configPath, 'utf8'))
const NM = refModulesDir()
const { Deepstream } = require(require.resolve('@deepstream/server', { paths: [NM] }))
const plugin = (pkg) => path.join(__dirname, '..', 'node_modules', '@deepstream', pkg)
const redis = { host: '127.0.0.1', port: cfg.redisPort }
const off = { CREATE_TABLE: false, DESTROY_TABLE: false, INSERT: false, UPDATE: false, DELETE: false }

const options = {
  serverName: cfg.serverName,
  showLogo: false,
  // numeric LOG_LEVEL (0 DEBUG .. 2 WARN): the std-out logger compares the top-level logLevel as given, and with the
  // string 'WARN' ('WARN' > 0 is false) it logs everything, DEBUG included (one line per message broadcast)
  logLevel: process.env.BENCH_DEBUG ? 0 : 2,
  auth: [{ type: 'none' }],
  permission: { type: 'none' },
  connectionEndpoints: [
    { type: 'ws-binary', options: { urlPath: '/deepstream' } },
    { type: 'http', options: {} }
  ],
  httpServer: { type: 'default', options: { host: '127.0.0.1', port: Number(portArg) } },
  cache: { path: plugin('cache-redis'), options: { ...redis } },
  storage: {
    path: plugin('storage-postgres'),
    options: { host: '127.0.0.1', port: cfg.pgPort, user: 'postgres', database: 'postgres', schema: 'ds', notifications: off }
  }
}
if (cfg.cluster) {
  options.clusterNode = { path: plugin('clusternode-redis'), options: { ...redis } }
  options.clusterRegistry = { options: { keepAliveInterval: 1000, activeCheckInterval: 1000, nodeInactiveTimeout: 3000 } }
}

const server = new Deepstream(options)
let stopping = false
function shutdown () {
  if (stopping) return
  stopping = true
  const hard = setTimeout(() => process.exit(0), 5000)
  hard.unref()
  server.on('stopped', () => process.exit(0))
  try { server.stop() } catch (e) { process.exit(0) }
}
process.on('SIGTERM', shutdown)
process.on('SIGINT', shutdown)
server.on('started', () => process.stdout.write(`deepstream ${cfg.serverName} listening on 127.0.0.1:${portArg}\n`))
server.start()
