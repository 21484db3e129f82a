#include "presence/presence_handler.h"

#include <gtest/gtest.h>

#include "presence/presence_messages.h"
#include "testing/fake_client.h"

namespace strata {
namespace {

using testing::FakeClient;
namespace pa = presence_action;

Message Presence(int32_t action, std::vector<std::string> names = {},
                 std::optional<std::string> correlation_id = std::nullopt) {
  Message m;
  m.topic = Topic::kPresence;
  m.action = action;
  m.names = std::move(names);
  m.correlation_id = std::move(correlation_id);
  return m;
}

// What the server sends: {action, name}, nothing else.
Message Announcement(int32_t action, const std::string& user) {
  Message m;
  m.topic = Topic::kPresence;
  m.action = action;
  m.name = user;
  return m;
}

class PresenceHandlerTest : public ::testing::Test {
 protected:
  std::shared_ptr<FakeClient> Connect(uint64_t id, const std::string& user) {
    auto client = std::make_shared<FakeClient>(id, user);
    presence_.Login(client);
    return client;
  }
  void Disconnect(const std::shared_ptr<FakeClient>& client) {
    client->connected_flag = false;
    presence_.Logout(client);
  }

  PresenceHandler presence_;
};

TEST_F(PresenceHandlerTest, SubscribeAllIsAckedWithActionAndIsAckOnly) {
  auto alice = Connect(1, "alice");
  presence_.Handle(alice, Presence(pa::kSubscribeAll, {}, "ignored"));
  ASSERT_EQ(alice->sent.size(), 1u);
  Message ack;
  ack.topic = Topic::kPresence;
  ack.action = pa::kSubscribeAll;
  ack.is_ack = true;
  EXPECT_EQ(alice->sent[0], ack);
}

TEST_F(PresenceHandlerTest, SubscribeIsAckedWithCorrelationIdAndNoNames) {
  auto alice = Connect(1, "alice");
  presence_.Handle(alice, Presence(pa::kSubscribe, {"bob", "carol"}, "0"));
  ASSERT_EQ(alice->sent.size(), 1u);
  Message ack;
  ack.topic = Topic::kPresence;
  ack.action = pa::kSubscribe;
  ack.correlation_id = "0";
  ack.is_ack = true;
  EXPECT_EQ(alice->sent[0], ack);
  EXPECT_EQ(presence_.subscription_count(), 2u);
}

TEST_F(PresenceHandlerTest, FirstLoginAnnouncesJoinAllThenJoin) {
  auto alice = Connect(1, "alice");
  presence_.Handle(alice, Presence(pa::kSubscribeAll));
  presence_.Handle(alice, Presence(pa::kSubscribe, {"bob"}, "0"));
  alice->sent.clear();
  auto bob = Connect(2, "bob");
  EXPECT_EQ(alice->sent, (std::vector<Message>{Announcement(pa::kPresenceJoinAll, "bob"),
                                               Announcement(pa::kPresenceJoin, "bob")}));
  EXPECT_TRUE(bob->sent.empty());
}

TEST_F(PresenceHandlerTest, JoinGoesOnlyToSubscribersOfThatUser) {
  auto alice = Connect(1, "alice");
  presence_.Handle(alice, Presence(pa::kSubscribe, {"carol"}, "0"));
  alice->sent.clear();
  Connect(2, "bob");
  EXPECT_TRUE(alice->sent.empty());
  Connect(3, "carol");
  EXPECT_EQ(alice->sent, std::vector<Message>{Announcement(pa::kPresenceJoin, "carol")});
}

TEST_F(PresenceHandlerTest, SeveralConnectionsOfOneUserCountOnce) {
  auto watcher = Connect(1, "watcher");
  presence_.Handle(watcher, Presence(pa::kSubscribeAll));
  presence_.Handle(watcher, Presence(pa::kSubscribe, {"bob"}, "0"));
  watcher->sent.clear();

  auto bob1 = Connect(2, "bob");
  auto bob2 = Connect(3, "bob");
  EXPECT_EQ(watcher->With(pa::kPresenceJoinAll).size(), 1u);
  EXPECT_EQ(watcher->With(pa::kPresenceJoin).size(), 1u);

  Disconnect(bob1);
  EXPECT_TRUE(watcher->With(pa::kPresenceLeaveAll).empty());
  EXPECT_TRUE(presence_.online().Contains("bob"));

  Disconnect(bob2);
  EXPECT_EQ(watcher->With(pa::kPresenceLeaveAll),
            std::vector<Message>{Announcement(pa::kPresenceLeaveAll, "bob")});
  EXPECT_EQ(watcher->With(pa::kPresenceLeave),
            std::vector<Message>{Announcement(pa::kPresenceLeave, "bob")});
  ASSERT_EQ(watcher->sent.size(), 4u);
  EXPECT_EQ(watcher->sent[2].action, pa::kPresenceLeaveAll);  // the _ALL one comes first
  EXPECT_FALSE(presence_.online().Contains("bob"));
}

TEST_F(PresenceHandlerTest, UsersOtherConnectionDoesNotSeeItsOwnLoginOrLogout) {
  auto alice1 = Connect(1, "alice");
  presence_.Handle(alice1, Presence(pa::kSubscribeAll));
  presence_.Handle(alice1, Presence(pa::kSubscribe, {"alice"}, "0"));
  alice1->sent.clear();
  auto alice2 = Connect(2, "alice");
  Disconnect(alice2);
  EXPECT_TRUE(alice1->sent.empty());
}

TEST_F(PresenceHandlerTest, RepeatedLoginOrLogoutOfOneConnectionCountsOnce) {
  auto bob = Connect(1, "bob");
  presence_.Login(bob);
  presence_.Logout(bob);
  EXPECT_FALSE(presence_.online().Contains("bob"));
  presence_.Logout(bob);
  auto stranger = std::make_shared<FakeClient>(9, "nobody");
  presence_.Logout(stranger);  // never logged in: nothing to undo
  EXPECT_EQ(presence_.online().size(), 0u);
}

TEST_F(PresenceHandlerTest, LogoutDropsTheClientsSubscriptions) {
  auto alice = Connect(1, "alice");
  presence_.Handle(alice, Presence(pa::kSubscribeAll));
  presence_.Handle(alice, Presence(pa::kSubscribe, {"bob"}, "0"));
  Disconnect(alice);
  EXPECT_EQ(presence_.subscription_count(), 0u);
  alice->sent.clear();
  Connect(2, "bob");
  EXPECT_TRUE(alice->sent.empty());
}

TEST_F(PresenceHandlerTest, UnsubscribeStopsAnnouncements) {
  auto alice = Connect(1, "alice");
  presence_.Handle(alice, Presence(pa::kSubscribeAll));
  presence_.Handle(alice, Presence(pa::kSubscribe, {"bob"}, "0"));
  presence_.Handle(alice, Presence(pa::kUnsubscribeAll));
  presence_.Handle(alice, Presence(pa::kUnsubscribe, {"bob"}, "1"));
  alice->sent.clear();
  auto bob = Connect(2, "bob");
  Disconnect(bob);
  EXPECT_TRUE(alice->sent.empty());
}

TEST_F(PresenceHandlerTest, UnsubscribeOfSomethingNotSubscribedIsJustAcked) {
  auto alice = Connect(1, "alice");
  presence_.Handle(alice, Presence(pa::kUnsubscribe, {"never"}, "7"));
  presence_.Handle(alice, Presence(pa::kUnsubscribeAll));
  ASSERT_EQ(alice->sent.size(), 2u);
  EXPECT_EQ(alice->sent[0].action, pa::kUnsubscribe);
  EXPECT_EQ(alice->sent[0].correlation_id, "7");
  EXPECT_EQ(alice->sent[0].is_ack, true);
  EXPECT_EQ(alice->sent[1].action, pa::kUnsubscribeAll);
  EXPECT_FALSE(alice->sent[1].correlation_id.has_value());
  EXPECT_EQ(alice->sent[1].is_ack, true);
}

TEST_F(PresenceHandlerTest, SubscribingTwiceAnswersMultipleSubscriptionsBeforeTheAck) {
  auto alice = Connect(1, "alice");
  presence_.Handle(alice, Presence(pa::kSubscribeAll));
  presence_.Handle(alice, Presence(pa::kSubscribeAll));
  presence_.Handle(alice, Presence(pa::kSubscribe, {"bob", "bob"}, "3"));
  ASSERT_EQ(alice->sent.size(), 5u);
  Message dup_all;
  dup_all.topic = Topic::kPresence;
  dup_all.action = pa::kMultipleSubscriptions;
  dup_all.name = "%_EVERYONE_%";
  dup_all.original_action = pa::kSubscribeAll;
  EXPECT_EQ(alice->sent[1], dup_all);
  EXPECT_EQ(alice->sent[2].action, pa::kSubscribeAll);
  EXPECT_EQ(alice->sent[3].name, "bob");
  EXPECT_EQ(alice->sent[3].original_action, pa::kSubscribe);
  EXPECT_EQ(alice->sent[4].correlation_id, "3");
  EXPECT_EQ(presence_.subscription_count(), 2u);
}

TEST_F(PresenceHandlerTest, QueryAllListsOthersInLoginOrder) {
  Connect(1, "zed");
  auto alice = Connect(2, "alice");
  Connect(3, "bob");
  Connect(4, "alice");
  Connect(5, "open");
  presence_.Handle(alice, Presence(pa::kQueryAll, {}, "ignored"));
  ASSERT_EQ(alice->sent.size(), 1u);
  Message response;
  response.topic = Topic::kPresence;
  response.action = pa::kQueryAllResponse;
  response.names = {"zed", "bob", "open"};
  EXPECT_EQ(alice->sent[0], response);
}

TEST_F(PresenceHandlerTest, QueryAllWithNobodyElseHasNoNames) {
  auto alice = Connect(1, "alice");
  presence_.Handle(alice, Presence(pa::kQueryAll));
  ASSERT_EQ(alice->sent.size(), 1u);
  EXPECT_EQ(alice->sent[0].action, pa::kQueryAllResponse);
  EXPECT_TRUE(alice->sent[0].names.empty());
}

TEST_F(PresenceHandlerTest, QueryAnswersEachNameIncludingTheRequester) {
  auto alice = Connect(1, "alice");
  Connect(2, "bob");
  presence_.Handle(alice, Presence(pa::kQuery, {"bob", "carol", "alice"}, "0"));
  ASSERT_EQ(alice->sent.size(), 1u);
  Message response;
  response.topic = Topic::kPresence;
  response.action = pa::kQueryResponse;
  response.data = R"({"bob":true,"carol":false,"alice":true})";
  response.correlation_id = "0";
  EXPECT_EQ(alice->sent[0], response);
}

TEST_F(PresenceHandlerTest, QueryWithoutNamesAnswersAnEmptyObject) {
  auto alice = Connect(1, "alice");
  presence_.Handle(alice, Presence(pa::kQuery));
  ASSERT_EQ(alice->sent.size(), 1u);
  EXPECT_EQ(alice->sent[0].data, "{}");
  EXPECT_FALSE(alice->sent[0].correlation_id.has_value());
}

TEST_F(PresenceHandlerTest, AnonymousUserOpenIsAUserButUpperCaseOpenIsNever) {
  auto watcher = Connect(1, "watcher");
  presence_.Handle(watcher, Presence(pa::kSubscribeAll));
  watcher->sent.clear();
  Connect(2, "open");
  Connect(3, "OPEN");
  EXPECT_EQ(watcher->sent, std::vector<Message>{Announcement(pa::kPresenceJoinAll, "open")});
  EXPECT_TRUE(presence_.online().Contains("open"));
  EXPECT_FALSE(presence_.online().Contains("OPEN"));
}

TEST_F(PresenceHandlerTest, UnknownAndServerOnlyActionsAreIgnored) {
  auto alice = Connect(1, "alice");
  presence_.Handle(alice, Presence(99));
  presence_.Handle(alice, Presence(pa::kPresenceJoin, {"x"}));
  presence_.Handle(alice, Presence(pa::kQueryAllResponse));
  EXPECT_TRUE(alice->sent.empty());
}

TEST_F(PresenceHandlerTest, ClosedClientIsNeitherAnsweredNorSubscribed) {
  auto alice = Connect(1, "alice");
  alice->connected_flag = false;
  presence_.Handle(alice, Presence(pa::kSubscribeAll));
  presence_.Handle(alice, Presence(pa::kQueryAll));
  EXPECT_TRUE(alice->sent.empty());
  EXPECT_EQ(presence_.subscription_count(), 0u);
}

TEST(QueryResponseDataTest, OrdersKeysLikeAJavaScriptObject) {
  OnlineUsers online;
  online.Add("alice");
  online.Add("2");
  EXPECT_EQ(presence_messages::QueryResponseData(
                {"b", "10", "alice", "2", "b", "01", "4294967295", "4294967294"}, online),
            R"({"2":true,"10":false,"4294967294":false,"b":false,"alice":true,)"
            R"("01":false,"4294967295":false})");
}

TEST(QueryResponseDataTest, EscapesNamesLikeJsonStringify) {
  OnlineUsers online;
  EXPECT_EQ(presence_messages::QueryResponseData({"x\"y\\z", "a\nb\x01\t\x1f", "é/"}, online),
            "{\"x\\\"y\\\\z\":false,\"a\\nb\\u0001\\t\\u001f\":false,\"é/\":false}");
}

TEST(OnlineUsersTest, KeepsArrivalOrderAcrossLeavesAndReturns) {
  OnlineUsers online;
  EXPECT_TRUE(online.Add("a"));
  EXPECT_TRUE(online.Add("b"));
  EXPECT_FALSE(online.Add("a"));
  EXPECT_TRUE(online.Add("c"));
  EXPECT_FALSE(online.Remove("a"));
  EXPECT_TRUE(online.Remove("a"));
  EXPECT_FALSE(online.Remove("a"));
  EXPECT_TRUE(online.Add("a"));
  EXPECT_EQ(online.All(), (std::vector<std::string>{"b", "c", "a"}));
}

// ---- cluster mode: local joins go to the relay; the cluster's view is announced and queried

class RecordingRelay : public PresenceRelay {
 public:
  void Joined(const std::string& user, uint64_t client_id) override {
    calls.push_back("join " + user + " " + std::to_string(client_id));
  }
  void Left(const std::string& user, uint64_t client_id) override {
    calls.push_back("leave " + user + " " + std::to_string(client_id));
  }
  std::vector<std::string> calls;
};

TEST_F(PresenceHandlerTest, InAClusterLocalLoginsGoToTheRelayAndTheClusterViewIsAnnounced) {
  RecordingRelay relay;
  presence_.SetRelay(&relay);
  auto watcher = Connect(1, "watcher");
  presence_.Handle(watcher, Presence(pa::kSubscribeAll));
  watcher->sent.clear();

  auto alice = Connect(2, "alice");
  auto alice_again = Connect(3, "alice");
  EXPECT_EQ(relay.calls, (std::vector<std::string>{"join watcher 1", "join alice 2"}));
  EXPECT_TRUE(watcher->sent.empty());  // announced when the cluster says so, not before

  presence_.ClusterJoined("alice", 2);
  presence_.ClusterJoined("alice", 0);  // a repeat changes nothing
  presence_.ClusterJoined("bob", 0);    // on another node
  EXPECT_EQ(watcher->sent, (std::vector<Message>{Announcement(pa::kPresenceJoinAll, "alice"),
                                                 Announcement(pa::kPresenceJoinAll, "bob")}));
  EXPECT_TRUE(alice->sent.empty());  // the client that caused the join is not told

  watcher->sent.clear();
  presence_.Handle(watcher, Presence(pa::kQuery, {"bob", "carol"}, "q1"));
  ASSERT_EQ(watcher->sent.size(), 1u);
  EXPECT_NE(watcher->sent[0].data->find("\"bob\":true"), std::string::npos)
      << *watcher->sent[0].data;

  Disconnect(alice);
  Disconnect(alice_again);
  EXPECT_EQ(relay.calls.back(), "leave alice 3");
  watcher->sent.clear();
  // After a gap the cluster's users are read again: the differences are announced.
  presence_.ClusterResync({"bob", "carol"});
  EXPECT_EQ(watcher->sent, (std::vector<Message>{Announcement(pa::kPresenceLeaveAll, "alice"),
                                                 Announcement(pa::kPresenceJoinAll, "carol")}));
  presence_.ClusterLeft("carol", 0);
  presence_.ClusterLeft("carol", 0);
  EXPECT_EQ(watcher->sent.back(), Announcement(pa::kPresenceLeaveAll, "carol"));
  EXPECT_EQ(watcher->sent.size(), 3u);
}

}  // namespace
}  // namespace strata
