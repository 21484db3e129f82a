#include "record/record_store.h"

#include <map>

#include <gtest/gtest.h>

#include "record/record_messages.h"
#include "testing/fake_connector.h"
#include "testing/manual_loop.h"

namespace strata {
namespace {

using namespace std::chrono_literals;
using testing::FakeConnector;
using testing::ManualLoop;

class RecordStoreTest : public ::testing::Test {
 protected:
  RecordStoreTest() { Make(); }
  void Make() { store_ = std::make_unique<RecordStore>(options_, cache_, storage_, loop_); }
  std::optional<ReadResult> Read(std::string_view name) {
    std::optional<ReadResult> out;
    store_->Get(name, [&](ReadResult r) { out = std::move(r); });
    loop_.RunUntilIdle();
    return out;
  }
  // Writes and returns (cached status, durable status) as far as they have arrived.
  std::pair<std::optional<Status>, std::optional<Status>> Write(std::string_view name, Version v,
                                                                std::string json) {
    auto cached = std::make_shared<std::optional<Status>>();
    auto durable = std::make_shared<std::optional<Status>>();
    store_->Set(
        name, RecordValue{v, std::move(json)}, [cached](Status s) { *cached = s; },
        [durable](Status s) { *durable = s; });
    loop_.RunUntilIdle();
    last_durable_ = durable;
    return {*cached, *durable};
  }

