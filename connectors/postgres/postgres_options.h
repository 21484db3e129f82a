#pragma once
// Options of the "postgres" storage connector, from the `storage.options` config mapping. The
// names are those of deepstream's own connector (@deepstream/storage-postgres 3.x), so an
// existing deepstream config works unchanged; `sslmode`, `connectionTimeoutMillis`,
// `tombstoneTtl` and `tombstonePurgeInterval` are strata's.

#include <cstdint>
#include <string>
#include <string_view>

#include "strata/status.h"

namespace strata {

struct PostgresOptions {
  // Server address. libpq resolves names; 127.0.0.1 avoids a resolver round trip.
  std::string host = "localhost";
  int port = 5432;
  // Empty: libpq's defaults (PGUSER / the OS user; the database named like the user).
  std::string user;
  std::string password;
  std::string database;
  // Schema holding the record tables; created on Start (deepstream's README default).
  std::string schema = "ds";
  // Table of records whose name has no `splitChar`.
  std::string default_table = "default";
  // A record name `<table><splitChar><id>` is stored in table <table> under id <id>.
  char split_char = '/';
  // Connections in the pool: operations run on up to `max` connections at once.
  int max = 4;
  // Column `val` of tables created by strata is jsonb (searchable, but normalises the JSON text:
  // key order and spacing are not kept) instead of text (byte-identical round trips).
  bool use_jsonb = false;
  // Accepted for compatibility. deepstream buffered writes this long; strata sends a write as
  // soon as a connection is free and batches what queued meanwhile, so no write waits longer.
  int write_interval_ms = 200;
  // Accepted for compatibility; strata keeps its connections open (no reconnect on a quiet day).
  int idle_timeout_ms = 200;
  // libpq's sslmode (disable, allow, prefer, require, verify-ca, verify-full); empty = libpq's
  // default ("prefer").
  std::string sslmode;
  // A connection attempt that takes longer fails kUnavailable (and is retried with backoff).
  int connection_timeout_ms = 10000;
  // Tombstones (rows a fenced delete leaves) whose fence is older than this are purged. Long
  // (1 h) next to any delay a late write of a strata cluster can have, so a purged tombstone can
  // no longer fence anything.
  int64_t tombstone_ttl_ms = 3600000;
  // How often the purge runs over the tables this process wrote; 0 = tombstone_ttl_ms / 10, but
  // not more often than once a minute (every sweep scans each table's tombstones).
  int64_t tombstone_purge_interval_ms = 0;
};

// The purge interval that `options` ask for (tombstone_purge_interval_ms, or derived from
// tombstone_ttl_ms when 0).
int64_t TombstonePurgeIntervalMs(const PostgresOptions& options);

// Parses the `storage.options` JSON object. Empty text means defaults. Unknown keys and wrong
// types -> kInvalidArgument naming `storage.options.<key>`; deepstream options strata does not
// support yet (`notifications.*: true`, `role`) -> kInvalidArgument saying "not supported yet".
Result<PostgresOptions> ParsePostgresOptions(std::string_view options_json);

}  // namespace strata
