#include "auth/password_hash.h"

#include <gtest/gtest.h>

namespace strata::auth {
namespace {

// The users.yml shipped with deepstream 7.0.2: "password" hashed with its default file-auth
// options (md5, 100 iterations, 32 bytes).
constexpr char kDeepstreamSample[] =
    "rCOSZxJrgze2AZdVQh12c6ErDMOG0M+Rx5Yu7S5d91c=GS4SbTQYmoaGwjm2shEobg==";

TEST(PasswordHashTest, VerifiesDeepstreamsOwnHash) {
  HashOptions options;
  EXPECT_TRUE(*VerifyPassword("password", kDeepstreamSample, options));
  EXPECT_FALSE(*VerifyPassword("Password", kDeepstreamSample, options));
  EXPECT_FALSE(*VerifyPassword("", kDeepstreamSample, options));
  // The same salt gives the same stored form.
  EXPECT_EQ(*HashPassword("password", options, "GS4SbTQYmoaGwjm2shEobg=="), kDeepstreamSample);
}

TEST(PasswordHashTest, FreshHashesVerifyAndDiffer) {
  HashOptions options{"sha256", 1000, 64};
  Result<std::string> a = HashPassword("s3cret", options);
  Result<std::string> b = HashPassword("s3cret", options);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);                // random salts
  EXPECT_EQ(a->size(), 88u + 24u);  // base64 of 64 bytes, then the base64 of 16 salt bytes
  EXPECT_TRUE(*VerifyPassword("s3cret", *a, options));
  EXPECT_FALSE(*VerifyPassword("s3cret", *a, HashOptions{"sha256", 999, 64}));
  EXPECT_FALSE(*VerifyPassword("s3cret", *a, HashOptions{"sha1", 1000, 64}));
}

TEST(PasswordHashTest, BadOptionsAndStoredValues) {
  EXPECT_EQ(ValidateHashOptions({"nope", 100, 32}).message(), "unknown hash algorithm 'nope'");
  EXPECT_FALSE(ValidateHashOptions({"md5", 0, 32}).ok());
  EXPECT_FALSE(ValidateHashOptions({"md5", 100, 0}).ok());
  EXPECT_FALSE(HashPassword("x", {"nope", 100, 32}).ok());
  // Too short to hold a key and a salt, or plain garbage: no match, no crash.
  EXPECT_FALSE(*VerifyPassword("password", "short", HashOptions{}));
  EXPECT_FALSE(*VerifyPassword("password", std::string(200, '\0'), HashOptions{}));
}

}  // namespace
}  // namespace strata::auth
