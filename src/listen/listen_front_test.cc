// ListenFront: LISTEN/UNLISTEN answered on the connection's loop, then applied to every shard's
// registry; and which listening messages it routes where.

#include "listen/listen_front.h"

#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "testing/fake_client.h"
#include "testing/manual_loop.h"

namespace strata {
namespace {

namespace ra = record_action;
namespace ea = event_action;
using std::chrono::milliseconds;
using testing::FakeClient;
using testing::ManualLoop;

constexpr size_t kShards = 2;

class ListenFrontTest : public ::testing::Test {
 protected:
  ListenFrontTest() {
    for (size_t i = 0; i < kShards; ++i) {
      shards_.push_back(std::make_unique<Registries>(loop_));
    }
  }

  struct Registries {
    explicit Registries(ManualLoop& loop)
        : records(Topic::kRecord, ListenOptions{milliseconds(500), false}, loop, record_subs),
          events(Topic::kEvent, ListenOptions{milliseconds(500), false}, loop, event_subs) {}
    SubscriptionRegistry record_subs;
    SubscriptionRegistry event_subs;
    ListenerRegistry records;
    ListenerRegistry events;
  };

  Message Of(Topic topic, int32_t action, const std::string& pattern) {
    Message m;
    m.topic = topic;
    m.action = action;
    m.name = pattern;
    return m;
  }
  size_t Patterns(Topic topic) {
    size_t total = 0;
    for (auto& s : shards_) {
      total += (topic == Topic::kRecord ? s->records : s->events).pattern_count();
    }
    return total;
  }

