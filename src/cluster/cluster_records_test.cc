// ClusterRecords and the Redis functions against a real redis-server (started by the test), with
// two nodes in one process: each its own ClusterNode (connections, id), loop, subscribers and
// storage. What the cluster promises: conflicts decided once, every change delivered once and in
// order on every node, deletes that stay deleted, a ledger that keeps a change until storage has
// it (and a sweeper that finishes it), and convergence after Redis restarts empty.

#include "cluster/cluster_records.h"

#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "cluster/ledger_sweeper.h"
#include "connectors/redis/redis_pipeline.h"
#include "connectors/redis/redis_test_servers.h"
#include "connectors/testing/external_server.h"
#include "connectors/testing/test_certificates.h"
#include "record/record_messages.h"
#include "testing/fake_client.h"
#include "testing/fake_connector.h"

namespace strata::cluster {
namespace {

namespace msgs = record_messages;
using namespace std::chrono_literals;

// A real loop on its own thread (the cluster posts to it from the Redis threads).
class ThreadLoop : public Executor {
 public:
  ThreadLoop() : thread_([this] { Run(); }) {}
  ~ThreadLoop() override { Stop(); }
  void Post(std::function<void()> fn) override { PostAfter(0ms, std::move(fn)); }
  void PostAfter(std::chrono::milliseconds delay, std::function<void()> fn) override {
    std::lock_guard lock(mu_);
    tasks_.emplace(std::chrono::steady_clock::now() + delay, std::move(fn));
    cv_.notify_one();
  }
  bool RunningInThisThread() const override {
    return std::this_thread::get_id() == thread_.get_id();
  }
  void Stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      cv_.notify_one();
    }
    if (thread_.joinable()) thread_.join();
  }

 private:
  void Run() {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      if (tasks_.empty()) {
        cv_.wait(lock);
        continue;
      }
      auto first = tasks_.begin();
      if (first->first > std::chrono::steady_clock::now()) {
        cv_.wait_until(lock, first->first);
        continue;
      }
      auto fn = std::move(first->second);
      tasks_.erase(first);
      lock.unlock();
      fn();
      lock.lock();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  // Same-time tasks keep their posting order (multimap inserts equal keys at the end).
  std::multimap<std::chrono::steady_clock::time_point, std::function<void()>> tasks_;
  bool stopping_ = false;
  std::thread thread_;
};

// One redis-server shared by most tests, started on first use and stopped (by its pid) when the
// test binary exits.
uint16_t RedisPort() {
  static testing::ExternalServer server;
  static const uint16_t port = [] {
    const uint16_t free = testing::FreePort();
    Status s = server.Start({"redis-server", "--port", std::to_string(free), "--bind", "127.0.0.1",
                             "--save", "", "--appendonly", "no"},
                            free, ::testing::TempDir() + "strata-cluster-redis.log");
    if (!s.ok()) ADD_FAILURE() << s.ToString();
    return free;
  }();
  return port;
}

// `extra`: more redis options, as JSON members (e.g. TLS and credentials).
ServerOptions ClusterOptionsFor(uint16_t port, const std::string& extra = "") {
  ServerOptions options;
  const std::string redis = R"({"host":"127.0.0.1","port":)" + std::to_string(port) +
                            (extra.empty() ? "" : ",") + extra + "}";
  options.cluster.enabled = true;
  options.cluster.bus_options_json = redis;
  options.cluster.active_check_interval = 100ms;
  options.cache.options_json = redis;
  return options;
}

// One node: its Redis connections, loop, subscribers and storage.
struct TestNode {
  explicit TestNode(uint16_t port, const std::string& extra = "") {
    storage.fencing = true;
    auto started = ClusterNode::Start(ClusterOptionsFor(port, extra));
    EXPECT_TRUE(started.ok()) << started.status().ToString();
    node = std::move(*started);
    records = std::make_unique<ClusterRecords>(*node, loop, subscriptions, storage,
                                               ClusterRecordsOptions{.tombstone = 60000ms});
    node->SetHandlers(ClusterNode::Handlers{
        .record =
            [this](std::string name, std::string payload) {
              loop.Post([this, name, payload] { records->OnChange(name, payload); });
            },
        .gap = [this] { loop.Post([this] { records->OnGap(); }); },
    });
  }
  ~TestNode() {
    node->Stop();
    loop.Stop();
    records.reset();
  }

