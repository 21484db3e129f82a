#include "protocol/json/json_codec.h"

#include <pthread.h>

#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace strata::json_wire {
namespace {

Message FullMessage() {
  Message m;
  m.topic = Topic::kRecord;
  m.action = record_action::kUpdate;
  m.data = "{\"k\":[1,2,{\"x\":null}]}";
  m.correlation_id = "c-1";
  m.is_error = false;
  m.is_ack = true;
  m.name = "rec/1";
  m.names = {"a", "b/c", ""};
  m.pattern = "rec/.*";
  m.subscription = "rec/2";
  m.original_action = record_action::kPatch;
  m.original_topic = Topic::kEvent;
  m.is_write_ack = true;
  m.path = "k.0";
  m.version = -1;
  m.versions = {{"r1", 3}, {"r2", 0}};
  m.url = "ws://127.0.0.1:6020/deepstream-json";
  m.protocol_version = "0.1a";
  m.sdk_version = "7.0.5";
  m.sdk_type = "javascript";
  m.requestor_name = "alice";
  m.requestor_data = "{\"role\":\"admin\"}";
  return m;
}

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
  EXPECT_TRUE(Normalize(expected) == Normalize(actual)) << "expected " << expected << "\nactual   "
                                                        << actual;
}

Message Decoded(std::string_view text) {
  Result<Message> r = Decode(text);
  EXPECT_TRUE(r.ok()) << text << ": " << r.status().ToString();
  return r.ok() ? *r : Message{};
}

void ExpectInvalid(std::string_view text, std::string_view mention = "") {
  Result<Message> r = Decode(text);
  ASSERT_FALSE(r.ok()) << text.substr(0, 200);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find(mention), std::string_view::npos) << r.status().ToString();
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
      {R"({"topic":2,"action":4})", false},                                        // [0253]
      {R"({"topic":3,"action":3})", false},                                        // [0255]
      {R"({"topic":5,"action":23,"names":["j"],"correlationId":"0","isAck":false})", true},
      {R"({"topic":5,"action":4,"name":"j","version":0,"parsedData":{}})", false},  // [0259]
      {R"({"topic":5,"action":14,"name":"j","correlationId":"1","isWriteAck":true})", false},
      {R"({"topic":4,"action":3,"correlationId":"0"})", true},                     // [0263]
      {R"({"topic":4,"names":[],"action":2,"data":"{\"from\":\"c1-binary\"}","name":"jev"})",
       false},                                                                     // [0266]
      {R"({"topic":6,"names":[],"action":7,"data":"\"it broke\"","correlationId":"mwzmcezp-d7qc6xp1hkt","name":"fail"})",
       false},                                                                     // [0269]
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

TEST(JsonCodecTest, DeeplyNestedParsedDataDoesNotOverflowTheStack) {
  constexpr int kDepth = 100000;
  std::string nested = std::string(kDepth, '[') + std::string(kDepth, ']');
  Message m = Decoded("{\"topic\":4,\"action\":2,\"parsedData\":" + nested + "}");
  EXPECT_EQ(*m.data, nested);

  std::string objects;
  for (int i = 0; i < kDepth; ++i) objects += "{\"a\":";
  objects += "1" + std::string(kDepth, '}');
  m = Decoded("{\"topic\":4,\"action\":2,\"parsedData\":" + objects + "}");
  EXPECT_EQ(*m.data, objects);
}

