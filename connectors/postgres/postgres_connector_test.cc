// Tests of the postgres storage connector against a real PostgreSQL server that the test starts
// itself (initdb into a temp dir, postgres on a free 127.0.0.1 port): the shared connector
// suite, deepstream's table layout, options, and outages (server down at Start, server stopped
// during writes, restarted on the same port and data directory).

#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include "connectors/postgres/pg_test_cluster.h"
#include "connectors/postgres/postgres_options.h"
#include "connectors/postgres/postgres_storage.h"
#include "connectors/postgres/record_sql.h"
#include "connectors/testing/connector_suite.h"
#include "connectors/testing/external_server.h"
#include "connectors/testing/plugin_under_test.h"
#include "strata/connector_abi.h"

namespace strata::testing {
namespace {

// Starts shared_cluster (pg_test_cluster.h) once for every test of the binary.
class SharedClusterEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    shared_cluster = new PgCluster();
    Status s = shared_cluster->Init();
    if (s.ok()) s = shared_cluster->Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  void TearDown() override {
    delete shared_cluster;
    shared_cluster = nullptr;
  }
};

[[maybe_unused]] ::testing::Environment* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new SharedClusterEnvironment);

ConnectorTraits PostgresTraits() {
  return {.name = "Postgres",
          .make =
              [](const std::string&) {
                return NewPostgresStorage(
                    shared_cluster->Options(R"("schema":")" + FreshSchema() + R"(")"));
              },
          .durable = true};
}

}  // namespace

STRATA_INSTANTIATE_CONNECTOR_SUITE(Postgres, PostgresTraits());

namespace {

// Collects connector events; waits for one with a generous hang guard.
class Events {
 public:
  ConnectorEventListener Listener() {
    return [this](ConnectorEvent e, std::string_view, const Status&) {
      std::lock_guard lock(mu_);
      seen_.push_back(e);
      cv_.notify_all();
    };
  }
  bool WaitFor(ConnectorEvent e, size_t nth = 1) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(60), [&] {
      return static_cast<size_t>(std::count(seen_.begin(), seen_.end(), e)) >= nth;
    });
  }
  size_t Count(ConnectorEvent e) {
    std::lock_guard lock(mu_);
    return std::count(seen_.begin(), seen_.end(), e);
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<ConnectorEvent> seen_;
};

Status StartOf(StorageConnector& c) {
  return AwaitDone([&](DoneCallback cb) { c.Start(std::move(cb)); });
}
Status CloseOf(StorageConnector& c) {
  return AwaitDone([&](DoneCallback cb) { c.Close(std::move(cb)); });
}
Status SetOf(StorageConnector& c, const std::string& name, RecordValue v) {
  return AwaitDone([&](DoneCallback cb) { c.Set(name, v, std::move(cb)); });
}
Result<std::optional<RecordValue>> GetOf(StorageConnector& c, const std::string& name) {
  return Await<std::optional<RecordValue>>(
      [&](Callback<std::optional<RecordValue>> cb) { c.Get(name, std::move(cb)); });
}

TEST(PostgresOptionsTest, EmptyMeansDeepstreamDefaults) {
  Result<PostgresOptions> o = ParsePostgresOptions("");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->schema, "ds");
  EXPECT_EQ(o->default_table, "default");
  EXPECT_EQ(o->split_char, '/');
  EXPECT_EQ(o->port, 5432);
  EXPECT_FALSE(o->use_jsonb);
  EXPECT_GE(o->max, 1);
}

TEST(PostgresOptionsTest, AcceptsDeepstreamExampleConfig) {
  Result<PostgresOptions> o = ParsePostgresOptions(
      R"({"user":"u","database":"d","password":"p","host":"db","port":5433,"schema":"s",)"
      R"("defaultTable":"t","max":10,"idleTimeoutMillis":30000,"writeInterval":200,)"
      R"("useJsonb":true,"sslmode":"require","notifications":{"CREATE_TABLE":false,)"
      R"("DESTROY_TABLE":false,"INSERT":false,"UPDATE":false,"DELETE":false}})");
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->host, "db");
  EXPECT_EQ(o->port, 5433);
  EXPECT_EQ(o->max, 10);
  EXPECT_TRUE(o->use_jsonb);
  EXPECT_EQ(o->sslmode, "require");
  EXPECT_EQ(o->default_table, "t");
}

