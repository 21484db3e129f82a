#include "connectors/memcached/memcached_cache.h"

#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <vector>

#include <gtest/gtest.h>

#include "connectors/memcached/memcached_client.h"
#include "connectors/memcached/record_codec.h"
#include "connectors/memcached/sha256.h"
#include "connectors/testing/connector_suite.h"
#include "connectors/testing/external_server.h"
#include "connectors/testing/plugin_under_test.h"
#include "strata/connector_abi.h"

namespace strata {
namespace {

using testing::Await;
using testing::AwaitDone;
using testing::ConnectorTraits;
using testing::ExternalServer;
using testing::FreePort;
using testing::GetBulkNow;

std::string LogFile() {
  return (std::filesystem::temp_directory_path() / "strata-memcached-test.log").string();
}

// memcached on 127.0.0.1:`port`; it refuses to run as root without -u.
Status StartMemcached(ExternalServer& server, uint16_t port) {
  std::vector<std::string> argv = {"memcached",          "-l", "127.0.0.1", "-p",
                                   std::to_string(port), "-U", "0"};
  if (geteuid() == 0) argv.insert(argv.end(), {"-u", "nobody"});
  return server.Start(argv, port, LogFile());
}

std::string OptionsFor(uint16_t port, int timeout_ms = 5000) {
  return R"({"serverLocation": "127.0.0.1:)" + std::to_string(port) +
         R"(", "memcachedOptions": {"timeout": )" + std::to_string(timeout_ms) +
         R"(, "retry": 100}})";
}

// The suite gets a fresh memcached per test, so no test sees another's records. The previous
// test's connector is closed and destroyed before the next one is made.
ExternalServer& SuiteServer() {
  static ExternalServer server;
  return server;
}

ConnectorTraits MemcachedTraits() {
  return {.name = "Memcached",
          .make = [](const std::string&) -> Result<std::unique_ptr<StorageConnector>> {
            SuiteServer().Kill();
            uint16_t port = FreePort();
            STRATA_RETURN_IF_ERROR(StartMemcached(SuiteServer(), port));
            return NewMemcachedCache(STRATA_ROLE_CACHE, OptionsFor(port));
          },
          .durable = true,
          .is_cache = true};
}

STRATA_INSTANTIATE_CONNECTOR_SUITE(Memcached, MemcachedTraits());
STRATA_INSTANTIATE_CACHE_CONNECTOR_SUITE(Memcached, MemcachedTraits());

// ---- Options ------------------------------------------------------------------------------

TEST(MemcachedOptionsTest, Defaults) {
  for (std::string_view json : {"", "{}"}) {
    Result<MemcachedOptions> options = ParseMemcachedOptions(json);
    ASSERT_TRUE(options.ok()) << options.status().ToString();
    EXPECT_EQ(DescribeServers(options->servers), "127.0.0.1:11211");
    EXPECT_EQ(options->lifetime_s, 60000u);
    EXPECT_EQ(options->timeout_ms, 5000);
    EXPECT_EQ(options->pool_size, 2);
    EXPECT_EQ(options->retry_ms, 1000);
  }
}

TEST(MemcachedOptionsTest, ReadsEveryOption) {
  Result<MemcachedOptions> options = ParseMemcachedOptions(
      R"({"serverLocation": ["cache-a:11311", "cache-b", "[::1]:11400"], "lifetime": 0,
          "memcachedOptions": {"timeout": 250, "poolSize": 4, "retry": 50}})");
  ASSERT_TRUE(options.ok()) << options.status().ToString();
  EXPECT_EQ(DescribeServers(options->servers), "cache-a:11311,cache-b:11211,::1:11400");
  EXPECT_EQ(options->lifetime_s, 0u);
  EXPECT_EQ(options->timeout_ms, 250);
  EXPECT_EQ(options->pool_size, 4);
  EXPECT_EQ(options->retry_ms, 50);
  Result<MemcachedOptions> single = ParseMemcachedOptions(R"({"serverLocation": "h:1"})");
  ASSERT_TRUE(single.ok()) << single.status().ToString();
  EXPECT_EQ(DescribeServers(single->servers), "h:1");
}

