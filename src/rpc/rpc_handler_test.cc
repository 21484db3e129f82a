#include "rpc/rpc_handler.h"

#include <gtest/gtest.h>

#include "testing/fake_client.h"
#include "testing/manual_loop.h"

namespace strata {
namespace {

using std::chrono::milliseconds;
using testing::FakeClient;
using testing::ManualLoop;
namespace rpa = rpc_action;

Message Rpc(int32_t action, std::string name, std::string correlation_id) {
  Message m;
  m.topic = Topic::kRpc;
  m.action = action;
  m.name = std::move(name);
  m.correlation_id = std::move(correlation_id);
  return m;
}

Message Request(std::string name, std::string correlation_id, std::optional<std::string> data) {
  Message m = Rpc(rpa::kRequest, std::move(name), std::move(correlation_id));
  m.data = std::move(data);
  return m;
}

Message Provide(int32_t action, std::vector<std::string> names) {
  Message m;
  m.topic = Topic::kRpc;
  m.action = action;
  m.names = std::move(names);
  m.correlation_id = "0";
  return m;
}

class RpcHandlerTest : public ::testing::Test {
 protected:
  std::shared_ptr<FakeClient> NewClient(uint64_t id, std::string user) {
    return std::make_shared<FakeClient>(id, std::move(user));
  }
  // The first of `candidates` that got a REQUEST with this correlation id.
  std::shared_ptr<FakeClient> ServedBy(const std::vector<std::shared_ptr<FakeClient>>& candidates,
                                       const std::string& correlation_id) {
    for (const auto& c : candidates) {
      for (const Message& m : c->With(rpa::kRequest)) {
        if (m.correlation_id == correlation_id) return c;
      }
    }
    return nullptr;
  }
  size_t RequestsSeen(const std::vector<std::shared_ptr<FakeClient>>& clients) {
    size_t n = 0;
    for (const auto& c : clients) n += c->With(rpa::kRequest).size();
    return n;
  }