  // Runs `start` on the loop and waits for the callback it is given.
  template <typename T>
  Result<T> Await(std::function<void(Callback<T>)> start) {
    auto promise = std::make_shared<std::promise<Result<T>>>();
    loop.Post([start, promise] { start([promise](Result<T> r) { promise->set_value(r); }); });
    auto future = promise->get_future();
    if (future.wait_for(10s) != std::future_status::ready) {
      return Status::DeadlineExceeded("no answer within 10 s");
    }
    return future.get();
  }
  template <typename Fn>
  auto On(Fn fn) {
    std::packaged_task<decltype(fn())()> task(fn);
    auto future = task.get_future();
    loop.Post([&task] { task(); });
    return future.get();
  }

  Result<WriteOutcome> Write(const std::string& name, RecordWrite::Expect expect, Version expected,
                             RecordValue value, uint64_t client_id = 1) {
    RecordWrite w{name,     expect, expected, value, msgs::Update(name, value.version, value.json),
                  client_id};
    return Await<WriteOutcome>(
        [this, w](Callback<WriteOutcome> cb) { records->CompareAndSet(w, std::move(cb)); });
  }
  // A new subscriber: follows, subscribes, and returns the state it started from.
  Result<VersionedRecord> Subscribe(const std::string& name,
                                    const std::shared_ptr<testing::FakeClient>& client) {
    return Await<VersionedRecord>([this, name, client](Callback<VersionedRecord> cb) {
      records->Follow(name, [this, name, client, cb](Result<VersionedRecord> r) {
        subscriptions.Subscribe(name, client);
        cb(r);
      });
    });
  }
  std::vector<Message> Sent(const std::shared_ptr<testing::FakeClient>& client) {
    return On([client] { return client->sent; });
  }

  ThreadLoop loop;
  std::unique_ptr<ClusterNode> node;
  SubscriptionRegistry subscriptions;
  testing::FakeConnector storage{"storage"};
  std::unique_ptr<ClusterRecords> records;
};

// Polls `done` (on the test thread) for up to 10 s.
bool Eventually(const std::function<bool()>& done) {
  for (int i = 0; i < 1000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return done();
}

using Expect = RecordWrite::Expect;

TEST(RedisFunctions, TheLibraryRegistersEveryFunctionTheNodesCall) {
  TestNode a(RedisPort());
  auto promise = std::make_shared<std::promise<Result<RedisValue>>>();
  a.node->Call({"FUNCTION", "LIST", "LIBRARYNAME", "strata"},
               [promise](Result<RedisValue> r) { promise->set_value(std::move(r)); });
  Result<RedisValue> list = promise->get_future().get();
  ASSERT_TRUE(list.ok());
  std::string text;  // every bulk string of the reply, flattened
  std::function<void(const RedisValue&)> flatten = [&](const RedisValue& v) {
    text += v.text + " ";
    for (const RedisValue& e : v.elements) flatten(e);
  };
  flatten(*list);
  for (const char* function :
       {"strata_read", "strata_set", "strata_load", "strata_delete", "strata_notify",
        "strata_persist_read", "strata_persisted", "strata_ledger_due", "strata_presence_join",
        "strata_presence_leave", "strata_rpc_provide", "strata_rpc_unprovide", "strata_reap"}) {
    EXPECT_NE(text.find(std::string(function) + " "), std::string::npos) << function;
  }
}

TEST(ClusterNode, ARedisThatMayEvictAnyKeyIsRefused) {
  testing::ExternalServer redis;
  const uint16_t port = testing::FreePort();
  ASSERT_TRUE(redis
                  .Start({"redis-server", "--port", std::to_string(port), "--bind", "127.0.0.1",
                          "--save", "", "--appendonly", "no", "--maxmemory-policy", "allkeys-lru"},
                         port, ::testing::TempDir() + "strata-cluster-evict.log")
                  .ok());
  auto refused = ClusterNode::Start(ClusterOptionsFor(port));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("maxmemory-policy is allkeys-lru"), std::string::npos)
      << refused.status().ToString();
}

TEST(ClusterRecords, ConflictsAreDecidedOnceAcrossNodes) {
  TestNode a(RedisPort()), b(RedisPort());
  Result<WriteOutcome> created = a.Write("cas/1", Expect::kAbsent, 0, {0, "{}"});
  ASSERT_TRUE(created.ok() && created->committed) << created.status().ToString();
  Result<WriteOutcome> again = b.Write("cas/1", Expect::kAbsent, 0, {0, R"({"b":1})"});
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->committed);
  EXPECT_EQ(again->current.value, (RecordValue{0, "{}"}));

