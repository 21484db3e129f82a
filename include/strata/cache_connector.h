#pragma once
// CacheConnector: a fast store that may forget (evict, expire) and answers versions cheaply.
// Same lifecycle, error and threading contract as StorageConnector. The cache is written before
// a write is broadcast, and read before storage.

#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "strata/storage_connector.h"

namespace strata {

struct HeadBulkResult {
  std::map<std::string, Version> versions;  // names the cache holds
  std::vector<std::string> missing;         // names it does not
};

class CacheConnector : public StorageConnector {
 public:
  // nullopt = not in the cache.
  virtual void Head(std::string_view name, Callback<std::optional<Version>> cb) = 0;
  virtual void HeadBulk(std::span<const std::string> names, Callback<HeadBulkResult> cb);
};

}  // namespace strata
