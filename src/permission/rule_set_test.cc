#include "permission/rule_set.h"

#include <string>

#include <gtest/gtest.h>

namespace strata::permission {
namespace {

Result<RuleSet> Load(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  EXPECT_FALSE(doc.HasParseError()) << json;
  return RuleSet::FromJson(doc);
}

std::string LoadError(const std::string& json) {
  Result<RuleSet> set = Load(json);
  return set.ok() ? "" : std::string(set.status().message());
}

TEST(PathPatternTest, WildcardsAndVariables) {
  auto p = PathPattern::Parse("profile/$userId/*");
  ASSERT_TRUE(p.ok());
  PathVariables vars;
  EXPECT_TRUE(p->Match("profile/alice/settings/theme", &vars));
  EXPECT_EQ(vars["$userId"], "alice");
  EXPECT_FALSE(p->Match("profile//x", nullptr));  // a variable is at least one character
  EXPECT_FALSE(p->Match("profile/alice", nullptr));
  EXPECT_FALSE(p->Match("xprofile/alice/", nullptr));  // whole names only
  EXPECT_TRUE(p->Match("profile/alice/", nullptr));    // `*` may be empty

  auto two = PathPattern::Parse("chat/$room/$msg");
  PathVariables v2;
  ASSERT_TRUE(two->Match("chat/general/42", &v2));
  EXPECT_EQ(v2["$room"], "general");
  EXPECT_EQ(v2["$msg"], "42");
  EXPECT_FALSE(two->Match("chat/general/42/extra", nullptr));

  auto dot = PathPattern::Parse("a.b");
  EXPECT_TRUE(dot->Match("a.b", nullptr));
  EXPECT_FALSE(dot->Match("axb", nullptr));  // literal, unlike deepstream's unescaped regex

  EXPECT_TRUE(PathPattern::Parse("*")->Match("", nullptr));
  EXPECT_TRUE(PathPattern::Parse("*")->Match("any/thing", nullptr));
}

TEST(PathPatternTest, VariablesTakeTheLongestRunLikeARegex) {
  auto p = PathPattern::Parse("$a-$b");
  PathVariables vars;
  ASSERT_TRUE(p->Match("x-y-z", &vars));
  EXPECT_EQ(vars["$a"], "x-y");  // ([^/]+)-([^/]+) on "x-y-z": greedy first group
  EXPECT_EQ(vars["$b"], "z");
}

TEST(PathPatternTest, ManyWildcardsStayFast) {
  auto p = PathPattern::Parse("*a*a*a*a*a*a*a*a*a*a*b");
  ASSERT_TRUE(p.ok());
  const std::string long_name(100000, 'a');
  EXPECT_FALSE(p->Match(long_name, nullptr));  // naive backtracking: O(n^10)
  EXPECT_TRUE(p->Match(long_name + "b", nullptr));
  auto vars_only = PathPattern::Parse("$a$b$c$d$e$f$g$h/x");
  EXPECT_FALSE(vars_only->Match(long_name + "/y", nullptr));
  PathVariables vars;
  ASSERT_TRUE(vars_only->Match("abcdefghij/x", &vars));
  EXPECT_EQ(vars["$a"], "abc");
  EXPECT_EQ(vars["$h"], "j");
}

TEST(PathPatternTest, BadPatterns) {
  EXPECT_EQ(PathPattern::Parse("").status().message(), "a pattern can't be empty");
  EXPECT_EQ(PathPattern::Parse("/x").status().message(), "a pattern can't start with /");
  EXPECT_NE(PathPattern::Parse("a/$/b").status().message().find("invalid variable name"),
            std::string::npos);
  EXPECT_NE(PathPattern::Parse("a/$-x").status().message().find("invalid variable name"),
            std::string::npos);
}

TEST(RuleSetTest, MostSpecificPatternWithThatRuleTypeWins) {
  auto set = Load(R"({
    "record": {
      "*": {"read": true, "write": false},
      "profile/*": {"read": false},
      "profile/$uid": {"write": "user.id === $uid"},
      "profile/root": {"write": true},
      "profile/rootx": {}
    },
    "event": {"*": {"publish": true, "subscribe": true}},
    "presence": {"*": {"allow": false}}
  })");
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  PathVariables vars;
  const Rule* read = set->Find(Section::kRecord, RuleType::kRead, "profile/alice", &vars);
  ASSERT_NE(read, nullptr);
  EXPECT_FALSE(read->expression);
  EXPECT_FALSE(read->constant);  // profile/* beats *

  vars.clear();
  const Rule* write = set->Find(Section::kRecord, RuleType::kWrite, "profile/alice", &vars);
  ASSERT_NE(write, nullptr);
  ASSERT_TRUE(write->expression);
  EXPECT_EQ(write->expression->source(), "user.id === $uid");
  EXPECT_EQ(vars["$uid"], "alice");

  // Specificity is the pattern's length: profile/root ties with profile/$uid, the later wins;
  // profile/rootx is longer but has no write rule.
  const Rule* root = set->Find(Section::kRecord, RuleType::kWrite, "profile/root", nullptr);
  ASSERT_NE(root, nullptr);
  EXPECT_TRUE(root->constant);
  const Rule* rootx = set->Find(Section::kRecord, RuleType::kWrite, "profile/rootx", nullptr);
  ASSERT_NE(rootx, nullptr);
  EXPECT_TRUE(rootx->expression);

  const Rule* other = set->Find(Section::kRecord, RuleType::kWrite, "doc/1", nullptr);
  ASSERT_NE(other, nullptr);
  EXPECT_FALSE(other->constant);

  // No pattern has a delete rule, and rpc has no section: denied.
  EXPECT_EQ(set->Find(Section::kRecord, RuleType::kDelete, "doc/1", nullptr), nullptr);
  EXPECT_EQ(set->Find(Section::kRpc, RuleType::kRequest, "add", nullptr), nullptr);
  ASSERT_NE(set->Find(Section::kPresence, RuleType::kAllow, "bob", nullptr), nullptr);
}

TEST(RuleSetTest, LoadErrorsNameTheirPlace) {
  EXPECT_EQ(LoadError(R"({"records": {}})"),
            "unknown permission section 'records' (record, event, rpc, presence)");
  EXPECT_EQ(LoadError(R"({"record": {"*": {"publish": true}}})"),
            "record.\"*\".publish: unknown rule type for record (create, write, read, delete, "
            "listen, notify)");
  EXPECT_EQ(LoadError(R"({"event": {"*": {"publish": 1}}})"),
            "event.\"*\".publish: a rule must be true, false or a string");
  EXPECT_EQ(LoadError(R"({"rpc": {"/x": {"provide": true}}})"),
            "rpc.\"/x\": a pattern can't start with /");
  EXPECT_EQ(LoadError(R"({"record": {"a/$id": {"write": "usr.id === $id"}}})"),
            "record.\"a/$id\".write: unknown name 'usr' (rules may use user, data, oldData, now, "
            "action, name, $variables and _()) at column 1 of rule \"usr.id === $id\"");
  EXPECT_EQ(LoadError(R"({"record": []})"), "record: must be a map of name patterns");
  EXPECT_EQ(LoadError(R"([])"), "permissions must be a map of sections");
}

}  // namespace
}  // namespace strata::permission
