#include "wire.h"

#include <gtest/gtest.h>

namespace strata::loadgen {
namespace {

std::string Bytes(std::initializer_list<int> b) {
  std::string s;
  for (int x : b) s.push_back(char(x));
  return s;
}

TEST(LoadgenWire, DecodesTheSpecAcceptExample) {  // PROTOCOL.md 2.1
  Msg m;
  ASSERT_TRUE(DecodeFrame(Bytes({0x06, 0x10, 0x02, 0x1a, 0x02, 0x08, 0x04}), &m));
  EXPECT_EQ(m.topic, topic::kConnection);
  EXPECT_EQ(m.action, connection_action::kAccept);
  EXPECT_EQ(m.trailing, 0u);
}

TEST(LoadgenWire, EncodesTheSpecAuthRequestExample) {  // PROTOCOL.md 2.1
  std::string got = EncodeMessage(
      topic::kAuth,
      ProtoWriter().Varint(1, auth_action::kRequest).Bytes(2, "{\"username\":\"alice\"}").str());
  std::string want =
      Bytes({0x1c, 0x10, 0x03, 0x1a, 0x18, 0x08, 0x02, 0x12, 0x14}) + "{\"username\":\"alice\"}";
  EXPECT_EQ(got, want);
}

TEST(LoadgenWire, RoundTripsRecordFieldsAndNegativeVersion) {
  std::string f = EncodeMessage(topic::kRecord, ProtoWriter()
                                                    .Varint(1, record_action::kUpdate)
                                                    .Bytes(2, "{\"a\":1}")
                                                    .Bytes(3, "17")
                                                    .Varint(4, 0)
                                                    .Bytes(6, "bench/w1")
                                                    .Varint(11, 1)
                                                    .Varint(13, -1)
                                                    .str());
  Msg m;
  const std::string framed = f + "xx";  // the views in m point into it
  ASSERT_TRUE(DecodeFrame(framed, &m));
  EXPECT_EQ(m.action, record_action::kUpdate);
  EXPECT_EQ(m.data, "{\"a\":1}");
  EXPECT_EQ(m.correlation_id, "17");
  EXPECT_EQ(m.name, "bench/w1");
  EXPECT_TRUE(m.is_write_ack);
  EXPECT_FALSE(m.is_error);
  EXPECT_TRUE(m.has_version);
  EXPECT_EQ(m.version, -1);
  EXPECT_EQ(m.trailing, 2u);
}

TEST(LoadgenWire, RejectsTruncatedFrames) {
  std::string f = EncodeMessage(topic::kEvent,
                                ProtoWriter().Varint(1, event_action::kEmit).Bytes(6, "e").str());
  Msg m;
  for (size_t n = 0; n < f.size(); ++n) EXPECT_FALSE(DecodeFrame(f.substr(0, n), &m)) << n;
}

TEST(LoadgenWire, MasksFramesWithTheRightHeader) {
  for (size_t n : {0u, 125u, 126u, 65535u, 65536u}) {
    std::string payload(n, 'x');
    std::string f = MaskedFrame(payload);
    ASSERT_EQ(uint8_t(f[0]), 0x82);
    ASSERT_TRUE(uint8_t(f[1]) & 0x80) << "mask bit";
    size_t head = n < 126 ? 2 : n <= 0xffff ? 4 : 10;
    ASSERT_EQ(f.size(), head + 4 + n);
    const char* key = f.data() + head;
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(char(f[head + 4 + i] ^ key[i & 3]), 'x');
  }
}

}  // namespace
}  // namespace strata::loadgen
