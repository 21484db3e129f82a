#include "connectors/redis/redis_options.h"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>

#include <rapidjson/document.h>

namespace strata {
namespace {

constexpr std::string_view kKnownOptions =
    "host, port, username, password, db, ttl, keyPrefix, connectTimeout, commandTimeout, url, "
    "tls, sentinels, name, sentinelUsername, sentinelPassword";
constexpr std::string_view kKnownTlsOptions = "ca, cert, key, servername, rejectUnauthorized";

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

// A boolean, or "true" / "false" (as environment variables give it).
std::optional<bool> ReadBool(const rapidjson::Value& value) {
  if (value.IsBool()) return value.GetBool();
  std::optional<std::string> text = ReadString(value);
  if (text == "true") return true;
  if (text == "false") return false;
  return std::nullopt;
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

// Applies "redis[s]://[[username]:password@]host[:port][/db]" (ioredis's url form); rediss://
// turns TLS on.
Status ApplyUrl(std::string_view url, const OptionErrors& errors, RedisOptions& options) {
  constexpr std::string_view kPlain = "redis://";
  constexpr std::string_view kTls = "rediss://";
  const Status invalid = errors.Invalid("url", "redis[s]://[[user]:password@]host[:port][/db]");
  if (url.starts_with(kTls)) {
    options.tls.enabled = true;
    url.remove_prefix(kTls.size());
  } else if (url.starts_with(kPlain)) {
    url.remove_prefix(kPlain.size());
  } else {
    return invalid;
  }
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

// Appends PEM text to `out`: `value` itself when it starts with "-----BEGIN" (ioredis takes PEM
// contents), else the contents of the file it names (what a YAML file usually holds).
Status LoadPem(std::string_view key, const rapidjson::Value& value, const OptionErrors& errors,
               std::string& out) {
  const std::string text(value.GetString(), value.GetStringLength());
  size_t start = text.find_first_not_of(" \t\r\n");
  if (start != std::string::npos && text.compare(start, 10, "-----BEGIN") == 0) {
    out += text + "\n";
    return Status();
  }
  std::ifstream file(text, std::ios::binary);
  if (!file) {
    return Status::InvalidArgument(errors.Path(key) + ": cannot read '" + text + "': " +
                                   std::strerror(errno) + " (expected PEM text or a file path)");
  }
  std::stringstream contents;
  contents << file.rdbuf();
  if (contents.str().find("-----BEGIN") == std::string::npos) {
    return Status::InvalidArgument(errors.Path(key) + ": '" + text + "' holds no PEM block");
  }
  out += contents.str() + "\n";
  return Status();
}

// `ca` takes one value or a list of them (node's tls options do); an empty string is no value.
Status ApplyPem(std::string_view key, const rapidjson::Value& value, bool allow_list,
                const OptionErrors& errors, std::string& out) {
  const std::string_view expected =
      allow_list ? "PEM text or a file path, or a list of them" : "PEM text or a file path";
  out.clear();
  if (allow_list && value.IsArray()) {
    for (const rapidjson::Value& item : value.GetArray()) {
      if (!item.IsString()) return errors.Invalid(key, expected);
      if (item.GetStringLength() > 0) STRATA_RETURN_IF_ERROR(LoadPem(key, item, errors, out));
    }
    return Status();
  }
  if (!value.IsString()) return errors.Invalid(key, expected);
  if (value.GetStringLength() == 0) return Status();
  return LoadPem(key, value, errors, out);
}

Status ApplyTlsOption(std::string_view name, const rapidjson::Value& value,
                      const OptionErrors& errors, RedisTlsOptions& tls) {
  const std::string key = "tls." + std::string(name);
  if (name == "ca") return ApplyPem(key, value, true, errors, tls.ca);
  if (name == "cert") return ApplyPem(key, value, false, errors, tls.cert);
  if (name == "key") return ApplyPem(key, value, false, errors, tls.key);
  if (name == "servername") return ApplyString(key, value, false, errors, tls.servername);
  if (name == "rejectUnauthorized") {
    std::optional<bool> reject = ReadBool(value);
    if (!reject) return errors.Invalid(key, "true or false");
    tls.reject_unauthorized = *reject;
    return Status();
  }
  return Status::InvalidArgument(errors.Path(key) +
                                 ": unknown option; known: " + std::string(kKnownTlsOptions));
}

// `tls: true | false | {ca, cert, key, servername, rejectUnauthorized}`; a mapping turns TLS on.
Status ApplyTls(const rapidjson::Value& value, const OptionErrors& errors, RedisTlsOptions& tls) {
  if (std::optional<bool> on = ReadBool(value)) {
    tls.enabled = *on;
    return Status();
  }
  if (!value.IsObject()) {
    return errors.Invalid("tls", "true, false, or a mapping of " + std::string(kKnownTlsOptions));
  }
  tls.enabled = true;
  for (const auto& member : value.GetObject()) {
    std::string_view name(member.name.GetString(), member.name.GetStringLength());
    STRATA_RETURN_IF_ERROR(ApplyTlsOption(name, member.value, errors, tls));
  }
  if (tls.cert.empty() != tls.key.empty()) {
    return tls.cert.empty() ? errors.Invalid("tls.cert", "a certificate to go with tls.key")
                            : errors.Invalid("tls.key", "a private key to go with tls.cert");
  }
  return Status();
}

// `sentinels: [{host, port}, ...]`, each entry named `sentinels[i]` in errors.
Status ApplySentinels(const rapidjson::Value& value, const OptionErrors& errors,
                      std::vector<RedisSentinelAddress>& sentinels) {
  if (!value.IsArray() || value.Empty()) {
    return errors.Invalid("sentinels", "a non-empty list of {host, port}");
  }
  sentinels.clear();
  for (rapidjson::SizeType i = 0; i < value.Size(); ++i) {
    const std::string key = "sentinels[" + std::to_string(i) + "]";
    const rapidjson::Value& entry = value[i];
    if (!entry.IsObject()) return errors.Invalid(key, "a mapping {host, port}");
    RedisSentinelAddress address;
    for (const auto& member : entry.GetObject()) {
      std::string_view name(member.name.GetString(), member.name.GetStringLength());
      if (name == "host") {
        STRATA_RETURN_IF_ERROR(
            ApplyString(key + ".host", member.value, false, errors, address.host));
      } else if (name == "port") {
        STRATA_RETURN_IF_ERROR(ApplyInteger(key + ".port", member.value, 1, 65535,
                                            "an integer 1-65535", errors, address.port));
      } else {
        return Status::InvalidArgument(errors.Path(key + "." + std::string(name)) +
                                       ": unknown option; known: host, port");
      }
    }
    sentinels.push_back(std::move(address));
  }
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
  if (key == "tls") return ApplyTls(value, errors, options.tls);
  if (key == "sentinels") return ApplySentinels(value, errors, options.sentinels);
  if (key == "name") return ApplyString(key, value, false, errors, options.name);
  if (key == "sentinelUsername") {
    return ApplyString(key, value, true, errors, options.sentinel_username);
  }
  if (key == "sentinelPassword") {
    return ApplyString(key, value, true, errors, options.sentinel_password);
  }
  if (key == "nodes") {
    return Status::InvalidArgument(errors.Path(key) +
                                   ": not supported by strata's redis connector (single node "
                                   "only)");
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
  if (!options.sentinels.empty() && options.name.empty()) {
    return errors.Invalid("name", "the master group name the sentinels monitor (with sentinels)");
  }
  return options;
}

std::string RedisTargetName(const RedisOptions& options) {
  if (options.sentinels.empty()) {
    return "redis " + options.host + ":" + std::to_string(options.port);
  }
  std::string name = "redis master '" + options.name + "' (sentinels ";
  for (size_t i = 0; i < options.sentinels.size(); ++i) {
    if (i > 0) name += ", ";
    name += options.sentinels[i].host + ":" + std::to_string(options.sentinels[i].port);
  }
  return name + ")";
}

}  // namespace strata
