#include "plugin/missing_library_hint.h"

#include <array>
#include <utility>

namespace strata {
namespace {

// The client libraries of the connectors in this tree and their Debian 12 runtime packages.
// A built-in table because the package database only knows files that are installed, and the
// whole point is that this one is not (apt-file is rarely present).
constexpr std::array<std::pair<std::string_view, std::string_view>, 6> kPackages = {{
    {"libhiredis.so.0.14", "libhiredis0.14"},
    {"libpq.so.5", "libpq5"},
    {"libmemcached.so.11", "libmemcached11"},
    {"librocksdb.so.7.8", "librocksdb7.8"},
    {"libsqlite3.so.0", "libsqlite3-0"},
    {"libstdc++.so.6", "libstdc++6"},
}};

constexpr std::string_view kCannotOpen = ": cannot open shared object file";

}  // namespace

std::optional<std::string> MissingLibraryOf(std::string_view text) {
  size_t end = text.find(kCannotOpen);
  if (end == std::string_view::npos) return std::nullopt;
  // dlerror says "<plugin path>: <library>: cannot open ..."; the library is the last field.
  size_t start = text.rfind(": ", end == 0 ? 0 : end - 1);
  start = start == std::string_view::npos ? 0 : start + 2;
  if (start >= end) return std::nullopt;
  return std::string(text.substr(start, end - start));
}

std::string InstallHintFor(std::string_view library) {
  for (const auto& [lib, package] : kPackages) {
    if (lib == library) {
      return "install the Debian package " + std::string(package) + " (apt-get install " +
             std::string(package) + ")";
    }
  }
  return "install the Debian package that provides " + std::string(library) + " (apt-file search " +
         std::string(library) + " names it)";
}

}  // namespace strata
