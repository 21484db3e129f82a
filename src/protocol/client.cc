#include "protocol/client.h"

#include "protocol/binary/binary_codec.h"

namespace strata {

SharedFrame EncodeFrame(WireFormat format, const Message& msg) {
  switch (format) {
    case WireFormat::kBinary:
      break;
  }
  auto frame = std::make_shared<std::string>();
  binary::Encode(msg, frame.get());
  return frame;
}

const SharedFrame& Broadcast::Frame(WireFormat format) const {
  SharedFrame& frame = frames_[static_cast<size_t>(format)];
  if (!frame) frame = EncodeFrame(format, msg_);
  return frame;
}

}  // namespace strata
