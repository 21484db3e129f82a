#include "permission/rule_expression.h"

#include <string>

#include <gtest/gtest.h>

namespace strata::permission {
namespace {

// A context with user alice, incoming data and old data parsed from JSON.
class RuleExpressionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    user_doc_.Parse(
        R"({"id":"alice","isAuthenticated":true,"data":{"role":"admin","teams":["a","b"]}})");
    data_doc_.Parse(
        R"({"owner":"alice","price":12,"tags":["x","y"],"title":"  Hello  ","n":null})");
    old_doc_.Parse(R"({"owner":"bob","locked":true,"price":"12"})");
    context_.user = RuleValue::FromJson(&user_doc_);
    context_.data = RuleValue::FromJson(&data_doc_);
    context_.old_data = RuleValue::FromJson(&old_doc_);
    context_.now = 1000;
    context_.action = "write";
    context_.name = "profile/alice";
    context_.vars = {{"$owner", "alice"}};
  }

  // The rule's value as JavaScript would print it; "ERROR: ..." on a run-time error.
  std::string Eval(const std::string& rule) {
    auto compiled = RuleExpression::Compile(rule);
    if (!compiled.ok()) return "COMPILE: " + std::string(compiled.status().message());
    auto value = compiled->Evaluate(context_);
    if (!value.ok()) return "ERROR: " + std::string(value.status().message());
    return value->type() == RuleValue::Type::kString ? "'" + value->string() + "'"
                                                     : value->ToString();
  }
  bool Allows(const std::string& rule) {
    auto compiled = RuleExpression::Compile(rule);
    EXPECT_TRUE(compiled.ok()) << compiled.status().ToString();
    auto allowed = compiled->Allows(context_);
    EXPECT_TRUE(allowed.ok()) << allowed.status().ToString();
    return allowed.ok() && *allowed;
  }
  // The compile error message, or "" when the rule compiles.
  std::string CompileError(const std::string& rule) {
    auto compiled = RuleExpression::Compile(rule);
    return compiled.ok() ? "" : std::string(compiled.status().message());
  }

  rapidjson::Document user_doc_, data_doc_, old_doc_;
  RuleContext context_;
};

TEST_F(RuleExpressionTest, TypicalRules) {
  EXPECT_TRUE(Allows("true"));
  EXPECT_FALSE(Allows("false"));
  EXPECT_TRUE(Allows("user.id === data.owner"));
  EXPECT_FALSE(Allows("user.id === oldData.owner"));
  EXPECT_TRUE(Allows("user.id === $owner"));
  EXPECT_TRUE(Allows("user.isAuthenticated && user.data.role === 'admin'"));
  EXPECT_FALSE(Allows("!oldData.locked"));
  EXPECT_TRUE(Allows("data.price < 100 && data.price >= 12"));
  EXPECT_TRUE(Allows("name.startsWith('profile/') && name.endsWith(user.id)"));
  EXPECT_TRUE(Allows("user.data.teams.includes('b')"));
  EXPECT_TRUE(Allows("['write', 'create'].includes(action)"));
  EXPECT_TRUE(Allows("now > 0 && now <= 1000"));
  EXPECT_TRUE(Allows("data.tags.length === 2 && data.tags[1] === 'y'"));
  EXPECT_TRUE(Allows("action == 'write' ? data.owner == user.id : false"));
}

