#include "connectors/redis/redis_connector.h"

#include <algorithm>
#include <charconv>
#include <utility>
#include <vector>

#include "strata/connector_abi.h"

namespace strata {
namespace {

// Records per command in the bulk forms: big enough to amortise round trips, small enough that
// one command never blocks Redis (single-threaded) for long.
constexpr size_t kBulkChunk = 512;

using Type = RedisValue::Type;

// What an error reply means for the caller (abseil's guidance on codes).
Status ErrorReply(const std::string& text) {
  std::string message = "redis: " + text;
  for (std::string_view transient :
       {"LOADING", "BUSY", "MASTERDOWN", "READONLY", "TRYAGAIN", "CLUSTERDOWN", "NOAUTH"}) {
    if (text.starts_with(transient)) return Status::Unavailable(message);
  }
  if (text.starts_with("OOM")) return Status::ResourceExhausted(message);
  return Status::Internal(message);
}

// The first error among `replies` and their elements (EXEC answers with an array).
Status FirstError(const std::vector<RedisValue>& replies) {
  for (const RedisValue& reply : replies) {
    if (reply.type == Type::kError) return ErrorReply(reply.text);
    STRATA_RETURN_IF_ERROR(FirstError(reply.elements));
  }
  return Status();
}

Status Unexpected(std::string_view command) {
  return Status::Internal("redis: unexpected reply to " + std::string(command));
}

Result<Version> ParseVersion(const RedisValue& value, std::string_view name) {
  Version version = 0;
  const std::string& text = value.text;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), version);
  if (value.type != Type::kString || ec != std::errc() || end != text.data() + text.size()) {
    return Status::DataLoss("redis: version of record '" + std::string(name) +
                            "' is not an integer: '" + text + "'");
  }
  return version;
}

// A record from the values of its `_v` and `_d` keys.
Result<std::optional<RecordValue>> PairToRecord(const RedisValue& version_value, RedisValue& data,
                                                std::string_view name) {
  // A version without data: one key of the pair expired just before the other.
  if (version_value.type == Type::kNil || data.type == Type::kNil) {
    return std::optional<RecordValue>();
  }
  STRATA_ASSIGN_OR_RETURN(Version version, ParseVersion(version_value, name));
  return std::optional<RecordValue>(RecordValue{version, std::move(data.text)});
}

// The answer to MGET <name>_v <name>_d.
Result<std::optional<RecordValue>> ToRecord(Result<std::vector<RedisValue>> replies,
                                            const std::string& name) {
  if (!replies.ok()) return replies.status();
  STRATA_RETURN_IF_ERROR(FirstError(*replies));
  RedisValue& pair = replies->front();
  if (pair.type != Type::kArray || pair.elements.size() != 2) return Unexpected("MGET");
  return PairToRecord(pair.elements[0], pair.elements[1], name);
}

// The answers to the MGET chunks of GetBulk (`_v`, `_d` of each name in turn), in order.
Result<GetBulkResult> ToGetBulk(Result<std::vector<RedisValue>> replies,
                                const std::vector<std::string>& names) {
  if (!replies.ok()) return replies.status();
  STRATA_RETURN_IF_ERROR(FirstError(*replies));
  GetBulkResult result;
  result.reserve(names.size());
  for (RedisValue& chunk : *replies) {
    if (chunk.type != Type::kArray || chunk.elements.size() % 2 != 0) return Unexpected("MGET");
    for (size_t i = 0; i < chunk.elements.size(); i += 2) {
      if (result.size() >= names.size()) return Unexpected("MGET");
      STRATA_ASSIGN_OR_RETURN(
          std::optional<RecordValue> record,
          PairToRecord(chunk.elements[i], chunk.elements[i + 1], names[result.size()]));
      result.push_back(std::move(record));
    }
  }
  if (result.size() != names.size()) return Unexpected("MGET");
  return result;
}