TEST(MemcachedOptionsTest, RejectsBadValuesNamingTheKey) {
  struct Case {
    const char* json;
    const char* message;
  };
  const std::string locations =
      R"(expected "host:port" or a non-empty list of "host:port" strings)";
  for (const Case& c : {
           Case{R"({"serverLocation": 5})", "serverLocation"},
           Case{R"({"serverLocation": []})", "serverLocation"},
           Case{R"({"serverLocation": ["h:1", 2]})", "serverLocation"},
           Case{R"({"serverLocation": "h:99999"})", "serverLocation"},
           Case{R"({"serverLocation": ":11211"})", "serverLocation"},
           Case{R"({"lifetime": -1})",
                "cache.options.lifetime: expected an integer from 0 to 2592000 (seconds, 0 = "
                "no expiry)"},
           Case{R"({"lifetime": 2592001})",
                "cache.options.lifetime: expected an integer from 0 to 2592000 (seconds, 0 = "
                "no expiry)"},
           Case{R"({"memcachedOptions": 3})", "cache.options.memcachedOptions: expected an object"},
           Case{R"({"memcachedOptions": {"timeout": 0}})",
                "cache.options.memcachedOptions.timeout: expected an integer from 1 to 3600000 "
                "(milliseconds)"},
           Case{R"({"memcachedOptions": {"poolSize": "2"}})",
                "cache.options.memcachedOptions.poolSize: expected an integer from 1 to 64"},
           Case{R"({"memcachedOptions": {"retries": 2}})",
                "cache.options.memcachedOptions.retries: unknown option; known: timeout, "
                "poolSize, retry"},
           Case{R"({"host": "x"})",
                "cache.options.host: unknown option; known: serverLocation, lifetime, "
                "memcachedOptions"},
           Case{R"([1])", "cache.options: expected a JSON object"},
       }) {
    Result<std::unique_ptr<StorageConnector>> cache = NewMemcachedCache(STRATA_ROLE_CACHE, c.json);
    ASSERT_FALSE(cache.ok()) << c.json;
    EXPECT_EQ(cache.status().code(), StatusCode::kInvalidArgument) << c.json;
    if (std::string_view(c.message) == "serverLocation") {
      EXPECT_EQ(cache.status().message(), "cache.options.serverLocation: " + locations) << c.json;
    } else {
      EXPECT_EQ(cache.status().message(), c.message) << c.json;
    }
  }
}

TEST(MemcachedOptionsTest, OnlyTheCacheRole) {
  Result<std::unique_ptr<StorageConnector>> storage = NewMemcachedCache(STRATA_ROLE_STORAGE, "");
  ASSERT_FALSE(storage.ok());
  EXPECT_EQ(storage.status().code(), StatusCode::kInvalidArgument);
  Result<std::unique_ptr<StorageConnector>> cache = NewMemcachedCache(STRATA_ROLE_CACHE, "");
  ASSERT_TRUE(cache.ok());
  EXPECT_NE(dynamic_cast<MemcachedCache*>(cache->get()), nullptr);
}

// ---- Layout -------------------------------------------------------------------------------

TEST(MemcachedCodecTest, Sha256KnownAnswers) {
  using memcached::Sha256Hex;
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Sha256Hex(std::string(1000, 'a')),
            "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3");
}

TEST(MemcachedCodecTest, KeysArePlainWhenMemcachedCanCarryThem) {
  using memcached::KeyFor;
  EXPECT_EQ(KeyFor("user/42"), "user/42");
  EXPECT_EQ(KeyFor(std::string(250, 'x')), std::string(250, 'x'));
  for (const std::string& odd :
       {std::string(251, 'x'), std::string("a b"), std::string("tab\tname"), std::string("ctl\x01"),
        std::string("j\xC3\xBCrgen"), std::string("#plain"), std::string("")}) {
    std::string key = KeyFor(odd);
    EXPECT_EQ(key.size(), 65u) << odd;
    EXPECT_EQ(key, "#" + memcached::Sha256Hex(odd)) << odd;
  }
}

