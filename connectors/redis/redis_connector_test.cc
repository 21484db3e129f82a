// The redis connector against a real redis-server that the test starts itself (Debian package
// redis-server): the shared connector suite for both roles, plus deepstream key-layout
// compatibility, ttl, options, authentication, and outages (Redis down, killed, stopped,
// restarted on the same port).

#include "connectors/redis/redis_connector.h"

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include "connectors/redis/redis_test_fixture.h"
#include "connectors/testing/connector_suite.h"
#include "connectors/testing/external_server.h"
#include "connectors/testing/plugin_under_test.h"
#include "strata/connector_abi.h"

namespace strata {
namespace {

using testing::AsStorage;
using testing::Await;
using testing::AwaitDone;
using testing::ConnectorTraits;
using testing::ExternalServer;
using testing::FreePort;
using testing::GetBulkNow;

// Starts redis-server on `port`; extra arguments (e.g. --requirepass) are appended.
Status StartRedis(ExternalServer& server, uint16_t port, std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {
      "redis-server", "--port", std::to_string(port), "--bind", "127.0.0.1",
      "--save",       "",       "--appendonly",       "no"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  std::string log = ::testing::TempDir() + "strata-redis-" + std::to_string(port) + ".log";
  return server.Start(std::move(argv), port, log);
}

// One redis-server shared by the suite and most tests, started on first use and stopped (by
// its pid) when the test binary exits.
uint16_t SharedRedisPort() {
  static ExternalServer server;
  static uint16_t port = [] {
    uint16_t p = FreePort();
    Status started = StartRedis(server, p);
    if (!started.ok()) {
      ADD_FAILURE() << started.ToString();
      return uint16_t{0};
    }
    return p;
  }();
  return port;
}

std::string Options(uint16_t port, const std::string& extra = "") {
  return R"({"host":"127.0.0.1","port":)" + std::to_string(port) + extra + "}";
}

// Every suite test gets its own key prefix, so tests never see each other's records.
std::string FreshPrefix() {
  static std::atomic<int> next{0};
  return R"(,"keyPrefix":"suite)" + std::to_string(next++) + R"(:")";
}

ConnectorTraits Traits(const std::string& name, uint32_t role, const std::string& extra = "") {
  return {.name = name,
          .make =
              [role, extra](const std::string&) {
                return NewRedisConnector(role, Options(SharedRedisPort(), FreshPrefix() + extra));
              },
          .durable = true,
          .is_cache = role == STRATA_ROLE_CACHE};
}

}  // namespace

STRATA_INSTANTIATE_CONNECTOR_SUITE(RedisCache, Traits("RedisCache", STRATA_ROLE_CACHE));
STRATA_INSTANTIATE_CONNECTOR_SUITE(RedisStorage, Traits("RedisStorage", STRATA_ROLE_STORAGE));
// With a ttl every write takes the MULTI / SET EX path.
STRATA_INSTANTIATE_CONNECTOR_SUITE(RedisTtl,
                                   Traits("RedisTtl", STRATA_ROLE_CACHE, R"(,"ttl":3600)"));
STRATA_INSTANTIATE_CACHE_CONNECTOR_SUITE(RedisCache, Traits("RedisCache", STRATA_ROLE_CACHE));
STRATA_INSTANTIATE_CACHE_CONNECTOR_SUITE(RedisTtl,
                                         Traits("RedisTtl", STRATA_ROLE_CACHE, R"(,"ttl":3600)"));

namespace {

TEST_F(RedisConnectorTest, ReadsWhatDeepstreamWrote) {
  RawRedis raw(SharedRedisPort());
  ASSERT_TRUE(raw.ok());
  // @deepstream/cache-redis v2: MSET without a ttl, SETEX x2 with one; JSON.stringify'd data.
  raw.Run({"MSET", "ds/plain_v", "7", "ds/plain_d", R"({"firstname":"Wolfram","n":[1,2]})"});
  raw.Run({"SETEX", "ds/ttl_v", "3600", "12"});
  raw.Run({"SETEX", "ds/ttl_d", "3600", R"(["a","b"])"});
  CacheConnector& connector = Started(Options(SharedRedisPort()));

  auto plain = Get(connector, "ds/plain");
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(*plain, (RecordValue{7, R"({"firstname":"Wolfram","n":[1,2]})"}));
  auto with_ttl = Get(connector, "ds/ttl");
  ASSERT_TRUE(with_ttl.ok()) << with_ttl.status().ToString();
  EXPECT_EQ(*with_ttl, (RecordValue{12, R"(["a","b"])"}));
  auto head = Head(connector, "ds/plain");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(*head, std::optional<Version>(7));
}

TEST_F(RedisConnectorTest, WritesWhatDeepstreamReads) {
  CacheConnector& connector = Started(Options(SharedRedisPort()));
  ASSERT_TRUE(Set(connector, "strata/rec", RecordValue{3, R"({"x":true})"}).ok());
  RawRedis raw(SharedRedisPort());
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw.Run({"GET", "strata/rec_v"}), "3");
  EXPECT_EQ(raw.Run({"GET", "strata/rec_d"}), R"({"x":true})");
  EXPECT_EQ(raw.Run({"TTL", "strata/rec_v"}), "-1");  // no ttl configured: kept forever
  ASSERT_TRUE(
      AwaitDone([&](DoneCallback cb) { connector.Delete("strata/rec", std::move(cb)); }).ok());
  EXPECT_EQ(raw.Run({"EXISTS", "strata/rec_v", "strata/rec_d"}), "0");
}

TEST_F(RedisConnectorTest, VersionWithoutDataIsAMissAndBadVersionIsDataLoss) {
  RawRedis raw(SharedRedisPort());
  ASSERT_TRUE(raw.ok());
  raw.Run({"SET", "half_v", "4"});  // its _d already expired
  raw.Run({"MSET", "corrupt_v", "four", "corrupt_d", "{}"});
  CacheConnector& connector = Started(Options(SharedRedisPort()));
  auto half = Get(connector, "half");
  ASSERT_TRUE(half.ok()) << half.status().ToString();
  EXPECT_FALSE(half->has_value());
  auto corrupt = Get(connector, "corrupt");
  EXPECT_EQ(corrupt.status().code(), StatusCode::kDataLoss);
}

TEST_F(RedisConnectorTest, GetBulkReadsWhatDeepstreamWroteAndFailsAsAWholeOnBadData) {
  RawRedis raw(SharedRedisPort());
  ASSERT_TRUE(raw.ok());
  raw.Run({"MSET", "gb/plain_v", "7", "gb/plain_d", R"({"n":[1,2]})"});
  raw.Run({"SET", "gb/half_v", "4"});  // its _d already expired
  CacheConnector& connector = Started(Options(SharedRedisPort()));
  auto bulk = GetBulkNow(connector, {"gb/half", "gb/plain", "gb/none"});
  ASSERT_TRUE(bulk.ok()) << bulk.status().ToString();
  EXPECT_EQ(*bulk, (GetBulkResult{std::nullopt, RecordValue{7, R"({"n":[1,2]})"}, std::nullopt}));
  raw.Run({"MSET", "gb/corrupt_v", "four", "gb/corrupt_d", "{}"});
  auto corrupt = GetBulkNow(connector, {"gb/plain", "gb/corrupt"});
  EXPECT_EQ(corrupt.status().code(), StatusCode::kDataLoss) << corrupt.status().ToString();
  EXPECT_NE(corrupt.status().message().find("gb/corrupt"), std::string_view::npos);
}

TEST_F(RedisConnectorTest, GetBulkOfNamesWithOddBytesUsesTheSameKeysAsGet) {
  CacheConnector& connector = Started(Options(SharedRedisPort(), R"(,"keyPrefix":"odd:")"));
  const std::vector<std::string> names = {"with space",
                                          "crlf\r\n*3\r\n$3",
                                          std::string("nul\0byte", 8),
                                          "ü/ñ/日本",
                                          "x_v",
                                          "x",
                                          "x_d",
                                          "",
                                          std::string(3000, 'l'),
                                          "quote\"'`$%_{}[]"};
  std::vector<NamedValue> records;
  for (size_t i = 0; i < names.size(); ++i) {
    records.push_back(
        {names[i], RecordValue{static_cast<Version>(i + 1), R"({"i":)" + std::to_string(i) + "}"}});
  }
  ASSERT_TRUE(AwaitDone([&](DoneCallback cb) { connector.SetBulk(records, std::move(cb)); }).ok());
  std::vector<std::string> asked(names.rbegin(), names.rend());
  asked.insert(asked.begin() + 3, "never written");
  auto bulk = GetBulkNow(connector, asked);
  ASSERT_TRUE(bulk.ok()) << bulk.status().ToString();
  ASSERT_EQ(bulk->size(), asked.size());
  for (size_t i = 0; i < asked.size(); ++i) {
    auto single = Get(connector, asked[i]);
    ASSERT_TRUE(single.ok()) << single.status().ToString();
    EXPECT_EQ((*bulk)[i], *single) << i;
    EXPECT_EQ((*bulk)[i].has_value(), asked[i] != "never written") << i;
  }
  RawRedis raw(SharedRedisPort());
  EXPECT_EQ(raw.Run({"GET", std::string("odd:nul\0byte_v", 14)}), "3");
}

TEST_F(RedisConnectorTest, GetBulkFailsAsAWholeWhenRedisHangsOrDies) {
  ExternalServer server;
  uint16_t port = FreePort();
  ASSERT_TRUE(StartRedis(server, port).ok());
  CacheConnector& quick = Started(Options(port, R"(,"commandTimeout":300)"));
  CacheConnector& patient = Started(Options(port, R"(,"commandTimeout":600000)"));
  ASSERT_TRUE(Set(quick, "a", RecordValue{1, R"({"a":1})"}).ok());
  ASSERT_TRUE(Set(quick, "b", RecordValue{2, R"({"b":2})"}).ok());

  ASSERT_TRUE(server.Freeze());
  auto late = GetBulkNow(quick, {"a", "b", "none"});
  EXPECT_EQ(late.status().code(), StatusCode::kDeadlineExceeded) << late.status().ToString();
  server.Thaw();
  // The late replies are read and dropped: the next batch gets its own answers.
  auto after = GetBulkNow(quick, {"b", "none", "a"});
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(*after, (GetBulkResult{RecordValue{2, R"({"b":2})"}, std::nullopt,
                                   RecordValue{1, R"({"a":1})"}}));

  // Redis dies while the batch waits for it: one kUnavailable for the whole batch.
  ASSERT_TRUE(server.Freeze());
  struct Answer {
    std::atomic<int> calls{0};
    std::optional<Result<GetBulkResult>> result;
    testing::Countdown done{1};
  };
  auto answer = std::make_shared<Answer>();
  patient.GetBulk(std::vector<std::string>{"a", "b"}, [answer](Result<GetBulkResult> r) {
    if (++answer->calls > 1) return;
    answer->result.emplace(std::move(r));
    answer->done.Done();
  });
  server.Kill();
  ASSERT_TRUE(answer->done.Wait()) << "connector hung";
  EXPECT_EQ(answer->result->status().code(), StatusCode::kUnavailable)
      << answer->result->status().ToString();
  EXPECT_EQ(GetBulkNow(patient, {"a"}).status().code(), StatusCode::kUnavailable);  // at once
  EXPECT_EQ(answer->calls.load(), 1);
}

TEST_F(RedisConnectorTest, KeyPrefixAndDbArePrependedAndSelected) {
  CacheConnector& connector = Started(Options(SharedRedisPort(), R"(,"keyPrefix":"app1:","db":3)"));
  ASSERT_TRUE(Set(connector, "rec", RecordValue{1, "{}"}).ok());
  RawRedis raw(SharedRedisPort());
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw.Run({"EXISTS", "app1:rec_v"}), "0");  // not in db 0
  raw.Run({"SELECT", "3"});
  EXPECT_EQ(raw.Run({"GET", "app1:rec_v"}), "1");
  EXPECT_EQ(raw.Run({"GET", "app1:rec_d"}), "{}");
}

TEST_F(RedisConnectorTest, TtlExpiresBothKeys) {
  CacheConnector& connector = Started(Options(SharedRedisPort(), R"(,"ttl":1)"));
  ASSERT_TRUE(Set(connector, "short-lived", RecordValue{1, R"({"a":1})"}).ok());
  RawRedis raw(SharedRedisPort());
  ASSERT_TRUE(raw.ok());
  for (const char* key : {"short-lived_v", "short-lived_d"}) {
    std::string ttl = raw.Run({"PTTL", key});
    EXPECT_TRUE(ttl == "-2" || (std::stoll(ttl) > 0 && std::stoll(ttl) <= 1000)) << ttl;
  }
  // Bounded poll for the outcome; no assertion on when exactly it happens.
  bool gone = false;
  for (int i = 0; i < 300 && !gone; ++i) {
    auto got = Get(connector, "short-lived");
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    gone = !got->has_value();
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(gone);
  EXPECT_EQ(raw.Run({"EXISTS", "short-lived_v", "short-lived_d"}), "0");
}

TEST_F(RedisConnectorTest, OptionsAreValidatedNamingTheKey) {
  struct Case {
    uint32_t role;
    std::string json;
    std::string expected;  // substring of the message
  };
  std::vector<Case> cases = {
      {STRATA_ROLE_CACHE, R"({"bogus":1})", "cache.options.bogus: unknown option"},
      {STRATA_ROLE_STORAGE, R"({"bogus":1})", "storage.options.bogus: unknown option"},
      {STRATA_ROLE_CACHE, R"({"port":"abc"})", "cache.options.port: expected an integer"},
      {STRATA_ROLE_CACHE, R"({"port":70000})", "cache.options.port"},
      {STRATA_ROLE_STORAGE, R"({"host":5})", "storage.options.host: expected a non-empty"},
      {STRATA_ROLE_CACHE, R"({"ttl":-1})", "cache.options.ttl"},
      {STRATA_ROLE_CACHE, R"({"db":true})", "cache.options.db"},
      {STRATA_ROLE_CACHE, R"({"password":1})", "cache.options.password"},
      {STRATA_ROLE_CACHE, R"({"connectTimeout":0})", "cache.options.connectTimeout"},
      {STRATA_ROLE_CACHE, R"({"commandTimeout":"x"})", "cache.options.commandTimeout"},
      {STRATA_ROLE_CACHE, R"({"url":"http://x"})", "cache.options.url"},
      {STRATA_ROLE_CACHE, R"({"nodes":[]})", "cache.options.nodes: not supported"},
      {STRATA_ROLE_CACHE, R"([1])", "cache.options: expected a mapping"},
  };
  for (const Case& c : cases) {
    auto made = NewRedisConnector(c.role, c.json);
    ASSERT_FALSE(made.ok()) << c.json;
    EXPECT_EQ(made.status().code(), StatusCode::kInvalidArgument) << c.json;
    EXPECT_NE(made.status().message().find(c.expected), std::string_view::npos)
        << made.status().ToString();
  }
  EXPECT_TRUE(NewRedisConnector(STRATA_ROLE_CACHE, "").ok());
  EXPECT_TRUE(NewRedisConnector(STRATA_ROLE_CACHE, "{}").ok());
  EXPECT_FALSE(NewRedisConnector(4, "{}").ok());
}

TEST_F(RedisConnectorTest, OptionsAcceptStringsAndUrl) {
  auto options = ParseRedisOptions(
      R"({"port":"6380","ttl":"60","url":"redis://user:p%40ss@example.org:7000/2"})", "cache");
  ASSERT_TRUE(options.ok()) << options.status().ToString();
  EXPECT_EQ(options->host, "example.org");  // url wins, as in @deepstream/cache-redis
  EXPECT_EQ(options->port, 7000);
  EXPECT_EQ(options->username, "user");
  EXPECT_EQ(options->password, "p@ss");
  EXPECT_EQ(options->db, 2);
  EXPECT_EQ(options->ttl_seconds, 60);
  auto defaults = ParseRedisOptions("", "cache");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->host, "127.0.0.1");
  EXPECT_EQ(defaults->port, 6379);
  EXPECT_EQ(defaults->db, 0);
  EXPECT_EQ(defaults->ttl_seconds, 0);
  EXPECT_EQ(defaults->key_prefix, "");
}

TEST_F(RedisConnectorTest, RedisDownAtStartFailsUnavailableNamingHostAndPort) {
  uint16_t port = FreePort();  // nothing listens there
  CacheConnector& connector = Make(Options(port));
  Status started = Start(connector);
  EXPECT_EQ(started.code(), StatusCode::kUnavailable) << started.ToString();
  EXPECT_NE(started.message().find("127.0.0.1:" + std::to_string(port)), std::string_view::npos)
      << started.ToString();
  // A connector whose start failed is closed; operations still complete, once.
  auto got = Get(connector, "x");
  EXPECT_EQ(got.status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(RedisConnectorTest, OperationsBeforeStartFailPrecondition) {
  CacheConnector& connector = Make(Options(SharedRedisPort()));
  EXPECT_EQ(Set(connector, "x", RecordValue{1, "{}"}).code(), StatusCode::kFailedPrecondition);
}

TEST_F(RedisConnectorTest, PasswordAuthentication) {
  ExternalServer server;
  uint16_t port = FreePort();
  ASSERT_TRUE(StartRedis(server, port, {"--requirepass", "s3cret"}).ok());

  CacheConnector& good = Started(Options(port, R"(,"password":"s3cret")"));
  ASSERT_TRUE(Set(good, "secured", RecordValue{2, R"({"k":"v"})"}).ok());
  auto got = Get(good, "secured");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, (RecordValue{2, R"({"k":"v"})"}));

  Status wrong = Start(Make(Options(port, R"(,"password":"nope")")));
  EXPECT_EQ(wrong.code(), StatusCode::kInvalidArgument) << wrong.ToString();
  Status missing = Start(Make(Options(port)));
  EXPECT_EQ(missing.code(), StatusCode::kInvalidArgument) << missing.ToString();
  EXPECT_NE(missing.message().find("NOAUTH"), std::string_view::npos) << missing.ToString();
}

TEST_F(RedisConnectorTest, KilledWhileInFlightFailsOnceThenRecoversOnRestart) {
  ExternalServer server;
  uint16_t port = FreePort();
  ASSERT_TRUE(StartRedis(server, port).ok());
  EventLog& events = events_;
  CacheConnector& connector = Started(Options(port, R"(,"commandTimeout":600000)"), &events);
  ASSERT_TRUE(Set(connector, "survivor", RecordValue{1, "{}"}).ok());

  // Frozen, Redis answers nothing: every operation below is in flight (or queued) at the kill.
  ASSERT_TRUE(server.Freeze());
  constexpr int kOps = 300;
  std::vector<std::atomic<int>> calls(kOps);
  std::atomic<int> unavailable{0};
  testing::Countdown all(kOps);
  auto count = [&](int i, const Status& s) {
    if (s.code() == StatusCode::kUnavailable) ++unavailable;
    if (++calls[i] == 1) all.Done();
  };
  for (int i = 0; i < kOps; ++i) {
    std::string name = "inflight/" + std::to_string(i);
    if (i % 2 == 0) {
      connector.Set(name, RecordValue{1, "{}"}, [&, i](Status s) { count(i, s); });
    } else {
      connector.Get(name, [&, i](Result<std::optional<RecordValue>> r) { count(i, r.status()); });
    }
  }
  server.Kill();
  ASSERT_TRUE(all.Wait()) << "connector hung";
  EXPECT_EQ(unavailable.load(), kOps);
  ASSERT_TRUE(events.WaitFor(ConnectorEvent::kConnectionLost));

  // While Redis is down, operations fail at once instead of waiting for it.
  EXPECT_EQ(Set(connector, "while-down", RecordValue{1, "{}"}).code(), StatusCode::kUnavailable);

  // Same port, fresh (empty) Redis: the connector reconnects by itself.
  ExternalServer restarted;
  ASSERT_TRUE(StartRedis(restarted, port).ok());
  ASSERT_TRUE(events.WaitFor(ConnectorEvent::kConnectionRestored));
  ASSERT_TRUE(Set(connector, "after", RecordValue{9, R"({"back":1})"}).ok());
  auto got = Get(connector, "after");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, (RecordValue{9, R"({"back":1})"}));

  EXPECT_EQ(events.CountOf(ConnectorEvent::kConnectionLost), 1);
  EXPECT_EQ(events.CountOf(ConnectorEvent::kConnectionRestored), 1);
  for (const std::string& name : events.connectors()) EXPECT_EQ(name, "redis");
  for (int i = 0; i < kOps; ++i) ASSERT_EQ(calls[i].load(), 1) << "operation " << i;
}

TEST_F(RedisConnectorTest, SlowRedisTimesOutAndTheConnectionStaysInStep) {
  ExternalServer server;
  uint16_t port = FreePort();
  ASSERT_TRUE(StartRedis(server, port).ok());
  CacheConnector& connector = Started(Options(port, R"(,"commandTimeout":300)"));
  ASSERT_TRUE(Set(connector, "before", RecordValue{1, R"({"n":1})"}).ok());

  ASSERT_TRUE(server.Freeze());
  auto late = Get(connector, "before");
  EXPECT_EQ(late.status().code(), StatusCode::kDeadlineExceeded) << late.status().ToString();
  server.Thaw();

  // The late reply is read and dropped: the next answers match their own requests.
  ASSERT_TRUE(Set(connector, "after", RecordValue{2, R"({"n":2})"}).ok());
  auto after = Get(connector, "after");
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(*after, (RecordValue{2, R"({"n":2})"}));
  auto before = Get(connector, "before");
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  EXPECT_EQ(*before, (RecordValue{1, R"({"n":1})"}));
}

TEST_F(RedisConnectorTest, CloseCompletesWhileRedisIsHung) {
  ExternalServer server;
  uint16_t port = FreePort();
  ASSERT_TRUE(StartRedis(server, port).ok());
  CacheConnector& connector = Started(Options(port, R"(,"commandTimeout":300)"));
  ASSERT_TRUE(server.Freeze());
  auto pending = Await<std::optional<Version>>(
      [&](Callback<std::optional<Version>> cb) { connector.Head("x", std::move(cb)); });
  EXPECT_EQ(pending.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(AwaitDone([&](DoneCallback cb) { connector.Close(std::move(cb)); }).ok());
  server.Kill();
}

TEST_F(RedisConnectorTest, CloseFinishesAcceptedWrites) {
  auto made = NewRedisConnector(STRATA_ROLE_CACHE, Options(SharedRedisPort()));
  ASSERT_TRUE(made.ok());
  std::unique_ptr<StorageConnector> connector = std::move(made).value();
  ASSERT_TRUE(Start(*connector).ok());
  constexpr int kWrites = 2000;
  std::atomic<int> ok{0};
  std::atomic<int> calls{0};
  for (int i = 0; i < kWrites; ++i) {
    connector->Set("closing/" + std::to_string(i), RecordValue{1, "{}"}, [&](Status s) {
      if (s.ok()) ++ok;
      ++calls;
    });
  }
  ASSERT_TRUE(AwaitDone([&](DoneCallback cb) { connector->Close(std::move(cb)); }).ok());
  EXPECT_EQ(calls.load(), kWrites);  // all answered before Close completed
  EXPECT_EQ(ok.load(), kWrites);
  connector.reset();
  RawRedis raw(SharedRedisPort());
  EXPECT_EQ(raw.Run({"GET", "closing/" + std::to_string(kWrites - 1) + "_v"}), "1");
}

TEST(RedisPluginTest, ExportsInfoAndCreatesInstances) {
  testing::PluginUnderTest plugin(STRATA_REDIS_PLUGIN);
  ASSERT_TRUE(plugin.ok());
  EXPECT_EQ(plugin.info().abi_version, STRATA_CONNECTOR_ABI_VERSION);
  EXPECT_STREQ(plugin.info().name, "redis");
  EXPECT_EQ(plugin.info().roles, static_cast<uint32_t>(STRATA_ROLE_CACHE | STRATA_ROLE_STORAGE));
  auto bad = plugin.Create(STRATA_ROLE_STORAGE, R"({"port":"abc"})");
  EXPECT_EQ(bad.code, STRATA_INVALID_ARGUMENT);
  EXPECT_NE(bad.error.find("storage.options.port"), std::string::npos) << bad.error;
  auto good = plugin.Create(STRATA_ROLE_CACHE, Options(SharedRedisPort()));
  ASSERT_EQ(good.code, STRATA_OK) << good.error;
  EXPECT_TRUE(good.has_head);
}

}  // namespace
}  // namespace strata
