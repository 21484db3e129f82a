#pragma once
// The connector subcommands of the strata CLI:
//   strata connectors [--lib-dir D]       what is available: built-ins and plugin libraries
//   strata install <cache|storage> <name|path> [-c config.yml] [--lib-dir D] [--write]
// Both print to stdout and return the process exit status (0 ok, 1 failed, with the reason on
// stderr). Thread-safety: call from main only.

#include <string>

namespace strata {

struct InstallRequest {
  std::string role;         // "cache" or "storage"
  std::string connector;    // a name (looked up in the plugin dir) or a path to a library
  std::string config_path;  // for --write; empty = ./conf/config.yml
  std::string lib_dir;      // --lib-dir; empty = DefaultPluginDir("")
  bool write = false;       // --write: put the example section into the config file
};

int RunConnectors(const std::string& lib_dir, const std::string& strata_version);
int RunInstall(const InstallRequest& request);

// The connectors as a JSON array, for `strata info`.
std::string ConnectorsJson(const std::string& lib_dir, const std::string& strata_version);

}  // namespace strata
