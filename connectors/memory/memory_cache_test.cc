#include "connectors/memory/memory_cache.h"

#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "connectors/testing/connector_suite.h"

namespace strata {
namespace {

using testing::ConnectorTraits;

ConnectorTraits MemoryTraits() {
  return {.name = "Memory",
          .make = [](const std::string&) { return testing::AsStorage(NewMemoryCache("{}")); },
          .durable = true,
          .is_cache = true};
}

// A bounded cache, so the suite also runs the eviction bookkeeping; 4096 records per stripe is
// more than any suite case needs alive at once, so nothing a case reads back is evicted.
ConnectorTraits BoundedMemoryTraits() {
  return {.name = "BoundedMemory",
          .make =
              [](const std::string&) {
                return testing::AsStorage(
                    NewMemoryCache(R"({"maxRecords": 65536, "maxBytes": 268435456})"));
              },
          .durable = true,
          .is_cache = true};
}

STRATA_INSTANTIATE_CONNECTOR_SUITE(Memory, MemoryTraits());
STRATA_INSTANTIATE_CACHE_CONNECTOR_SUITE(Memory, MemoryTraits());
STRATA_INSTANTIATE_CONNECTOR_SUITE(BoundedMemory, BoundedMemoryTraits());

// The cache answers synchronously, so the helpers read the answer straight away.
std::optional<RecordValue> GetNow(MemoryCache& cache, std::string_view name) {
  std::optional<RecordValue> out;
  cache.Get(name, [&](Result<std::optional<RecordValue>> r) { out = std::move(r).value(); });
  return out;
}

void SetNow(MemoryCache& cache, std::string_view name, RecordValue value) {
  cache.Set(name, value, [](Status s) { EXPECT_TRUE(s.ok()); });
}

void DeleteNow(MemoryCache& cache, std::string_view name) {
  cache.Delete(name, [](Status s) { EXPECT_TRUE(s.ok()); });
}

bool Has(MemoryCache& cache, std::string_view name) {
  std::optional<Version> version;
  cache.Head(name, [&](Result<std::optional<Version>> r) { version = *r; });
  return version.has_value();
}

TEST(MemoryCacheOptionsTest, DefaultsAreUnboundedWithSixteenStripes) {
  for (std::string_view json : {"", "{}"}) {
    Result<MemoryCacheOptions> options = ParseMemoryCacheOptions(json);
    ASSERT_TRUE(options.ok()) << options.status().ToString();
    EXPECT_EQ(options->max_bytes, 0u);
    EXPECT_EQ(options->max_records, 0u);
    EXPECT_EQ(options->stripes, 16u);
  }
}

TEST(MemoryCacheOptionsTest, ReadsEveryOption) {
  Result<MemoryCacheOptions> options =
      ParseMemoryCacheOptions(R"({"maxBytes": 1048576, "maxRecords": 1000, "stripes": 4})");
  ASSERT_TRUE(options.ok()) << options.status().ToString();
  EXPECT_EQ(options->max_bytes, 1048576u);
  EXPECT_EQ(options->max_records, 1000u);
  EXPECT_EQ(options->stripes, 4u);
}

TEST(MemoryCacheOptionsTest, RejectsBadValuesNamingTheKey) {
  struct Case {
    const char* json;
    const char* message;
  };
  for (const Case& c : {
           Case{R"({"maxBytes": -1})", "cache.options.maxBytes: expected a non-negative integer"},
           Case{R"({"maxBytes": "1MB"})",
                "cache.options.maxBytes: expected a non-negative integer"},
           Case{R"({"maxRecords": 1.5})",
                "cache.options.maxRecords: expected a non-negative integer"},
           Case{R"({"stripes": 0})", "cache.options.stripes: expected a positive integer"},
           Case{R"({"maxbytes": 1})",
                "cache.options.maxbytes: unknown option; known: maxBytes, maxRecords, stripes"},
           Case{R"([1])", "cache.options: expected a JSON object"},
           Case{R"({"maxBytes": )", "cache.options: expected a JSON object"},
       }) {
    Result<std::unique_ptr<CacheConnector>> cache = NewMemoryCache(c.json);
    ASSERT_FALSE(cache.ok()) << c.json;
    EXPECT_EQ(cache.status().code(), StatusCode::kInvalidArgument) << c.json;
    EXPECT_EQ(cache.status().message(), c.message) << c.json;
  }
}

TEST(MemoryCacheTest, IsNamedMemory) {
  Result<std::unique_ptr<CacheConnector>> cache = NewMemoryCache("{}");
  ASSERT_TRUE(cache.ok());
  EXPECT_EQ((*cache)->Name(), "memory");
}

TEST(MemoryCacheTest, EvictsLeastRecentlyUsedByRecordCount) {
  MemoryCache cache({.max_records = 3, .stripes = 1});
  SetNow(cache, "a", {1, "{}"});
  SetNow(cache, "b", {1, "{}"});
  SetNow(cache, "c", {1, "{}"});
  ASSERT_TRUE(GetNow(cache, "a").has_value());  // a is now the most recently used; b the least
  SetNow(cache, "d", {1, "{}"});
  EXPECT_FALSE(Has(cache, "b"));
  EXPECT_TRUE(Has(cache, "a"));
  EXPECT_TRUE(Has(cache, "c"));
  EXPECT_TRUE(Has(cache, "d"));
  EXPECT_EQ(cache.entries(), 3u);
  EXPECT_EQ(cache.evictions(), 1u);
}

TEST(MemoryCacheTest, SetOfAnExistingRecordRefreshesIt) {
  MemoryCache cache({.max_records = 2, .stripes = 1});
  SetNow(cache, "a", {1, "{}"});
  SetNow(cache, "b", {1, "{}"});
  SetNow(cache, "a", {2, "{}"});  // touches a, so b is the least recently used
  SetNow(cache, "c", {1, "{}"});
  EXPECT_TRUE(Has(cache, "a"));
  EXPECT_FALSE(Has(cache, "b"));
}

TEST(MemoryCacheTest, EvictsLeastRecentlyUsedByBytes) {
  // Each entry: 1-byte name + 9-byte JSON = 10 bytes; room for three.
  MemoryCache cache({.max_bytes = 30, .stripes = 1});
  const std::string json = R"({"v":123})";
  SetNow(cache, "a", {1, json});
  SetNow(cache, "b", {1, json});
  SetNow(cache, "c", {1, json});
  EXPECT_EQ(cache.bytes(), 30u);
  ASSERT_TRUE(GetNow(cache, "a").has_value());
  SetNow(cache, "d", {1, json});
  EXPECT_FALSE(Has(cache, "b"));
  EXPECT_TRUE(Has(cache, "a"));
  EXPECT_EQ(cache.bytes(), 30u);
  // A bigger value makes room by evicting the coldest records (c, then d).
  SetNow(cache, "a", {2, R"({"v":"123456789012345"})"});  // 1 + 23 = 24 bytes
  EXPECT_TRUE(Has(cache, "a"));
  EXPECT_FALSE(Has(cache, "c"));
  EXPECT_FALSE(Has(cache, "d"));
  EXPECT_EQ(cache.bytes(), 24u);
  EXPECT_EQ(cache.evictions(), 3u);
}

TEST(MemoryCacheTest, RecordLargerThanTheBudgetIsNotKept) {
  MemoryCache cache({.max_bytes = 16, .stripes = 1});
  SetNow(cache, "small", {1, "{}"});
  SetNow(cache, "huge", {1, std::string(100, ' ') + "{}"});
  EXPECT_FALSE(Has(cache, "huge"));
  EXPECT_EQ(cache.bytes(), 0u);  // evicting from the cold end reached `small` first
  EXPECT_EQ(cache.entries(), 0u);
}

TEST(MemoryCacheTest, LimitsAreSharedOutAcrossStripes) {
  MemoryCache cache({.max_records = 32, .stripes = 16});
  for (int i = 0; i < 1000; ++i) SetNow(cache, "r" + std::to_string(i), {1, "{}"});
  EXPECT_LE(cache.entries(), 32u);
  EXPECT_GT(cache.entries(), 0u);
  EXPECT_EQ(cache.evictions(), 1000u - cache.entries());
}

TEST(MemoryCacheTest, BulkFormsRespectLimitsAndOrder) {
  MemoryCache cache({.max_records = 2, .stripes = 1});
  std::vector<NamedValue> batch = {
      {"a", {1, "{}"}}, {"b", {1, "{}"}}, {"c", {1, "{}"}}, {"b", {2, "{}"}}};
  cache.SetBulk(batch, [](Status s) { EXPECT_TRUE(s.ok()); });
  EXPECT_EQ(cache.entries(), 2u);
  EXPECT_FALSE(Has(cache, "a"));
  EXPECT_EQ(GetNow(cache, "b"), std::optional<RecordValue>(RecordValue{2, "{}"}));
  std::vector<std::string> names = {"b", "c", "zzz"};
  cache.DeleteBulk(names, [](Status s) { EXPECT_TRUE(s.ok()); });
  EXPECT_EQ(cache.entries(), 0u);
  EXPECT_EQ(cache.bytes(), 0u);
}

TEST(MemoryCacheTest, GetBulkTouchesHitsAndAnswersCopiesOutsideTheLock) {
  MemoryCache cache({.max_records = 3, .stripes = 1});
  SetNow(cache, "a", {1, R"({"a":1})"});
  SetNow(cache, "b", {2, "{}"});
  SetNow(cache, "c", {3, "{}"});
  std::vector<std::string> names = {"zzz", "a"};
  std::optional<GetBulkResult> got;
  cache.GetBulk(names, [&](Result<GetBulkResult> r) {
    // Runs after the stripe's lock is released: calling back in does not deadlock.
    EXPECT_TRUE(Has(cache, "c"));
    got = std::move(r).value();
  });
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, (GetBulkResult{std::nullopt, RecordValue{1, R"({"a":1})"}}));
  (*got)[1]->json.clear();  // the reader's copy is its own
  EXPECT_EQ(GetNow(cache, "a")->json, R"({"a":1})");
  // The batch made "a" recently used, and the Has above "c": "b" is now the coldest.
  SetNow(cache, "d", {4, "{}"});
  EXPECT_FALSE(Has(cache, "b"));
  EXPECT_TRUE(Has(cache, "a"));
}

TEST(MemoryCacheTest, KeepsItsOwnCopies) {
  MemoryCache cache({});
  RecordValue value{1, R"({"a":1})"};
  SetNow(cache, "rec", value);
  value.json[2] = 'X';  // the caller's buffer changes after the Set
  std::optional<RecordValue> got = GetNow(cache, "rec");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->json, R"({"a":1})");
  got->json.clear();  // and the reader's copy is its own
  EXPECT_EQ(GetNow(cache, "rec")->json, R"({"a":1})");
}

