#include "http_api/jif.h"

#include <gtest/gtest.h>

namespace strata::http_api {
namespace {

namespace ra = record_action;

Result<JifRequest> Parse(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  EXPECT_FALSE(doc.HasParseError()) << json;
  return ParseJif(doc, "c1");
}

std::string ParseError(const std::string& json) {
  Result<JifRequest> r = Parse(json);
  return r.ok() ? "" : std::string(r.status().message());
}

TEST(JifTest, EachMessageBecomesWhatASocketClientSends) {
  auto emit = Parse(R"({"topic":"event","action":"emit","eventName":"news","data":{"a":1}})");
  ASSERT_TRUE(emit.ok());
  EXPECT_EQ(emit->message.topic, Topic::kEvent);
  EXPECT_EQ(emit->message.action, event_action::kEmit);
  EXPECT_EQ(emit->message.name, "news");
  EXPECT_EQ(emit->message.data, R"({"a":1})");
  EXPECT_TRUE(emit->done_when_sent);
  EXPECT_FALSE(Parse(R"({"topic":"event","action":"emit","eventName":"e"})")->message.data);

  auto rpc = Parse(R"({"topic":"rpc","action":"make","rpcName":"add","data":[1,2]})");
  EXPECT_EQ(rpc->message.action, rpc_action::kRequest);
  EXPECT_EQ(rpc->message.correlation_id, "c1");
  EXPECT_EQ(rpc->message.data, "[1,2]");
  EXPECT_FALSE(rpc->done_when_sent);

  auto write = Parse(R"({"topic":"record","action":"write","recordName":"r","data":{"x":1}})");
  EXPECT_EQ(write->message.action, ra::kCreateAndUpdate);
  EXPECT_EQ(write->message.version, -1);
  EXPECT_EQ(write->message.is_write_ack, true);
  EXPECT_EQ(write->message.correlation_id, "c1");

  auto patch = Parse(
      R"({"topic":"record","action":"write","recordName":"r","path":"a.b","data":5,"version":3})");
  EXPECT_EQ(patch->message.action, ra::kCreateAndPatch);
  EXPECT_EQ(patch->message.path, "a.b");
  EXPECT_EQ(patch->message.data, "5");
  EXPECT_EQ(patch->message.version, 3);

  EXPECT_EQ(Parse(R"({"topic":"record","action":"read","recordName":"r"})")->message.action,
            ra::kRead);
  EXPECT_EQ(Parse(R"({"topic":"record","action":"head","recordName":"r"})")->message.action,
            ra::kHead);
  EXPECT_EQ(Parse(R"({"topic":"record","action":"delete","recordName":"r"})")->message.action,
            ra::kDelete);
  auto notify = Parse(R"({"topic":"record","action":"notify","recordNames":["a","b"]})");
  EXPECT_EQ(notify->message.action, ra::kNotify);
  EXPECT_EQ(notify->message.names, (std::vector<std::string>{"a", "b"}));

  auto list = Parse(R"({"topic":"list","action":"write","listName":"l","data":["a","b"]})");
  EXPECT_EQ(list->message.action, ra::kCreateAndUpdate);
  EXPECT_EQ(list->message.name, "l");
  EXPECT_EQ(Parse(R"({"topic":"list","action":"read","listName":"l"})")->message.action, ra::kRead);

  EXPECT_EQ(Parse(R"({"topic":"presence","action":"query"})")->message.action,
            presence_action::kQueryAll);
  auto some = Parse(R"({"topic":"presence","action":"query","names":["alice"]})");
  EXPECT_EQ(some->message.action, presence_action::kQuery);
  EXPECT_EQ(some->message.names, (std::vector<std::string>{"alice"}));
}

TEST(JifTest, MalformedMessagesAreRefused) {
  EXPECT_EQ(ParseError("[]"), "a JIF message must be an object");
  EXPECT_EQ(ParseError(R"({"action":"emit"})"), "property 'topic' is required");
  EXPECT_EQ(ParseError(R"({"topic":"event","action":"emit"})"), "property 'eventName' is required");
  EXPECT_EQ(ParseError(R"({"topic":"event","action":"emit","eventName":""})"),
            "property 'eventName' must be a non-empty string");
  EXPECT_EQ(ParseError(R"({"topic":"event","action":"emit","eventName":"e","extra":1})"),
            "property 'extra' is not allowed here");
  EXPECT_EQ(ParseError(R"({"topic":"record","action":"write","recordName":"r","data":5})"),
            "property 'data' must be an object or an array (or give a path)");
  EXPECT_EQ(ParseError(R"({"topic":"record","action":"write","recordName":"r"})"),
            "property 'data' is required");
  EXPECT_EQ(
      ParseError(R"({"topic":"record","action":"write","recordName":"r","data":{},"version":-2})"),
      "property 'version' must be an integer >= -1");
  EXPECT_EQ(
      ParseError(R"({"topic":"record","action":"write","recordName":"r","data":{},"version":1.5})"),
      "property 'version' must be an integer >= -1");
  EXPECT_EQ(ParseError(R"({"topic":"list","action":"write","listName":"l","data":[1]})"),
            "property 'data' must be an array of strings");
  EXPECT_EQ(ParseError(R"({"topic":"list","action":"head","listName":"l"})"),
            "unknown action 'head' for topic 'list'");
  EXPECT_EQ(ParseError(R"({"topic":"record","action":"notify","recordNames":[]})"),
            "property 'recordNames' must be a non-empty array of strings");
  EXPECT_EQ(ParseError(R"({"topic":"presence","action":"query","names":"alice"})"),
            "property 'names' must be an array of strings");
  EXPECT_EQ(ParseError(R"({"topic":"mqtt","action":"go"})"), "unknown topic/action 'mqtt/go'");
}

Message Reply(Topic topic, int32_t action) {
  Message m;
  m.topic = topic;
  m.action = action;
  return m;
}

TEST(JifTest, RepliesBecomeResultElements) {
  Message read = Reply(Topic::kRecord, ra::kReadResponse);
  read.version = 2;
  read.data = R"({"a":1})";
  EXPECT_EQ(JifResult(read)->json, R"({"version":2,"data":{"a":1},"success":true})");
  Message head = Reply(Topic::kRecord, ra::kHeadResponse);
  head.version = -1;
  EXPECT_EQ(JifResult(head)->json, R"({"version":-1,"success":true})");
  EXPECT_EQ(JifResult(Reply(Topic::kRecord, ra::kWriteAcknowledgement))->json,
            R"({"success":true})");

  Message missing = Reply(Topic::kRecord, ra::kRecordNotFound);
  missing.name = "h-missing";
  missing.is_error = true;
  JifElement e = *JifResult(missing);
  EXPECT_FALSE(e.success);
  EXPECT_EQ(e.json, R"({"errorTopic":"record","errorEvent":107,"success":false,)"
                    R"("error":"Record read failed. Record \"h-missing\" could not be found."})");

