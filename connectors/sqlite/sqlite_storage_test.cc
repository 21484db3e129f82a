#include "connectors/sqlite/sqlite_storage.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "connectors/testing/connector_suite.h"

namespace strata {
namespace {

using testing::Await;
using testing::AwaitDone;
using testing::CloseNow;
using testing::ConnectorTraits;
using testing::DeleteNow;
using testing::GetBulkNow;
using testing::GetNow;
using testing::MakeBatch;
using testing::SetBulkNow;
using testing::SetNow;
using testing::StartNow;

std::string OptionsFor(const std::string& path) { return R"({"path": ")" + path + R"("})"; }

ConnectorTraits SqliteTraits() {
  return {.name = "Sqlite",
          .make =
              [](const std::string& scratch_dir) {
                // A directory that does not exist yet: Start must create it.
                return NewSqliteStorage(OptionsFor(scratch_dir + "/nested/dir/strata.db"));
              },
          .durable = true};
}

STRATA_INSTANTIATE_CONNECTOR_SUITE(Sqlite, SqliteTraits());

// A raw sqlite connection to the same file, playing "another process".
class OtherConnection {
 public:
  explicit OtherConnection(const std::string& path) {
    EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK);
  }
  ~OtherConnection() { sqlite3_close(db_); }
  int Exec(const std::string& sql) {
    return sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  }
  int64_t Count() {
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(db_, "SELECT COUNT(*) FROM records", -1, &stmt, nullptr);
    int64_t count = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : -1;
    sqlite3_finalize(stmt);
    return count;
  }

 private:
  sqlite3* db_ = nullptr;
};

class SqliteStorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "strata-sqlite-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = dir_ + "/strata.db";
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  std::unique_ptr<StorageConnector> Make(const std::string& options_json) {
    Result<std::unique_ptr<StorageConnector>> storage = NewSqliteStorage(options_json);
    EXPECT_TRUE(storage.ok()) << storage.status().ToString();
    return storage.ok() ? std::move(storage).value() : nullptr;
  }

  std::string dir_;
  std::string path_;
};

TEST(SqliteOptionsTest, Defaults) {
  for (std::string_view json : {"", "{}"}) {
    Result<SqliteOptions> options = ParseSqliteOptions(json);
    ASSERT_TRUE(options.ok()) << options.status().ToString();
    EXPECT_EQ(options->path, "./data/strata.db");
    EXPECT_EQ(options->synchronous, SqliteSync::kNormal);
    EXPECT_EQ(options->busy_timeout_ms, 5000);
  }
}

TEST(SqliteOptionsTest, ReadsEveryOption) {
  Result<SqliteOptions> options =
      ParseSqliteOptions(R"({"path": "/var/lib/strata/x.db", "synchronous": "full",
                             "busyTimeout": 250})");
  ASSERT_TRUE(options.ok()) << options.status().ToString();
  EXPECT_EQ(options->path, "/var/lib/strata/x.db");
  EXPECT_EQ(options->synchronous, SqliteSync::kFull);
  EXPECT_EQ(options->busy_timeout_ms, 250);
}

TEST(SqliteOptionsTest, RejectsBadValuesNamingTheKey) {
  struct Case {
    const char* json;
    const char* message;
  };
  for (const Case& c : {
           Case{R"({"path": 3})", "storage.options.path: expected a non-empty string"},
           Case{R"({"path": ""})", "storage.options.path: expected a non-empty string"},
           Case{R"({"synchronous": "off"})",
                R"(storage.options.synchronous: expected "normal" or "full")"},
           Case{R"({"busyTimeout": -5})",
                "storage.options.busyTimeout: expected a non-negative integer (milliseconds)"},
           Case{R"({"busyTimeout": "5s"})",
                "storage.options.busyTimeout: expected a non-negative integer (milliseconds)"},
           Case{R"({"file": "x.db"})",
                "storage.options.file: unknown option; known: path, synchronous, busyTimeout"},
           Case{R"("x.db")", "storage.options: expected a JSON object"},
       }) {
    Result<std::unique_ptr<StorageConnector>> storage = NewSqliteStorage(c.json);
    ASSERT_FALSE(storage.ok()) << c.json;
    EXPECT_EQ(storage.status().code(), StatusCode::kInvalidArgument) << c.json;
    EXPECT_EQ(storage.status().message(), c.message) << c.json;
  }
}

TEST_F(SqliteStorageTest, IsNamedSqlite) { EXPECT_EQ(Make(OptionsFor(path_))->Name(), "sqlite"); }

