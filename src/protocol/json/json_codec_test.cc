// The JSON codec on well-formed frames: every field round-trips, the official client's frames
// decode and ours encode as the reference server's, parsedData becomes compact data text.

#include "protocol/json/json_codec.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "protocol/json/json_codec_test_util.h"

namespace strata::json_wire {
namespace {

using testing::Decoded;
using testing::FullMessage;

rapidjson::Document Parse(const std::string& text) {
  rapidjson::Document d;
  d.Parse(text.c_str(), text.size());
  EXPECT_FALSE(d.HasParseError()) << text;
  return d;
}

// What the official client sees of a frame: `parsedData` folded into a `data` string (our
// Encode writes the payload only as `data`), no `isAck` (7.0.2 leaves the client's own flag on
// acks, we set true) and no empty `names` (the reference server copies protobufjs' default []).
rapidjson::Document Normalize(const std::string& text) {
  rapidjson::Document d = Parse(text);
  d.RemoveMember("isAck");
  if (d.HasMember("names") && d["names"].IsArray() && d["names"].Empty()) d.RemoveMember("names");
  if (d.HasMember("parsedData")) {
    if (!d.HasMember("data")) {
      rapidjson::StringBuffer buf;
      rapidjson::Writer<rapidjson::StringBuffer> writer(buf);
      d["parsedData"].Accept(writer);
      d.AddMember("data", rapidjson::Value(buf.GetString(), d.GetAllocator()), d.GetAllocator());
    }
    d.RemoveMember("parsedData");
  }
  return d;
}

void ExpectJsonEq(const std::string& expected, const std::string& actual) {
  EXPECT_TRUE(Normalize(expected) == Normalize(actual))
      << "expected " << expected << "\nactual   " << actual;
}

TEST(JsonCodecTest, RoundTripsEveryField) {
  const Message m = FullMessage();
  EXPECT_EQ(Decoded(Encode(m)), m);
  EXPECT_EQ(Encode(m),
            "{\"topic\":5,\"action\":18,\"data\":\"{\\\"k\\\":[1,2,{\\\"x\\\":null}]}\","
            "\"correlationId\":\"c-1\",\"name\":\"rec/1\",\"pattern\":\"rec/.*\","
            "\"subscription\":\"rec/2\",\"path\":\"k.0\","
            "\"url\":\"ws://127.0.0.1:6020/deepstream-json\",\"protocolVersion\":\"0.1a\","
            "\"sdkVersion\":\"7.0.5\",\"sdkType\":\"javascript\",\"requestorName\":\"alice\","
            "\"requestorData\":\"{\\\"role\\\":\\\"admin\\\"}\",\"isError\":false,"
            "\"isAck\":true,\"isWriteAck\":true,\"originalAction\":19,\"version\":-1,"
            "\"originalTopic\":4,\"names\":[\"a\",\"b/c\",\"\"],"
            "\"versions\":{\"r1\":3,\"r2\":0}}");
}

TEST(JsonCodecTest, RoundTripsEachFieldAlone) {
  const Message full = FullMessage();
  // Every field set alone, at its "default" value too, survives and nothing else appears.
  std::vector<Message> cases;
  auto add = [&](auto member, auto value) {
    Message m;
    m.topic = Topic::kRpc;
    m.*member = value;
    cases.push_back(m);
  };
  add(&Message::data, std::optional<std::string>(""));
  add(&Message::correlation_id, std::optional<std::string>(""));
  add(&Message::is_error, std::optional<bool>(false));
  add(&Message::is_ack, std::optional<bool>(false));
  add(&Message::is_write_ack, std::optional<bool>(false));
  add(&Message::version, std::optional<int32_t>(0));
  add(&Message::original_action, std::optional<int32_t>(0));
  add(&Message::original_topic, std::optional<Topic>(Topic::kUnknown));
  add(&Message::names, full.names);
  add(&Message::versions, full.versions);
  add(&Message::requestor_data, full.requestor_data);
  for (const Message& m : cases) {
    const std::string text = Encode(m);
    EXPECT_EQ(Decoded(text), m) << text;
    EXPECT_EQ(Parse(text).MemberCount(), 3u) << text;
  }
}

TEST(JsonCodecTest, WritesOnlyTopicAndActionForEmptyMessage) {
  Message m;
  m.topic = Topic::kConnection;
  m.action = connection_action::kAccept;
  EXPECT_EQ(Encode(m), "{\"topic\":2,\"action\":4}");
}

TEST(JsonCodecTest, EncodeAppends) {
  std::string out = "prefix";
  Message m;
  Encode(m, &out);
  EXPECT_EQ(out, "prefix{\"topic\":0,\"action\":0}");
}

TEST(JsonCodecTest, PassesUnknownNumbersThrough) {
  Message m = Decoded("{\"topic\":77,\"action\":-5,\"originalTopic\":1234,\"originalAction\":999}");
  EXPECT_EQ(static_cast<int32_t>(m.topic), 77);
  EXPECT_EQ(m.action, -5);
  EXPECT_EQ(static_cast<int32_t>(*m.original_topic), 1234);
  EXPECT_EQ(*m.original_action, 999);
  EXPECT_EQ(Decoded(Encode(m)), m);
}

// Client frames of transcript-v7 section 8 (official client 7.0.5, jsonTransportMode).
TEST(JsonCodecTest, DecodesTranscriptClientFrames) {
  Message challenge = Decoded(  // [0252]
      R"({"topic":2,"action":5,"url":"ws://127.0.0.1:17109/deepstream-json","protocolVersion":"0.1a","sdkVersion":"7.0.5","sdkType":"javascript","isAck":false})");
  Message expected;
  expected.topic = Topic::kConnection;
  expected.action = connection_action::kChallenge;
  expected.url = "ws://127.0.0.1:17109/deepstream-json";
  expected.protocol_version = "0.1a";
  expected.sdk_version = "7.0.5";
  expected.sdk_type = "javascript";
  expected.is_ack = false;
  EXPECT_EQ(challenge, expected);

  Message auth = Decoded(  // [0254]
      R"({"topic":3,"action":2,"parsedData":{"username":"json-user"},"data":"{\"username\":\"json-user\"}","isAck":false})");
  expected = Message{};
  expected.topic = Topic::kAuth;
  expected.action = auth_action::kRequest;
  expected.data = R"({"username":"json-user"})";
  expected.is_ack = false;
  EXPECT_EQ(auth, expected);

  Message subscribe = Decoded(  // [0257]
      R"({"topic":5,"action":23,"names":["j"],"correlationId":"0","isAck":false})");
  expected = Message{};
  expected.topic = Topic::kRecord;
  expected.action = record_action::kSubscribeCreateAndRead;
  expected.names = {"j"};
  expected.correlation_id = "0";
  expected.is_ack = false;
  EXPECT_EQ(subscribe, expected);

  Message update = Decoded(  // [0260]
      R"({"topic":5,"version":1,"name":"j","action":18,"parsedData":{"hello":"json"},"correlationId":"1","isWriteAck":true,"data":"{\"hello\":\"json\"}","isAck":false})");
  expected = Message{};
  expected.topic = Topic::kRecord;
  expected.action = record_action::kUpdate;
  expected.version = 1;
  expected.name = "j";
  expected.data = R"({"hello":"json"})";
  expected.correlation_id = "1";
  expected.is_write_ack = true;
  expected.is_ack = false;
  EXPECT_EQ(update, expected);

  Message event_sub = Decoded(  // [0262]
      R"({"topic":4,"action":3,"names":["jev"],"correlationId":"0","isAck":false})");
  EXPECT_EQ(event_sub.topic, Topic::kEvent);
  EXPECT_EQ(event_sub.action, event_action::kSubscribe);
  EXPECT_EQ(event_sub.names, std::vector<std::string>{"jev"});

  // [0265]: the client fills `data` only for truthy parsedData, so null comes alone.
  Message rpc = Decoded(
      R"({"topic":6,"action":2,"correlationId":"mwzmcezp-d7qc6xp1hkt","name":"fail","parsedData":null,"isAck":false})");
  expected = Message{};
  expected.topic = Topic::kRpc;
  expected.action = rpc_action::kRequest;
  expected.correlation_id = "mwzmcezp-d7qc6xp1hkt";
  expected.name = "fail";
  expected.data = "null";
  expected.is_ack = false;
  EXPECT_EQ(rpc, expected);
}

// Server frames of transcript-v7 section 8: what we encode for the same message is what the
// client sees from the reference server (see Normalize), with isAck:true on acks in addition.
TEST(JsonCodecTest, EncodesTranscriptServerFrames) {
  struct Case {
    std::string frame;
    bool ack;
  };
  const Case cases[] = {
      {R"({"topic":2,"action":4})", false},  // [0253]
      {R"({"topic":3,"action":3})", false},  // [0255]
      {R"({"topic":5,"action":23,"names":["j"],"correlationId":"0","isAck":false})", true},
      {R"({"topic":5,"action":4,"name":"j","version":0,"parsedData":{}})", false},  // [0259]
      {R"({"topic":5,"action":14,"name":"j","correlationId":"1","isWriteAck":true})", false},
      {R"({"topic":4,"action":3,"correlationId":"0"})", true},  // [0263]
      {R"({"topic":4,"names":[],"action":2,"data":"{\"from\":\"c1-binary\"}","name":"jev"})",
       false},  // [0266]
      {R"({"topic":6,"names":[],"action":7,"data":"\"it broke\"","correlationId":"mwzmcezp-d7qc6xp1hkt","name":"fail"})",
       false},  // [0269]
  };
  for (const Case& c : cases) {
    Message m = Decoded(c.frame);
    if (c.ack) m.is_ack = true;
    const std::string ours = Encode(m);
    ExpectJsonEq(c.frame, ours);
    EXPECT_EQ(Parse(ours).HasMember("isAck"), c.ack) << ours;
    EXPECT_FALSE(Parse(ours).HasMember("parsedData")) << ours;
  }
  // READ_RESPONSE [0259] exactly: version 0 present, payload as a data string.
  Message read = Decoded(R"({"topic":5,"action":4,"name":"j","version":0,"parsedData":{}})");
  EXPECT_EQ(Encode(read), R"({"topic":5,"action":4,"data":"{}","name":"j","version":0})");
}