TEST(PostgresOptionsTest, RejectsBadValuesNamingTheKey) {
  struct Case {
    const char* json;
    const char* names;
  };
  for (const Case& c : std::vector<Case>{
           {R"({"bogus":1})", "storage.options.bogus"},
           {R"({"port":"5432"})", "storage.options.port"},
           {R"({"port":70000})", "storage.options.port"},
           {R"({"max":0})", "storage.options.max"},
           {R"({"host":""})", "storage.options.host"},
           {R"({"useJsonb":"yes"})", "storage.options.useJsonb"},
           {R"({"splitChar":"::"})", "storage.options.splitChar"},
           {R"({"sslmode":"sometimes"})", "storage.options.sslmode"},
           {R"({"notifications":{"INSERT":true}})", "storage.options.notifications.INSERT"},
           {R"({"notifications":{"OTHER":false}})", "storage.options.notifications.OTHER"},
           {R"({"role":"owner"})", "storage.options.role"},
           {R"([1,2])", "storage.options"},
       }) {
    Result<std::unique_ptr<StorageConnector>> made = NewPostgresStorage(c.json);
    ASSERT_FALSE(made.ok()) << c.json;
    EXPECT_EQ(made.status().code(), StatusCode::kInvalidArgument) << c.json;
    EXPECT_NE(made.status().message().find(c.names), std::string_view::npos)
        << c.json << " -> " << made.status().ToString();
  }
  Result<PostgresOptions> unsupported =
      ParsePostgresOptions(R"({"notifications":{"DELETE":true}})");
  ASSERT_FALSE(unsupported.ok());
  EXPECT_NE(unsupported.status().message().find("not supported yet"), std::string_view::npos);
}

TEST(RecordSqlTest, SelectManyBindsEveryIdAndSplitsLongLists) {
  Result<PostgresOptions> options = ParsePostgresOptions("");
  ASSERT_TRUE(options.ok());
  RecordSql sql(*options);
  std::vector<std::string> ids;
  for (size_t i = 0; i < RecordSql::kRowsPerStatement + 2; ++i) {
    ids.push_back("x')--" + std::to_string(i));
  }
  std::vector<SqlStatement> statements = sql.SelectMany("t\"q", ids);
  ASSERT_EQ(statements.size(), 2u);
  EXPECT_EQ(statements[0].params.size(), RecordSql::kRowsPerStatement);
  EXPECT_EQ(statements[1].sql,
            R"(SELECT id, version, val::text FROM "ds"."t""q" WHERE id IN ($1, $2))"
            " AND version IS DISTINCT FROM -1");
  EXPECT_EQ(statements[1].params, (std::vector<std::string>{ids[1000], ids[1001]}));
  EXPECT_EQ(statements[0].sql.find("x')"), std::string::npos);  // ids travel as parameters
}