TEST(MemcachedCodecTest, ValuesRoundTripAndForeignItemsAreDataLoss) {
  for (const RecordValue& value :
       {RecordValue{0, "{}"}, RecordValue{-1, "null"}, RecordValue{2147483647, "[\"a\\nb\"]\n"}}) {
    Result<RecordValue> decoded = memcached::DecodeValue(memcached::EncodeValue(value));
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_EQ(*decoded, value);
  }
  EXPECT_EQ(memcached::EncodeValue({12, R"({"a":1})"}), "12\n{\"a\":1}");
  for (std::string_view foreign : {"", "{}", "\n{}", "12x\n{}", "99999999999\n{}"}) {
    Result<RecordValue> decoded = memcached::DecodeValue(foreign);
    ASSERT_FALSE(decoded.ok()) << foreign;
    EXPECT_EQ(decoded.status().code(), StatusCode::kDataLoss) << foreign;
  }
}

// ---- Against a real memcached -------------------------------------------------------------

// Records connection events; thread-safe.
class EventLog {
 public:
  ConnectorEventListener Listener() {
    return [this](ConnectorEvent event, std::string_view, const Status& detail) {
      std::lock_guard lock(mu_);
      events_.push_back(event);
      details_.push_back(std::string(detail.message()));
      cv_.notify_all();
    };
  }
  // Waits (hang guard) until `event` has been seen `count` times.
  bool WaitFor(ConnectorEvent event, int count = 1) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, testing::kHangGuard, [&] { return Count(event) >= count; });
  }
  std::vector<ConnectorEvent> events() {
    std::lock_guard lock(mu_);
    return events_;
  }
  std::string last_detail() {
    std::lock_guard lock(mu_);
    return details_.empty() ? "" : details_.back();
  }

 private:
  int Count(ConnectorEvent event) const {
    return static_cast<int>(std::count(events_.begin(), events_.end(), event));
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<ConnectorEvent> events_;
  std::vector<std::string> details_;
};

class MemcachedCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = FreePort();
    ASSERT_TRUE(StartMemcached(server_, port_).ok());
  }
  void TearDown() override {
    if (cache_ == nullptr) return;
    EXPECT_TRUE(AwaitDone([&](DoneCallback cb) { cache_->Close(std::move(cb)); }).ok());
  }
  // Makes and starts the cache (listener attached first).
  Status Open(int timeout_ms = 5000) {
    Result<std::unique_ptr<StorageConnector>> made =
        NewMemcachedCache(STRATA_ROLE_CACHE, OptionsFor(port_, timeout_ms));
    if (!made.ok()) return made.status();
    cache_.reset(static_cast<MemcachedCache*>(made->release()));
    cache_->SetEventListener(events_.Listener());
    return AwaitDone([&](DoneCallback cb) { cache_->Start(std::move(cb)); });
  }
  Status Set(const std::string& name, const RecordValue& value) {
    return AwaitDone([&](DoneCallback cb) { cache_->Set(name, value, std::move(cb)); });
  }
  Result<std::optional<RecordValue>> Get(const std::string& name) {
    return Await<std::optional<RecordValue>>(
        [&](Callback<std::optional<RecordValue>> cb) { cache_->Get(name, std::move(cb)); });
  }
  Result<std::optional<Version>> Head(const std::string& name) {
    return Await<std::optional<Version>>(
        [&](Callback<std::optional<Version>> cb) { cache_->Head(name, std::move(cb)); });
  }
  // A raw client on the same server, playing "someone else".
  memcached::MemcachedClient RawClient() {
    Result<MemcachedOptions> options = ParseMemcachedOptions(OptionsFor(port_));
    return memcached::MemcachedClient(*options);
  }

  uint16_t port_ = 0;
  ExternalServer server_;
  EventLog events_;
  std::unique_ptr<MemcachedCache> cache_;
};

