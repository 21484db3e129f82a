#pragma once
// deepstream's config preprocessing: `${VAR}`, `file(path)` and `fileLoad(path)`.
//
// `${VAR}` is textual over the whole file, as in deepstream (so it may appear in keys or expand
// to YAML structure). `file()` and `fileLoad()` are applied to the parsed tree's values instead of
// the raw text: deepstream strips comments from the text first (truncating `node#one` to `node`)
// so commented-out `fileLoad(...)` lines are harmless there; we leave comments to the YAML
// parser, which keeps quoted `#` correct, and so must not expand references inside comments.

#include <string>
#include <string_view>

#include <yaml-cpp/yaml.h>

#include "strata/status.h"

namespace strata::config_internal {

// Replaces every `${NAME}` with the environment variable NAME, or "" when it is unset.
std::string SubstituteEnv(std::string_view text);

// `relative` made absolute against `base_dir` (unchanged if already absolute).
std::string ResolveAgainst(const std::string& base_dir, const std::string& relative);

// Walks every value of `root` (never keys): each `file(p)` inside a scalar becomes the absolute
// path of p; a scalar that is exactly `fileLoad(p)` becomes the content of p, parsed when p ends
// in .yml/.yaml/.json (with `${VAR}` substituted first), else the text as a string. Errors name
// the YAML path of the value.
Status ResolveFileReferences(YAML::Node root, const std::string& base_dir);

}  // namespace strata::config_internal
