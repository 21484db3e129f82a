// The connector suite's cases for fenced writes (StorageConnector::SetBulkFenced and
// DeleteBulkFenced): every connector either refuses them with kFailedPrecondition or implements
// the fence (a non-durable one, like "none", applies every row and stores nothing).

#include <vector>

#include "connectors/testing/connector_suite.h"

namespace strata::testing {

Result<FencedResult> SetBulkFencedNow(StorageConnector& storage,
                                      const std::vector<FencedValue>& batch) {
  return Await<FencedResult>(
      [&](Callback<FencedResult> cb) { storage.SetBulkFenced(batch, std::move(cb)); });
}

Result<FencedResult> DeleteBulkFencedNow(StorageConnector& storage,
                                         const std::vector<FencedName>& names) {
  return Await<FencedResult>(
      [&](Callback<FencedResult> cb) { storage.DeleteBulkFenced(names, std::move(cb)); });
}

namespace {

// What a fenced write answers: `applied` for a durable connector, all true for one that stores
// nothing (nothing newer is stored either).
FencedResult Expect(bool durable, FencedResult applied) {
  if (!durable) applied.assign(applied.size(), true);
  return applied;
}

}  // namespace

TEST_P(StorageConnectorSuite, FencedWritesAreRefusedUnlessSupported) {
  if (connector().SupportsFencing()) GTEST_SKIP() << "supports fencing";
  std::string expected = std::string(connector().Name()) + " does not support fenced writes";
  Result<FencedResult> set = SetBulkFenced({{"f/a", RecordValue{1, "{}"}, 1}});
  EXPECT_EQ(set.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(set.status().message(), expected);
  Result<FencedResult> del = DeleteBulkFenced({{"f/a", 1}});
  EXPECT_EQ(del.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(del.status().message(), expected);
}

// The cases below skip for a connector without fencing (the case above judges it).
TEST_P(StorageConnectorSuite, FencedSetAppliesNewerAndFencesOlder) {
  if (!connector().SupportsFencing()) GTEST_SKIP() << "no fencing";
  const bool durable = traits().durable;
  RecordValue v1{1, R"({"v":1})"}, v2{2, R"({"v":2})"};
  Result<FencedResult> first = SetBulkFenced({{"fence/a", v1, 100}});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(*first, (FencedResult{true}));
  EXPECT_EQ(*SetBulkFenced({{"fence/a", v2, 99}}), Expect(durable, {false}));
  EXPECT_EQ(*SetBulkFenced({{"fence/a", v2, 100}}), Expect(durable, {false}));  // equal: fenced
  EXPECT_EQ(*Get("fence/a"), durable ? std::optional<RecordValue>(v1) : std::nullopt);
  EXPECT_EQ(*SetBulkFenced({{"fence/a", v2, 101}}), (FencedResult{true}));
  EXPECT_EQ(*Get("fence/a"), durable ? std::optional<RecordValue>(v2) : std::nullopt);
}

TEST_P(StorageConnectorSuite, FencedDeleteLeavesATombstoneThatFencesOlderSets) {
  if (!connector().SupportsFencing()) GTEST_SKIP() << "no fencing";
  const bool durable = traits().durable;
  RecordValue v{3, R"({"alive":true})"};
  ASSERT_TRUE(SetBulkFenced({{"tomb/a", v, 10}}).ok());
  Result<FencedResult> deleted = DeleteBulkFenced({{"tomb/a", 20}, {"tomb/never", 5}});
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ(*deleted, (FencedResult{true, true}));
  EXPECT_FALSE(Get("tomb/a")->has_value());
  EXPECT_FALSE(Get("tomb/never")->has_value());
  Result<GetBulkResult> bulk = GetBulk({"tomb/a", "tomb/never"});
  ASSERT_TRUE(bulk.ok()) << bulk.status().ToString();
  EXPECT_EQ(*bulk, (GetBulkResult{std::nullopt, std::nullopt}));
  // A late set older than the delete cannot resurrect the record; an older delete is fenced.
  EXPECT_EQ(*SetBulkFenced({{"tomb/a", v, 15}}), Expect(durable, {false}));
  EXPECT_EQ(*DeleteBulkFenced({{"tomb/a", 19}}), Expect(durable, {false}));
  EXPECT_FALSE(Get("tomb/a")->has_value());
  // A newer set re-creates it (versions restart after a delete).
  RecordValue again{0, R"({"again":1})"};
  EXPECT_EQ(*SetBulkFenced({{"tomb/a", again, 21}}), (FencedResult{true}));
  EXPECT_EQ(*Get("tomb/a"), durable ? std::optional<RecordValue>(again) : std::nullopt);
}

TEST_P(StorageConnectorSuite, FencedBatchReportsEachRow) {
  if (!connector().SupportsFencing()) GTEST_SKIP() << "no fencing";
  const bool durable = traits().durable;
  ASSERT_TRUE(SetBulkFenced({{"mix/old", {1, "{}"}, 50}, {"mix/new", {1, "{}"}, 50}}).ok());
  ASSERT_TRUE(DeleteBulkFenced({{"mix/gone", 50}}).ok());
  // Across tables too: "mixed" and "mix" are distinct tables for table-per-prefix layouts.
  Result<FencedResult> mixed = SetBulkFenced({{"mix/old", {2, R"({"x":2})"}, 40},
                                              {"mix/new", {2, R"({"x":2})"}, 60},
                                              {"mixed/fresh", {1, R"({"x":1})"}, 1},
                                              {"mix/gone", {1, R"({"x":1})"}, 49},
                                              {"plainname", {1, R"({"x":1})"}, 7}});
  ASSERT_TRUE(mixed.ok()) << mixed.status().ToString();
  EXPECT_EQ(*mixed, Expect(durable, {false, true, true, false, true}));
  Result<GetBulkResult> bulk = GetBulk({"mix/old", "mix/new", "mixed/fresh", "mix/gone"});
  ASSERT_TRUE(bulk.ok()) << bulk.status().ToString();
  if (durable) {
    EXPECT_EQ(*bulk, (GetBulkResult{RecordValue{1, "{}"}, RecordValue{2, R"({"x":2})"},
                                    RecordValue{1, R"({"x":1})"}, std::nullopt}));
  }
  Result<FencedResult> deletes = DeleteBulkFenced({{"mix/old", 49}, {"mix/new", 61}});
  ASSERT_TRUE(deletes.ok()) << deletes.status().ToString();
  EXPECT_EQ(*deletes, Expect(durable, {false, true}));
}

TEST_P(StorageConnectorSuite, UnfencedWritesClearTheFence) {
  if (!connector().SupportsFencing()) GTEST_SKIP() << "no fencing";
  const bool durable = traits().durable;
  ASSERT_TRUE(SetBulkFenced({{"clear/a", {1, "{}"}, 1000}}).ok());
  ASSERT_TRUE(Set("clear/a", RecordValue{2, R"({"plain":1})"}).ok());
  EXPECT_EQ(*Get("clear/a"),
            durable ? std::optional<RecordValue>(RecordValue{2, R"({"plain":1})"}) : std::nullopt);
  // The unfenced set left no fence: any fenced write applies.
  EXPECT_EQ(*SetBulkFenced({{"clear/a", {3, R"({"f":3})"}, 5}}), (FencedResult{true}));
  // An unfenced set over a tombstone re-creates the record, without a fence.
  ASSERT_TRUE(DeleteBulkFenced({{"clear/b", 1000}}).ok());
  ASSERT_TRUE(Set("clear/b", RecordValue{1, R"({"b":1})"}).ok());
  EXPECT_EQ(*Get("clear/b"),
            durable ? std::optional<RecordValue>(RecordValue{1, R"({"b":1})"}) : std::nullopt);
  EXPECT_EQ(*SetBulkFenced({{"clear/b", {2, R"({"b":2})"}, 6}}), (FencedResult{true}));
  // An unfenced delete removes a tombstone too.
  ASSERT_TRUE(DeleteBulkFenced({{"clear/c", 1000}}).ok());
  ASSERT_TRUE(Delete("clear/c").ok());
  EXPECT_EQ(*SetBulkFenced({{"clear/c", {1, "{}"}, 7}}), (FencedResult{true}));
}

TEST_P(StorageConnectorSuite, EmptyFencedBatchesComplete) {
  if (!connector().SupportsFencing()) GTEST_SKIP() << "no fencing";
  Result<FencedResult> set = SetBulkFenced({});
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_TRUE(set->empty());
  Result<FencedResult> del = DeleteBulkFenced({});
  ASSERT_TRUE(del.ok()) << del.status().ToString();
  EXPECT_TRUE(del->empty());
}

}  // namespace strata::testing