TEST_F(RuleExpressionTest, JavaScriptSemantics) {
  EXPECT_EQ(Eval("1 + 2 * 3"), "7");
  EXPECT_EQ(Eval("(1 + 2) * 3"), "9");
  EXPECT_EQ(Eval("7 % 3"), "1");
  EXPECT_EQ(Eval("-7 % 3"), "-1");
  EXPECT_EQ(Eval("1 / 0"), "Infinity");
  EXPECT_EQ(Eval("0.1 + 0.2"), "0.30000000000000004");
  EXPECT_EQ(Eval("'a' + 1"), "'a1'");
  EXPECT_EQ(Eval("1 + '1'"), "'11'");
  EXPECT_EQ(Eval("'3' * '4'"), "12");
  EXPECT_EQ(Eval("'' + data.tags"), "'x,y'");
  EXPECT_EQ(Eval("data.price == oldData.price"), "true");  // 12 == "12"
  EXPECT_EQ(Eval("data.price === oldData.price"), "false");
  EXPECT_EQ(Eval("null == undefined"), "true");
  EXPECT_EQ(Eval("null === undefined"), "false");
  EXPECT_EQ(Eval("data.n == null"), "true");
  EXPECT_EQ(Eval("data.missing === undefined"), "true");
  EXPECT_EQ(Eval("0 == ''"), "true");
  EXPECT_EQ(Eval("'b' > 'a'"), "true");
  EXPECT_EQ(Eval("'10' < '9'"), "true");              // both strings: compared as text
  EXPECT_EQ(Eval("'10' < 9"), "false");               // mixed: as numbers
  EXPECT_EQ(Eval("'abc' < 1"), "false");              // NaN compares false
  EXPECT_EQ(Eval("data.owner && data.price"), "12");  // && and || give an operand
  EXPECT_EQ(Eval("data.missing || 'fallback'"), "'fallback'");
  EXPECT_EQ(Eval("!!data.title"), "true");
  EXPECT_EQ(Eval("-'5'"), "-5");
  EXPECT_EQ(Eval("data.title.trim().toUpperCase()"), "'HELLO'");
  EXPECT_EQ(Eval("data.title.indexOf('H')"), "2");
  EXPECT_EQ(Eval("data.tags.indexOf('z')"), "-1");
  EXPECT_EQ(Eval("'abc'[1]"), "'b'");
  EXPECT_EQ(Eval("'abc'.length"), "3");
  EXPECT_EQ(Eval("\"it's\" + 'a \\'quote\\''"), "'it'sa 'quote''");
  EXPECT_EQ(Eval("1e3 + .5"), "1000.5");
  EXPECT_EQ(Eval("data.owner === user.id && false || true"), "true");  // && binds tighter
}

TEST_F(RuleExpressionTest, ShortCircuitSkipsTheRightSide) {
  // oldData.missing.x would fail; it is never evaluated.
  EXPECT_EQ(Eval("false && oldData.missing.x"), "false");
  EXPECT_EQ(Eval("true || oldData.missing.x"), "true");
  EXPECT_EQ(Eval("true ? 1 : oldData.missing.x"), "1");
}

TEST_F(RuleExpressionTest, RunTimeErrors) {
  EXPECT_EQ(Eval("oldData.missing.x"), "ERROR: cannot read property 'x' of undefined");
  EXPECT_EQ(Eval("data.n.x"), "ERROR: cannot read property 'x' of null");
  EXPECT_EQ(Eval("data.price.startsWith('1')"), "ERROR: number has no method startsWith");
  EXPECT_EQ(Eval("_('other')"), "ERROR: _() is not available here");
}

TEST_F(RuleExpressionTest, CrossReferencesAreBoundedByMaxRuleIterations) {
  rapidjson::Document other;
  other.Parse(R"({"members":["alice"]})");
  int loads = 0;
  context_.record_data = [&](std::string_view name) -> Result<RuleValue> {
    ++loads;
    if (name == "team/a") return RuleValue::FromJson(&other);
    return RuleValue();
  };
  EXPECT_TRUE(Allows("_('team/' + 'a').members.includes(user.id)"));
  EXPECT_EQ(Eval("_('nothing')"), "undefined");
  context_.max_cross_references = 2;
  EXPECT_EQ(Eval("_('a') || _('b') || _('c')"),
            "ERROR: more than 2 cross-references (_()) in one rule evaluation");
  EXPECT_TRUE(RuleExpression::Compile("_('x')")->uses_cross_references());
  EXPECT_FALSE(RuleExpression::Compile("data.x")->uses_cross_references());
  auto uses = RuleExpression::Compile("oldData.owner === user.id || 'data' === name");
  EXPECT_TRUE(uses->Uses("oldData"));
  EXPECT_TRUE(uses->Uses("user"));
  EXPECT_TRUE(uses->Uses("name"));
  EXPECT_FALSE(uses->Uses("data"));  // a string, not the name
}