  // Both nodes write version 1 over version 0: exactly one wins, the other learns the winner.
  Result<WriteOutcome> first = a.Write("cas/1", Expect::kVersion, 0, {1, R"({"by":"a"})"});
  Result<WriteOutcome> second = b.Write("cas/1", Expect::kVersion, 0, {1, R"({"by":"b"})"});
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_TRUE(first->committed);
  EXPECT_FALSE(second->committed);
  EXPECT_EQ(second->current.value, (RecordValue{1, R"({"by":"a"})"}));
  EXPECT_GE(second->current.seq, first->seq);
  EXPECT_GT(first->seq, created->seq);

  Result<WriteOutcome> any = b.Write("cas/1", Expect::kAny, 0, {0, R"({"hot":1})"});
  ASSERT_TRUE(any.ok());
  EXPECT_TRUE(any->committed);
  Result<VersionedRecord> read =
      a.Await<VersionedRecord>([&](auto cb) { a.records->Read("cas/1", std::move(cb)); });
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->value, (RecordValue{0, R"({"hot":1})"}));
  EXPECT_GE(read->seq, any->seq);
}

TEST(ClusterRecords, EveryNodeDeliversEveryChangeOnceInOrderButNotToItsAuthor) {
  TestNode a(RedisPort()), b(RedisPort());
  auto writer = std::make_shared<testing::FakeClient>(1, "w");
  auto watcher_a = std::make_shared<testing::FakeClient>(2, "x");
  auto watcher_b = std::make_shared<testing::FakeClient>(1, "y");  // same id, other node
  ASSERT_TRUE(a.Write("order/1", Expect::kAbsent, 0, {0, "{}"}).ok());
  for (auto [node, client] : {std::pair{&a, writer}, {&a, watcher_a}, {&b, watcher_b}}) {
    Result<VersionedRecord> start = node->Subscribe("order/1", client);
    ASSERT_TRUE(start.ok());
    EXPECT_EQ(start->value, (RecordValue{0, "{}"}));
  }
  constexpr int kWrites = 50;
  for (int v = 1; v <= kWrites; ++v) {
    std::string data = "{\"n\":" + std::to_string(v) + "}";
    Result<WriteOutcome> w = a.Write("order/1", Expect::kVersion, v - 1, {v, data}, writer->id());
    ASSERT_TRUE(w.ok() && w->committed);
  }
  for (auto [node, client] : {std::pair{&a, watcher_a}, {&b, watcher_b}}) {
    ASSERT_TRUE(Eventually([&] { return node->Sent(client).size() >= kWrites; }));
    std::vector<Message> sent = node->Sent(client);
    ASSERT_EQ(sent.size(), static_cast<size_t>(kWrites));
    for (int v = 1; v <= kWrites; ++v) {
      EXPECT_EQ(sent[v - 1], msgs::Update("order/1", v, "{\"n\":" + std::to_string(v) + "}"));
    }
  }
  EXPECT_TRUE(a.Sent(writer).empty());  // its own changes are not echoed
  // B's watcher has id 1 too: only the author's node skips it.
  EXPECT_EQ(b.records->stats().duplicates, 0u);
}

