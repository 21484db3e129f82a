// The redis connector over TLS, against a real redis-server that the test starts with only a TLS
// port (Debian's redis-server is built with TLS) and throwaway certificates made by the test:
// the shared connector suite, certificate and name checks, client certificates, an ACL user,
// a server restart, TLS against a plain port and back, large transfers, and the tls options.

#include <poll.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "connectors/redis/redis_connection.h"
#include "connectors/redis/redis_connector.h"
#include "connectors/redis/redis_test_fixture.h"
#include "connectors/redis/redis_test_servers.h"
#include "connectors/testing/connector_suite.h"
#include "connectors/testing/external_server.h"
#include "connectors/testing/test_certificates.h"
#include "strata/connector_abi.h"

namespace strata {
namespace {

using namespace std::chrono_literals;
using testing::ConnectorTraits;
using testing::ExternalServer;
using testing::FreePort;
using testing::GetBulkNow;
using testing::TestCertificates;

// Made once per test binary: `Certs` signs the servers' certificates, `OtherCerts` is a CA the
// servers know nothing of.
const TestCertificates& MakeCerts(const std::string& name) {
  auto made = TestCertificates::Make(::testing::TempDir(), name);
  if (!made.ok()) {
    ADD_FAILURE() << made.status().ToString();
    static const TestCertificates empty;
    return empty;
  }
  return *new TestCertificates(std::move(made).value());  // lives until exit
}
const TestCertificates& Certs() {
  static const TestCertificates& certs = MakeCerts("strata-redis-tls");
  return certs;
}
const TestCertificates& OtherCerts() {
  static const TestCertificates& certs = MakeCerts("strata-redis-tls-other");
  return certs;
}

// A TLS-only redis-server with this file's certificates (Certs()).
Status StartWithCerts(ExternalServer& server, uint16_t port, std::vector<std::string> extra = {}) {
  return testing::StartTlsRedis(server, port, Certs(), std::move(extra));
}

// One TLS redis-server shared by the suite and most tests, stopped when the binary exits.
uint16_t SharedTlsPort() {
  static ExternalServer server;
  static uint16_t port = [] {
    uint16_t p = FreePort();
    Status started = StartWithCerts(server, p);
    if (!started.ok()) {
      ADD_FAILURE() << started.ToString();
      return uint16_t{0};
    }
    return p;
  }();
  return port;
}

// `text` as a JSON string literal.
std::string Json(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof(escaped), "\\u%04x", c);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// Options for 127.0.0.1:`port` with `tls` (a JSON value) and `extra` members.
std::string TlsOptions(uint16_t port, const std::string& tls, const std::string& extra = "") {
  return R"({"host":"127.0.0.1","port":)" + std::to_string(port) + R"(,"tls":)" + tls + extra + "}";
}
std::string TrustFile() { return R"({"ca":)" + Json(Certs().ca_file) + "}"; }
std::string TrustText() { return R"({"ca":)" + Json(Certs().ca_pem) + "}"; }

std::string FreshPrefix() {
  static std::atomic<int> next{0};
  return R"(,"keyPrefix":"tls)" + std::to_string(next++) + R"(:")";
}

// The suite over TLS: the CA as a file path for the cache, as PEM text for storage.
ConnectorTraits Traits(const std::string& name, uint32_t role, bool ca_as_text) {
  return {.name = name,
          .make =
              [role, ca_as_text](const std::string&) {
                std::string tls = ca_as_text ? TrustText() : TrustFile();
                return NewRedisConnector(role, TlsOptions(SharedTlsPort(), tls, FreshPrefix()));
              },
          .durable = true,
          .is_cache = role == STRATA_ROLE_CACHE};
}

}  // namespace

STRATA_INSTANTIATE_CONNECTOR_SUITE(RedisTlsCache,
                                   Traits("RedisTlsCache", STRATA_ROLE_CACHE, false));
STRATA_INSTANTIATE_CONNECTOR_SUITE(RedisTlsStorage,
                                   Traits("RedisTlsStorage", STRATA_ROLE_STORAGE, true));
STRATA_INSTANTIATE_CACHE_CONNECTOR_SUITE(RedisTlsCache,
                                         Traits("RedisTlsCache", STRATA_ROLE_CACHE, false));

namespace {

bool Contains(const Status& status, std::string_view part) {
  return status.message().find(part) != std::string_view::npos;
}

class RedisTlsTest : public RedisConnectorTest {
 protected:
  // Set then Get of one record through `connector`.
  static void ExpectRoundTrip(CacheConnector& connector) {
    ASSERT_TRUE(Set(connector, "tls/rec", RecordValue{4, R"({"tls":true})"}).ok());
    auto got = Get(connector, "tls/rec");
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(*got, (RecordValue{4, R"({"tls":true})"}));
  }
};

TEST_F(RedisTlsTest, ConnectsWithTheCaAsTextOrFileAndWithARedissUrl) {
  const uint16_t port = SharedTlsPort();
  ExpectRoundTrip(Started(TlsOptions(port, TrustText())));
  ExpectRoundTrip(Started(TlsOptions(port, TrustFile())));
  // rediss:// turns TLS on; the certificate's IP entry matches the host.
  std::string url = "rediss://127.0.0.1:" + std::to_string(port);
  ExpectRoundTrip(Started(R"({"url":)" + Json(url) + R"(,"tls":)" + TrustFile() + "}"));
}

TEST_F(RedisTlsTest, AnUntrustedCertificateIsRejectedNamingTlsAndThePeer) {
  const uint16_t port = SharedTlsPort();
  Status wrong_ca = Start(Make(TlsOptions(port, R"({"ca":)" + Json(OtherCerts().ca_file) + "}")));
  EXPECT_EQ(wrong_ca.code(), StatusCode::kInvalidArgument) << wrong_ca.ToString();
  EXPECT_TRUE(Contains(wrong_ca, "redis 127.0.0.1:" + std::to_string(port))) << wrong_ca.ToString();
  EXPECT_TRUE(Contains(wrong_ca, "TLS handshake failed: server certificate rejected"))
      << wrong_ca.ToString();
  // No ca: the system store, which does not know the test CA.
  Status system_store = Start(Make(TlsOptions(port, "true")));
  EXPECT_EQ(system_store.code(), StatusCode::kInvalidArgument) << system_store.ToString();
  EXPECT_TRUE(Contains(system_store, "certificate rejected")) << system_store.ToString();
  EXPECT_TRUE(Contains(system_store, "system CA store")) << system_store.ToString();
}

TEST_F(RedisTlsTest, RejectUnauthorizedFalseAcceptsAnyCertificate) {
  const uint16_t port = SharedTlsPort();
  ExpectRoundTrip(Started(TlsOptions(
      port, R"({"ca":)" + Json(OtherCerts().ca_pem) + R"(,"rejectUnauthorized":false})")));
  ExpectRoundTrip(Started(
      TlsOptions(port, R"({"rejectUnauthorized":false,"servername":"elsewhere.example"})")));
}

TEST_F(RedisTlsTest, TheServerNameMustMatchTheCertificate) {
  const uint16_t port = SharedTlsPort();
  auto named = [](const std::string& servername) {
    return R"({"ca":)" + Json(Certs().ca_file) + R"(,"servername":)" + Json(servername) + "}";
  };
  ExpectRoundTrip(Started(TlsOptions(port, named("localhost"))));
  Status other = Start(Make(TlsOptions(port, named("redis.example.org"))));
  EXPECT_EQ(other.code(), StatusCode::kInvalidArgument) << other.ToString();
  EXPECT_TRUE(Contains(other, "mismatch")) << other.ToString();
  EXPECT_TRUE(Contains(other, "'redis.example.org'")) << other.ToString();
  Status other_ip = Start(Make(TlsOptions(port, named("127.0.0.2"))));
  EXPECT_EQ(other_ip.code(), StatusCode::kInvalidArgument) << other_ip.ToString();
}

TEST_F(RedisTlsTest, AclUserWithPasswordOverTls) {
  ExternalServer server;
  const uint16_t port = FreePort();
  ASSERT_TRUE(StartWithCerts(server, port,
                             {"--user", "default", "off", "--user", "alice", "on", ">s3cret", "~*",
                              "&*", "+@all"})
                  .ok());
  CacheConnector& alice =
      Started(TlsOptions(port, TrustFile(), R"(,"username":"alice","password":"s3cret")"));
  ExpectRoundTrip(alice);
  std::string url = "rediss://alice:s3cret@127.0.0.1:" + std::to_string(port);
  ExpectRoundTrip(Started(R"({"url":)" + Json(url) + R"(,"tls":)" + TrustFile() + "}"));

  Status wrong =
      Start(Make(TlsOptions(port, TrustFile(), R"(,"username":"alice","password":"nope")")));
  EXPECT_EQ(wrong.code(), StatusCode::kInvalidArgument) << wrong.ToString();
  EXPECT_TRUE(Contains(wrong, "WRONGPASS")) << wrong.ToString();
  Status missing = Start(Make(TlsOptions(port, TrustFile())));
  EXPECT_EQ(missing.code(), StatusCode::kInvalidArgument) << missing.ToString();
  EXPECT_TRUE(Contains(missing, "NOAUTH")) << missing.ToString();
}

TEST_F(RedisTlsTest, ClientCertificateForAServerThatAuthenticatesClients) {
  ExternalServer server;
  const uint16_t port = FreePort();
  ASSERT_TRUE(StartWithCerts(server, port, {"--tls-auth-clients", "yes"}).ok());
  const TestCertificates& certs = Certs();
  ExpectRoundTrip(Started(TlsOptions(port, R"({"ca":)" + Json(certs.ca_file) + R"(,"cert":)" +
                                               Json(certs.client_cert_file) + R"(,"key":)" +
                                               Json(certs.client_key_pem) + "}")));
  Status without = Start(Make(TlsOptions(port, TrustFile(), R"(,"connectTimeout":3000)")));
  EXPECT_EQ(without.code(), StatusCode::kUnavailable) << without.ToString();
  // A key that does not belong to the certificate is a configuration error.
  Status mismatched =
      Start(Make(TlsOptions(port, R"({"cert":)" + Json(certs.client_cert_pem) + R"(,"key":)" +
                                      Json(certs.server_key_pem) + "}")));
  EXPECT_EQ(mismatched.code(), StatusCode::kInvalidArgument) << mismatched.ToString();
  EXPECT_TRUE(Contains(mismatched, "tls.key does not match tls.cert")) << mismatched.ToString();
}

TEST_F(RedisTlsTest, ReconnectsWhenTheTlsServerRestarts) {
  ExternalServer server;
  const uint16_t port = FreePort();
  ASSERT_TRUE(StartWithCerts(server, port).ok());
  CacheConnector& connector = Started(TlsOptions(port, TrustFile()), &events_);
  ASSERT_TRUE(Set(connector, "before", RecordValue{1, "{}"}).ok());

  server.Kill();
  ASSERT_TRUE(events_.WaitFor(ConnectorEvent::kConnectionLost));
  EXPECT_EQ(Set(connector, "while-down", RecordValue{1, "{}"}).code(), StatusCode::kUnavailable);

  ExternalServer restarted;
  ASSERT_TRUE(StartWithCerts(restarted, port).ok());
  ASSERT_TRUE(events_.WaitFor(ConnectorEvent::kConnectionRestored));
  ExpectRoundTrip(connector);
  EXPECT_EQ(events_.CountOf(ConnectorEvent::kConnectionLost), 1);
  EXPECT_EQ(events_.CountOf(ConnectorEvent::kConnectionRestored), 1);
}

TEST_F(RedisTlsTest, TlsAgainstAPlainPortFailsClearlyAndPlainAgainstTlsToo) {
  ExternalServer plain;
  const uint16_t plain_port = FreePort();
  ASSERT_TRUE(plain
                  .Start({"redis-server", "--port", std::to_string(plain_port), "--bind",
                          "127.0.0.1", "--save", "", "--appendonly", "no"},
                         plain_port, ::testing::TempDir() + "strata-redis-plain.log")
                  .ok());
  using Clock = std::chrono::steady_clock;
  Clock::time_point begin = Clock::now();
  Status tls_on_plain =
      Start(Make(TlsOptions(plain_port, TrustFile(), R"(,"connectTimeout":2000)")));
  EXPECT_LT(Clock::now() - begin, std::chrono::seconds(5));
  EXPECT_EQ(tls_on_plain.code(), StatusCode::kUnavailable) << tls_on_plain.ToString();
  EXPECT_TRUE(Contains(tls_on_plain, "TLS handshake")) << tls_on_plain.ToString();
  EXPECT_TRUE(Contains(tls_on_plain, "is it a TLS port?")) << tls_on_plain.ToString();

  begin = Clock::now();
  Status plain_on_tls = Start(Make(R"({"host":"127.0.0.1","port":)" +
                                   std::to_string(SharedTlsPort()) + R"(,"connectTimeout":2000})"));
  EXPECT_LT(Clock::now() - begin, std::chrono::seconds(5));
  EXPECT_EQ(plain_on_tls.code(), StatusCode::kUnavailable) << plain_on_tls.ToString();
  EXPECT_TRUE(Contains(plain_on_tls, "if it is a TLS port, set tls")) << plain_on_tls.ToString();
}

TEST_F(RedisTlsTest, LargeValuesAndBatchesCrossManyTlsRecords) {
  CacheConnector& connector = Started(TlsOptions(SharedTlsPort(), TrustFile(), FreshPrefix()));
  std::string big = "\"" + std::string(6 * 1024 * 1024, 'x') + "\"";
  ASSERT_TRUE(Set(connector, "big", RecordValue{1, big}).ok());
  auto got = Get(connector, "big");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->json.size(), big.size());
  EXPECT_TRUE((*got)->json == big);

