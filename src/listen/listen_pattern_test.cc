#include "listen/listen_pattern.h"

#include <string>

#include <gtest/gtest.h>

namespace strata {
namespace {

bool Valid(const std::string& pattern) { return ListenPattern::Compile(pattern).ok(); }

bool Matches(const std::string& pattern, const std::string& name) {
  auto compiled = ListenPattern::Compile(pattern);
  EXPECT_TRUE(compiled.ok()) << pattern << ": " << compiled.status().ToString();
  return compiled.ok() && (*compiled)->Matches(name);
}

TEST(ListenPattern, MatchesUnanchoredLikeRegExpTest) {
  EXPECT_TRUE(Matches("li/.*", "li/1"));
  EXPECT_TRUE(Matches("li/", "x/li/1"));
  EXPECT_FALSE(Matches("^li/", "x/li/1"));
  EXPECT_TRUE(Matches("^li/\\d+$", "li/42"));
  EXPECT_FALSE(Matches("^li/\\d+$", "li/42a"));
  EXPECT_TRUE(Matches("", "anything"));
  EXPECT_TRUE(Matches("a|b", "xbx"));
  EXPECT_TRUE(Matches("^(?:car|bike)/[a-z_]{2,4}\\w*$", "car/abc9"));
  EXPECT_FALSE(Matches("^[^/]+$", "a/b"));
  EXPECT_TRUE(Matches("\\.json$", "x.json"));
  EXPECT_FALSE(Matches("\\.json$", "xjson"));
  EXPECT_TRUE(Matches("\\x41", "A"));
  EXPECT_TRUE(Matches("a.*?b", "axxb"));
  EXPECT_TRUE(Matches("[\\]]", "]"));
  EXPECT_TRUE(Matches("\\bword\\b", "a word here"));
}

TEST(ListenPattern, RefusesWhatJavaScriptRejects) {
  EXPECT_FALSE(Valid("("));
  EXPECT_FALSE(Valid("["));
  EXPECT_FALSE(Valid("*a"));
  EXPECT_FALSE(Valid("a{2,1}"));
  EXPECT_FALSE(Valid("\\"));
}

TEST(ListenPattern, RefusesWhatRe2CannotRunOrReadsDifferently) {
  EXPECT_FALSE(Valid("(a)\\1"));  // backreference
  EXPECT_FALSE(Valid("a(?=b)"));  // lookahead
  EXPECT_FALSE(Valid("a(?!b)"));
  EXPECT_FALSE(Valid("(?<=a)b"));  // lookbehind
  EXPECT_FALSE(Valid("(?<n>a)"));  // named group
  EXPECT_FALSE(Valid("(?i)a"));    // inline flags: a syntax error in JavaScript
  EXPECT_FALSE(Valid("\\s"));      // JavaScript's \s includes Unicode spaces
  EXPECT_FALSE(Valid("\\pL"));     // JavaScript without /u: the letters "pL"
  EXPECT_FALSE(Valid("\\Qa\\E"));
  EXPECT_FALSE(Valid("\\A"));
  EXPECT_FALSE(Valid("\\z"));
  EXPECT_FALSE(Valid("\\x{41}"));
  EXPECT_FALSE(Valid("\\u0041"));
  EXPECT_FALSE(Valid("[]a]"));  // JavaScript: an empty class, then "a]"
  EXPECT_FALSE(Valid("[^]"));   // JavaScript: any character
  EXPECT_FALSE(Valid("[[:alpha:]]"));
  EXPECT_FALSE(Valid("[\\b]"));    // JavaScript: backspace
  EXPECT_FALSE(Valid("\\012"));    // octal
  EXPECT_FALSE(Valid("a{1001}"));  // beyond RE2's repeat limit
}

TEST(ListenPattern, RefusesOversizedPatterns) {
  EXPECT_TRUE(Valid(std::string(kMaxListenPatternLength, 'a')));
  EXPECT_FALSE(Valid(std::string(kMaxListenPatternLength + 1, 'a')));
  // Short but huge once compiled: RE2's memory budget refuses it.
  EXPECT_FALSE(Valid("((((a{100}){100}){100}){100})"));
}

TEST(ListenPattern, ReportsTheReason) {
  auto r = ListenPattern::Compile("a(?=b)");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(r.status().message().empty());
}

}  // namespace
}  // namespace strata
