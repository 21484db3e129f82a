// Golden frames: every BINARY frame the reference v7 server and client exchanged must decode,
// re-encode to the identical bytes, and decode to the fields @deepstream/protobuf reported.

#include <cstdio>
#include <map>
#include <regex>
#include <set>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "protocol/binary/binary_codec.h"
#include "protocol/binary/golden_transcript.h"

namespace strata::binary {
namespace {

using testing::GoldenFrame;
using testing::LoadGoldenFrames;
using testing::ToHex;

// The transcript holds ~250 complete binary frames; far fewer means the transcript reader broke.
constexpr size_t kMinCheckedFrames = 200;

const std::map<std::string, Topic>& TopicNames() {
  static const auto* names = new std::map<std::string, Topic>{
      {"UNKNOWN", Topic::kUnknown},
      {"PARSER", Topic::kParser},
      {"CONNECTION", Topic::kConnection},
      {"AUTH", Topic::kAuth},
      {"EVENT", Topic::kEvent},
      {"RECORD", Topic::kRecord},
      {"RPC", Topic::kRpc},
      {"PRESENCE", Topic::kPresence},
      {"MONITORING", Topic::kMonitoring},
      {"CLUSTER", Topic::kCluster},
      {"LOCK", Topic::kLock},
      {"STATE_REGISTRY", Topic::kStateRegistry},
      {"ERROR", Topic::kError},
  };
  return *names;
}

const std::map<std::string, const std::optional<std::string> Message::*>& StringKeys() {
  static const auto* keys = new std::map<std::string, const std::optional<std::string> Message::*>{
      {"data", &Message::data},
      {"correlationId", &Message::correlation_id},
      {"name", &Message::name},
      {"pattern", &Message::pattern},
      {"subscription", &Message::subscription},
      {"path", &Message::path},
      {"url", &Message::url},
      {"protocolVersion", &Message::protocol_version},
      {"sdkVersion", &Message::sdk_version},
      {"sdkType", &Message::sdk_type},
      {"requestorName", &Message::requestor_name},
      {"requestorData", &Message::requestor_data},
  };
  return *keys;
}

const std::map<std::string, const std::optional<bool> Message::*>& BoolKeys() {
  static const auto* keys = new std::map<std::string, const std::optional<bool> Message::*>{
      {"isError", &Message::is_error},
      {"isAck", &Message::is_ack},
      {"isWriteAck", &Message::is_write_ack},
  };
  return *keys;
}

// The JSON keys protobufjs would report for the scalar fields set in `msg`.
std::set<std::string> PresentScalarKeys(const Message& msg) {
  std::set<std::string> keys;
  for (const auto& [key, member] : StringKeys()) {
    if (msg.*member) keys.insert(key);
  }
  for (const auto& [key, member] : BoolKeys()) {
    if (msg.*member) keys.insert(key);
  }
  if (msg.version) keys.insert("version");
  if (msg.original_action) keys.insert("originalAction");
  if (msg.original_topic) keys.insert("originalTOPIC");
  return keys;
}

int32_t InnerAction(const std::string& inner) {
  static const std::regex kAction(R"(^1:varint=(-?\d+))");
  std::smatch match;
  EXPECT_TRUE(std::regex_search(inner, match, kAction)) << inner;
  return match.empty() ? -1 : std::stoi(match[1]);
}

void ExpectMatchesMember(const std::string& key, const rapidjson::Value& value,
                         const Message& msg) {
  if (auto it = StringKeys().find(key); it != StringKeys().end()) {
    ASSERT_TRUE(value.IsString()) << key;
    EXPECT_EQ(msg.*(it->second), std::string(value.GetString(), value.GetStringLength())) << key;
  } else if (auto it = BoolKeys().find(key); it != BoolKeys().end()) {
    EXPECT_EQ(msg.*(it->second), value.GetBool()) << key;
  } else if (key == "version") {
    EXPECT_EQ(msg.version, value.GetInt());
  } else if (key == "originalAction") {
    ASSERT_TRUE(msg.original_action.has_value());
    if (value.IsInt()) {
      EXPECT_EQ(*msg.original_action, value.GetInt());
    }
  } else if (key == "originalTOPIC") {
    ASSERT_TRUE(msg.original_topic.has_value());
    if (value.IsString()) {
      EXPECT_EQ(*msg.original_topic, TopicNames().at(value.GetString()));
    }
  } else {
    ADD_FAILURE() << "unexpected key in decoded JSON: " << key;
  }
}

void ExpectNamesAndVersions(const rapidjson::Document& doc, const Message& msg) {
  std::vector<std::string> names;
  if (doc.HasMember("names")) {
    for (const auto& name : doc["names"].GetArray()) names.emplace_back(name.GetString());
  }
  EXPECT_EQ(msg.names, names);
  std::vector<std::pair<std::string, int32_t>> versions;
  if (doc.HasMember("versions")) {
    for (const auto& entry : doc["versions"].GetObject()) {
      versions.emplace_back(entry.name.GetString(), entry.value.GetInt());
    }
  }
  EXPECT_EQ(msg.versions, versions);
}

// Compares `msg` with the reference parser's view of the same frame.
void ExpectMatchesReference(const GoldenFrame& frame, const Message& msg) {
  rapidjson::Document doc;
  doc.Parse(frame.decoded.c_str());
  ASSERT_FALSE(doc.HasParseError()) << frame.decoded;
  EXPECT_EQ(msg.topic, TopicNames().at(doc["topic"].GetString()));
  EXPECT_EQ(msg.action, InnerAction(frame.inner));
  if (doc["action"].IsInt()) {
    EXPECT_EQ(msg.action, doc["action"].GetInt());
  }
  ExpectNamesAndVersions(doc, msg);
  std::set<std::string> reference_keys;
  for (const auto& member : doc.GetObject()) {
    const std::string key = member.name.GetString();
    if (key == "topic" || key == "action" || key == "names" || key == "versions") continue;
    reference_keys.insert(key);
    ExpectMatchesMember(key, member.value, msg);
  }
  EXPECT_EQ(PresentScalarKeys(msg), reference_keys);
}

bool IsCompleteValidFrame(const GoldenFrame& frame) {
  return !frame.abbreviated && !frame.undecodable && !frame.decoded.empty();
}

class GoldenTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { frames_ = new std::vector<GoldenFrame>(LoadGoldenFrames()); }
  static void TearDownTestSuite() { delete frames_; }

