// The redis connector through Redis Sentinel, against Debian's real redis-server: a primary, a
// replica and three sentinels that the test starts itself. Runs the shared connector suite
// through the sentinels, and covers failovers, requested and after a crash (the connector
// follows the new master and keeps the replicated data), a master demoted under the connector
// (-READONLY), and the start failures: an unknown master name, no sentinel reachable, bad
// options.

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "connectors/redis/redis_connector.h"
#include "connectors/redis/redis_test_fixture.h"
#include "connectors/redis/redis_test_servers.h"
#include "connectors/testing/connector_suite.h"
#include "connectors/testing/external_server.h"
#include "strata/connector_abi.h"

namespace strata {
namespace {

using namespace std::chrono_literals;
using testing::ConnectorTraits;
using testing::ExternalServer;
using testing::FreePort;
using testing::SentinelDeployment;
using testing::SentinelList;

// Polls `done` every 100 ms until it holds or `limit` passes.
template <typename Predicate>
bool Eventually(Predicate done, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(100ms);
  }
  return true;
}

// One deployment for the shared connector suite, started on first use and stopped when the test
// binary exits.
const SentinelDeployment& SharedDeployment() {
  static SentinelDeployment deployment;
  static const bool started = [] {
    Status status = deployment.Start();
    if (!status.ok()) ADD_FAILURE() << status.ToString();
    return status.ok();
  }();
  (void)started;
  return deployment;
}

// Every suite test gets its own key prefix, so tests never see each other's records.
std::string FreshPrefix() {
  static std::atomic<int> next{0};
  return R"(,"keyPrefix":"suite)" + std::to_string(next++) + R"(:")";
}

ConnectorTraits Traits(const std::string& name, uint32_t role) {
  return {.name = name,
          .make =
              [role](const std::string&) {
                return NewRedisConnector(role,
                                         SharedDeployment().Options("mymaster", FreshPrefix()));
              },
          .durable = true,
          .is_cache = role == STRATA_ROLE_CACHE};
}

}  // namespace

STRATA_INSTANTIATE_CONNECTOR_SUITE(RedisSentinelCache,
                                   Traits("RedisSentinelCache", STRATA_ROLE_CACHE));
STRATA_INSTANTIATE_CACHE_CONNECTOR_SUITE(RedisSentinelCache,
                                         Traits("RedisSentinelCache", STRATA_ROLE_CACHE));

namespace {

// A deployment of its own per test (failover changes it).
class RedisSentinelTest : public RedisConnectorTest {
 protected:
  void SetUp() override {
    Status started = d_.Start();
    ASSERT_TRUE(started.ok()) << started.ToString();
  }
  std::string SentinelOptions(const std::string& name = "mymaster") const {
    return d_.Options(name, R"(,"keyPrefix":"s:")");
  }
  // Where sentinel 0 says the master is: "127.0.0.1 <port>".
  std::string MasterAddress() {
    return RawRedis(d_.sentinel_ports[0]).Run({"SENTINEL", "get-master-addr-by-name", "mymaster"});
  }

  // Stopped after TearDown has closed the connectors.
  SentinelDeployment d_;
};

TEST_F(RedisSentinelTest, SetsAndGetsOnTheMasterTheSentinelsName) {
  CacheConnector& cache = Started(SentinelOptions());
  const RecordValue value{3, R"({"a":1})"};
  ASSERT_TRUE(Set(cache, "rec", value).ok());
  auto got = Get(cache, "rec");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->value_or(RecordValue{}), value);
  EXPECT_EQ(RawRedis(d_.primary_port).Run({"GET", "s:rec_v"}), "3");
}

TEST_F(RedisSentinelTest, FailoverMovesTheConnectorToTheNewMasterWithItsData) {
  CacheConnector& cache = Started(SentinelOptions(), &events_);
  const RecordValue before{1, R"({"before":true})"};
  ASSERT_TRUE(Set(cache, "before", before).ok());
  RawRedis primary(d_.primary_port);
  ASSERT_TRUE(Eventually(
      [&] {
        return primary.Run({"WAIT", "1", "1000"}) == "1";
      },
      30s))
      << "the replica never caught up";

  // Sentinels learn of the replica from the primary's INFO; until then: -NOGOODSLAVE.
  RawRedis sentinel(d_.sentinel_ports[0]);
  ASSERT_TRUE(Eventually(
      [&] {
        return sentinel.Run({"SENTINEL", "FAILOVER", "mymaster"}) == "OK";
      },
      30s));
  const std::string new_master = "127.0.0.1 " + std::to_string(d_.replica_port);
  ASSERT_TRUE(Eventually([&] { return MasterAddress() == new_master; }, 30s)) << MasterAddress();

  // Writes may fail, or land on the old master until the sentinels demote it; in the end they
  // reach the new one.
  const RecordValue after{2, R"({"after":true})"};
  RawRedis promoted(d_.replica_port);
  ASSERT_EQ(promoted.Run({"GET", "s:after_v"}), "(nil)");
  EXPECT_TRUE(Eventually(
      [&] {
        return Set(cache, "after", after).ok() && promoted.Run({"GET", "s:after_v"}) == "2";
      },
      60s));
  EXPECT_GE(events_.CountOf(ConnectorEvent::kConnectionLost), 1);
  auto got = Get(cache, "before");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->value_or(RecordValue{}), before);
}

