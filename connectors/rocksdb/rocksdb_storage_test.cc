#include "connectors/rocksdb/rocksdb_storage.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include "connectors/rocksdb/record_codec.h"
#include "connectors/testing/connector_suite.h"
#include "connectors/testing/plugin_under_test.h"
#include "strata/connector_abi.h"

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

std::string OptionsFor(const std::string& path, bool sync = false) {
  return R"({"path": ")" + path + R"(", "sync": )" + (sync ? "true" : "false") + "}";
}

ConnectorTraits RocksdbTraits() {
  return {.name = "Rocksdb",
          .make =
              [](const std::string& scratch_dir) {
                // A directory that does not exist yet: Start must create it.
                return NewRocksdbStorage(OptionsFor(scratch_dir + "/nested/db"));
              },
          .durable = true};
}

STRATA_INSTANTIATE_CONNECTOR_SUITE(Rocksdb, RocksdbTraits());

TEST(RocksdbOptionsTest, Defaults) {
  for (std::string_view json : {"", "{}"}) {
    Result<RocksdbOptions> options = ParseRocksdbOptions(json);
    ASSERT_TRUE(options.ok()) << options.status().ToString();
    EXPECT_EQ(options->path, "./data/rocksdb");
    EXPECT_FALSE(options->sync);
  }
}

TEST(RocksdbOptionsTest, ReadsEveryOption) {
  Result<RocksdbOptions> options = ParseRocksdbOptions(R"({"path": "/var/lib/x", "sync": true})");
  ASSERT_TRUE(options.ok()) << options.status().ToString();
  EXPECT_EQ(options->path, "/var/lib/x");
  EXPECT_TRUE(options->sync);
}

TEST(RocksdbOptionsTest, RejectsBadValuesNamingTheKey) {
  struct Case {
    const char* json;
    const char* message;
  };
  for (const Case& c : {
           Case{R"({"path": 3})", "storage.options.path: expected a non-empty string"},
           Case{R"({"path": ""})", "storage.options.path: expected a non-empty string"},
           Case{R"({"sync": "yes"})", "storage.options.sync: expected true or false"},
           Case{R"({"sync": 1})", "storage.options.sync: expected true or false"},
           Case{R"({"dir": "x"})", "storage.options.dir: unknown option; known: path, sync"},
           Case{R"("x")", "storage.options: expected a JSON object"},
           Case{R"({"path": )", "storage.options: expected a JSON object"},
       }) {
    Result<std::unique_ptr<StorageConnector>> storage = NewRocksdbStorage(c.json);
    ASSERT_FALSE(storage.ok()) << c.json;
    EXPECT_EQ(storage.status().code(), StatusCode::kInvalidArgument) << c.json;
    EXPECT_EQ(storage.status().message(), c.message) << c.json;
  }
}

TEST(RocksdbCodecTest, VersionIsFourBytesLittleEndianThenJson) {
  EXPECT_EQ(rocks::EncodeValue({0x01020304, "{}"}), std::string("\x04\x03\x02\x01{}", 6));
  for (const RecordValue& value :
       {RecordValue{0, "{}"}, RecordValue{-1, ""}, RecordValue{2147483647, "[1]"},
        RecordValue{-2147483647 - 1, std::string("\0nul", 4)}}) {
    Result<RecordValue> decoded = rocks::DecodeValue(rocks::EncodeValue(value));
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_EQ(*decoded, value);
  }
  Result<RecordValue> short_value = rocks::DecodeValue("abc");
  ASSERT_FALSE(short_value.ok());
  EXPECT_EQ(short_value.status().code(), StatusCode::kDataLoss);
}

class RocksdbStorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "strata-rocksdb-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = dir_ + "/db";
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  std::unique_ptr<StorageConnector> Make(const std::string& options_json) {
    Result<std::unique_ptr<StorageConnector>> storage = NewRocksdbStorage(options_json);
    EXPECT_TRUE(storage.ok()) << storage.status().ToString();
    return storage.ok() ? std::move(storage).value() : nullptr;
  }

  std::string dir_;
  std::string path_;
};

