#include "connectors/memcached/memcached_cache.h"

#include <functional>
#include <unordered_map>
#include <utility>

#include "common/fan_in.h"
#include "connectors/memcached/record_codec.h"
#include "strata/connector_abi.h"

namespace strata {
namespace {

using memcached::DecodeValue;
using memcached::DecodeVersion;
using memcached::EncodeValue;
using memcached::KeyFor;
using memcached::MemcachedClient;

std::vector<std::string> KeysOf(std::span<const std::string> names) {
  std::vector<std::string> keys;
  keys.reserve(names.size());
  for (const std::string& name : names) keys.push_back(KeyFor(name));
  return keys;
}

// One worker's share of a HeadBulk: a multi-get of `keys`, answered per name.
Result<HeadBulkResult> HeadPart(MemcachedClient& client, const std::vector<std::string>& names,
                                const std::vector<std::string>& keys) {
  std::unordered_map<std::string, Version> found;  // copies: libmemcached reuses its buffers
  Status decode_error;
  Status fetched = client.MultiGet(keys, [&](std::string_view key, std::string_view value) {
    Result<Version> version = DecodeVersion(value);
    if (!version.ok()) decode_error = version.status();
    if (version.ok()) found.emplace(std::string(key), *version);
  });
  if (!fetched.ok()) return fetched;
  if (!decode_error.ok()) return decode_error;
  HeadBulkResult part;
  for (size_t i = 0; i < names.size(); ++i) {
    auto hit = found.find(keys[i]);
    if (hit == found.end()) {
      part.missing.push_back(names[i]);
    } else {
      part.versions[names[i]] = hit->second;
    }
  }
  return part;
}

// One worker's share of a GetBulk: a multi-get of `keys`, answered in their order.
Result<GetBulkResult> GetPart(MemcachedClient& client, const std::vector<std::string>& keys) {
  std::unordered_map<std::string, Result<RecordValue>> found;  // libmemcached reuses buffers
  Status fetched = client.MultiGet(keys, [&](std::string_view key, std::string_view value) {
    found.emplace(std::string(key), DecodeValue(value));
  });
  if (!fetched.ok()) return fetched;
  GetBulkResult part;
  part.reserve(keys.size());
  for (const std::string& key : keys) {
    auto hit = found.find(key);
    if (hit == found.end()) {
      part.emplace_back();
      continue;
    }
    if (!hit->second.ok()) return hit->second.status();
    part.emplace_back(std::move(hit->second).value());
  }
  return part;
}

}  // namespace

MemcachedCache::MemcachedCache(MemcachedOptions options)
    : options_(std::move(options)), lifecycle_("memcached", "cache") {}

MemcachedCache::~MemcachedCache() {
  Close([](Status status) { status.IgnoreError(); });
}

void MemcachedCache::SetEventListener(ConnectorEventListener listener) {
  listener_ = std::move(listener);
}

void MemcachedCache::Start(DoneCallback ready) {
  lifecycle_.Start(std::move(ready), [this](DoneCallback ready) {
    const size_t count = static_cast<size_t>(options_.pool_size);
    workers_.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      Worker worker;
      worker.client = std::make_unique<MemcachedClient>(options_);
      const auto period = std::chrono::milliseconds(options_.retry_ms);
      worker.thread = i == 0
                          ? lifecycle_.NewWorker("strata-mc-0", period, [this] { ProbeIfLost(); })
                          : lifecycle_.NewWorker("strata-mc-" + std::to_string(i));
      workers_.push_back(std::move(worker));
    }
    workers_[0].thread->Post([this, ready = std::move(ready)](Status queue) mutable {
      Status reached = queue.ok() ? workers_[0].client->Ping() : queue;
      connected_.store(reached.ok());
      if (!reached.ok()) reached = Status::Unavailable(reached.message());
      ready(lifecycle_.FinishStart(reached));
    });
  });
}

void MemcachedCache::Close(DoneCallback done) {
  lifecycle_.Close(std::move(done), [this] {
    for (Worker& worker : workers_) worker.thread->Stop();  // runs what is queued
    // The joins made the clients ours; the threads stay (stopped) for racing Dispatch calls.
    for (Worker& worker : workers_) worker.client.reset();
    return Status();
  });
}

size_t MemcachedCache::WorkerFor(std::string_view key) const {
  return std::hash<std::string_view>{}(key) % workers_.size();
}

std::vector<MemcachedCache::Share> MemcachedCache::SplitByWorker(
    const std::vector<std::string>& keys) const {
  std::vector<Share> by_worker(workers_.size());
  for (size_t i = 0; i < keys.size(); ++i) by_worker[WorkerFor(keys[i])].positions.push_back(i);
  std::vector<Share> shares;
  for (size_t w = 0; w < by_worker.size(); ++w) {
    if (by_worker[w].positions.empty()) continue;
    by_worker[w].worker = w;
    shares.push_back(std::move(by_worker[w]));
  }
  return shares;
}

