// Session with a fake connection, a fake router and a manual loop: the handshake states, the
// auth timeout across retries, what reaches the router, the legacy text dialect (greeting,
// heartbeat, `R|H` bookkeeping) and the end of a connection.

#include "server/session.h"

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "testing/manual_loop.h"

namespace strata {
namespace {

using std::chrono::milliseconds;
using testing::ManualLoop;
namespace ca = connection_action;
namespace aa = auth_action;

class FakeConnection : public Connection {
 public:
  explicit FakeConnection(Executor& loop) : loop_(loop) {}
  uint64_t id() const override { return 42; }
  SendStatus Send(SharedFrame frame) override {
    frames.push_back(*frame);
    return SendStatus::kSuccess;
  }
  void Close(std::optional<uint16_t>) override { ++closes; }
  Executor& executor() override { return loop_; }
  const std::string& remote_address() const override { return address_; }

  std::vector<std::string> frames;
  int closes = 0;

 private:
  Executor& loop_;
  std::string address_ = "127.0.0.1:1";
};

class FakeRouter : public Router {
 public:
  void Dispatch(const std::shared_ptr<Client>& client, Message msg) override {
    dispatched.push_back(std::move(msg));
    last_client = client;
  }
  void Login(const std::shared_ptr<Client>& client) override {
    logins.push_back(client->user_id());
  }
  void Disconnect(const std::shared_ptr<Client>& client, bool logged_in) override {
    disconnects.push_back(logged_in);
    connected_at_disconnect = client->connected();
  }

  std::vector<Message> dispatched;
  std::shared_ptr<Client> last_client;
  std::vector<std::string> logins;
  std::vector<bool> disconnects;
  bool connected_at_disconnect = true;
};

// Accepts `{"password":"good"}` as alice, rejects anything else. With `hold`, answers wait in
// `held` until the test releases them.
class ScriptedAuth : public auth::Authenticator {
 public:
  std::string_view Name() const override { return "scripted"; }
  void Authenticate(const auth::LoginAttempt& attempt,
                    std::function<void(auth::AuthOutcome)> done) override {
    auth::AuthOutcome outcome = auth::AuthOutcome::Rejected();
    if (attempt.auth_data.find("\"good\"") != std::string::npos) {
      outcome = auth::AuthOutcome{auth::AuthOutcome::Verdict::kAccepted, "alice",
                                  std::string(R"({"role":"admin"})"), std::nullopt, std::nullopt};
    }
    if (hold) {
      held.push_back([done, outcome] { done(outcome); });
      return;
    }
    done(outcome);
  }
  bool hold = false;
  std::vector<std::function<void()>> held;
};

Message Of(Topic topic, int32_t action) {
  Message m;
  m.topic = topic;
  m.action = action;
  return m;
}

Message Auth(const std::string& data) {
  Message m = Of(Topic::kAuth, aa::kRequest);
  m.data = data;
  return m;
}

class SessionTest : public ::testing::Test {
 protected:
  void Open(WireFormat format = WireFormat::kBinary) {
    auto scripted = std::make_unique<ScriptedAuth>();
    auth_ = scripted.get();
    std::vector<std::unique_ptr<auth::Authenticator>> list;
    list.push_back(std::move(scripted));
    chain_ = std::make_unique<auth::AuthChain>(std::move(list));
    options_.format = format;
    options_.auth = chain_.get();
    options_.unauthenticated_client_timeout = milliseconds(1000);
    options_.heartbeat_interval = milliseconds(500);
    context_.router = &router_;
    context_.loop = &loop_;
    context_.shard = 3;
    session_ = std::make_shared<Session>(connection_, options_, context_);
    session_->Start();
  }
  void Receive(const Message& msg) {
    SharedFrame frame = EncodeFrame(options_.format, msg);
    session_->OnMessage(*frame, options_.format == WireFormat::kBinary);
    loop_.RunUntilIdle();
  }
  void ReceiveText(const std::string& frame) {
    session_->OnMessage(frame, false);
    loop_.RunUntilIdle();
  }
  // The messages the client was sent, decoded (binary endpoint).
  std::vector<Message> Sent() {
    std::vector<Message> out;
    for (const std::string& f : connection_->frames) {
      Result<Message> m = DecodeFrame(WireFormat::kBinary, f);
      EXPECT_TRUE(m.ok()) << m.status().ToString();
      if (m.ok()) out.push_back(*m);
    }
    return out;
  }
  void LogIn() {
    Receive(Of(Topic::kConnection, ca::kChallenge));
    Receive(Auth(R"({"password":"good"})"));
    connection_->frames.clear();
  }
  static std::string Text(std::initializer_list<std::string> fields) {
    std::string out;
    for (const std::string& f : fields) {
      if (!out.empty()) out += '\x1f';
      out += f;
    }
    return out + '\x1e';
  }

