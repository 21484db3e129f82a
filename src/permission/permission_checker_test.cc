#include "permission/permission_checker.h"

#include <algorithm>
#include <deque>
#include <map>

#include <gtest/gtest.h>

namespace strata::permission {
namespace {

namespace ra = record_action;

// Rules in the shape of a permissions.yml, records in a map; lookups answered at once or later.
class PermissionCheckerTest : public ::testing::Test {
 protected:
  void Load(const std::string& permissions, int max_iterations = 3) {
    auto made =
        PermissionChecker::Create(R"({"maxRuleIterations":)" + std::to_string(max_iterations) +
                                  R"(,"permissions":)" + permissions + "}");
    ASSERT_TRUE(made.ok()) << made.status().ToString();
    checker_ = std::move(made).value();
  }

  CheckResult Check(const Message& msg, const std::string& name,
                    const std::string& user = "alice") {
    std::optional<CheckResult> result;
    RecordLookup lookup = [this](const std::string& record,
                                 std::function<void(Result<std::optional<std::string>>)> done) {
      lookups_.push_back(record);
      if (record == "broken") return done(Status::Unavailable("storage down"));
      auto it = records_.find(record);
      done(it == records_.end() ? std::nullopt : std::optional<std::string>(it->second));
    };
    checker_->Check(Actor{user, R"({"role":"editor"})"}, msg, name, lookup,
                    [&](CheckResult r) { result = r; });
    EXPECT_TRUE(result.has_value());
    return result.value_or(CheckResult{Verdict::kError, "no answer"});
  }
  Verdict VerdictOf(const Message& msg, const std::string& name,
                    const std::string& user = "alice") {
    return Check(msg, name, user).verdict;
  }

  static Message Msg(Topic topic, int32_t action, std::optional<std::string> data = std::nullopt,
                     std::optional<std::string> path = std::nullopt) {
    Message m;
    m.topic = topic;
    m.action = action;
    m.data = std::move(data);
    m.path = std::move(path);
    return m;
  }

