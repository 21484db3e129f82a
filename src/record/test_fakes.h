#pragma once
// Test doubles for the data path: a manual event loop with virtual time, a scriptable
// in-memory connector for fault injection (failing, holding, slow backends), and a client that
// records what it is sent. Test-only.

#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "pubsub/client.h"
#include "strata/cache_connector.h"
#include "strata/executor.h"

namespace strata::testing {

// Runs posted work only when the test says so; timers fire when virtual time passes them.
class ManualLoop : public Executor {
 public:
  void Post(std::function<void()> fn) override { ready_.push_back(std::move(fn)); }
  void PostAfter(std::chrono::milliseconds delay, std::function<void()> fn) override {
    timers_.emplace(now_ + delay, std::move(fn));
  }
  bool RunningInThisThread() const override { return true; }

  // Runs posted work until none is left (timers stay until their time comes).
  void RunUntilIdle() {
    for (int guard = 0; !ready_.empty() && guard < 1000000; ++guard) {
      auto fn = std::move(ready_.front());
      ready_.pop_front();
      fn();
    }
  }
  // Moves virtual time forward, firing due timers in order, running work in between.
  void Advance(std::chrono::milliseconds by) {
    auto until = now_ + by;
    RunUntilIdle();
    while (!timers_.empty() && timers_.begin()->first <= until) {
      auto node = timers_.extract(timers_.begin());
      now_ = node.key();
      node.mapped()();
      RunUntilIdle();
    }
    now_ = until;
  }
  size_t pending_timers() const { return timers_.size(); }

 private:
  std::chrono::milliseconds now_{0};
  std::deque<std::function<void()>> ready_;
  std::multimap<std::chrono::milliseconds, std::function<void()>> timers_;
};

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
  Status fail_with;
  int fail_count = 0;
  std::vector<std::function<void()>> held;

 private:
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

// Records every message it is sent.
class FakeClient : public Client {
 public:
  FakeClient(uint64_t id, std::string user) : id_(id), user_(std::move(user)) {}
  uint64_t id() const override { return id_; }
  const std::string& user_id() const override { return user_; }
  bool connected() const override { return connected_flag; }
  void Send(const Message& msg) override { sent.push_back(msg); }
  void Send(const Broadcast& msg) override { sent.push_back(msg.message()); }

  // Messages with this action, in order.
  std::vector<Message> With(int32_t action) const {
    std::vector<Message> out;
    std::copy_if(sent.begin(), sent.end(), std::back_inserter(out),
                 [action](const Message& m) { return m.action == action; });
    return out;
  }

  std::vector<Message> sent;
  bool connected_flag = true;

 private:
  uint64_t id_;
  std::string user_;
};

}  // namespace strata::testing
