#pragma once
// The connector suite: the contract tests every StorageConnector passes (deepstream's connector
// specs plus strata's own), and the cache-specific ones every CacheConnector passes.
//
// To judge a new connector, describe it with ConnectorTraits and instantiate in its test file:
//
//   ConnectorTraits RedisTraits() {
//     return {.name = "Redis",
//             .make = [](const std::string&) { return AsStorage(NewRedisCache(R"({...})")); },
//             .durable = true, .is_cache = true};
//   }
//   STRATA_INSTANTIATE_CONNECTOR_SUITE(Redis, RedisTraits());
//   STRATA_INSTANTIATE_CACHE_CONNECTOR_SUITE(Redis, RedisTraits());  // caches only
//
// The suite waits for completions (which may run on any thread, or synchronously) with a
// generous hang guard, never asserting on time, and checks that every completion runs exactly
// once: a second call of any completion fails the test at TearDown.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "strata/cache_connector.h"
#include "strata/storage_connector.h"

namespace strata::testing {

struct ConnectorTraits {
  std::string name;  // suffix of the test names, e.g. "Sqlite"
  // Builds a fresh, unstarted connector. `scratch_dir` is an empty directory private to the
  // test, for connectors that keep files; the suite deletes it afterwards.
  std::function<Result<std::unique_ptr<StorageConnector>>(const std::string& scratch_dir)> make;
  // Set then Get must round-trip (false for the "none" storage, which stores nothing).
  bool durable = true;
  // The connector is a CacheConnector (required by CacheConnectorSuite).
  bool is_cache = false;
};

// Converts a factory's answer for a connector subtype (e.g. a cache) for ConnectorTraits::make.
template <typename T>
Result<std::unique_ptr<StorageConnector>> AsStorage(Result<std::unique_ptr<T>> made) {
  if (!made.ok()) return made.status();
  return std::unique_ptr<StorageConnector>(std::move(made).value());
}

// How long the suite waits for a completion before it calls the connector hung.
inline constexpr std::chrono::seconds kHangGuard{30};

// Waits for `n` completions from any threads. Thread-safe.
class Countdown {
 public:
  explicit Countdown(size_t n) : remaining_(n) {}
  void Done();
  // False if the hang guard expired first.
  bool Wait();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  size_t remaining_;  // guarded by mu_
};

// Runs `op`, handing it a completion, and waits for the completion's argument; nullopt if the
// hang guard expired. Calls after the first are counted in `extra_calls` (may be null).
template <typename Arg>
std::optional<Arg> AwaitCall(const std::function<void(std::function<void(Arg)>)>& op,
                             std::shared_ptr<std::atomic<int>> extra_calls = nullptr) {
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    std::optional<Arg> arg;
  };
  auto state = std::make_shared<State>();
  op([state, extra_calls](Arg arg) {
    std::lock_guard lock(state->mu);
    if (state->arg.has_value()) {
      if (extra_calls) ++*extra_calls;
      return;
    }
    state->arg.emplace(std::move(arg));
    state->cv.notify_all();
  });
  std::unique_lock lock(state->mu);
  if (!state->cv.wait_for(lock, kHangGuard, [&] { return state->arg.has_value(); })) {
    return std::nullopt;
  }
  return std::move(*state->arg);
}

// AwaitCall for a Callback<T>; a hang fails the test and answers kDeadlineExceeded.
template <typename T>
Result<T> Await(const std::function<void(Callback<T>)>& op,
                std::shared_ptr<std::atomic<int>> extra_calls = nullptr) {
  std::optional<Result<T>> result = AwaitCall<Result<T>>(op, std::move(extra_calls));
  if (!result.has_value()) {
    ADD_FAILURE() << "connector hung: no completion within the hang guard";
    return Status::DeadlineExceeded("connector hung");
  }
  return std::move(*result);
}

// AwaitCall for a DoneCallback; a hang fails the test and answers kDeadlineExceeded.
Status AwaitDone(const std::function<void(DoneCallback)>& op,
                 std::shared_ptr<std::atomic<int>> extra_calls = nullptr);

class StorageConnectorSuite : public ::testing::TestWithParam<ConnectorTraits> {
 protected:
  void SetUp() override;
  void TearDown() override;

  const ConnectorTraits& traits() const { return GetParam(); }
  StorageConnector& connector() { return *connector_; }

  // Each runs one operation on the connector and waits for its completion.
  Status Start();
  Status Close();
  Result<std::optional<RecordValue>> Get(const std::string& name);
  Status Set(const std::string& name, const RecordValue& value);
  Status Delete(const std::string& name);
  Status SetBulk(const std::vector<NamedValue>& batch);
  Status DeleteBulk(const std::vector<std::string>& names);
  Result<GetBulkResult> GetBulk(const std::vector<std::string>& names);
  Result<FencedResult> SetBulkFenced(const std::vector<FencedValue>& batch);
  Result<FencedResult> DeleteBulkFenced(const std::vector<FencedName>& names);

  std::string scratch_dir_;
  std::unique_ptr<StorageConnector> connector_;
  bool closed_ = false;
  // Completions called more than once; shared with the completions, which may outlive the test
  // if a connector misbehaves. Checked at TearDown.
  std::shared_ptr<std::atomic<int>> extra_completions_ = std::make_shared<std::atomic<int>>(0);
};

// The cache-only cases; the connector must be a CacheConnector.
class CacheConnectorSuite : public StorageConnectorSuite {
 protected:
  void SetUp() override;
  CacheConnector& cache() { return *cache_; }
  Result<std::optional<Version>> Head(const std::string& name);
  Result<HeadBulkResult> HeadBulk(const std::vector<std::string>& names);

  CacheConnector* cache_ = nullptr;
};

// gtest's test-name generator: the traits' name.
std::string TraitsName(const ::testing::TestParamInfo<ConnectorTraits>& info);

// Blocking forms of the connector operations, for connector-specific tests (hang-protected).
Status StartNow(StorageConnector& storage);
Status CloseNow(StorageConnector& storage);
Status SetNow(StorageConnector& storage, const std::string& name, const RecordValue& value);
Status SetBulkNow(StorageConnector& storage, const std::vector<NamedValue>& batch);
Status DeleteNow(StorageConnector& storage, const std::string& name);
Result<std::optional<RecordValue>> GetNow(StorageConnector& storage, const std::string& name);
Result<GetBulkResult> GetBulkNow(StorageConnector& storage, const std::vector<std::string>& names);
Result<FencedResult> SetBulkFencedNow(StorageConnector& storage,
                                      const std::vector<FencedValue>& batch);
Result<FencedResult> DeleteBulkFencedNow(StorageConnector& storage,
                                         const std::vector<FencedName>& names);
// `count` records named <prefix><i> at version i with data {"i":i}.
std::vector<NamedValue> MakeBatch(size_t count, std::string_view prefix);

}  // namespace strata::testing

// Use at namespace scope. (gtest pastes the suite name into identifiers, hence the using.)
#define STRATA_INSTANTIATE_CONNECTOR_SUITE(prefix, traits)                           \
  using ::strata::testing::StorageConnectorSuite;                                    \
  INSTANTIATE_TEST_SUITE_P(prefix, StorageConnectorSuite, ::testing::Values(traits), \
                           ::strata::testing::TraitsName)

#define STRATA_INSTANTIATE_CACHE_CONNECTOR_SUITE(prefix, traits)                   \
  using ::strata::testing::CacheConnectorSuite;                                    \
  INSTANTIATE_TEST_SUITE_P(prefix, CacheConnectorSuite, ::testing::Values(traits), \
                           ::strata::testing::TraitsName)