template <typename Cb, typename Work>
void MemcachedCache::Dispatch(size_t index, const char* op, Cb cb, Work work) {
  Worker& worker = workers_[index];
  lifecycle_.Post(
      *worker.thread, op, std::move(cb),
      [this, &worker, work = std::move(work)]() mutable { return Observe(work(*worker.client)); });
}

Status MemcachedCache::Observe(Status status) {
  const bool lost =
      status.code() == StatusCode::kUnavailable || status.code() == StatusCode::kDeadlineExceeded;
  if (lost && connected_.exchange(false)) Emit(ConnectorEvent::kConnectionLost, status);
  return status;
}

template <typename T>
Result<T> MemcachedCache::Observe(Result<T> result) {
  if (!result.ok()) return Observe(result.status());
  return result;
}

void MemcachedCache::ProbeIfLost() {
  if (!lifecycle_.running() || connected_.load() || restoring_.load()) return;
  if (!workers_[0].client->Ping().ok()) return;
  restoring_.store(true);
  workers_[0].client->Reconnect();  // this is worker 0
  DoneCallback one_done = FanIn(workers_.size(), [this](Status) { Restored(); });
  one_done(Status());
  for (size_t i = 1; i < workers_.size(); ++i) {
    Worker& worker = workers_[i];
    worker.thread->Post([&worker, one_done](Status queue) {
      if (queue.ok()) worker.client->Reconnect();
      one_done(queue);
    });
  }
}

void MemcachedCache::Restored() {
  restoring_.store(false);
  if (!lifecycle_.running()) return;
  if (!connected_.exchange(true)) Emit(ConnectorEvent::kConnectionRestored, Status());
}

void MemcachedCache::Emit(ConnectorEvent event, const Status& detail) {
  if (listener_) listener_(event, Name(), detail);
}

void MemcachedCache::Get(std::string_view name, Callback<std::optional<RecordValue>> cb) {
  if (!lifecycle_.running()) return cb(lifecycle_.NotRunning("get"));
  std::string key = KeyFor(name);
  size_t index = WorkerFor(key);
  Dispatch(index, "get", std::move(cb), [key = std::move(key)](MemcachedClient& client) {
    Result<std::optional<std::string>> stored = client.Get(key);
    if (!stored.ok()) return Result<std::optional<RecordValue>>(stored.status());
    if (!stored->has_value()) return Result<std::optional<RecordValue>>(std::nullopt);
    Result<RecordValue> value = DecodeValue(**stored);
    if (!value.ok()) return Result<std::optional<RecordValue>>(value.status());
    return Result<std::optional<RecordValue>>(std::move(*value));
  });
}

void MemcachedCache::Head(std::string_view name, Callback<std::optional<Version>> cb) {
  if (!lifecycle_.running()) return cb(lifecycle_.NotRunning("head"));
  std::string key = KeyFor(name);
  size_t index = WorkerFor(key);
  Dispatch(index, "head", std::move(cb), [key = std::move(key)](MemcachedClient& client) {
    Result<std::optional<std::string>> stored = client.Get(key);
    if (!stored.ok()) return Result<std::optional<Version>>(stored.status());
    if (!stored->has_value()) return Result<std::optional<Version>>(std::nullopt);
    Result<Version> version = DecodeVersion(**stored);
    if (!version.ok()) return Result<std::optional<Version>>(version.status());
    return Result<std::optional<Version>>(*version);
  });
}

void MemcachedCache::Set(std::string_view name, const RecordValue& value, DoneCallback cb) {
  if (!lifecycle_.running()) return cb(lifecycle_.NotRunning("set"));
  std::string key = KeyFor(name);
  size_t index = WorkerFor(key);
  Dispatch(index, "set", std::move(cb),
           [key = std::move(key), stored = EncodeValue(value)](MemcachedClient& client) {
             return client.Set(key, stored);
           });
}

void MemcachedCache::Delete(std::string_view name, DoneCallback cb) {
  if (!lifecycle_.running()) return cb(lifecycle_.NotRunning("delete"));
  std::string key = KeyFor(name);
  size_t index = WorkerFor(key);
  Dispatch(index, "delete", std::move(cb),
           [key = std::move(key)](MemcachedClient& client) { return client.Delete(key); });
}