  constexpr int kRecords = 5000;
  std::vector<NamedValue> records;
  std::vector<std::string> names;
  for (int i = 0; i < kRecords; ++i) {
    names.push_back("bulk/" + std::to_string(i));
    records.push_back({names.back(), RecordValue{static_cast<Version>(i + 1),
                                                 R"({"pad":")" + std::string(300, 'p') + "\"}"}});
  }
  ASSERT_TRUE(
      testing::AwaitDone([&](DoneCallback cb) { connector.SetBulk(records, std::move(cb)); }).ok());
  auto bulk = GetBulkNow(connector, names);
  ASSERT_TRUE(bulk.ok()) << bulk.status().ToString();
  ASSERT_EQ(bulk->size(), names.size());
  for (int i = 0; i < kRecords; ++i) ASSERT_EQ((*bulk)[i], records[i].value) << i;
}

// Waits (poll() on the fd only, as the owners do) until `connection` delivered `count` replies.
// Input left inside OpenSSL, which poll() cannot see, would stall it.
std::vector<RedisValue> Receive(RedisConnection& connection, size_t count) {
  std::vector<RedisValue> replies;
  while (replies.size() < count) {
    short events = POLLIN | (connection.WantsWrite() ? POLLOUT : 0);
    pollfd p{connection.fd(), events, 0};
    if (poll(&p, 1, 5000) != 1) {
      ADD_FAILURE() << "stalled after " << replies.size() << " replies";
      break;
    }
    Status flushed = connection.Flush();
    Status read = connection.Read(&replies);
    if (!flushed.ok() || !read.ok()) {
      ADD_FAILURE() << flushed.ToString() << " / " << read.ToString();
      break;
    }
  }
  return replies;
}

