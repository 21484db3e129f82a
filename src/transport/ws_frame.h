#pragma once
// RFC 6455 framing without any I/O: an incremental parser for frames sent by clients and encoders
// for frames sent by the server. The transport does the HTTP upgrade with Beast and then frames
// the socket itself with these, so it can write many queued messages in one syscall.
//
// Thread-safety: a WsFrameParser is used by one thread at a time (its connection's loop); the
// encoders are pure functions.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace strata {

enum class WsOpcode : uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

// Close codes the transport sends (RFC 6455 section 7.4.1).
inline constexpr uint16_t kWsCloseNormal = 1000;
inline constexpr uint16_t kWsCloseProtocolError = 1002;
inline constexpr uint16_t kWsCloseTooBig = 1009;

// The longest server frame header: 2 bytes + 8-byte extended length (server frames are unmasked).
inline constexpr size_t kWsMaxServerHeaderSize = 10;
// Control frames carry at most this many payload bytes and are never fragmented.
inline constexpr size_t kWsMaxControlPayload = 125;

// One thing the parser found in the byte stream.
struct WsEvent {
  enum class Kind { kMessage, kPing, kPong, kClose };
  Kind kind = Kind::kMessage;
  bool binary = false;  // kMessage only: opcode of the first frame of the message
  // Unmasked payload (whole reassembled message for kMessage). Points into the parser's own
  // buffer: valid until the next call to Parse().
  std::string_view payload;
  // kClose only: the status code when the frame had one (1005 "no status" otherwise).
  std::optional<uint16_t> close_code;
};

// Incremental parser for client-to-server frames. Feed it bytes as they arrive, in any chunks:
//
//   while (!input.empty()) {
//     size_t consumed = 0;
//     WsParseResult r = parser.Parse(input, &consumed, &event);
//     input.remove_prefix(consumed);
//     if (r == WsParseResult::kEvent) Handle(event);
//     else if (r == WsParseResult::kError) { Close(parser.error_close_code()); break; }
//   }
//
// Fragmented messages are reassembled; control frames may arrive between the fragments. The
// reassembled message never grows past max_message_size: the frame that would exceed it yields
// kError with close code 1009 as soon as its header is read, and the parser then skips the rest
// of that message (so a following close frame from the client is still seen). All other errors
// (unmasked frame, reserved bits, bad opcode, bad control frame, bad fragmentation) yield
// close code 1002, and the parser rejects every later byte: the stream position is unreliable.
enum class WsParseResult {
  kNeedMore,  // all input consumed, no complete event yet
  kEvent,     // *event is filled; *consumed tells how far the input was read
  kError,     // see error_close_code() and error_reason()
};

class WsFrameParser {
 public:
  explicit WsFrameParser(size_t max_message_size);
  WsFrameParser(const WsFrameParser&) = delete;
  WsFrameParser& operator=(const WsFrameParser&) = delete;

  WsParseResult Parse(std::string_view input, size_t* consumed, WsEvent* event);

  // The close code for the last kError: 1002 or 1009.
  uint16_t error_close_code() const { return error_code_; }
  // A short human-readable reason for the last kError, for logs.
  std::string_view error_reason() const { return error_reason_; }

 private:
  enum class State { kHeader, kPayload, kSkipPayload, kFailed };

  size_t ParseHeader(std::string_view input, WsParseResult* result);
  bool HeaderComplete() const;
  WsParseResult StartFrame();
  WsParseResult CheckFrameHeader(uint64_t length);
  size_t ConsumePayload(std::string_view input);
  size_t SkipPayload(std::string_view input);
  bool FinishFrame(WsEvent* event);
  bool FinishControlFrame(WsEvent* event);
  WsParseResult Fail(uint16_t code, std::string_view reason);

  const size_t max_message_size_;
  State state_ = State::kHeader;

  // Current frame.
  uint8_t header_[14] = {};  // the longest client header: 2 + 8 length + 4 mask
  size_t header_size_ = 0;
  bool fin_ = false;
  WsOpcode opcode_ = WsOpcode::kContinuation;
  uint8_t mask_[4] = {};
  uint64_t payload_remaining_ = 0;
  uint64_t payload_offset_ = 0;  // position in the frame, for the mask

  // Message being reassembled (data frames) and the current control frame's payload.
  bool in_message_ = false;
  bool message_binary_ = false;
  bool discarding_message_ = false;  // rest of a too-big message is being skipped
  std::string message_;
  std::string control_;
  bool message_ready_ = false;  // message_ was returned; clear it on the next call

  uint16_t error_code_ = 0;
  std::string error_reason_;
};

// Writes the header of an unmasked server frame with FIN set into `out` and returns its size
// (2, 4 or 10 bytes). The payload follows it unchanged.
size_t EncodeWsFrameHeader(WsOpcode opcode, uint64_t payload_size,
                           uint8_t (&out)[kWsMaxServerHeaderSize]);

// A whole unmasked server frame (header + payload), for control frames and tests.
std::string EncodeWsFrame(WsOpcode opcode, std::string_view payload);

// A close frame: empty payload when `code` is nullopt (the peer sees 1005, as deepstream sends),
// else the 2-byte code.
std::string EncodeWsCloseFrame(std::optional<uint16_t> code);

}  // namespace strata
