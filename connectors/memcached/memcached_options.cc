#include "connectors/memcached/memcached_options.h"

#include <charconv>

#include <rapidjson/document.h>

#include "connectors/common/json_options.h"

namespace strata {
namespace {

constexpr uint32_t kMaxLifetime = 30 * 24 * 3600;  // memcached's relative-expiry limit
constexpr int kMaxPoolSize = 64;

Status Invalid(std::string_view key, std::string_view expected) {
  return Status::InvalidArgument("cache.options." + std::string(key) + ": expected " +
                                 std::string(expected));
}

// "host:port" (port optional, default 11211); "[v6addr]:port" for IPv6.
Result<MemcachedServer> ParseServer(std::string_view text) {
  MemcachedServer server;
  std::string_view host = text;
  std::string_view port;
  if (size_t colon = text.rfind(':');
      colon != std::string_view::npos && text.find(']', colon) == std::string_view::npos) {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) return Status::InvalidArgument("missing host");
  if (!port.empty()) {
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), server.port);
    if (ec != std::errc() || ptr != port.data() + port.size() || server.port == 0) {
      return Status::InvalidArgument("bad port");
    }
  }
  server.host = std::string(host);
  return server;
}

Status ApplyServerLocation(const rapidjson::Value& value, MemcachedOptions& options) {
  constexpr std::string_view kExpected =
      "\"host:port\" or a non-empty list of \"host:port\" strings";
  std::vector<const rapidjson::Value*> entries;
  if (value.IsString()) {
    entries.push_back(&value);
  } else if (value.IsArray() && !value.Empty()) {
    for (const auto& entry : value.GetArray()) entries.push_back(&entry);
  } else {
    return Invalid("serverLocation", kExpected);
  }
  options.servers.clear();
  for (const rapidjson::Value* entry : entries) {
    if (!entry->IsString()) return Invalid("serverLocation", kExpected);
    Result<MemcachedServer> server =
        ParseServer(std::string_view(entry->GetString(), entry->GetStringLength()));
    if (!server.ok()) return Invalid("serverLocation", kExpected);
    options.servers.push_back(std::move(*server));
  }
  return Status();
}

Status ApplyLifetime(const rapidjson::Value& value, MemcachedOptions& options) {
  if (!value.IsUint() || value.GetUint() > kMaxLifetime) {
    return Invalid("lifetime", "an integer from 0 to 2592000 (seconds, 0 = no expiry)");
  }
  options.lifetime_s = value.GetUint();
  return Status();
}

// Reads a positive integer no larger than `max` into `out`.
Status ApplyPositive(const rapidjson::Value& value, std::string_view key, int max,
                     std::string_view unit, int& out) {
  if (!value.IsInt() || value.GetInt() < 1 || value.GetInt() > max) {
    return Invalid(key, "an integer from 1 to " + std::to_string(max) + std::string(unit));
  }
  out = value.GetInt();
  return Status();
}

Status ApplyClientOptions(const rapidjson::Value& value, MemcachedOptions& options) {
  if (!value.IsObject()) return Invalid("memcachedOptions", "an object");
  for (const auto& member : value.GetObject()) {
    std::string_view key(member.name.GetString(), member.name.GetStringLength());
    if (key == "timeout") {
      STRATA_RETURN_IF_ERROR(ApplyPositive(member.value, "memcachedOptions.timeout", 3600000,
                                           " (milliseconds)", options.timeout_ms));
    } else if (key == "poolSize") {
      STRATA_RETURN_IF_ERROR(ApplyPositive(member.value, "memcachedOptions.poolSize", kMaxPoolSize,
                                           "", options.pool_size));
    } else if (key == "retry") {
      STRATA_RETURN_IF_ERROR(ApplyPositive(member.value, "memcachedOptions.retry", 3600000,
                                           " (milliseconds)", options.retry_ms));
    } else {
      return Status::InvalidArgument("cache.options.memcachedOptions." + std::string(key) +
                                     ": unknown option; known: timeout, poolSize, retry");
    }
  }
  return Status();
}

}  // namespace

Result<MemcachedOptions> ParseMemcachedOptions(std::string_view options_json) {
  MemcachedOptions options;
  STRATA_RETURN_IF_ERROR(ForEachJsonOption(
      options_json, "cache", [&](std::string_view key, const rapidjson::Value& value) -> Status {
        if (key == "serverLocation") return ApplyServerLocation(value, options);
        if (key == "lifetime") return ApplyLifetime(value, options);
        if (key == "memcachedOptions") return ApplyClientOptions(value, options);
        return Status::InvalidArgument(
            "cache.options." + std::string(key) +
            ": unknown option; known: serverLocation, lifetime, memcachedOptions");
      }));
  return options;
}

std::string DescribeServers(const std::vector<MemcachedServer>& servers) {
  std::string out;
  for (const MemcachedServer& server : servers) {
    if (!out.empty()) out += ',';
    out += server.host + ':' + std::to_string(server.port);
  }
  return out;
}

}  // namespace strata
