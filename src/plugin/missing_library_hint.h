#pragma once
// Turns a dlopen error about a missing dependency into advice a user can act on: which shared
// library is missing and which Debian package provides it. Pure functions; thread-safe.

#include <optional>
#include <string>
#include <string_view>

namespace strata {

// The library named in "libfoo.so.1: cannot open shared object file: ...", if that is what
// `dlerror_text` says.
std::optional<std::string> MissingLibraryOf(std::string_view dlerror_text);

// "install the Debian package libhiredis0.14 (apt-get install libhiredis0.14)" for the client
// libraries strata's connectors use, and a generic sentence for any other library.
std::string InstallHintFor(std::string_view library);

}  // namespace strata
