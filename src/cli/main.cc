// strata: the command line. `strata start` runs the server (flags as `deepstream start`),
// `strata info` prints what this build contains, `strata hash` hashes a password for users.yml,
// `strata connectors` lists the connectors
// available and `strata install` checks and installs a connector library
// (cli/connector_commands.h). SIGINT/SIGTERM stop the server gracefully:
// connections close, queued storage writes are drained, then the process exits 0 (1 if some
// writes could not be stored).

#include <pthread.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>
#include <rapidjson/document.h>
#include <spdlog/spdlog.h>

#include "auth/password_hash.h"
#include "cli/connector_commands.h"
#include "cluster/cluster_link.h"
#include "config/config_loader.h"
#include "server/connector_registry.h"
#include "server/server.h"

namespace strata {
namespace {

constexpr const char* kVersion = "0.1.0";

spdlog::level::level_enum SpdlogLevel(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return spdlog::level::debug;
    case LogLevel::kInfo:
      return spdlog::level::info;
    case LogLevel::kWarn:
      return spdlog::level::warn;
    case LogLevel::kError:
      return spdlog::level::err;
    case LogLevel::kOff:
      return spdlog::level::off;
  }
  return spdlog::level::info;
}

// Blocks the stop signals in this thread and every thread started after, so that only
// sigwait() in main sees them.
sigset_t BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

int Start(const CliOverrides& cli, const std::string& lib_dir) {
  sigset_t signals = BlockStopSignals();
  Result<ServerOptions> options = LoadConfig(cli);
  if (!options.ok()) {
    std::cerr << "strata: " << options.status().message() << "\n";
    return 1;
  }
  if (!lib_dir.empty()) options->lib_dir = lib_dir;  // -l/--lib-dir overrides libDir
  spdlog::set_level(SpdlogLevel(options->log_level));
  if (!options->config_file.empty()) spdlog::info("config: {}", options->config_file);
  Server server(std::move(*options));
  if (Status s = server.Start(); !s.ok()) {
    spdlog::critical("strata failed to start: {}", s.ToString());
    server.Stop().IgnoreError();
    return 1;
  }
  int signal = 0;
  sigwait(&signals, &signal);
  spdlog::info("received {}, stopping", signal == SIGINT ? "SIGINT" : "SIGTERM");
  Status stopped = server.Stop();
  if (!stopped.ok()) {
    spdlog::error("stopped with unwritten data: {}", stopped.ToString());
    return 1;
  }
  spdlog::info("stopped cleanly");
  return 0;
}

void Info(const std::string& lib_dir) {
  ConnectorRegistry registry;
  RegisterBuiltinConnectors(registry);
  auto list = [](const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "\"" : ", \"") + n + "\"";
    return "[" + out + "]";
  };
  std::cout << "{\n  \"name\": \"strata\",\n  \"version\": \"" << kVersion << "\",\n"
            << "  \"protocol\": \"deepstream v4+ binary (ws-binary)\",\n"
            << "  \"compiler\": \"g++ " << __VERSION__ << "\",\n"
            << "  \"caches\": " << list(registry.CacheNames()) << ",\n"
            << "  \"storages\": " << list(registry.StorageNames()) << ",\n"
            << "  \"cluster\": \"" << ClusterLink::Support() << "\",\n"
            << "  \"connectors\": " << ConnectorsJson(lib_dir, kVersion) << "\n}\n";
}

