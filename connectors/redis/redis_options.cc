#include "connectors/redis/redis_options.h"

#include <charconv>
#include <limits>
#include <optional>

#include <rapidjson/document.h>

namespace strata {
namespace {

constexpr std::string_view kKnownOptions =
    "host, port, username, password, db, ttl, keyPrefix, connectTimeout, commandTimeout, url";

// Names options in errors: "cache.options.port".
class OptionErrors {
 public:
  explicit OptionErrors(std::string_view role) : role_(role) {}
  Status Invalid(std::string_view key, std::string_view expected) const {
    return Status::InvalidArgument(Path(key) + ": expected " + std::string(expected));
  }
  std::string Path(std::string_view key) const {
    return std::string(role_) + ".options." + std::string(key);
  }

 private:
  std::string_view role_;
};

std::optional<int64_t> ParseDecimal(std::string_view text) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// An integer in [min, max], given as a JSON number or a decimal string.
std::optional<int64_t> ReadInteger(const rapidjson::Value& value, int64_t min, int64_t max) {
  std::optional<int64_t> number;
  if (value.IsInt64()) number = value.GetInt64();
  if (value.IsString()) number = ParseDecimal({value.GetString(), value.GetStringLength()});
  if (!number || *number < min || *number > max) return std::nullopt;
  return number;
}

std::optional<std::string> ReadString(const rapidjson::Value& value) {
  if (!value.IsString()) return std::nullopt;
  return std::string(value.GetString(), value.GetStringLength());
}

std::string PercentDecode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned int byte = 0;
    if (text[i] == '%' && i + 2 < text.size() &&
        std::from_chars(text.data() + i + 1, text.data() + i + 3, byte, 16).ptr ==
            text.data() + i + 3) {
      out.push_back(static_cast<char>(byte));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

// Applies "redis://[[username]:password@]host[:port][/db]" (ioredis's url form).
Status ApplyUrl(std::string_view url, const OptionErrors& errors, RedisOptions& options) {
  constexpr std::string_view kScheme = "redis://";
  const Status invalid = errors.Invalid("url", "redis://[[user]:password@]host[:port][/db]");
  if (!url.starts_with(kScheme)) return invalid;
  url.remove_prefix(kScheme.size());
  if (size_t at = url.rfind('@'); at != std::string_view::npos) {
    std::string_view credentials = url.substr(0, at);
    size_t colon = credentials.find(':');
    options.username = PercentDecode(credentials.substr(0, colon));
    if (colon != std::string_view::npos) {
      options.password = PercentDecode(credentials.substr(colon + 1));
    }
    url.remove_prefix(at + 1);
  }
  size_t slash = url.find('/');
  if (slash != std::string_view::npos) {
    std::optional<int64_t> db = ParseDecimal(url.substr(slash + 1));
    if (!db || *db < 0 || *db > std::numeric_limits<int>::max()) return invalid;
    options.db = static_cast<int>(*db);
    url = url.substr(0, slash);
  }
  size_t colon = url.rfind(':');
  if (colon != std::string_view::npos && url.find(']', colon) == std::string_view::npos) {
    std::optional<int64_t> port = ParseDecimal(url.substr(colon + 1));
    if (!port || *port < 1 || *port > 65535) return invalid;
    options.port = static_cast<uint16_t>(*port);
    url = url.substr(0, colon);
  }
  if (url.empty()) return invalid;
  options.host = std::string(url);
  return Status();
}

Status ApplyString(std::string_view key, const rapidjson::Value& value, bool allow_empty,
                   const OptionErrors& errors, std::string& out) {
  std::optional<std::string> text = ReadString(value);
  if (!text || (!allow_empty && text->empty())) {
    return errors.Invalid(key, allow_empty ? "a string" : "a non-empty string");
  }
  out = std::move(*text);
  return Status();
}

template <typename T>
Status ApplyInteger(std::string_view key, const rapidjson::Value& value, int64_t min, int64_t max,
                    std::string_view expected, const OptionErrors& errors, T& out) {
  std::optional<int64_t> number = ReadInteger(value, min, max);
  if (!number) return errors.Invalid(key, expected);
  out = static_cast<T>(*number);
  return Status();
}

Status ApplyOption(std::string_view key, const rapidjson::Value& value, const OptionErrors& errors,
                   RedisOptions& options) {
  constexpr int64_t kMaxInt = std::numeric_limits<int>::max();
  if (key == "host") return ApplyString(key, value, false, errors, options.host);
  if (key == "username") return ApplyString(key, value, true, errors, options.username);
  if (key == "password") return ApplyString(key, value, true, errors, options.password);
  if (key == "keyPrefix") return ApplyString(key, value, true, errors, options.key_prefix);
  if (key == "port") {
    return ApplyInteger(key, value, 1, 65535, "an integer 1-65535", errors, options.port);
  }
  if (key == "db") {
    return ApplyInteger(key, value, 0, kMaxInt, "a non-negative integer", errors, options.db);
  }
  if (key == "ttl") {
    return ApplyInteger(key, value, 0, kMaxInt, "a non-negative integer (seconds)", errors,
                        options.ttl_seconds);
  }
  if (key == "connectTimeout") {
    return ApplyInteger(key, value, 1, kMaxInt, "a positive integer (milliseconds)", errors,
                        options.connect_timeout_ms);
  }
  if (key == "commandTimeout") {
    return ApplyInteger(key, value, 1, kMaxInt, "a positive integer (milliseconds)", errors,
                        options.command_timeout_ms);
  }
  if (key == "nodes" || key == "sentinels" || key == "tls") {
    return Status::InvalidArgument(errors.Path(key) +
                                   ": not supported by strata's redis connector (single node, "
                                   "plain TCP only)");
  }
  return Status::InvalidArgument(errors.Path(key) +
                                 ": unknown option; known: " + std::string(kKnownOptions));
}

}  // namespace

Result<RedisOptions> ParseRedisOptions(std::string_view options_json,
                                       std::string_view role_prefix) {
  RedisOptions options;
  if (options_json.empty()) return options;
  const OptionErrors errors(role_prefix);
  rapidjson::Document doc;
  doc.Parse(options_json.data(), options_json.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    return Status::InvalidArgument(std::string(role_prefix) + ".options: expected a mapping");
  }
  const rapidjson::Value* url = nullptr;
  for (const auto& member : doc.GetObject()) {
    std::string_view key(member.name.GetString(), member.name.GetStringLength());
    if (key == "url") {
      url = &member.value;
      continue;
    }
    STRATA_RETURN_IF_ERROR(ApplyOption(key, member.value, errors, options));
  }
  // Like @deepstream/cache-redis, `url` overrides host, port and credentials given beside it.
  if (url != nullptr) {
    if (!url->IsString()) return errors.Invalid("url", "a string");
    STRATA_RETURN_IF_ERROR(ApplyUrl({url->GetString(), url->GetStringLength()}, errors, options));
  }
  return options;
}

}  // namespace strata