  Message conflict = Reply(Topic::kRecord, ra::kVersionExists);
  conflict.name = "r";
  conflict.version = 4;
  conflict.data = R"({"v":4})";
  EXPECT_EQ(
      JifResult(conflict)->json,
      R"({"errorTopic":"record","errorEvent":102,"success":false,"currentVersion":4,"currentData":{"v":4},)"
      R"("error":"Record update failed. Version 4 exists for record \"r\"."})");

  Message response = Reply(Topic::kRpc, rpc_action::kResponse);
  response.data = "5";
  EXPECT_EQ(JifResult(response)->json, R"({"data":5,"success":true})");
  EXPECT_FALSE(JifResult(Reply(Topic::kRpc, rpc_action::kAccept)));
  Message failed = Reply(Topic::kRpc, rpc_action::kRequestError);
  failed.data = R"("boom")";
  EXPECT_EQ(JifResult(failed)->json, R"({"errorTopic":"rpc","error":"boom","success":false})");
  Message none = Reply(Topic::kRpc, rpc_action::kNoRpcProvider);
  none.name = "add";
  EXPECT_NE(JifResult(none)->json.find(R"(No provider was available to handle the RPC \"add\".)"),
            std::string::npos);

  Message all = Reply(Topic::kPresence, presence_action::kQueryAllResponse);
  all.names = {"alice", "bob"};
  EXPECT_EQ(JifResult(all)->json, R"({"users":["alice","bob"],"success":true})");
  Message some = Reply(Topic::kPresence, presence_action::kQueryResponse);
  some.data = R"({"alice":true})";
  EXPECT_EQ(JifResult(some)->json, R"({"users":{"alice":true},"success":true})");
}

TEST(JifTest, OverallResult) {
  EXPECT_EQ(JifResponse({JifSuccess(), JifSuccess()}),
            R"({"result":"SUCCESS","body":[{"success":true},{"success":true}]})");
  EXPECT_EQ(
      JifResponse({JifSuccess(), JifTimeout()}),
      R"({"result":"PARTIAL_SUCCESS","body":[{"success":true},{"success":false,"error":"HTTP_REQUEST_TIMEOUT"}]})");
  EXPECT_EQ(JifResponse({JifTimeout()}),
            R"({"result":"FAILURE","body":[{"success":false,"error":"HTTP_REQUEST_TIMEOUT"}]})");
}

}  // namespace
}  // namespace strata::http_api
