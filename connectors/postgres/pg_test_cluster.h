#pragma once
// Test support shared by the postgres connector's test files: a throwaway PostgreSQL cluster
// (initdb into a temp dir, postgres on a free 127.0.0.1 port), the cluster most tests share (set
// up once per test binary by postgres_connector_test.cc), a raw libpq session to look at what the
// connector wrote (or to write as deepstream does), and small helpers.
// Thread-safety: one test thread.

#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include "connectors/postgres/postgres_storage.h"
#include "connectors/testing/external_server.h"

namespace strata::testing {

inline const std::string kBin = "/usr/lib/postgresql/15/bin/";

// PostgreSQL refuses to run as root: then run it as the postgres user. setpriv execs in place
// (runuser would fork), so ExternalServer's pid is the postmaster's own.
inline std::vector<std::string> AsServerUser(std::vector<std::string> argv) {
  if (geteuid() != 0) return argv;
  std::vector<std::string> wrapped = {"setpriv", "--reuid=postgres", "--regid=postgres",
                                      "--init-groups", "--"};
  wrapped.insert(wrapped.end(), argv.begin(), argv.end());
  return wrapped;
}

// A throwaway PostgreSQL cluster: a data directory and a server on a fixed port.
class PgCluster {
 public:
  ~PgCluster() {
    Stop();
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
    std::filesystem::remove(dir_ + ".log", ignored);
  }

  Status Init() {
    std::string pattern = (std::filesystem::temp_directory_path() / "strata-pg-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) return Status::Internal("mkdtemp failed");
    dir_ = pattern;
    if (geteuid() == 0) {
      passwd* pg = getpwnam("postgres");
      if (pg == nullptr) return Status::Unavailable("no postgres user (install postgresql)");
      if (chown(dir_.c_str(), pg->pw_uid, pg->pw_gid) != 0) return Status::Internal("chown");
    }
    std::string cmd;
    for (const std::string& arg : AsServerUser({kBin + "initdb", "-D", dir_, "-A", "trust", "-U",
                                                "postgres", "-E", "UTF8", "--no-sync"})) {
      cmd += "'" + arg + "' ";
    }
    cmd += ">> '" + dir_ + ".log' 2>&1";
    if (std::system(cmd.c_str()) != 0) {
      return Status::Unavailable("initdb failed (is the postgresql package installed?): " + cmd);
    }
    port_ = FreePort();
    return Status();
  }

  // Starts the server and waits until it accepts sessions (it listens before recovery is done).
  Status Start() {
    STRATA_RETURN_IF_ERROR(Launch());
    std::string info = "host=127.0.0.1 user=postgres dbname=postgres port=" + std::to_string(port_);
    for (int i = 0; i < 600; ++i) {
      if (PQping(info.c_str()) == PQPING_OK) return Status();
      usleep(50 * 1000);
    }
    return Status::Unavailable("postgres did not become ready");
  }

  Status Launch() {
    return server_.Start(
        AsServerUser({kBin + "postgres", "-D", dir_, "-k", dir_, "-p", std::to_string(port_), "-c",
                      "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c",
                      "synchronous_commit=off", "-c", "full_page_writes=off"}),
        port_, dir_ + ".log");
  }

  // Fast shutdown (SIGINT): clients are disconnected at once. (SIGTERM, a smart shutdown, would
  // wait for every client to leave.)
  void Stop() {
    if (server_.pid() > 0) kill(server_.pid(), SIGINT);
    server_.Stop();
  }

  uint16_t port() const { return port_; }

  std::string Options(const std::string& extra = "") const {
    std::string json = R"({"host":"127.0.0.1","port":)" + std::to_string(port_) +
                       R"(,"user":"postgres","database":"postgres")";
    if (!extra.empty()) json += "," + extra;
    return json + "}";
  }

 private:
  std::string dir_;
  uint16_t port_ = 0;
  ExternalServer server_;
};

// The cluster the suite and most tests share; each connector gets a schema of its own.
inline PgCluster* shared_cluster = nullptr;

// A schema name no other test uses.
inline std::string FreshSchema() {
  static std::atomic<int> next{0};
  return "strata_test_" + std::to_string(getpid()) + "_" + std::to_string(next++);
}

// A raw libpq connection, to see what the connector wrote and to write as deepstream did.
class RawPg {
 public:
  explicit RawPg(uint16_t port) {
    std::string info = "host=127.0.0.1 user=postgres dbname=postgres port=" + std::to_string(port);
    conn_ = PQconnectdb(info.c_str());
  }
  ~RawPg() { PQfinish(conn_); }
  bool ok() const { return PQstatus(conn_) == CONNECTION_OK; }
  // Runs `sql`; answers the rows as text, or an empty vector with `error` set.
  std::vector<std::vector<std::string>> Query(const std::string& sql,
                                              std::string* error = nullptr) {
    PGresult* r = PQexec(conn_, sql.c_str());
    std::vector<std::vector<std::string>> rows;
    ExecStatusType status = PQresultStatus(r);
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
      if (error) *error = PQresultErrorMessage(r);
      ADD_FAILURE() << sql << ": " << PQresultErrorMessage(r);
    }
    for (int i = 0; i < PQntuples(r); ++i) {
      rows.emplace_back();
      for (int j = 0; j < PQnfields(r); ++j) rows.back().push_back(PQgetvalue(r, i, j));
    }
    PQclear(r);
    return rows;
  }

 private:
  PGconn* conn_;
};

// A postgres storage with `options` (JSON), unstarted; null (and a test failure) if refused.
inline std::unique_ptr<StorageConnector> MakePostgres(const std::string& options) {
  Result<std::unique_ptr<StorageConnector>> made = NewPostgresStorage(options);
  EXPECT_TRUE(made.ok()) << made.status().ToString();
  return made.ok() ? std::move(made).value() : nullptr;
}

}  // namespace strata::testing
