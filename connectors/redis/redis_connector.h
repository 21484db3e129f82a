#pragma once
// RedisConnector: the "redis" connector, a cache (its main use) or a storage, wire-compatible
// with @deepstream/cache-redis v2's key layout, so a Redis that deepstream filled is read
// unchanged and the other way round:
//   <keyPrefix><name>_v   the version, as decimal text
//   <keyPrefix><name>_d   the JSON text of the record
// Both keys are written together: MSET (atomic) without a ttl; with a ttl, MULTI / SET EX /
// SET EX / EXEC, so no reader (of this or another connection) sees a new version with old data.
// (deepstream pipelines two SETEX without MULTI; a reader between them could see a mismatch.)
// A get is one MGET of both keys; a version without data (one key of a pair expired a moment
// before the other) reads as a miss. GetBulk is MGET of both keys of every name (512 names per
// command, pipelined), so each pair is read atomically. Head is GET of `_v`; HeadBulk is MGET of
// the `_v` keys; Delete is DEL of both; the bulk forms send one command per chunk, pipelined.
//
// Every operation goes through a RedisPipeline (see redis_pipeline.h for I/O, reconnection,
// timeouts and Start semantics). Thread-safety: all methods may be called from any thread;
// completions run on the connector's I/O thread, or synchronously on the caller's thread when an
// operation fails before reaching it (not started, closed, empty bulk).

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "connectors/redis/redis_options.h"
#include "connectors/redis/redis_pipeline.h"
#include "strata/cache_connector.h"
#include "strata/status.h"

namespace strata {

class RedisConnector final : public CacheConnector {
 public:
  explicit RedisConnector(RedisOptions options);
  ~RedisConnector() override;
  RedisConnector(const RedisConnector&) = delete;
  RedisConnector& operator=(const RedisConnector&) = delete;

  std::string_view Name() const override { return "redis"; }
  void Start(DoneCallback ready) override;
  void Close(DoneCallback done) override;
  void SetEventListener(ConnectorEventListener listener) override;

  void Get(std::string_view name, Callback<std::optional<RecordValue>> cb) override;
  void GetBulk(std::span<const std::string> names, Callback<GetBulkResult> cb) override;
  void Set(std::string_view name, const RecordValue& value, DoneCallback cb) override;
  void Delete(std::string_view name, DoneCallback cb) override;
  void SetBulk(std::span<const NamedValue> batch, DoneCallback cb) override;
  void DeleteBulk(std::span<const std::string> names, DoneCallback cb) override;
  void Head(std::string_view name, Callback<std::optional<Version>> cb) override;
  void HeadBulk(std::span<const std::string> names, Callback<HeadBulkResult> cb) override;

 private:
  std::string VersionKey(std::string_view name) const;
  std::string DataKey(std::string_view name) const;
  std::vector<RedisCommand> KeyPairCommands(const char* verb,
                                            std::span<const std::string> names) const;
  // Appends the commands that write `value` (see the key layout above).
  void AppendSet(std::string_view name, const RecordValue& value,
                 std::vector<RedisCommand>* commands) const;
  void Submit(std::vector<RedisCommand> commands, DoneCallback cb);

  const RedisOptions options_;
  RedisPipeline pipeline_;
};

// Creates an unstarted connector for `role` (STRATA_ROLE_CACHE or STRATA_ROLE_STORAGE) from its
// options JSON; kInvalidArgument naming `cache.options.<key>` / `storage.options.<key>`.
Result<std::unique_ptr<StorageConnector>> NewRedisConnector(uint32_t role,
                                                            std::string_view options_json);

}  // namespace strata
