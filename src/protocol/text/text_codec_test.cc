#include "protocol/text/text_codec.h"

#include <gtest/gtest.h>

namespace strata::text_wire {
namespace {

namespace ra = record_action;

// Writes legacy messages readably: '|' for 0x1F and '+' for 0x1E.
std::string Wire(std::string s) {
  for (char& c : s) {
    if (c == '|') c = '\x1f';
    if (c == '+') c = '\x1e';
  }
  return s;
}
std::string Readable(std::string s) {
  for (char& c : s) {
    if (c == '\x1f') c = '|';
    if (c == '\x1e') c = '+';
  }
  return s;
}

Message One(const std::string& legacy) {
  std::vector<DecodedMessage> all = DecodeFrame(Wire(legacy));
  EXPECT_EQ(all.size(), 1u) << legacy;
  if (all.size() != 1 || !all[0].message) {
    ADD_FAILURE() << legacy << " did not decode";
    return Message{};
  }
  return *all[0].message;
}

std::string ErrorOf(const std::string& legacy) {
  std::vector<DecodedMessage> all = DecodeFrame(Wire(legacy));
  if (all.size() != 1 || !all[0].error) return "no error for " + legacy;
  return Readable(EncodeError(*all[0].error));
}

std::string Out(const Message& m) { return Readable(Encode(m)); }

Message Make(Topic topic, int32_t action) {
  Message m;
  m.topic = topic;
  m.action = action;
  return m;
}

TEST(TextFraming, SplitsMessagesAndSkipsShortFragments) {
  std::vector<DecodedMessage> all = DecodeFrame(Wire("E|S|q1+R|CR|q+++ab+E|EVT|e|Sx"));
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].message->topic, Topic::kEvent);
  EXPECT_EQ(all[1].message->action, ra::kSubscribeCreateAndRead);
  EXPECT_EQ(all[2].message->data, "\"x\"");  // a last message without terminator counts
  EXPECT_TRUE(DecodeFrame("").empty());
  EXPECT_TRUE(DecodeFrame(Wire("+++")).empty());
  EXPECT_TRUE(DecodeFrame(Wire("ab+|+")).empty());
}

TEST(TextFraming, ReportsBadMessagesOneByOne) {
  std::vector<DecodedMessage> all = DecodeFrame(Wire("Z|S|x+garbage+E|S|ok"));
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(Readable(EncodeError(*all[0].error)), "X|E|UNKNOWN_TOPIC|Z+");
  EXPECT_EQ(Readable(EncodeError(*all[1].error)), "X|E|MESSAGE_PARSE_ERROR|garbage+");
  ASSERT_TRUE(all[2].message);
}

TEST(TextDecode, UnknownActionsAndMissingFields) {
  EXPECT_EQ(ErrorOf("R|EVT|x"), "R|E|UNKNOWN_ACTION|unknown action EVT+");
  EXPECT_EQ(ErrorOf("E|XX|x"), "E|E|UNKNOWN_ACTION|unknown action XX+");
  EXPECT_EQ(ErrorOf("P|ZZ"), "P|E|UNKNOWN_ACTION|unknown action ZZ+");
  EXPECT_EQ(ErrorOf("U|PNJ|a"), "U|E|UNKNOWN_ACTION|unknown action PNJ+");
  EXPECT_EQ(ErrorOf("C|XX"), "C|E|UNKNOWN_ACTION|unknown action XX+");
  EXPECT_EQ(ErrorOf("E|S"), "E|E|INVALID_MESSAGE_DATA|E|S+");
  EXPECT_EQ(ErrorOf("R|CR"), "R|E|INVALID_MESSAGE_DATA|R|CR+");
  EXPECT_EQ(ErrorOf("R|U|r|1"), "R|E|INVALID_MESSAGE_DATA|R|U|r|1+");
  EXPECT_EQ(ErrorOf("R|CU|r|1|{}"), "R|E|INVALID_MESSAGE_DATA|r+");
  EXPECT_EQ(ErrorOf("P|REQ|add|1"), "P|E|INVALID_MESSAGE_DATA|P|REQ|add|1+");
  EXPECT_EQ(ErrorOf("P|A|RES|add|1"), "P|E|INVALID_MESSAGE_DATA|P|A|RES|add|1+");
  EXPECT_EQ(ErrorOf("U|Q|1|notjson"), "U|E|INVALID_MESSAGE_DATA|U|Q|1|notjson+");
  EXPECT_EQ(ErrorOf("A|REQ"), "A|E|INVALID_AUTH_MSG|invalid authentication message+");
  EXPECT_EQ(ErrorOf("A|XX|{}"), "A|E|INVALID_AUTH_MSG|invalid authentication message+");
}