TEST(MemoryCacheTest, AccountingStaysExactUnderConcurrentUse) {
  MemoryCache cache({.max_bytes = 4096, .max_records = 64, .stripes = 4});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&cache, t] {
      for (int i = 0; i < 5000; ++i) {
        std::string name = "n" + std::to_string((i * 7 + t) % 200);
        if (i % 5 == 4) {
          DeleteNow(cache, name);
        } else if (i % 2 == 0) {
          SetNow(cache, name, {i, std::string(i % 50, 'x')});
        } else {
          GetNow(cache, name);
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_LE(cache.entries(), 64u);
  EXPECT_LE(cache.bytes(), 4096u);
  for (int i = 0; i < 200; ++i) DeleteNow(cache, "n" + std::to_string(i));
  EXPECT_EQ(cache.entries(), 0u);
  EXPECT_EQ(cache.bytes(), 0u);
}

TEST(MemoryCacheTest, CompletionMayCallBackIntoTheCache) {
  MemoryCache cache({.stripes = 1});
  bool done = false;
  cache.Set("a", {1, "{}"}, [&](Status) {
    cache.Get("a", [&](Result<std::optional<RecordValue>> r) { done = r.ok() && r->has_value(); });
  });
  EXPECT_TRUE(done);
}

}  // namespace
}  // namespace strata