// `strata hash PASSWORD`: a hash for users.yml with the file auth options of the config (as
// `deepstream hash`), so the server that reads that config accepts it.
int Hash(const CliOverrides& cli, const std::string& password) {
  Result<ServerOptions> options = LoadConfig(cli);
  if (!options.ok()) {
    std::cerr << "strata: " << options.status().message() << "\n";
    return 1;
  }
  const AuthConfig* file = nullptr;
  for (const AuthConfig& a : options->auth) {
    if (a.type == "file") file = &a;
  }
  if (file == nullptr) {
    std::cerr << "strata hash: the config has no auth entry of type file\n";
    return 1;
  }
  rapidjson::Document settings;
  settings.Parse(file->options_json.c_str());
  auth::HashOptions hash;
  auto read_int = [&](const char* key, int* out) {
    auto it = settings.FindMember(key);
    if (it != settings.MemberEnd() && it->value.IsInt()) *out = it->value.GetInt();
  };
  auto algorithm = settings.FindMember("hash");
  if (algorithm == settings.MemberEnd() || !algorithm->value.IsString()) {
    std::cerr
        << "strata hash: the file auth options set no hash algorithm (passwords are plain text)\n";
    return 1;
  }
  hash.algorithm = algorithm->value.GetString();
  read_int("iterations", &hash.iterations);
  read_int("keyLength", &hash.key_length);
  Result<std::string> hashed = auth::HashPassword(password, hash);
  if (!hashed.ok()) {
    std::cerr << "strata hash: " << hashed.status().message() << "\n";
    return 1;
  }
  std::cout << "Password hash: " << *hashed << "\n";
  return 0;
}

}  // namespace
}  // namespace strata

int main(int argc, char** argv) {
  CLI::App app{"strata: a realtime data server, wire-compatible with deepstream"};
  app.set_version_flag("--version", strata::kVersion);
  app.require_subcommand(1);

  strata::CliOverrides cli;
  std::string config, host, log_level;
  uint16_t port = 0;
  CLI::App* start = app.add_subcommand("start", "start the server");
  start->add_option("-c,--config", config,
                    "config file (else ./conf/config.yml, "
                    "/etc/strata/config.yml, or defaults)");
  start->add_option("--host", host, "address to listen on (default 127.0.0.1)");
  start->add_option("--port", port, "port to listen on (default 6020)");
  start->add_option("--log-level", log_level, "debug, info, warn, error or off");
  start->add_flag("--disable-auth", cli.disable_auth, "accept every login (auth type none)");
  start->add_flag("--disable-permissions", cli.disable_permissions, "allow every action");
  std::string lib_dir;
  start->add_option("-l,--lib-dir", lib_dir, "directory of connector libraries (as libDir)");
  CLI::App* info = app.add_subcommand("info", "print build information as JSON");
  info->add_option("-l,--lib-dir", lib_dir, "directory of connector libraries");
  CLI::App* connectors =
      app.add_subcommand("connectors", "list the cache and storage connectors available");
  connectors->add_option("-l,--lib-dir", lib_dir, "directory of connector libraries");
  strata::InstallRequest install_request;
  CLI::App* install = app.add_subcommand(
      "install",
      "check a connector library, install it into the plugin directory and print "
      "its example config");
  install->add_option("role", install_request.role, "cache or storage")
      ->required()
      ->check(CLI::IsMember({"cache", "storage"}));
  install
      ->add_option("connector", install_request.connector,
                   "a connector name (in the plugin directory) or the path of a library")
      ->required();
  install->add_option("-c,--config", install_request.config_path,
                      "config file for --write (default ./conf/config.yml)");
  install->add_option("-l,--lib-dir", install_request.lib_dir, "the plugin directory");
  install->add_flag("--write", install_request.write,
                    "put the example section into the config file (replacing that section)");

  std::string password;
  CLI::App* hash = app.add_subcommand(
      "hash",
      "print a password hash for users.yml, made with the file auth settings of the config");
  hash->add_option("password", password, "the plain-text password")->required();
  hash->add_option("-c,--config", config, "config file (found as for start)");

  CLI11_PARSE(app, argc, argv);
  if (start->parsed()) {
    if (!config.empty()) cli.config_path = config;
    if (!host.empty()) cli.host = host;
    if (start->count("--port")) cli.port = port;
    if (!log_level.empty()) cli.log_level = log_level;
    return strata::Start(cli, lib_dir);
  }
  if (hash->parsed()) {
    if (!config.empty()) cli.config_path = config;
    return strata::Hash(cli, password);
  }
  if (info->parsed()) strata::Info(lib_dir);
  if (connectors->parsed()) return strata::RunConnectors(lib_dir, strata::kVersion);
  if (install->parsed()) return strata::RunInstall(install_request);
  return 0;
}
