// strata-connector-test: runs the connector suite (connectors/testing/connector_suite.h), the
// same tests every connector in strata's tree passes, against a connector library of your own:
//
//   strata-connector-test ./libstrata-mine.so [--role cache|storage] [--options '{json}']
//                         [--gtest_filter=... and other gtest flags]
//
// The library is loaded exactly as strata loads it (PluginLibrary + AbiConnector), so what
// passes here works in strata. Each test gets a fresh instance; `{scratch}` in the options is
// replaced by an empty directory private to that test. Without --role, every role the library
// offers is tested. Exit status: 0 all passed, 1 a test failed, 2 the library or the arguments
// are unusable.

#include <cctype>
#include <iostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "connectors/testing/connector_suite.h"
#include "plugin/abi_connector.h"
#include "plugin/plugin_library.h"

namespace strata::testing {
namespace {

// Filled by main() before InitGoogleTest, which is when gtest evaluates the generators below.
std::vector<ConnectorTraits>& StorageRuns() {
  static std::vector<ConnectorTraits> runs;
  return runs;
}
std::vector<ConnectorTraits>& CacheRuns() {
  static std::vector<ConnectorTraits> runs;
  return runs;
}

INSTANTIATE_TEST_SUITE_P(Plugin, StorageConnectorSuite, ::testing::ValuesIn(StorageRuns()),
                         TraitsName);
INSTANTIATE_TEST_SUITE_P(Plugin, CacheConnectorSuite, ::testing::ValuesIn(CacheRuns()), TraitsName);

struct ToolArgs {
  std::string library;
  std::string role;  // "", "cache" or "storage"
  std::string options = "{}";
  std::vector<char*> gtest_argv;  // argv[0] and the flags for gtest
};

constexpr const char* kUsage =
    "usage: strata-connector-test <library.so> [--role cache|storage] [--options '{json}'] "
    "[gtest flags]\n"
    "  {scratch} in --options becomes an empty directory private to each test.\n";

// Reads `--name value` or `--name=value` at argv[*i]; advances *i past a separate value.
bool TakeValue(int argc, char** argv, int* i, std::string_view name, std::string* out) {
  std::string_view arg = argv[*i];
  if (arg == name && *i + 1 < argc) {
    *out = argv[++*i];
    return true;
  }
  if (arg.starts_with(name) && arg.size() > name.size() && arg[name.size()] == '=') {
    *out = std::string(arg.substr(name.size() + 1));
    return true;
  }
  return false;
}

Result<ToolArgs> ParseArgs(int argc, char** argv) {
  ToolArgs args;
  args.gtest_argv.push_back(argv[0]);
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (TakeValue(argc, argv, &i, "--role", &args.role) ||
        TakeValue(argc, argv, &i, "--options", &args.options)) {
      continue;
    }
    if (arg.starts_with("--gtest_")) {
      args.gtest_argv.push_back(argv[i]);
    } else if (!arg.starts_with("-") && args.library.empty()) {
      args.library = std::string(arg);
    } else {
      return Status::InvalidArgument("unexpected argument '" + std::string(arg) + "'");
    }
  }
  if (args.library.empty()) return Status::InvalidArgument("no connector library given");
  if (!args.role.empty() && args.role != "cache" && args.role != "storage") {
    return Status::InvalidArgument("--role must be cache or storage, not '" + args.role + "'");
  }
  return args;
}

std::string ReplaceScratch(std::string options, const std::string& scratch) {
  constexpr std::string_view kToken = "{scratch}";
  for (size_t at = options.find(kToken); at != std::string::npos;
       at = options.find(kToken, at + scratch.size())) {
    options.replace(at, kToken.size(), scratch);
  }
  return options;
}

// gtest test names allow letters, digits and underscores only.
std::string TestName(const std::string& connector, const char* suffix) {
  std::string out;
  for (char c : connector) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return out + suffix;
}

ConnectorTraits TraitsFor(std::shared_ptr<PluginLibrary> library, uint32_t role,
                          const std::string& options) {
  const bool cache = role == STRATA_ROLE_CACHE;
  ConnectorTraits traits;
  traits.name = TestName(library->info().name, cache ? "AsCache" : "AsStorage");
  traits.make = [library, role, options](const std::string& scratch) {
    return CreateAbiConnector(library, role, ReplaceScratch(options, scratch));
  };
  traits.is_cache = cache;
  return traits;
}

// Registers the runs for the roles asked for; false (with a message) if the library lacks one.
bool PlanRuns(std::shared_ptr<PluginLibrary> library, const std::string& role,
              const std::string& options) {
  const PluginInfo& info = library->info();
  std::cout << "connector " << info.name << " " << info.version << " (" << library->path()
            << "), roles: " << RoleNames(info.roles) << "\n";
  for (uint32_t r : {uint32_t{STRATA_ROLE_STORAGE}, uint32_t{STRATA_ROLE_CACHE}}) {
    const char* name = r == STRATA_ROLE_CACHE ? "cache" : "storage";
    if (!role.empty() && role != name) continue;
    if (!library->Supports(r)) {
      if (role.empty()) continue;
      std::cerr << "strata-connector-test: " << info.name << " does not offer the " << name
                << " role (it offers: " << RoleNames(info.roles) << ")\n";
      return false;
    }
    ConnectorTraits traits = TraitsFor(library, r, options);
    StorageRuns().push_back(traits);
    if (r == STRATA_ROLE_CACHE) CacheRuns().push_back(traits);
  }
  return true;
}

}  // namespace
}  // namespace strata::testing

int main(int argc, char** argv) {
  namespace st = strata::testing;
  strata::Result<st::ToolArgs> args = st::ParseArgs(argc, argv);
  if (!args.ok()) {
    std::cerr << "strata-connector-test: " << args.status().message() << "\n" << st::kUsage;
    return 2;
  }
  auto library = strata::PluginLibrary::Open(args->library);
  if (!library.ok()) {
    std::cerr << "strata-connector-test: " << library.status().ToString() << "\n";
    return 2;
  }
  if (!st::PlanRuns(*library, args->role, args->options)) return 2;
  int gtest_argc = static_cast<int>(args->gtest_argv.size());
  args->gtest_argv.push_back(nullptr);  // argv[argc] is NULL by convention
  ::testing::InitGoogleTest(&gtest_argc, args->gtest_argv.data());
  return RUN_ALL_TESTS() == 0 ? 0 : 1;
}
