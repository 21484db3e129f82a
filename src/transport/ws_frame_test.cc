#include "transport/ws_frame.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace strata {
namespace {

constexpr uint8_t kMask[4] = {0x37, 0xfa, 0x21, 0x3d};  // the RFC 6455 example key

// A client frame, masked, in the shortest length form unless `force_64bit`.
std::string ClientFrame(uint8_t opcode, std::string_view payload, bool fin = true,
                        bool masked = true, uint8_t reserved_bits = 0, bool force_64bit = false) {
  std::string out;
  out.push_back(static_cast<char>((fin ? 0x80 : 0) | reserved_bits | opcode));
  const uint8_t mask_bit = masked ? 0x80 : 0;
  const uint64_t n = payload.size();
  if (n < 126 && !force_64bit) {
    out.push_back(static_cast<char>(mask_bit | n));
  } else if (n <= 0xFFFF && !force_64bit) {
    out.push_back(static_cast<char>(mask_bit | 126));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xFF));
  } else {
    out.push_back(static_cast<char>(mask_bit | 127));
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xFF));
  }
  if (!masked) return out.append(payload);
  out.append(reinterpret_cast<const char*>(kMask), 4);
  for (size_t i = 0; i < payload.size(); ++i) {
    out.push_back(static_cast<char>(payload[i] ^ kMask[i % 4]));
  }
  return out;
}

// What the parser produced, with payloads copied out of its buffer.
struct Item {
  bool error = false;
  uint16_t error_code = 0;
  WsEvent::Kind kind = WsEvent::Kind::kMessage;
  bool binary = false;
  std::string payload;
  std::optional<uint16_t> close_code;
};

// Feeds `input` in chunks of `chunk` bytes (0 = all at once) and collects everything. Stops
// after a 1002 (the parser refuses further input), continues after a 1009.
std::vector<Item> ParseAll(WsFrameParser& parser, std::string_view input, size_t chunk = 0) {
  std::vector<Item> items;
  if (chunk == 0) chunk = input.size();
  for (size_t at = 0; at < input.size(); at += chunk) {
    std::string_view piece = input.substr(at, chunk);
    while (!piece.empty()) {
      size_t consumed = 0;
      WsEvent event;
      WsParseResult r = parser.Parse(piece, &consumed, &event);
      piece.remove_prefix(consumed);
      if (r == WsParseResult::kEvent) {
        items.push_back(
            {false, 0, event.kind, event.binary, std::string(event.payload), event.close_code});
      } else if (r == WsParseResult::kError) {
        Item error;
        error.error = true;
        error.error_code = parser.error_close_code();
        items.push_back(error);
        if (parser.error_close_code() != kWsCloseTooBig) return items;
      }
    }
  }
  return items;
}

TEST(WsFrameParserTest, DecodesRfcMaskedHelloExample) {
  const uint8_t bytes[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
  WsFrameParser parser(1024);
  auto items = ParseAll(parser, std::string_view(reinterpret_cast<const char*>(bytes), 11));
  ASSERT_EQ(items.size(), 1u);
  EXPECT_FALSE(items[0].error);
  EXPECT_EQ(items[0].kind, WsEvent::Kind::kMessage);
  EXPECT_FALSE(items[0].binary);
  EXPECT_EQ(items[0].payload, "Hello");
}

TEST(WsFrameParserTest, BinaryFrameIsBinary) {
  WsFrameParser parser(1024);
  auto items = ParseAll(parser, ClientFrame(0x2, std::string("\x00\x01\xff", 3)));
  ASSERT_EQ(items.size(), 1u);
  EXPECT_TRUE(items[0].binary);
  EXPECT_EQ(items[0].payload, std::string("\x00\x01\xff", 3));
}

TEST(WsFrameParserTest, AllLengthForms) {
  for (size_t size : {0u, 1u, 125u, 126u, 127u, 65535u, 65536u, 70001u}) {
    SCOPED_TRACE(size);
    std::string payload(size, '\0');
    for (size_t i = 0; i < size; ++i) payload[i] = static_cast<char>(i * 7);
    WsFrameParser parser(1 << 20);
    auto items = ParseAll(parser, ClientFrame(0x2, payload));
    ASSERT_EQ(items.size(), 1u);
    EXPECT_FALSE(items[0].error);
    EXPECT_EQ(items[0].payload, payload);
  }
}

TEST(WsFrameParserTest, AcceptsSmallPayloadIn64BitForm) {
  WsFrameParser parser(1024);
  auto items = ParseAll(parser, ClientFrame(0x1, "abc", true, true, 0, /*force_64bit=*/true));
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].payload, "abc");
}