  std::unique_ptr<PermissionChecker> checker_;
  std::map<std::string, std::string> records_;
  std::vector<std::string> lookups_;
};

TEST_F(PermissionCheckerTest, ConstantsAndMissingRules) {
  Load(R"({"record":{"*":{"read":true,"write":false}},"event":{"open/*":{"publish":true}}})");
  EXPECT_EQ(VerdictOf(Msg(Topic::kRecord, ra::kRead), "a"), Verdict::kAllowed);
  EXPECT_EQ(VerdictOf(Msg(Topic::kRecord, ra::kUpdate, "{}"), "a"), Verdict::kDenied);
  EXPECT_EQ(VerdictOf(Msg(Topic::kRecord, ra::kDelete), "a"), Verdict::kDenied);  // no delete rule
  EXPECT_EQ(VerdictOf(Msg(Topic::kEvent, event_action::kEmit), "open/x"), Verdict::kAllowed);
  EXPECT_EQ(VerdictOf(Msg(Topic::kEvent, event_action::kEmit), "closed"), Verdict::kDenied);
  EXPECT_EQ(VerdictOf(Msg(Topic::kRpc, rpc_action::kRequest), "add"),
            Verdict::kDenied);  // no rpc section
  // Not checked at all: unsubscribes, replies.
  EXPECT_FALSE(PermissionChecker::Checks(Msg(Topic::kRecord, ra::kUnsubscribe)));
  EXPECT_FALSE(PermissionChecker::Checks(Msg(Topic::kRpc, rpc_action::kResponse)));
  EXPECT_TRUE(lookups_.empty());
}

TEST_F(PermissionCheckerTest, UserDataVariablesAndIncomingData) {
  Load(R"({"record":{"profile/$owner":{"write":"user.id === $owner && data.name.length < 10",
                                       "read":"user.data.role === 'editor'"}},
           "rpc":{"*":{"request":"data.amount <= 100"}}})");
  EXPECT_EQ(VerdictOf(Msg(Topic::kRecord, ra::kUpdate, R"({"name":"Al"})"), "profile/alice"),
            Verdict::kAllowed);
  EXPECT_EQ(VerdictOf(Msg(Topic::kRecord, ra::kUpdate, R"({"name":"Al"})"), "profile/bob"),
            Verdict::kDenied);
  EXPECT_EQ(VerdictOf(Msg(Topic::kRecord, ra::kUpdate, R"({"name":"Alexander the Great"})"),
                      "profile/alice"),
            Verdict::kDenied);
  EXPECT_EQ(VerdictOf(Msg(Topic::kRecord, ra::kSubscribe), "profile/bob"), Verdict::kAllowed);
  EXPECT_EQ(VerdictOf(Msg(Topic::kRpc, rpc_action::kRequest, R"({"amount":5})"), "pay"),
            Verdict::kAllowed);
  EXPECT_EQ(VerdictOf(Msg(Topic::kRpc, rpc_action::kRequest, R"({"amount":500})"), "pay"),
            Verdict::kDenied);
  // A rule that fails at run time is an error, not a denial.
  CheckResult error = Check(Msg(Topic::kRecord, ra::kUpdate, "{}"), "profile/alice");
  EXPECT_EQ(error.verdict, Verdict::kError);
  EXPECT_EQ(error.error, "cannot read property 'length' of undefined");
}

TEST_F(PermissionCheckerTest, OldDataAndPatchesAreJudgedOnTheRecord) {
  Load(R"({"record":{"*":{"write":"!oldData || oldData.owner === user.id",
                          "delete":"oldData.owner === user.id"},
                     "doc/*":{"write":"data.locked !== true"}}})");
  records_["a"] = R"({"owner":"alice"})";
  records_["b"] = R"({"owner":"bob"})";
  EXPECT_EQ(VerdictOf(Msg(Topic::kRecord, ra::kUpdate, "{}"), "a"), Verdict::kAllowed);
  EXPECT_EQ(VerdictOf(Msg(Topic::kRecord, ra::kUpdate, "{}"), "b"), Verdict::kDenied);
  EXPECT_EQ(VerdictOf(Msg(Topic::kRecord, ra::kUpdate, "{}"), "new"), Verdict::kAllowed);
  EXPECT_EQ(VerdictOf(Msg(Topic::kRecord, ra::kDelete), "b"), Verdict::kDenied);
  // A patch is judged on the whole record after it: setting `title` on a locked doc is refused,
  // although the patch itself carries no `locked`.
  records_["doc/1"] = R"({"locked":true,"title":"x"})";
  records_["doc/2"] = R"({"title":"x"})";
  EXPECT_EQ(VerdictOf(Msg(Topic::kRecord, ra::kPatch, R"("y")", "title"), "doc/1"),
            Verdict::kDenied);
  EXPECT_EQ(VerdictOf(Msg(Topic::kRecord, ra::kPatch, R"("y")", "title"), "doc/2"),
            Verdict::kAllowed);
  EXPECT_EQ(VerdictOf(Msg(Topic::kRecord, ra::kPatch, "true", "locked"), "doc/2"),
            Verdict::kDenied);
  // ERASE is a write too: erasing `locked` unlocks, which the rule allows.
  EXPECT_EQ(VerdictOf(Msg(Topic::kRecord, ra::kErase, std::nullopt, "locked"), "doc/1"),
            Verdict::kAllowed);
  // A storage failure while loading is an error.
  EXPECT_EQ(VerdictOf(Msg(Topic::kRecord, ra::kUpdate, "{}"), "broken"), Verdict::kError);
}

TEST_F(PermissionCheckerTest, CreateIsCheckedForRecordsThatDoNotExist) {
  Load(R"({"record":{"*":{"create":"user.id === 'admin'","read":true,"write":true}}})");
  records_["exists"] = "{}";
  EXPECT_EQ(VerdictOf(Msg(Topic::kRecord, ra::kSubscribeCreateAndRead), "exists"),
            Verdict::kAllowed);
  EXPECT_EQ(VerdictOf(Msg(Topic::kRecord, ra::kSubscribeCreateAndRead), "missing"),
            Verdict::kDenied);
  EXPECT_EQ(VerdictOf(Msg(Topic::kRecord, ra::kSubscribeCreateAndRead), "missing", "admin"),
            Verdict::kAllowed);
  EXPECT_EQ(VerdictOf(Msg(Topic::kRecord, ra::kCreateAndUpdate, "{}"), "missing"),
            Verdict::kDenied);
  EXPECT_EQ(VerdictOf(Msg(Topic::kRecord, ra::kCreateAndUpdate, "{}"), "exists"),
            Verdict::kAllowed);
  EXPECT_EQ(VerdictOf(Msg(Topic::kRecord, ra::kUpdate, "{}"), "missing"),
            Verdict::kAllowed);  // UPDATE never creates
}

TEST_F(PermissionCheckerTest, CrossReferencesLoadRecordsUpToTheLimit) {
  Load(R"js({"record":{"team/$t/*":{"read":"_('members/' + $t).includes(user.id)"},
                     "chain":{"read":"_('a').next && _('b').next && _('c').next"}}})js",
       2);
  records_["members/red"] = R"(["alice","carol"])";
  EXPECT_EQ(VerdictOf(Msg(Topic::kRecord, ra::kRead), "team/red/doc"), Verdict::kAllowed);
  EXPECT_EQ(VerdictOf(Msg(Topic::kRecord, ra::kRead), "team/red/doc", "bob"), Verdict::kDenied);
  CheckResult missing = Check(Msg(Topic::kRecord, ra::kRead), "team/blue/doc");
  EXPECT_EQ(missing.verdict, Verdict::kError);  // undefined.includes
  records_["a"] = records_["b"] = records_["c"] = R"({"next":true})";
  CheckResult chain = Check(Msg(Topic::kRecord, ra::kRead), "chain");
  EXPECT_EQ(chain.verdict, Verdict::kError);
  EXPECT_EQ(chain.error, "more than 2 cross-references (_()) in one rule evaluation");
  // Loads are bounded too: each one needs another round.
  Load(R"js({"record":{"pair":{"read":"_('a').next && _('b').next"}}})js", 1);
  lookups_.clear();
  CheckResult pair = Check(Msg(Topic::kRecord, ra::kRead), "pair");
  EXPECT_EQ(pair.error, "more than 1 cross-references (_()) in one rule evaluation");
  EXPECT_EQ(std::count(lookups_.begin(), lookups_.end(), "b"), 0);  // never loaded
}

TEST_F(PermissionCheckerTest, LookupsMayAnswerLater) {
  Load(R"({"record":{"*":{"write":"oldData.owner === user.id"}}})");
  std::deque<std::function<void()>> later;
  RecordLookup lookup = [&](const std::string&,
                            std::function<void(Result<std::optional<std::string>>)> done) {
    later.push_back([done] { done(std::optional<std::string>(R"({"owner":"alice"})")); });
  };
  std::optional<CheckResult> result;
  checker_->Check(Actor{"alice", std::nullopt}, Msg(Topic::kRecord, ra::kUpdate, "{}"), "r", lookup,
                  [&](CheckResult r) { result = r; });
  EXPECT_FALSE(result.has_value());
  ASSERT_EQ(later.size(), 1u);
  later.front()();
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->verdict, Verdict::kAllowed);
}

TEST_F(PermissionCheckerTest, BadOptions) {
  auto error = [](const std::string& options) {
    auto made = PermissionChecker::Create(options);
    return made.ok() ? std::string() : std::string(made.status().message());
  };
  EXPECT_EQ(error("{}"),
            "permission.options.permissions is required (e.g. fileLoad(permissions.yml))");
  EXPECT_EQ(error(R"({"permissions":{"record":{"*":{"read":"user.id ==="}}}})"),
            "permission.options.permissions: record.\"*\".read: unexpected end of rule at column "
            "12 of rule \"user.id ===\"");
  EXPECT_EQ(error(R"({"permissions":{},"maxRuleIterations":0})"),
            "permission.options.maxRuleIterations must be a number >= 1");
}

}  // namespace
}  // namespace strata::permission
