// Which topic's rules route a message: listening before the rest of RECORD and EVENT.

#include "server/message_routes.h"

#include <gtest/gtest.h>

namespace strata {
namespace {

Message Of(Topic topic, int32_t action) {
  Message m;
  m.topic = topic;
  m.action = action;
  m.name = "x";
  return m;
}

TEST(MessageRoutesTest, EachTopicGoesToItsService) {
  EXPECT_EQ(RouteOf(Of(Topic::kRecord, record_action::kRead)).service, Service::kRecords);
  EXPECT_EQ(RouteOf(Of(Topic::kEvent, event_action::kEmit)).service, Service::kEvents);
  EXPECT_EQ(RouteOf(Of(Topic::kRpc, rpc_action::kRequest)).service, Service::kRpcs);
  Route presence = RouteOf(Of(Topic::kPresence, presence_action::kQueryAll));
  EXPECT_EQ(presence.service, Service::kPresence);
  EXPECT_EQ(presence.delivery, Delivery::kFirstShard);
}

TEST(MessageRoutesTest, ListeningComesFirst) {
  Route listen = RouteOf(Of(Topic::kRecord, record_action::kListen));
  EXPECT_EQ(listen.service, Service::kListenPatterns);
  EXPECT_EQ(listen.delivery, Delivery::kHomeShard);
  Message accept = Of(Topic::kEvent, event_action::kListenAccept);
  accept.subscription = "news";
  Route route = RouteOf(accept);
  EXPECT_EQ(route.service, Service::kEventListeners);
  EXPECT_EQ(route.delivery, Delivery::kSubscriptionOwner);
}

TEST(MessageRoutesTest, NamelessListeningIsTheTopicsOwnBusiness) {
  Message listen = Of(Topic::kRecord, record_action::kListen);
  listen.name.reset();
  Route route = RouteOf(listen);
  EXPECT_EQ(route.service, Service::kRecords);
  ASSERT_TRUE(route.reply.has_value());
  EXPECT_EQ(route.reply->action, record_action::kInvalidMessageData);
}

TEST(MessageRoutesTest, UnservedTopicsAreNotRouted) {
  for (Topic topic : {Topic::kMonitoring, Topic::kCluster, Topic::kLock, Topic::kUnknown}) {
    Route route = RouteOf(Of(topic, 1));
    EXPECT_EQ(route.delivery, Delivery::kNone);
    EXPECT_FALSE(route.reply.has_value());
  }
}

}  // namespace
}  // namespace strata
