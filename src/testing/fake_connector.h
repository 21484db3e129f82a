#pragma once
// A scriptable connector, for fault injection in tests of the data path. Test-only.

#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "strata/cache_connector.h"

namespace strata::testing {

// An in-memory cache/storage whose answers the test controls. Completions run synchronously
// (allowed by the connector contract) unless `hold` is set: then they wait in `held` until
// Release(). `fail_with` makes the next `fail_count` operations fail.
class FakeConnector : public CacheConnector {
 public:
  explicit FakeConnector(std::string name) : name_(std::move(name)) {}

  std::string_view Name() const override { return name_; }
  void Start(DoneCallback ready) override { ready(Status()); }
  void Close(DoneCallback done) override { done(Status()); }

  void Get(std::string_view name, Callback<std::optional<RecordValue>> cb) override {
    ++gets;
    std::string key(name);
    Complete([this, key, cb](Status failure) {
      if (!failure.ok()) return cb(failure);
      auto it = data.find(key);
      cb(it == data.end() ? std::nullopt : std::optional<RecordValue>(it->second));
    });
  }
  void Set(std::string_view name, const RecordValue& value, DoneCallback cb) override {
    std::string key(name);
    Complete([this, key, value, cb](Status failure) {
      if (failure.ok()) {
        data[key] = value;
        log.push_back("set " + key + " v" + std::to_string(value.version));
      }
      cb(failure);
    });
  }
  void Delete(std::string_view name, DoneCallback cb) override {
    std::string key(name);
    Complete([this, key, cb](Status failure) {
      if (failure.ok()) {
        data.erase(key);
        log.push_back("delete " + key);
      }
      cb(failure);
    });
  }
  // The contract's defaults (one Get/Set per name), counted so tests can see the batching.
  void GetBulk(std::span<const std::string> names, Callback<GetBulkResult> cb) override {
    get_bulk_sizes.push_back(names.size());
    StorageConnector::GetBulk(names, std::move(cb));
  }
  void SetBulk(std::span<const NamedValue> batch, DoneCallback cb) override {
    set_bulk_sizes.push_back(batch.size());
    StorageConnector::SetBulk(batch, std::move(cb));
  }
  void Head(std::string_view name, Callback<std::optional<Version>> cb) override {
    auto it = data.find(std::string(name));
    cb(it == data.end() ? std::nullopt : std::optional<Version>(it->second.version));
  }

  // Fenced writes (storage_connector.h) when `fencing` is set: a change is kept only if its
  // fence is newer than the record's last one; a delete leaves its fence as a tombstone.
  bool SupportsFencing() const override { return fencing; }
  void SetBulkFenced(std::span<const FencedValue> batch, Callback<FencedResult> cb) override {
    if (!fencing) return StorageConnector::SetBulkFenced(batch, std::move(cb));
    std::vector<FencedValue> copy(batch.begin(), batch.end());
    Complete([this, copy, cb](Status failure) {
      if (!failure.ok()) return cb(failure);
      FencedResult applied;
      for (const FencedValue& v : copy) {
        applied.push_back(Fence(v.name, v.fence));
        if (!applied.back()) continue;
        data[v.name] = v.value;
        log.push_back("set " + v.name + " v" + std::to_string(v.value.version));
      }
      cb(applied);
    });
  }
  void DeleteBulkFenced(std::span<const FencedName> names, Callback<FencedResult> cb) override {
    if (!fencing) return StorageConnector::DeleteBulkFenced(names, std::move(cb));
    std::vector<FencedName> copy(names.begin(), names.end());
    Complete([this, copy, cb](Status failure) {
      if (!failure.ok()) return cb(failure);
      FencedResult applied;
      for (const FencedName& n : copy) {
        applied.push_back(Fence(n.name, n.fence));
        if (!applied.back()) continue;
        data.erase(n.name);
        log.push_back("delete " + n.name);
      }
      cb(applied);
    });
  }

  // Runs every held completion, in order.
  void Release() {
    auto ops = std::move(held);
    held.clear();
    for (auto& op : ops) op();
  }

  std::map<std::string, RecordValue> data;
  std::vector<std::string> log;  // successful writes, in the order the backend applied them
  int gets = 0;
  std::vector<size_t> get_bulk_sizes;  // names per GetBulk call, in order
  std::vector<size_t> set_bulk_sizes;  // records per SetBulk call, in order
  bool hold = false;
  bool fencing = false;
  std::map<std::string, uint64_t> fences;  // newest fence per record (fenced writes)
  Status fail_with;
  int fail_count = 0;
  std::vector<std::function<void()>> held;

 private:
  // True (and the fence kept) when `fence` is newer than the record's.
  bool Fence(const std::string& name, uint64_t fence) {
    uint64_t& last = fences[name];
    if (fence <= last) return false;
    last = fence;
    return true;
  }
  void Complete(std::function<void(Status)> op) {
    Status failure;
    if (fail_count > 0) {
      --fail_count;
      failure = fail_with;
    }
    auto run = [op = std::move(op), failure] { op(failure); };
    if (hold) {
      held.push_back(std::move(run));
    } else {
      run();
    }
  }
  std::string name_;
};

}  // namespace strata::testing
