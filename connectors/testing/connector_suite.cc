#include "connectors/testing/connector_suite.h"

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <thread>

namespace strata::testing {

using Records = std::vector<NamedValue>;

void Countdown::Done() {
  std::lock_guard lock(mu_);
  if (remaining_ > 0 && --remaining_ == 0) cv_.notify_all();
}

bool Countdown::Wait() {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, kHangGuard, [this] { return remaining_ == 0; });
}

Status AwaitDone(const std::function<void(DoneCallback)>& op,
                 std::shared_ptr<std::atomic<int>> extra_calls) {
  std::optional<Status> status = AwaitCall<Status>(op, std::move(extra_calls));
  if (!status.has_value()) {
    ADD_FAILURE() << "connector hung: no completion within the hang guard";
    return Status::DeadlineExceeded("connector hung");
  }
  return *status;
}

std::string TraitsName(const ::testing::TestParamInfo<ConnectorTraits>& info) {
  return info.param.name;
}

void StorageConnectorSuite::SetUp() {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "strata-connector-XXXXXX").string();
  ASSERT_NE(mkdtemp(pattern.data()), nullptr);
  scratch_dir_ = pattern;
  Result<std::unique_ptr<StorageConnector>> made = traits().make(scratch_dir_);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  connector_ = std::move(made).value();
  Status started = Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
}

void StorageConnectorSuite::TearDown() {
  if (connector_ != nullptr && !closed_) {
    EXPECT_TRUE(Close().ok());
  }
  connector_.reset();
  EXPECT_EQ(extra_completions_->load(), 0) << "a completion ran more than once";
  std::error_code ignored;
  if (!scratch_dir_.empty()) std::filesystem::remove_all(scratch_dir_, ignored);
}

Status StorageConnectorSuite::Start() {
  return AwaitDone([&](DoneCallback cb) { connector_->Start(std::move(cb)); }, extra_completions_);
}

Status StorageConnectorSuite::Close() {
  closed_ = true;
  return AwaitDone([&](DoneCallback cb) { connector_->Close(std::move(cb)); }, extra_completions_);
}

Result<std::optional<RecordValue>> StorageConnectorSuite::Get(const std::string& name) {
  return Await<std::optional<RecordValue>>(
      [&](Callback<std::optional<RecordValue>> cb) { connector_->Get(name, std::move(cb)); },
      extra_completions_);
}

Status StorageConnectorSuite::Set(const std::string& name, const RecordValue& value) {
  return AwaitDone([&](DoneCallback cb) { connector_->Set(name, value, std::move(cb)); },
                   extra_completions_);
}

Status StorageConnectorSuite::Delete(const std::string& name) {
  return AwaitDone([&](DoneCallback cb) { connector_->Delete(name, std::move(cb)); },
                   extra_completions_);
}

Status StorageConnectorSuite::SetBulk(const std::vector<NamedValue>& batch) {
  return AwaitDone([&](DoneCallback cb) { connector_->SetBulk(batch, std::move(cb)); },
                   extra_completions_);
}

Status StorageConnectorSuite::DeleteBulk(const std::vector<std::string>& names) {
  return AwaitDone([&](DoneCallback cb) { connector_->DeleteBulk(names, std::move(cb)); },
                   extra_completions_);
}

Result<GetBulkResult> StorageConnectorSuite::GetBulk(const std::vector<std::string>& names) {
  return Await<GetBulkResult>(
      [&](Callback<GetBulkResult> cb) { connector_->GetBulk(names, std::move(cb)); },
      extra_completions_);
}

Result<FencedResult> StorageConnectorSuite::SetBulkFenced(const std::vector<FencedValue>& batch) {
  return Await<FencedResult>(
      [&](Callback<FencedResult> cb) { connector_->SetBulkFenced(batch, std::move(cb)); },
      extra_completions_);
}

Result<FencedResult> StorageConnectorSuite::DeleteBulkFenced(const std::vector<FencedName>& names) {
  return Await<FencedResult>(
      [&](Callback<FencedResult> cb) { connector_->DeleteBulkFenced(names, std::move(cb)); },
      extra_completions_);
}

