#include "pacer.h"

#include <gtest/gtest.h>

namespace strata::loadgen {
namespace {

constexpr int64_t kT0 = 1'000'000'000'000;

TEST(LoadgenPacer, InterleavesTheSendersEvenly) {
  Pacer p(1000, 4);  // 1 ms apart over all senders: sender w's i-th op at (4i + w) ms
  p.Start(kT0);
  EXPECT_EQ(p.DueAt(0, 0), kT0);
  EXPECT_EQ(p.DueAt(1, 0), kT0 + 1'000'000);
  EXPECT_EQ(p.DueAt(3, 2), kT0 + 11'000'000);
}

TEST(LoadgenPacer, DueByCountsExactlyTheOperationsDueSoFar) {
  Pacer p(1000, 4);
  p.Start(kT0);
  EXPECT_EQ(p.DueBy(0, kT0 - 1), 0);
  EXPECT_EQ(p.DueBy(0, kT0), 1);
  EXPECT_EQ(p.DueBy(1, kT0), 0);
  EXPECT_EQ(p.DueBy(1, kT0 + 999'999), 0);
  EXPECT_EQ(p.DueBy(1, kT0 + 1'000'000), 1);
  EXPECT_EQ(p.DueBy(2, kT0 + 10'000'000), 3);  // ops at 2, 6, 10 ms
}

TEST(LoadgenPacer, DueByAndDueAtAgreeAtAwkwardRates) {
  for (double rate : {3.0, 777.7, 25'000.0, 1e6 / 3}) {
    for (int senders : {1, 3, 10}) {
      Pacer p(rate, senders);
      p.Start(kT0);
      for (int w = 0; w < senders; ++w) {
        for (int64_t i = 0; i < 200; ++i) {
          int64_t at = p.DueAt(w, i);
          ASSERT_EQ(p.DueBy(w, at), i + 1) << rate << " " << senders << " " << w << " " << i;
          ASSERT_EQ(p.DueBy(w, at - 1), i) << rate << " " << senders << " " << w << " " << i;
        }
      }
    }
  }
}

TEST(LoadgenPacer, TheTotalRateIsTheTarget) {
  Pacer p(20'000, 7);
  p.Start(kT0);
  int64_t due = 0;
  for (int w = 0; w < 7; ++w) due += p.DueBy(w, kT0 + 1'000'000'000 - 1);
  EXPECT_EQ(due, 20'000);
}

}  // namespace
}  // namespace strata::loadgen
