#pragma once
// Text edits of a config.yml for `strata install --write`: find a top-level section, replace it
// or append one, without touching (or reformatting) anything else in the file. A top-level
// section is the line `key:` at column 0 and every following line that is indented or blank;
// it ends at the next line starting in column 0 (another key, a comment, a document marker).
// Pure functions; thread-safe.

#include <optional>
#include <string>
#include <string_view>

#include "strata/status.h"

namespace strata {

// Byte range [begin, end) of the section `key` in `text`; trailing blank lines stay outside.
struct TextRange {
  size_t begin = 0;
  size_t end = 0;
};
std::optional<TextRange> FindTopLevelSection(std::string_view text, std::string_view key);

// The section `key` of an example config (as the connector's example_config gives it). If the
// example only has the other role's section (a connector serving both roles often shows its
// cache use), that one is reused under `key`. Without either: `key:\n  name: <name>\n`.
std::string SectionForRole(std::string_view example, std::string_view key, std::string_view name);

// `text` with the top-level `key` section replaced by `section` (which must start with
// "key:"), or `section` appended when there is none. kFailedPrecondition when the file picks
// the connector under the seed-era `plugins:` mapping instead: strata refuses both at once,
// and rewriting `plugins:` safely is beyond a text edit.
Result<std::string> SetTopLevelSection(std::string_view text, std::string_view key,
                                       std::string_view section);

}  // namespace strata