TEST(TextDecode, BadTypedValuesAndJson) {
  EXPECT_EQ(ErrorOf("E|EVT|e|Qx"), "E|E|INVALID_MESSAGE_DATA|E|EVT|e|Qx+");
  EXPECT_EQ(ErrorOf("E|EVT|e|O{bad"), "E|E|INVALID_MESSAGE_DATA|E|EVT|e|O{bad+");
  EXPECT_EQ(ErrorOf("P|RES|f|1|Nx"), "P|E|INVALID_MESSAGE_DATA|P|RES|f|1|Nx+");
  EXPECT_EQ(ErrorOf("R|U|r|2|{\"a\":"), "R|E|INVALID_MESSAGE_DATA|R|U|r|2|{\"a\":+");
  EXPECT_EQ(ErrorOf("R|P|r|2|a|X1"), "R|E|INVALID_MESSAGE_DATA|R|P|r|2|a|X1+");
  EXPECT_EQ(ErrorOf("R|U|r|2|{}|{bad"), "R|E|INVALID_MESSAGE_DATA|R|U|r|2|{}|{bad+");
  EXPECT_EQ(ErrorOf("R|U|r|two|{}"), "R|E|INVALID_VERSION|r|two+");
}

TEST(TextDecode, Records) {
  Message cr = One("R|CR|rec");
  EXPECT_EQ(cr.action, ra::kSubscribeCreateAndRead);
  EXPECT_EQ(cr.names, std::vector<std::string>{"rec"});

  Message u = One("R|U|rec|3|{\"a\":1}");
  EXPECT_EQ(u.action, ra::kUpdate);
  EXPECT_EQ(u.name, "rec");
  EXPECT_EQ(u.version, 3);
  EXPECT_EQ(u.data, "{\"a\":1}");
  EXPECT_FALSE(u.is_write_ack.has_value());

  Message acked = One("R|U|rec|3|{}|{\"writeSuccess\":true}");
  EXPECT_EQ(acked.is_write_ack, true);
  EXPECT_EQ(acked.correlation_id, "3");  // comes back in WRITE_ACKNOWLEDGEMENT

  Message p = One("R|P|rec|4|a.b|N5");
  EXPECT_EQ(p.action, ra::kPatch);
  EXPECT_EQ(p.path, "a.b");
  EXPECT_EQ(p.data, "5");
  Message erase = One("R|P|rec|5|a.b|U");
  EXPECT_EQ(erase.action, ra::kErase);
  EXPECT_FALSE(erase.data.has_value());

  Message cu = One("R|CU|rec|-1|{\"x\":true}|{\"writeSuccess\":true}");
  EXPECT_EQ(cu.action, ra::kCreateAndUpdate);
  EXPECT_EQ(cu.version, -1);
  EXPECT_EQ(cu.correlation_id, "-1");
  Message cp = One("R|CU|rec|-1|x|Sy|{}");
  EXPECT_EQ(cp.action, ra::kCreateAndPatch);
  EXPECT_EQ(cp.data, "\"y\"");
  EXPECT_FALSE(cp.is_write_ack.has_value());

  EXPECT_EQ(One("R|SN|rec").action, ra::kRead);
  EXPECT_EQ(One("R|HD|rec").action, ra::kHead);
  EXPECT_EQ(One("R|D|rec").action, ra::kDelete);
  Message us = One("R|US|rec");
  EXPECT_EQ(us.action, ra::kUnsubscribe);
  EXPECT_EQ(us.correlation_id, "rec");

  std::vector<DecodedMessage> has = DecodeFrame(Wire("R|H|rec"));
  ASSERT_EQ(has.size(), 1u);
  EXPECT_TRUE(has[0].has_query);
  EXPECT_EQ(has[0].message->action, ra::kHead);
}