TEST_F(RedisSentinelTest, KilledMasterIsReplacedAndTheConnectorReconnectsToTheNewOne) {
  CacheConnector& cache = Started(SentinelOptions(), &events_);
  const RecordValue before{1, R"({"before":true})"};
  ASSERT_TRUE(Set(cache, "before", before).ok());
  RawRedis primary(d_.primary_port);
  ASSERT_TRUE(Eventually([&] { return primary.Run({"WAIT", "1", "1000"}) == "1"; }, 30s));
  // An automatic failover needs the sentinels to know each other (a majority elects a leader).
  RawRedis sentinel(d_.sentinel_ports[0]);
  ASSERT_TRUE(Eventually(
      [&] {
        std::string master = sentinel.Run({"SENTINEL", "master", "mymaster"});
        return master.find("num-other-sentinels 2") != std::string::npos &&
               master.find("num-slaves 1") != std::string::npos;
      },
      30s));

  d_.primary.Kill();
  EXPECT_TRUE(events_.WaitFor(ConnectorEvent::kConnectionLost));
  const RecordValue after{2, R"({"after":true})"};
  EXPECT_TRUE(Eventually([&] { return Set(cache, "after", after).ok(); }, 60s));
  EXPECT_TRUE(events_.WaitFor(ConnectorEvent::kConnectionRestored));
  EXPECT_EQ(RawRedis(d_.replica_port).Run({"GET", "s:after_v"}), "2");
  auto got = Get(cache, "before");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->value_or(RecordValue{}), before);
}

TEST_F(RedisSentinelTest, ReadonlyReplyDropsTheConnectionAndFailsUnavailable) {
  // Connected straight to the replica, as to a master demoted while the connector was on it.
  CacheConnector& cache =
      Started(R"({"host":"127.0.0.1","port":)" + std::to_string(d_.replica_port) + "}", &events_);
  Status set = Set(cache, "x", RecordValue{1, "{}"});
  EXPECT_EQ(set.code(), StatusCode::kUnavailable) << set.ToString();
  EXPECT_NE(set.message().find("READONLY"), std::string_view::npos) << set.ToString();
  EXPECT_TRUE(events_.WaitFor(ConnectorEvent::kConnectionLost));
  EXPECT_TRUE(events_.WaitFor(ConnectorEvent::kConnectionRestored));
}

TEST_F(RedisSentinelTest, UnknownMasterNameFailsStart) {
  CacheConnector& cache = Make(SentinelOptions("nosuch"));
  Status started = Start(cache);
  EXPECT_EQ(started.code(), StatusCode::kUnavailable);
  EXPECT_NE(started.message().find("no master named 'nosuch'"), std::string_view::npos)
      << started.ToString();
}

TEST_F(RedisConnectorTest, NoSentinelReachableFailsStartNamingThem) {
  const std::vector<uint16_t> ports = {FreePort(), FreePort()};
  CacheConnector& cache = Make(R"({"sentinels":)" + SentinelList(ports) + R"(,"name":"m"})");
  Status started = Start(cache);
  EXPECT_EQ(started.code(), StatusCode::kUnavailable);
  for (uint16_t port : ports) {
    EXPECT_NE(started.message().find("sentinel 127.0.0.1:" + std::to_string(port)),
              std::string_view::npos)
        << started.ToString();
  }
}

TEST(RedisSentinelOptionsTest, AreParsedAndValidatedNamingTheKey) {
  auto parsed =
      ParseRedisOptions(R"({"sentinels":[{"host":"a","port":"26380"},{"host":"b"}],"name":"m",)"
                        R"("sentinelUsername":"u","sentinelPassword":"p"})",
                        "cache");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->sentinels.size(), 2u);
  EXPECT_EQ(parsed->sentinels[0].host, "a");
  EXPECT_EQ(parsed->sentinels[0].port, 26380);
  EXPECT_EQ(parsed->sentinels[1].port, 26379);
  EXPECT_EQ(parsed->name, "m");
  EXPECT_EQ(parsed->sentinel_username, "u");
  EXPECT_EQ(parsed->sentinel_password, "p");

  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"sentinels":[{"host":"a"},{"host":""}],"name":"m"})", "cache.options.sentinels[1].host"},
      {R"({"sentinels":[{"port":0}],"name":"m"})", "cache.options.sentinels[0].port"},
      {R"({"sentinels":[{"hots":"a"}],"name":"m"})", "cache.options.sentinels[0].hots: unknown"},
      {R"({"sentinels":["a:1"],"name":"m"})", "cache.options.sentinels[0]: expected a mapping"},
      {R"({"sentinels":[],"name":"m"})", "cache.options.sentinels: expected a non-empty list"},
      {R"({"sentinels":[{"host":"a"}]})", "cache.options.name: expected the master group name"},
      {R"({"sentinelPassword":5})", "cache.options.sentinelPassword"},
  };
  for (const auto& [json, expected] : cases) {
    auto result = ParseRedisOptions(json, "cache");
    ASSERT_FALSE(result.ok()) << json;
    EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument) << json;
    EXPECT_NE(result.status().message().find(expected), std::string_view::npos)
        << result.status().ToString();
  }
}

}  // namespace
}  // namespace strata