TEST_F(SqliteStorageTest, DataSurvivesCloseAndReopen) {
  std::vector<NamedValue> batch = MakeBatch(100, "bulk/");
  {
    auto storage = Make(OptionsFor(path_) + "");
    ASSERT_TRUE(StartNow(*storage).ok());
    ASSERT_TRUE(SetNow(*storage, "single", {4, R"({"name":"J\u00fcrgen","x":[1,2]})"}).ok());
    ASSERT_TRUE(SetBulkNow(*storage, batch).ok());
    ASSERT_TRUE(DeleteNow(*storage, "bulk/7").ok());
    ASSERT_TRUE(CloseNow(*storage).ok());
  }
  auto reopened = Make(R"({"path": ")" + path_ + R"(", "synchronous": "full"})");
  ASSERT_TRUE(StartNow(*reopened).ok());
  Result<std::optional<RecordValue>> single = GetNow(*reopened, "single");
  ASSERT_TRUE(single.ok()) << single.status().ToString();
  EXPECT_EQ(*single,
            std::optional<RecordValue>(RecordValue{4, R"({"name":"J\u00fcrgen","x":[1,2]})"}));
  std::vector<std::string> names = {"single"};
  for (const NamedValue& nv : batch) names.push_back(nv.name);
  Result<GetBulkResult> bulk = GetBulkNow(*reopened, names);
  ASSERT_TRUE(bulk.ok()) << bulk.status().ToString();
  ASSERT_EQ(bulk->size(), names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    Result<std::optional<RecordValue>> got = GetNow(*reopened, names[i]);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ((*bulk)[i], *got) << names[i];
  }
  for (const NamedValue& nv : batch) {
    Result<std::optional<RecordValue>> got = GetNow(*reopened, nv.name);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    if (nv.name == "bulk/7") {
      EXPECT_FALSE(got->has_value());
    } else {
      EXPECT_EQ(*got, std::optional<RecordValue>(nv.value)) << nv.name;
    }
  }
  EXPECT_TRUE(CloseNow(*reopened).ok());
}

