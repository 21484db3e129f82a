#include "config/field_reader.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <utility>

#include "config/yaml_scalar.h"

namespace strata::config_internal {
namespace {

bool IsAbsent(const YAML::Node& node) { return !node.IsDefined() || node.IsNull(); }

std::string RangeText(int64_t min, int64_t max) {
  if (max >= kMaxMillis) return "an integer >= " + std::to_string(min);
  return "an integer " + std::to_string(min) + "-" + std::to_string(max);
}

std::string ToUpper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return text;
}

std::string JoinWords(std::initializer_list<std::string_view> words) {
  std::string out;
  for (std::string_view word : words) {
    if (!out.empty()) out += ", ";
    out += word;
  }
  return out;
}

}  // namespace

std::string Describe(const YAML::Node& node) {
  if (node.IsMap()) return "a mapping";
  if (node.IsSequence()) return "a sequence";
  if (IsAbsent(node)) return "null";
  return "'" + node.Scalar() + "'";
}

Status TypeError(const std::string& path, std::string_view expected, const YAML::Node& node) {
  std::string got = Describe(node);
  return Status::InvalidArgument(path + ": expected " + std::string(expected) + ", got " + got);
}

Status NotSupportedYet(const std::string& path, std::string_view what) {
  return Status::InvalidArgument(path + ": " + std::string(what) + " is not supported yet");
}

std::string JoinPath(const std::string& parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return parent + "." + std::string(key);
}

Result<bool> ReadBoolValue(const YAML::Node& node, const std::string& path) {
  if (!node.IsScalar() || ResolveScalar(node) != ScalarKind::kBool) {
    return TypeError(path, "true or false", node);
  }
  const std::string& text = node.Scalar();
  return text == "true" || text == "True" || text == "TRUE";
}

Result<int64_t> ReadIntValue(const YAML::Node& node, const std::string& path, int64_t min,
                             int64_t max) {
  std::optional<int64_t> value;
  if (node.IsScalar() && ResolveScalar(node) == ScalarKind::kInt) {
    value = ParseCoreInt(node.Scalar());
  }
  if (!value || *value < min || *value > max) return TypeError(path, RangeText(min, max), node);
  return *value;
}

Result<std::string> ReadStringValue(const YAML::Node& node, const std::string& path) {
  if (!node.IsScalar()) return TypeError(path, "a string", node);
  return node.Scalar();
}

Result<LogLevel> ReadLogLevelValue(const YAML::Node& node, const std::string& path) {
  static constexpr std::pair<std::string_view, LogLevel> kNames[] = {{"DEBUG", LogLevel::kDebug},
                                                                     {"INFO", LogLevel::kInfo},
                                                                     {"WARN", LogLevel::kWarn},
                                                                     {"ERROR", LogLevel::kError},
                                                                     {"OFF", LogLevel::kOff}};
  if (node.IsScalar()) {
    std::string text = ToUpper(node.Scalar());
    std::optional<int64_t> number = ParseCoreInt(node.Scalar());
    for (const auto& [name, level] : kNames) {
      if (text == name || (number && *number == static_cast<int64_t>(level))) return level;
    }
  }
  return TypeError(path, "one of DEBUG, INFO, WARN, ERROR, OFF or 0, 1, 2, 3, 100", node);
}

Result<FieldReader> FieldReader::Open(const YAML::Node& node, std::string path,
                                      std::initializer_list<std::string_view> known) {
  if (IsAbsent(node)) return FieldReader(YAML::Node(YAML::NodeType::Null), std::move(path));
  if (!node.IsMap()) return TypeError(path, "a mapping", node);
  std::set<std::string> seen;
  for (const auto& entry : node) {
    std::string key = entry.first.IsScalar() ? entry.first.Scalar() : Describe(entry.first);
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      return Status::InvalidArgument("unknown key '" + JoinPath(path, key) + "'");
    }
    if (!seen.insert(key).second) {
      return Status::InvalidArgument("duplicate key '" + JoinPath(path, key) + "'");
    }
  }
  return FieldReader(node, std::move(path));
}

YAML::Node FieldReader::Get(std::string_view key) const {
  if (node_.IsMap()) {
    for (const auto& entry : node_) {
      if (entry.first.IsScalar() && entry.first.Scalar() == key) return entry.second;
    }
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

bool FieldReader::Has(std::string_view key) const { return !IsAbsent(Get(key)); }

Status FieldReader::ReadBool(std::string_view key, bool* out) const {
  if (!Has(key)) return Status::Ok();
  Result<bool> value = ReadBoolValue(Get(key), PathOf(key));
  if (!value.ok()) return value.status();
  *out = *value;
  return Status::Ok();
}

Status FieldReader::ReadString(std::string_view key, std::string* out) const {
  if (!Has(key)) return Status::Ok();
  STRATA_ASSIGN_OR_RETURN(*out, ReadStringValue(Get(key), PathOf(key)));
  return Status::Ok();
}

Status FieldReader::ReadUrlPath(std::string_view key, std::string* out) const {
  if (!Has(key)) return Status::Ok();
  YAML::Node node = Get(key);
  if (!node.IsScalar() || !node.Scalar().starts_with("/")) {
    return TypeError(PathOf(key), "a path starting with '/'", node);
  }
  *out = node.Scalar();
  return Status::Ok();
}

Status FieldReader::ReadStringList(std::string_view key, std::vector<std::string>* out) const {
  if (!Has(key)) return Status::Ok();
  YAML::Node node = Get(key);
  if (!node.IsSequence()) return TypeError(PathOf(key), "a sequence of strings", node);
  std::vector<std::string> items;
  for (size_t i = 0; i < node.size(); ++i) {
    std::string item_path = PathOf(key) + "[" + std::to_string(i) + "]";
    STRATA_ASSIGN_OR_RETURN(std::string item, ReadStringValue(node[i], item_path));
    items.push_back(std::move(item));
  }
  *out = std::move(items);
  return Status::Ok();
}

Status FieldReader::ReadMillis(std::string_view key, int64_t min, Millis* out) const {
  int64_t value = out->count();
  STRATA_RETURN_IF_ERROR(ReadInt(key, min, kMaxMillis, &value));
  *out = Millis(value);
  return Status::Ok();
}

Status FieldReader::ReadEnum(std::string_view key, std::initializer_list<std::string_view> allowed,
                             std::string* out) const {
  if (!Has(key)) return Status::Ok();
  YAML::Node node = Get(key);
  if (node.IsScalar() &&
      std::find(allowed.begin(), allowed.end(), node.Scalar()) != allowed.end()) {
    *out = node.Scalar();
    return Status::Ok();
  }
  return TypeError(PathOf(key), "one of " + JoinWords(allowed), node);
}

Status RejectCustomPlugin(const FieldReader& section) {
  for (std::string_view key : {"name", "path"}) {
    std::string value;
    STRATA_RETURN_IF_ERROR(section.ReadString(key, &value));
    if (section.Has(key)) return NotSupportedYet(section.PathOf(key), "'" + value + "'");
  }
  return Status::Ok();
}

}  // namespace strata::config_internal
