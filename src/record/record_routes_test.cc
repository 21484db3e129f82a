// The RECORD protocol's routes: what the sender is told at once and where each action goes.

#include "record/record_routes.h"

#include <gtest/gtest.h>

namespace strata {
namespace {

namespace ra = record_action;

Message Bulk(int32_t action) {
  Message m;
  m.topic = Topic::kRecord;
  m.action = action;
  m.correlation_id = "c1";
  m.names = {"a", "b"};
  return m;
}

TEST(RecordRoutesTest, SubscribeAndReadIsEchoedWithItsNamesThenSplit) {
  for (int32_t action : {ra::kSubscribeAndRead, ra::kSubscribeCreateAndRead}) {
    Route route = record_routes::RouteOf(Bulk(action));
    EXPECT_EQ(route.service, Service::kRecords);
    EXPECT_EQ(route.delivery, Delivery::kSplit);
    ASSERT_TRUE(route.reply.has_value());
    EXPECT_EQ(route.reply->action, action);
    EXPECT_EQ(route.reply->names, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(route.reply->is_ack, true);
  }
}

TEST(RecordRoutesTest, SubscriptionsAreAckedWithoutNamesThenSplit) {
  for (int32_t action : {ra::kSubscribe, ra::kUnsubscribe, ra::kSubscribeAndHead}) {
    Route route = record_routes::RouteOf(Bulk(action));
    EXPECT_EQ(route.delivery, Delivery::kSplit);
    ASSERT_TRUE(route.reply.has_value());
    EXPECT_EQ(route.reply->action, action);
    EXPECT_EQ(route.reply->correlation_id, "c1");
    EXPECT_TRUE(route.reply->names.empty());
    EXPECT_EQ(route.reply->is_ack, true);
  }
}

TEST(RecordRoutesTest, NotifyIsJoinedAndRepliedWhenDone) {
  Route route = record_routes::RouteOf(Bulk(ra::kNotify));
  EXPECT_EQ(route.delivery, Delivery::kSplitJoined);
  EXPECT_FALSE(route.reply.has_value());
  ASSERT_TRUE(route.joined_reply);
  Message ok = route.joined_reply(Status());
  EXPECT_EQ(ok.action, ra::kNotify);
  EXPECT_EQ(ok.is_ack, true);
  EXPECT_EQ(ok.names, (std::vector<std::string>{"a", "b"}));
  Message failed = route.joined_reply(Status::Unavailable("storage down"));
  EXPECT_EQ(failed.action, ra::kRecordNotifyError);
  EXPECT_EQ(failed.correlation_id, "c1");
  EXPECT_EQ(failed.is_error, true);
  EXPECT_FALSE(failed.is_ack.has_value());
  EXPECT_EQ(failed.data, "storage down");
  EXPECT_TRUE(failed.names.empty());
}

TEST(RecordRoutesTest, NamedActionsGoToTheirOwner) {
  for (int32_t action : {ra::kRead, ra::kHead, ra::kUpdate, ra::kPatch, ra::kErase, ra::kDelete,
                         ra::kCreateAndUpdate, ra::kCreateAndPatch}) {
    Message m;
    m.topic = Topic::kRecord;
    m.action = action;
    m.name = "r";
    Route route = record_routes::RouteOf(m);
    EXPECT_EQ(route.delivery, Delivery::kOwner) << action;
    EXPECT_FALSE(route.reply.has_value());
  }
}

TEST(RecordRoutesTest, NamelessClientActionsAreInvalidMessageData) {
  Message update;
  update.topic = Topic::kRecord;
  update.action = ra::kUpdate;
  update.correlation_id = "w1";
  Route route = record_routes::RouteOf(update);
  EXPECT_EQ(route.delivery, Delivery::kNone);
  ASSERT_TRUE(route.reply.has_value());
  EXPECT_EQ(route.reply->action, ra::kInvalidMessageData);
  EXPECT_EQ(route.reply->original_action, ra::kUpdate);
}

TEST(RecordRoutesTest, NamelessServerActionsAreIgnored) {
  Message error;
  error.topic = Topic::kRecord;
  error.action = ra::kVersionExists;
  Route route = record_routes::RouteOf(error);
  EXPECT_EQ(route.delivery, Delivery::kNone);
  EXPECT_FALSE(route.reply.has_value());
}

}  // namespace
}  // namespace strata