TEST(PostgresLayoutTest, ReadsRowsWrittenTheWayDeepstreamWritesThem) {
  RawPg raw(shared_cluster->port());
  ASSERT_TRUE(raw.ok());
  std::string schema = FreshSchema();
  // deepstream's Statements.initDb / createTable / set, with useJsonb false and true.
  raw.Query("CREATE SCHEMA IF NOT EXISTS \"" + schema + "\"");
  for (const char* table : {"default", "user"}) {
    raw.Query("CREATE TABLE \"" + schema + "\".\"" + table +
              "\" (id text NOT NULL, version int DEFAULT 0, val text NOT NULL, PRIMARY KEY (id))"
              " WITH (OIDS = FALSE) TABLESPACE pg_default");
  }
  raw.Query("CREATE TABLE \"" + schema +
            "\".\"doc\" (id text NOT NULL, version int DEFAULT 0,"
            " val jsonb NOT NULL, PRIMARY KEY (id))");
  raw.Query("INSERT INTO \"" + schema +
            "\".\"user\" (id, version, val) VALUES "
            "('alice',5,'{\"name\":\"Alice\",\"tags\":[\"a\"]}') ON CONFLICT (id) DO UPDATE "
            "SET val = EXCLUDED.val, version = EXCLUDED.version");
  raw.Query("INSERT INTO \"" + schema +
            "\".\"default\" (id, version, val) VALUES "
            "('plain',2,'[\"x\",\"y\"]')");
  raw.Query("INSERT INTO \"" + schema +
            "\".\"user\" (id, version, val) VALUES "
            "('bob/jr',1,'{}')");
  raw.Query("INSERT INTO \"" + schema +
            "\".\"doc\" (id, version, val) VALUES "
            "('d1',9,'{\"b\":1,\"a\":2}')");

  auto storage = MakePostgres(shared_cluster->Options(R"("schema":")" + schema + R"(")"));
  ASSERT_TRUE(StartOf(*storage).ok());
  EXPECT_EQ(*GetOf(*storage, "user/alice"), (RecordValue{5, R"({"name":"Alice","tags":["a"]})"}));
  EXPECT_EQ(*GetOf(*storage, "plain"), (RecordValue{2, R"(["x","y"])"}));
  EXPECT_EQ(*GetOf(*storage, "user/bob/jr"), (RecordValue{1, "{}"}));
  EXPECT_EQ(*GetOf(*storage, "doc/d1"), (RecordValue{9, R"({"a": 2, "b": 1})"}));  // jsonb text
  EXPECT_FALSE(GetOf(*storage, "nosuchtable/x")->has_value());
  // One GetBulk over all of it: three tables, a text and a jsonb one, a table that does not
  // exist (a miss, as for Get) and a missing row; answered in the order asked.
  Result<GetBulkResult> bulk = GetBulkNow(
      *storage, {"doc/d1", "nosuchtable/x", "user/bob/jr", "plain", "user/nobody", "user/alice"});
  ASSERT_TRUE(bulk.ok()) << bulk.status().ToString();
  EXPECT_EQ(*bulk,
            (GetBulkResult{RecordValue{9, R"({"a": 2, "b": 1})"}, std::nullopt,
                           RecordValue{1, "{}"}, RecordValue{2, R"(["x","y"])"}, std::nullopt,
                           RecordValue{5, R"({"name":"Alice","tags":["a"]})"}}));
  // Writes into deepstream's jsonb table work too (the server parses the text).
  ASSERT_TRUE(SetOf(*storage, "doc/d1", {10, R"({"c":3})"}).ok());
  EXPECT_EQ(*GetOf(*storage, "doc/d1"), (RecordValue{10, R"({"c": 3})"}));
  EXPECT_TRUE(CloseOf(*storage).ok());
}