void CacheConnectorSuite::SetUp() {
  ASSERT_TRUE(traits().is_cache) << traits().name << " is not marked as a cache";
  StorageConnectorSuite::SetUp();
  if (HasFatalFailure()) return;
  cache_ = dynamic_cast<CacheConnector*>(connector_.get());
  ASSERT_NE(cache_, nullptr) << traits().name << " is not a CacheConnector";
}

Result<std::optional<Version>> CacheConnectorSuite::Head(const std::string& name) {
  return Await<std::optional<Version>>(
      [&](Callback<std::optional<Version>> cb) { cache_->Head(name, std::move(cb)); },
      extra_completions_);
}

Result<HeadBulkResult> CacheConnectorSuite::HeadBulk(const std::vector<std::string>& names) {
  return Await<HeadBulkResult>(
      [&](Callback<HeadBulkResult> cb) { cache_->HeadBulk(names, std::move(cb)); },
      extra_completions_);
}

namespace {

// What a Get must answer after `value` was set: the value, or nothing for a storage that
// stores nothing.
std::optional<RecordValue> Expected(bool durable, const RecordValue& value) {
  return durable ? std::optional<RecordValue>(value) : std::nullopt;
}

Records MakeRecords(size_t count, const std::string& prefix) {
  Records records;
  for (size_t i = 0; i < count; ++i) {
    records.push_back({prefix + std::to_string(i),
                       RecordValue{static_cast<Version>(i + 1),
                                   R"({"index":)" + std::to_string(i) + R"(,"tag":"bulk"})"}});
  }
  return records;
}

std::vector<std::string> NamesOf(const Records& records) {
  std::vector<std::string> names;
  for (const NamedValue& nv : records) names.push_back(nv.name);
  return names;
}

// A JSON document of about `size` bytes.
std::string LargeDocument(size_t size) {
  std::string json = R"({"items":[)";
  for (size_t i = 0; json.size() < size; ++i) {
    if (i > 0) json += ',';
    json += R"({"id":)" + std::to_string(i) + R"(,"text":"lorem ipsum dolor sit amet"})";
  }
  return json + "]}";
}

}  // namespace

TEST_P(StorageConnectorSuite, StartsAndHasAName) { EXPECT_FALSE(connector().Name().empty()); }

TEST_P(StorageConnectorSuite, GetUnknownIsNullopt) {
  Result<std::optional<RecordValue>> got = Get("no-such-record");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_FALSE(got->has_value());
}

TEST_P(StorageConnectorSuite, SetThenGetRoundTrips) {
  RecordValue value{2, R"({"firstname":"Wolfram"})"};
  ASSERT_TRUE(Set("someValue", value).ok());
  Result<std::optional<RecordValue>> got = Get("someValue");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, Expected(traits().durable, value));
}

TEST_P(StorageConnectorSuite, UnicodeRoundTripsByteIdentical) {
  // Raw UTF-8 (2, 3 and 4 byte sequences), JSON escapes and odd spacing must survive as is.
  RecordValue value{7,
                    "{ \"name\": \"J\xC3\xBCrgen \xE2\x82\xAC \xF0\x9D\x84\x9E \xE6\xBC\xA2\","
                    " \"escaped\":\"\\u00e9\\n\\\"q\\\"\",\"list\" :[1, 2.50,null]}"};
  ASSERT_TRUE(Set("user/j\xC3\xBCrgen", value).ok());
  Result<std::optional<RecordValue>> got = Get("user/j\xC3\xBCrgen");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, Expected(traits().durable, value));
}

TEST_P(StorageConnectorSuite, OddNamesAreDistinctRecords) {
  // Names clients really use: separators, spaces, quotes, SQL and key-syntax characters, a long
  // one. Each must be its own record (no two collapse into one key), and round-trip.
  const std::vector<std::string> names = {"a/b/c",
                                          "a b",
                                          "quote\"d",
                                          "it's",
                                          "semi;colon",
                                          "percent%s",
                                          "back\\slash",
                                          "dot.and:colon",
                                          "tab\tname",
                                          "#hash",
                                          "a_v",
                                          "a_d",
                                          "emoji \xF0\x9F\x98\x80",
                                          std::string(600, 'n'),
                                          "/leading",
                                          "trailing/"};
  for (size_t i = 0; i < names.size(); ++i) {
    ASSERT_TRUE(Set(names[i], RecordValue{static_cast<Version>(i + 1), "{}"}).ok()) << names[i];
  }
  for (size_t i = 0; i < names.size(); ++i) {
    Result<std::optional<RecordValue>> got = Get(names[i]);
    ASSERT_TRUE(got.ok()) << names[i] << ": " << got.status().ToString();
    EXPECT_EQ(*got, Expected(traits().durable, RecordValue{static_cast<Version>(i + 1), "{}"}))
        << names[i];
  }
}