TEST_F(MemcachedCacheTest, LongAndOddNamesAreDistinctRecords) {
  ASSERT_TRUE(Open().ok());
  std::vector<std::string> names = {std::string(300, 'n'), std::string(299, 'n') + "m",
                                    "with space",          "with_space",
                                    "tab\there",           "ctl\x01\x02",
                                    "line\nbreak",         "#with space",
                                    "j\xC3\xBCrgen",       ""};
  for (size_t i = 0; i < names.size(); ++i) {
    ASSERT_TRUE(Set(names[i], {static_cast<Version>(i), std::to_string(i)}).ok()) << i;
  }
  for (size_t i = 0; i < names.size(); ++i) {
    Result<std::optional<RecordValue>> got = Get(names[i]);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(*got, std::optional<RecordValue>({static_cast<Version>(i), std::to_string(i)})) << i;
    Result<std::optional<Version>> head = Head(names[i]);
    ASSERT_TRUE(head.ok()) << head.status().ToString();
    EXPECT_EQ(*head, std::optional<Version>(static_cast<Version>(i)));
  }
  // One GetBulk finds them all (both key forms, spread over the workers), in the order asked.
  std::vector<std::string> asked(names.rbegin(), names.rend());
  asked.insert(asked.begin() + 2, "never set");
  Result<GetBulkResult> bulk = GetBulkNow(*cache_, asked);
  ASSERT_TRUE(bulk.ok()) << bulk.status().ToString();
  ASSERT_EQ(bulk->size(), asked.size());
  for (size_t i = 0; i < asked.size(); ++i) {
    Result<std::optional<RecordValue>> single = Get(asked[i]);
    ASSERT_TRUE(single.ok()) << single.status().ToString();
    EXPECT_EQ((*bulk)[i], *single) << i;
  }
  EXPECT_FALSE((*bulk)[2].has_value());
  // The plain name is stored under itself, as other memcached clients would look for it.
  memcached::MemcachedClient raw = RawClient();
  Result<std::optional<std::string>> stored = raw.Get("with_space");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(*stored, std::optional<std::string>("3\n3"));
}

TEST_F(MemcachedCacheTest, ItemsInAnotherLayoutAreDataLoss) {
  ASSERT_TRUE(Open().ok());
  memcached::MemcachedClient raw = RawClient();
  ASSERT_TRUE(raw.Set("foreign", R"({"_v":1,"_d":{}})").ok());
  Result<std::optional<RecordValue>> got = Get("foreign");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), StatusCode::kDataLoss);
  Result<std::optional<Version>> head = Head("foreign");
  ASSERT_FALSE(head.ok());
  EXPECT_EQ(head.status().code(), StatusCode::kDataLoss);
  ASSERT_TRUE(Set("ours", {1, "{}"}).ok());
  Result<GetBulkResult> bulk = GetBulkNow(*cache_, {"ours", "foreign", "missing"});
  EXPECT_EQ(bulk.status().code(), StatusCode::kDataLoss) << bulk.status().ToString();
}

TEST_F(MemcachedCacheTest, ValueOverTheItemSizeLimitIsRefused) {
  ASSERT_TRUE(Open().ok());
  Status set = Set("huge", {1, "\"" + std::string(2 * 1024 * 1024, 'x') + "\""});
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.code(), StatusCode::kInvalidArgument) << set.ToString();
  EXPECT_TRUE(Set("small", {1, "{}"}).ok());  // the connection is still fine
  EXPECT_TRUE(events_.events().empty());
}

TEST_F(MemcachedCacheTest, ServerDownAtStartIsUnavailable) {
  server_.Stop();
  Status started = Open();
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.code(), StatusCode::kUnavailable) << started.ToString();
  EXPECT_NE(started.message().find("127.0.0.1:" + std::to_string(port_)), std::string::npos)
      << started.ToString();
  // A cache that failed to start refuses operations instead of hanging.
  Status set = Set("x", {1, "{}"});
  EXPECT_EQ(set.code(), StatusCode::kFailedPrecondition) << set.ToString();
}

