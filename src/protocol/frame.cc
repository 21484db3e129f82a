#include "protocol/frame.h"

#include "protocol/binary/binary_codec.h"
#include "protocol/json/json_codec.h"
#include "protocol/text/text_codec.h"

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
    case WireFormat::kText:
      text_wire::Encode(msg, frame.get());
      break;
  }
  return frame;
}

Result<Message> DecodeFrame(WireFormat format, std::string_view frame) {
  switch (format) {
    case WireFormat::kJson:
      return json_wire::Decode(frame);
    case WireFormat::kText: {
      std::vector<text_wire::DecodedMessage> all = text_wire::DecodeFrame(frame);
      if (all.size() != 1 || !all[0].message) {
        return Status::InvalidArgument("text: expected exactly one valid message");
      }
      return std::move(*all[0].message);
    }
    case WireFormat::kBinary:
      break;
  }
  return binary::Decode(frame);
}

}  // namespace strata