TEST(WsFrameParserTest, ReassemblesFragments) {
  WsFrameParser parser(1024);
  std::string input = ClientFrame(0x1, "Hel", false) + ClientFrame(0x0, "lo ", false) +
                      ClientFrame(0x0, "world", true);
  auto items = ParseAll(parser, input);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_FALSE(items[0].binary);
  EXPECT_EQ(items[0].payload, "Hello world");
}

TEST(WsFrameParserTest, ControlFramesBetweenFragments) {
  WsFrameParser parser(1024);
  std::string input = ClientFrame(0x2, "ab", false) + ClientFrame(0x9, "p1") +
                      ClientFrame(0x0, "cd", false) + ClientFrame(0xA, "p2") +
                      ClientFrame(0x0, "ef", true) + ClientFrame(0x1, "next");
  auto items = ParseAll(parser, input);
  ASSERT_EQ(items.size(), 4u);
  EXPECT_EQ(items[0].kind, WsEvent::Kind::kPing);
  EXPECT_EQ(items[0].payload, "p1");
  EXPECT_EQ(items[1].kind, WsEvent::Kind::kPong);
  EXPECT_EQ(items[1].payload, "p2");
  EXPECT_EQ(items[2].kind, WsEvent::Kind::kMessage);
  EXPECT_TRUE(items[2].binary);
  EXPECT_EQ(items[2].payload, "abcdef");
  EXPECT_FALSE(items[3].binary);
  EXPECT_EQ(items[3].payload, "next");
}

TEST(WsFrameParserTest, CloseFrames) {
  WsFrameParser parser(1024);
  auto items = ParseAll(parser, ClientFrame(0x8, "") + ClientFrame(0x8,
                                                                   "\x03\xe8"
                                                                   "bye"));
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].kind, WsEvent::Kind::kClose);
  EXPECT_FALSE(items[0].close_code.has_value());
  EXPECT_EQ(items[1].kind, WsEvent::Kind::kClose);
  EXPECT_EQ(items[1].close_code, 1000);
  EXPECT_EQ(items[1].payload, "bye");
}

TEST(WsFrameParserTest, BadCloseFramesAreProtocolErrors) {
  for (std::string payload : {std::string("\x03"), std::string("\x03\xe7", 2),  // 1 byte; 999
                              std::string("\x03\xed", 2)}) {                    // 1005
    WsFrameParser parser(1024);
    auto items = ParseAll(parser, ClientFrame(0x8, payload));
    ASSERT_EQ(items.size(), 1u);
    EXPECT_TRUE(items[0].error);
    EXPECT_EQ(items[0].error_code, kWsCloseProtocolError);
  }
}

TEST(WsFrameParserTest, OversizedSingleFrameIs1009AndCloseIsStillSeen) {
  WsFrameParser parser(100);
  std::string input = ClientFrame(0x2, std::string(101, 'x')) + ClientFrame(0x8, "\x03\xe8");
  auto items = ParseAll(parser, input);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_TRUE(items[0].error);
  EXPECT_EQ(items[0].error_code, kWsCloseTooBig);
  EXPECT_EQ(items[1].kind, WsEvent::Kind::kClose);
  EXPECT_EQ(items[1].close_code, 1000);
}

