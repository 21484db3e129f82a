#include "auth/auth_chain.h"

#include <future>

#include <gtest/gtest.h>

namespace strata::auth {
namespace {

AuthOutcome Login(const AuthChain& chain, const std::string& data) {
  std::promise<AuthOutcome> result;
  chain.Authenticate({data, "127.0.0.1:1"}, [&](AuthOutcome o) { result.set_value(std::move(o)); });
  return result.get_future().get();
}

using V = AuthOutcome::Verdict;

TEST(AuthChainTest, OpenAuthTakesTheUsernameOrOpen) {
  auto chain = AuthChain::Create({AuthConfig{}});
  ASSERT_TRUE(chain.ok());
  EXPECT_EQ(Login(**chain, R"({"username":"alice"})").id, "alice");
  EXPECT_EQ(Login(**chain, "{}").id, "open");
  EXPECT_EQ(Login(**chain, R"({"username":""})").id, "open");
  EXPECT_EQ(Login(**chain, R"({"username":5})").verdict, V::kAccepted);
}

TEST(AuthChainTest, FirstAnswerThatIsNotNotMineDecides) {
  // file knows alice only (and passes unknown users on); none takes everyone else.
  AuthConfig file{"file",
                  R"({"reportInvalidParameters":true,"users":{"alice":{"password":"pw"}}})"};
  auto chain = AuthChain::Create({file, AuthConfig{}});
  ASSERT_TRUE(chain.ok()) << chain.status().ToString();
  EXPECT_EQ(Login(**chain, R"({"username":"alice","password":"pw"})").verdict, V::kAccepted);
  EXPECT_EQ(Login(**chain, R"({"username":"alice","password":"no"})").verdict, V::kRejected);
  AuthOutcome guest = Login(**chain, R"({"username":"bob","password":"x"})");
  EXPECT_EQ(guest.verdict, V::kAccepted);
  EXPECT_EQ(guest.id, "bob");

  auto file_only = AuthChain::Create({file});
  EXPECT_EQ(Login(**file_only, R"({"username":"bob","password":"x"})").verdict, V::kRejected);
}

TEST(AuthChainTest, BadEntriesNameTheirPlace) {
  auto chain = AuthChain::Create({AuthConfig{}, AuthConfig{"file", "{}"}});
  ASSERT_FALSE(chain.ok());
  EXPECT_EQ(chain.status().message(),
            "auth[1] (file): no users present in the users file (options.users)");
  auto http = AuthChain::Create({AuthConfig{"http", R"({"endpointUrl":"http://x"})"}});
  EXPECT_EQ(http.status().message(), "auth[0] (http): permittedStatusCodes is required");
}

}  // namespace
}  // namespace strata::auth
