#pragma once
// Typed, path-aware reads of one YAML mapping of the config. Every error names the full YAML
// path ("httpServer.options.port: expected an integer 0-65535, got 'abc'"), so a user can find
// the line to fix. A key that is absent or null keeps the caller's default: that is also what an
// unset `${VAR}` produces.

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/options.h"
#include "strata/status.h"

namespace strata::config_internal {

// A value for error messages: the scalar text, or "a mapping" / "a sequence".
std::string Describe(const YAML::Node& node);
// "<path>: expected <expected>, got '<text>'".
Status TypeError(const std::string& path, std::string_view expected, const YAML::Node& node);
// "<path>: <what> is not supported yet".
Status NotSupportedYet(const std::string& path, std::string_view what);
// "a.b" + "c" -> "a.b.c"; "" + "c" -> "c".
std::string JoinPath(const std::string& parent, std::string_view key);

// Scalar conversions shared by fields, sequence items and CLI flags.
Result<bool> ReadBoolValue(const YAML::Node& node, const std::string& path);
Result<int64_t> ReadIntValue(const YAML::Node& node, const std::string& path, int64_t min,
                             int64_t max);
Result<std::string> ReadStringValue(const YAML::Node& node, const std::string& path);
// logLevel: DEBUG/INFO/WARN/ERROR/OFF in any case, or 0, 1, 2, 3, 100.
Result<LogLevel> ReadLogLevelValue(const YAML::Node& node, const std::string& path);

inline constexpr int64_t kMaxMillis = 2147483647;  // ~24.8 days, as JavaScript timers

class FieldReader {
 public:
  // Checks that `node` is a mapping (or null/absent: every field keeps its default) whose keys
  // are all in `known` and unique. Fails naming the first unknown or repeated key.
  static Result<FieldReader> Open(const YAML::Node& node, std::string path,
                                  std::initializer_list<std::string_view> known);

  const std::string& path() const { return path_; }
  std::string PathOf(std::string_view key) const { return JoinPath(path_, key); }
  // The value of `key`; an undefined node when the key is absent.
  YAML::Node Get(std::string_view key) const;
  // True when `key` is present with a non-null value.
  bool Has(std::string_view key) const;

  // Each Read* leaves `*out` unchanged when the key is absent or null.
  Status ReadBool(std::string_view key, bool* out) const;
  Status ReadString(std::string_view key, std::string* out) const;
  // A non-empty string starting with '/': an HTTP path that must match exactly.
  Status ReadUrlPath(std::string_view key, std::string* out) const;
  Status ReadStringList(std::string_view key, std::vector<std::string>* out) const;
  Status ReadMillis(std::string_view key, int64_t min, Millis* out) const;
  Status ReadEnum(std::string_view key, std::initializer_list<std::string_view> allowed,
                  std::string* out) const;
  template <typename T>
  Status ReadInt(std::string_view key, int64_t min, int64_t max, T* out) const {
    if (!Has(key)) return Status::Ok();
    Result<int64_t> value = ReadIntValue(Get(key), PathOf(key), min, max);
    if (!value.ok()) return value.status();
    *out = static_cast<T>(*value);
    return Status::Ok();
  }

 private:
  FieldReader(YAML::Node node, std::string path) : node_(node), path_(std::move(path)) {}

  YAML::Node node_;  // a mapping, or null
  std::string path_;
};

// For plugin-shaped sections ({type | name | path, options}) whose custom plugins strata cannot
// load yet: fails "<path>.name: 'x' is not supported yet" when `name` or `path` is given.
Status RejectCustomPlugin(const FieldReader& section);

}  // namespace strata::config_internal
