#include "pubsub/replies.h"

#include <gtest/gtest.h>

namespace strata {
namespace {

Message Subscribe() {
  Message m;
  m.topic = Topic::kRecord;
  m.action = record_action::kSubscribe;
  m.correlation_id = "c1";
  m.names = {"a", "b"};
  return m;
}

TEST(RepliesTest, EchoKeepsTheRequestAndMarksItAnAck) {
  Message echo = replies::Echo(Subscribe());
  EXPECT_EQ(echo.topic, Topic::kRecord);
  EXPECT_EQ(echo.action, record_action::kSubscribe);
  EXPECT_EQ(echo.correlation_id, "c1");
  EXPECT_EQ(echo.names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(echo.is_ack, true);
}

TEST(RepliesTest, BulkAckCarriesNoNames) {
  Message ack = replies::BulkAck(Subscribe());
  EXPECT_EQ(ack.topic, Topic::kRecord);
  EXPECT_EQ(ack.action, record_action::kSubscribe);
  EXPECT_EQ(ack.correlation_id, "c1");
  EXPECT_TRUE(ack.names.empty());
  EXPECT_EQ(ack.is_ack, true);
  EXPECT_FALSE(ack.name.has_value());
}

TEST(RepliesTest, AlreadySubscribedUsesEachTopicsAction) {
  const std::pair<Topic, int32_t> expected[] = {
      {Topic::kRecord, record_action::kMultipleSubscriptions},
      {Topic::kEvent, event_action::kMultipleSubscriptions},
      {Topic::kRpc, rpc_action::kMultipleProviders},
      {Topic::kPresence, presence_action::kMultipleSubscriptions},
  };
  for (const auto& [topic, action] : expected) {
    Message dup = replies::AlreadySubscribed(topic, "x", 25);
    EXPECT_EQ(dup.topic, topic);
    EXPECT_EQ(dup.action, action);
    EXPECT_EQ(dup.name, "x");
    EXPECT_EQ(dup.original_action, 25);
    EXPECT_FALSE(dup.is_ack.has_value());
    EXPECT_FALSE(dup.correlation_id.has_value());
  }
}

TEST(RepliesTest, BulkOrOwnerAcksAndSplitsBulkMessages) {
  Route bulk = replies::BulkOrOwner(Service::kEvents, Subscribe(), /*bulk=*/true);
  EXPECT_EQ(bulk.service, Service::kEvents);
  EXPECT_EQ(bulk.delivery, Delivery::kSplit);
  ASSERT_TRUE(bulk.reply.has_value());
  EXPECT_EQ(bulk.reply->is_ack, true);
  EXPECT_TRUE(bulk.reply->names.empty());
}

TEST(RepliesTest, BulkOrOwnerSendsNamedMessagesToTheirOwnerAndDropsNameless) {
  Message emit;
  emit.topic = Topic::kEvent;
  emit.action = event_action::kEmit;
  Route nameless = replies::BulkOrOwner(Service::kEvents, emit, /*bulk=*/false);
  EXPECT_EQ(nameless.delivery, Delivery::kNone);
  EXPECT_FALSE(nameless.reply.has_value());
  emit.name = "news";
  Route named = replies::BulkOrOwner(Service::kRpcs, emit, /*bulk=*/false);
  EXPECT_EQ(named.service, Service::kRpcs);
  EXPECT_EQ(named.delivery, Delivery::kOwner);
  EXPECT_FALSE(named.reply.has_value());
}

}  // namespace
}  // namespace strata