void MemcachedCache::SetBulk(std::span<const NamedValue> batch, DoneCallback cb) {
  if (!lifecycle_.running()) return cb(lifecycle_.NotRunning("set"));
  std::vector<std::string> keys;
  keys.reserve(batch.size());
  for (const NamedValue& nv : batch) keys.push_back(KeyFor(nv.name));
  std::vector<Share> shares = SplitByWorker(keys);
  DoneCallback part = FanIn(shares.size(), std::move(cb));
  for (const Share& share : shares) {
    std::vector<std::pair<std::string, std::string>> items;  // in batch order: the last wins
    for (size_t i : share.positions) {
      items.emplace_back(std::move(keys[i]), EncodeValue(batch[i].value));
    }
    Dispatch(share.worker, "set", part, [items = std::move(items)](MemcachedClient& client) {
      for (const auto& [key, stored] : items) STRATA_RETURN_IF_ERROR(client.Set(key, stored));
      return Status();
    });
  }
}

void MemcachedCache::DeleteBulk(std::span<const std::string> names, DoneCallback cb) {
  if (!lifecycle_.running()) return cb(lifecycle_.NotRunning("delete"));
  std::vector<std::string> keys = KeysOf(names);
  std::vector<Share> shares = SplitByWorker(keys);
  DoneCallback part = FanIn(shares.size(), std::move(cb));
  for (const Share& share : shares) {
    std::vector<std::string> share_keys;
    for (size_t i : share.positions) share_keys.push_back(std::move(keys[i]));
    Dispatch(share.worker, "delete", part, [keys = std::move(share_keys)](MemcachedClient& client) {
      for (const std::string& key : keys) STRATA_RETURN_IF_ERROR(client.Delete(key));
      return Status();
    });
  }
}

void MemcachedCache::GetBulk(std::span<const std::string> names, Callback<GetBulkResult> cb) {
  if (!lifecycle_.running()) return cb(lifecycle_.NotRunning("get"));
  std::vector<std::string> keys = KeysOf(names);
  auto shares = std::make_shared<const std::vector<Share>>(SplitByWorker(keys));
  // Each share answers its batch positions, in order: put them back in the batch's order.
  PartCallback<GetBulkResult> part =
      FanInValues<GetBulkResult>(shares->size(), [shares, size = names.size(), cb = std::move(cb)](
                                                     Result<std::vector<GetBulkResult>> answers) {
        if (!answers.ok()) return cb(answers.status());
        GetBulkResult result(size);
        for (size_t s = 0; s < shares->size(); ++s) {
          const std::vector<size_t>& positions = (*shares)[s].positions;
          for (size_t k = 0; k < positions.size(); ++k) {
            result[positions[k]] = std::move((*answers)[s][k]);
          }
        }
        cb(std::move(result));
      });
  for (size_t s = 0; s < shares->size(); ++s) {
    std::vector<std::string> share_keys;
    for (size_t i : (*shares)[s].positions) share_keys.push_back(std::move(keys[i]));
    Dispatch(
        (*shares)[s].worker, "get",
        [part, s](Result<GetBulkResult> answer) { part(s, std::move(answer)); },
        [keys = std::move(share_keys)](MemcachedClient& client) { return GetPart(client, keys); });
  }
}

void MemcachedCache::HeadBulk(std::span<const std::string> names, Callback<HeadBulkResult> cb) {
  if (!lifecycle_.running()) return cb(lifecycle_.NotRunning("head"));
  std::vector<std::string> keys = KeysOf(names);
  std::vector<Share> shares = SplitByWorker(keys);
  PartCallback<HeadBulkResult> part = FanInValues<HeadBulkResult>(
      shares.size(), [cb = std::move(cb)](Result<std::vector<HeadBulkResult>> answers) {
        if (!answers.ok()) return cb(answers.status());
        HeadBulkResult result;
        for (HeadBulkResult& answer : *answers) {
          result.versions.merge(answer.versions);
          result.missing.insert(result.missing.end(), answer.missing.begin(), answer.missing.end());
        }
        cb(std::move(result));
      });
  for (size_t s = 0; s < shares.size(); ++s) {
    std::vector<std::string> share_names;
    std::vector<std::string> share_keys;
    for (size_t i : shares[s].positions) {
      share_names.push_back(names[i]);
      share_keys.push_back(std::move(keys[i]));
    }
    Dispatch(
        shares[s].worker, "head",
        [part, s](Result<HeadBulkResult> answer) { part(s, std::move(answer)); },
        [names = std::move(share_names), keys = std::move(share_keys)](MemcachedClient& client) {
          return HeadPart(client, names, keys);
        });
  }
}

Result<std::unique_ptr<StorageConnector>> NewMemcachedCache(uint32_t role,
                                                            std::string_view options_json) {
  if (role != STRATA_ROLE_CACHE) {
    return Status::InvalidArgument(
        "storage.name: memcached can only be a cache (it evicts and expires records)");
  }
  STRATA_ASSIGN_OR_RETURN(MemcachedOptions options, ParseMemcachedOptions(options_json));
  return std::unique_ptr<StorageConnector>(std::make_unique<MemcachedCache>(std::move(options)));
}

}  // namespace strata
