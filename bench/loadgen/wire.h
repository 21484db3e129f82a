#pragma once
// The load generator's own minimal codec for the deepstream binary protocol (PROTOCOL.md 2.1-2.4)
// and for client-side WebSocket frames (RFC 6455). Deliberately independent of strata's codec, so
// the generator checks the server against the spec rather than against itself.
//
// Encoding is only used before the measured phase (frames are pre-encoded); decoding reads just
// the fields the scenarios check and never allocates.

#include <cstdint>
#include <string>
#include <string_view>

namespace strata::loadgen {

namespace topic {
constexpr int kConnection = 2, kAuth = 3, kEvent = 4, kRecord = 5;
}
namespace connection_action {
constexpr int kPing = 2, kPong = 3, kAccept = 4, kChallenge = 5;
}
namespace auth_action {
constexpr int kRequest = 2, kAuthSuccessful = 3;
}
namespace event_action {
constexpr int kEmit = 2, kSubscribe = 3;
}
namespace record_action {
constexpr int kReadResponse = 4, kWriteAcknowledgement = 14, kUpdate = 18, kPatch = 19,
              kSubscribeCreateAndRead = 23, kVersionExists = 102;
}

// Builds a topic-specific protobuf message; the caller adds fields in ascending order, as the
// reference encoder does (PROTOCOL.md 2.2).
class ProtoWriter {
 public:
  ProtoWriter& Varint(int field, int64_t value);  // int32 semantics: negatives take 10 bytes
  ProtoWriter& Bytes(int field, std::string_view value);
  const std::string& str() const { return buf_; }

 private:
  void PutVarint(uint64_t v);
  std::string buf_;
};

// The frame payload: varint length + Message {topic = 2, message = 3}.
std::string EncodeMessage(int topic, const std::string& inner);

// A complete masked binary WebSocket frame (client -> server). A fixed mask key per frame is
// allowed by RFC 6455 for a client that does not need to defeat proxy cache poisoning.
std::string MaskedFrame(std::string_view payload, uint8_t opcode = 0x2);

// The fields of one server message the scenarios look at. Views point into the frame.
struct Msg {
  int topic = 0;
  int action = 0;
  std::string_view name;
  std::string_view correlation_id;
  std::string_view data;
  bool has_data = false;
  bool has_version = false;
  int32_t version = 0;
  bool is_error = false;
  bool is_ack = false;
  bool is_write_ack = false;
  size_t trailing = 0;  // bytes after the first message (a real client ignores them)
};

// Decodes the first length-delimited message of a frame payload. False if malformed.
bool DecodeFrame(std::string_view frame, Msg* m);

// A short human-readable form of a message for problem reports.
std::string Describe(const Msg& m);

}  // namespace strata::loadgen