TEST_F(SqliteStorageTest, StartFailsUnavailableUnderARegularFile) {
  std::ofstream(dir_ + "/file") << "not a directory";
  std::string path = dir_ + "/file/sub/strata.db";
  auto storage = Make(OptionsFor(path));
  Status started = StartNow(*storage);
  EXPECT_EQ(started.code(), StatusCode::kUnavailable) << started.ToString();
  EXPECT_NE(started.message().find(dir_ + "/file/sub"), std::string_view::npos)
      << started.ToString();
  // Not running: operations fail cleanly, and Close still works.
  EXPECT_EQ(SetNow(*storage, "a", {1, "{}"}).code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(CloseNow(*storage).ok());
}

TEST_F(SqliteStorageTest, StartFailsUnavailableWhenThePathIsADirectory) {
  auto storage = Make(OptionsFor(dir_));
  Status started = StartNow(*storage);
  EXPECT_EQ(started.code(), StatusCode::kUnavailable) << started.ToString();
  EXPECT_NE(started.message().find(dir_), std::string_view::npos) << started.ToString();
}

TEST_F(SqliteStorageTest, StartFailsDataLossOnAFileThatIsNotADatabase) {
  std::ofstream(path_) << std::string(4096, 'x');
  auto storage = Make(OptionsFor(path_));
  Status started = StartNow(*storage);
  EXPECT_EQ(started.code(), StatusCode::kDataLoss) << started.ToString();
}

TEST_F(SqliteStorageTest, OperationsBeforeStartAndAfterCloseFailPrecondition) {
  auto storage = Make(OptionsFor(path_));
  EXPECT_EQ(SetNow(*storage, "a", {1, "{}"}).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(GetNow(*storage, "a").status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(GetBulkNow(*storage, {"a"}).status().code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(StartNow(*storage).ok());
  EXPECT_EQ(StartNow(*storage).code(), StatusCode::kFailedPrecondition);  // only once
  ASSERT_TRUE(CloseNow(*storage).ok());
  EXPECT_EQ(DeleteNow(*storage, "a").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(GetNow(*storage, "a").status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(GetBulkNow(*storage, {"a"}).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_FALSE(std::filesystem::exists(path_ + "-wal") &&
               std::filesystem::file_size(path_ + "-wal") > 0)
      << "the last connection's close checkpoints and removes the WAL";
}

TEST_F(SqliteStorageTest, CloseWithoutStartIsOk) {
  auto storage = Make(OptionsFor(path_));
  EXPECT_TRUE(CloseNow(*storage).ok());
  EXPECT_TRUE(CloseNow(*storage).ok());
}

TEST_F(SqliteStorageTest, DestructorClosesARunningStorage) {
  {
    auto storage = Make(OptionsFor(path_));
    ASSERT_TRUE(StartNow(*storage).ok());
    storage->Set("queued", {1, "{}"}, [](Status s) { EXPECT_TRUE(s.ok()); });
  }  // no Close: the destructor runs the queued write, then closes
  OtherConnection other(path_);
  EXPECT_EQ(other.Count(), 1);
}

TEST_F(SqliteStorageTest, LargeBatchIsWrittenInOneTransaction) {
  auto storage = Make(OptionsFor(path_));
  ASSERT_TRUE(StartNow(*storage).ok());
  ASSERT_TRUE(SetBulkNow(*storage, MakeBatch(20000, "big/")).ok());
  OtherConnection other(path_);
  EXPECT_EQ(other.Count(), 20000);
  // A record that fails in the middle of a batch rolls back the whole batch.
  ASSERT_EQ(other.Exec("CREATE TRIGGER poison BEFORE INSERT ON records WHEN NEW.name = 'poison' "
                       "BEGIN SELECT RAISE(ABORT, 'poisoned record'); END"),
            SQLITE_OK);
  std::vector<NamedValue> batch = MakeBatch(10, "fresh/");
  batch.insert(batch.begin() + 5, NamedValue{"poison", {1, "{}"}});
  Status failed = SetBulkNow(*storage, batch);
  EXPECT_EQ(failed.code(), StatusCode::kInternal) << failed.ToString();
  EXPECT_NE(failed.message().find("'poison'"), std::string_view::npos) << failed.ToString();
  EXPECT_EQ(other.Count(), 20000);
  Result<std::optional<RecordValue>> first = GetNow(*storage, "fresh/0");
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first->has_value());
  // The connection is still usable after the rollback.
  EXPECT_TRUE(SetNow(*storage, "fresh/0", {1, "{}"}).ok());
  EXPECT_TRUE(CloseNow(*storage).ok());
}

TEST_F(SqliteStorageTest, GetBulkReadsCommittedRowsWhileAnotherWriterHoldsTheLock) {
  auto storage = Make(R"({"path": ")" + path_ + R"(", "busyTimeout": 0})");
  ASSERT_TRUE(StartNow(*storage).ok());
  ASSERT_TRUE(SetBulkNow(*storage, MakeBatch(3, "wal/")).ok());
  OtherConnection other(path_);
  ASSERT_EQ(other.Exec("BEGIN IMMEDIATE"), SQLITE_OK);
  ASSERT_EQ(other.Exec("INSERT INTO records VALUES ('wal/uncommitted', 1, '{}')"), SQLITE_OK);
  // WAL: the batch neither waits for the writer nor sees what it has not committed.
  Result<GetBulkResult> bulk = GetBulkNow(*storage, {"wal/2", "wal/uncommitted", "wal/0"});
  ASSERT_TRUE(bulk.ok()) << bulk.status().ToString();
  EXPECT_EQ(*bulk, (GetBulkResult{RecordValue{2, R"({"i":2})"}, std::nullopt,
                                  RecordValue{0, R"({"i":0})"}}));
  ASSERT_EQ(other.Exec("COMMIT"), SQLITE_OK);
  bulk = GetBulkNow(*storage, {"wal/uncommitted"});
  ASSERT_TRUE(bulk.ok()) << bulk.status().ToString();
  EXPECT_EQ(*bulk, (GetBulkResult{RecordValue{1, "{}"}}));
  EXPECT_TRUE(CloseNow(*storage).ok());
}

TEST_F(SqliteStorageTest, GetBulkFailsAsAWholeAndLeavesNoSnapshotBehind) {
  auto storage = Make(OptionsFor(path_));
  ASSERT_TRUE(StartNow(*storage).ok());
  ASSERT_TRUE(SetBulkNow(*storage, MakeBatch(3, "gone/")).ok());
  OtherConnection other(path_);
  ASSERT_EQ(other.Exec("ALTER TABLE records RENAME TO hidden"), SQLITE_OK);
  Result<GetBulkResult> failed = GetBulkNow(*storage, {"gone/0", "gone/1"});
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("get 'gone/0'"), std::string_view::npos)
      << failed.status().ToString();
  // The failed batch ended its read transaction: the next one sees the table back, and a row
  // written since.
  ASSERT_EQ(other.Exec("ALTER TABLE hidden RENAME TO records"), SQLITE_OK);
  ASSERT_EQ(other.Exec("INSERT INTO records VALUES ('gone/new', 9, '[]')"), SQLITE_OK);
  Result<GetBulkResult> again = GetBulkNow(*storage, {"gone/new", "gone/1"});
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*again, (GetBulkResult{RecordValue{9, "[]"}, RecordValue{1, R"({"i":1})"}}));
  EXPECT_TRUE(CloseNow(*storage).ok());
}

TEST_F(SqliteStorageTest, LockHeldByAnotherProcessIsUnavailable) {
  auto storage = Make(R"({"path": ")" + path_ + R"(", "busyTimeout": 0})");
  ASSERT_TRUE(StartNow(*storage).ok());
  OtherConnection other(path_);
  ASSERT_EQ(other.Exec("BEGIN IMMEDIATE"), SQLITE_OK);
  Status blocked = SetBulkNow(*storage, MakeBatch(3, "locked/"));
  EXPECT_EQ(blocked.code(), StatusCode::kUnavailable) << blocked.ToString();
  Status single = SetNow(*storage, "locked/single", {1, "{}"});
  EXPECT_EQ(single.code(), StatusCode::kUnavailable) << single.ToString();
  EXPECT_NE(single.message().find("set 'locked/single'"), std::string_view::npos)
      << single.ToString();
  ASSERT_EQ(other.Exec("COMMIT"), SQLITE_OK);
  EXPECT_TRUE(SetBulkNow(*storage, MakeBatch(3, "locked/")).ok());  // retry succeeds
  EXPECT_EQ(other.Count(), 3);
  EXPECT_TRUE(CloseNow(*storage).ok());
}

}  // namespace
}  // namespace strata
