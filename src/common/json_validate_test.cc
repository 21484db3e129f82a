#include "common/json_validate.h"

#include <gtest/gtest.h>

namespace strata {
namespace {

TEST(JsonValidateTest, ValidatesRecordData) {
  EXPECT_TRUE(ValidateRecordData(R"({"a":[1,2]})").ok());
  EXPECT_TRUE(ValidateRecordData(" [1] ").ok());
  EXPECT_FALSE(ValidateRecordData(R"("str")").ok());
  EXPECT_FALSE(ValidateRecordData("42").ok());
  EXPECT_FALSE(ValidateRecordData("{").ok());
  EXPECT_FALSE(ValidateRecordData(R"({"a":1} x)").ok());
  EXPECT_FALSE(ValidateRecordData("").ok());
  EXPECT_TRUE(ValidateJson("null").ok());
  EXPECT_FALSE(ValidateJson("nul").ok());
}

}  // namespace
}  // namespace strata
