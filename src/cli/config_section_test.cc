#include "cli/config_section.h"

#include <gtest/gtest.h>

namespace strata {
namespace {

TEST(ConfigSectionTest, FindsASectionUpToTheNextTopLevelLine) {
  std::string text =
      "logLevel: INFO\nstorage:\n  name: sqlite\n  options:\n    path: x\n\n"
      "# comment\ncache:\n  name: memory\n";
  std::optional<TextRange> range = FindTopLevelSection(text, "storage");
  ASSERT_TRUE(range.has_value());
  EXPECT_EQ(text.substr(range->begin, range->end - range->begin),
            "storage:\n  name: sqlite\n  options:\n    path: x\n");
  EXPECT_FALSE(FindTopLevelSection(text, "stor").has_value());
  EXPECT_FALSE(FindTopLevelSection(text, "name").has_value());  // indented: not top level
}

TEST(ConfigSectionTest, ReplacesOnlyThatSection) {
  std::string text = "storage: {name: none}\nrecord:\n  cacheRetrievalTimeout: 30\n";
  Result<std::string> out = SetTopLevelSection(text, "storage", "storage:\n  name: template\n");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, "storage:\n  name: template\nrecord:\n  cacheRetrievalTimeout: 30\n");
}

TEST(ConfigSectionTest, AppendsWhenAbsentOrEmpty) {
  EXPECT_EQ(*SetTopLevelSection("", "cache", "cache:\n  name: redis\n"), "cache:\n  name: redis\n");
  EXPECT_EQ(*SetTopLevelSection("logLevel: WARN", "cache", "cache:\n  name: redis\n"),
            "logLevel: WARN\n\ncache:\n  name: redis\n");
}

TEST(ConfigSectionTest, RefusesWhenThePluginsMappingHasTheRole) {
  Result<std::string> out = SetTopLevelSection("plugins:\n  storage:\n    name: sqlite\n",
                                               "storage", "storage:\n  name: template\n");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(out.status().message(),
            "it sets plugins.storage; remove that entry first (or edit it by hand)");
  EXPECT_TRUE(SetTopLevelSection("plugins:\n  cache:\n    name: memory\n", "storage",
                                 "storage:\n  name: none\n")
                  .ok());
}

TEST(ConfigSectionTest, ExampleSectionForTheRoleAsked) {
  std::string example = "cache:\n  name: redis\n  options:\n    host: localhost\n";
  EXPECT_EQ(SectionForRole(example, "cache", "redis"), example);
  EXPECT_EQ(SectionForRole(example, "storage", "redis"),
            "storage:\n  name: redis\n  options:\n    host: localhost\n");
  EXPECT_EQ(SectionForRole("", "storage", "mine"), "storage:\n  name: mine\n");
}

}  // namespace
}  // namespace strata