// Runs Decode + Encode on a thread with a 128 KiB stack: recursion over the nesting depth would
// overflow it long before 100000 levels.
TEST(JsonCodecTest, DeepInputNeedsOnlyASmallStack) {
  struct Job {
    std::string frame;
    bool decoded = false;
    size_t encoded_size = 0;
  } job;
  constexpr int kDepth = 100000;
  job.frame = "{\"topic\":4,\"parsedData\":" + std::string(kDepth, '[') +
              std::string(kDepth, ']') + "}";
  pthread_attr_t attr;
  ASSERT_EQ(pthread_attr_init(&attr), 0);
  ASSERT_EQ(pthread_attr_setstacksize(&attr, 128 * 1024), 0);
  pthread_t thread;
  auto run = [](void* arg) -> void* {
    Job* j = static_cast<Job*>(arg);
    Result<Message> r = Decode(j->frame);
    j->decoded = r.ok();
    if (r.ok()) j->encoded_size = Encode(*r).size();
    Result<Message> bad = Decode(std::string(kDepth, '{'));
    if (bad.ok()) j->decoded = false;
    return nullptr;
  };
  ASSERT_EQ(pthread_create(&thread, &attr, run, &job), 0);
  ASSERT_EQ(pthread_join(thread, nullptr), 0);
  pthread_attr_destroy(&attr);
  EXPECT_TRUE(job.decoded);
  EXPECT_GT(job.encoded_size, 2u * kDepth);
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

TEST(JsonCodecTest, RejectsFramesThatAreNotMessages) {
  ExpectInvalid("");
  ExpectInvalid("   ");
  ExpectInvalid("not json");
  ExpectInvalid("null", "not a JSON object");
  ExpectInvalid("[]", "not a JSON object");
  ExpectInvalid("[{\"topic\":1}]", "not a JSON object");
  ExpectInvalid("42", "not a JSON object");
  ExpectInvalid("\"str\"", "not a JSON object");
  ExpectInvalid("{}", "topic");
  ExpectInvalid("{\"action\":1}", "topic");
  ExpectInvalid("{\"topic\":null,\"action\":1}", "topic");
  ExpectInvalid("{\"topic\":1", "");
  ExpectInvalid("{\"topic\":1}{\"topic\":2}");
  ExpectInvalid("{\"topic\":1} x");
  ExpectInvalid(std::string_view("{\"topic\":1}\0{", 13), "NUL");
  ExpectInvalid(std::string_view("{\"topic\":1,\"name\":\"a\0b\"}", 24), "NUL");
  ExpectInvalid("{\"topic\":1,\"name\":\"\xC3\x28\"}");  // invalid UTF-8
  ExpectInvalid("{\"topic\":NaN}");
  ExpectInvalid("{'topic':1}");
}

TEST(JsonCodecTest, RejectsBadNumbers) {
  ExpectInvalid("{\"topic\":\"2\"}", "topic");
  ExpectInvalid("{\"topic\":true}", "topic");
  ExpectInvalid("{\"topic\":2.5}", "topic");
  ExpectInvalid("{\"topic\":4294967298}", "topic");
  ExpectInvalid("{\"topic\":-2147483649}", "topic");
  ExpectInvalid("{\"topic\":1e400}");
  ExpectInvalid("{\"topic\":99999999999999999999999999999}", "topic");
  ExpectInvalid("{\"topic\":1,\"action\":1e10}", "action");
  ExpectInvalid("{\"topic\":1,\"version\":2147483648}", "version");
  ExpectInvalid("{\"topic\":1,\"originalAction\":\"x\"}", "originalAction");
  ExpectInvalid("{\"topic\":1,\"originalTOPIC\":[]}", "originalTOPIC");
  EXPECT_EQ(*Decoded("{\"topic\":1,\"version\":-2147483648}").version, INT32_MIN);
}

TEST(JsonCodecTest, RejectsWrongFieldTypesNamingTheField) {
  ExpectInvalid(R"({"topic":5,"name":5})", "'name'");
  ExpectInvalid(R"({"topic":5,"data":{"a":1}})", "'data'");
  ExpectInvalid(R"({"topic":5,"correlationId":1})", "'correlationId'");
  ExpectInvalid(R"({"topic":5,"isAck":"true"})", "'isAck'");
  ExpectInvalid(R"({"topic":5,"isWriteAck":1})", "'isWriteAck'");
  ExpectInvalid(R"({"topic":5,"names":"a"})", "'names'");
  ExpectInvalid(R"({"topic":5,"names":["a",1]})", "'names'");
  ExpectInvalid(R"({"topic":5,"versions":[]})", "'versions'");
  ExpectInvalid(R"({"topic":5,"versions":{"a":"1"}})", "'versions'");
  ExpectInvalid(R"({"topic":5,"versions":{"a":1.5}})", "'versions'");
  ExpectInvalid(R"({"topic":5,"requestorData":{}})", "'requestorData'");
  ExpectInvalid(R"({"topic":2,"url":false})", "'url'");
}

TEST(JsonCodecTest, DeepNestingIsAnErrorNotACrash) {
  constexpr int kDepth = 10000;
  ExpectInvalid(std::string(kDepth, '['));
  ExpectInvalid(std::string(kDepth, '[') + std::string(kDepth, ']'), "not a JSON object");
  std::string objects;
  for (int i = 0; i < kDepth; ++i) objects += "{\"a\":";
  ExpectInvalid(objects);
  ExpectInvalid("{\"topic\":1,\"name\":" + std::string(kDepth, '[') + std::string(kDepth, ']') +
                    "}",
                "'name'");
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
  m.name = "a\x80" "b\xE2\x82" "c\xC0\xAF" "d\xED\xA0\x80" "e\xF4\x90\x80\x80";
  const std::string sanitized = Encode(m);
  rapidjson::Document d;
  d.Parse<rapidjson::kParseValidateEncodingFlag>(sanitized.c_str(), sanitized.size());
  ASSERT_FALSE(d.HasParseError()) << sanitized;
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(std::string(d["name"].GetString()),
            "a" + fffd + "b" + fffd + fffd + "c" + fffd + fffd + "d" + fffd + fffd + fffd + "e" +
                fffd + fffd + fffd + fffd);
}

// Deterministic mutations of valid frames: never a crash; whatever decodes re-encodes to a frame
// that decodes to the same message.
TEST(JsonCodecTest, MutatedFramesNeverCrash) {
  const std::string seeds[] = {
      Encode(FullMessage()),
      R"({"topic":3,"action":2,"parsedData":{"username":"json-user","n":[1,2.5,-3e7,null]},"isAck":false})",
      R"({"topic":5,"action":22,"versions":{"a":1},"names":["x","y"],"originalTOPIC":5})",
  };
  const char kAlphabet[] = "{}[]\":,0123456789-+.eE\\ntrufalsnul \x80\xC3\xFF";
  std::mt19937 rng(20240611);
  int decoded = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string frame = seeds[i % 3];
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !frame.empty(); ++e) {
      const size_t pos = rng() % frame.size();
      switch (rng() % 3) {
        case 0: frame[pos] = kAlphabet[rng() % (sizeof(kAlphabet) - 1)]; break;
        case 1: frame.erase(pos, 1 + rng() % 3); break;
        default: frame.insert(pos, 1, kAlphabet[rng() % (sizeof(kAlphabet) - 1)]); break;
      }
    }
    Result<Message> r = Decode(frame);
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
      continue;
    }
    ++decoded;
    Result<Message> again = Decode(Encode(*r));
    ASSERT_TRUE(again.ok()) << frame;
    EXPECT_EQ(*again, *r) << frame;
  }
  EXPECT_GT(decoded, 100);
}

}  // namespace
}  // namespace strata::json_wire