TEST(ClusterRecords, ADamagedBusMessageIsCountedAndSkippedAndTheFeedGoesOn) {
  TestNode a(RedisPort()), b(RedisPort());
  auto watcher = std::make_shared<testing::FakeClient>(6, "w");
  ASSERT_TRUE(a.Write("bad/1", Expect::kAbsent, 0, {0, "{}"}).ok());
  ASSERT_TRUE(b.Subscribe("bad/1", watcher).ok());
  for (const char* damaged : {"", "U", "U 99999999999999999 x 1\n{}", "P 1 n:1 2 9 9\nab"}) {
    b.On([&] {
      b.records->OnChange("bad/1", damaged);
      return 0;
    });
  }
  EXPECT_EQ(b.records->stats().bus_errors, 4u);
  ASSERT_TRUE(a.Write("bad/1", Expect::kVersion, 0, {1, R"({"ok":1})"}).ok());
  ASSERT_TRUE(Eventually([&] { return !b.Sent(watcher).empty(); }));
  EXPECT_EQ(b.Sent(watcher), (std::vector<Message>{msgs::Update("bad/1", 1, R"({"ok":1})")}));
}

TEST(ClusterRecords, ADeleteStaysDeletedWhenStorageStillHasTheRecord) {
  TestNode a(RedisPort()), b(RedisPort());
  b.On([&] { return b.storage.data["tomb/1"] = RecordValue{3, R"({"old":true})"}; });
  Result<uint64_t> deleted =
      a.Await<uint64_t>([&](auto cb) { a.records->Delete("tomb/1", 1, cb); });
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  // B's storage has not seen the delete yet: the tombstone keeps its old copy out of the cache.
  Result<VersionedRecord> read =
      b.Await<VersionedRecord>([&](auto cb) { b.records->Read("tomb/1", std::move(cb)); });
  ASSERT_TRUE(read.ok());
  EXPECT_FALSE(read->value.has_value());
  // Without a tombstone a storage copy is loaded into the cache, for every node.
  b.On([&] { return b.storage.data["load/1"] = RecordValue{7, R"({"from":"storage"})"}; });
  read = b.Await<VersionedRecord>([&](auto cb) { b.records->Read("load/1", std::move(cb)); });
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->value, (RecordValue{7, R"({"from":"storage"})"}));
  read = a.Await<VersionedRecord>([&](auto cb) { a.records->Read("load/1", std::move(cb)); });
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->value, (RecordValue{7, R"({"from":"storage"})"}));
}

TEST(ClusterRecords, ANotifyPutsStoragesCopyInTheCacheAndEveryNodeIsTold) {
  TestNode a(RedisPort()), b(RedisPort());
  auto watcher = std::make_shared<testing::FakeClient>(9, "w");
  ASSERT_TRUE(a.Write("notify/1", Expect::kAbsent, 0, {0, R"({"cached":true})"}).ok());
  ASSERT_TRUE(b.Subscribe("notify/1", watcher).ok());
  // Storage was changed behind strata's back; A is told (NOTIFY).
  a.On([&] { return a.storage.data["notify/1"] = RecordValue{9, R"({"from":"storage"})"}; });
  Result<VersionedRecord> reloaded =
      a.Await<VersionedRecord>([&](auto cb) { a.records->Reload("notify/1", std::move(cb)); });
  ASSERT_TRUE(reloaded.ok()) << reloaded.status().ToString();
  EXPECT_EQ(reloaded->value, (RecordValue{9, R"({"from":"storage"})"}));
  ASSERT_TRUE(Eventually([&] { return !b.Sent(watcher).empty(); }));
  EXPECT_EQ(b.Sent(watcher).back(), msgs::Update("notify/1", 9, R"({"from":"storage"})"));
  Result<VersionedRecord> read =
      b.Await<VersionedRecord>([&](auto cb) { b.records->Read("notify/1", std::move(cb)); });
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->value, (RecordValue{9, R"({"from":"storage"})"}));
  // Gone from storage: deleted everywhere.
  a.On([&] { return a.storage.data.erase("notify/1"); });
  ASSERT_TRUE(a.Await<VersionedRecord>([&](auto cb) { a.records->Reload("notify/1", cb); }).ok());
  ASSERT_TRUE(Eventually([&] { return b.Sent(watcher).size() == 2; }));
  EXPECT_EQ(b.Sent(watcher).back(), msgs::Named(record_action::kDeleted, "notify/1"));
}

