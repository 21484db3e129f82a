#pragma once
// Options of the "rocksdb" storage connector, from the `storage.options` config mapping.

#include <string>
#include <string_view>

#include "strata/status.h"

namespace strata {

struct RocksdbOptions {
  // `path`: the database directory, created (with its parents) on Start. Relative to the
  // working directory. One strata process at a time: RocksDB locks it.
  std::string path = "./data/rocksdb";
  // `sync`: false = every batch goes to the write-ahead log without an fsync (a crash of strata
  // loses nothing; a crash of the machine may lose the last batches, never corrupts);
  // true = fsync the log once per batch before its completion runs.
  bool sync = false;
};

// Parses the `storage.options` JSON object: {path, sync}. Empty text means defaults. Unknown
// keys and wrong types -> kInvalidArgument naming `storage.options.<key>`.
Result<RocksdbOptions> ParseRocksdbOptions(std::string_view options_json);

}  // namespace strata
