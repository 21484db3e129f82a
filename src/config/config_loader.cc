#include "config/config_loader.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/config_sections.h"
#include "config/field_reader.h"
#include "config/yaml_preprocess.h"

namespace strata {
namespace {

using config_internal::ParsedConfig;

// Searched in order when no -c is given.
const char* const kDefaultConfigPaths[] = {"conf/config.yml", "/etc/strata/config.yml"};

Result<YAML::Node> LoadYaml(const std::string& text) {
  try {
    return YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    return Status::InvalidArgument("invalid YAML at line " + std::to_string(e.mark.line + 1) +
                                   ", column " + std::to_string(e.mark.column + 1) + ": " + e.msg);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(std::string("invalid YAML: ") + e.what());
  }
}

Result<ParsedConfig> ParseText(std::string_view text, const std::string& base_dir) {
  STRATA_ASSIGN_OR_RETURN(YAML::Node root, LoadYaml(config_internal::SubstituteEnv(text)));
  STRATA_RETURN_IF_ERROR(config_internal::ResolveFileReferences(root, base_dir));
  try {
    return config_internal::ParseConfigTree(root);
  } catch (const YAML::Exception& e) {  // the parsers avoid throwing calls; this is a backstop
    return Status::InvalidArgument(std::string("invalid config: ") + e.what());
  }
}

// The "not supported yet" verdicts that the CLI could have lifted.
Status SupportVerdicts(const ParsedConfig& parsed) {
  STRATA_RETURN_IF_ERROR(parsed.auth_support);
  return parsed.permission_support;
}

Status ApplyCliOverrides(const CliOverrides& cli, ParsedConfig* parsed) {
  ServerOptions& options = parsed->options;
  if (cli.host) {
    if (cli.host->empty()) return Status::InvalidArgument("--host: expected a host name");
    options.http_server.host = *cli.host;
  }
  if (cli.port) options.http_server.port = *cli.port;
  if (cli.log_level) {
    STRATA_ASSIGN_OR_RETURN(options.log_level, config_internal::ReadLogLevelValue(
                                                   YAML::Node(*cli.log_level), "--log-level"));
  }
  if (cli.disable_auth) {
    options.auth = {AuthConfig{}};
    parsed->auth_support = Status::Ok();
  }
  if (cli.disable_permissions) {
    options.permission = PermissionConfig{};
    parsed->permission_support = Status::Ok();
  }
  return Status::Ok();
}

Status WithFileName(const std::string& file, const Status& status) {
  if (status.ok() || file.empty()) return status;
  return Status(status.code(), file + ": " + std::string(status.message()));
}

// The config file to read, or "" for none.
Result<std::string> FindConfigFile(const CliOverrides& cli) {
  std::error_code error;
  if (cli.config_path) {
    const std::string& path = *cli.config_path;
    if (!std::filesystem::is_regular_file(path, error)) {
      return Status::InvalidArgument("config file '" + path + "' (from -c) does not exist or " +
                                     "is not a regular file");
    }
    return path;
  }
  for (const char* candidate : kDefaultConfigPaths) {
    if (std::filesystem::is_regular_file(candidate, error)) return std::string(candidate);
  }
  return std::string();
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::InvalidArgument("cannot read config file '" + path +
                                   "': " + std::strerror(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

Result<ServerOptions> ParseConfig(std::string_view yaml_text, const std::string& base_dir) {
  STRATA_ASSIGN_OR_RETURN(ParsedConfig parsed, ParseText(yaml_text, base_dir));
  STRATA_RETURN_IF_ERROR(SupportVerdicts(parsed));
  return std::move(parsed.options);
}

Result<ServerOptions> LoadConfig(const CliOverrides& cli) {
  STRATA_ASSIGN_OR_RETURN(std::string file, FindConfigFile(cli));
  std::string text;
  std::string base_dir;  // empty: the current directory
  if (!file.empty()) {
    STRATA_ASSIGN_OR_RETURN(text, ReadFile(file));
    std::error_code error;
    base_dir = std::filesystem::absolute(file, error).parent_path().string();
  }
  Result<ParsedConfig> parsed = ParseText(text, base_dir);
  if (!parsed.ok()) return WithFileName(file, parsed.status());
  STRATA_RETURN_IF_ERROR(ApplyCliOverrides(cli, &*parsed));
  STRATA_RETURN_IF_ERROR(WithFileName(file, SupportVerdicts(*parsed)));
  parsed->options.config_file = file;
  return std::move(parsed->options);
}

}  // namespace strata
