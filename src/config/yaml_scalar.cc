#include "config/yaml_scalar.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <string_view>
#include <utility>

namespace strata::config_internal {
namespace {

constexpr std::string_view kStrTag = "tag:yaml.org,2002:str";

bool IsOneOf(const std::string& text, std::initializer_list<std::string_view> words) {
  for (std::string_view word : words) {
    if (text == word) return true;
  }
  return false;
}

bool IsDigits(std::string_view text, int base) {
  if (text.empty()) return false;
  for (char c : text) {
    bool ok = base == 16 ? std::isxdigit(static_cast<unsigned char>(c)) != 0
                         : c >= '0' && c < static_cast<char>('0' + base);
    if (!ok) return false;
  }
  return true;
}

// Core schema float: [-+]? ( \.[0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
bool IsCoreFloat(std::string_view text) {
  size_t i = 0;
  auto digits = [&] {
    size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    return i - start;
  };
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
  size_t int_digits = digits();
  size_t frac_digits = 0;
  bool has_dot = i < text.size() && text[i] == '.';
  if (has_dot) {
    ++i;
    frac_digits = digits();
  }
  if (int_digits == 0 && frac_digits == 0) return false;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
    if (digits() == 0) return false;
  }
  return i == text.size();
}

bool IsCoreInfOrNan(std::string_view text) {
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) text.remove_prefix(1);
  return text == ".inf" || text == ".Inf" || text == ".INF" || text == ".nan" || text == ".NaN" ||
         text == ".NAN";
}

std::string JsonNumber(const std::string& text, ScalarKind kind) {
  if (kind == ScalarKind::kInt) {
    if (auto value = ParseCoreInt(text)) return std::to_string(*value);
  }
  std::string_view digits = text;
  if (digits.starts_with("+")) digits.remove_prefix(1);  // from_chars takes no '+'
  double value = 0;
  auto parsed = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  bool complete = parsed.ec == std::errc() && parsed.ptr == digits.data() + digits.size();
  if (!complete || !std::isfinite(value)) return JsonQuote(text);  // JSON has no inf/nan
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, end);
}

Status AppendJson(const YAML::Node& node, const std::string& path, std::string* out);

Status AppendMap(const YAML::Node& node, const std::string& path, std::string* out) {
  out->push_back('{');
  bool first = true;
  for (const auto& entry : node) {
    if (!entry.first.IsScalar()) {
      return Status::InvalidArgument(path + ": mapping keys must be plain values");
    }
    const std::string& key = entry.first.Scalar();
    if (!first) out->push_back(',');
    first = false;
    out->append(JsonQuote(key)).push_back(':');
    STRATA_RETURN_IF_ERROR(AppendJson(entry.second, path + "." + key, out));
  }
  out->push_back('}');
  return Status::Ok();
}

Status AppendSequence(const YAML::Node& node, const std::string& path, std::string* out) {
  out->push_back('[');
  for (size_t i = 0; i < node.size(); ++i) {
    if (i > 0) out->push_back(',');
    STRATA_RETURN_IF_ERROR(AppendJson(node[i], path + "[" + std::to_string(i) + "]", out));
  }
  out->push_back(']');
  return Status::Ok();
}

Status AppendScalar(const YAML::Node& node, std::string* out) {
  ScalarKind kind = ResolveScalar(node);
  switch (kind) {
    case ScalarKind::kNull:
      out->append("null");
      break;
    case ScalarKind::kBool:
      out->append(IsOneOf(node.Scalar(), {"true", "True", "TRUE"}) ? "true" : "false");
      break;
    case ScalarKind::kInt:
    case ScalarKind::kFloat:
      out->append(JsonNumber(node.Scalar(), kind));
      break;
    case ScalarKind::kString:
      out->append(JsonQuote(node.Scalar()));
      break;
  }
  return Status::Ok();
}

Status AppendJson(const YAML::Node& node, const std::string& path, std::string* out) {
  if (node.IsMap()) return AppendMap(node, path, out);
  if (node.IsSequence()) return AppendSequence(node, path, out);
  return AppendScalar(node, out);
}

}  // namespace

ScalarKind ResolveScalar(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return ScalarKind::kNull;
  const std::string& tag = node.Tag();
  if (tag == "!" || tag == kStrTag) return ScalarKind::kString;
  const std::string& text = node.Scalar();
  if (IsOneOf(text, {"", "~", "null", "Null", "NULL"})) return ScalarKind::kNull;
  if (IsOneOf(text, {"true", "True", "TRUE", "false", "False", "FALSE"})) {
    return ScalarKind::kBool;
  }
  if (ParseCoreInt(text)) return ScalarKind::kInt;
  if (IsCoreFloat(text) || IsCoreInfOrNan(text)) return ScalarKind::kFloat;
  return ScalarKind::kString;
}

std::optional<int64_t> ParseCoreInt(const std::string& text) {
  std::string_view digits = text;
  int base = 10;
  bool negative = false;
  if (digits.starts_with("0x")) {
    base = 16;
    digits.remove_prefix(2);
  } else if (digits.starts_with("0o")) {
    base = 8;
    digits.remove_prefix(2);
  } else if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) {
    negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  if (!IsDigits(digits, base)) return std::nullopt;
  uint64_t magnitude = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude, base);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  constexpr uint64_t kMaxPositive = static_cast<uint64_t>(INT64_MAX);
  if (magnitude > kMaxPositive + (negative ? 1 : 0)) return std::nullopt;
  if (negative) return static_cast<int64_t>(0 - magnitude);
  return static_cast<int64_t>(magnitude);
}

std::string JsonQuote(const std::string& text) {
  static constexpr std::pair<char, std::string_view> kEscapes[] = {
      {'"', "\\\""}, {'\\', "\\\\"}, {'\b', "\\b"}, {'\f', "\\f"},
      {'\n', "\\n"}, {'\r', "\\r"},  {'\t', "\\t"}};
  std::string out = "\"";
  for (char c : text) {
    auto escape = std::find_if(std::begin(kEscapes), std::end(kEscapes),
                               [c](const auto& entry) { return entry.first == c; });
    if (escape != std::end(kEscapes)) {
      out += escape->second;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char control[8];
      std::snprintf(control, sizeof(control), "\\u%04x", static_cast<unsigned char>(c));
      out += control;
    } else {
      out.push_back(c);  // UTF-8 passes through: JSON text is UTF-8
    }
  }
  out.push_back('"');
  return out;
}

Result<std::string> YamlToJson(const YAML::Node& node, const std::string& path) {
  std::string out;
  STRATA_RETURN_IF_ERROR(AppendJson(node, path, &out));
  return out;
}

}  // namespace strata::config_internal
