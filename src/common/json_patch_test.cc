#include "common/json_patch.h"

#include <gtest/gtest.h>

namespace strata {
namespace {

std::string Patch(std::string_view record, std::string_view path,
                  std::optional<std::string_view> value) {
  Result<std::string> r = ApplyPatch(record, path, value);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : "";
}

TEST(JsonPatchTest, SetsTopLevelAndNestedPaths) {
  EXPECT_EQ(Patch(R"({"a":1})", "a", "2"), R"({"a":2})");
  EXPECT_EQ(Patch(R"({"a":1})", "b", R"("x")"), R"({"a":1,"b":"x"})");
  EXPECT_EQ(Patch(R"({})", "a.b.c", "true"), R"({"a":{"b":{"c":true}}})");
}

TEST(JsonPatchTest, CreatesArraysForIndexSteps) {
  EXPECT_EQ(Patch(R"({})", "list[2]", "5"), R"({"list":[null,null,5]})");
  EXPECT_EQ(Patch(R"({"l":[1,2]})", "l[0]", R"({"k":1})"), R"({"l":[{"k":1},2]})");
  EXPECT_EQ(Patch(R"({})", "a[0].b", "1"), R"({"a":[{"b":1}]})");
}

TEST(JsonPatchTest, ReplacesScalarsOnTheWay) {
  EXPECT_EQ(Patch(R"({"a":5})", "a.b", "1"), R"({"a":{"b":1}})");
}

TEST(JsonPatchTest, EraseRemovesMembersAndNullsArrayElements) {
  EXPECT_EQ(Patch(R"({"a":1,"b":2})", "a", std::nullopt), R"({"b":2})");
  EXPECT_EQ(Patch(R"({"a":{"b":1,"c":2}})", "a.b", std::nullopt), R"({"a":{"c":2}})");
  EXPECT_EQ(Patch(R"({"l":[1,2,3]})", "l[1]", std::nullopt), R"({"l":[1,null,3]})");
  EXPECT_EQ(Patch(R"({"a":1})", "x.y", std::nullopt), R"({"a":1})");
}

TEST(JsonPatchTest, WorksOnArrayRecords) {
  EXPECT_EQ(Patch(R"(["a","b"])", "[1]", R"("c")"), R"(["a","c"])");
}

TEST(JsonPatchTest, RejectsBadPathsAndBadJson) {
  EXPECT_FALSE(ApplyPatch("{}", "", "1").ok());
  EXPECT_FALSE(ApplyPatch("{}", "a..b", "1").ok());
  EXPECT_FALSE(ApplyPatch("{}", "a[x]", "1").ok());
  EXPECT_FALSE(ApplyPatch("{}", "a[1", "1").ok());
  EXPECT_FALSE(ApplyPatch("{}", "a", "{not json").ok());
  EXPECT_FALSE(ApplyPatch("{}", "a", "1 2").ok());
  EXPECT_FALSE(ApplyPatch("nope", "a", "1").ok());
}

}  // namespace
}  // namespace strata