// Replies of many TLS records each, pipelined with small ones, read by polling the fd.
TEST(RedisTlsConnectionTest, PollingTheFdSeesEveryReplyOfAPipeline) {
  auto options = ParseRedisOptions(TlsOptions(SharedTlsPort(), TrustFile()), "cache");
  ASSERT_TRUE(options.ok()) << options.status().ToString();
  auto opened = RedisConnection::Open(*options, RedisConnection::Clock::now() + 10s);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  RedisConnection& connection = **opened;

  const std::string value((1 << 20) + 7, 'v');  // 65 TLS records
  connection.Append({"SET", "pipeline/big", value});
  constexpr size_t kRounds = 24;
  for (size_t i = 0; i < kRounds; ++i) {
    connection.Append({"GET", "pipeline/big"});
    connection.Append({"ECHO", std::to_string(i)});
  }
  std::vector<RedisValue> replies = Receive(connection, 1 + 2 * kRounds);
  ASSERT_EQ(replies.size(), 1 + 2 * kRounds);
  EXPECT_EQ(replies[0].text, "OK");
  for (size_t i = 0; i < kRounds; ++i) {
    EXPECT_TRUE(replies[1 + 2 * i].text == value) << i;
    EXPECT_EQ(replies[2 + 2 * i].text, std::to_string(i));
  }
}

