#include "listen/listener_registry.h"

#include <memory>
#include <string>

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

class ListenerRegistryTest : public ::testing::Test {
 protected:
  explicit ListenerRegistryTest(Topic topic = Topic::kRecord)
      : registry_(topic, ListenOptions{milliseconds(500), false}, loop_, subscriptions_) {}

  std::shared_ptr<FakeClient> NewClient() {
    const uint64_t id = ++next_id_;
    return std::make_shared<FakeClient>(id, "u" + std::to_string(id));
  }
  // A new client that listens to `pattern`.
  std::shared_ptr<FakeClient> NewProvider(const std::string& pattern) {
    auto provider = NewClient();
    Listen(provider, pattern);
    return provider;
  }
  // A new client subscribed to `name`.
  std::shared_ptr<FakeClient> NewSubscriber(const std::string& name) {
    auto subscriber = NewClient();
    subscriptions_.Subscribe(name, subscriber);
    return subscriber;
  }
  void Listen(const std::shared_ptr<FakeClient>& provider, const std::string& pattern) {
    auto compiled = ListenPattern::Compile(pattern);
    ASSERT_TRUE(compiled.ok());
    registry_.Listen(provider, *compiled);
  }
  void Answer(const std::shared_ptr<FakeClient>& provider, int32_t action,
              const std::string& pattern, const std::string& name) {
    Message msg;
    msg.topic = Topic::kRecord;
    msg.action = action;
    msg.name = pattern;
    msg.subscription = name;
    registry_.OnResponse(provider, msg);
  }
  void Disconnect(const std::shared_ptr<FakeClient>& client) {
    client->connected_flag = false;
    subscriptions_.RemoveClient(client->id());  // as the server does: subscriptions first
    registry_.RemoveClient(client->id());
  }
  static Message Found(const std::string& pattern, const std::string& name) {
    return Named(ra::kSubscriptionForPatternFound, pattern, name);
  }
  static Message Removed(const std::string& pattern, const std::string& name) {
    return Named(ra::kSubscriptionForPatternRemoved, pattern, name);
  }
  static Message Named(int32_t action, const std::string& pattern, const std::string& name) {
    Message m;
    m.topic = Topic::kRecord;
    m.action = action;
    m.name = pattern;
    m.subscription = name;
    return m;
  }

  ManualLoop loop_;
  SubscriptionRegistry subscriptions_;
  ListenerRegistry registry_;
  uint64_t next_id_ = 0;
};

TEST_F(ListenerRegistryTest, AcceptGivesSubscribersAProvider) {
  auto provider = NewClient();
  auto subscriber = NewClient();
  Listen(provider, "li/.*");
  subscriptions_.Subscribe("li/1", subscriber);
  ASSERT_EQ(provider->sent.size(), 1u);
  EXPECT_EQ(provider->sent[0], Found("li/.*", "li/1"));
  EXPECT_TRUE(subscriber->sent.empty());

  Answer(provider, ra::kListenAccept, "li/.*", "li/1");
  ASSERT_EQ(subscriber->With(ra::kSubscriptionHasProvider).size(), 1u);
  Message has = subscriber->With(ra::kSubscriptionHasProvider)[0];
  EXPECT_EQ(has.name, "li/1");
  EXPECT_FALSE(has.subscription);
  EXPECT_TRUE(registry_.HasProvider("li/1"));

  auto later = NewSubscriber("li/1");
  EXPECT_EQ(later->With(ra::kSubscriptionHasProvider).size(), 1u);
  EXPECT_EQ(provider->sent.size(), 1u);  // asked once only
  loop_.Advance(milliseconds(1000));     // the accepted question's timer is harmless
  EXPECT_EQ(provider->sent.size(), 1u);
}

TEST_F(ListenerRegistryTest, NonMatchingNamesAreNotOffered) {
  auto provider = NewProvider("^li/");
  subscriptions_.Subscribe("x/li/1", NewClient());
  EXPECT_TRUE(provider->sent.empty());
}