Result<std::optional<Version>> ToVersion(Result<std::vector<RedisValue>> replies,
                                         const std::string& name) {
  if (!replies.ok()) return replies.status();
  STRATA_RETURN_IF_ERROR(FirstError(*replies));
  const RedisValue& reply = replies->front();
  if (reply.type == Type::kNil) return std::optional<Version>();
  STRATA_ASSIGN_OR_RETURN(Version version, ParseVersion(reply, name));
  return std::optional<Version>(version);
}

// The answers to the MGET chunks of HeadBulk, one element per name in order.
Result<HeadBulkResult> ToHeadBulk(Result<std::vector<RedisValue>> replies,
                                  const std::vector<std::string>& names) {
  if (!replies.ok()) return replies.status();
  STRATA_RETURN_IF_ERROR(FirstError(*replies));
  HeadBulkResult result;
  size_t index = 0;
  for (const RedisValue& chunk : *replies) {
    if (chunk.type != Type::kArray) return Unexpected("MGET");
    for (const RedisValue& element : chunk.elements) {
      if (index >= names.size()) return Unexpected("MGET");
      const std::string& name = names[index++];
      if (element.type == Type::kNil) {
        result.missing.push_back(name);
        continue;
      }
      STRATA_ASSIGN_OR_RETURN(result.versions[name], ParseVersion(element, name));
    }
  }
  if (index != names.size()) return Unexpected("MGET");
  return result;
}

}  // namespace

RedisConnector::RedisConnector(RedisOptions options)
    : options_(std::move(options)), pipeline_(options_) {}

RedisConnector::~RedisConnector() = default;

void RedisConnector::Start(DoneCallback ready) { pipeline_.Start(std::move(ready)); }

void RedisConnector::Close(DoneCallback done) { pipeline_.Close(std::move(done)); }

void RedisConnector::SetEventListener(ConnectorEventListener listener) {
  pipeline_.SetEventListener(
      [listener = std::move(listener)](ConnectorEvent event, const Status& detail) {
        listener(event, "redis", detail);
      });
}

std::string RedisConnector::VersionKey(std::string_view name) const {
  return options_.key_prefix + std::string(name) + "_v";
}

std::string RedisConnector::DataKey(std::string_view name) const {
  return options_.key_prefix + std::string(name) + "_d";
}

void RedisConnector::AppendSet(std::string_view name, const RecordValue& value,
                               std::vector<RedisCommand>* commands) const {
  std::string version = std::to_string(value.version);
  if (options_.ttl_seconds == 0) {
    commands->push_back({"MSET", VersionKey(name), std::move(version), DataKey(name), value.json});
    return;
  }
  std::string ttl = std::to_string(options_.ttl_seconds);
  commands->push_back({"MULTI"});
  commands->push_back({"SET", VersionKey(name), std::move(version), "EX", ttl});
  commands->push_back({"SET", DataKey(name), value.json, "EX", ttl});
  commands->push_back({"EXEC"});
}

void RedisConnector::Submit(std::vector<RedisCommand> commands, DoneCallback cb) {
  pipeline_.Submit(
      {std::move(commands), [cb = std::move(cb)](Result<std::vector<RedisValue>> replies) {
         cb(replies.ok() ? FirstError(*replies) : replies.status());
       }});
}

void RedisConnector::Get(std::string_view name, Callback<std::optional<RecordValue>> cb) {
  pipeline_.Submit(
      {{{"MGET", VersionKey(name), DataKey(name)}},
       [cb = std::move(cb), name = std::string(name)](Result<std::vector<RedisValue>> replies) {
         cb(ToRecord(std::move(replies), name));
       }});
}

// `verb` over both keys of every name, kBulkChunk names per command.
std::vector<RedisCommand> RedisConnector::KeyPairCommands(
    const char* verb, std::span<const std::string> names) const {
  std::vector<RedisCommand> commands;
  for (size_t begin = 0; begin < names.size(); begin += kBulkChunk) {
    RedisCommand command = {verb};
    for (const std::string& name :
         names.subspan(begin, std::min(kBulkChunk, names.size() - begin))) {
      command.push_back(VersionKey(name));
      command.push_back(DataKey(name));
    }
    commands.push_back(std::move(command));
  }
  return commands;
}