TEST_F(RocksdbStorageTest, RecordsSurviveCloseAndReopen) {
  for (bool sync : {false, true}) {
    SCOPED_TRACE(sync ? "sync" : "no sync");
    std::string path = path_ + (sync ? "-sync" : "-nosync");
    {
      std::unique_ptr<StorageConnector> storage = Make(OptionsFor(path, sync));
      ASSERT_TRUE(StartNow(*storage).ok());
      ASSERT_TRUE(SetNow(*storage, "kept", {3, R"({"x":"y"})"}).ok());
      ASSERT_TRUE(SetNow(*storage, "deleted", {1, "{}"}).ok());
      ASSERT_TRUE(DeleteNow(*storage, "deleted").ok());
      ASSERT_TRUE(SetBulkNow(*storage, MakeBatch(100, "bulk/")).ok());
      ASSERT_TRUE(CloseNow(*storage).ok());
    }
    std::unique_ptr<StorageConnector> reopened = Make(OptionsFor(path, sync));
    ASSERT_TRUE(StartNow(*reopened).ok());
    Result<std::optional<RecordValue>> kept = GetNow(*reopened, "kept");
    ASSERT_TRUE(kept.ok()) << kept.status().ToString();
    EXPECT_EQ(*kept, std::optional<RecordValue>({3, R"({"x":"y"})"}));
    Result<std::optional<RecordValue>> deleted = GetNow(*reopened, "deleted");
    ASSERT_TRUE(deleted.ok());
    EXPECT_FALSE(deleted->has_value());
    Result<std::optional<RecordValue>> bulk = GetNow(*reopened, "bulk/99");
    ASSERT_TRUE(bulk.ok());
    EXPECT_EQ(*bulk, std::optional<RecordValue>({99, R"({"i":99})"}));
    Result<GetBulkResult> all = GetBulkNow(*reopened, {"bulk/0", "deleted", "kept", "bulk/42"});
    ASSERT_TRUE(all.ok()) << all.status().ToString();
    EXPECT_EQ(*all,
              (GetBulkResult{RecordValue{0, R"({"i":0})"}, std::nullopt,
                             RecordValue{3, R"({"x":"y"})"}, RecordValue{42, R"({"i":42})"}}));
    ASSERT_TRUE(CloseNow(*reopened).ok());
  }
}

TEST_F(RocksdbStorageTest, SecondInstanceOnTheSamePathIsRefusedWithTheLock) {
  std::unique_ptr<StorageConnector> first = Make(OptionsFor(path_));
  ASSERT_TRUE(StartNow(*first).ok());
  std::unique_ptr<StorageConnector> second = Make(OptionsFor(path_));
  Status refused = StartNow(*second);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.code(), StatusCode::kUnavailable) << refused.ToString();
  EXPECT_NE(refused.message().find(path_), std::string::npos) << refused.ToString();
  EXPECT_NE(refused.message().find("database lock held"), std::string::npos) << refused.ToString();
  // The refused instance fails operations instead of hanging; the first one is untouched.
  Status set = SetNow(*second, "x", {1, "{}"});
  EXPECT_EQ(set.code(), StatusCode::kFailedPrecondition) << set.ToString();
  EXPECT_TRUE(CloseNow(*second).ok());
  ASSERT_TRUE(SetNow(*first, "x", {1, "{}"}).ok());
  ASSERT_TRUE(CloseNow(*first).ok());
  // Once the first closed, the lock is free again.
  std::unique_ptr<StorageConnector> third = Make(OptionsFor(path_));
  ASSERT_TRUE(StartNow(*third).ok());
  Result<std::optional<RecordValue>> got = GetNow(*third, "x");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, std::optional<RecordValue>({1, "{}"}));
  ASSERT_TRUE(CloseNow(*third).ok());
}

TEST_F(RocksdbStorageTest, CorruptDatabaseIsDataLossNamingThePath) {
  std::unique_ptr<StorageConnector> storage = Make(OptionsFor(path_));
  ASSERT_TRUE(StartNow(*storage).ok());
  ASSERT_TRUE(SetNow(*storage, "x", {1, "{}"}).ok());
  ASSERT_TRUE(CloseNow(*storage).ok());
  std::ofstream(path_ + "/CURRENT", std::ios::trunc) << "garbage";  // no trailing newline
  std::unique_ptr<StorageConnector> reopened = Make(OptionsFor(path_));
  Status opened = StartNow(*reopened);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.code(), StatusCode::kDataLoss) << opened.ToString();
  EXPECT_NE(opened.message().find(path_), std::string::npos) << opened.ToString();
}

TEST_F(RocksdbStorageTest, PathThatCannotBeADirectoryIsUnavailable) {
  std::ofstream(dir_ + "/file") << "x";
  std::unique_ptr<StorageConnector> storage = Make(OptionsFor(dir_ + "/file/db"));
  Status opened = StartNow(*storage);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.code(), StatusCode::kUnavailable) << opened.ToString();
  EXPECT_NE(opened.message().find(dir_ + "/file/db"), std::string::npos) << opened.ToString();
}

TEST_F(RocksdbStorageTest, LargeBatchIsOneWriteAndSurvivesReopen) {
  constexpr size_t kRecords = 100000;
  std::vector<NamedValue> batch = MakeBatch(kRecords, "large/");
  {
    std::unique_ptr<StorageConnector> storage = Make(OptionsFor(path_, /*sync=*/true));
    ASSERT_TRUE(StartNow(*storage).ok());
    ASSERT_TRUE(SetBulkNow(*storage, batch).ok());
    ASSERT_TRUE(CloseNow(*storage).ok());
  }
  std::unique_ptr<StorageConnector> reopened = Make(OptionsFor(path_));
  ASSERT_TRUE(StartNow(*reopened).ok());
  for (size_t i = 0; i < kRecords; i += 997) {
    Result<std::optional<RecordValue>> got = GetNow(*reopened, batch[i].name);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    ASSERT_EQ(*got, std::optional<RecordValue>(batch[i].value)) << batch[i].name;
  }
  std::vector<std::string> names;
  for (const NamedValue& nv : batch) names.push_back(nv.name);
  ASSERT_TRUE(AwaitDone([&](DoneCallback cb) { reopened->DeleteBulk(names, std::move(cb)); }).ok());
  Result<std::optional<RecordValue>> gone = GetNow(*reopened, batch[kRecords - 1].name);
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
  ASSERT_TRUE(CloseNow(*reopened).ok());
}