TEST(PostgresLayoutTest, WritesRowsTheWayDeepstreamReadsThem) {
  std::string schema = FreshSchema();
  auto storage = MakePostgres(shared_cluster->Options(R"("schema":")" + schema + R"(")"));
  ASSERT_TRUE(StartOf(*storage).ok());
  ASSERT_TRUE(SetOf(*storage, "books/moby/dick", {3, R"({"title":"Moby Dick"})"}).ok());
  ASSERT_TRUE(SetOf(*storage, "toplevel", {1, R"(["l"])"}).ok());
  ASSERT_TRUE(CloseOf(*storage).ok());

  RawPg raw(shared_cluster->port());
  ASSERT_TRUE(raw.ok());
  auto rows = raw.Query("SELECT id, version, val FROM \"" + schema + "\".\"books\"");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"moby/dick", "3", R"({"title":"Moby Dick"})"}));
  rows = raw.Query("SELECT id, version, val FROM \"" + schema + "\".\"default\"");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"toplevel", "1", R"(["l"])"}));
  rows = raw.Query(
      "SELECT column_name, data_type, is_nullable FROM information_schema.columns"
      " WHERE table_schema = '" +
      schema +
      "' AND table_name = 'books'"
      " ORDER BY ordinal_position");
  EXPECT_EQ(rows, (std::vector<std::vector<std::string>>{{"id", "text", "NO"},
                                                         {"version", "integer", "YES"},
                                                         {"val", "text", "NO"},
                                                         {"seq", "bigint", "YES"}}));
  rows = raw.Query(
      "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = "
      "i.indrelid AND a.attnum = ANY(i.indkey) WHERE i.indisprimary AND "
      "i.indrelid = '\"" +
      schema + "\".\"books\"'::regclass");
  EXPECT_EQ(rows, (std::vector<std::vector<std::string>>{{"id"}}));
}

TEST(PostgresLayoutTest, UseJsonbCreatesJsonbTablesAndRejectsBadJsonNamingTheRecord) {
  std::string schema = FreshSchema();
  auto storage =
      MakePostgres(shared_cluster->Options(R"("useJsonb":true,"schema":")" + schema + R"(")"));
  ASSERT_TRUE(StartOf(*storage).ok());
  ASSERT_TRUE(SetOf(*storage, "j/1", {1, R"({"z":1,"a":[true,null]})"}).ok());
  EXPECT_EQ(*GetOf(*storage, "j/1"), (RecordValue{1, R"({"a": [true, null], "z": 1})"}));
  Status bad = SetOf(*storage, "j/broken", {1, "{not json"});
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument) << bad.ToString();
  EXPECT_NE(bad.message().find("j/broken"), std::string_view::npos) << bad.ToString();
  ASSERT_TRUE(CloseOf(*storage).ok());
  RawPg raw(shared_cluster->port());
  auto rows = raw.Query("SELECT data_type FROM information_schema.columns WHERE table_schema = '" +
                        schema + "' AND table_name = 'j' AND column_name = 'val'");
  EXPECT_EQ(rows, (std::vector<std::vector<std::string>>{{"jsonb"}}));
}

TEST(PostgresStorageTest, LargeBatchOfFiveThousandInOneSetBulk) {
  std::string schema = FreshSchema();
  auto storage = MakePostgres(shared_cluster->Options(R"("schema":")" + schema + R"(")"));
  ASSERT_TRUE(StartOf(*storage).ok());
  std::vector<NamedValue> batch;
  for (int i = 0; i < 5000; ++i) {
    std::string table = i % 3 == 0 ? "a" : (i % 3 == 1 ? "b" : "");
    std::string name = table.empty() ? "n" + std::to_string(i) : table + "/" + std::to_string(i);
    batch.push_back({name, {i + 1, R"({"i":)" + std::to_string(i) + "}"}});
  }
  ASSERT_TRUE(AwaitDone([&](DoneCallback cb) { storage->SetBulk(batch, std::move(cb)); }).ok());
  for (int i : {0, 1, 2, 2500, 4999}) {
    EXPECT_EQ(*GetOf(*storage, batch[i].name), batch[i].value) << batch[i].name;
  }
  RawPg raw(shared_cluster->port());
  auto rows =
      raw.Query("SELECT (SELECT count(*) FROM \"" + schema +
                "\".\"a\") + (SELECT count(*)"
                " FROM \"" +
                schema + "\".\"b\") + (SELECT count(*) FROM \"" + schema + "\".\"default\")");
  EXPECT_EQ(rows, (std::vector<std::vector<std::string>>{{"5000"}}));
  // Read back in one GetBulk: more ids per table than one statement takes, in reverse order.
  std::vector<std::string> names;
  for (size_t i = batch.size(); i-- > 0;) names.push_back(batch[i].name);
  Result<GetBulkResult> bulk = GetBulkNow(*storage, names);
  ASSERT_TRUE(bulk.ok()) << bulk.status().ToString();
  ASSERT_EQ(bulk->size(), names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ((*bulk)[i], batch[batch.size() - 1 - i].value) << names[i];
  }
  ASSERT_TRUE(CloseOf(*storage).ok());
}

