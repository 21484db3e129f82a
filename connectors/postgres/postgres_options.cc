#include "connectors/postgres/postgres_options.h"

#include <algorithm>
#include <limits>

#include <rapidjson/document.h>

#include "connectors/common/json_options.h"

namespace strata {
namespace {

constexpr std::string_view kKnownKeys =
    "host, port, user, password, database, schema, defaultTable, splitChar, max, useJsonb, "
    "writeInterval, idleTimeoutMillis, notifications, role, sslmode, connectionTimeoutMillis, "
    "tombstoneTtl, tombstonePurgeInterval";
// The shortest derived purge interval: at most one sweep a minute.
constexpr int64_t kMinDerivedPurgeIntervalMs = 60000;
// Longest durations accepted, far from overflowing microseconds or clock arithmetic.
constexpr int64_t kMaxMillis = 10LL * 365 * 24 * 3600 * 1000;

Status Invalid(std::string_view key, std::string_view expected) {
  return Status::InvalidArgument("storage.options." + std::string(key) + ": expected " +
                                 std::string(expected));
}

Status NotSupported(std::string_view key, std::string_view why) {
  return Status::InvalidArgument("storage.options." + std::string(key) + ": not supported yet (" +
                                 std::string(why) + ")");
}

Status GetString(const rapidjson::Value& v, std::string_view key, bool allow_empty,
                 std::string& out) {
  if (!v.IsString() || (!allow_empty && v.GetStringLength() == 0)) {
    return Invalid(key, allow_empty ? "a string" : "a non-empty string");
  }
  out.assign(v.GetString(), v.GetStringLength());
  return Status();
}

Status GetInt(const rapidjson::Value& v, std::string_view key, int min, int max, int& out) {
  if (!v.IsInt64() || v.GetInt64() < min || v.GetInt64() > max) {
    return Invalid(key, "an integer from " + std::to_string(min) + " to " + std::to_string(max));
  }
  out = static_cast<int>(v.GetInt64());
  return Status();
}

Status GetMillis(const rapidjson::Value& v, std::string_view key, int64_t min, int64_t& out) {
  if (!v.IsInt64() || v.GetInt64() < min || v.GetInt64() > kMaxMillis) {
    return Invalid(key, "milliseconds from " + std::to_string(min) + " to " +
                            std::to_string(kMaxMillis) + " (10 years)");
  }
  out = v.GetInt64();
  return Status();
}

Status GetBool(const rapidjson::Value& v, std::string_view key, bool& out) {
  if (!v.IsBool()) return Invalid(key, "true or false");
  out = v.GetBool();
  return Status();
}

Status ApplySplitChar(const rapidjson::Value& v, PostgresOptions& options) {
  if (!v.IsString() || v.GetStringLength() != 1) return Invalid("splitChar", "one character");
  options.split_char = v.GetString()[0];
  return Status();
}

Status ApplySslmode(const rapidjson::Value& v, PostgresOptions& options) {
  std::string mode;
  STRATA_RETURN_IF_ERROR(GetString(v, "sslmode", false, mode));
  for (std::string_view known :
       {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}) {
    if (mode == known) {
      options.sslmode = mode;
      return Status();
    }
  }
  return Invalid("sslmode", "disable, allow, prefer, require, verify-ca or verify-full");
}

// deepstream creates NOTIFY triggers when these are true; strata does not (yet), so it accepts
// false and refuses true rather than silently not notifying.
Status ApplyNotifications(const rapidjson::Value& v) {
  if (!v.IsObject()) return Invalid("notifications", "a mapping");
  for (const auto& member : v.GetObject()) {
    std::string key = "notifications." + std::string(member.name.GetString());
    std::string_view event = member.name.GetString();
    if (event != "CREATE_TABLE" && event != "DESTROY_TABLE" && event != "INSERT" &&
        event != "UPDATE" && event != "DELETE") {
      return Status::InvalidArgument(
          "storage.options." + key +
          ": unknown option; known: CREATE_TABLE, DESTROY_TABLE, INSERT, UPDATE, DELETE");
    }
    bool on = false;
    STRATA_RETURN_IF_ERROR(GetBool(member.value, key, on));
    if (on) return NotSupported(key, "strata creates no NOTIFY triggers; set it to false");
  }
  return Status();
}

Status ApplyRole(const rapidjson::Value& v) {
  std::string role;
  STRATA_RETURN_IF_ERROR(GetString(v, "role", true, role));
  if (!role.empty()) return NotSupported("role", "tables are owned by the connecting user");
  return Status();
}

Status Apply(std::string_view key, const rapidjson::Value& v, PostgresOptions& o) {
  constexpr int kMaxInt = std::numeric_limits<int>::max();
  if (key == "host") return GetString(v, key, false, o.host);
  if (key == "port") return GetInt(v, key, 1, 65535, o.port);
  if (key == "user") return GetString(v, key, true, o.user);
  if (key == "password") return GetString(v, key, true, o.password);
  if (key == "database") return GetString(v, key, true, o.database);
  if (key == "schema") return GetString(v, key, false, o.schema);
  if (key == "defaultTable") return GetString(v, key, false, o.default_table);
  if (key == "splitChar") return ApplySplitChar(v, o);
  if (key == "max") return GetInt(v, key, 1, 64, o.max);
  if (key == "useJsonb") return GetBool(v, key, o.use_jsonb);
  if (key == "writeInterval") return GetInt(v, key, 0, kMaxInt, o.write_interval_ms);
  if (key == "idleTimeoutMillis") return GetInt(v, key, 0, kMaxInt, o.idle_timeout_ms);
  if (key == "notifications") return ApplyNotifications(v);
  if (key == "role") return ApplyRole(v);
  if (key == "sslmode") return ApplySslmode(v, o);
  if (key == "connectionTimeoutMillis") {
    return GetInt(v, key, 1, kMaxInt, o.connection_timeout_ms);
  }
  if (key == "tombstoneTtl") return GetMillis(v, key, 1, o.tombstone_ttl_ms);
  if (key == "tombstonePurgeInterval") {
    return GetMillis(v, key, 0, o.tombstone_purge_interval_ms);
  }
  return Status::InvalidArgument("storage.options." + std::string(key) +
                                 ": unknown option; known: " + std::string(kKnownKeys));
}

}  // namespace

int64_t TombstonePurgeIntervalMs(const PostgresOptions& options) {
  if (options.tombstone_purge_interval_ms > 0) return options.tombstone_purge_interval_ms;
  return std::max(options.tombstone_ttl_ms / 10, kMinDerivedPurgeIntervalMs);
}

Result<PostgresOptions> ParsePostgresOptions(std::string_view options_json) {
  PostgresOptions options;
  STRATA_RETURN_IF_ERROR(ForEachJsonOption(
      options_json, "storage", [&](std::string_view key, const rapidjson::Value& value) -> Status {
        return Apply(key, value, options);
      }));
  return options;
}

}  // namespace strata
