#include "strata/status.h"

#include <gtest/gtest.h>

namespace strata {
namespace {

TEST(ResultTest, HoldsAValueOrAnError) {
  Result<int> value = 7;
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(*value, 7);
  EXPECT_TRUE(value.status().ok());
  Result<int> error = Status::NotFound("no such thing");
  EXPECT_FALSE(error.ok());
  EXPECT_EQ(error.status().code(), StatusCode::kNotFound);
}

TEST(ResultDeathTest, ConstructingFromAnOkStatusIsABug) {
  EXPECT_DEATH(
      {
        Result<int> r = Status();
        (void)r;
      },
      "STRATA_CHECK failed: .*OK Status");
}

TEST(CheckDeathTest, FailedCheckNamesTheConditionAndAborts) {
  int answer = 41;
  EXPECT_DEATH(STRATA_CHECK(answer == 42),
               "status_test.cc:[0-9]+: STRATA_CHECK failed: answer == 42");
  STRATA_CHECK(answer == 41);  // holds: no effect
}

TEST(CheckDeathTest, DcheckIsOnlyOnInDebugBuilds) {
#ifdef NDEBUG
  STRATA_DCHECK(false);  // compiled out
#else
  EXPECT_DEATH(STRATA_DCHECK(false), "STRATA_CHECK failed: false");
#endif
}

}  // namespace
}  // namespace strata
