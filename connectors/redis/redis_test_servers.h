#pragma once
// Redis servers for tests, from Debian's real redis-server, each on a 127.0.0.1 port and stopped
// (by pid) with its ExternalServer: a TLS-only server, and a Sentinel deployment (a primary, its
// replica and three sentinels watching them as `mymaster`). Used by the connector's TLS and
// Sentinel tests and by the cluster's.

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "connectors/testing/external_server.h"
#include "connectors/testing/test_certificates.h"
#include "strata/status.h"

namespace strata::testing {

inline constexpr int kSentinels = 3;

inline std::string Log(const std::string& what, uint16_t port) {
  return ::testing::TempDir() + "strata-sentinel-" + what + "-" + std::to_string(port) + ".log";
}

// A data node in a fresh directory of its own: a replica stores the RDB of its full sync there,
// and a node started later must not load it.
inline Status StartRedis(ExternalServer& server, uint16_t port,
                         std::vector<std::string> extra = {}) {
  const std::string dir = ::testing::TempDir() + "strata-sentinel-data-" + std::to_string(port);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::vector<std::string> argv = {
      "redis-server", "--port", std::to_string(port), "--bind", "127.0.0.1", "--dir", dir,
      "--save",       "",       "--appendonly",       "no"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return server.Start(std::move(argv), port, Log("redis", port));
}

// A sentinel monitoring `mymaster` at 127.0.0.1:`master_port`, from a config file of its own
// (sentinels rewrite it, so it must be writable).
inline Status StartSentinel(ExternalServer& server, uint16_t port, uint16_t master_port) {
  const std::string conf =
      ::testing::TempDir() + "strata-sentinel-" + std::to_string(port) + ".conf";
  std::ofstream(conf) << "port " << port << "\nbind 127.0.0.1\n"
                      << "dir " << ::testing::TempDir() << "\n"
                      << "sentinel monitor mymaster 127.0.0.1 " << master_port << " 2\n"
                      << "sentinel down-after-milliseconds mymaster 1000\n"
                      << "sentinel failover-timeout mymaster 5000\n";
  return server.Start({"redis-server", conf, "--sentinel"}, port, Log("sentinel", port));
}

// redis-server with TLS on `port` and no plain port, serving `certs`' server certificate;
// `extra` arguments are appended (a later setting wins).
inline Status StartTlsRedis(ExternalServer& server, uint16_t port, const TestCertificates& certs,
                            std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {"redis-server",
                                   "--port",
                                   "0",
                                   "--tls-port",
                                   std::to_string(port),
                                   "--bind",
                                   "127.0.0.1",
                                   "--tls-cert-file",
                                   certs.server_cert_file,
                                   "--tls-key-file",
                                   certs.server_key_file,
                                   "--tls-ca-cert-file",
                                   certs.ca_file,
                                   "--tls-auth-clients",
                                   "no",
                                   "--save",
                                   "",
                                   "--appendonly",
                                   "no"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return server.Start(std::move(argv), port, Log("tls", port));
}

inline std::string SentinelList(const std::vector<uint16_t>& ports) {
  std::string list;
  for (uint16_t port : ports) {
    list += std::string(list.empty() ? "" : ",") + R"({"host":"127.0.0.1","port":)" +
            std::to_string(port) + "}";
  }
  return "[" + list + "]";
}

// A primary, its replica, and three sentinels watching them as `mymaster`, stopped (by pid)
// when it goes away.
struct SentinelDeployment {
  Status Start() {
    primary_port = FreePort();
    STRATA_RETURN_IF_ERROR(StartRedis(primary, primary_port));
    replica_port = FreePort();
    STRATA_RETURN_IF_ERROR(StartRedis(replica, replica_port,
                                      {"--replicaof", "127.0.0.1", std::to_string(primary_port)}));
    for (int i = 0; i < kSentinels; ++i) {
      sentinel_ports.push_back(FreePort());
      STRATA_RETURN_IF_ERROR(StartSentinel(sentinels[i], sentinel_ports[i], primary_port));
    }
    return Status();
  }
  // Connector options for master group `name` through the sentinels; `extra` starts with ','.
  std::string Options(const std::string& name = "mymaster", const std::string& extra = "") const {
    return R"({"sentinels":)" + SentinelList(sentinel_ports) + R"(,"name":")" + name + R"(")" +
           extra + "}";
  }

  uint16_t primary_port = 0;
  uint16_t replica_port = 0;
  std::vector<uint16_t> sentinel_ports;
  ExternalServer primary;
  ExternalServer replica;
  ExternalServer sentinels[kSentinels];
};

}  // namespace strata::testing