TEST_F(ListenerRegistryTest, RejectAsksTheNextProviderThenWaitsForANewPattern) {
  auto first = NewProvider("li/.*");
  auto second = NewProvider("li/");
  auto subscriber = NewSubscriber("li/1");
  EXPECT_EQ(first->sent.back(), Found("li/.*", "li/1"));
  EXPECT_TRUE(second->sent.empty());
  Answer(first, ra::kListenReject, "li/.*", "li/1");
  EXPECT_EQ(second->sent.back(), Found("li/", "li/1"));
  Answer(second, ra::kListenReject, "li/", "li/1");
  EXPECT_FALSE(registry_.HasProvider("li/1"));
  loop_.Advance(milliseconds(2000));
  EXPECT_EQ(first->sent.size(), 1u);
  EXPECT_EQ(second->sent.size(), 1u);

  // A new pattern starts a new search, with every matching provider (as deepstream does).
  auto third = NewProvider("1$");
  EXPECT_EQ(first->sent.back(), Found("li/.*", "li/1"));
  Answer(first, ra::kListenReject, "li/.*", "li/1");
  Answer(second, ra::kListenReject, "li/", "li/1");
  ASSERT_EQ(third->sent.size(), 1u);
  EXPECT_EQ(third->sent.back(), Found("1$", "li/1"));
  Answer(third, ra::kListenAccept, "1$", "li/1");
  EXPECT_EQ(subscriber->With(ra::kSubscriptionHasProvider).size(), 1u);
}

TEST_F(ListenerRegistryTest, NoAnswerTimesOutAndAsksTheNext) {
  auto slow = NewProvider("li/.*");
  auto fast = NewProvider("li/.*");
  auto subscriber = NewSubscriber("li/1");
  loop_.Advance(milliseconds(499));
  EXPECT_TRUE(fast->sent.empty());
  loop_.Advance(milliseconds(1));
  ASSERT_EQ(slow->With(ra::kListenResponseTimeout).size(), 1u);
  Message timeout = slow->With(ra::kListenResponseTimeout)[0];
  EXPECT_EQ(timeout.subscription, "li/1");
  EXPECT_FALSE(timeout.name);
  EXPECT_EQ(fast->sent.back(), Found("li/.*", "li/1"));

  // The slow one accepts too late: it is told to stop, and nothing changes for subscribers.
  Answer(slow, ra::kListenAccept, "li/.*", "li/1");
  EXPECT_EQ(slow->sent.back(), Removed("li/.*", "li/1"));
  EXPECT_TRUE(subscriber->With(ra::kSubscriptionHasProvider).empty());
  Answer(fast, ra::kListenAccept, "li/.*", "li/1");
  EXPECT_EQ(subscriber->With(ra::kSubscriptionHasProvider).size(), 1u);
  // A repeated accept from the provider itself changes nothing.
  size_t sent = fast->sent.size();
  Answer(fast, ra::kListenAccept, "li/.*", "li/1");
  EXPECT_EQ(fast->sent.size(), sent);
}

TEST_F(ListenerRegistryTest, StaleAnswersAreHarmless) {
  auto provider = NewProvider("li/.*");
  Answer(provider, ra::kListenReject, "li/.*", "li/none");
  EXPECT_TRUE(provider->sent.empty());
  Answer(provider, ra::kListenAccept, "li/.*", "li/none");
  EXPECT_EQ(provider->sent.back(), Removed("li/.*", "li/none"));
  EXPECT_FALSE(registry_.HasProvider("li/none"));
  Message no_subscription;
  no_subscription.action = ra::kListenAccept;
  registry_.OnResponse(provider, no_subscription);
}