TEST(WsFrameParserTest, MessageOfExactlyMaxSizeIsAccepted) {
  WsFrameParser parser(100);
  auto items = ParseAll(parser, ClientFrame(0x2, std::string(60, 'a'), false) +
                                    ClientFrame(0x0, std::string(40, 'b')));
  ASSERT_EQ(items.size(), 1u);
  EXPECT_FALSE(items[0].error);
  EXPECT_EQ(items[0].payload.size(), 100u);
}

TEST(WsFrameParserTest, OversizedAfterReassemblyIs1009AndRestIsSkipped) {
  WsFrameParser parser(100);
  std::string input = ClientFrame(0x2, std::string(60, 'a'), false) +
                      ClientFrame(0x0, std::string(60, 'b'), false) +  // 120 > 100
                      ClientFrame(0x9, "ping") +                       // still seen
                      ClientFrame(0x0, std::string(60, 'c'), true) +   // skipped
                      ClientFrame(0x1, "after");
  auto items = ParseAll(parser, input);
  ASSERT_EQ(items.size(), 3u);
  EXPECT_TRUE(items[0].error);
  EXPECT_EQ(items[0].error_code, kWsCloseTooBig);
  EXPECT_EQ(items[1].kind, WsEvent::Kind::kPing);
  EXPECT_EQ(items[2].payload, "after");
}

TEST(WsFrameParserTest, OversizedHugeLengthNeedsNoPayload) {
  // Only the header arrives: the error must come before any payload is buffered.
  WsFrameParser parser(1 << 20);
  std::string header = ClientFrame(0x2, "").substr(0, 1);
  header += static_cast<char>(0x80 | 127);
  header += std::string("\x00\x00\x00\x01\x00\x00\x00\x00", 8);  // 4 GiB
  header.append(reinterpret_cast<const char*>(kMask), 4);
  auto items = ParseAll(parser, header);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].error_code, kWsCloseTooBig);
}

TEST(WsFrameParserTest, ProtocolErrors) {
  struct Case {
    const char* name;
    std::string input;
  };
  const std::vector<Case> cases = {
      {"unmasked", ClientFrame(0x2, "abc", true, /*masked=*/false)},
      {"rsv1", ClientFrame(0x2, "abc", true, true, 0x40)},
      {"rsv3", ClientFrame(0x2, "abc", true, true, 0x10)},
      {"opcode 3", ClientFrame(0x3, "abc")},
      {"opcode 11", ClientFrame(0xB, "abc")},
      {"long ping", ClientFrame(0x9, std::string(126, 'p'))},
      {"fragmented ping", ClientFrame(0x9, "p", /*fin=*/false)},
      {"orphan continuation", ClientFrame(0x0, "abc")},
      {"text inside fragmented", ClientFrame(0x2, "a", false) + ClientFrame(0x1, "b")},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    WsFrameParser parser(1024);
    auto items = ParseAll(parser, c.input + ClientFrame(0x1, "ignored"));
    ASSERT_EQ(items.size(), 1u);
    EXPECT_TRUE(items[0].error);
    EXPECT_EQ(items[0].error_code, kWsCloseProtocolError);
    // The parser stays failed.
    size_t consumed = 0;
    WsEvent event;
    EXPECT_EQ(parser.Parse(ClientFrame(0x1, "x"), &consumed, &event), WsParseResult::kError);
  }
}