TEST(JsonCodecTest, DataWinsOverParsedData) {
  EXPECT_EQ(*Decoded(R"({"topic":4,"parsedData":{"a":1},"data":"\"text\""})").data, "\"text\"");
  EXPECT_EQ(*Decoded(R"({"topic":4,"data":"\"text\"","parsedData":{"a":1}})").data, "\"text\"");
  // data:null counts as absent, so parsedData is used.
  EXPECT_EQ(*Decoded(R"({"topic":4,"data":null,"parsedData":[1]})").data, "[1]");
  // The data text is taken verbatim, even when it is not valid JSON (the handlers judge it).
  EXPECT_EQ(*Decoded(R"({"topic":4,"data":"{not json"})").data, "{not json");
  EXPECT_FALSE(Decoded(R"({"topic":4,"action":2})").data.has_value());
}

TEST(JsonCodecTest, ParsedDataIsSerialisedCompactly) {
  const std::pair<std::string, std::string> cases[] = {
      {R"( { "a" : [ 1 , 2.5 , true , null , "x" ] , "b" : { } } )",
       R"({"a":[1,2.5,true,null,"x"],"b":{}})"},
      {"0", "0"},
      {"false", "false"},
      {"null", "null"},
      {R"("str")", R"("str")"},
      {"[]", "[]"},
      {"-12", "-12"},
      {"12345678901234567890", "12345678901234567890"},
      {"-9223372036854775808", "-9223372036854775808"},
      {"0.1", "0.1"},
      {"1E2", "100"},
      {R"("\u00e9\n\"\\\/")", "\"\xC3\xA9\\n\\\"\\\\/\""},
      {R"({"k\"ey":[[[]]]})", R"({"k\"ey":[[[]]]})"},
  };
  for (const auto& [parsed, data] : cases) {
    const std::string frame = "{\"topic\":4,\"action\":2,\"parsedData\":" + parsed + "}";
    Message m = Decoded(frame);
    ASSERT_TRUE(m.data.has_value()) << frame;
    EXPECT_EQ(*m.data, data) << frame;
    EXPECT_FALSE(Parse(Encode(m)).HasMember("parsedData"));
  }
}

