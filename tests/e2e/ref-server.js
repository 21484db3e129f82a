'use strict'
/*
 * Child-process launcher for the REFERENCE target (E2E_TARGET=deepstream).
 *
 *   node ref-server.js <config.yml> <port>
 *
 * Starts @deepstream/server@7.0.2 (installed by shared/reference/setup.sh, see harness.js for how
 * the install folder is found) on 127.0.0.1:<port> with open auth, no permissions and the default
 * in-memory cache. The strata-style YAML config written by the harness is translated into
 * deepstream's programmatic options:
 *   - `storage` is dropped: deepstream keeps its default (no-op storage = memory only);
 *     strata's `sqlite` storage has no deepstream counterpart, tests that need it are strata-only.
 *     Exception (bench/run.sh, targets *-redis-pg): with REF_CONNECTORS_DIR set to a folder whose
 *     node_modules hold deepstream's own connectors (bench/.ref-connectors), `cache: {name: redis}`
 *     and `storage: {name: postgres}` load @deepstream/cache-redis and @deepstream/storage-postgres
 *     from there, with their `options` passed through.
 *   - `connectionEndpoints` is passed through; when absent, ws-binary on /deepstream + http.
 *   - `httpServer` is replaced (127.0.0.1:<port>) except for `options.ssl`, passed through.
 *   - every other key is passed through unchanged (they are deepstream's own config keys).
 * SIGTERM/SIGINT stop the server and exit with code 0.
 */
const fs = require('fs')
const { refModulesDir } = require('./ref-paths')

const [configPath, portArg] = process.argv.slice(2)
if (!configPath || !portArg) {
  process.stderr.write('usage: node ref-server.js <config.yml> <port>\n')
  process.exit(2)
}
const NM = refModulesDir()
const load = (m) => require(require.resolve(m, { paths: [NM] }))
const { Deepstream } = load('@deepstream/server')
const yaml = load('js-yaml')

const parsed = yaml.load(fs.readFileSync(configPath, 'utf8')) || {}
const connectors = process.env.REF_CONNECTORS_DIR
const connectorPath = (pkg) => require('path').join(connectors, 'node_modules', '@deepstream', pkg)
if (connectors && parsed.cache && parsed.cache.name === 'redis') {
  parsed.cache = { path: connectorPath('cache-redis'), options: parsed.cache.options || {} }
}
if (connectors && parsed.storage && parsed.storage.name === 'postgres') {
  parsed.storage = { path: connectorPath('storage-postgres'), options: parsed.storage.options || {} }
} else {
  delete parsed.storage
}

const options = {
  serverName: 'e2e-reference',
  showLogo: false,
  // deepstream's LOG_LEVEL numbers (0 DEBUG .. 2 WARN): given programmatically, a string such as
  // 'WARN' is not converted and its logger then writes every DEBUG line (one per broadcast).
  logLevel: process.env.E2E_DEBUG ? 0 : 2,
  auth: [{ type: 'none' }],
  permission: { type: 'none' },
  connectionEndpoints: [
    { type: 'ws-binary', options: { urlPath: '/deepstream' } },
    { type: 'http', options: {} }
  ],
  ...parsed,
  httpServer: { type: 'default', options: { host: '127.0.0.1', port: Number(portArg) } }
}
// TLS (httpServer.options.ssl with PEM text) is the one httpServer option passed through.
const ssl = parsed.httpServer && parsed.httpServer.options && parsed.httpServer.options.ssl
if (ssl) options.httpServer.options.ssl = ssl

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
server.on('started', () => process.stdout.write(`reference deepstream listening on 127.0.0.1:${portArg}\n`))
server.start()
