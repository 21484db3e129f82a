#include "auth/file_authenticator.h"

#include <future>

#include <gtest/gtest.h>

namespace strata::auth {
namespace {

// deepstream 7.0.2's sample users.yml entry ("password", md5 / 100 / 32), as the config loader
// hands it over (YAML turned into JSON).
constexpr char kOptions[] = R"({
  "hash": "md5", "iterations": 100, "keyLength": 32,
  "users": {
    "userA": {"password": "rCOSZxJrgze2AZdVQh12c6ErDMOG0M+Rx5Yu7S5d91c=GS4SbTQYmoaGwjm2shEobg==",
              "serverData": {"someOptional": "auth-data"}, "clientData": {"favouriteColor": "red"}},
    "plainUser": {"password": "not-a-hash"}
  }})";

AuthOutcome Login(Authenticator& auth, const std::string& data) {
  std::promise<AuthOutcome> result;
  auth.Authenticate({data, "127.0.0.1:1"}, [&](AuthOutcome o) { result.set_value(std::move(o)); });
  return result.get_future().get();
}

std::unique_ptr<FileAuthenticator> Make(const std::string& options) {
  auto made = FileAuthenticator::Create(options);
  EXPECT_TRUE(made.ok()) << made.status().ToString();
  return made.ok() ? std::move(made).value() : nullptr;
}

using V = AuthOutcome::Verdict;

TEST(FileAuthenticatorTest, DeepstreamUsersFileLogsIn) {
  auto auth = Make(kOptions);
  AuthOutcome ok = Login(*auth, R"({"username":"userA","password":"password"})");
  EXPECT_EQ(ok.verdict, V::kAccepted);
  EXPECT_EQ(ok.id, "userA");
  EXPECT_EQ(ok.client_data, R"({"favouriteColor":"red"})");
  EXPECT_EQ(ok.server_data, R"({"someOptional":"auth-data"})");

  AuthOutcome wrong = Login(*auth, R"({"username":"userA","password":"Password"})");
  EXPECT_EQ(wrong.verdict, V::kRejected);
  EXPECT_FALSE(wrong.client_data);
  // Unknown users are left to the next handler of the auth list.
  EXPECT_EQ(Login(*auth, R"({"username":"nobody","password":"password"})").verdict, V::kNotMine);
  // A stored value that is no hash of these options never matches.
  EXPECT_EQ(Login(*auth, R"({"username":"plainUser","password":"not-a-hash"})").verdict,
            V::kRejected);
}

TEST(FileAuthenticatorTest, MissingParametersAreReportedOrPassedOn) {
  auto auth = Make(kOptions);
  for (const char* data : {R"({"username":"userA"})", R"({"password":"x"})",
                           R"({"username":1,"password":"x"})", R"("userA")", "null", "[]"}) {
    AuthOutcome o = Login(*auth, data);
    EXPECT_EQ(o.verdict, V::kRejected) << data;
    EXPECT_EQ(o.client_data,
              R"({"error":"missing authentication parameter: username or/and password"})");
  }
  auto quiet = Make(R"({"reportInvalidParameters": false, "users": {"a": {"password": "pw"}}})");
  EXPECT_EQ(Login(*quiet, R"({"username":"a"})").verdict, V::kNotMine);
  EXPECT_EQ(Login(*quiet, R"({"username":"a","password":"nope"})").verdict, V::kNotMine);
}

TEST(FileAuthenticatorTest, PlainTextPasswordsWithoutHash) {
  auto auth = Make(R"({"users": {"bob": {"password": "hunter2"}}})");
  EXPECT_EQ(Login(*auth, R"({"username":"bob","password":"hunter2"})").verdict, V::kAccepted);
  EXPECT_EQ(Login(*auth, R"({"username":"bob","password":"hunter3"})").verdict, V::kRejected);
}

TEST(FileAuthenticatorTest, BadOptionsAreRefused) {
  auto error = [](const std::string& options) {
    auto made = FileAuthenticator::Create(options);
    return made.ok() ? std::string() : std::string(made.status().message());
  };
  EXPECT_EQ(error("{}"), "no users present in the users file (options.users)");
  EXPECT_EQ(error(R"({"users": {}})"), "no users present in the users file (options.users)");
  EXPECT_EQ(error(R"({"users": {"a": {}}})"), "missing password for user 'a'");
  EXPECT_EQ(error(R"({"users": {"a": {"password": 5}}})"), "missing password for user 'a'");
  EXPECT_EQ(error(R"({"users": {"a": "pw"}})"), "user 'a' must be a map");
  EXPECT_EQ(
      error(
          R"({"hash": "whirlpool9", "iterations": 1, "keyLength": 8, "users": {"a": {"password": "x"}}})"),
      "unknown hash algorithm 'whirlpool9'");
  EXPECT_EQ(error(R"({"hash": "md5", "users": {"a": {"password": "x"}}})"),
            "iterations must be a number when hash is set");
  EXPECT_EQ(error(R"({"reportInvalidParameters": "yes", "users": {"a": {"password": "x"}}})"),
            "reportInvalidParameters must be true or false");
  EXPECT_EQ(error("[1]"), "file auth options must be a map");
}

}  // namespace
}  // namespace strata::auth
