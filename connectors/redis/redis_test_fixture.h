#pragma once
// Test-only helpers shared by the redis connector's tests: connection events as a connector
// reports them, a plain hiredis client, and a fixture that makes connectors and closes them at
// the end of each test.

#include <algorithm>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include "connectors/redis/redis_connector.h"
#include "connectors/testing/connector_suite.h"
#include "strata/connector_abi.h"

namespace strata {

// Connection events, recorded as they arrive from the I/O thread.
class EventLog {
 public:
  ConnectorEventListener Listener() {
    return [this](ConnectorEvent event, std::string_view connector, const Status& detail) {
      std::lock_guard lock(mu_);
      events_.push_back(event);
      connectors_.emplace_back(connector);
      cv_.notify_all();
    };
  }
  // Waits (hang guard only) until `count` events of `kind` arrived.
  bool WaitFor(ConnectorEvent kind, int count = 1) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, testing::kHangGuard, [&] { return Count(kind) >= count; });
  }
  int CountOf(ConnectorEvent kind) {
    std::lock_guard lock(mu_);
    return Count(kind);
  }
  std::vector<std::string> connectors() {
    std::lock_guard lock(mu_);
    return connectors_;
  }

 private:
  int Count(ConnectorEvent kind) const {
    return static_cast<int>(std::count(events_.begin(), events_.end(), kind));
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<ConnectorEvent> events_;
  std::vector<std::string> connectors_;
};

// A plain blocking hiredis connection, to write and inspect keys the way deepstream (or
// redis-cli) does.
class RawRedis {
 public:
  explicit RawRedis(uint16_t port) : context_(redisConnect("127.0.0.1", port)) {}
  ~RawRedis() {
    if (context_ != nullptr) redisFree(context_);
  }
  bool ok() const { return context_ != nullptr && context_->err == 0; }

  // Runs a command; the reply as text ("(nil)", an integer in decimal, or the string; an
  // array's elements so, joined by spaces).
  std::string Run(std::vector<std::string> args) {
    std::vector<const char*> argv;
    std::vector<size_t> lengths;
    for (const std::string& arg : args) {
      argv.push_back(arg.data());
      lengths.push_back(arg.size());
    }
    auto* reply = static_cast<redisReply*>(
        redisCommandArgv(context_, static_cast<int>(argv.size()), argv.data(), lengths.data()));
    if (reply == nullptr) return "(connection error)";
    std::string text = Text(*reply);
    freeReplyObject(reply);
    return text;
  }

 private:
  static std::string Text(const redisReply& reply) {
    if (reply.type == REDIS_REPLY_NIL) return "(nil)";
    if (reply.type == REDIS_REPLY_INTEGER) return std::to_string(reply.integer);
    if (reply.str != nullptr) return std::string(reply.str, reply.len);
    std::string text;
    for (size_t i = 0; i < reply.elements; ++i) {
      text += (i == 0 ? "" : " ") + Text(*reply.element[i]);
    }
    return text;
  }
  redisContext* context_;
};

// Makes connectors (cache role) and closes them at the end of the test.
class RedisConnectorTest : public ::testing::Test {
 protected:
  void TearDown() override {
    for (auto& connector : connectors_) {
      EXPECT_TRUE(
          testing::AwaitDone([&](DoneCallback cb) { connector->Close(std::move(cb)); }).ok());
    }
  }

  // A connector for `options_json`, unstarted; closed at TearDown.
  CacheConnector& Make(const std::string& options_json, EventLog* events = nullptr) {
    auto made = NewRedisConnector(STRATA_ROLE_CACHE, options_json);
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    connectors_.push_back(std::move(made).value());
    if (events != nullptr) connectors_.back()->SetEventListener(events->Listener());
    return *static_cast<CacheConnector*>(connectors_.back().get());
  }
  // Make + Start, which must succeed.
  CacheConnector& Started(const std::string& options_json, EventLog* events = nullptr) {
    CacheConnector& connector = Make(options_json, events);
    Status started = Start(connector);
    EXPECT_TRUE(started.ok()) << started.ToString();
    return connector;
  }

  static Status Start(StorageConnector& c) {
    return testing::AwaitDone([&](DoneCallback cb) { c.Start(std::move(cb)); });
  }
  static Status Set(StorageConnector& c, const std::string& name, const RecordValue& value) {
    return testing::AwaitDone([&](DoneCallback cb) { c.Set(name, value, std::move(cb)); });
  }
  static Result<std::optional<RecordValue>> Get(StorageConnector& c, const std::string& name) {
    return testing::Await<std::optional<RecordValue>>(
        [&](Callback<std::optional<RecordValue>> cb) { c.Get(name, std::move(cb)); });
  }
  static Result<std::optional<Version>> Head(CacheConnector& c, const std::string& name) {
    return testing::Await<std::optional<Version>>(
        [&](Callback<std::optional<Version>> cb) { c.Head(name, std::move(cb)); });
  }

  // Declared first: outlives the connectors that report to it (their threads are joined when
  // connectors_ is destroyed).
  EventLog events_;
  std::vector<std::unique_ptr<StorageConnector>> connectors_;
};

}  // namespace strata