TEST(TextDecode, EventsRpcPresenceConnection) {
  Message s = One("E|S|ev");
  EXPECT_EQ(s.action, event_action::kSubscribe);
  EXPECT_EQ(s.names, std::vector<std::string>{"ev"});
  EXPECT_EQ(s.correlation_id, "ev");
  Message evt = One("E|EVT|ev|O{\"k\":1}");
  EXPECT_EQ(evt.data, "{\"k\":1}");
  EXPECT_FALSE(One("E|EVT|ev|U").data.has_value());
  EXPECT_FALSE(One("E|EVT|ev").data.has_value());

  Message req = One("P|REQ|add|c1|O{\"a\":1}");
  EXPECT_EQ(req.action, rpc_action::kRequest);
  EXPECT_EQ(req.correlation_id, "c1");
  EXPECT_EQ(One("P|A|REQ|add|c1").action, rpc_action::kAccept);
  Message err = One("P|E|it broke|add|c1");
  EXPECT_EQ(err.action, rpc_action::kRequestError);
  EXPECT_EQ(err.data, "\"it broke\"");
  EXPECT_EQ(One("P|REJ|add|c1").action, rpc_action::kReject);
  EXPECT_EQ(One("P|S|add").action, rpc_action::kProvide);

  EXPECT_EQ(One("U|S|S").action, presence_action::kSubscribeAll);
  EXPECT_EQ(One("U|US|US").action, presence_action::kUnsubscribeAll);
  EXPECT_EQ(One("U|Q|Q").action, presence_action::kQueryAll);
  Message q = One("U|Q|7|[\"a\",\"b\"]");
  EXPECT_EQ(q.action, presence_action::kQuery);
  EXPECT_EQ(q.correlation_id, "7");
  EXPECT_EQ(q.names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(One("U|S|3|[\"a\"]").action, presence_action::kSubscribe);

  EXPECT_EQ(One("C|PO").action, connection_action::kPong);
  EXPECT_EQ(One("C|CHR|ws://x/deepstream").url, "ws://x/deepstream");
  EXPECT_EQ(One("A|REQ|{\"username\":\"u\"}").data, "{\"username\":\"u\"}");
}

TEST(TextDecode, Listening) {
  Message l = One("R|L|li/.*");
  EXPECT_EQ(l.action, ra::kListen);
  EXPECT_EQ(l.name, "li/.*");
  Message la = One("E|LA|li/.*|li/1");
  EXPECT_EQ(la.action, event_action::kListenAccept);
  EXPECT_EQ(la.subscription, "li/1");
  EXPECT_EQ(One("R|LR|p|n").action, ra::kListenReject);
  EXPECT_EQ(One("E|UL|p").action, event_action::kUnlisten);
  EXPECT_EQ(ErrorOf("R|LA|p"), "R|E|INVALID_MESSAGE_DATA|R|LA|p+");
}

TEST(TextEncode, RecordsAndWriteAcks) {
  Message echo = Make(Topic::kRecord, ra::kSubscribeCreateAndRead);
  echo.names = {"a", "b"};
  echo.is_ack = true;
  EXPECT_EQ(Out(echo), "R|A|S|a+R|A|S|b+");
  Message read = Make(Topic::kRecord, ra::kReadResponse);
  read.name = "a";
  read.version = 0;
  read.data = "{}";
  EXPECT_EQ(Out(read), "R|R|a|0|{}+");
  Message patch = Make(Topic::kRecord, ra::kPatch);
  patch.name = "a";
  patch.version = 2;
  patch.path = "x.y";
  patch.data = "\"v\"";
  EXPECT_EQ(Out(patch), "R|P|a|2|x.y|Sv+");
  patch.data.reset();
  EXPECT_EQ(Out(patch), "R|P|a|2|x.y|U+");

  Message wa = Make(Topic::kRecord, ra::kWriteAcknowledgement);
  wa.name = "a";
  wa.correlation_id = "3";
  EXPECT_EQ(Out(wa), "R|WA|a|[3]|L+");
  wa.correlation_id = "x";
  EXPECT_EQ(Out(wa), "R|WA|a|[\"x\"]|L+");

  Message conflict = Make(Topic::kRecord, ra::kVersionExists);
  conflict.name = "a";
  conflict.version = 5;
  conflict.data = "{\"k\":1}";
  EXPECT_EQ(Out(conflict), "R|E|VERSION_EXISTS|a|5|{\"k\":1}+");
  conflict.is_write_ack = true;
  conflict.correlation_id = "5";
  EXPECT_EQ(Out(conflict), "R|E|VERSION_EXISTS|a|5|{\"k\":1}+R|WA|a|[5]|SVERSION_EXISTS+");

  Message gone = Make(Topic::kRecord, ra::kDeleted);
  gone.name = "a";
  EXPECT_EQ(Out(gone), "R|A|D|a+");
  Message unsub = Make(Topic::kRecord, ra::kUnsubscribe);
  unsub.correlation_id = "a";
  unsub.is_ack = true;
  EXPECT_EQ(Out(unsub), "R|A|US|a+");

  Message head = Make(Topic::kRecord, ra::kHeadResponse);
  head.name = "a";
  head.version = 4;
  EXPECT_EQ(Out(head), "R|HD|a|4+");
  head.version = -1;
  EXPECT_EQ(Out(head), "R|E|HD|a|RECORD_NOT_FOUND+");
  Message missing = Make(Topic::kRecord, ra::kRecordNotFound);
  missing.name = "a";
  missing.original_action = ra::kRead;
  EXPECT_EQ(Out(missing), "R|E|SN|a|RECORD_NOT_FOUND+");
  Message dup = Make(Topic::kRecord, ra::kMultipleSubscriptions);
  dup.name = "a";
  EXPECT_EQ(Out(dup), "R|E|MULTIPLE_SUBSCRIPTIONS|a+");
  EXPECT_EQ(Readable(EncodeHasResponse("a", true)), "R|H|a|T+");
  EXPECT_EQ(Readable(EncodeHasError("a", "RECORD_LOAD_ERROR")), "R|E|H|a|RECORD_LOAD_ERROR+");
  EXPECT_EQ(Out(Make(Topic::kRecord, ra::kHeadResponseBulk)), "");  // no legacy form
}

TEST(TextEncode, EventsRpcPresenceListening) {
  Message emit = Make(Topic::kEvent, event_action::kEmit);
  emit.name = "e";
  EXPECT_EQ(Out(emit), "E|EVT|e|U+");
  emit.data = "{\"a\":1}";
  EXPECT_EQ(Out(emit), "E|EVT|e|O{\"a\":1}+");
  Message ack = Make(Topic::kEvent, event_action::kSubscribe);
  ack.correlation_id = "e";
  ack.is_ack = true;
  EXPECT_EQ(Out(ack), "E|A|S|e+");

  Message req = Make(Topic::kRpc, rpc_action::kRequest);
  req.name = "add";
  req.correlation_id = "c";
  req.data = "{\"a\":1}";
  EXPECT_EQ(Out(req), "P|REQ|add|c|O{\"a\":1}+");
  req.action = rpc_action::kAccept;
  EXPECT_EQ(Out(req), "P|A|REQ|add|c+");
  req.action = rpc_action::kResponse;
  req.data = "3";
  EXPECT_EQ(Out(req), "P|RES|add|c|N3+");
  req.action = rpc_action::kRequestError;
  req.data = "\"boom\"";
  EXPECT_EQ(Out(req), "P|E|boom|add|c+");
  req.action = rpc_action::kNoRpcProvider;
  EXPECT_EQ(Out(req), "P|E|NO_RPC_PROVIDER|add|c+");
  req.action = rpc_action::kAcceptTimeout;
  EXPECT_EQ(Out(req), "P|E|ACK_TIMEOUT|add|c+");

  Message all = Make(Topic::kPresence, presence_action::kSubscribeAll);
  all.is_ack = true;
  EXPECT_EQ(Out(all), "U|A|S|S+");
  Message join = Make(Topic::kPresence, presence_action::kPresenceJoinAll);
  join.name = "bob";
  EXPECT_EQ(Out(join), "U|PNJ|bob+");
  Message users = Make(Topic::kPresence, presence_action::kQueryAllResponse);
  EXPECT_EQ(Out(users), "U|Q+");
  users.names = {"a", "b"};
  EXPECT_EQ(Out(users), "U|Q|a|b+");
  Message some = Make(Topic::kPresence, presence_action::kQueryResponse);
  some.correlation_id = "4";
  some.data = "{\"a\":true}";
  EXPECT_EQ(Out(some), "U|Q|4|{\"a\":true}+");

  Message found = Make(Topic::kRecord, ra::kSubscriptionForPatternFound);
  found.name = "li/.*";
  found.subscription = "li/1";
  EXPECT_EQ(Out(found), "R|SP|li/.*|li/1+");
  found.topic = Topic::kEvent;
  found.action = event_action::kSubscriptionForPatternRemoved;
  EXPECT_EQ(Out(found), "E|SR|li/.*|li/1+");
  Message provided = Make(Topic::kRecord, ra::kSubscriptionHasProvider);
  provided.name = "li/1";
  EXPECT_EQ(Out(provided), "R|SH|li/1|T+");
  Message listen_ack = Make(Topic::kRecord, ra::kListen);
  listen_ack.name = "li/.*";
  listen_ack.is_ack = true;
  EXPECT_EQ(Out(listen_ack), "R|A|L|li/.*+");
}

TEST(TextEncode, ConnectionAndAuth) {
  EXPECT_EQ(Out(Make(Topic::kConnection, connection_action::kAccept)), "C|A+");
  EXPECT_EQ(Out(Make(Topic::kConnection, connection_action::kPing)), "C|PI+");
  EXPECT_EQ(Out(Make(Topic::kAuth, auth_action::kAuthSuccessful)), "A|A+");
  EXPECT_EQ(Out(Make(Topic::kAuth, auth_action::kInvalidMessageData)),
            "A|E|INVALID_AUTH_MSG|invalid authentication message+");
  EXPECT_EQ(Out(Make(Topic::kConnection, connection_action::kAuthenticationTimeout)),
            "C|E|CONNECTION_AUTHENTICATION_TIMEOUT|Sconnection has not authenticated "
            "successfully in the expected time+");
}

TEST(TextEncode, RoundTripsClientMessagesThroughTheServerModel) {
  // What one legacy client sends reaches another legacy client unchanged.
  for (std::string legacy :
       {"E|EVT|e|Sx", "E|EVT|e|N1.5", "E|EVT|e|O[1,2]", "E|EVT|e|T", "E|EVT|e|L",
        "R|U|r|3|{\"a\":[1]}", "R|P|r|3|a.b|F", "P|REQ|f|c|Shi", "P|RES|f|c|O{\"x\":null}"}) {
    EXPECT_EQ(Out(One(legacy)), legacy + "+");
  }
}

}  // namespace
}  // namespace strata::text_wire