void RedisConnector::GetBulk(std::span<const std::string> names, Callback<GetBulkResult> cb) {
  if (names.empty()) return cb(GetBulkResult{});
  pipeline_.Submit(
      {KeyPairCommands("MGET", names),
       [cb = std::move(cb), names = std::vector<std::string>(names.begin(), names.end())](
           Result<std::vector<RedisValue>> replies) { cb(ToGetBulk(std::move(replies), names)); }});
}

void RedisConnector::Set(std::string_view name, const RecordValue& value, DoneCallback cb) {
  std::vector<RedisCommand> commands;
  AppendSet(name, value, &commands);
  Submit(std::move(commands), std::move(cb));
}

void RedisConnector::Delete(std::string_view name, DoneCallback cb) {
  Submit({{"DEL", VersionKey(name), DataKey(name)}}, std::move(cb));
}

void RedisConnector::SetBulk(std::span<const NamedValue> batch, DoneCallback cb) {
  if (batch.empty()) return cb(Status());
  std::vector<RedisCommand> commands;
  if (options_.ttl_seconds != 0) {
    // One MULTI per record keeps each pair atomic; the pipeline keeps it one round trip.
    for (const NamedValue& record : batch) AppendSet(record.name, record.value, &commands);
    return Submit(std::move(commands), std::move(cb));
  }
  for (size_t begin = 0; begin < batch.size(); begin += kBulkChunk) {
    RedisCommand mset = {"MSET"};
    for (const NamedValue& record :
         batch.subspan(begin, std::min(kBulkChunk, batch.size() - begin))) {
      mset.push_back(VersionKey(record.name));
      mset.push_back(std::to_string(record.value.version));
      mset.push_back(DataKey(record.name));
      mset.push_back(record.value.json);
    }
    commands.push_back(std::move(mset));
  }
  Submit(std::move(commands), std::move(cb));
}

void RedisConnector::DeleteBulk(std::span<const std::string> names, DoneCallback cb) {
  if (names.empty()) return cb(Status());
  Submit(KeyPairCommands("DEL", names), std::move(cb));
}

void RedisConnector::Head(std::string_view name, Callback<std::optional<Version>> cb) {
  pipeline_.Submit(
      {{{"GET", VersionKey(name)}},
       [cb = std::move(cb), name = std::string(name)](Result<std::vector<RedisValue>> replies) {
         cb(ToVersion(std::move(replies), name));
       }});
}

void RedisConnector::HeadBulk(std::span<const std::string> names, Callback<HeadBulkResult> cb) {
  if (names.empty()) return cb(HeadBulkResult{});
  std::vector<RedisCommand> commands;
  for (size_t begin = 0; begin < names.size(); begin += kBulkChunk) {
    RedisCommand mget = {"MGET"};
    for (const std::string& name :
         names.subspan(begin, std::min(kBulkChunk, names.size() - begin))) {
      mget.push_back(VersionKey(name));
    }
    commands.push_back(std::move(mget));
  }
  pipeline_.Submit({std::move(commands), [cb = std::move(cb), names = std::vector<std::string>(
                                                                  names.begin(), names.end())](
                                             Result<std::vector<RedisValue>> replies) {
                      cb(ToHeadBulk(std::move(replies), names));
                    }});
}

Result<std::unique_ptr<StorageConnector>> NewRedisConnector(uint32_t role,
                                                            std::string_view options_json) {
  std::string_view section;
  if (role == STRATA_ROLE_CACHE) {
    section = "cache";
  } else if (role == STRATA_ROLE_STORAGE) {
    section = "storage";
  } else {
    return Status::InvalidArgument("redis: unknown role " + std::to_string(role));
  }
  STRATA_ASSIGN_OR_RETURN(RedisOptions options, ParseRedisOptions(options_json, section));
  return std::unique_ptr<StorageConnector>(std::make_unique<RedisConnector>(std::move(options)));
}

}  // namespace strata
