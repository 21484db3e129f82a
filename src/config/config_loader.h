#pragma once
// Loads strata's configuration: a deepstream v7 `config.yml` (same keys, same meaning) plus
// strata's own keys, then the `strata start` flags on top. See SEMANTICS.md B.3 and B.4.
//
// Preprocessing, as deepstream: `${VAR}` becomes the environment value (or "" when unset) over
// the whole text; `file(p)` becomes p's absolute path and `fileLoad(p)` p's content (parsed when
// it is .yml/.yaml/.json), both relative to the config file's directory. A key set to null
// keeps its default.
//
// Validation is strict: an unknown or misspelt key anywhere (except inside the free-form
// `options` of cache, storage, auth, permission, logger and plugins), a wrong type or an
// out-of-range value fails with kInvalidArgument naming the YAML path. Settings that ask for a
// feature strata does not have yet (storage auth, permission config, mqtt, TLS, clustering,
// monitoring, ...) fail with "... is not supported yet" instead of
// being silently ignored.
//
// Thread-safety: reads the environment and files; call once at startup.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/options.h"
#include "strata/status.h"

namespace strata {

// From `strata start` flags; unset = not given.
struct CliOverrides {
  std::optional<std::string> config_path;  // -c FILE
  std::optional<std::string> host;         // --host
  std::optional<uint16_t> port;            // --port
  std::optional<std::string> log_level;    // --log-level debug|info|warn|error|off
  bool disable_auth = false;               // forces auth: [{type: none}]
  bool disable_permissions = false;        // forces permission type none
};

// Finds the config file: -c FILE (must exist), else ./conf/config.yml, else
// /etc/strata/config.yml, else none (all defaults). Then ParseConfig, then applies the CLI
// overrides. Errors from the file are prefixed with its path ("conf/config.yml: unknown key
// 'record.cacheRetreivalTimeout'").
Result<ServerOptions> LoadConfig(const CliOverrides& cli);

// Parses config text; base_dir is the directory file()/fileLoad() resolve against (empty = the
// current directory).
Result<ServerOptions> ParseConfig(std::string_view yaml_text, const std::string& base_dir);

}  // namespace strata
