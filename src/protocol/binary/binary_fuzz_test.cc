// Hostile-input test: deterministic pseudo-random frames and mutations of the golden frames must
// never crash the decoder, and whatever decodes must re-encode to something that decodes equal.

#include <cstdint>
#include <cstdio>
#include <random>

#include <gtest/gtest.h>

#include "protocol/binary/binary_codec.h"
#include "protocol/binary/golden_transcript.h"

namespace strata::binary {
namespace {

using testing::GoldenFrame;
using testing::LoadGoldenFrames;

constexpr uint32_t kSeed = 20240601;  // fixed: failures must reproduce

struct FuzzStats {
  size_t inputs = 0;
  size_t decoded = 0;
};

// Decoding must not crash; a successful decode must survive a full round trip.
void CheckInput(const std::string& input, FuzzStats* stats) {
  ++stats->inputs;
  Result<Message> msg = Decode(input);
  if (!msg.ok()) {
    EXPECT_EQ(msg.status().code(), StatusCode::kInvalidArgument);
    return;
  }
  ++stats->decoded;
  Result<Message> again = Decode(Encode(*msg));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*again, *msg);
}

std::string RandomBytes(std::mt19937& rng, size_t max_size) {
  std::uniform_int_distribution<size_t> size_dist(0, max_size);
  std::uniform_int_distribution<int> byte_dist(0, 255);
  std::string out(size_dist(rng), '\0');
  for (char& c : out) c = static_cast<char>(byte_dist(rng));
  return out;
}

// Random bytes behind a plausible envelope, so the inner-message parser gets exercised too.
std::string RandomInner(std::mt19937& rng) {
  std::string inner = RandomBytes(rng, 40);
  const auto topic = static_cast<char>(std::uniform_int_distribution<int>(0, 12)(rng));
  std::string body = {'\x10', topic, '\x1a', static_cast<char>(inner.size())};
  body += inner;
  return static_cast<char>(body.size()) + body;
}

std::string Mutate(std::string frame, std::mt19937& rng) {
  std::uniform_int_distribution<int> op_dist(0, 3);
  std::uniform_int_distribution<int> byte_dist(0, 255);
  const int edits = std::uniform_int_distribution<int>(1, 3)(rng);
  for (int i = 0; i < edits && !frame.empty(); ++i) {
    const size_t pos = std::uniform_int_distribution<size_t>(0, frame.size() - 1)(rng);
    switch (op_dist(rng)) {
      case 0:
        frame[pos] = static_cast<char>(byte_dist(rng));
        break;
      case 1:
        frame[pos] = static_cast<char>(frame[pos] ^ (1 << (byte_dist(rng) % 8)));
        break;
      case 2:
        frame.erase(pos, 1);
        break;
      default:
        frame.resize(pos);
        break;
    }
  }
  return frame;
}

TEST(BinaryFuzzTest, RandomBytesNeverCrash) {
  std::mt19937 rng(kSeed);
  FuzzStats stats;
  for (int i = 0; i < 3000; ++i) CheckInput(RandomBytes(rng, 64), &stats);
  for (int i = 0; i < 3000; ++i) CheckInput(RandomInner(rng), &stats);
  std::printf("random: %zu inputs, %zu decoded\n", stats.inputs, stats.decoded);
  EXPECT_GT(stats.decoded, 0u);  // the envelope-shaped inputs must sometimes be valid
}

TEST(BinaryFuzzTest, MutatedGoldenFramesNeverCrash) {
  std::vector<GoldenFrame> frames = LoadGoldenFrames();
  std::erase_if(frames, [](const GoldenFrame& f) { return f.abbreviated || f.bytes.empty(); });
  ASSERT_GT(frames.size(), 100u);
  std::mt19937 rng(kSeed);
  FuzzStats stats;
  for (int round = 0; round < 20; ++round) {
    for (const GoldenFrame& frame : frames) CheckInput(Mutate(frame.bytes, rng), &stats);
  }
  std::printf("mutations: %zu inputs, %zu decoded\n", stats.inputs, stats.decoded);
}

TEST(BinaryFuzzTest, EveryPrefixOfEveryGoldenFrameIsHandled) {
  FuzzStats stats;
  for (const GoldenFrame& frame : LoadGoldenFrames()) {
    for (size_t len = 0; len < frame.bytes.size(); ++len) {
      CheckInput(frame.bytes.substr(0, len), &stats);
    }
  }
  EXPECT_GT(stats.inputs, 1000u);
}

}  // namespace
}  // namespace strata::binary