  ManualLoop loop_;
  std::vector<std::unique_ptr<Registries>> shards_;
  int applied_ = 0;  // calls to every_registry
  ListenFront front_{[this](Topic topic, std::function<void(ListenerRegistry&)> fn) {
    ++applied_;
    for (auto& s : shards_) fn(topic == Topic::kRecord ? s->records : s->events);
  }};
  std::shared_ptr<FakeClient> client_ = std::make_shared<FakeClient>(1, "provider");
};

TEST_F(ListenFrontTest, ListenIsAckedAndReachesEveryShard) {
  front_.Handle(client_, Of(Topic::kRecord, ra::kListen, "cars/.*"));
  ASSERT_EQ(client_->sent.size(), 1u);
  EXPECT_EQ(client_->sent[0].action, ra::kListen);
  EXPECT_EQ(client_->sent[0].name, "cars/.*");
  EXPECT_EQ(client_->sent[0].is_ack, true);
  EXPECT_EQ(Patterns(Topic::kRecord), kShards);
  EXPECT_EQ(Patterns(Topic::kEvent), 0u);
}

TEST_F(ListenFrontTest, ASecondListenIsMultipleSubscriptions) {
  front_.Handle(client_, Of(Topic::kEvent, ea::kListen, "news/.*"));
  front_.Handle(client_, Of(Topic::kEvent, ea::kListen, "news/.*"));
  ASSERT_EQ(client_->sent.size(), 2u);
  EXPECT_EQ(client_->sent[1].action, ea::kMultipleSubscriptions);
  EXPECT_EQ(client_->sent[1].name, "news/.*");
  EXPECT_EQ(client_->sent[1].original_action, ea::kListen);
  EXPECT_EQ(applied_, 1);
  EXPECT_EQ(Patterns(Topic::kEvent), kShards);
}

TEST_F(ListenFrontTest, TheSamePatternOnTheOtherTopicIsAnotherListen) {
  front_.Handle(client_, Of(Topic::kEvent, ea::kListen, "x"));
  front_.Handle(client_, Of(Topic::kRecord, ra::kListen, "x"));
  EXPECT_EQ(client_->With(ra::kListen).size(), 1u);
  EXPECT_EQ(applied_, 2);
}

TEST_F(ListenFrontTest, AnInvalidPatternIsRefusedAndAppliedNowhere) {
  front_.Handle(client_, Of(Topic::kRecord, ra::kListen, "a(?=b)"));
  ASSERT_EQ(client_->sent.size(), 1u);
  EXPECT_EQ(client_->sent[0].action, ra::kInvalidListenRegex);
  EXPECT_EQ(client_->sent[0].name, "a(?=b)");
  EXPECT_EQ(applied_, 0);
}

TEST_F(ListenFrontTest, UnlistenOfAPatternNotListenedToIsNotAnswered) {
  front_.Handle(client_, Of(Topic::kRecord, ra::kUnlisten, "cars/.*"));
  EXPECT_TRUE(client_->sent.empty());
  EXPECT_EQ(applied_, 0);
}

TEST_F(ListenFrontTest, UnlistenIsAckedAndRemovesThePatternEverywhere) {
  front_.Handle(client_, Of(Topic::kRecord, ra::kListen, "cars/.*"));
  front_.Handle(client_, Of(Topic::kRecord, ra::kUnlisten, "cars/.*"));
  ASSERT_EQ(client_->sent.size(), 2u);
  EXPECT_EQ(client_->sent[1].action, ra::kUnlisten);
  EXPECT_EQ(client_->sent[1].is_ack, true);
  EXPECT_EQ(Patterns(Topic::kRecord), 0u);
  // Listening again is a fresh LISTEN, not a duplicate.
  front_.Handle(client_, Of(Topic::kRecord, ra::kListen, "cars/.*"));
  EXPECT_EQ(client_->With(ra::kListen).size(), 2u);
}

TEST_F(ListenFrontTest, ADisconnectedClientsPatternsAreForgotten) {
  front_.Handle(client_, Of(Topic::kRecord, ra::kListen, "cars/.*"));
  front_.RemoveClient(client_->id());
  front_.Handle(client_, Of(Topic::kRecord, ra::kUnlisten, "cars/.*"));
  EXPECT_EQ(client_->sent.size(), 1u);  // only the first ack
}

TEST(ListenFrontRouteTest, ListenAndUnlistenGoToTheSendersShard) {
  const std::pair<Topic, int32_t> listening[] = {{Topic::kRecord, ra::kListen},
                                                 {Topic::kRecord, ra::kUnlisten},
                                                 {Topic::kEvent, ea::kListen},
                                                 {Topic::kEvent, ea::kUnlisten}};
  for (auto [topic, action] : listening) {
    Message m;
    m.topic = topic;
    m.action = action;
    m.name = "p";
    std::optional<Route> route = ListenFront::RouteOf(m);
    ASSERT_TRUE(route.has_value());
    EXPECT_EQ(route->service, Service::kListenPatterns);
    EXPECT_EQ(route->delivery, Delivery::kHomeShard);
    m.name.reset();
    m.subscription = "s";
    route = ListenFront::RouteOf(m);  // nameless: nothing to do
    ASSERT_TRUE(route.has_value());
    EXPECT_EQ(route->delivery, Delivery::kNone);
  }
}

TEST(ListenFrontRouteTest, AnswersGoToTheOwnerOfTheSubscription) {
  Message accept;
  accept.topic = Topic::kRecord;
  accept.action = ra::kListenReject;
  accept.name = "p";
  accept.subscription = "cars/1";
  std::optional<Route> route = ListenFront::RouteOf(accept);
  ASSERT_TRUE(route.has_value());
  EXPECT_EQ(route->service, Service::kRecordListeners);
  EXPECT_EQ(route->delivery, Delivery::kSubscriptionOwner);
  accept.subscription.reset();
  route = ListenFront::RouteOf(accept);
  ASSERT_TRUE(route.has_value());
  EXPECT_EQ(route->delivery, Delivery::kNone);
}

TEST(ListenFrontRouteTest, OtherMessagesAreNotListening) {
  Message read;
  read.topic = Topic::kRecord;
  read.action = ra::kRead;
  read.name = "r";
  EXPECT_FALSE(ListenFront::RouteOf(read).has_value());
  Message bare;
  bare.topic = Topic::kEvent;
  bare.action = ea::kListen;  // neither name nor subscription
  EXPECT_FALSE(ListenFront::RouteOf(bare).has_value());
}

}  // namespace
}  // namespace strata