TEST(PostgresStorageTest, GetBulkAnswersEveryNameThatSharesARow) {
  auto storage = MakePostgres(shared_cluster->Options(R"("schema":")" + FreshSchema() + R"(")"));
  ASSERT_TRUE(StartOf(*storage).ok());
  ASSERT_TRUE(SetOf(*storage, "t/x", {4, R"({"shared":1})"}).ok());
  // deepstream's table-name filter drops '"' and ';': all three names are the row t/x.
  Result<GetBulkResult> bulk = GetBulkNow(*storage, {"t\"/x", "t/y", "t/x", "t;/x"});
  ASSERT_TRUE(bulk.ok()) << bulk.status().ToString();
  RecordValue shared{4, R"({"shared":1})"};
  EXPECT_EQ(*bulk, (GetBulkResult{shared, std::nullopt, shared, shared}));
  ASSERT_TRUE(CloseOf(*storage).ok());
}

TEST(PostgresStorageTest, GetBulkWhoseBackendIsKilledFailsAsAWholeOnceThenRecovers) {
  std::string schema = FreshSchema();
  auto storage = MakePostgres(shared_cluster->Options(R"("schema":")" + schema + R"(")"));
  ASSERT_TRUE(StartOf(*storage).ok());
  ASSERT_TRUE(SetOf(*storage, "free/1", {1, "{}"}).ok());
  ASSERT_TRUE(SetOf(*storage, "locked/1", {1, "{}"}).ok());
  // Another session holds table "locked": the batch's SELECT on it waits on the server.
  RawPg locker(shared_cluster->port());
  locker.Query("BEGIN");
  locker.Query("LOCK TABLE \"" + schema + "\".\"locked\" IN ACCESS EXCLUSIVE MODE");
  struct Answer {
    std::atomic<int> calls{0};
    std::optional<Result<GetBulkResult>> result;
    Countdown done{1};
  };
  auto answer = std::make_shared<Answer>();  // may outlive the test if the connector misbehaves
  storage->GetBulk(std::vector<std::string>{"free/1", "locked/1"},
                   [answer](Result<GetBulkResult> r) {
                     if (++answer->calls > 1) return;
                     answer->result.emplace(std::move(r));
                     answer->done.Done();
                   });
  // The backend serving the batch goes away while it waits (bounded poll for the wait).
  RawPg admin(shared_cluster->port());
  std::string waiting =
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
      "application_name = 'strata' AND wait_event_type = 'Lock'";
  bool killed = false;
  for (int i = 0; i < 600 && !killed; ++i) {
    killed = !admin.Query(waiting).empty();
    if (!killed) usleep(50 * 1000);
  }
  ASSERT_TRUE(killed) << "the GetBulk never waited for the lock";
  ASSERT_TRUE(answer->done.Wait());
  const Status& failed = answer->result->status();
  EXPECT_EQ(failed.code(), StatusCode::kUnavailable) << failed.ToString();
  EXPECT_NE(failed.message().find("free/1 and 1 more"), std::string_view::npos)
      << failed.ToString();
  locker.Query("COMMIT");
  // The pool reconnects; the same batch then reads both tables.
  Result<GetBulkResult> again = Status::Unavailable("not tried");
  for (int i = 0; i < 600; ++i) {
    again = GetBulkNow(*storage, {"free/1", "locked/1"});
    if (again.ok() || again.status().code() != StatusCode::kUnavailable) break;
    usleep(50 * 1000);
  }
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*again, (GetBulkResult{RecordValue{1, "{}"}, RecordValue{1, "{}"}}));
  ASSERT_TRUE(CloseOf(*storage).ok());
  EXPECT_EQ(answer->calls.load(), 1);
}

