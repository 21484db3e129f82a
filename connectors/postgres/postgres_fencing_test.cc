// Tests of the postgres connector's fenced writes against the real PostgreSQL server that
// postgres_connector_test.cc starts (the connector suite's fenced cases run there too): what
// the rows look like, the seq column added to tables created without it, rows written unfenced
// (as deepstream writes them), batches spanning several statements, the tombstone janitor, the
// options, and fenced writes through libstrata-postgres.so.

#include <unistd.h>

#include <chrono>
#include <limits>
#include <string>
#include <unordered_set>
#include <vector>

#include <gtest/gtest.h>

#include "connectors/postgres/pg_test_cluster.h"
#include "connectors/postgres/postgres_options.h"
#include "connectors/postgres/record_sql.h"
#include "connectors/postgres/tombstone_janitor.h"
#include "connectors/testing/connector_suite.h"
#include "plugin/abi_connector.h"

namespace strata::testing {
namespace {

using Rows = std::vector<std::vector<std::string>>;

std::string Quoted(const std::string& schema, const std::string& table) {
  return "\"" + schema + "\".\"" + table + "\"";
}

// A started storage on a fresh schema (returned in `schema`), with `extra` options.
std::unique_ptr<StorageConnector> Started(std::string& schema, const std::string& extra = "") {
  schema = FreshSchema();
  std::string options = R"("schema":")" + schema + R"(")";
  if (!extra.empty()) options += "," + extra;
  std::unique_ptr<StorageConnector> storage = MakePostgres(shared_cluster->Options(options));
  if (storage == nullptr) return nullptr;
  Status started = StartNow(*storage);
  EXPECT_TRUE(started.ok()) << started.ToString();
  return started.ok() ? std::move(storage) : nullptr;
}

TEST(PostgresFencingTest, RowsCarryTheFenceAndDeletesLeaveTombstoneRows) {
  std::string schema;
  auto storage = Started(schema);
  ASSERT_NE(storage, nullptr);
  ASSERT_EQ(*SetBulkFencedNow(*storage, {{"f/a", {1, R"({"a":1})"}, 100}}), (FencedResult{true}));
  // Older over newer: fenced, the row unchanged.
  EXPECT_EQ(*SetBulkFencedNow(*storage, {{"f/a", {2, R"({"a":2})"}, 99}}), (FencedResult{false}));
  RawPg raw(shared_cluster->port());
  std::string table = Quoted(schema, "f");
  EXPECT_EQ(raw.Query("SELECT version, val, seq FROM " + table + " WHERE id = 'a'"),
            (Rows{{"1", R"({"a":1})", "100"}}));
  ASSERT_EQ(*DeleteBulkFencedNow(*storage, {{"f/a", 200}}), (FencedResult{true}));
  EXPECT_EQ(raw.Query("SELECT version, val, seq FROM " + table + " WHERE id = 'a'"),
            (Rows{{"-1", "null", "200"}}));
  EXPECT_FALSE(GetNow(*storage, "f/a")->has_value());
  // A plain set over the tombstone re-creates the record and clears the fence.
  ASSERT_TRUE(SetNow(*storage, "f/a", {0, "{}"}).ok());
  EXPECT_EQ(raw.Query("SELECT version, val, seq IS NULL FROM " + table + " WHERE id = 'a'"),
            (Rows{{"0", "{}", "t"}}));
  ASSERT_TRUE(CloseNow(*storage).ok());
}

TEST(PostgresFencingTest, TablesCreatedWithoutSeqGetItAndTheirRowsAreOverwritten) {
  RawPg raw(shared_cluster->port());
  ASSERT_TRUE(raw.ok());
  std::string schema = FreshSchema();
  // As deepstream (or a strata before fencing) created and wrote them: no seq column.
  raw.Query("CREATE SCHEMA \"" + schema + "\"");
  for (const char* table : {"default", "old"}) {
    raw.Query("CREATE TABLE " + Quoted(schema, table) +
              " (id text NOT NULL, version int DEFAULT 0, val text NOT NULL, PRIMARY KEY (id))");
  }
  raw.Query("INSERT INTO " + Quoted(schema, "old") +
            " (id, version, val) VALUES ('ds', 7, '{\"by\":\"deepstream\"}')");
  auto storage = MakePostgres(shared_cluster->Options(R"("schema":")" + schema + R"(")"));
  ASSERT_TRUE(StartNow(*storage).ok());
  std::string has_seq = "SELECT table_name FROM information_schema.columns WHERE table_schema = '" +
                        schema + "' AND column_name = 'seq' ORDER BY table_name";
  EXPECT_EQ(raw.Query(has_seq), (Rows{{"default"}}));  // Start migrates the default table
  // A table is migrated on its first write; the deepstream row (seq NULL) yields to any fence.
  EXPECT_EQ(*GetNow(*storage, "old/ds"), (RecordValue{7, R"({"by":"deepstream"})"}));
  Result<FencedResult> applied =
      SetBulkFencedNow(*storage, {{"old/ds", {8, R"({"by":"strata"})"}, 1}});
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_EQ(*applied, (FencedResult{true}));
  EXPECT_EQ(raw.Query(has_seq), (Rows{{"default"}, {"old"}}));
  EXPECT_EQ(*GetNow(*storage, "old/ds"), (RecordValue{8, R"({"by":"strata"})"}));
  // Written again as deepstream writes (seq untouched by its upsert, NULL for a new row).
  raw.Query("INSERT INTO " + Quoted(schema, "old") + " (id, version, val) VALUES ('ds2', 1, '{}')");
  EXPECT_EQ(*SetBulkFencedNow(*storage, {{"old/ds2", {2, "[]"}, 5}}), (FencedResult{true}));
  EXPECT_EQ(*GetNow(*storage, "old/ds2"), (RecordValue{2, "[]"}));
  ASSERT_TRUE(CloseNow(*storage).ok());
}

TEST(PostgresFencingTest, ColumnDroppedBehindItsBackIsAddedAgainOnRetry) {
  std::string schema;
  auto storage = Started(schema);
  ASSERT_NE(storage, nullptr);
  ASSERT_TRUE(SetBulkFencedNow(*storage, {{"drop/a", {1, "{}"}, 1}}).ok());
  RawPg raw(shared_cluster->port());
  raw.Query("ALTER TABLE " + Quoted(schema, "drop") + " DROP COLUMN seq");
  Result<FencedResult> first = SetBulkFencedNow(*storage, {{"drop/a", {2, "{}"}, 2}});
  EXPECT_EQ(first.status().code(), StatusCode::kUnavailable) << first.status().ToString();
  EXPECT_EQ(*SetBulkFencedNow(*storage, {{"drop/a", {2, "{}"}, 2}}), (FencedResult{true}));
  ASSERT_TRUE(CloseNow(*storage).ok());
}

TEST(PostgresFencingTest, BatchOverSeveralStatementsAndTablesAnswersEachRow) {
  std::string schema;
  auto storage = Started(schema);
  ASSERT_NE(storage, nullptr);
  // 2500 rows of table "big" (three statements) and some of the default table; every third row
  // already holds a newer fence, every fifth a tombstone with an older one.
  constexpr int kRows = 2500;
  std::vector<FencedValue> before, batch;
  std::vector<FencedName> tombstones;
  FencedResult expected;
  for (int i = 0; i < kRows; ++i) {
    std::string name = (i % 7 == 0 ? "n" : "big/") + std::to_string(i);
    if (i % 3 == 0) before.push_back({name, {1, R"({"old":true})"}, 1000});
    if (i % 5 == 0 && i % 3 != 0) tombstones.push_back({name, 10});
    batch.push_back({name, {2, R"({"i":)" + std::to_string(i) + "}"}, 500});
    expected.push_back(i % 3 != 0);
  }
  ASSERT_TRUE(SetBulkFencedNow(*storage, before).ok());
  ASSERT_TRUE(DeleteBulkFencedNow(*storage, tombstones).ok());
  Result<FencedResult> answer = SetBulkFencedNow(*storage, batch);
  ASSERT_TRUE(answer.ok()) << answer.status().ToString();
  EXPECT_EQ(*answer, expected);
  for (int i : {0, 1, 5, 7, 999, 1000, 1001, 2499}) {
    RecordValue want = i % 3 == 0 ? RecordValue{1, R"({"old":true})"} : batch[i].value;
    EXPECT_EQ(*GetNow(*storage, batch[i].name), want) << batch[i].name;
  }
  ASSERT_TRUE(CloseNow(*storage).ok());
}

TEST(PostgresFencingTest, NamesSharingARowAreOneWriteOfTheHighestFence) {
  std::string schema;
  auto storage = Started(schema);
  ASSERT_NE(storage, nullptr);
  // deepstream's table-name filter drops '"': both names are the row t/x.
  Result<FencedResult> answer =
      SetBulkFencedNow(*storage, {{"t\"/x", {1, R"({"w":1})"}, 7}, {"t/x", {2, R"({"w":2})"}, 9}});
  ASSERT_TRUE(answer.ok()) << answer.status().ToString();
  EXPECT_EQ(*answer, (FencedResult{false, true}));
  EXPECT_EQ(*GetNow(*storage, "t/x"), (RecordValue{2, R"({"w":2})"}));
  ASSERT_TRUE(CloseNow(*storage).ok());
}

TEST(PostgresFencingTest, FenceBeyondBigintIsRefused) {
  std::string schema;
  auto storage = Started(schema);
  ASSERT_NE(storage, nullptr);
  uint64_t too_big = static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + 1;
  Result<FencedResult> set = SetBulkFencedNow(*storage, {{"big/a", {1, "{}"}, too_big}});
  EXPECT_EQ(set.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(set.status().message().find("big/a"), std::string_view::npos);
  uint64_t max = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(*DeleteBulkFencedNow(*storage, {{"big/a", max}}), (FencedResult{true}));
  ASSERT_TRUE(CloseNow(*storage).ok());
}

TEST(PostgresFencingTest, TombstonesInJsonbTablesAreJsonNull) {
  std::string schema;
  auto storage = Started(schema, R"("useJsonb":true)");
  ASSERT_NE(storage, nullptr);
  ASSERT_TRUE(SetBulkFencedNow(*storage, {{"j/a", {1, R"({"a":1})"}, 1}}).ok());
  ASSERT_EQ(*DeleteBulkFencedNow(*storage, {{"j/a", 2}, {"j/b", 2}}), (FencedResult{true, true}));
  RawPg raw(shared_cluster->port());
  EXPECT_EQ(raw.Query("SELECT id, version, jsonb_typeof(val), seq FROM " + Quoted(schema, "j") +
                      " ORDER BY id"),
            (Rows{{"a", "-1", "null", "2"}, {"b", "-1", "null", "2"}}));
  Result<GetBulkResult> bulk = GetBulkNow(*storage, {"j/a", "j/b"});
  ASSERT_TRUE(bulk.ok()) << bulk.status().ToString();
  EXPECT_EQ(*bulk, (GetBulkResult{std::nullopt, std::nullopt}));
  ASSERT_TRUE(CloseNow(*storage).ok());
}

TEST(PostgresFencingTest, JanitorPurgesOldTombstonesOfTheTablesItWrote) {
  std::string schema;
  auto storage = Started(schema, R"("tombstoneTtl":1000,"tombstonePurgeInterval":50)");
  ASSERT_NE(storage, nullptr);
  RawPg raw(shared_cluster->port());
  // A table this process never writes, holding an old tombstone: not its janitor's business.
  raw.Query("CREATE TABLE " + Quoted(schema, "foreign") +
            " (id text PRIMARY KEY, version int DEFAULT 0, val text NOT NULL, seq bigint)");
  raw.Query("INSERT INTO " + Quoted(schema, "foreign") + " VALUES ('x', -1, 'null', 1)");
  const uint64_t now = static_cast<uint64_t>(NowMicros());
  const uint64_t old = now - 60'000'000, young = now + 3'600'000'000ULL;
  ASSERT_TRUE(DeleteBulkFencedNow(*storage, {{"purge/old", old}, {"purge/young", young}}).ok());
  ASSERT_TRUE(SetBulkFencedNow(*storage, {{"purge/alive", {1, "{}"}, old}}).ok());
  ASSERT_TRUE(DeleteBulkFencedNow(*storage, {{"dflt", old}}).ok());  // the default table
  std::string count = "SELECT (SELECT count(*) FROM " + Quoted(schema, "purge") +
                      ") + (SELECT count(*) FROM " + Quoted(schema, "default") + ")";
  Rows left;
  for (int i = 0; i < 600; ++i) {
    left = raw.Query(count);
    if (left == Rows{{"2"}}) break;
    usleep(50 * 1000);
  }
  EXPECT_EQ(left, (Rows{{"2"}})) << "the janitor did not purge the old tombstones";
  EXPECT_EQ(raw.Query("SELECT id FROM " + Quoted(schema, "purge") + " ORDER BY id"),
            (Rows{{"alive"}, {"young"}}));
  EXPECT_EQ(raw.Query("SELECT id FROM " + Quoted(schema, "foreign")), (Rows{{"x"}}));
  // A purged tombstone no longer fences: the old write applies now (why the ttl is long).
  EXPECT_EQ(*SetBulkFencedNow(*storage, {{"purge/old", {1, "{}"}, old - 1}}), (FencedResult{true}));
  EXPECT_EQ(*SetBulkFencedNow(*storage, {{"purge/young", {1, "{}"}, now}}), (FencedResult{false}));
  ASSERT_TRUE(CloseNow(*storage).ok());
}

TEST(TombstoneJanitorTest, SweepsEachTableOnceAnIntervalOneAtATime) {
  PostgresOptions options;
  options.tombstone_ttl_ms = 2000;
  options.tombstone_purge_interval_ms = 100;
  RecordSql sql(options);
  TombstoneJanitor janitor(options, sql, nullptr);
  using Clock = TombstoneJanitor::Clock;
  const std::unordered_set<std::string> tables = {"a", "b"};
  Clock::time_point t0 = Clock::now();
  EXPECT_EQ(janitor.TakeDue(t0, 5'000'000, tables), nullptr);  // not armed
  janitor.Arm(t0);
  EXPECT_EQ(janitor.next(), t0 + std::chrono::milliseconds(100));
  EXPECT_EQ(janitor.TakeDue(t0 + std::chrono::milliseconds(99), 5'000'000, tables), nullptr);
  std::unique_ptr<PgOp> sweep =
      janitor.TakeDue(t0 + std::chrono::milliseconds(100), 5'000'000, tables);
  ASSERT_NE(sweep, nullptr);
  ASSERT_EQ(sweep->groups.size(), 2u);
  for (const SqlGroup& group : sweep->groups) {
    EXPECT_TRUE(group.missing_table_ok);
    ASSERT_EQ(group.statements.size(), 1u);
    EXPECT_EQ(group.statements[0].params, (std::vector<std::string>{"3000000"}));  // now - ttl
    EXPECT_NE(group.statements[0].sql.find("WHERE version = -1 AND seq < $1"), std::string::npos);
  }
  // While it runs, no other sweep starts; once it completed, the next interval brings one.
  EXPECT_EQ(janitor.TakeDue(t0 + std::chrono::seconds(1), 5'000'000, tables), nullptr);
  sweep->Complete();
  EXPECT_NE(janitor.TakeDue(t0 + std::chrono::seconds(2), 5'000'000, tables), nullptr);
}

TEST(TombstoneJanitorTest, OptionsAndTheDerivedInterval) {
  Result<PostgresOptions> defaults = ParsePostgresOptions("");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->tombstone_ttl_ms, 3600000);
  EXPECT_EQ(TombstonePurgeIntervalMs(*defaults), 360000);  // ttl / 10
  Result<PostgresOptions> short_ttl = ParsePostgresOptions(R"({"tombstoneTtl":60000})");
  ASSERT_TRUE(short_ttl.ok());
  EXPECT_EQ(TombstonePurgeIntervalMs(*short_ttl), 60000);  // at most once a minute
  Result<PostgresOptions> explicit_interval =
      ParsePostgresOptions(R"({"tombstoneTtl":1000,"tombstonePurgeInterval":20})");
  ASSERT_TRUE(explicit_interval.ok());
  EXPECT_EQ(TombstonePurgeIntervalMs(*explicit_interval), 20);
  for (const char* bad : {R"({"tombstoneTtl":0})", R"({"tombstoneTtl":"1h"})",
                          R"({"tombstonePurgeInterval":-1})", R"({"tombstoneTtl":1e30})"}) {
    Result<PostgresOptions> refused = ParsePostgresOptions(bad);
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_NE(refused.status().message().find("storage.options.tombstone"), std::string_view::npos)
        << refused.status().ToString();
  }
}

TEST(PostgresPluginTest, FencedWritesThroughTheSharedLibrary) {
  Result<std::shared_ptr<PluginLibrary>> library = PluginLibrary::Open(STRATA_POSTGRES_PLUGIN);
  ASSERT_TRUE(library.ok()) << library.status().ToString();
  std::string options = shared_cluster->Options(R"("schema":")" + FreshSchema() + R"(")");
  Result<std::unique_ptr<AbiConnector>> made =
      AbiConnector::Create(*library, STRATA_ROLE_STORAGE, options);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  AbiConnector& c = **made;
  EXPECT_TRUE(c.SupportsFencing());  // the capability crossed the ABI
  ASSERT_TRUE(StartNow(c).ok());
  EXPECT_EQ(*SetBulkFencedNow(c, {{"p/a", {1, R"({"a":1})"}, 10}, {"p/b", {1, "{}"}, 10}}),
            (FencedResult{true, true}));
  EXPECT_EQ(*SetBulkFencedNow(c, {{"p/a", {2, R"({"a":2})"}, 9}, {"p/b", {2, "[]"}, 11}}),
            (FencedResult{false, true}));
  EXPECT_EQ(*DeleteBulkFencedNow(c, {{"p/a", 20}, {"p/b", 5}}), (FencedResult{true, false}));
  Result<GetBulkResult> bulk = GetBulkNow(c, {"p/a", "p/b"});
  ASSERT_TRUE(bulk.ok()) << bulk.status().ToString();
  EXPECT_EQ(*bulk, (GetBulkResult{std::nullopt, RecordValue{2, "[]"}}));
  EXPECT_EQ(*SetBulkFencedNow(c, {{"p/a", {0, "{}"}, 19}}), (FencedResult{false}));
  EXPECT_EQ(*SetBulkFencedNow(c, {{"p/a", {0, "{}"}, 21}}), (FencedResult{true}));
  EXPECT_EQ(*GetNow(c, "p/a"), (RecordValue{0, "{}"}));
  Result<FencedResult> refused = SetBulkFencedNow(c, {{"p/a", {1, "{}"}, ~0ULL}});
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(CloseNow(c).ok());
}

}  // namespace
}  // namespace strata::testing
