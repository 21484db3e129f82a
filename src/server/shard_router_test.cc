// ShardRouter with fake handlers and loops: where each Route's delivery lands, on which shard,
// when (at once or posted), and in which order.

#include "server/shard_router.h"

#include <deque>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "testing/fake_client.h"

namespace strata {
namespace {

using testing::FakeClient;

// A loop of its own per shard: posted work waits until the test runs that loop, and
// RunningInThisThread tells which loop the test is "on".
class TestLoop : public Executor {
 public:
  void Post(std::function<void()> fn) override { ready_.push_back(std::move(fn)); }
  void PostAfter(std::chrono::milliseconds, std::function<void()> fn) override { Post(fn); }
  bool RunningInThisThread() const override { return current == this; }
  // Runs what is posted, as this loop.
  void Run() {
    const TestLoop* before = std::exchange(current, this);
    while (!ready_.empty()) {
      auto fn = std::move(ready_.front());
      ready_.pop_front();
      fn();
    }
    current = before;
  }
  size_t pending() const { return ready_.size(); }

  static inline const TestLoop* current = nullptr;

 private:
  std::deque<std::function<void()>> ready_;
};

struct Event {
  size_t shard;
  Service service;
  std::string what;  // "handle", "joined", "login", "remove"
  Message msg;
};

class FakeHandler : public TopicHandler {
 public:
  FakeHandler(size_t shard, Service service, std::vector<Event>& log)
      : shard_(shard), service_(service), log_(log) {}
  void Handle(const std::shared_ptr<Client>&, Message msg) override {
    log_.push_back({shard_, service_, "handle", std::move(msg)});
  }
  void HandleJoined(const std::shared_ptr<Client>&, Message msg, DoneCallback done) override {
    log_.push_back({shard_, service_, "joined", std::move(msg)});
    joined.push_back(std::move(done));
  }
  void Login(const std::shared_ptr<Client>&) override {
    log_.push_back({shard_, service_, "login", {}});
  }
  void RemoveClient(uint64_t) override { log_.push_back({shard_, service_, "remove", {}}); }

  std::vector<DoneCallback> joined;

 private:
  size_t shard_;
  Service service_;
  std::vector<Event>& log_;
};

class HomeClient : public FakeClient {
 public:
  HomeClient(uint64_t id, size_t home) : FakeClient(id, "alice"), home_(home) {}
  size_t home_shard() const override { return home_; }

 private:
  size_t home_;
};

constexpr size_t kShards = 3;

class ShardRouterTest : public ::testing::Test {
 protected:
  ShardRouterTest() {
    std::vector<ShardServices> services;
    for (size_t i = 0; i < kShards; ++i) {
      ShardServices s;
      s.loop = &loops_[i];
      for (size_t k = 0; k < kServiceCount; ++k) {
        const auto service = static_cast<Service>(k);
        if (service == Service::kPresence && i > 0) continue;
        handlers_.push_back(std::make_unique<FakeHandler>(i, service, log_));
        s.handlers[k] = handlers_.back().get();
      }
      services.push_back(s);
    }
    router_ = std::make_unique<ShardRouter>(std::move(services),
                                            [this](const Message&) { return route_; });
  }

  // Dispatches as the client's own loop does.
  void DispatchFrom(size_t shard, Message msg) {
    On(shard, [&] { router_->Dispatch(client_, std::move(msg)); });
  }
  template <typename Fn>
  void On(size_t shard, Fn fn) {
    const TestLoop* before = std::exchange(TestLoop::current, &loops_[shard]);
    fn();
    TestLoop::current = before;
  }
  void RunAll() {
    for (auto& loop : loops_) loop.Run();
  }
  // Two names owned by different shards.
  std::pair<std::string, std::string> NamesOnTwoShards() {
    std::string a = "a";
    for (int i = 0;; ++i) {
      std::string b = "name" + std::to_string(i);
      if (router_->ShardOf(b) != router_->ShardOf(a)) return {a, b};
    }
  }
  Message Record(int32_t action) {
    Message m;
    m.topic = Topic::kRecord;
    m.action = action;
    return m;
  }

