#include "transport/ws_frame.h"

#include <algorithm>
#include <cstring>

namespace strata {
namespace {

constexpr uint8_t kFinBit = 0x80;
constexpr uint8_t kReservedBits = 0x70;
constexpr uint8_t kOpcodeBits = 0x0F;
constexpr uint8_t kMaskBit = 0x80;
constexpr uint8_t kLength7Bits = 0x7F;
constexpr uint8_t kLength16 = 126;
constexpr uint8_t kLength64 = 127;
constexpr size_t kMessageBufferKeep = 64 * 1024;

bool IsControl(WsOpcode opcode) { return (static_cast<uint8_t>(opcode) & 0x8) != 0; }

bool IsKnownOpcode(uint8_t op) { return op <= 0x2 || (op >= 0x8 && op <= 0xA); }

// Close codes a peer may put on the wire (RFC 6455 7.4; 1012-1014 registered later by IANA).
bool IsValidPeerCloseCode(uint16_t code) {
  if (code >= 1000 && code <= 1003) return true;
  if (code >= 1007 && code <= 1014) return true;
  return code >= 3000 && code <= 4999;
}

uint64_t ReadBigEndian(const uint8_t* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

// XORs `data` with the 4-byte mask, starting `offset` bytes into the frame. Works a word at a
// time because client payloads are always masked and this is the per-byte hot loop.
void Unmask(char* data, size_t size, const uint8_t (&mask)[4], uint64_t offset) {
  uint8_t rotated[8];
  for (size_t i = 0; i < 8; ++i) rotated[i] = mask[(offset + i) & 3];
  uint64_t word_mask;
  std::memcpy(&word_mask, rotated, 8);
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    uint64_t word;
    std::memcpy(&word, data + i, 8);
    word ^= word_mask;
    std::memcpy(data + i, &word, 8);
  }
  for (; i < size; ++i) data[i] = static_cast<char>(data[i] ^ rotated[i & 7]);
}

}  // namespace

WsFrameParser::WsFrameParser(size_t max_message_size) : max_message_size_(max_message_size) {}

WsParseResult WsFrameParser::Parse(std::string_view input, size_t* consumed, WsEvent* event) {
  *consumed = 0;
  if (state_ == State::kFailed) return WsParseResult::kError;
  if (message_ready_) {
    message_.clear();
    // One big message must not pin its buffer for the life of the connection.
    if (message_.capacity() > kMessageBufferKeep) std::string().swap(message_);
    message_ready_ = false;
  }
  size_t pos = 0;
  while (true) {
    std::string_view rest = input.substr(pos);
    switch (state_) {
      case State::kHeader: {
        if (rest.empty()) {
          *consumed = pos;
          return WsParseResult::kNeedMore;
        }
        WsParseResult result = WsParseResult::kNeedMore;
        pos += ParseHeader(rest, &result);
        if (result != WsParseResult::kEvent) {  // kEvent here means "header complete"
          *consumed = pos;
          return result;
        }
        break;
      }
      case State::kPayload:
        pos += ConsumePayload(rest);
        if (payload_remaining_ > 0) {
          *consumed = pos;
          return WsParseResult::kNeedMore;
        }
        state_ = State::kHeader;
        if (FinishFrame(event)) {
          *consumed = pos;
          return WsParseResult::kEvent;
        }
        break;
      case State::kSkipPayload:
        pos += SkipPayload(rest);
        if (payload_remaining_ > 0) {
          *consumed = pos;
          return WsParseResult::kNeedMore;
        }
        state_ = State::kHeader;
        if (fin_) discarding_message_ = in_message_ = false;
        break;
      case State::kFailed:
        *consumed = pos;
        return WsParseResult::kError;
    }
  }
}

bool WsFrameParser::HeaderComplete() const {
  if (header_size_ < 2) return false;
  size_t needed = 2;
  uint8_t len7 = header_[1] & kLength7Bits;
  if (len7 == kLength16) needed += 2;
  if (len7 == kLength64) needed += 8;
  if (header_[1] & kMaskBit) needed += 4;
  return header_size_ >= needed;
}

// Copies header bytes one at a time until the header is complete: headers are at most 14 bytes,
// and the needed size is only known after the second byte.
size_t WsFrameParser::ParseHeader(std::string_view input, WsParseResult* result) {
  size_t used = 0;
  while (used < input.size() && !HeaderComplete()) {
    header_[header_size_++] = static_cast<uint8_t>(input[used++]);
  }
  if (!HeaderComplete()) {
    *result = WsParseResult::kNeedMore;
    return used;
  }
  *result = StartFrame();
  header_size_ = 0;
  return used;
}

WsParseResult WsFrameParser::StartFrame() {
  fin_ = (header_[0] & kFinBit) != 0;
  uint8_t op = header_[0] & kOpcodeBits;
  if (header_[0] & kReservedBits) return Fail(kWsCloseProtocolError, "reserved bits set");
  if (!(header_[1] & kMaskBit)) return Fail(kWsCloseProtocolError, "unmasked client frame");
  if (!IsKnownOpcode(op)) return Fail(kWsCloseProtocolError, "unknown opcode");
  opcode_ = static_cast<WsOpcode>(op);

  uint8_t len7 = header_[1] & kLength7Bits;
  size_t mask_at = 2;
  uint64_t length = len7;
  if (len7 == kLength16) {
    length = ReadBigEndian(header_ + 2, 2);
    mask_at = 4;
  } else if (len7 == kLength64) {
    length = ReadBigEndian(header_ + 2, 8);
    mask_at = 10;
    if (length >> 63) return Fail(kWsCloseProtocolError, "64-bit length with top bit set");
  }
  std::memcpy(mask_, header_ + mask_at, 4);
  payload_remaining_ = length;
  payload_offset_ = 0;
  return CheckFrameHeader(length);
}

// Validates the frame against the message in progress and picks where its payload goes.
WsParseResult WsFrameParser::CheckFrameHeader(uint64_t length) {
  if (IsControl(opcode_)) {
    if (!fin_) return Fail(kWsCloseProtocolError, "fragmented control frame");
    if (length > kWsMaxControlPayload) return Fail(kWsCloseProtocolError, "control frame > 125");
    control_.clear();
    state_ = State::kPayload;
    return WsParseResult::kEvent;
  }
  if (opcode_ == WsOpcode::kContinuation) {
    if (!in_message_) return Fail(kWsCloseProtocolError, "continuation without a message");
    if (discarding_message_) {
      state_ = State::kSkipPayload;
      return WsParseResult::kEvent;
    }
  } else {
    if (in_message_) return Fail(kWsCloseProtocolError, "new message inside a fragmented one");
    in_message_ = true;
    message_binary_ = opcode_ == WsOpcode::kBinary;
    message_.clear();
  }
  if (length > max_message_size_ - message_.size()) {
    // Skip the rest of this message instead of buffering it; the caller closes with 1009.
    message_.clear();
    discarding_message_ = true;
    state_ = State::kSkipPayload;
    error_code_ = kWsCloseTooBig;
    error_reason_ = "message larger than max_message_size";
    return WsParseResult::kError;
  }
  if (fin_ && message_.empty()) message_.reserve(length);
  state_ = State::kPayload;
  return WsParseResult::kEvent;
}

size_t WsFrameParser::ConsumePayload(std::string_view input) {
  size_t n = static_cast<size_t>(std::min<uint64_t>(payload_remaining_, input.size()));
  std::string& target = IsControl(opcode_) ? control_ : message_;
  size_t base = target.size();
  target.append(input.data(), n);
  Unmask(target.data() + base, n, mask_, payload_offset_);
  payload_offset_ += n;
  payload_remaining_ -= n;
  return n;
}

size_t WsFrameParser::SkipPayload(std::string_view input) {
  size_t n = static_cast<size_t>(std::min<uint64_t>(payload_remaining_, input.size()));
  payload_remaining_ -= n;
  return n;
}

// Called when a frame's payload is complete. Returns true when it produced an event.
bool WsFrameParser::FinishFrame(WsEvent* event) {
  if (IsControl(opcode_)) return FinishControlFrame(event);
  if (!fin_) return false;
  in_message_ = false;
  message_ready_ = true;
  *event = WsEvent{};
  event->kind = WsEvent::Kind::kMessage;
  event->binary = message_binary_;
  event->payload = message_;
  return true;
}

bool WsFrameParser::FinishControlFrame(WsEvent* event) {
  *event = WsEvent{};
  event->payload = control_;
  if (opcode_ == WsOpcode::kPing) {
    event->kind = WsEvent::Kind::kPing;
    return true;
  }
  if (opcode_ == WsOpcode::kPong) {
    event->kind = WsEvent::Kind::kPong;
    return true;
  }
  event->kind = WsEvent::Kind::kClose;
  if (control_.size() == 1) {
    Fail(kWsCloseProtocolError, "close frame with a 1-byte payload");
    return false;
  }
  if (control_.size() >= 2) {
    auto code =
        static_cast<uint16_t>(ReadBigEndian(reinterpret_cast<const uint8_t*>(control_.data()), 2));
    if (!IsValidPeerCloseCode(code)) {
      Fail(kWsCloseProtocolError, "invalid close code");
      return false;
    }
    event->close_code = code;
    event->payload = std::string_view(control_).substr(2);
  }
  return true;
}

WsParseResult WsFrameParser::Fail(uint16_t code, std::string_view reason) {
  state_ = State::kFailed;
  error_code_ = code;
  error_reason_ = reason;
  return WsParseResult::kError;
}

size_t EncodeWsFrameHeader(WsOpcode opcode, uint64_t payload_size,
                           uint8_t (&out)[kWsMaxServerHeaderSize]) {
  out[0] = static_cast<uint8_t>(kFinBit | static_cast<uint8_t>(opcode));
  if (payload_size < kLength16) {
    out[1] = static_cast<uint8_t>(payload_size);
    return 2;
  }
  if (payload_size <= 0xFFFF) {
    out[1] = kLength16;
    out[2] = static_cast<uint8_t>(payload_size >> 8);
    out[3] = static_cast<uint8_t>(payload_size);
    return 4;
  }
  out[1] = kLength64;
  for (int i = 0; i < 8; ++i) out[2 + i] = static_cast<uint8_t>(payload_size >> (56 - 8 * i));
  return 10;
}

std::string EncodeWsFrame(WsOpcode opcode, std::string_view payload) {
  uint8_t header[kWsMaxServerHeaderSize];
  size_t header_size = EncodeWsFrameHeader(opcode, payload.size(), header);
  std::string frame(reinterpret_cast<const char*>(header), header_size);
  frame.append(payload);
  return frame;
}

std::string EncodeWsCloseFrame(std::optional<uint16_t> code) {
  if (!code) return EncodeWsFrame(WsOpcode::kClose, {});
  const char payload[2] = {static_cast<char>(*code >> 8), static_cast<char>(*code & 0xFF)};
  return EncodeWsFrame(WsOpcode::kClose, std::string_view(payload, 2));
}

}  // namespace strata
