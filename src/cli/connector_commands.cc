#include "cli/connector_commands.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

#include "cli/config_section.h"
#include "plugin/plugin_directory.h"
#include "plugin/plugin_library.h"
#include "server/connector_registry.h"

namespace strata {
namespace {

namespace fs = std::filesystem;

constexpr const char* kDefaultConfig = "conf/config.yml";

int Fail(const std::string& message) {
  std::cerr << "strata: " << message << "\n";
  return 1;
}

std::string JsonQuote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::vector<ConnectorListing> ListAll(const std::string& plugin_dir, const std::string& version) {
  ConnectorRegistry registry;
  RegisterBuiltinConnectors(registry);
  return registry.List(plugin_dir, version);
}

// A connector argument naming a file rather than a registered name.
bool IsPath(const std::string& arg) {
  return arg.find('/') != std::string::npos || arg.ends_with(".so");
}

// Copies `from` into the plugin directory as libstrata-<name>.so. Written aside then renamed,
// so that a running strata with the old library mapped keeps working.
Result<std::string> CopyIntoPluginDir(const std::string& from, const std::string& plugin_dir,
                                      const std::string& name) {
  std::error_code ec;
  fs::create_directories(plugin_dir, ec);
  if (ec) return Status::Unavailable("cannot create " + plugin_dir + ": " + ec.message());
  fs::path target = fs::path(plugin_dir) / PluginFileName(name);
  if (fs::equivalent(from, target, ec)) return target.string();  // already in place
  fs::path temp = target;
  temp += ".installing";
  fs::copy_file(from, temp, fs::copy_options::overwrite_existing, ec);
  if (!ec) fs::rename(temp, target, ec);
  if (ec) {
    fs::remove(temp, ec);
    return Status::Unavailable("cannot copy " + from + " to " + target.string() + ": " +
                               ec.message());
  }
  return target.string();
}

Status WriteSection(const std::string& config_path, const std::string& key,
                    const std::string& section) {
  std::string text;
  std::error_code ec;
  if (fs::exists(config_path, ec)) {
    std::ifstream in(config_path, std::ios::binary);
    std::ostringstream read;
    read << in.rdbuf();
    if (!in) return Status::Unavailable("cannot read " + config_path);
    text = read.str();
  } else if (fs::path parent = fs::path(config_path).parent_path(); !parent.empty()) {
    fs::create_directories(parent, ec);
  }
  Result<std::string> updated = SetTopLevelSection(text, key, section);
  if (!updated.ok()) {
    return Status(updated.status().code(),
                  config_path + ": " + std::string(updated.status().message()));
  }
  std::ofstream out(config_path, std::ios::binary | std::ios::trunc);
  out << *updated;
  if (!out.flush()) return Status::Unavailable("cannot write " + config_path);
  return Status();
}

int InstallBuiltin(const InstallRequest& request) {
  std::string section = request.role + ":\n  name: " + request.connector + "\n";
  std::cout << request.role << " connector '" << request.connector
            << "' is built into strata; nothing to install.\nexample config:\n"
            << section;
  if (!request.write) return 0;
  std::string config = request.config_path.empty() ? kDefaultConfig : request.config_path;
  if (Status s = WriteSection(config, request.role, section); !s.ok()) {
    return Fail(std::string(s.message()));
  }
  std::cout << "wrote the " << request.role << " section to " << config << "\n";
  return 0;
}

}  // namespace

int RunConnectors(const std::string& lib_dir, const std::string& strata_version) {
  const std::string plugin_dir = DefaultPluginDir(lib_dir);
  std::vector<ConnectorListing> list = ListAll(plugin_dir, strata_version);
  std::vector<std::vector<std::string>> rows = {
      {"NAME", "ROLES", "VERSION", "DESCRIPTION", "PATH"}};
  for (const ConnectorListing& c : list) {
    std::string description = c.error.ok() ? c.description : "unusable: " + c.error.ToString();
    rows.push_back({c.name, c.error.ok() ? RoleNames(c.roles) : "-",
                    c.version.empty() ? "-" : c.version, description,
                    c.path.empty() ? "(built in)" : c.path});
  }
  std::vector<size_t> widths(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    std::cout << line << "\n";
  }
  std::cout << "plugin directory: " << plugin_dir << "\n";
  return 0;
}

int RunInstall(const InstallRequest& request) {
  if (request.role != "cache" && request.role != "storage") {
    return Fail("install: the role must be cache or storage, not '" + request.role + "'");
  }
  const uint32_t role = request.role == "cache" ? STRATA_ROLE_CACHE : STRATA_ROLE_STORAGE;
  const std::string plugin_dir = DefaultPluginDir(request.lib_dir);
  const bool by_path = IsPath(request.connector);
  ConnectorRegistry registry;
  RegisterBuiltinConnectors(registry);
  const std::vector<std::string> builtins =
      role == STRATA_ROLE_CACHE ? registry.CacheNames() : registry.StorageNames();
  if (!by_path &&
      std::find(builtins.begin(), builtins.end(), request.connector) != builtins.end()) {
    return InstallBuiltin(request);
  }
  std::string file =
      by_path ? request.connector : plugin_dir + "/" + PluginFileName(request.connector);
  Result<std::shared_ptr<PluginLibrary>> library = PluginLibrary::Open(file);
  if (!library.ok()) {
    if (library.status().code() == StatusCode::kNotFound && !by_path) {
      return Fail("no connector '" + request.connector + "' in the plugin directory " + plugin_dir +
                  " (looked for " + PluginFileName(request.connector) +
                  "); give the path of its library to install it");
    }
    return Fail(std::string(library.status().message()));
  }
  const PluginInfo& info = (*library)->info();
  if (!(*library)->Supports(role)) {
    return Fail("connector '" + info.name + "' cannot serve as " + request.role +
                "; it offers: " + RoleNames(info.roles));
  }
  std::cout << "connector " << info.name << " " << info.version << " (" << RoleNames(info.roles)
            << "): " << info.description << "\n";
  if (by_path) {
    Result<std::string> installed = CopyIntoPluginDir(file, plugin_dir, info.name);
    if (!installed.ok()) return Fail(std::string(installed.status().message()));
    std::cout << "installed " << *installed << "\n";
  } else {
    std::cout << "found " << file << "\n";
  }
  if (!request.lib_dir.empty() && DefaultPluginDir("") != plugin_dir) {
    std::cout << "note: strata looks for it only with `libDir: " << plugin_dir
              << "` in the config (or STRATA_PLUGIN_DIR set)\n";
  }
  std::string section = SectionForRole(info.example_config, request.role, info.name);
  std::cout << "example config:\n" << section;
  if (!request.write) return 0;
  std::string config = request.config_path.empty() ? kDefaultConfig : request.config_path;
  if (Status s = WriteSection(config, request.role, section); !s.ok()) {
    return Fail(std::string(s.message()));
  }
  std::cout << "wrote the " << request.role << " section to " << config << "\n";
  return 0;
}

std::string ConnectorsJson(const std::string& lib_dir, const std::string& strata_version) {
  std::string out = "[";
  for (const ConnectorListing& c : ListAll(DefaultPluginDir(lib_dir), strata_version)) {
    if (out.size() > 1) out += ",";
    out += "\n    {\"name\": " + JsonQuote(c.name) +
           ", \"roles\": " + JsonQuote(c.error.ok() ? RoleNames(c.roles) : "") +
           ", \"version\": " + JsonQuote(c.version) + ", \"path\": " + JsonQuote(c.path);
    if (!c.error.ok()) out += ", \"error\": " + JsonQuote(c.error.ToString());
    out += "}";
  }
  return out + "\n  ]";
}

}  // namespace strata