  ManualLoop loop_;
  std::shared_ptr<FakeConnection> connection_ = std::make_shared<FakeConnection>(loop_);
  FakeRouter router_;
  SessionContext context_;
  SessionOptions options_;
  std::unique_ptr<auth::AuthChain> chain_;
  ScriptedAuth* auth_ = nullptr;
  std::shared_ptr<Session> session_;
};

TEST_F(SessionTest, ChallengeThenAuthLogsIn) {
  Open();
  EXPECT_EQ(context_.open_sessions, 1u);
  Receive(Of(Topic::kConnection, ca::kChallenge));
  Receive(Auth(R"({"password":"good"})"));
  std::vector<Message> sent = Sent();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].topic, Topic::kConnection);
  EXPECT_EQ(sent[0].action, ca::kAccept);
  EXPECT_EQ(sent[1].topic, Topic::kAuth);
  EXPECT_EQ(sent[1].action, aa::kAuthSuccessful);
  EXPECT_EQ(sent[1].data, R"({"role":"admin"})");
  EXPECT_EQ(router_.logins, std::vector<std::string>{"alice"});
  EXPECT_EQ(session_->user_id(), "alice");
  EXPECT_EQ(session_->home_shard(), 3u);
}

TEST_F(SessionTest, AnythingButConnectionBeforeTheChallengeIsInvalid) {
  Open();
  Receive(Auth(R"({"password":"good"})"));
  std::vector<Message> sent = Sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].topic, Topic::kConnection);
  EXPECT_EQ(sent[0].action, ca::kInvalidMessage);
  EXPECT_TRUE(router_.logins.empty());
  EXPECT_EQ(connection_->closes, 0);
}

TEST_F(SessionTest, PingIsAnsweredOnlyAfterLogin) {
  Open();
  Receive(Of(Topic::kConnection, ca::kChallenge));
  Receive(Of(Topic::kConnection, ca::kPing));
  EXPECT_EQ(Sent().size(), 1u);  // only the ACCEPT
  Receive(Auth(R"({"password":"good"})"));
  connection_->frames.clear();
  Receive(Of(Topic::kConnection, ca::kPing));
  std::vector<Message> sent = Sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].action, ca::kPong);
}

TEST_F(SessionTest, AuthDataThatIsNotAnObjectClosesTheConnection) {
  Open();
  Receive(Of(Topic::kConnection, ca::kChallenge));
  Receive(Auth("[1,2]"));
  std::vector<Message> sent = Sent();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[1].topic, Topic::kAuth);
  EXPECT_EQ(sent[1].action, aa::kInvalidMessageData);
  EXPECT_EQ(connection_->closes, 1);
}

TEST_F(SessionTest, TooManyFailedLoginsCloseTheConnection) {
  Open();
  Receive(Of(Topic::kConnection, ca::kChallenge));
  for (int i = 0; i < 3; ++i) Receive(Auth(R"({"password":"bad"})"));
  std::vector<Message> sent = Sent();
  ASSERT_EQ(sent.size(), 5u);
  for (int i = 1; i <= 3; ++i) EXPECT_EQ(sent[i].action, aa::kAuthUnsuccessful);
  EXPECT_EQ(sent[4].action, aa::kTooManyAuthAttempts);
  EXPECT_EQ(connection_->closes, 1);
  Receive(Auth(R"({"password":"good"})"));  // too late
  EXPECT_TRUE(router_.logins.empty());
}

TEST_F(SessionTest, TheAuthTimeoutKeepsRunningThroughFailedAttempts) {
  Open();
  Receive(Of(Topic::kConnection, ca::kChallenge));
  loop_.Advance(milliseconds(600));
  Receive(Auth(R"({"password":"bad"})"));
  loop_.Advance(milliseconds(399));
  EXPECT_EQ(connection_->closes, 0);
  loop_.Advance(milliseconds(1));
  std::vector<Message> sent = Sent();
  ASSERT_FALSE(sent.empty());
  EXPECT_EQ(sent.back().topic, Topic::kConnection);
  EXPECT_EQ(sent.back().action, ca::kAuthenticationTimeout);
  EXPECT_EQ(connection_->closes, 1);
}