TEST(ClusterRecords, TheLedgerKeepsAChangeUntilStorageHasItAndASweeperFinishesIt) {
  TestNode a(RedisPort()), b(RedisPort());
  Result<WriteOutcome> w1 = a.Write("ledger/1", Expect::kAbsent, 0, {0, R"({"step":0})"});
  Result<WriteOutcome> w2 = a.Write("ledger/1", Expect::kVersion, 0, {1, R"({"step":1})"});
  ASSERT_TRUE(w1.ok() && w1->committed && w2.ok() && w2->committed);
  // Storage got the older change only: the entry stays for the newer one.
  a.On([&] {
    a.records->Persisted("ledger/1", w1->seq);
    return 0;
  });
  // The writer "dies" here. B's sweeper (no grace) persists what the cache holds, fenced.
  LedgerSweeper sweeper(*b.node, b.loop, b.storage, 50ms, 0ms);
  sweeper.Start();
  ASSERT_TRUE(Eventually([&] {
    return b.On([&] { return b.storage.data.contains("ledger/1"); }) &&
           sweeper.stats().ledger_depth == 0;
  })) << "ledger depth "
      << sweeper.stats().ledger_depth;
  EXPECT_EQ(b.On([&] { return b.storage.data["ledger/1"]; }), (RecordValue{1, R"({"step":1})"}));
  EXPECT_GE(sweeper.stats().persisted, 1u);
  // The late writer's own storage write of the older change is refused by the fence.
  FencedValue late{"ledger/1", RecordValue{0, R"({"step":0})"}, w1->seq};
  Result<FencedResult> applied = b.Await<FencedResult>(
      [&](auto cb) { b.storage.SetBulkFenced(std::span<const FencedValue>(&late, 1), cb); });
  ASSERT_TRUE(applied.ok());
  EXPECT_FALSE(applied->front());
  b.loop.Stop();  // the sweeper's timer must not outlive it
}

TEST(ClusterRecords, NodesReachRedisOverTlsAsAnAclUser) {
  auto certs = testing::TestCertificates::Make(::testing::TempDir(), "cluster-tls");
  ASSERT_TRUE(certs.ok()) << certs.status().ToString();
  testing::ExternalServer redis;
  const uint16_t port = testing::FreePort();
  ASSERT_TRUE(testing::StartTlsRedis(redis, port, *certs,
                                     {"--user", "default", "off", "--user", "strata", "on",
                                      ">s3cret", "~*", "&*", "+@all"})
                  .ok());
  const std::string tls =
      R"("tls":{"ca":")" + certs->ca_file + R"("},"username":"strata","password":"s3cret")";
  TestNode a(port, tls), b(port, tls);
  ASSERT_TRUE(a.node && b.node);
  auto watcher = std::make_shared<testing::FakeClient>(3, "w");
  ASSERT_TRUE(a.Write("tls/1", Expect::kAbsent, 0, {0, "{}"}).ok());
  ASSERT_TRUE(b.Subscribe("tls/1", watcher).ok());
  ASSERT_TRUE(a.Write("tls/1", Expect::kVersion, 0, {1, R"({"over":"tls"})"}).ok());
  ASSERT_TRUE(Eventually([&] { return !b.Sent(watcher).empty(); }));
  EXPECT_EQ(b.Sent(watcher).front(), msgs::Update("tls/1", 1, R"({"over":"tls"})"));
  // Without the right password the node does not join.
  auto refused = ClusterNode::Start(ClusterOptionsFor(
      port, R"("tls":{"ca":")" + certs->ca_file + R"("},"username":"strata","password":"wrong")"));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("AUTH"), std::string::npos)
      << refused.status().ToString();
}

// One command to a server that is not a data node (a sentinel), through the connector's pipeline.
Result<RedisValue> RunOnce(uint16_t port, RedisCommand command) {
  RedisOptions options;
  options.port = port;
  RedisPipeline pipeline(options);
  auto started = std::make_shared<std::promise<Status>>();
  pipeline.Start([started](Status s) { started->set_value(s); });
  STRATA_RETURN_IF_ERROR(started->get_future().get());
  auto replied = std::make_shared<std::promise<Result<std::vector<RedisValue>>>>();
  pipeline.Submit(RedisRequest{{std::move(command)}, [replied](auto r) { replied->set_value(r); }});
  Result<std::vector<RedisValue>> replies = replied->get_future().get();
  if (!replies.ok()) return replies.status();
  return replies->front();
}