  ManualLoop loop_;
  RpcOptions options_;
  std::unique_ptr<RpcHandler> rpc_ = std::make_unique<RpcHandler>(options_, loop_);
  std::shared_ptr<FakeClient> alice_ = NewClient(1, "alice");  // requestor
  std::shared_ptr<FakeClient> bob_ = NewClient(2, "bob");      // provider
  std::shared_ptr<FakeClient> carol_ = NewClient(3, "carol");  // provider
  std::shared_ptr<FakeClient> dave_ = NewClient(4, "dave");    // provider
};

TEST_F(RpcHandlerTest, RequestAcceptAndResponseAreRelayedUnchanged) {
  rpc_->Handle(bob_, Provide(rpa::kProvide, {"add"}));
  Message request = Request("add", "c1", R"({"a":1,"b":2})");
  rpc_->Handle(alice_, request);
  ASSERT_EQ(bob_->With(rpa::kRequest).size(), 1u);
  EXPECT_EQ(bob_->With(rpa::kRequest)[0], request);  // same fields, no requestorName

  Message accept = Rpc(rpa::kAccept, "add", "c1");
  rpc_->Handle(bob_, accept);
  Message response = Rpc(rpa::kResponse, "add", "c1");
  response.data = "3";
  rpc_->Handle(bob_, response);
  ASSERT_EQ(alice_->sent.size(), 2u);
  EXPECT_EQ(alice_->sent[0], accept);
  EXPECT_EQ(alice_->sent[1], response);
  EXPECT_EQ(rpc_->in_flight(), 0u);
  EXPECT_TRUE(bob_->With(rpa::kInvalidRpcCorrelationId).empty());
  loop_.Advance(milliseconds(20000));  // the finished request's timers find nothing to do
  EXPECT_EQ(alice_->sent.size(), 2u);
}

TEST_F(RpcHandlerTest, RequestErrorIsRelayedAndFinishesTheRequest) {
  rpc_->Handle(bob_, Provide(rpa::kProvide, {"fail"}));
  rpc_->Handle(alice_, Request("fail", "c1", "null"));
  Message error = Rpc(rpa::kRequestError, "fail", "c1");
  error.data = R"("it broke")";
  rpc_->Handle(bob_, error);
  ASSERT_EQ(alice_->sent.size(), 1u);
  EXPECT_EQ(alice_->sent[0], error);
  EXPECT_EQ(rpc_->in_flight(), 0u);
}

TEST_F(RpcHandlerTest, NoProviderAnswersNoRpcProviderAtOnce) {
  rpc_->Handle(alice_, Request("missing", "c1", "1"));
  ASSERT_EQ(alice_->sent.size(), 1u);
  EXPECT_EQ(alice_->sent[0], Rpc(rpa::kNoRpcProvider, "missing", "c1"));  // no isError
  EXPECT_EQ(rpc_->in_flight(), 0u);
}

TEST_F(RpcHandlerTest, RejectsTryEveryProviderOnceThenNoRpcProvider) {
  std::vector<std::shared_ptr<FakeClient>> providers{bob_, carol_, dave_};
  for (const auto& p : providers) rpc_->Handle(p, Provide(rpa::kProvide, {"nope"}));
  rpc_->Handle(alice_, Request("nope", "c1", R"("x")"));
  std::vector<std::shared_ptr<FakeClient>> waiting = providers;
  for (size_t i = 0; i < providers.size(); ++i) {
    ASSERT_EQ(RequestsSeen(providers), i + 1);
    EXPECT_TRUE(alice_->sent.empty());
    std::shared_ptr<FakeClient> current = ServedBy(waiting, "c1");
    ASSERT_NE(current, nullptr);
    std::erase(waiting, current);
    rpc_->Handle(current, Rpc(rpa::kReject, "nope", "c1"));
  }
  for (const auto& p : providers) EXPECT_EQ(p->With(rpa::kRequest).size(), 1u);
  ASSERT_EQ(alice_->sent.size(), 1u);
  EXPECT_EQ(alice_->sent[0], Rpc(rpa::kNoRpcProvider, "nope", "c1"));
  EXPECT_EQ(rpc_->in_flight(), 0u);
}

TEST_F(RpcHandlerTest, RejectedRequestIsServedByTheNextProvider) {
  rpc_->Handle(bob_, Provide(rpa::kProvide, {"add"}));
  rpc_->Handle(carol_, Provide(rpa::kProvide, {"add"}));
  rpc_->Handle(alice_, Request("add", "c1", "{}"));
  auto first = ServedBy({bob_, carol_}, "c1");
  auto second = first == bob_ ? carol_ : bob_;
  rpc_->Handle(first, Rpc(rpa::kReject, "add", "c1"));
  ASSERT_EQ(second->With(rpa::kRequest).size(), 1u);
  // The first provider is out of it now: its replies name no request of its own.
  rpc_->Handle(first, Rpc(rpa::kResponse, "add", "c1"));
  EXPECT_EQ(first->With(rpa::kInvalidRpcCorrelationId).size(), 1u);
  rpc_->Handle(second, Rpc(rpa::kAccept, "add", "c1"));
  rpc_->Handle(second, Rpc(rpa::kResponse, "add", "c1"));
  EXPECT_EQ(alice_->With(rpa::kAccept).size(), 1u);
  EXPECT_EQ(alice_->With(rpa::kResponse).size(), 1u);
  EXPECT_EQ(alice_->sent.size(), 2u);
}

TEST_F(RpcHandlerTest, AcceptTimeoutEndsTheRequest) {
  rpc_->Handle(bob_, Provide(rpa::kProvide, {"slow"}));
  rpc_->Handle(alice_, Request("slow", "c1", "1"));
  loop_.Advance(milliseconds(999));
  EXPECT_TRUE(alice_->sent.empty());
  loop_.Advance(milliseconds(1));
  ASSERT_EQ(alice_->sent.size(), 1u);
  EXPECT_EQ(alice_->sent[0], Rpc(rpa::kAcceptTimeout, "slow", "c1"));
  EXPECT_EQ(rpc_->in_flight(), 0u);
  // As in deepstream the request is over: a late reply is an unknown correlation id.
  rpc_->Handle(bob_, Rpc(rpa::kResponse, "slow", "c1"));
  EXPECT_EQ(bob_->With(rpa::kInvalidRpcCorrelationId).size(), 1u);
  loop_.Advance(milliseconds(20000));
  EXPECT_EQ(alice_->sent.size(), 1u);  // no RESPONSE_TIMEOUT after the end
}

TEST_F(RpcHandlerTest, ResponseTimeoutAfterAccept) {
  rpc_->Handle(bob_, Provide(rpa::kProvide, {"slow"}));
  rpc_->Handle(alice_, Request("slow", "c1", "1"));
  rpc_->Handle(bob_, Rpc(rpa::kAccept, "slow", "c1"));
  loop_.Advance(milliseconds(9999));
  EXPECT_EQ(alice_->sent.size(), 1u);  // the ACCEPT only
  loop_.Advance(milliseconds(1));
  ASSERT_EQ(alice_->sent.size(), 2u);
  EXPECT_EQ(alice_->sent[1], Rpc(rpa::kResponseTimeout, "slow", "c1"));
  EXPECT_EQ(rpc_->in_flight(), 0u);
}

TEST_F(RpcHandlerTest, TimeoutsRestartForTheNextProvider) {
  rpc_->Handle(bob_, Provide(rpa::kProvide, {"add"}));
  rpc_->Handle(carol_, Provide(rpa::kProvide, {"add"}));
  rpc_->Handle(alice_, Request("add", "c1", "1"));
  auto first = ServedBy({bob_, carol_}, "c1");
  loop_.Advance(milliseconds(600));
  rpc_->Handle(first, Rpc(rpa::kReject, "add", "c1"));
  loop_.Advance(milliseconds(999));  // past the first provider's accept deadline
  EXPECT_TRUE(alice_->sent.empty());
  loop_.Advance(milliseconds(1));
  ASSERT_EQ(alice_->sent.size(), 1u);
  EXPECT_EQ(alice_->sent[0].action, rpa::kAcceptTimeout);
}

TEST_F(RpcHandlerTest, SecondAcceptGetsMultipleAcceptAndIsNotRelayed) {
  rpc_->Handle(bob_, Provide(rpa::kProvide, {"add"}));
  rpc_->Handle(alice_, Request("add", "c1", "1"));
  rpc_->Handle(bob_, Rpc(rpa::kAccept, "add", "c1"));
  rpc_->Handle(bob_, Rpc(rpa::kAccept, "add", "c1"));
  ASSERT_EQ(bob_->With(rpa::kMultipleAccept).size(), 1u);
  EXPECT_EQ(bob_->With(rpa::kMultipleAccept)[0], Rpc(rpa::kMultipleAccept, "add", "c1"));
  EXPECT_EQ(alice_->With(rpa::kAccept).size(), 1u);
  EXPECT_EQ(rpc_->in_flight(), 1u);  // still waiting for the response
}

TEST_F(RpcHandlerTest, UnknownCorrelationIdIsAnError) {
  rpc_->Handle(bob_, Provide(rpa::kProvide, {"add"}));
  Message reply = Rpc(rpa::kResponse, "add", "zzz");
  reply.data = "1";
  rpc_->Handle(bob_, reply);
  Message expected = Rpc(rpa::kInvalidRpcCorrelationId, "add", "zzz");
  expected.original_action = rpa::kResponse;
  expected.is_error = true;  // and no data, as in transcript r4
  ASSERT_EQ(bob_->sent.size(), 1u);
  EXPECT_EQ(bob_->sent[0], expected);
}

TEST_F(RpcHandlerTest, OnlyTheServingProviderMayReply) {
  rpc_->Handle(bob_, Provide(rpa::kProvide, {"add"}));
  rpc_->Handle(alice_, Request("add", "c1", "1"));
  rpc_->Handle(carol_, Rpc(rpa::kReject, "add", "c1"));    // knows the id, serves nothing
  rpc_->Handle(alice_, Rpc(rpa::kResponse, "add", "c1"));  // the requestor neither
  ASSERT_EQ(carol_->With(rpa::kInvalidRpcCorrelationId).size(), 1u);
  EXPECT_EQ(carol_->With(rpa::kInvalidRpcCorrelationId)[0].original_action, rpa::kReject);
  EXPECT_EQ(alice_->With(rpa::kInvalidRpcCorrelationId).size(), 1u);
  EXPECT_EQ(bob_->With(rpa::kRequest).size(), 1u);  // not rerouted
  EXPECT_EQ(rpc_->in_flight(), 1u);
}

TEST_F(RpcHandlerTest, TwoRequestorsWithOneCorrelationIdGetTheirOwnAnswers) {
  rpc_->Handle(bob_, Provide(rpa::kProvide, {"who"}));
  rpc_->Handle(carol_, Provide(rpa::kProvide, {"who"}));
  rpc_->Handle(alice_, Request("who", "same", R"("alice")"));
  rpc_->Handle(dave_, Request("who", "same", R"("dave")"));
  // A provider never holds two requests with one id: each provider got one of them.
  ASSERT_EQ(bob_->With(rpa::kRequest).size(), 1u);
  ASSERT_EQ(carol_->With(rpa::kRequest).size(), 1u);
  for (const auto& provider : {bob_, carol_}) {
    Message response = Rpc(rpa::kResponse, "who", "same");
    response.data = provider->With(rpa::kRequest)[0].data;  // echo who asked
    rpc_->Handle(provider, response);
  }
  ASSERT_EQ(alice_->sent.size(), 1u);
  EXPECT_EQ(alice_->sent[0].data, R"("alice")");
  ASSERT_EQ(dave_->sent.size(), 1u);
  EXPECT_EQ(dave_->sent[0].data, R"("dave")");
}

TEST_F(RpcHandlerTest, AProviderBusyWithTheSameCorrelationIdIsPassedOver) {
  rpc_->Handle(bob_, Provide(rpa::kProvide, {"who"}));
  rpc_->Handle(alice_, Request("who", "same", "1"));
  rpc_->Handle(dave_, Request("who", "same", "2"));
  EXPECT_EQ(bob_->With(rpa::kRequest).size(), 1u);
  ASSERT_EQ(dave_->sent.size(), 1u);
  EXPECT_EQ(dave_->sent[0], Rpc(rpa::kNoRpcProvider, "who", "same"));
  rpc_->Handle(bob_, Rpc(rpa::kResponse, "who", "same"));
  EXPECT_EQ(alice_->With(rpa::kResponse).size(), 1u);
}

TEST_F(RpcHandlerTest, ReusingACorrelationIdInFlightIsRefused) {
  rpc_->Handle(bob_, Provide(rpa::kProvide, {"add"}));
  rpc_->Handle(alice_, Request("add", "c1", "1"));
  rpc_->Handle(alice_, Request("add", "c1", "2"));
  ASSERT_EQ(alice_->With(rpa::kInvalidRpcCorrelationId).size(), 1u);
  EXPECT_EQ(alice_->With(rpa::kInvalidRpcCorrelationId)[0].original_action, rpa::kRequest);
  EXPECT_EQ(bob_->With(rpa::kRequest).size(), 1u);
  rpc_->Handle(bob_, Rpc(rpa::kResponse, "add", "c1"));
  EXPECT_EQ(alice_->With(rpa::kResponse).size(), 1u);
  rpc_->Handle(alice_, Request("add", "c1", "3"));  // free again once finished
  EXPECT_EQ(bob_->With(rpa::kRequest).size(), 2u);
}

TEST_F(RpcHandlerTest, ProviderDisconnectBeforeAcceptMovesToTheNextProvider) {
  rpc_->Handle(bob_, Provide(rpa::kProvide, {"add"}));
  rpc_->Handle(carol_, Provide(rpa::kProvide, {"add"}));
  rpc_->Handle(alice_, Request("add", "c1", "1"));
  auto first = ServedBy({bob_, carol_}, "c1");
  auto second = first == bob_ ? carol_ : bob_;
  first->connected_flag = false;
  rpc_->RemoveClient(first->id());
  ASSERT_EQ(second->With(rpa::kRequest).size(), 1u);
  EXPECT_TRUE(alice_->sent.empty());
  second->connected_flag = false;
  rpc_->RemoveClient(second->id());
  ASSERT_EQ(alice_->sent.size(), 1u);
  EXPECT_EQ(alice_->sent[0], Rpc(rpa::kNoRpcProvider, "add", "c1"));
  EXPECT_EQ(rpc_->in_flight(), 0u);
}

TEST_F(RpcHandlerTest, ProviderDisconnectAfterAcceptFailsWithoutRetry) {
  rpc_->Handle(bob_, Provide(rpa::kProvide, {"add"}));
  rpc_->Handle(carol_, Provide(rpa::kProvide, {"add"}));
  rpc_->Handle(alice_, Request("add", "c1", "1"));
  auto first = ServedBy({bob_, carol_}, "c1");
  auto second = first == bob_ ? carol_ : bob_;
  rpc_->Handle(first, Rpc(rpa::kAccept, "add", "c1"));
  rpc_->RemoveClient(first->id());
  EXPECT_TRUE(second->With(rpa::kRequest).empty());  // it may have run once already
  ASSERT_EQ(alice_->sent.size(), 2u);
  EXPECT_EQ(alice_->sent[1], Rpc(rpa::kNoRpcProvider, "add", "c1"));
  loop_.Advance(milliseconds(20000));
  EXPECT_EQ(alice_->sent.size(), 2u);
}

TEST_F(RpcHandlerTest, RequestorDisconnectDropsItsRequests) {
  rpc_->Handle(bob_, Provide(rpa::kProvide, {"add"}));
  rpc_->Handle(alice_, Request("add", "c1", "1"));
  rpc_->RemoveClient(alice_->id());
  EXPECT_EQ(rpc_->in_flight(), 0u);
  rpc_->Handle(bob_, Rpc(rpa::kResponse, "add", "c1"));
  EXPECT_EQ(bob_->With(rpa::kInvalidRpcCorrelationId).size(), 1u);
  loop_.Advance(milliseconds(20000));
  EXPECT_TRUE(alice_->sent.empty());
}

TEST_F(RpcHandlerTest, AClientMayServeItsOwnRequestAndLeave) {
  rpc_->Handle(alice_, Provide(rpa::kProvide, {"self"}));
  rpc_->Handle(alice_, Request("self", "c1", "1"));
  ASSERT_EQ(alice_->With(rpa::kRequest).size(), 1u);  // deepstream does not skip the requestor
  rpc_->RemoveClient(alice_->id());
  EXPECT_EQ(rpc_->in_flight(), 0u);
  EXPECT_EQ(alice_->sent.size(), 1u);
}

TEST_F(RpcHandlerTest, ProvideTwiceAndUnprovide) {
  rpc_->Handle(bob_, Provide(rpa::kProvide, {"add"}));
  rpc_->Handle(bob_, Provide(rpa::kProvide, {"add", "sub"}));
  ASSERT_EQ(bob_->sent.size(), 1u);
  Message dup;
  dup.topic = Topic::kRpc;
  dup.action = rpa::kMultipleProviders;
  dup.name = "add";
  dup.original_action = rpa::kProvide;
  EXPECT_EQ(bob_->sent[0], dup);
  rpc_->Handle(bob_, Provide(rpa::kUnprovide, {"add", "never-provided"}));
  EXPECT_EQ(bob_->sent.size(), 1u);  // no NOT_PROVIDED, as deepstream's bulk unprovide
  rpc_->Handle(alice_, Request("add", "c1", "1"));
  EXPECT_EQ(alice_->sent[0].action, rpa::kNoRpcProvider);
  rpc_->Handle(alice_, Request("sub", "c2", "1"));
  EXPECT_EQ(bob_->With(rpa::kRequest).size(), 1u);
}

TEST_F(RpcHandlerTest, DisconnectedProvidersAreNotChosen) {
  rpc_->Handle(bob_, Provide(rpa::kProvide, {"add"}));
  bob_->connected_flag = false;  // its RemoveClient has not arrived yet
  rpc_->Handle(alice_, Request("add", "c1", "1"));
  EXPECT_TRUE(bob_->With(rpa::kRequest).empty());
  EXPECT_EQ(alice_->sent[0].action, rpa::kNoRpcProvider);
}

TEST(RpcHandlerOptionsTest, RequestorNameIsTheServersToSet) {
  ManualLoop loop;
  auto alice = std::make_shared<FakeClient>(1, "alice");
  auto bob = std::make_shared<FakeClient>(2, "bob");
  Message forged = Request("add", "c1", "1");
  forged.requestor_name = "mallory";
  forged.requestor_data = "{}";

  RpcHandler plain(RpcOptions{}, loop);
  plain.Handle(bob, Provide(rpa::kProvide, {"add"}));
  plain.Handle(alice, forged);
  ASSERT_EQ(bob->With(rpa::kRequest).size(), 1u);
  EXPECT_FALSE(bob->With(rpa::kRequest)[0].requestor_name.has_value());
  EXPECT_FALSE(bob->With(rpa::kRequest)[0].requestor_data.has_value());

  RpcOptions named;
  named.provide_requestor_name = true;
  named.provide_requestor_data = true;
  RpcHandler with_name(named, loop);
  with_name.Handle(bob, Provide(rpa::kProvide, {"add"}));
  with_name.Handle(alice, forged);
  ASSERT_EQ(bob->With(rpa::kRequest).size(), 2u);
  EXPECT_EQ(bob->With(rpa::kRequest)[1].requestor_name, "alice");
  EXPECT_FALSE(bob->With(rpa::kRequest)[1].requestor_data.has_value());  // no client data yet
}

TEST_F(RpcHandlerTest, TimersOutliveTheHandlerHarmlessly) {
  rpc_->Handle(bob_, Provide(rpa::kProvide, {"add"}));
  rpc_->Handle(alice_, Request("add", "c1", "1"));
  rpc_.reset();
  loop_.Advance(milliseconds(20000));
  EXPECT_TRUE(alice_->sent.empty());
}

// ---- cluster mode: the relay, and other nodes' stand-ins

class RecordingRelay : public RpcRelay {
 public:
  void LocalProviders(const std::string& name, bool providing) override {
    calls.push_back(name + (providing ? " +" : " -"));
  }
  std::vector<std::string> calls;
};

TEST_F(RpcHandlerTest, TheRelayHearsOfANamesFirstAndLastLocalProviderOnly) {
  RecordingRelay relay;
  rpc_->SetRelay(&relay);
  auto node = NewClient(100, "node-b");
  node->remote_flag = true;
  rpc_->AddRemoteProvider("add", node);  // other nodes are not this node's providers
  rpc_->Handle(bob_, Provide(rpa::kProvide, {"add"}));
  rpc_->Handle(carol_, Provide(rpa::kProvide, {"add"}));
  rpc_->Handle(bob_, Provide(rpa::kUnprovide, {"add"}));
  EXPECT_EQ(relay.calls, (std::vector<std::string>{"add +"}));
  rpc_->RemoveClient(carol_->id());
  EXPECT_EQ(relay.calls, (std::vector<std::string>{"add +", "add -"}));
}

TEST_F(RpcHandlerTest, ALocalRequestMayGoToAnotherNodeButARemoteOneNeverDoes) {
  auto node_b = NewClient(100, "node-b");  // stand-in for a node that provides "add"
  node_b->remote_flag = true;
  auto node_c = NewClient(101, "node-c");  // stand-in for a node whose client asks
  node_c->remote_flag = true;
  rpc_->AddRemoteProvider("add", node_b);

  rpc_->Handle(alice_, Request("add", "c1", "1"));
  ASSERT_EQ(node_b->With(rpa::kRequest).size(), 1u);

  // Sent here to run here: with no local provider it is refused, not passed on to node B.
  Message remote = Request("add", "c2", "2");
  remote.requestor_name = "zoe";  // set by the node the requestor is on
  rpc_->Handle(node_c, remote);
  EXPECT_EQ(node_b->With(rpa::kRequest).size(), 1u);
  ASSERT_EQ(node_c->With(rpa::kNoRpcProvider).size(), 1u);

  rpc_->Handle(bob_, Provide(rpa::kProvide, {"add"}));
  rpc_->Handle(node_c, Rpc(rpa::kRequest, "add", "c3"));
  Message again = Request("add", "c4", "4");
  again.requestor_name = "zoe";
  rpc_->Handle(node_c, again);
  EXPECT_EQ(node_b->With(rpa::kRequest).size(), 1u);
  ASSERT_EQ(bob_->With(rpa::kRequest).size(), 2u);
  EXPECT_EQ(bob_->With(rpa::kRequest)[1].requestor_name, "zoe");  // kept from the other node

  rpc_->RemoveRemoteProvider("add", node_b->id());
  rpc_->Handle(bob_, Provide(rpa::kUnprovide, {"add"}));
  rpc_->Handle(alice_, Request("add", "c5", "5"));
  EXPECT_EQ(alice_->With(rpa::kNoRpcProvider).size(), 1u);
}

}  // namespace
}  // namespace strata
