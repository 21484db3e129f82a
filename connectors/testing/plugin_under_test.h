#pragma once
// PluginUnderTest: a connector library opened the way strata opens it (dlopen, the two entry
// points of strata/connector_abi.h), for the tests that check a connector's plugin export.
// Failures to open are reported as test failures; ok() tells whether the library is usable.
// Thread-safety: one test thread.

#include <cstdint>
#include <string>

#include "strata/connector_abi.h"

namespace strata::testing {

class PluginUnderTest {
 public:
  struct Created {
    int32_t code = STRATA_INTERNAL;
    std::string error;      // the connector's message when code != STRATA_OK
    bool has_head = false;  // the vtable offers head (caches)
  };

  explicit PluginUnderTest(const std::string& path);
  ~PluginUnderTest();
  PluginUnderTest(const PluginUnderTest&) = delete;
  PluginUnderTest& operator=(const PluginUnderTest&) = delete;

  bool ok() const { return info_ != nullptr && create_ != nullptr; }
  // REQUIRES: ok().
  const strata_connector_info& info() const { return *info_; }
  // Creates an instance for `role` with `options_json` and destroys it again, never started.
  Created Create(uint32_t role, const std::string& options_json);

 private:
  void* handle_ = nullptr;
  const strata_connector_info* info_ = nullptr;
  strata_connector_create_fn create_ = nullptr;
};

}  // namespace strata::testing