TEST(ClusterRecords, ASentinelFailoverKeepsTheNodesWritingAndTheirSubscribersFollowing) {
  testing::SentinelDeployment d;
  ASSERT_TRUE(d.Start().ok());
  const std::string sentinels =
      R"("sentinels":)" + testing::SentinelList(d.sentinel_ports) + R"(,"name":"mymaster")";
  TestNode a(d.primary_port, sentinels), b(d.primary_port, sentinels);
  ASSERT_TRUE(a.node && b.node);
  auto watcher = std::make_shared<testing::FakeClient>(4, "w");
  ASSERT_TRUE(a.Write("sentinel/1", Expect::kAbsent, 0, {0, R"({"n":0})"}).ok());
  ASSERT_TRUE(b.Subscribe("sentinel/1", watcher).ok());
  ASSERT_TRUE(Eventually([&] {
    auto r = RunOnce(d.primary_port, {"WAIT", "1", "1000"});
    return r.ok() && r->integer == 1;
  }));
  ASSERT_TRUE(Eventually([&] {
    auto r = RunOnce(d.sentinel_ports[0], {"SENTINEL", "FAILOVER", "mymaster"});
    return r.ok() && r->text == "OK";
  }));
  // Writes fail while the master changes, then reach the new one (records and functions were
  // replicated), and B's subscriber follows.
  Version next = 1;
  ASSERT_TRUE(Eventually([&] {
    Result<WriteOutcome> w = a.Write("sentinel/1", Expect::kVersion, next - 1,
                                     {next, "{\"n\":" + std::to_string(next) + "}"});
    if (w.ok() && w->committed) ++next;
    auto role = RunOnce(d.replica_port, {"ROLE"});
    return next > 2 && role.ok() && !role->elements.empty() && role->elements[0].text == "master";
  })) << "writes did not resume on the new master";
  ASSERT_TRUE(Eventually([&] {
    std::vector<Message> sent = b.Sent(watcher);
    return !sent.empty() && sent.back().version == next - 1;
  }));
  std::vector<Message> sent = b.Sent(watcher);
  for (size_t i = 1; i < sent.size(); ++i) EXPECT_LT(*sent[i - 1].version, *sent[i].version);
}

TEST(ClusterRecords, ARedisRestartIsAGapThatSubscribersComeThrough) {
  testing::ExternalServer redis;
  const uint16_t port = testing::FreePort();
  auto start = [&] {
    return redis.Start({"redis-server", "--port", std::to_string(port), "--bind", "127.0.0.1",
                        "--save", "", "--appendonly", "no"},
                       port, ::testing::TempDir() + "strata-cluster-restart.log");
  };
  ASSERT_TRUE(start().ok());
  TestNode a(port), b(port);
  auto watcher = std::make_shared<testing::FakeClient>(5, "w");
  ASSERT_TRUE(a.Write("gap/1", Expect::kAbsent, 0, {0, R"({"v":0})"}).ok());
  ASSERT_TRUE(b.Subscribe("gap/1", watcher).ok());
  redis.Stop();
  ASSERT_TRUE(start().ok());  // empty: no records, no functions
  // Writes fail until the command connection is back, then reload the functions.
  ASSERT_TRUE(Eventually([&] {
    Result<WriteOutcome> w = a.Write("gap/1", Expect::kAbsent, 0, {0, R"({"v":"after"})"});
    return w.ok() && w->committed;
  }));
  ASSERT_TRUE(Eventually([&] {
    std::vector<Message> sent = b.Sent(watcher);
    return !sent.empty() && sent.back() == msgs::Update("gap/1", 0, R"({"v":"after"})");
  }));
  // Whichever node called first loaded the functions again (B re-reads after its gap).
  EXPECT_GE(a.node->stats().function_reloads + b.node->stats().function_reloads, 1u);
  EXPECT_GE(b.node->stats().bus.reconnects, 1u);
  // Nothing older than what it last got, and nothing twice.
  std::vector<Message> sent = b.Sent(watcher);
  for (size_t i = 1; i < sent.size(); ++i) EXPECT_NE(sent[i], sent[i - 1]);
}

}  // namespace
}  // namespace strata::cluster
