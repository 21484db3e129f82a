#include "common/fan_in.h"

#include <algorithm>
#include <atomic>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace strata {
namespace {

TEST(FanInTest, DoneRunsOnceAfterTheLastPartWithOk) {
  int calls = 0;
  Status got = Status::Internal("not called");
  DoneCallback part = FanIn(3, [&](Status s) {
    ++calls;
    got = s;
  });
  part(Status());
  part(Status());
  EXPECT_EQ(calls, 0);
  part(Status());
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(got.ok());
}

TEST(FanInTest, TheFirstErrorReportedWins) {
  std::optional<Status> got;
  DoneCallback part = FanIn(3, [&](Status s) { got = s; });
  part(Status());
  part(Status::Unavailable("first"));
  part(Status::DataLoss("second"));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->code(), StatusCode::kUnavailable);
  EXPECT_EQ(got->message(), "first");
}

TEST(FanInTest, ZeroPartsIsDoneBeforeFanInReturns) {
  bool done = false;
  DoneCallback part = FanIn(0, [&](Status s) {
    EXPECT_TRUE(s.ok());
    done = true;
  });
  EXPECT_TRUE(done);
}

TEST(FanInTest, PartsOnManyThreadsCallDoneOnceOnTheLastReportersThread) {
  constexpr int kThreads = 8;
  constexpr int kPartsPerThread = 1000;
  std::atomic<int> calls{0};
  std::atomic<std::thread::id> done_on{};
  DoneCallback part = FanIn(kThreads * kPartsPerThread, [&](Status s) {
    EXPECT_EQ(s.code(), StatusCode::kAborted);
    done_on = std::this_thread::get_id();
    ++calls;
  });
  std::vector<std::thread> threads;
  std::vector<std::thread::id> ids(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      ids[t] = std::this_thread::get_id();
      for (int i = 0; i < kPartsPerThread; ++i) {
        part(t == 3 && i == 500 ? Status::Aborted("one failed") : Status());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(calls.load(), 1);
  EXPECT_NE(std::find(ids.begin(), ids.end(), done_on.load()), ids.end());
}

TEST(FanInDeathTest, AReportBeyondThePartsIsABug) {
  DoneCallback part = FanIn(1, [](Status) {});
  part(Status());
  EXPECT_DEATH(part(Status()), "STRATA_CHECK failed");
}

TEST(FanInValuesTest, ValuesArriveInPartOrderWhateverTheReportOrder) {
  std::optional<Result<std::vector<std::string>>> got;
  PartCallback<std::string> part =
      FanInValues<std::string>(3, [&](Result<std::vector<std::string>> r) { got = r; });
  part(2, std::string("c"));
  part(0, std::string("a"));
  EXPECT_FALSE(got);
  part(1, std::string("b"));
  ASSERT_TRUE(got && got->ok());
  EXPECT_EQ(**got, (std::vector<std::string>{"a", "b", "c"}));
}

TEST(FanInValuesTest, AnErrorFailsTheWholeAndTheFirstOneWins) {
  std::optional<Result<std::vector<int>>> got;
  PartCallback<int> part = FanInValues<int>(3, [&](Result<std::vector<int>> r) { got = r; });
  part(1, Status::NotFound("first"));
  part(0, 7);
  part(2, Status::Internal("second"));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status().code(), StatusCode::kNotFound);
}

TEST(FanInValuesTest, ZeroPartsGiveNoValuesAtOnce) {
  std::optional<Result<std::vector<int>>> got;
  PartCallback<int> part = FanInValues<int>(0, [&](Result<std::vector<int>> r) { got = r; });
  ASSERT_TRUE(got && got->ok());
  EXPECT_TRUE((*got)->empty());
}

TEST(FanInValuesDeathTest, AnIndexOutOfRangeIsABug) {
  PartCallback<int> part = FanInValues<int>(2, [](Result<std::vector<int>>) {});
  EXPECT_DEATH(part(2, 1), "STRATA_CHECK failed: index < parts");
}

}  // namespace
}  // namespace strata