  RecordStoreOptions options_;
  ManualLoop loop_;
  FakeConnector cache_{"fake-cache"};
  FakeConnector storage_{"fake-storage"};
  std::unique_ptr<RecordStore> store_;
  std::shared_ptr<std::optional<Status>> last_durable_;
};

TEST_F(RecordStoreTest, MissInBothIsNulloptNotAnError) {
  auto r = Read("nope");
  ASSERT_TRUE(r && r->ok());
  EXPECT_FALSE(r->value().has_value());
  EXPECT_EQ(store_->stats().misses, 1u);
}

TEST_F(RecordStoreTest, StorageHitIsReturnedAndLoadedIntoTheCache) {
  storage_.data["a"] = {3, R"({"x":1})"};
  auto r = Read("a");
  ASSERT_TRUE(r && r->ok() && r->value());
  EXPECT_EQ(**r, (RecordValue{3, R"({"x":1})"}));
  ASSERT_TRUE(cache_.data.contains("a"));
  EXPECT_EQ(cache_.data["a"].version, 3);
  // Now served by the cache: storage is not asked again.
  int storage_gets = storage_.gets;
  Read("a");
  EXPECT_EQ(storage_.gets, storage_gets);
}

TEST_F(RecordStoreTest, CacheHitNeverConsultsStorage) {
  cache_.data["a"] = {1, "{}"};
  storage_.data["a"] = {7, "{}"};
  auto r = Read("a");
  EXPECT_EQ(r->value()->version, 1);
  EXPECT_EQ(storage_.gets, 0);
}

TEST_F(RecordStoreTest, ConcurrentReadsShareOneLookup) {
  storage_.data["a"] = {2, "[]"};
  storage_.hold = true;
  int answered = 0;
  for (int i = 0; i < 3; ++i) {
    store_->Get("a", [&](ReadResult r) {
      ASSERT_TRUE(r.ok());
      EXPECT_EQ(r->value().version, 2);
      ++answered;
    });
  }
  loop_.RunUntilIdle();
  EXPECT_EQ(storage_.gets, 1);
  EXPECT_EQ(answered, 0);
  storage_.Release();
  loop_.RunUntilIdle();
  EXPECT_EQ(answered, 3);
  EXPECT_EQ(store_->stats().reads_coalesced, 2u);
}

TEST_F(RecordStoreTest, ReadsOfOneTurnGoToEachBackendAsOneBatch) {
  for (int i = 0; i < 5; ++i) storage_.data["s" + std::to_string(i)] = {i + 1, "{}"};
  cache_.data["c"] = {9, "[]"};
  std::map<std::string, ReadResult> answers;
  // Cache hit, storage hits, a miss in both, and a second read of one name.
  for (std::string name : {"c", "s0", "s1", "s2", "s3", "s4", "none", "s1"}) {
    store_->Get(name, [&answers, name](ReadResult r) { answers.insert_or_assign(name, r); });
  }
  loop_.RunUntilIdle();
  EXPECT_EQ(cache_.get_bulk_sizes, (std::vector<size_t>{7}));    // distinct names
  EXPECT_EQ(storage_.get_bulk_sizes, (std::vector<size_t>{6}));  // all but the cache hit
  EXPECT_EQ(cache_.set_bulk_sizes, (std::vector<size_t>{5}));    // one fill for the hits
  ASSERT_EQ(answers.size(), 7u);
  EXPECT_EQ(answers.at("c")->value().version, 9);
  for (int i = 0; i < 5; ++i) {
    const std::string name = "s" + std::to_string(i);
    ASSERT_TRUE(answers.at(name).ok());
    EXPECT_EQ(answers.at(name)->value().version, i + 1);
    EXPECT_EQ(cache_.data.at(name).version, i + 1);
  }
  EXPECT_FALSE(answers.at("none")->has_value());
  RecordStoreStats stats = store_->stats();
  EXPECT_EQ(stats.cache_hits, 1u);
  EXPECT_EQ(stats.storage_hits, 5u);
  EXPECT_EQ(stats.misses, 1u);
  EXPECT_EQ(stats.storage_read_batches, 1u);
}

TEST_F(RecordStoreTest, ABurstOfReadsIsSplitIntoBoundedBatches) {
  const int kReads = 600;
  int answered = 0;
  for (int i = 0; i < kReads; ++i) {
    store_->Get("r" + std::to_string(i), [&](ReadResult r) {
      EXPECT_TRUE(r.ok());
      ++answered;
    });
  }
  loop_.RunUntilIdle();
  EXPECT_EQ(answered, kReads);
  EXPECT_EQ(storage_.get_bulk_sizes, (std::vector<size_t>{256, 256, 88}));
}

TEST_F(RecordStoreTest, ACacheErrorFailsEveryReadOfTheBatch) {
  cache_.fail_with = Status::Unavailable("down");
  cache_.fail_count = 1;  // the default GetBulk asks per name: only the first fails...
  std::vector<ReadResult> answers;
  for (std::string name : {"a", "b", "c"}) {
    store_->Get(name, [&answers](ReadResult r) { answers.push_back(r); });
  }
  loop_.RunUntilIdle();
  // ...but a batch fails as a whole, and every reader hears it.
  ASSERT_EQ(answers.size(), 3u);
  for (const ReadResult& r : answers) EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(storage_.get_bulk_sizes.empty());
}

TEST_F(RecordStoreTest, StorageTimeoutOfABatchNamesHowManyRecords) {
  storage_.hold = true;
  std::vector<ReadResult> answers;
  for (std::string name : {"a", "b"}) {
    store_->Get(name, [&answers](ReadResult r) { answers.push_back(r); });
  }
  loop_.Advance(options_.storage_timeout);
  ASSERT_EQ(answers.size(), 2u);
  for (const ReadResult& r : answers) {
    EXPECT_EQ(record_messages::ReadErrorAction(r.status()),
              record_action::kStorageRetrievalTimeout);
    EXPECT_EQ(r.status().message(), "storage read of 2 records ('a', ...) timed out");
  }
}

TEST_F(RecordStoreTest, CallbackNeverRunsBeforeTheCallReturns) {
  cache_.data["a"] = {1, "{}"};
  bool returned = false;
  bool ran_early = false;
  store_->Get("a", [&](ReadResult) { ran_early = !returned; });
  returned = true;
  loop_.RunUntilIdle();
  EXPECT_FALSE(ran_early);
}

TEST_F(RecordStoreTest, CacheTimeoutReportsCacheRetrievalTimeout) {
  cache_.hold = true;
  std::optional<ReadResult> out;
  int calls = 0;
  store_->Get("a", [&](ReadResult r) {
    ++calls;
    out = std::move(r);
  });
  loop_.Advance(options_.cache_timeout - 1ms);
  EXPECT_FALSE(out);
  loop_.Advance(1ms);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(record_messages::ReadErrorAction(out->status()), record_action::kCacheRetrievalTimeout);
  // The late answer is ignored: the callback ran exactly once.
  cache_.Release();
  loop_.RunUntilIdle();
  EXPECT_EQ(calls, 1);
}

TEST_F(RecordStoreTest, StorageTimeoutReportsStorageRetrievalTimeout) {
  storage_.hold = true;
  std::optional<ReadResult> out;
  store_->Get("a", [&](ReadResult r) { out = std::move(r); });
  loop_.Advance(options_.storage_timeout);
  ASSERT_TRUE(out);
  EXPECT_EQ(record_messages::ReadErrorAction(out->status()),
            record_action::kStorageRetrievalTimeout);
}

TEST_F(RecordStoreTest, ConnectorsThatAnswerAtOnceNeedNoDeadlineTimer) {
  storage_.data["a"] = {1, "{}"};
  Read("a");
  Write("b", 1, "{}");
  EXPECT_EQ(loop_.pending_timers(), 0u);
  cache_.hold = true;  // an answer that is still out is bounded by a timer
  store_->Get("c", [](ReadResult) {});
  loop_.RunUntilIdle();
  EXPECT_EQ(loop_.pending_timers(), 1u);
  cache_.Release();
  loop_.RunUntilIdle();
}

// The action follows the backend that failed, whatever its message says: a cache connector words
// its own timeouts its own way, and a storage's message may well start with "cache".
TEST_F(RecordStoreTest, ReadTimeoutsAreClassifiedByBackendNotByMessageWording) {
  cache_.fail_with = Status::DeadlineExceeded("memcached: timed out reading 'a'");
  cache_.fail_count = 1;
  auto from_cache = Read("a");
  ASSERT_TRUE(from_cache && !from_cache->ok());
  EXPECT_EQ(from_cache->status().backend(), ReadBackend::kCache);
  EXPECT_EQ(record_messages::ReadErrorAction(from_cache->status()),
            record_action::kCacheRetrievalTimeout);

  storage_.fail_with = Status::DeadlineExceeded("cache-backed storage: timed out reading 'b'");
  storage_.fail_count = 1;
  auto from_storage = Read("b");
  ASSERT_TRUE(from_storage && !from_storage->ok());
  EXPECT_EQ(from_storage->status().backend(), ReadBackend::kStorage);
  EXPECT_EQ(record_messages::ReadErrorAction(from_storage->status()),
            record_action::kStorageRetrievalTimeout);
}

TEST_F(RecordStoreTest, CacheErrorIsReportedAsLoadError) {
  cache_.fail_with = Status::Unavailable("down");
  cache_.fail_count = 1;
  auto r = Read("a");
  EXPECT_EQ(r->status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(record_messages::ReadErrorAction(r->status()), record_action::kRecordLoadError);
}

TEST_F(RecordStoreTest, WriteAwaitsCacheAndQueuesStorage) {
  storage_.hold = true;
  auto [cached, durable] = Write("a", 1, R"({"k":1})");
  ASSERT_TRUE(cached);
  EXPECT_TRUE(cached->ok());
  EXPECT_FALSE(durable);  // storage has not answered yet
  EXPECT_EQ(cache_.data["a"].json, R"({"k":1})");
  storage_.Release();
  loop_.RunUntilIdle();
  ASSERT_TRUE(*last_durable_);
  EXPECT_TRUE((*last_durable_)->ok());
  EXPECT_EQ(storage_.data["a"].version, 1);
}

TEST_F(RecordStoreTest, ReadsSeeWritesWaitingForStorageEvenWhenTheCacheForgets) {
  storage_.hold = true;
  Write("a", 4, R"({"v":4})");
  cache_.data.clear();  // evicted or expired
  auto r = Read("a");
  ASSERT_TRUE(r && r->ok() && r->value());
  EXPECT_EQ(r->value()->version, 4);
}

TEST_F(RecordStoreTest, CacheWriteFailureFailsBothCallbacksAndSkipsStorage) {
  cache_.fail_with = Status::Unavailable("cache down");
  cache_.fail_count = 1;
  auto [cached, durable] = Write("a", 1, "{}");
  EXPECT_EQ(cached->code(), StatusCode::kUnavailable);
  EXPECT_EQ(durable->code(), StatusCode::kUnavailable);
  loop_.RunUntilIdle();
  EXPECT_TRUE(storage_.log.empty());
}

TEST_F(RecordStoreTest, RetryableStorageFailuresAreRetriedWithBackoffAndNothingIsLost) {
  storage_.fail_with = Status::Unavailable("storage down");
  storage_.fail_count = 3;
  Write("a", 1, R"({"n":1})");
  EXPECT_FALSE(*last_durable_);
  loop_.Advance(60s);
  ASSERT_TRUE(*last_durable_);
  EXPECT_TRUE((*last_durable_)->ok());
  EXPECT_EQ(storage_.data["a"].json, R"({"n":1})");
  EXPECT_EQ(store_->stats().storage_writes.retries, 3u);
  EXPECT_EQ(store_->stats().storage_writes.waiting, 0u);
}

TEST_F(RecordStoreTest, FinalStorageFailureReachesTheWriter) {
  storage_.fail_with = Status::InvalidArgument("rejected");
  storage_.fail_count = 1;
  Write("a", 1, "{}");
  ASSERT_TRUE(*last_durable_);
  EXPECT_EQ((*last_durable_)->code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->stats().storage_writes.failed, 1u);
}

TEST_F(RecordStoreTest, DeleteAfterCreateNeverResurrects) {
  storage_.hold = true;
  Write("a", 0, "{}");
  std::optional<Status> deleted;
  store_->Delete("a", [&](Status s) { deleted = s; });
  loop_.RunUntilIdle();
  // Release completions one round at a time, as a slow backend would.
  for (int i = 0; i < 5; ++i) {
    storage_.Release();
    loop_.RunUntilIdle();
  }
  ASSERT_TRUE(deleted);
  EXPECT_TRUE(deleted->ok());
  EXPECT_FALSE(storage_.data.contains("a"));
  ASSERT_EQ(storage_.log.size(), 2u);
  EXPECT_EQ(storage_.log[0], "set a v0");
  EXPECT_EQ(storage_.log[1], "delete a");
  storage_.hold = false;
  auto r = Read("a");
  ASSERT_TRUE(r && r->ok());
  EXPECT_FALSE(r->value().has_value());
}

TEST_F(RecordStoreTest, WritesWaitingBehindOneInFlightAreCoalescedInOrder) {
  storage_.hold = true;
  Write("a", 1, "{}");
  auto d1 = last_durable_;
  Write("a", 2, "{}");
  auto d2 = last_durable_;
  Write("a", 3, "{}");
  auto d3 = last_durable_;
  for (int i = 0; i < 5; ++i) {
    storage_.Release();
    loop_.RunUntilIdle();
  }
  EXPECT_EQ(storage_.log, (std::vector<std::string>{"set a v1", "set a v3"}));
  for (auto& d : {d1, d2, d3}) {
    ASSERT_TRUE(*d);
    EXPECT_TRUE((*d)->ok());
  }
  EXPECT_EQ(store_->stats().storage_writes.coalesced, 1u);
}

TEST_F(RecordStoreTest, FullQueueRefusesNewRecordsAndWritesNothing) {
  options_.write_behind.limit = 2;
  Make();
  storage_.hold = true;
  Write("a", 1, "{}");
  Write("b", 1, "{}");
  auto [cached, durable] = Write("c", 1, "{}");
  EXPECT_EQ(cached->code(), StatusCode::kResourceExhausted);
  EXPECT_FALSE(cache_.data.contains("c"));
  // A record already waiting may still be updated.
  auto [cached_a, durable_a] = Write("a", 2, "{}");
  EXPECT_TRUE(cached_a->ok());
}

TEST_F(RecordStoreTest, ExcludedNamesNeverReachStorage) {
  options_.storage_exclusion_prefixes = {"tmp/"};
  Make();
  storage_.data["tmp/x"] = {9, "{}"};
  auto [cached, durable] = Write("tmp/a", 1, "{}");
  ASSERT_TRUE(durable);
  EXPECT_TRUE(durable->ok());
  EXPECT_TRUE(storage_.log.empty());
  EXPECT_FALSE(Read("tmp/x")->value().has_value());
  EXPECT_EQ(storage_.gets, 0);
}

TEST_F(RecordStoreTest, PromotionDoesNotOverwriteAConcurrentWrite) {
  storage_.data["a"] = {1, "old"};
  storage_.hold = true;
  std::optional<ReadResult> read;
  store_->Get("a", [&](ReadResult r) { read = std::move(r); });
  loop_.RunUntilIdle();
  storage_.hold = false;
  Write("a", 2, "new");  // lands in the cache while the storage read is outstanding
  storage_.Release();
  loop_.RunUntilIdle();
  EXPECT_EQ(cache_.data["a"].json, "new");
}

TEST_F(RecordStoreTest, DrainWaitsForStorageAndReportsWhatIsLeftOnTimeout) {
  storage_.hold = true;
  Write("a", 1, "{}");
  std::optional<Status> drained;
  store_->Drain(5s, [&](Status s) { drained = s; });
  loop_.RunUntilIdle();
  EXPECT_FALSE(drained);
  loop_.Advance(5s);
  ASSERT_TRUE(drained);
  EXPECT_EQ(drained->code(), StatusCode::kDeadlineExceeded);
  EXPECT_NE(drained->message().find("a"), std::string_view::npos);

  std::optional<Status> drained2;
  store_->Drain(5s, [&](Status s) { drained2 = s; });
  storage_.Release();
  loop_.RunUntilIdle();
  ASSERT_TRUE(drained2);
  EXPECT_TRUE(drained2->ok());
}

}  // namespace
}  // namespace strata