TEST_F(MemcachedCacheTest, ServerKilledThenRestartedReconnects) {
  ASSERT_TRUE(Open().ok());
  ASSERT_TRUE(Set("before", {1, "{}"}).ok());
  server_.Kill();
  // Every operation now fails kUnavailable (the first may find the dead connection, later ones
  // a refused connect or a server libmemcached skips for `retry`), and the listener hears once.
  for (int i = 0; i < 5; ++i) {
    Status set = Set("during", {1, "{}"});
    EXPECT_EQ(set.code(), StatusCode::kUnavailable) << set.ToString();
    Result<std::optional<RecordValue>> got = Get("before");
    EXPECT_EQ(got.status().code(), StatusCode::kUnavailable) << got.status().ToString();
  }
  ASSERT_TRUE(events_.WaitFor(ConnectorEvent::kConnectionLost));
  EXPECT_NE(events_.last_detail().find("127.0.0.1:" + std::to_string(port_)), std::string::npos)
      << events_.last_detail();

  ASSERT_TRUE(StartMemcached(server_, port_).ok());  // same port: the cache is not restarted
  ASSERT_TRUE(events_.WaitFor(ConnectorEvent::kConnectionRestored));
  // libmemcached may still skip the server until its retry time passes: retry until it works.
  Status set;
  for (int attempt = 0; attempt < 1000; ++attempt) {
    set = Set("after", {2, R"({"ok":true})"});
    if (set.ok()) break;
    ASSERT_EQ(set.code(), StatusCode::kUnavailable) << set.ToString();
    usleep(20 * 1000);
  }
  ASSERT_TRUE(set.ok()) << set.ToString();
  Result<std::optional<RecordValue>> got = Get("after");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, std::optional<RecordValue>({2, R"({"ok":true})"}));
  EXPECT_EQ(events_.events(), (std::vector<ConnectorEvent>{ConnectorEvent::kConnectionLost,
                                                           ConnectorEvent::kConnectionRestored}));
}

TEST_F(MemcachedCacheTest, HungServerTimesOutWithDeadlineExceeded) {
  ASSERT_TRUE(Open(/*timeout_ms=*/300).ok());
  ASSERT_TRUE(Set("x", {1, "{}"}).ok());
  ASSERT_TRUE(server_.Freeze());  // accepts nothing, answers nothing
  Result<std::optional<RecordValue>> got = Get("x");
  server_.Thaw();
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), StatusCode::kDeadlineExceeded) << got.status().ToString();
  ASSERT_TRUE(events_.WaitFor(ConnectorEvent::kConnectionLost));
  ASSERT_TRUE(events_.WaitFor(ConnectorEvent::kConnectionRestored));
}

TEST_F(MemcachedCacheTest, GetBulkOfAHungServerTimesOutAsAWhole) {
  ASSERT_TRUE(Open(/*timeout_ms=*/300).ok());
  std::vector<std::string> names;
  for (int i = 0; i < 20; ++i) names.push_back("hung/" + std::to_string(i));  // both workers
  for (const std::string& name : names) ASSERT_TRUE(Set(name, {1, "{}"}).ok());
  ASSERT_TRUE(server_.Freeze());
  Result<GetBulkResult> late = GetBulkNow(*cache_, names);
  server_.Thaw();
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.status().code(), StatusCode::kDeadlineExceeded) << late.status().ToString();
  ASSERT_TRUE(events_.WaitFor(ConnectorEvent::kConnectionRestored));
  // libmemcached may still skip the server until its retry time passes: retry until it works.
  Result<GetBulkResult> again = Status::Unavailable("not tried");
  for (int attempt = 0; attempt < 1000 && !again.ok(); ++attempt) {
    again = GetBulkNow(*cache_, names);
    if (!again.ok()) usleep(20 * 1000);
  }
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*again, GetBulkResult(names.size(), RecordValue{1, "{}"}));
}

TEST_F(MemcachedCacheTest, PluginExportsTheCacheThroughTheCAbi) {
  testing::PluginUnderTest plugin(STRATA_MEMCACHED_PLUGIN);
  ASSERT_TRUE(plugin.ok());
  EXPECT_EQ(plugin.info().abi_version, STRATA_CONNECTOR_ABI_VERSION);
  EXPECT_STREQ(plugin.info().name, "memcached");
  EXPECT_EQ(plugin.info().roles, static_cast<uint32_t>(STRATA_ROLE_CACHE));
  auto bad = plugin.Create(STRATA_ROLE_CACHE, R"({"lifetime": "long"})");
  EXPECT_EQ(bad.code, STRATA_INVALID_ARGUMENT);
  EXPECT_NE(bad.error.find("cache.options.lifetime"), std::string::npos) << bad.error;
  auto good = plugin.Create(STRATA_ROLE_CACHE, OptionsFor(port_));
  ASSERT_EQ(good.code, STRATA_OK) << good.error;
  EXPECT_TRUE(good.has_head);
}

}  // namespace
}  // namespace strata