TEST_F(RuleExpressionTest, RefusesWhatIsNotARule) {
  EXPECT_NE(CompileError("process.exit()").find("unknown name 'process'"), std::string::npos);
  EXPECT_NE(CompileError("require('fs')").find("unknown name 'require'"), std::string::npos);
  EXPECT_NE(CompileError("new Date()").find("unknown name 'new'"), std::string::npos);
  EXPECT_NE(CompileError("data.x = 1").find("assignment"), std::string::npos);
  EXPECT_NE(CompileError("(function(){})()").find("unexpected character '{'"), std::string::npos);
  EXPECT_NE(CompileError("function f() { return 1 }").find("unexpected character '{'"),
            std::string::npos);
  EXPECT_NE(CompileError("() => 1").find("arrow functions"), std::string::npos);
  EXPECT_NE(CompileError("data.constructor").find("'constructor' is not allowed"),
            std::string::npos);
  EXPECT_EQ(Eval("data['__proto__']"), "undefined");  // computed keys are plain lookups in the data
  EXPECT_EQ(Eval("data['construct' + 'or']"), "undefined");
  EXPECT_NE(CompileError("name.match(/a/)").find("method 'match' is not allowed"),
            std::string::npos);
  EXPECT_NE(CompileError("/a/.test(name)").find("regular expressions"), std::string::npos);
  EXPECT_NE(CompileError("data.x()").find("method 'x' is not allowed"), std::string::npos);
  EXPECT_NE(CompileError("data['x']()").find("only _() and the listed"), std::string::npos);
  EXPECT_NE(CompileError("`x`").find("template strings"), std::string::npos);
  EXPECT_NE(CompileError("1; 2").find("unexpected character ';'"), std::string::npos);
  EXPECT_NE(CompileError("'open").find("unterminated string"), std::string::npos);
  EXPECT_NE(CompileError("1 +").find("unexpected end of rule"), std::string::npos);
  EXPECT_NE(CompileError("(1").find("expected ')'"), std::string::npos);
  EXPECT_NE(CompileError("a ? b").find("unknown name 'a'"), std::string::npos);
  EXPECT_NE(CompileError("true ? 1").find("expected ':'"), std::string::npos);
  EXPECT_NE(CompileError("1 2").find("unexpected '2'"), std::string::npos);
  EXPECT_NE(CompileError("12abc").find("malformed number"), std::string::npos);
  EXPECT_NE(CompileError("").find("unexpected end of rule"), std::string::npos);
  EXPECT_NE(CompileError("_").find("_ must be called"), std::string::npos);
  EXPECT_NE(CompileError("_('a', 'b')").find("exactly one"), std::string::npos);
  // The column points at the problem.
  EXPECT_NE(CompileError("user.id === bogus").find("at column 13"), std::string::npos);
}

TEST_F(RuleExpressionTest, HostileInputsAreRefusedQuickly) {
  EXPECT_NE(CompileError(std::string(5000, '1')).find("longer than"), std::string::npos);
  EXPECT_NE(
      CompileError(std::string(1000, '(') + "1" + std::string(1000, ')')).find("nested too deeply"),
      std::string::npos);
  EXPECT_NE(CompileError(std::string(1000, '!') + "true").find("nested too deeply"),
            std::string::npos);
  EXPECT_NE(CompileError(std::string(2000, '[')).find("nested too deeply"), std::string::npos);
  // Long flat chains are fine: evaluation is linear in the rule's length.
  std::string chain = "1";
  for (int i = 0; i < 500; ++i) chain += " + 1";
  EXPECT_EQ(Eval(chain), "501");
  // Bytes that are not rule text.
  EXPECT_NE(CompileError(std::string("data\0x", 6)).find("unexpected character"),
            std::string::npos);
  EXPECT_NE(CompileError("data.x \x01").find("unexpected character"), std::string::npos);
}

}  // namespace
}  // namespace strata::permission