TEST(PostgresStorageTest, WritesOfOneRecordApplyInCallOrder) {
  auto storage =
      MakePostgres(shared_cluster->Options(R"("max":4,"schema":")" + FreshSchema() + R"(")"));
  ASSERT_TRUE(StartOf(*storage).ok());
  constexpr int kWrites = 400;
  Countdown all(kWrites);
  std::atomic<int> failures{0};
  for (int v = 1; v <= kWrites; ++v) {
    storage->Set("ordered/x", {v, R"({"v":)" + std::to_string(v) + "}"}, [&](Status s) {
      if (!s.ok()) ++failures;
      all.Done();
    });
  }
  ASSERT_TRUE(all.Wait());
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(*GetOf(*storage, "ordered/x"), (RecordValue{kWrites, R"({"v":400})"}));
  ASSERT_TRUE(CloseOf(*storage).ok());
}

TEST(PostgresStorageTest, FirstWritesRacingToCreateATableAllSucceed) {
  // Two servers (two storages) on one schema: each creates a table on its first write to it.
  std::string options = shared_cluster->Options(R"("schema":")" + FreshSchema() + R"(")");
  auto a = MakePostgres(options);
  auto b = MakePostgres(options);
  ASSERT_TRUE(StartOf(*a).ok());
  ASSERT_TRUE(StartOf(*b).ok());
  constexpr int kTables = 40;
  std::atomic<int> failures{0};
  Countdown all(2 * kTables);
  for (int t = 0; t < kTables; ++t) {
    for (StorageConnector* storage : {a.get(), b.get()}) {
      storage->Set("race" + std::to_string(t) + "/x", {1, "{}"}, [&](Status s) {
        if (!s.ok()) {
          ++failures;
          ADD_FAILURE() << s.ToString();
        }
        all.Done();
      });
    }
  }
  ASSERT_TRUE(all.Wait());
  EXPECT_EQ(failures.load(), 0);
  ASSERT_TRUE(CloseOf(*a).ok());
  ASSERT_TRUE(CloseOf(*b).ok());
}

TEST(PostgresStorageTest, TableDroppedBehindItsBackIsRecreatedOnRetry) {
  std::string schema = FreshSchema();
  auto storage = MakePostgres(shared_cluster->Options(R"("schema":")" + schema + R"(")"));
  ASSERT_TRUE(StartOf(*storage).ok());
  ASSERT_TRUE(SetOf(*storage, "gone/1", {1, "{}"}).ok());
  RawPg raw(shared_cluster->port());
  raw.Query("DROP TABLE \"" + schema + "\".\"gone\"");
  Status first = SetOf(*storage, "gone/1", {2, "{}"});
  EXPECT_EQ(first.code(), StatusCode::kUnavailable) << first.ToString();  // strata retries it
  EXPECT_TRUE(SetOf(*storage, "gone/1", {2, "{}"}).ok());
  EXPECT_EQ(*GetOf(*storage, "gone/1"), (RecordValue{2, "{}"}));
  ASSERT_TRUE(CloseOf(*storage).ok());
}

