#include "protocol/client.h"

#include "protocol/binary/binary_codec.h"
#include "protocol/json/json_codec.h"

namespace strata {

SharedFrame EncodeFrame(WireFormat format, const Message& msg) {
  auto frame = std::make_shared<std::string>();
  switch (format) {
    case WireFormat::kBinary:
      binary::Encode(msg, frame.get());
      break;
    case WireFormat::kJson:
      json_wire::Encode(msg, frame.get());
      break;
  }
  return frame;
}

Result<Message> DecodeFrame(WireFormat format, std::string_view frame) {
  return format == WireFormat::kJson ? json_wire::Decode(frame) : binary::Decode(frame);
}

const SharedFrame& Broadcast::Frame(WireFormat format) const {
  SharedFrame& frame = frames_[static_cast<size_t>(format)];
  if (!frame) frame = EncodeFrame(format, msg_);
  return frame;
}

}  // namespace strata