  static Message DecodeFrame(const std::string& id) {
    for (const GoldenFrame& frame : *frames_) {
      if (frame.id != id) continue;
      Result<Message> msg = Decode(frame.bytes);
      EXPECT_TRUE(msg.ok()) << id << ": " << msg.status().ToString();
      return msg.ok() ? *msg : Message{};
    }
    ADD_FAILURE() << "no frame " << id;
    return Message{};
  }

  static std::vector<GoldenFrame>* frames_;
};

std::vector<GoldenFrame>* GoldenTest::frames_ = nullptr;

TEST_F(GoldenTest, EveryFrameRoundTripsByteForByte) {
  size_t checked = 0;
  for (const GoldenFrame& frame : *frames_) {
    if (!IsCompleteValidFrame(frame)) continue;
    SCOPED_TRACE("frame [" + frame.id + "] " + frame.decoded);
    ASSERT_EQ(frame.bytes.size(), frame.declared_size);
    ASSERT_LT(frame.trailing, frame.bytes.size());
    Result<Message> msg = Decode(frame.bytes);
    ASSERT_TRUE(msg.ok()) << msg.status().ToString();
    const std::string first = frame.bytes.substr(0, frame.bytes.size() - frame.trailing);
    EXPECT_EQ(ToHex(Encode(*msg)), ToHex(first));
    ExpectMatchesReference(frame, *msg);
    ++checked;
  }
  std::printf("golden frames checked: %zu of %zu binary frames\n", checked, frames_->size());
  EXPECT_GE(checked, kMinCheckedFrames);
}

TEST_F(GoldenTest, FramesTheReferenceRejectedAreRejected) {
  size_t rejected = 0;
  for (const GoldenFrame& frame : *frames_) {
    if (frame.abbreviated || !frame.undecodable) continue;
    SCOPED_TRACE("frame [" + frame.id + "]");
    Result<Message> msg = Decode(frame.bytes);
    EXPECT_FALSE(msg.ok());
    if (!msg.ok()) {
      EXPECT_EQ(msg.status().code(), StatusCode::kInvalidArgument);
    }
    ++rejected;
  }
  EXPECT_EQ(rejected, 2u);  // [0231] garbage ff ff ff, [0233] topic 42
}

TEST_F(GoldenTest, ReadResponseForNewRecord) {
  const Message msg = DecodeFrame("0021");
  EXPECT_EQ(msg.topic, Topic::kRecord);
  EXPECT_EQ(msg.action, record_action::kReadResponse);
  EXPECT_EQ(msg.name, "a");
  EXPECT_EQ(msg.version, 0);
  EXPECT_EQ(msg.data, "{}");
  EXPECT_FALSE(msg.is_ack.has_value());
}

TEST_F(GoldenTest, ConnectionChallenge) {
  const Message msg = DecodeFrame("0001");
  EXPECT_EQ(msg.topic, Topic::kConnection);
  EXPECT_EQ(msg.action, connection_action::kChallenge);
  EXPECT_EQ(msg.url, "ws://127.0.0.1:17100/deepstream");
  EXPECT_EQ(msg.protocol_version, "0.1a");
  EXPECT_EQ(msg.sdk_version, "7.0.5");
  EXPECT_EQ(msg.sdk_type, "javascript");
}

TEST_F(GoldenTest, PresenceQueryNames) {
  const Message msg = DecodeFrame("0017");
  EXPECT_EQ(msg.action, presence_action::kQuery);
  EXPECT_EQ(msg.correlation_id, "0");
  EXPECT_EQ(msg.names, (std::vector<std::string>{"bob", "carol"}));
}

TEST_F(GoldenTest, HeadResponseBulkVersions) {
  const Message msg = DecodeFrame("0214");
  EXPECT_EQ(msg.action, record_action::kHeadResponseBulk);
  EXPECT_EQ(msg.versions, (std::vector<std::pair<std::string, int32_t>>{{"raw/r", 2}}));
}

TEST_F(GoldenTest, HeadResponseForMissingRecordHasVersionMinusOne) {
  const Message msg = DecodeFrame("0216");
  EXPECT_EQ(msg.action, record_action::kHeadResponse);
  EXPECT_EQ(msg.name, "raw/missing2");
  EXPECT_EQ(msg.version, -1);
}

TEST_F(GoldenTest, VersionExistsCarriesWriteAck) {
  const Message msg = DecodeFrame("0193");
  EXPECT_EQ(msg.action, record_action::kVersionExists);
  EXPECT_EQ(msg.original_action, record_action::kUpdate);
  EXPECT_EQ(msg.is_write_ack, true);
  EXPECT_EQ(msg.correlation_id, "77");
  EXPECT_EQ(msg.version, 1);
}

TEST_F(GoldenTest, RpcInvalidCorrelationId) {
  const Message msg = DecodeFrame("0226");
  EXPECT_EQ(msg.topic, Topic::kRpc);
  EXPECT_EQ(msg.action, rpc_action::kInvalidRpcCorrelationId);
  EXPECT_EQ(msg.is_error, true);
  EXPECT_EQ(msg.name, "add");
  EXPECT_EQ(msg.original_action, rpc_action::kResponse);
}

TEST_F(GoldenTest, ConcatenatedFrameDecodesOnlyTheFirstMessage) {
  const Message msg = DecodeFrame("0186");
  EXPECT_EQ(msg.action, event_action::kSubscribe);
  EXPECT_EQ(msg.correlation_id, "c4");
  EXPECT_EQ(msg.names, (std::vector<std::string>{"y1"}));
}

TEST_F(GoldenTest, EventMultipleSubscriptions) {
  const Message msg = DecodeFrame("0182");
  EXPECT_EQ(msg.action, event_action::kMultipleSubscriptions);
  EXPECT_EQ(msg.name, "x1");
  EXPECT_EQ(msg.original_action, event_action::kSubscribe);
}

}  // namespace
}  // namespace strata::binary