TEST_P(StorageConnectorSuite, LargeDocumentRoundTrips) {
  RecordValue value{1, LargeDocument(100 * 1024)};
  ASSERT_TRUE(Set("large", value).ok());
  Result<std::optional<RecordValue>> got = Get("large");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, Expected(traits().durable, value));
}

TEST_P(StorageConnectorSuite, ListRoundTrips) {
  RecordValue value{3, R"(["a","b","c"])"};
  ASSERT_TRUE(Set("list/abc", value).ok());
  Result<std::optional<RecordValue>> got = Get("list/abc");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, Expected(traits().durable, value));
}

TEST_P(StorageConnectorSuite, OverwriteReplaces) {
  ASSERT_TRUE(Set("rec", RecordValue{1, R"({"a":1,"b":2})"}).ok());
  RecordValue newer{2, R"({"c":3})"};
  ASSERT_TRUE(Set("rec", newer).ok());
  Result<std::optional<RecordValue>> got = Get("rec");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, Expected(traits().durable, newer));
}

TEST_P(StorageConnectorSuite, DeleteThenGetIsNullopt) {
  ASSERT_TRUE(Set("doomed", RecordValue{1, "{}"}).ok());
  ASSERT_TRUE(Delete("doomed").ok());
  Result<std::optional<RecordValue>> got = Get("doomed");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_FALSE(got->has_value());
}

TEST_P(StorageConnectorSuite, DeleteMissingIsOk) { EXPECT_TRUE(Delete("never-written").ok()); }

TEST_P(StorageConnectorSuite, SetBulkThenGetEachThenDeleteBulk) {
  Records records = MakeRecords(1000, "bulk/");
  ASSERT_TRUE(SetBulk(records).ok());
  for (const NamedValue& nv : records) {
    Result<std::optional<RecordValue>> got = Get(nv.name);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    ASSERT_EQ(*got, Expected(traits().durable, nv.value)) << nv.name;
  }
  ASSERT_TRUE(DeleteBulk(NamesOf(records)).ok());
  for (const NamedValue& nv : records) {
    Result<std::optional<RecordValue>> got = Get(nv.name);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    ASSERT_FALSE(got->has_value()) << nv.name;
  }
}

TEST_P(StorageConnectorSuite, GetBulkAnswersInOrderWithMissingOnes) {
  Records records = MakeRecords(600, "getbulk/");
  records.push_back({"getbulk/odd name ü/\\'\"%_", RecordValue{7, R"({"odd":"ü"})"}});
  ASSERT_TRUE(SetBulk(records).ok());
  // Present and absent names interleaved, in an order unlike the write order.
  std::vector<std::string> names;
  std::vector<std::optional<RecordValue>> expected;
  for (size_t i = records.size(); i-- > 0;) {
    names.push_back(records[i].name);
    expected.push_back(Expected(traits().durable, records[i].value));
    if (i % 3 == 0) {
      names.push_back("getbulk/missing-" + std::to_string(i));
      expected.push_back(std::nullopt);
    }
  }
  Result<GetBulkResult> got = GetBulk(names);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), names.size());
  for (size_t i = 0; i < names.size(); ++i) EXPECT_EQ((*got)[i], expected[i]) << names[i];
}

TEST_P(StorageConnectorSuite, GetBulkOfOneAndOfNothing) {
  ASSERT_TRUE(Set("getbulk/one", RecordValue{3, "[1,2]"}).ok());
  Result<GetBulkResult> one = GetBulk({"getbulk/one"});
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0], Expected(traits().durable, RecordValue{3, "[1,2]"}));
  Result<GetBulkResult> none = GetBulk({});
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->empty());
}

