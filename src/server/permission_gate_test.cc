// PermissionGate: order kept while a check waits for a record, bulk messages filtered name by
// name, and the refusals deepstream sends.

#include "server/permission_gate.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "testing/fake_client.h"
#include "testing/manual_loop.h"

namespace strata {
namespace {

using testing::FakeClient;
using testing::ManualLoop;
namespace ra = record_action;

class PermissionGateTest : public ::testing::Test {
 protected:
  void Load(const std::string& permissions) {
    auto made = permission::PermissionChecker::Create(R"({"maxRuleIterations":3,"permissions":)" +
                                                      permissions + "}");
    ASSERT_TRUE(made.ok()) << made.status().ToString();
    checker_ = std::move(made).value();
    gate_ = std::make_shared<PermissionGate>(
        *checker_, client_, loop_,
        [this](const std::string& name,
               std::function<void(Result<std::optional<std::string>>)> done) {
          lookups_.push_back([this, name, done] {
            if (name == "broken") return done(Status::Unavailable("storage down"));
            auto it = records_.find(name);
            done(it == records_.end() ? std::nullopt : std::optional<std::string>(it->second));
          });
        },
        [this](Message allowed) { passed_.push_back(std::move(allowed)); });
  }
  // Answers the record loads waiting so far, in order.
  void AnswerLookups() {
    auto waiting = std::move(lookups_);
    lookups_.clear();
    for (auto& answer : waiting) answer();
    loop_.RunUntilIdle();
  }
  static Message Record(int32_t action, std::string name) {
    Message m;
    m.topic = Topic::kRecord;
    m.action = action;
    m.name = std::move(name);
    return m;
  }

  ManualLoop loop_;
  std::shared_ptr<FakeClient> client_ = std::make_shared<FakeClient>(1, "alice");
  std::unique_ptr<permission::PermissionChecker> checker_;
  std::shared_ptr<PermissionGate> gate_;
  std::map<std::string, std::string> records_;
  std::vector<std::function<void()>> lookups_;
  std::vector<Message> passed_;
};

TEST_F(PermissionGateTest, UncheckedMessagesPassAtOnce) {
  Load(R"({"record":{"*":{"read":false}}})");
  Message unsubscribe;
  unsubscribe.topic = Topic::kRecord;
  unsubscribe.action = ra::kUnsubscribe;
  unsubscribe.names = {"a"};
  gate_->Submit(unsubscribe);
  ASSERT_EQ(passed_.size(), 1u);
  EXPECT_TRUE(client_->sent.empty());
}

TEST_F(PermissionGateTest, AMessageWaitingForItsRecordHoldsBackTheOnesAfterIt) {
  Load(R"({"record":{"*":{"read":true,"write":"oldData.open === true"}}})");
  records_["doc"] = R"({"open":true})";
  Message write = Record(ra::kUpdate, "doc");
  write.data = R"({"open":true,"x":1})";
  write.version = 2;
  gate_->Submit(write);
  gate_->Submit(Record(ra::kRead, "other"));
  EXPECT_TRUE(passed_.empty());  // the read waits behind the write's record load
  AnswerLookups();
  ASSERT_EQ(passed_.size(), 2u);
  EXPECT_EQ(passed_[0].action, ra::kUpdate);
  EXPECT_EQ(passed_[1].action, ra::kRead);
}

TEST_F(PermissionGateTest, BulkMessagesGoOnWithTheAllowedNamesOnly) {
  Load(R"({"record":{"*":{"read":true},"private/*":{"read":false}}})");
  Message subscribe;
  subscribe.topic = Topic::kRecord;
  subscribe.action = ra::kSubscribeAndRead;
  subscribe.correlation_id = "c1";
  subscribe.names = {"a", "private/b", "c"};
  gate_->Submit(subscribe);
  ASSERT_EQ(passed_.size(), 1u);
  EXPECT_EQ(passed_[0].names, (std::vector<std::string>{"a", "c"}));
  ASSERT_EQ(client_->sent.size(), 1u);
  EXPECT_EQ(client_->sent[0].action, ra::kMessageDenied);
  EXPECT_EQ(client_->sent[0].name, "private/b");
  EXPECT_EQ(client_->sent[0].original_action, ra::kSubscribeAndRead);
  EXPECT_EQ(client_->sent[0].correlation_id, "c1");
}

TEST_F(PermissionGateTest, ABulkMessageWithNothingAllowedStops) {
  Load(R"({"record":{"*":{"read":false}}})");
  Message subscribe;
  subscribe.topic = Topic::kRecord;
  subscribe.action = ra::kSubscribe;
  subscribe.names = {"a", "b"};
  gate_->Submit(subscribe);
  EXPECT_TRUE(passed_.empty());
  EXPECT_EQ(client_->With(ra::kMessageDenied).size(), 2u);
}

TEST_F(PermissionGateTest, ADeniedWriteAckFailsTheAck) {
  Load(R"({"record":{"*":{"write":false}}})");
  Message write = Record(ra::kUpdate, "doc");
  write.data = "{}";
  write.version = -1;
  write.is_write_ack = true;
  write.correlation_id = "w7";
  gate_->Submit(write);
  AnswerLookups();
  EXPECT_TRUE(passed_.empty());
  ASSERT_EQ(client_->sent.size(), 1u);
  EXPECT_EQ(client_->sent[0].action, ra::kMessageDenied);
  EXPECT_EQ(client_->sent[0].is_write_ack, true);
  EXPECT_EQ(client_->sent[0].correlation_id, "w7");
  EXPECT_EQ(client_->sent[0].is_error, true);
}

TEST_F(PermissionGateTest, ARuleThatFailsIsAPermissionError) {
  Load(R"({"record":{"*":{"write":"oldData.open === true"}}})");
  Message write = Record(ra::kUpdate, "broken");
  write.data = "{}";
  write.version = 1;
  gate_->Submit(write);
  AnswerLookups();
  EXPECT_TRUE(passed_.empty());
  ASSERT_EQ(client_->sent.size(), 1u);
  EXPECT_EQ(client_->sent[0].action, ra::kMessagePermissionError);
  EXPECT_EQ(client_->sent[0].name, "broken");
}

TEST_F(PermissionGateTest, EachTopicHasItsOwnRefusal) {
  Load(R"({"event":{"*":{"publish":false}},"rpc":{"*":{"request":false}}})");
  Message emit;
  emit.topic = Topic::kEvent;
  emit.action = event_action::kEmit;
  emit.name = "e";
  gate_->Submit(emit);
  Message request;
  request.topic = Topic::kRpc;
  request.action = rpc_action::kRequest;
  request.name = "p";
  request.correlation_id = "r1";
  gate_->Submit(request);
  ASSERT_EQ(client_->sent.size(), 2u);
  EXPECT_EQ(client_->sent[0].topic, Topic::kEvent);
  EXPECT_EQ(client_->sent[0].action, event_action::kMessageDenied);
  EXPECT_EQ(client_->sent[1].topic, Topic::kRpc);
  EXPECT_EQ(client_->sent[1].action, rpc_action::kMessageDenied);
  EXPECT_EQ(client_->sent[1].correlation_id, "r1");
  EXPECT_TRUE(passed_.empty());
}

}  // namespace
}  // namespace strata