TEST(WsFrameParserTest, ByteByByteEqualsWhole) {
  std::string input = ClientFrame(0x1, "first") + ClientFrame(0x2, std::string(300, 'z')) +
                      ClientFrame(0x2, "frag", false) + ClientFrame(0x9, "") +
                      ClientFrame(0x0, std::string(70000, 'q'), false) +
                      ClientFrame(0x0, "end", true) + ClientFrame(0x2, "") +
                      ClientFrame(0x8, "\x03\xe9");
  WsFrameParser whole_parser(1 << 20);
  auto whole = ParseAll(whole_parser, input);
  ASSERT_EQ(whole.size(), 6u);
  for (size_t chunk : {1u, 2u, 3u, 7u, 13u, 4096u}) {
    SCOPED_TRACE(chunk);
    WsFrameParser parser(1 << 20);
    auto pieces = ParseAll(parser, input, chunk);
    ASSERT_EQ(pieces.size(), whole.size());
    for (size_t i = 0; i < whole.size(); ++i) {
      EXPECT_EQ(pieces[i].kind, whole[i].kind);
      EXPECT_EQ(pieces[i].binary, whole[i].binary);
      EXPECT_EQ(pieces[i].payload, whole[i].payload);
      EXPECT_EQ(pieces[i].close_code, whole[i].close_code);
    }
  }
  EXPECT_EQ(whole[0].payload, "first");
  EXPECT_EQ(whole[2].kind, WsEvent::Kind::kPing);
  EXPECT_EQ(whole[3].payload, "frag" + std::string(70000, 'q') + "end");
  EXPECT_EQ(whole[4].payload, "");
  EXPECT_EQ(whole[5].close_code, 1001);
}

TEST(WsFrameParserTest, ErrorMidStreamByteByByte) {
  WsFrameParser parser(1024);
  auto items = ParseAll(parser, ClientFrame(0x1, "ok") + ClientFrame(0x1, "bad", true, false), 1);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].payload, "ok");
  EXPECT_EQ(items[1].error_code, kWsCloseProtocolError);
}

TEST(WsFrameEncoderTest, HeaderLengthForms) {
  uint8_t header[kWsMaxServerHeaderSize];
  ASSERT_EQ(EncodeWsFrameHeader(WsOpcode::kBinary, 0, header), 2u);
  EXPECT_EQ(header[0], 0x82);
  EXPECT_EQ(header[1], 0x00);
  ASSERT_EQ(EncodeWsFrameHeader(WsOpcode::kText, 125, header), 2u);
  EXPECT_EQ(header[0], 0x81);
  EXPECT_EQ(header[1], 125);
  ASSERT_EQ(EncodeWsFrameHeader(WsOpcode::kBinary, 126, header), 4u);
  EXPECT_EQ(header[1], 126);
  EXPECT_EQ(header[2], 0x00);
  EXPECT_EQ(header[3], 126);
  ASSERT_EQ(EncodeWsFrameHeader(WsOpcode::kBinary, 65535, header), 4u);
  EXPECT_EQ(header[2], 0xFF);
  EXPECT_EQ(header[3], 0xFF);
  ASSERT_EQ(EncodeWsFrameHeader(WsOpcode::kBinary, 65536, header), 10u);
  EXPECT_EQ(header[1], 127);
  const uint8_t expected[8] = {0, 0, 0, 0, 0, 1, 0, 0};
  for (int i = 0; i < 8; ++i) EXPECT_EQ(header[2 + i], expected[i]);
}

TEST(WsFrameEncoderTest, FramesAreUnmasked) {
  EXPECT_EQ(EncodeWsFrame(WsOpcode::kPong, "hi"), std::string("\x8a\x02hi", 4));
  EXPECT_EQ(EncodeWsFrame(WsOpcode::kBinary, ""), std::string("\x82\x00", 2));
}

TEST(WsFrameEncoderTest, CloseFrames) {
  EXPECT_EQ(EncodeWsCloseFrame(std::nullopt), std::string("\x88\x00", 2));
  EXPECT_EQ(EncodeWsCloseFrame(1009), std::string("\x88\x02\x03\xf1", 4));
  EXPECT_EQ(EncodeWsCloseFrame(1000), std::string("\x88\x02\x03\xe8", 4));
}

}  // namespace
}  // namespace strata
