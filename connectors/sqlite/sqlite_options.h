#pragma once
// Options of the "sqlite" storage connector, from the `storage.options` config mapping.

#include <string>
#include <string_view>

#include "strata/status.h"

namespace strata {

enum class SqliteSync {
  kNormal,  // WAL + synchronous=NORMAL: a crash of the machine may lose the last commits, never
            // corrupts; a crash of strata loses nothing
  kFull,    // fsync on every commit
};

struct SqliteOptions {
  // Database file; its parent directories are created on Start. Relative to the working dir.
  std::string path = "./data/strata.db";
  SqliteSync synchronous = SqliteSync::kNormal;
  // How long a statement waits for a lock held by another process before failing kUnavailable.
  int busy_timeout_ms = 5000;
};

// Parses the `storage.options` JSON object: {path, synchronous: "normal"|"full", busyTimeout}.
// Empty text means defaults. Unknown keys and wrong types -> kInvalidArgument naming
// `storage.options.<key>`.
Result<SqliteOptions> ParseSqliteOptions(std::string_view options_json);

}  // namespace strata