TEST_F(ListenerRegistryTest, LastSubscriberLeavingTellsTheProvider) {
  auto provider = NewProvider("li/.*");
  auto a = NewClient();
  auto b = NewClient();
  auto c = NewClient();
  subscriptions_.Subscribe("li/1", a);
  Answer(provider, ra::kListenAccept, "li/.*", "li/1");
  subscriptions_.Subscribe("li/1", b);
  subscriptions_.Subscribe("li/1", c);
  subscriptions_.Unsubscribe("li/1", a->id());
  Disconnect(b);
  EXPECT_TRUE(provider->With(ra::kSubscriptionForPatternRemoved).empty());
  subscriptions_.RemoveName("li/1");  // deleted
  EXPECT_EQ(provider->sent.back(), Removed("li/.*", "li/1"));
  EXPECT_FALSE(registry_.HasProvider("li/1"));

  subscriptions_.Subscribe("li/1", a);  // a new first subscriber: asked again
  EXPECT_EQ(provider->sent.back(), Found("li/.*", "li/1"));
  Answer(provider, ra::kListenAccept, "li/.*", "li/1");
  Disconnect(a);
  EXPECT_EQ(provider->sent.back(), Removed("li/.*", "li/1"));
}

TEST_F(ListenerRegistryTest, LastSubscriberLeavingEndsTheSearch) {
  auto first = NewProvider("li/.*");
  auto second = NewProvider("li/.*");
  auto subscriber = NewSubscriber("li/1");
  subscriptions_.Unsubscribe("li/1", subscriber->id());
  loop_.Advance(milliseconds(2000));
  EXPECT_TRUE(first->With(ra::kListenResponseTimeout).empty());
  EXPECT_TRUE(second->sent.empty());
  Answer(first, ra::kListenAccept, "li/.*", "li/1");
  EXPECT_EQ(first->sent.back(), Removed("li/.*", "li/1"));
}

TEST_F(ListenerRegistryTest, ProviderDisconnectFindsAnotherProvider) {
  auto first = NewProvider("li/.*");
  auto second = NewProvider("li/.*");
  auto subscriber = NewSubscriber("li/1");
  Answer(first, ra::kListenAccept, "li/.*", "li/1");
  EXPECT_TRUE(second->sent.empty());
  Disconnect(first);
  ASSERT_EQ(subscriber->With(ra::kSubscriptionHasNoProvider).size(), 1u);
  EXPECT_EQ(subscriber->With(ra::kSubscriptionHasNoProvider)[0].name, "li/1");
  EXPECT_EQ(second->sent.back(), Found("li/.*", "li/1"));
  Answer(second, ra::kListenAccept, "li/.*", "li/1");
  EXPECT_EQ(subscriber->With(ra::kSubscriptionHasProvider).size(), 2u);
  EXPECT_EQ(registry_.pattern_count(), 1u);
}

TEST_F(ListenerRegistryTest, UnlistenDropsWhatItProvided) {
  auto first = NewProvider("li/.*");
  Listen(first, "other");
  auto second = NewProvider("li/.*");
  auto subscriber = NewSubscriber("li/1");
  Answer(first, ra::kListenAccept, "li/.*", "li/1");
  registry_.Unlisten(first->id(), "other");  // not the pattern it provides with
  EXPECT_TRUE(subscriber->With(ra::kSubscriptionHasNoProvider).empty());
  size_t first_sent = first->sent.size();
  registry_.Unlisten(first->id(), "li/.*");
  EXPECT_EQ(subscriber->With(ra::kSubscriptionHasNoProvider).size(), 1u);
  EXPECT_EQ(first->sent.size(), first_sent);  // deepstream does not tell it
  EXPECT_EQ(second->sent.back(), Found("li/.*", "li/1"));
  registry_.Unlisten(first->id(), "never");  // harmless
  EXPECT_EQ(registry_.pattern_count(), 1u);
}

TEST_F(ListenerRegistryTest, UnlistenWhileAskedMovesOnAtOnce) {
  auto first = NewProvider("li/.*");
  auto second = NewProvider("li/.*");
  subscriptions_.Subscribe("li/1", NewClient());
  registry_.Unlisten(first->id(), "li/.*");
  EXPECT_EQ(second->sent.back(), Found("li/.*", "li/1"));
  loop_.Advance(milliseconds(500));  // the first question's timer is stale; second times out
  EXPECT_TRUE(first->With(ra::kListenResponseTimeout).empty());
  EXPECT_EQ(second->With(ra::kListenResponseTimeout).size(), 1u);
}