TEST_P(StorageConnectorSuite, BulkWithRepeatedNameKeepsTheLast) {
  Records batch = {{"dup", RecordValue{1, R"({"v":1})"}},
                   {"other", RecordValue{1, "{}"}},
                   {"dup", RecordValue{2, R"({"v":2})"}}};
  ASSERT_TRUE(SetBulk(batch).ok());
  Result<std::optional<RecordValue>> got = Get("dup");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, Expected(traits().durable, batch[2].value));
}

TEST_P(StorageConnectorSuite, EmptyBulksComplete) {
  EXPECT_TRUE(SetBulk({}).ok());
  EXPECT_TRUE(DeleteBulk({}).ok());
}

TEST_P(StorageConnectorSuite, ConcurrentGetsFromFourThreadsAreEachAnsweredOnce) {
  constexpr size_t kThreads = 4;
  constexpr size_t kGetsPerThread = 500;
  Records records = MakeRecords(50, "concurrent/");
  ASSERT_TRUE(SetBulk(records).ok());
  std::vector<std::atomic<int>> answers(kThreads * kGetsPerThread);
  std::atomic<int> wrong{0};
  Countdown all(answers.size());
  std::vector<std::thread> threads;
  for (size_t t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = 0; i < kGetsPerThread; ++i) {
        const NamedValue& nv = records[(t + i) % records.size()];
        std::atomic<int>& answer = answers[t * kGetsPerThread + i];
        connector().Get(nv.name, [&, nv](Result<std::optional<RecordValue>> got) {
          if (!got.ok() || *got != Expected(traits().durable, nv.value)) ++wrong;
          if (++answer == 1) all.Done();
        });
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  ASSERT_TRUE(all.Wait()) << "connector hung";
  ASSERT_TRUE(Close().ok());  // flushes anything a connector might still call
  EXPECT_EQ(wrong.load(), 0);
  for (const std::atomic<int>& answer : answers) ASSERT_EQ(answer.load(), 1);
}

TEST_P(StorageConnectorSuite, EveryOperationCompletesExactlyOnce) {
  // Pipelined: nothing waits for anything until every operation has been issued.
  constexpr size_t kRecords = 200;
  Records records = MakeRecords(kRecords, "once/");
  std::vector<std::string> names = NamesOf(records);
  std::vector<std::atomic<int>> calls(kRecords * 3 + 2);
  Countdown all(calls.size());
  auto count = [&](size_t i) {
    return [&, i](auto&&) {
      if (++calls[i] == 1) all.Done();
    };
  };
  for (size_t i = 0; i < kRecords; ++i) {
    connector().Set(records[i].name, records[i].value, count(i));
    connector().Get(records[i].name, count(kRecords + i));
    connector().Delete(records[i].name, count(2 * kRecords + i));
  }
  connector().SetBulk(records, count(3 * kRecords));
  connector().DeleteBulk(names, count(3 * kRecords + 1));
  ASSERT_TRUE(all.Wait()) << "connector hung";
  ASSERT_TRUE(Close().ok());  // a late second completion would have to come before this returns
  for (size_t i = 0; i < calls.size(); ++i) ASSERT_EQ(calls[i].load(), 1) << "operation " << i;
}

TEST_P(StorageConnectorSuite, ThirtyThousandSetGetRoundTrips) {
  // deepstream's connector specs do 30,000 round trips; windows keep it quick on any backend.
  constexpr size_t kTotal = 30000;
  constexpr size_t kWindow = 1000;
  std::atomic<int> failures{0};
  for (size_t base = 0; base < kTotal; base += kWindow) {
    Records window = MakeRecords(kWindow, "rt/" + std::to_string(base) + "/");
    Countdown sets(kWindow);
    for (const NamedValue& nv : window) {
      connector().Set(nv.name, nv.value, [&](Status s) {
        if (!s.ok()) ++failures;
        sets.Done();
      });
    }
    ASSERT_TRUE(sets.Wait()) << "connector hung";
    Countdown gets(kWindow);
    for (const NamedValue& nv : window) {
      connector().Get(nv.name, [&, nv](Result<std::optional<RecordValue>> got) {
        if (!got.ok() || *got != Expected(traits().durable, nv.value)) ++failures;
        gets.Done();
      });
    }
    ASSERT_TRUE(gets.Wait()) << "connector hung";
    ASSERT_EQ(failures.load(), 0) << "in window starting at " << base;
  }
}

TEST_P(StorageConnectorSuite, CloseIsIdempotentAndLaterCallsStillComplete) {
  ASSERT_TRUE(Set("before-close", RecordValue{1, "{}"}).ok());
  EXPECT_TRUE(Close().ok());
  EXPECT_TRUE(Close().ok());
  // After Close an operation may fail (kFailedPrecondition) but must still complete once.
  Result<std::optional<RecordValue>> got = Get("before-close");
  (void)got;
  Status set = Set("after-close", RecordValue{1, "{}"});
  set.IgnoreError();
}

TEST_P(CacheConnectorSuite, HeadOfPresentAndMissing) {
  ASSERT_TRUE(Set("present", RecordValue{5, R"({"x":1})"}).ok());
  Result<std::optional<Version>> present = Head("present");
  ASSERT_TRUE(present.ok()) << present.status().ToString();
  EXPECT_EQ(*present, std::optional<Version>(5));
  Result<std::optional<Version>> missing = Head("missing");
  ASSERT_TRUE(missing.ok()) << missing.status().ToString();
  EXPECT_FALSE(missing->has_value());
}

TEST_P(CacheConnectorSuite, HeadAfterDeleteIsMissing) {
  ASSERT_TRUE(Set("gone", RecordValue{1, "{}"}).ok());
  ASSERT_TRUE(Delete("gone").ok());
  Result<std::optional<Version>> head = Head("gone");
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_FALSE(head->has_value());
}

TEST_P(CacheConnectorSuite, HeadBulkSplitsFoundAndMissing) {
  Records records = MakeRecords(20, "head/");
  ASSERT_TRUE(SetBulk(records).ok());
  std::vector<std::string> asked = {"head/3", "nope/1", "head/17", "nope/2", "head/0"};
  Result<HeadBulkResult> result = HeadBulk(asked);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  std::map<std::string, Version> expected = {{"head/3", 4}, {"head/17", 18}, {"head/0", 1}};
  EXPECT_EQ(result->versions, expected);
  std::vector<std::string> missing = result->missing;
  std::sort(missing.begin(), missing.end());
  EXPECT_EQ(missing, (std::vector<std::string>{"nope/1", "nope/2"}));
}

TEST_P(CacheConnectorSuite, HeadBulkOfNothing) {
  Result<HeadBulkResult> result = HeadBulk({});
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_TRUE(result->versions.empty());
  EXPECT_TRUE(result->missing.empty());
}

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(CacheConnectorSuite);

Status StartNow(StorageConnector& storage) {
  return AwaitDone([&](DoneCallback cb) { storage.Start(std::move(cb)); });
}
Status CloseNow(StorageConnector& storage) {
  return AwaitDone([&](DoneCallback cb) { storage.Close(std::move(cb)); });
}
Status SetNow(StorageConnector& storage, const std::string& name, const RecordValue& value) {
  return AwaitDone([&](DoneCallback cb) { storage.Set(name, value, std::move(cb)); });
}
Status SetBulkNow(StorageConnector& storage, const std::vector<NamedValue>& batch) {
  return AwaitDone([&](DoneCallback cb) { storage.SetBulk(batch, std::move(cb)); });
}
Status DeleteNow(StorageConnector& storage, const std::string& name) {
  return AwaitDone([&](DoneCallback cb) { storage.Delete(name, std::move(cb)); });
}
Result<std::optional<RecordValue>> GetNow(StorageConnector& storage, const std::string& name) {
  return Await<std::optional<RecordValue>>(
      [&](Callback<std::optional<RecordValue>> cb) { storage.Get(name, std::move(cb)); });
}
Result<GetBulkResult> GetBulkNow(StorageConnector& storage, const std::vector<std::string>& names) {
  return Await<GetBulkResult>(
      [&](Callback<GetBulkResult> cb) { storage.GetBulk(names, std::move(cb)); });
}

std::vector<NamedValue> MakeBatch(size_t count, std::string_view prefix) {
  std::vector<NamedValue> batch;
  for (size_t i = 0; i < count; ++i) {
    batch.push_back({std::string(prefix) + std::to_string(i),
                     {static_cast<Version>(i), R"({"i":)" + std::to_string(i) + "}"}});
  }
  return batch;
}

}  // namespace strata::testing