  TestLoop loops_[kShards];
  std::vector<Event> log_;
  std::vector<std::unique_ptr<FakeHandler>> handlers_;
  std::unique_ptr<ShardRouter> router_;
  Route route_;
  std::shared_ptr<HomeClient> client_ = std::make_shared<HomeClient>(7, 1);
};

TEST_F(ShardRouterTest, ShardOfIsStableAndInRange) {
  for (int i = 0; i < 100; ++i) {
    const std::string name = "record/" + std::to_string(i);
    EXPECT_LT(router_->ShardOf(name), kShards);
    EXPECT_EQ(router_->ShardOf(name), router_->ShardOf(name));
  }
}

TEST_F(ShardRouterTest, OwnerDeliveryIsPostedToTheOwningShardOnly) {
  route_ = Route{.service = Service::kRecords, .delivery = Delivery::kOwner};
  Message read = Record(record_action::kRead);
  read.name = "some/record";
  const size_t owner = router_->ShardOf(*read.name);
  const size_t home = (owner + 1) % kShards;
  DispatchFrom(home, read);
  EXPECT_TRUE(log_.empty());  // posted, not run on the sender's loop
  EXPECT_EQ(loops_[owner].pending(), 1u);
  RunAll();
  ASSERT_EQ(log_.size(), 1u);
  EXPECT_EQ(log_[0].shard, owner);
  EXPECT_EQ(log_[0].service, Service::kRecords);
  EXPECT_EQ(log_[0].what, "handle");
  EXPECT_EQ(log_[0].msg.name, "some/record");
}

TEST_F(ShardRouterTest, OwnerDeliveryOnTheOwnersLoopRunsAtOnce) {
  route_ = Route{.service = Service::kEvents, .delivery = Delivery::kOwner};
  Message emit;
  emit.topic = Topic::kEvent;
  emit.action = event_action::kEmit;
  emit.name = "news";
  DispatchFrom(router_->ShardOf("news"), emit);
  ASSERT_EQ(log_.size(), 1u);
  EXPECT_EQ(log_[0].service, Service::kEvents);
}

TEST_F(ShardRouterTest, TheReplyGoesFirstThenTheParts) {
  auto [a, b] = NamesOnTwoShards();
  Message sub = Record(record_action::kSubscribe);
  sub.names = {a, b, a + "x"};
  sub.correlation_id = "c9";
  sub.data = "dropped from the parts";
  Message ack;
  ack.topic = Topic::kRecord;
  ack.action = record_action::kSubscribe;
  route_ = Route{.service = Service::kRecords, .delivery = Delivery::kSplit, .reply = ack};
  DispatchFrom(0, sub);
  ASSERT_EQ(client_->sent.size(), 1u);
  EXPECT_EQ(client_->sent[0].action, record_action::kSubscribe);
  RunAll();
  std::map<size_t, std::vector<std::string>> got;
  for (const Event& e : log_) {
    EXPECT_EQ(e.what, "handle");
    EXPECT_EQ(e.msg.topic, Topic::kRecord);
    EXPECT_EQ(e.msg.action, record_action::kSubscribe);
    EXPECT_EQ(e.msg.correlation_id, "c9");
    EXPECT_FALSE(e.msg.data.has_value());
    for (const std::string& n : e.msg.names) {
      EXPECT_EQ(router_->ShardOf(n), e.shard);
      got[e.shard].push_back(n);
    }
  }
  size_t total = 0;
  for (const auto& [shard, names] : got) total += names.size();
  EXPECT_EQ(total, 3u);
  EXPECT_GE(got.size(), 2u);
  EXPECT_EQ(log_.size(), got.size());  // one part per shard that owns names, no empty parts
}

TEST_F(ShardRouterTest, JoinedRepliesOnceEveryPartIsDoneWithTheFirstError) {
  auto [a, b] = NamesOnTwoShards();
  Message notify = Record(record_action::kNotify);
  notify.names = {a, b};
  std::vector<Status> replies_for;
  route_ = Route{.service = Service::kRecords,
                 .delivery = Delivery::kSplitJoined,
                 .joined_reply = [&replies_for](const Status& s) {
                   replies_for.push_back(s);
                   Message m;
                   m.action = record_action::kNotify;
                   return m;
                 }};
  DispatchFrom(0, notify);
  RunAll();
  ASSERT_EQ(log_.size(), 2u);
  EXPECT_EQ(log_[0].what, "joined");
  FakeHandler* first = nullptr;
  FakeHandler* second = nullptr;
  for (auto& h : handlers_) {
    if (h->joined.empty()) continue;
    (first ? second : first) = h.get();
  }
  ASSERT_TRUE(first && second);
  first->joined[0](Status::Unavailable("storage down"));
  EXPECT_TRUE(client_->sent.empty());
  second->joined[0](Status::Internal("later error"));
  ASSERT_EQ(client_->sent.size(), 1u);
  ASSERT_EQ(replies_for.size(), 1u);
  EXPECT_EQ(replies_for[0].message(), "storage down");
}

TEST_F(ShardRouterTest, JoinedWithoutNamesRepliesAtOnce) {
  Message notify = Record(record_action::kNotify);
  int calls = 0;
  route_ = Route{.service = Service::kRecords,
                 .delivery = Delivery::kSplitJoined,
                 .joined_reply = [&calls](const Status& s) {
                   EXPECT_TRUE(s.ok());
                   ++calls;
                   return Message{};
                 }};
  DispatchFrom(2, notify);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(client_->sent.size(), 1u);
  RunAll();
  EXPECT_TRUE(log_.empty());
}

TEST_F(ShardRouterTest, FirstShardKeepsPresence) {
  route_ = Route{.service = Service::kPresence, .delivery = Delivery::kFirstShard};
  Message query;
  query.topic = Topic::kPresence;
  query.action = presence_action::kQueryAll;
  DispatchFrom(2, query);
  RunAll();
  ASSERT_EQ(log_.size(), 1u);
  EXPECT_EQ(log_[0].shard, 0u);
  EXPECT_EQ(log_[0].service, Service::kPresence);
}

TEST_F(ShardRouterTest, HomeShardRunsAtOnceOnTheClientsShard) {
  route_ = Route{.service = Service::kListenPatterns, .delivery = Delivery::kHomeShard};
  Message listen = Record(record_action::kListen);
  listen.name = "a/.*";
  DispatchFrom(client_->home_shard(), listen);
  ASSERT_EQ(log_.size(), 1u);  // no post
  EXPECT_EQ(log_[0].shard, client_->home_shard());
  EXPECT_EQ(log_[0].service, Service::kListenPatterns);
}

TEST_F(ShardRouterTest, SubscriptionOwnerGoesByTheSubscription) {
  route_ = Route{.service = Service::kEventListeners, .delivery = Delivery::kSubscriptionOwner};
  Message accept;
  accept.topic = Topic::kEvent;
  accept.action = event_action::kListenAccept;
  accept.name = "pattern";
  accept.subscription = "news/today";
  DispatchFrom(0, accept);
  RunAll();
  ASSERT_EQ(log_.size(), 1u);
  EXPECT_EQ(log_[0].shard, router_->ShardOf("news/today"));
  EXPECT_EQ(log_[0].service, Service::kEventListeners);
}

TEST_F(ShardRouterTest, NoDeliverySendsOnlyTheReply) {
  Message reply;
  reply.action = record_action::kInvalidMessageData;
  route_ = Route{.delivery = Delivery::kNone, .reply = reply};
  DispatchFrom(0, Record(record_action::kRead));
  RunAll();
  EXPECT_TRUE(log_.empty());
  ASSERT_EQ(client_->sent.size(), 1u);
  EXPECT_EQ(client_->sent[0].action, record_action::kInvalidMessageData);
}

TEST_F(ShardRouterTest, LoginGoesToPresenceOnShardZero) {
  On(1, [&] { router_->Login(client_); });
  RunAll();
  ASSERT_EQ(log_.size(), 1u);
  EXPECT_EQ(log_[0].shard, 0u);
  EXPECT_EQ(log_[0].service, Service::kPresence);
  EXPECT_EQ(log_[0].what, "login");
}

TEST_F(ShardRouterTest, DisconnectCleansEveryShardInOrder) {
  On(1, [&] { router_->Disconnect(client_, /*logged_in=*/true); });
  // The home shard's listen patterns go first; its own cleanup runs at once too.
  ASSERT_EQ(log_.size(), 6u);
  EXPECT_EQ(log_[0].shard, 1u);
  EXPECT_EQ(log_[0].service, Service::kListenPatterns);
  EXPECT_EQ(loops_[1].pending(), 0u);
  RunAll();
  std::map<size_t, std::vector<Service>> per_shard;
  for (size_t i = 1; i < log_.size(); ++i) {
    EXPECT_EQ(log_[i].what, "remove");
    per_shard[log_[i].shard].push_back(log_[i].service);
  }
  const std::vector<Service> order = {Service::kRecords, Service::kEvents,
                                      Service::kRecordListeners, Service::kEventListeners,
                                      Service::kRpcs};
  std::vector<Service> shard0 = {Service::kPresence};
  shard0.insert(shard0.end(), order.begin(), order.end());
  EXPECT_EQ(per_shard[0], shard0);  // presence first: it was posted first
  EXPECT_EQ(per_shard[1], order);
  EXPECT_EQ(per_shard[2], order);
}

TEST_F(ShardRouterTest, DisconnectOfAClientThatNeverLoggedInLeavesPresenceAlone) {
  On(2, [&] { router_->Disconnect(client_, /*logged_in=*/false); });
  RunAll();
  for (const Event& e : log_) EXPECT_NE(e.service, Service::kPresence);
}

TEST_F(ShardRouterTest, MessagesFromOneLoopToOneShardKeepTheirOrder) {
  route_ = Route{.service = Service::kRecords, .delivery = Delivery::kOwner};
  const size_t owner = router_->ShardOf("r");
  for (int i = 0; i < 5; ++i) {
    Message write = Record(record_action::kUpdate);
    write.name = "r";
    write.version = i;
    DispatchFrom((owner + 1) % kShards, write);
  }
  RunAll();
  ASSERT_EQ(log_.size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(log_[i].msg.version, i);
}

}  // namespace
}  // namespace strata