TEST(RedisTlsOptionsTest, TlsTrueObjectAndRedissUrl) {
  auto off = ParseRedisOptions("{}", "cache");
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->tls.enabled);
  auto on = ParseRedisOptions(R"({"tls":true})", "cache");
  ASSERT_TRUE(on.ok());
  EXPECT_TRUE(on->tls.enabled);
  EXPECT_TRUE(on->tls.reject_unauthorized);
  EXPECT_TRUE(on->tls.ca.empty());
  auto explicit_off = ParseRedisOptions(R"({"tls":"false"})", "cache");
  ASSERT_TRUE(explicit_off.ok());
  EXPECT_FALSE(explicit_off->tls.enabled);
  auto empty_object = ParseRedisOptions(R"({"tls":{}})", "cache");
  ASSERT_TRUE(empty_object.ok());
  EXPECT_TRUE(empty_object->tls.enabled);

  const TestCertificates& certs = Certs();
  auto full = ParseRedisOptions(
      R"({"tls":{"ca":[)" + Json(certs.ca_file) + "," + Json(OtherCerts().ca_pem) + R"(],"cert":)" +
          Json(certs.client_cert_pem) + R"(,"key":)" + Json(certs.client_key_file) +
          R"(,"servername":"redis.internal","rejectUnauthorized":"false"}})",
      "cache");
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  EXPECT_EQ(full->tls.ca, certs.ca_pem + "\n" + OtherCerts().ca_pem + "\n");  // file read
  EXPECT_EQ(full->tls.cert, certs.client_cert_pem + "\n");
  EXPECT_EQ(full->tls.key, certs.client_key_pem + "\n");
  EXPECT_EQ(full->tls.servername, "redis.internal");
  EXPECT_FALSE(full->tls.reject_unauthorized);

  auto url = ParseRedisOptions(R"({"url":"rediss://u:p@redis.example.org:6380/1"})", "cache");
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  EXPECT_TRUE(url->tls.enabled);
  EXPECT_EQ(url->host, "redis.example.org");
  EXPECT_EQ(url->port, 6380);
  EXPECT_EQ(url->username, "u");
  auto plain_url = ParseRedisOptions(R"({"url":"redis://h:1"})", "cache");
  ASSERT_TRUE(plain_url.ok());
  EXPECT_FALSE(plain_url->tls.enabled);
}

TEST(RedisTlsOptionsTest, BadTlsValuesNameTheirOption) {
  std::string not_pem = ::testing::TempDir() + "strata-redis-not-pem.txt";
  std::ofstream(not_pem) << "hello\n";
  const std::string cert = Json(Certs().client_cert_file);
  struct Case {
    uint32_t role;
    std::string tls;
    std::string expected;
  };
  std::vector<Case> cases = {
      {STRATA_ROLE_CACHE, "1", "cache.options.tls: expected true, false, or a mapping"},
      {STRATA_ROLE_CACHE, R"("yes")", "cache.options.tls: expected"},
      {STRATA_ROLE_STORAGE, R"({"bogus":1})", "storage.options.tls.bogus: unknown option; known: "},
      {STRATA_ROLE_CACHE, R"({"ca":5})", "cache.options.tls.ca: expected PEM text or a file path"},
      {STRATA_ROLE_CACHE, R"({"ca":"/nonexistent/ca.pem"})",
       "cache.options.tls.ca: cannot read '/nonexistent/ca.pem': No such file"},
      {STRATA_ROLE_CACHE, R"({"ca":)" + Json(not_pem) + "}", "cache.options.tls.ca: '"},
      {STRATA_ROLE_CACHE, R"({"cert":)" + cert + "}", "cache.options.tls.key: expected a private"},
      {STRATA_ROLE_CACHE, R"({"key":)" + cert + "}", "cache.options.tls.cert: expected a cert"},
      {STRATA_ROLE_CACHE, R"({"cert":[]})", "cache.options.tls.cert: expected PEM text"},
      {STRATA_ROLE_CACHE, R"({"servername":""})", "cache.options.tls.servername"},
      {STRATA_ROLE_CACHE, R"({"rejectUnauthorized":"maybe"})",
       "cache.options.tls.rejectUnauthorized: expected true or false"},
  };
  for (const Case& c : cases) {
    auto made = NewRedisConnector(c.role, R"({"tls":)" + c.tls + "}");
    ASSERT_FALSE(made.ok()) << c.tls;
    EXPECT_EQ(made.status().code(), StatusCode::kInvalidArgument) << c.tls;
    EXPECT_TRUE(Contains(made.status(), c.expected)) << made.status().ToString();
  }
  auto url = ParseRedisOptions(R"({"url":"redisss://h"})", "clusterNode");
  EXPECT_TRUE(Contains(url.status(), "clusterNode.options.url: expected redis[s]://"))
      << url.status().ToString();
}

TEST_F(RedisTlsTest, APemBlockWithoutACertificateFailsAtStart) {
  std::string broken = "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n";
  Status started = Start(Make(TlsOptions(SharedTlsPort(), R"({"ca":)" + Json(broken) + "}")));
  EXPECT_EQ(started.code(), StatusCode::kInvalidArgument) << started.ToString();
  EXPECT_TRUE(Contains(started, "tls.ca holds no certificate")) << started.ToString();
}

}  // namespace
}  // namespace strata