TEST_F(ListenerRegistryTest, NewPatternMatchesExistingSubscriptions) {
  auto subscriber = NewSubscriber("li/1");
  subscriptions_.Subscribe("li/2", subscriber);
  subscriptions_.Subscribe("x/3", subscriber);
  auto first = NewProvider("li/");
  EXPECT_EQ(first->With(ra::kSubscriptionForPatternFound).size(), 2u);
  // A second provider arriving during the search is asked after the first.
  auto second = NewProvider("li/1");
  EXPECT_TRUE(second->sent.empty());
  Answer(first, ra::kListenReject, "li/", "li/1");
  EXPECT_EQ(second->sent.back(), Found("li/1", "li/1"));
}

TEST_F(ListenerRegistryTest, ProviderIsOfferedWhatItSubscribesItself) {
  auto provider = NewProvider("li/.*");
  subscriptions_.Subscribe("li/own", provider);
  EXPECT_EQ(provider->sent.back(), Found("li/.*", "li/own"));
}

TEST_F(ListenerRegistryTest, DisconnectedProvidersAreSkipped) {
  auto gone = NewProvider("li/.*");
  auto here = NewProvider("li/.*");
  gone->connected_flag = false;  // RemoveClient not run yet
  subscriptions_.Subscribe("li/1", NewClient());
  EXPECT_TRUE(gone->sent.empty());
  EXPECT_EQ(here->sent.back(), Found("li/.*", "li/1"));
  auto late = NewClient();
  late->connected_flag = false;
  Listen(late, "li/.*");
  EXPECT_EQ(registry_.pattern_count(), 2u);
}

TEST(ListenerRegistryShuffle, AsksProvidersInRandomOrder) {
  ManualLoop loop;
  SubscriptionRegistry subscriptions;
  ListenerRegistry registry(Topic::kRecord, ListenOptions{milliseconds(500), true}, loop,
                            subscriptions);
  auto a = std::make_shared<FakeClient>(1, "a");
  auto b = std::make_shared<FakeClient>(2, "b");
  auto pattern = ListenPattern::Compile("n/");
  ASSERT_TRUE(pattern.ok());
  registry.Listen(a, *pattern);
  registry.Listen(b, *pattern);
  auto subscriber = std::make_shared<FakeClient>(3, "s");
  for (int i = 0; i < 64; ++i) subscriptions.Subscribe("n/" + std::to_string(i), subscriber);
  EXPECT_GT(a->sent.size(), 0u);
  EXPECT_GT(b->sent.size(), 0u);
  EXPECT_EQ(a->sent.size() + b->sent.size(), 64u);
}

class EventListenerRegistryTest : public ListenerRegistryTest {
 protected:
  EventListenerRegistryTest() : ListenerRegistryTest(Topic::kEvent) {}
};

TEST_F(EventListenerRegistryTest, EventSubscribersAreNeverToldAboutProviders) {
  auto first = NewProvider("ev/.*");
  auto second = NewProvider("ev/.*");
  auto subscriber = NewSubscriber("ev/1");
  ASSERT_EQ(first->sent.size(), 1u);
  EXPECT_EQ(first->sent[0].topic, Topic::kEvent);
  EXPECT_EQ(first->sent[0].action, ea::kSubscriptionForPatternFound);
  Message accept;
  accept.topic = Topic::kEvent;
  accept.action = ea::kListenAccept;
  accept.name = "ev/.*";
  accept.subscription = "ev/1";
  registry_.OnResponse(first, accept);
  EXPECT_TRUE(registry_.HasProvider("ev/1"));
  subscriptions_.Subscribe("ev/1", NewClient());
  Disconnect(first);
  EXPECT_TRUE(subscriber->sent.empty());
  EXPECT_EQ(second->sent.back().action, ea::kSubscriptionForPatternFound);
  loop_.Advance(milliseconds(500));
  EXPECT_EQ(second->sent.back().action, ea::kListenResponseTimeout);
}

}  // namespace
}  // namespace strata
