#include "event/event_handler.h"

#include <gtest/gtest.h>

#include "testing/fake_client.h"

namespace strata {
namespace {

using testing::FakeClient;
namespace ea = event_action;

Message EventMessage(int32_t action, std::vector<std::string> names) {
  Message m;
  m.topic = Topic::kEvent;
  m.action = action;
  m.names = std::move(names);
  m.correlation_id = "1";
  return m;
}

Message Emit(std::string name, std::optional<std::string> data) {
  Message m;
  m.topic = Topic::kEvent;
  m.action = ea::kEmit;
  m.name = std::move(name);
  m.data = std::move(data);
  return m;
}

class EventHandlerTest : public ::testing::Test {
 protected:
  EventHandler events_;
  std::shared_ptr<FakeClient> alice_ = std::make_shared<FakeClient>(1, "alice");
  std::shared_ptr<FakeClient> bob_ = std::make_shared<FakeClient>(2, "bob");
  std::shared_ptr<FakeClient> carol_ = std::make_shared<FakeClient>(3, "carol");
};

TEST_F(EventHandlerTest, EmitReachesEverySubscriberButTheSender) {
  events_.Handle(alice_, EventMessage(ea::kSubscribe, {"news"}));
  events_.Handle(bob_, EventMessage(ea::kSubscribe, {"news", "other"}));
  events_.Handle(alice_, Emit("news", R"({"k":1})"));
  EXPECT_TRUE(alice_->With(ea::kEmit).empty());
  ASSERT_EQ(bob_->With(ea::kEmit).size(), 1u);
  EXPECT_EQ(bob_->With(ea::kEmit)[0].data, R"({"k":1})");
  EXPECT_TRUE(carol_->With(ea::kEmit).empty());
}

TEST_F(EventHandlerTest, EmitWithoutDataStaysWithoutData) {
  events_.Handle(bob_, EventMessage(ea::kSubscribe, {"ping"}));
  events_.Handle(carol_, Emit("ping", std::nullopt));
  ASSERT_EQ(bob_->With(ea::kEmit).size(), 1u);
  EXPECT_FALSE(bob_->With(ea::kEmit)[0].data.has_value());
}

TEST_F(EventHandlerTest, SubscribingTwiceReportsMultipleSubscriptionsAndDeliversOnce) {
  events_.Handle(bob_, EventMessage(ea::kSubscribe, {"x"}));
  events_.Handle(bob_, EventMessage(ea::kSubscribe, {"x"}));
  auto dup = bob_->With(ea::kMultipleSubscriptions);
  ASSERT_EQ(dup.size(), 1u);
  EXPECT_EQ(dup[0].name, "x");
  EXPECT_EQ(dup[0].original_action, ea::kSubscribe);
  events_.Handle(alice_, Emit("x", "1"));
  EXPECT_EQ(bob_->With(ea::kEmit).size(), 1u);
}

TEST_F(EventHandlerTest, UnsubscribeAndDisconnectStopDelivery) {
  events_.Handle(bob_, EventMessage(ea::kSubscribe, {"x"}));
  events_.Handle(carol_, EventMessage(ea::kSubscribe, {"x"}));
  events_.Handle(bob_, EventMessage(ea::kUnsubscribe, {"x", "never-subscribed"}));
  events_.RemoveClient(carol_->id());
  events_.Handle(alice_, Emit("x", "1"));
  EXPECT_TRUE(bob_->With(ea::kEmit).empty());
  EXPECT_TRUE(carol_->With(ea::kEmit).empty());
  EXPECT_FALSE(events_.subscriptions().HasSubscribers("x"));
}

}  // namespace
}  // namespace strata