TEST_F(RocksdbStorageTest, BinaryAndLongNamesAreKeysAsIs) {
  std::unique_ptr<StorageConnector> storage = Make(OptionsFor(path_));
  ASSERT_TRUE(StartNow(*storage).ok());
  std::vector<std::string> names = {std::string("nul\0inside", 10), std::string("nul"),
                                    std::string(10000, 'n'), "with space", ""};
  for (size_t i = 0; i < names.size(); ++i) {
    ASSERT_TRUE(SetNow(*storage, names[i], {static_cast<Version>(i), "{}"}).ok());
  }
  for (size_t i = 0; i < names.size(); ++i) {
    Result<std::optional<RecordValue>> got = GetNow(*storage, names[i]);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(*got, std::optional<RecordValue>({static_cast<Version>(i), "{}"})) << i;
  }
  std::vector<std::string> asked(names.rbegin(), names.rend());
  asked.push_back(std::string("nul\0", 4));  // never written
  Result<GetBulkResult> bulk = GetBulkNow(*storage, asked);
  ASSERT_TRUE(bulk.ok()) << bulk.status().ToString();
  ASSERT_EQ(bulk->size(), asked.size());
  for (size_t i = 0; i < names.size(); ++i) {
    Version version = static_cast<Version>(names.size() - 1 - i);
    EXPECT_EQ((*bulk)[i], std::optional<RecordValue>({version, "{}"})) << i;
  }
  EXPECT_FALSE(bulk->back().has_value());
  ASSERT_TRUE(CloseNow(*storage).ok());
}

TEST_F(RocksdbStorageTest, GetBulkReadsMemtableAndFilesAndFailsAsAWholeOnABadValue) {
  {
    // Written behind the storage's back: a value too short to hold its version prefix.
    rocksdb::Options options;
    options.create_if_missing = true;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, path_, &raw).ok());
    ASSERT_TRUE(raw->Put(rocksdb::WriteOptions(), "bad", "ab").ok());
    ASSERT_TRUE(raw->Put(rocksdb::WriteOptions(), "old", rocks::EncodeValue({5, "[5]"})).ok());
    ASSERT_TRUE(raw->Flush(rocksdb::FlushOptions()).ok());  // "old" is in a table file now
    delete raw;
  }
  std::unique_ptr<StorageConnector> storage = Make(OptionsFor(path_));
  ASSERT_TRUE(StartNow(*storage).ok());
  ASSERT_TRUE(SetNow(*storage, "new", {6, "[6]"}).ok());  // in the memtable
  Result<GetBulkResult> good = GetBulkNow(*storage, {"new", "none", "old"});
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  EXPECT_EQ(*good, (GetBulkResult{RecordValue{6, "[6]"}, std::nullopt, RecordValue{5, "[5]"}}));
  Result<GetBulkResult> bad = GetBulkNow(*storage, {"old", "bad", "new"});
  EXPECT_EQ(bad.status().code(), StatusCode::kDataLoss) << bad.status().ToString();
  EXPECT_NE(bad.status().message().find("'bad'"), std::string_view::npos)
      << bad.status().ToString();
  ASSERT_TRUE(CloseNow(*storage).ok());
  EXPECT_EQ(GetBulkNow(*storage, {"old"}).status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(RocksdbStorageTest, PluginExportsTheStorageThroughTheCAbi) {
  testing::PluginUnderTest plugin(STRATA_ROCKSDB_PLUGIN);
  ASSERT_TRUE(plugin.ok());
  EXPECT_EQ(plugin.info().abi_version, STRATA_CONNECTOR_ABI_VERSION);
  EXPECT_STREQ(plugin.info().name, "rocksdb");
  EXPECT_EQ(plugin.info().roles, static_cast<uint32_t>(STRATA_ROLE_STORAGE));
  auto bad = plugin.Create(STRATA_ROLE_STORAGE, R"({"sync": "always"})");
  EXPECT_EQ(bad.code, STRATA_INVALID_ARGUMENT);
  EXPECT_EQ(bad.error, "storage.options.sync: expected true or false");
  auto good = plugin.Create(STRATA_ROLE_STORAGE, OptionsFor(path_));
  EXPECT_EQ(good.code, STRATA_OK) << good.error;
}

}  // namespace
}  // namespace strata