TEST_F(SessionTest, ALoggedInSessionHasNoAuthTimeout) {
  Open();
  LogIn();
  loop_.Advance(milliseconds(5000));
  EXPECT_EQ(connection_->closes, 0);
  EXPECT_TRUE(connection_->frames.empty());
}

TEST_F(SessionTest, FramesWhileTheLoginIsDecidedAreIgnored) {
  Open();
  auth_->hold = true;
  Receive(Of(Topic::kConnection, ca::kChallenge));
  Receive(Auth(R"({"password":"good"})"));
  Receive(Auth(R"({"password":"bad"})"));
  Message read = Of(Topic::kRecord, record_action::kRead);
  read.name = "r";
  Receive(read);
  ASSERT_EQ(auth_->held.size(), 1u);  // the second AUTH was not asked
  auth_->held[0]();
  loop_.RunUntilIdle();
  std::vector<Message> sent = Sent();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[1].action, aa::kAuthSuccessful);
  EXPECT_TRUE(router_.dispatched.empty());
}

TEST_F(SessionTest, LoggedInMessagesGoToTheRouter) {
  Open();
  LogIn();
  Message read = Of(Topic::kRecord, record_action::kRead);
  read.name = "r";
  Receive(read);
  Message emit = Of(Topic::kEvent, event_action::kEmit);
  emit.name = "e";
  Receive(emit);
  ASSERT_EQ(router_.dispatched.size(), 2u);
  EXPECT_EQ(router_.dispatched[0].name, "r");
  EXPECT_EQ(router_.dispatched[1].topic, Topic::kEvent);
  EXPECT_EQ(router_.last_client.get(), session_.get());
  EXPECT_TRUE(connection_->frames.empty());
}

TEST_F(SessionTest, UnservedTopicsAndUndecodableFramesAreUnknownTopic) {
  Open();
  LogIn();
  Receive(Of(Topic::kMonitoring, 1));
  session_->OnMessage(std::string("\xff\xff\xff", 3), true);
  std::vector<Message> sent = Sent();
  ASSERT_EQ(sent.size(), 2u);
  for (const Message& m : sent) {
    EXPECT_EQ(m.topic, Topic::kParser);
    EXPECT_EQ(m.action, parser_action::kUnknownTopic);
  }
  EXPECT_TRUE(router_.dispatched.empty());
  EXPECT_EQ(connection_->closes, 0);
}

TEST_F(SessionTest, AuthAfterLoginIsIgnored) {
  Open();
  LogIn();
  Receive(Auth(R"({"password":"good"})"));
  EXPECT_TRUE(connection_->frames.empty());
  EXPECT_EQ(router_.logins.size(), 1u);
}

TEST_F(SessionTest, TheWrongKindOfFrameClosesTheConnection) {
  Open();
  session_->OnMessage("{}", /*binary=*/false);
  EXPECT_EQ(connection_->closes, 1);
  EXPECT_TRUE(connection_->frames.empty());
}

TEST_F(SessionTest, TheEndOfALoggedInConnectionReachesTheRouter) {
  Open();
  LogIn();
  session_->OnClose();
  EXPECT_EQ(router_.disconnects, std::vector<bool>{true});
  EXPECT_FALSE(router_.connected_at_disconnect);
  EXPECT_FALSE(session_->connected());
  EXPECT_EQ(context_.open_sessions, 0u);
}

TEST_F(SessionTest, TheEndBeforeLoginTellsTheRouterItNeverLoggedIn) {
  Open();
  Receive(Of(Topic::kConnection, ca::kChallenge));
  session_->OnClose();
  EXPECT_EQ(router_.disconnects, std::vector<bool>{false});
  loop_.Advance(milliseconds(2000));  // the auth timeout finds the session closed
  EXPECT_EQ(connection_->closes, 0);
}

TEST_F(SessionTest, ALoginDecidedAfterTheEndIsDropped) {
  Open();
  auth_->hold = true;
  Receive(Of(Topic::kConnection, ca::kChallenge));
  Receive(Auth(R"({"password":"good"})"));
  session_->OnClose();
  auth_->held[0]();
  loop_.RunUntilIdle();
  EXPECT_TRUE(router_.logins.empty());
  EXPECT_EQ(router_.disconnects, std::vector<bool>{false});
}