TEST(JsonCodecTest, LastDuplicateKeyWins) {
  Message m = Decoded(R"({"topic":1,"topic":4,"name":"a","name":"b","name":null,"action":2})");
  EXPECT_EQ(m.topic, Topic::kEvent);
  EXPECT_FALSE(m.name.has_value());
}

TEST(JsonCodecTest, AcceptsBothOriginalTopicSpellings) {
  EXPECT_EQ(*Decoded(R"({"topic":1,"originalTOPIC":5})").original_topic, Topic::kRecord);
  EXPECT_EQ(*Decoded(R"({"topic":1,"originalTopic":6})").original_topic, Topic::kRpc);
}

TEST(JsonCodecTest, IgnoresUnknownKeysAndDefaultsAction) {
  Message m = Decoded(R"({"topic":5,"reason":"x","checksum":12,"fullState":[1,{}]})");
  Message expected;
  expected.topic = Topic::kRecord;
  EXPECT_EQ(m, expected);
  EXPECT_EQ(Decoded(R"({"topic":5,"action":2.0})").action, 2);  // integral double
}

TEST(JsonCodecTest, EncodeEscapesAndKeepsUtf8Valid) {
  Message m;
  m.name = std::string("q\"b\\s/\n\t\x01\x1f\x7f", 11) + "\xC3\xA9\xF0\x9F\x98\x80";
  m.data = "\"x\"";
  const std::string text = Encode(m);
  EXPECT_NE(text.find(R"(q\"b\\s/\n\t\u0001\u001f)"), std::string::npos) << text;
  EXPECT_EQ(Decoded(text), m);

  // Invalid UTF-8 (stray continuation, truncated sequence, overlong, surrogate, > U+10FFFF)
  // becomes U+FFFD per bad byte, so the frame stays valid UTF-8.
  m.name =
      "a\x80"
      "b\xE2\x82"
      "c\xC0\xAF"
      "d\xED\xA0\x80"
      "e\xF4\x90\x80\x80";
  const std::string sanitized = Encode(m);
  rapidjson::Document d;
  d.Parse<rapidjson::kParseValidateEncodingFlag>(sanitized.c_str(), sanitized.size());
  ASSERT_FALSE(d.HasParseError()) << sanitized;
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(std::string(d["name"].GetString()), "a" + fffd + "b" + fffd + fffd + "c" + fffd + fffd +
                                                    "d" + fffd + fffd + fffd + "e" + fffd + fffd +
                                                    fffd + fffd);
}

}  // namespace
}  // namespace strata::json_wire
