#include "protocol/binary/binary_codec.h"

#include <gtest/gtest.h>

#include "protocol/binary/test_util.h"

namespace strata::binary {
namespace {

using testing::FromHex;
using testing::ToHex;

Message Make(Topic topic, int32_t action) {
  Message msg;
  msg.topic = topic;
  msg.action = action;
  return msg;
}

std::string EncodeHex(const Message& msg) { return ToHex(Encode(msg)); }

Message DecodeHexOrDie(std::string_view hex) {
  Result<Message> result = Decode(FromHex(hex));
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  return result.ok() ? *result : Message{};
}

void ExpectInvalid(std::string_view hex, std::string_view reason) {
  Result<Message> result = Decode(FromHex(hex));
  ASSERT_FALSE(result.ok()) << hex;
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(result.status().message().find(reason), std::string_view::npos)
      << result.status().ToString();
}

// ---- Hand-checked encodings (PROTOCOL.md 2.1, 2.2) ---------------------------------------------

TEST(BinaryCodecTest, EncodesConnectionAccept) {
  EXPECT_EQ(EncodeHex(Make(Topic::kConnection, connection_action::kAccept)),
            "06 10 02 1a 02 08 04");
}

TEST(BinaryCodecTest, DecodesConnectionAccept) {
  EXPECT_EQ(DecodeHexOrDie("06 10 02 1a 02 08 04"),
            Make(Topic::kConnection, connection_action::kAccept));
}

TEST(BinaryCodecTest, AuthRequestExample) {
  const std::string hex =
      "1c 10 03 1a 18 08 02 12 14 7b 22 75 73 65 72 6e 61 6d 65 22 3a 22 61 6c 69 63 65 22 7d";
  Message msg = Make(Topic::kAuth, auth_action::kRequest);
  msg.data = R"({"username":"alice"})";
  EXPECT_EQ(EncodeHex(msg), hex);
  EXPECT_EQ(DecodeHexOrDie(hex), msg);
}

TEST(BinaryCodecTest, NegativeVersionIsTenByteVarint) {
  Message msg = Make(Topic::kRecord, record_action::kHeadResponse);
  msg.name = "x";
  msg.version = -1;
  const std::string hex = "14 10 05 1a 10 08 06 32 01 78 68 ff ff ff ff ff ff ff ff ff 01";
  EXPECT_EQ(EncodeHex(msg), hex);
  EXPECT_EQ(DecodeHexOrDie(hex).version, -1);
}

TEST(BinaryCodecTest, VersionsMapExample) {
  Message msg = Make(Topic::kRecord, record_action::kHeadResponseBulk);
  msg.versions = {{"raw/r", 2}};
  const std::string hex = "11 10 05 1a 0d 08 08 72 09 0a 05 72 61 77 2f 72 10 02";
  EXPECT_EQ(EncodeHex(msg), hex);
  EXPECT_EQ(DecodeHexOrDie(hex), msg);
}

TEST(BinaryCodecTest, VersionsKeepVectorOrderAndNegativeValues) {
  Message msg = Make(Topic::kRecord, record_action::kHeadResponseBulk);
  msg.versions = {{"b", 3}, {"a", -1}, {"", 0}};
  EXPECT_EQ(DecodeHexOrDie(EncodeHex(msg)), msg);
}

// ---- Presence of default values ----------------------------------------------------------------

TEST(BinaryCodecTest, SetDefaultsAreWrittenAndDecodedAsPresent) {
  Message msg = Make(Topic::kRecord, record_action::kWriteAcknowledgement);
  msg.is_write_ack = false;
  msg.version = 0;
  msg.data = "";
  const std::string hex = EncodeHex(msg);
  EXPECT_EQ(hex, "0c 10 05 1a 08 08 0e 12 00 58 00 68 00");
  EXPECT_EQ(DecodeHexOrDie(hex), msg);
}

TEST(BinaryCodecTest, ActionZeroIsAlwaysWritten) {
  EXPECT_EQ(EncodeHex(Make(Topic::kEvent, 0)), "06 10 04 1a 02 08 00");
}

TEST(BinaryCodecTest, UnsetOptionalsAreAbsent) {
  const Message decoded = DecodeHexOrDie("06 10 05 1a 02 08 03");
  EXPECT_FALSE(decoded.data.has_value());
  EXPECT_FALSE(decoded.version.has_value());
  EXPECT_FALSE(decoded.is_ack.has_value());
  EXPECT_TRUE(decoded.names.empty());
}

TEST(BinaryCodecTest, BoolsEncodeAsOneAndAnyNonZeroDecodesTrue) {
  Message msg = Make(Topic::kEvent, event_action::kSubscribe);
  msg.is_ack = true;
  EXPECT_EQ(EncodeHex(msg), "08 10 04 1a 04 08 03 28 01");
  EXPECT_EQ(DecodeHexOrDie("08 10 04 1a 04 08 03 28 02").is_ack, true);
}

// ---- Field numbers per topic (PROTOCOL.md 2.3) -------------------------------------------------

TEST(BinaryCodecTest, ConnectionFields) {
  Message msg = Make(Topic::kConnection, connection_action::kChallenge);
  msg.url = "u";
  msg.protocol_version = "p";
  msg.sdk_version = "v";
  msg.sdk_type = "t";
  EXPECT_EQ(EncodeHex(msg), "12 10 02 1a 0e 08 05 2a 01 75 32 01 70 3a 01 76 42 01 74");
}

TEST(BinaryCodecTest, EventFields) {
  Message msg = Make(Topic::kEvent, event_action::kMultipleSubscriptions);
  msg.name = "n";
  msg.names = {"a", "b"};
  msg.subscription = "s";
  msg.original_topic = Topic::kEvent;
  msg.original_action = event_action::kSubscribe;
  EXPECT_EQ(EncodeHex(msg), "16 10 04 1a 12 08 6a 32 01 6e 3a 01 61 3a 01 62 42 01 73 50 04 58 03");
  EXPECT_EQ(DecodeHexOrDie(EncodeHex(msg)), msg);
}

TEST(BinaryCodecTest, RpcFields) {
  Message msg = Make(Topic::kRpc, rpc_action::kRequest);
  msg.names = {"a"};
  msg.name = "add";
  msg.original_action = 5;
  msg.requestor_name = "bob";
  msg.requestor_data = "{}";
  EXPECT_EQ(EncodeHex(msg),
            "19 10 06 1a 15 08 02 32 01 61 3a 03 61 64 64 48 05 52 03 62 6f 62 5a 02 7b 7d");
  EXPECT_EQ(DecodeHexOrDie(EncodeHex(msg)), msg);
}

TEST(BinaryCodecTest, PresenceFields) {
  Message msg = Make(Topic::kPresence, presence_action::kNotSubscribed);
  msg.original_topic = Topic::kPresence;
  msg.original_action = presence_action::kUnsubscribe;
  msg.is_error = true;
  msg.name = "x";
  msg.names = {"y"};
  EXPECT_EQ(EncodeHex(msg), "12 10 07 1a 0e 08 68 10 07 18 0b 30 01 42 01 78 4a 01 79");
  EXPECT_EQ(DecodeHexOrDie(EncodeHex(msg)), msg);
}

TEST(BinaryCodecTest, ParserFields) {
  Message msg = Make(Topic::kParser, parser_action::kUnknownTopic);
  msg.data = "1";
  msg.original_topic = Topic::kRecord;
  msg.original_action = 3;
  EXPECT_EQ(EncodeHex(msg), "0d 10 01 1a 09 08 01 12 01 31 40 05 48 03");
  EXPECT_EQ(DecodeHexOrDie(EncodeHex(msg)), msg);
}

TEST(BinaryCodecTest, GenericTopicsCarryOnlyActionAndData) {
  Message msg = Make(Topic::kMonitoring, 1);
  msg.data = "{}";
  msg.name = "dropped";
  EXPECT_EQ(EncodeHex(msg), "0a 10 08 1a 06 08 01 12 02 7b 7d");
  // Field 6 (name in RECORD) is unknown for MONITORING and skipped.
  const Message decoded = DecodeHexOrDie("0d 10 08 1a 09 08 01 12 02 7b 7d 32 01 78");
  EXPECT_EQ(decoded.data, "{}");
  EXPECT_FALSE(decoded.name.has_value());
}

TEST(BinaryCodecTest, FieldsOutsideTheTopicSchemaAreNotEncoded) {
  Message msg = Make(Topic::kAuth, auth_action::kAuthSuccessful);
  msg.name = "ignored";
  msg.version = 3;
  msg.names = {"x"};
  EXPECT_EQ(EncodeHex(msg), "06 10 03 1a 02 08 03");
}

TEST(BinaryCodecTest, EncodeAppends) {
  std::string out = "xy";
  Encode(Make(Topic::kConnection, connection_action::kPong), &out);
  EXPECT_EQ(ToHex(out), "78 79 06 10 02 1a 02 08 03");
}

TEST(BinaryCodecTest, LargeMessageUsesMultiByteLengths) {
  Message msg = Make(Topic::kEvent, event_action::kEmit);
  msg.name = "big";
  msg.data = std::string(300, 'x');
  const std::string encoded = Encode(msg);
  EXPECT_EQ(ToHex(encoded.substr(0, 3)), "bb 02 10");
  Result<Message> decoded = Decode(encoded);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, msg);
}

// ---- Lenient decoding --------------------------------------------------------------------------

TEST(BinaryCodecTest, TrailingBytesAreIgnored) {
  EXPECT_EQ(DecodeHexOrDie("06 10 02 1a 02 08 04 ff ff 06 10"),
            Make(Topic::kConnection, connection_action::kAccept));
}

TEST(BinaryCodecTest, UnknownFieldsOfEveryWireTypeAreSkipped) {
  // Inner: action, then field 15 varint, field 16 fixed64, field 17 bytes, field 18 fixed32,
  // then name "a".
  const std::string inner =
      "08 03 78 96 01 81 01 01 02 03 04 05 06 07 08 8a 01 02 aa bb 95 01 01 02 03 04 32 01 61";
  const size_t inner_len = FromHex(inner).size();
  ASSERT_EQ(inner_len, 29u);
  // Envelope also has an unknown field 1 (varint) before the topic.
  const Message msg = DecodeHexOrDie("23 08 07 10 05 1a 1d " + inner);
  Message expected = Make(Topic::kRecord, record_action::kRead);
  expected.name = "a";
  EXPECT_EQ(msg, expected);
}

TEST(BinaryCodecTest, Int32KeepsLowBitsOfVarint) {
  // action = 0x1_0000_0005 -> 5.
  EXPECT_EQ(DecodeHexOrDie("0a 10 04 1a 06 08 85 80 80 80 10").action, 5);
}

TEST(BinaryCodecTest, LastValueOfRepeatedScalarWins) {
  EXPECT_EQ(DecodeHexOrDie("0a 10 04 1a 06 32 01 61 32 01 62").name, "b");
}

TEST(BinaryCodecTest, MissingTopicAndMessageMeanUnknownAndEmpty) {
  EXPECT_EQ(DecodeHexOrDie("00"), Message{});
}

TEST(BinaryCodecTest, NegativeActionRoundTrips) {
  const Message msg = Make(Topic::kRecord, -7);
  EXPECT_EQ(DecodeHexOrDie(EncodeHex(msg)), msg);
}

TEST(BinaryCodecTest, ErrorTopicRoundTrips) {
  Message msg = Make(Topic::kError, 1);
  msg.data = "\"x\"";
  EXPECT_EQ(EncodeHex(msg).substr(0, 8), "0b 10 64");
  EXPECT_EQ(DecodeHexOrDie(EncodeHex(msg)), msg);
}

// ---- Errors ------------------------------------------------------------------------------------

TEST(BinaryCodecTest, RejectsEmptyFrame) { ExpectInvalid("", "empty frame"); }

TEST(BinaryCodecTest, RejectsGarbageVarint) { ExpectInvalid("ff ff ff", "truncated varint"); }

TEST(BinaryCodecTest, RejectsLengthPrefixBeyondFrame) {
  ExpectInvalid("07 10 02 1a 02 08 04", "length prefix exceeds frame");
}

TEST(BinaryCodecTest, RejectsInnerLengthBeyondEnvelope) {
  ExpectInvalid("05 10 02 1a 03 08 04", "length exceeds message");
}

TEST(BinaryCodecTest, RejectsTruncatedInnerVarint) {
  ExpectInvalid("05 10 02 1a 01 08", "truncated varint");
  ExpectInvalid("06 10 02 1a 02 08 84", "truncated varint");
}

TEST(BinaryCodecTest, RejectsTruncatedFixedWidthField) {
  ExpectInvalid("07 10 02 1a 03 79 01 02", "truncated fixed-width field");
}

TEST(BinaryCodecTest, RejectsUndefinedWireTypes) {
  ExpectInvalid("06 10 02 1a 02 0e 00", "invalid wire type");
  ExpectInvalid("06 10 02 1a 02 0f 00", "invalid wire type");
  ExpectInvalid("02 17 00", "invalid wire type");
}

TEST(BinaryCodecTest, RejectsGroups) {
  ExpectInvalid("06 10 02 1a 02 7b 7c", "groups");
  ExpectInvalid("04 10 02 0c 00", "groups");
}

TEST(BinaryCodecTest, RejectsFieldNumberZero) {
  ExpectInvalid("06 10 02 1a 02 00 01", "invalid field number");
}

TEST(BinaryCodecTest, RejectsUnknownTopic) {
  ExpectInvalid("06 10 2a 1a 02 08 01", "unknown topic");
  ExpectInvalid("06 10 0c 1a 02 08 01", "unknown topic");
  ExpectInvalid("0f 10 ff ff ff ff ff ff ff ff ff 01 1a 02 08 01", "unknown topic");
}

TEST(BinaryCodecTest, RejectsUnknownOriginalTopic) {
  ExpectInvalid("08 10 01 1a 04 08 01 40 2a", "unknown original topic");
}

TEST(BinaryCodecTest, RejectsElevenByteVarint) {
  ExpectInvalid("ff ff ff ff ff ff ff ff ff ff 01", "longer than 10 bytes");
  ExpectInvalid("10 10 02 1a 0c 08 ff ff ff ff ff ff ff ff ff ff 01", "longer than 10 bytes");
}

TEST(BinaryCodecTest, RejectsWrongWireTypeForKnownField) {
  ExpectInvalid("07 10 02 1a 03 0a 01 04", "wrong wire type for field");  // action as bytes
  ExpectInvalid("06 10 05 1a 02 10 01", "wrong wire type for field");     // data as varint
  ExpectInvalid("04 12 00 1a 00", "wrong wire type in envelope");
  ExpectInvalid("06 10 05 1a 02 0a 00", "wrong wire type for field");
}

TEST(BinaryCodecTest, RejectsMalformedVersionsEntry) {
  ExpectInvalid("0b 10 05 1a 07 08 08 72 03 0a 05 72", "length exceeds message");
  ExpectInvalid("0a 10 05 1a 06 08 08 72 02 08 01", "wrong wire type in versions entry");
}

TEST(BinaryCodecTest, VersionsEntryWithMissingPartsDefaults) {
  const Message msg = DecodeHexOrDie("08 10 05 1a 04 08 08 72 00");
  ASSERT_EQ(msg.versions.size(), 1u);
  EXPECT_EQ(msg.versions[0], (std::pair<std::string, int32_t>("", 0)));
}

}  // namespace
}  // namespace strata::binary