TEST_F(SessionTest, PermissionsStandBetweenTheSessionAndTheRouter) {
  auto checker = permission::PermissionChecker::Create(
      R"({"maxRuleIterations":3,"permissions":{"record":{"*":{"read":"name != 'secret'"}}}})");
  ASSERT_TRUE(checker.ok()) << checker.status().ToString();
  context_.permissions = checker->get();
  Open();
  LogIn();
  Message secret = Of(Topic::kRecord, record_action::kRead);
  secret.name = "secret";
  Receive(secret);
  Message open = Of(Topic::kRecord, record_action::kRead);
  open.name = "open";
  Receive(open);
  ASSERT_EQ(router_.dispatched.size(), 1u);
  EXPECT_EQ(router_.dispatched[0].name, "open");
  std::vector<Message> sent = Sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].action, record_action::kMessageDenied);
  EXPECT_EQ(sent[0].name, "secret");
}

TEST_F(SessionTest, TextSessionsAreGreetedAndPinged) {
  Open(WireFormat::kText);
  ASSERT_EQ(connection_->frames.size(), 2u);
  EXPECT_EQ(connection_->frames[0], Text({"C", "A"}));
  EXPECT_EQ(connection_->frames[1], Text({"C", "PI"}));
  loop_.Advance(milliseconds(500));
  ASSERT_EQ(connection_->frames.size(), 3u);
  EXPECT_EQ(connection_->frames[2], Text({"C", "PI"}));
  session_->OnClose();
  loop_.Advance(milliseconds(1000));
  EXPECT_EQ(connection_->frames.size(), 3u);  // no pings after the end
}

TEST_F(SessionTest, TextLoginAndSeveralMessagesInOneFrame) {
  Open(WireFormat::kText);
  ReceiveText(Text({"A", "REQ", R"({"password":"good"})"}));
  ASSERT_EQ(router_.logins.size(), 1u);
  ReceiveText(Text({"E", "EVT", "a", "Sx"}) + Text({"E", "EVT", "b", "Sy"}));
  ASSERT_EQ(router_.dispatched.size(), 2u);
  EXPECT_EQ(router_.dispatched[0].name, "a");
  EXPECT_EQ(router_.dispatched[1].name, "b");
}

TEST_F(SessionTest, TextMessagesBeforeLoginCloseTheConnection) {
  Open(WireFormat::kText);
  ReceiveText(Text({"E", "EVT", "a", "Sx"}));
  EXPECT_EQ(connection_->closes, 1);
  EXPECT_TRUE(router_.dispatched.empty());
}

TEST_F(SessionTest, HasQueriesAreAnsweredAsHasInTheOrderTheyWereAsked) {
  Open(WireFormat::kText);
  ReceiveText(Text({"A", "REQ", R"({"password":"good"})"}));
  ReceiveText(Text({"R", "H", "rec"}));   // has
  ReceiveText(Text({"R", "HD", "rec"}));  // head
  ASSERT_EQ(router_.dispatched.size(), 2u);
  EXPECT_EQ(router_.dispatched[0].action, record_action::kHead);
  EXPECT_EQ(router_.dispatched[1].action, record_action::kHead);
  connection_->frames.clear();
  Message answer = Of(Topic::kRecord, record_action::kHeadResponse);
  answer.name = "rec";
  answer.version = 4;
  session_->Send(answer);
  session_->Send(answer);
  ASSERT_EQ(connection_->frames.size(), 2u);
  EXPECT_EQ(connection_->frames[0], text_wire::EncodeHasResponse("rec", true));
  EXPECT_EQ(connection_->frames[1], text_wire::Encode(answer));
}

TEST_F(SessionTest, AFailedHasQueryIsAnsweredAsAHasError) {
  Open(WireFormat::kText);
  ReceiveText(Text({"A", "REQ", R"({"password":"good"})"}));
  ReceiveText(Text({"R", "H", "rec"}));
  connection_->frames.clear();
  Message error = Of(Topic::kRecord, record_action::kStorageRetrievalTimeout);
  error.name = "rec";
  error.original_action = record_action::kHead;
  session_->Send(error);
  ASSERT_EQ(connection_->frames.size(), 1u);
  EXPECT_EQ(
      connection_->frames[0],
      text_wire::EncodeHasError(
          "rec", text_wire::ErrorName(Topic::kRecord, record_action::kStorageRetrievalTimeout)));
}

}  // namespace
}  // namespace strata
