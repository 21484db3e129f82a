#pragma once
// PluginLibrary: one connector shared library, opened with dlopen and checked against the
// connector ABI this strata speaks (strata/connector_abi.h). The library stays loaded for as
// long as any holder of the shared_ptr lives: every AbiConnector created from it keeps one, so
// the code its vtable points into cannot be unloaded under it.
//
// Thread-safety: immutable after Open(); safe to share between threads.

#include <cstdint>
#include <memory>
#include <string>

#include "strata/connector_abi.h"
#include "strata/status.h"

namespace strata {

// The facts a library reports about itself, copied out of strata_connector_info (only the
// fields its struct_size covers; absent strings are empty).
struct PluginInfo {
  uint32_t abi_version = 0;
  std::string name;            // e.g. "redis"
  std::string version;         // the connector's own version
  uint32_t roles = 0;          // STRATA_ROLE_* bits
  std::string description;     // one line
  std::string example_config;  // YAML for `strata install`
};

class PluginLibrary {
 public:
  // Loads `path` (RTLD_NOW, so a missing dependency fails here and not at first use).
  // kNotFound: no such file. kUnavailable: dlopen failed (not a library, a dependency missing:
  // the message then names the Debian package that provides it). kInvalidArgument: the library
  // lacks the two exported functions. kFailedPrecondition: built for another ABI version; the
  // message names both versions.
  static Result<std::shared_ptr<PluginLibrary>> Open(const std::string& path);

  ~PluginLibrary();
  PluginLibrary(const PluginLibrary&) = delete;
  PluginLibrary& operator=(const PluginLibrary&) = delete;

  const std::string& path() const { return path_; }
  const PluginInfo& info() const { return info_; }
  bool Supports(uint32_t role) const { return (info_.roles & role) != 0; }
  strata_connector_create_fn create() const { return create_; }

 private:
  PluginLibrary(std::string path, void* handle) : path_(std::move(path)), handle_(handle) {}
  Status Bind();

  std::string path_;
  void* handle_;  // from dlopen; dlclose'd by the destructor
  strata_connector_create_fn create_ = nullptr;
  PluginInfo info_;
};

// "cache", "storage", "cache, storage" for a set of STRATA_ROLE_* bits.
std::string RoleNames(uint32_t roles);

}  // namespace strata