TEST(PostgresOutageTest, ServerDownAtStartIsUnavailableNamingHostAndPort) {
  uint16_t port = FreePort();  // nothing listens there
  auto storage = MakePostgres(R"({"host":"127.0.0.1","port":)" + std::to_string(port) + "}");
  Status started = StartOf(*storage);
  EXPECT_EQ(started.code(), StatusCode::kUnavailable) << started.ToString();
  EXPECT_NE(started.message().find("127.0.0.1:" + std::to_string(port)), std::string_view::npos)
      << started.ToString();
  Result<std::optional<RecordValue>> got = GetOf(*storage, "x");
  EXPECT_EQ(got.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(CloseOf(*storage).ok());
}

TEST(PostgresOutageTest, StopLosesConnectionRestartRestoresItAndKeepsData) {
  PgCluster cluster;
  ASSERT_TRUE(cluster.Init().ok());
  ASSERT_TRUE(cluster.Start().ok());
  Events events;
  auto storage = MakePostgres(cluster.Options(R"("max":3)"));
  storage->SetEventListener(events.Listener());
  ASSERT_TRUE(StartOf(*storage).ok());
  ASSERT_TRUE(SetOf(*storage, "keep/a", {1, R"({"kept":true})"}).ok());

  // Writes racing the shutdown: each completes exactly once, OK or kUnavailable.
  constexpr int kRacing = 300;
  std::vector<std::atomic<int>> calls(kRacing);
  std::atomic<int> unexpected{0};
  Countdown racing(kRacing);
  for (int i = 0; i < kRacing; ++i) {
    storage->Set("race/" + std::to_string(i), {1, "{}"}, [&, i](Status s) {
      if (!s.ok() && s.code() != StatusCode::kUnavailable) ++unexpected;
      if (++calls[i] == 1) racing.Done();
    });
  }
  cluster.Stop();
  ASSERT_TRUE(racing.Wait());
  EXPECT_EQ(unexpected.load(), 0);
  ASSERT_TRUE(events.WaitFor(ConnectorEvent::kConnectionLost));

  // While the server is down every write fails kUnavailable, exactly once.
  constexpr int kDown = 50;
  std::vector<std::atomic<int>> down_calls(kDown);
  std::atomic<int> not_unavailable{0};
  Countdown down(kDown);
  for (int i = 0; i < kDown; ++i) {
    storage->Set("down/" + std::to_string(i), {1, "{}"}, [&, i](Status s) {
      if (s.code() != StatusCode::kUnavailable) ++not_unavailable;
      if (++down_calls[i] == 1) down.Done();
    });
  }
  ASSERT_TRUE(down.Wait());
  EXPECT_EQ(not_unavailable.load(), 0);

  ASSERT_TRUE(cluster.Start().ok());  // same port, same data directory
  ASSERT_TRUE(events.WaitFor(ConnectorEvent::kConnectionRestored));
  EXPECT_TRUE(SetOf(*storage, "after/b", {1, R"({"b":1})"}).ok());
  EXPECT_EQ(*GetOf(*storage, "keep/a"), (RecordValue{1, R"({"kept":true})"}));
  EXPECT_EQ(*GetOf(*storage, "after/b"), (RecordValue{1, R"({"b":1})"}));
  EXPECT_TRUE(CloseOf(*storage).ok());
  for (auto& c : calls) EXPECT_EQ(c.load(), 1);
  for (auto& c : down_calls) EXPECT_EQ(c.load(), 1);
  EXPECT_EQ(events.Count(ConnectorEvent::kConnectionLost), 1u);
}

TEST(PostgresPluginTest, ExportsAStorageOnlyConnectorThroughTheCAbi) {
  PluginUnderTest plugin(STRATA_POSTGRES_PLUGIN);
  ASSERT_TRUE(plugin.ok());
  EXPECT_STREQ(plugin.info().name, "postgres");
  EXPECT_EQ(plugin.info().abi_version, STRATA_CONNECTOR_ABI_VERSION);
  EXPECT_EQ(plugin.info().roles, static_cast<uint32_t>(STRATA_ROLE_STORAGE));
  EXPECT_EQ(plugin.Create(STRATA_ROLE_CACHE, "{}").code, STRATA_INVALID_ARGUMENT);
  auto bad = plugin.Create(STRATA_ROLE_STORAGE, R"({"port":"x"})");
  EXPECT_EQ(bad.code, STRATA_INVALID_ARGUMENT);
  EXPECT_NE(bad.error.find("storage.options.port"), std::string::npos) << bad.error;
  auto good = plugin.Create(STRATA_ROLE_STORAGE, "");
  EXPECT_EQ(good.code, STRATA_OK) << good.error;
}

}  // namespace
}  // namespace strata::testing
