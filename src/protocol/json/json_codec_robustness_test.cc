// The JSON codec on hostile input: malformed frames and wrong types are kInvalidArgument naming
// the field, deep nesting needs no deep stack, and mutated frames never crash.

#include <pthread.h>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "protocol/json/json_codec.h"
#include "protocol/json/json_codec_test_util.h"

namespace strata::json_wire {
namespace {

using testing::Decoded;
using testing::FullMessage;

void ExpectInvalid(std::string_view text, std::string_view mention = "") {
  Result<Message> r = Decode(text);
  ASSERT_FALSE(r.ok()) << text.substr(0, 200);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find(mention), std::string_view::npos) << r.status().ToString();
}

TEST(JsonCodecTest, DeeplyNestedParsedDataDoesNotOverflowTheStack) {
  constexpr int kDepth = 100000;
  std::string nested = std::string(kDepth, '[') + std::string(kDepth, ']');
  Message m = Decoded("{\"topic\":4,\"action\":2,\"parsedData\":" + nested + "}");
  EXPECT_EQ(*m.data, nested);

  std::string objects;
  for (int i = 0; i < kDepth; ++i) objects += "{\"a\":";
  objects += "1" + std::string(kDepth, '}');
  m = Decoded("{\"topic\":4,\"action\":2,\"parsedData\":" + objects + "}");
  EXPECT_EQ(*m.data, objects);
}

// Runs Decode + Encode on a thread with a 128 KiB stack: recursion over the nesting depth would
// overflow it long before 100000 levels.
TEST(JsonCodecTest, DeepInputNeedsOnlyASmallStack) {
  struct Job {
    std::string frame;
    bool decoded = false;
    size_t encoded_size = 0;
  } job;
  constexpr int kDepth = 100000;
  job.frame =
      "{\"topic\":4,\"parsedData\":" + std::string(kDepth, '[') + std::string(kDepth, ']') + "}";
  pthread_attr_t attr;
  ASSERT_EQ(pthread_attr_init(&attr), 0);
  ASSERT_EQ(pthread_attr_setstacksize(&attr, 128 * 1024), 0);
  pthread_t thread;
  auto run = [](void* arg) -> void* {
    Job* j = static_cast<Job*>(arg);
    Result<Message> r = Decode(j->frame);
    j->decoded = r.ok();
    if (r.ok()) j->encoded_size = Encode(*r).size();
    Result<Message> bad = Decode(std::string(kDepth, '{'));
    if (bad.ok()) j->decoded = false;
    return nullptr;
  };
  ASSERT_EQ(pthread_create(&thread, &attr, run, &job), 0);
  ASSERT_EQ(pthread_join(thread, nullptr), 0);
  pthread_attr_destroy(&attr);
  EXPECT_TRUE(job.decoded);
  EXPECT_GT(job.encoded_size, 2u * kDepth);
}

TEST(JsonCodecTest, RejectsFramesThatAreNotMessages) {
  ExpectInvalid("");
  ExpectInvalid("   ");
  ExpectInvalid("not json");
  ExpectInvalid("null", "not a JSON object");
  ExpectInvalid("[]", "not a JSON object");
  ExpectInvalid("[{\"topic\":1}]", "not a JSON object");
  ExpectInvalid("42", "not a JSON object");
  ExpectInvalid("\"str\"", "not a JSON object");
  ExpectInvalid("{}", "topic");
  ExpectInvalid("{\"action\":1}", "topic");
  ExpectInvalid("{\"topic\":null,\"action\":1}", "topic");
  ExpectInvalid("{\"topic\":1", "");
  ExpectInvalid("{\"topic\":1}{\"topic\":2}");
  ExpectInvalid("{\"topic\":1} x");
  ExpectInvalid(std::string_view("{\"topic\":1}\0{", 13), "NUL");
  ExpectInvalid(std::string_view("{\"topic\":1,\"name\":\"a\0b\"}", 24), "NUL");
  ExpectInvalid("{\"topic\":1,\"name\":\"\xC3\x28\"}");  // invalid UTF-8
  ExpectInvalid("{\"topic\":NaN}");
  ExpectInvalid("{'topic':1}");
}

TEST(JsonCodecTest, RejectsBadNumbers) {
  ExpectInvalid("{\"topic\":\"2\"}", "topic");
  ExpectInvalid("{\"topic\":true}", "topic");
  ExpectInvalid("{\"topic\":2.5}", "topic");
  ExpectInvalid("{\"topic\":4294967298}", "topic");
  ExpectInvalid("{\"topic\":-2147483649}", "topic");
  ExpectInvalid("{\"topic\":1e400}");
  ExpectInvalid("{\"topic\":99999999999999999999999999999}", "topic");
  ExpectInvalid("{\"topic\":1,\"action\":1e10}", "action");
  ExpectInvalid("{\"topic\":1,\"version\":2147483648}", "version");
  ExpectInvalid("{\"topic\":1,\"originalAction\":\"x\"}", "originalAction");
  ExpectInvalid("{\"topic\":1,\"originalTOPIC\":[]}", "originalTOPIC");
  EXPECT_EQ(*Decoded("{\"topic\":1,\"version\":-2147483648}").version, INT32_MIN);
}

TEST(JsonCodecTest, RejectsWrongFieldTypesNamingTheField) {
  ExpectInvalid(R"({"topic":5,"name":5})", "'name'");
  ExpectInvalid(R"({"topic":5,"data":{"a":1}})", "'data'");
  ExpectInvalid(R"({"topic":5,"correlationId":1})", "'correlationId'");
  ExpectInvalid(R"({"topic":5,"isAck":"true"})", "'isAck'");
  ExpectInvalid(R"({"topic":5,"isWriteAck":1})", "'isWriteAck'");
  ExpectInvalid(R"({"topic":5,"names":"a"})", "'names'");
  ExpectInvalid(R"({"topic":5,"names":["a",1]})", "'names'");
  ExpectInvalid(R"({"topic":5,"versions":[]})", "'versions'");
  ExpectInvalid(R"({"topic":5,"versions":{"a":"1"}})", "'versions'");
  ExpectInvalid(R"({"topic":5,"versions":{"a":1.5}})", "'versions'");
  ExpectInvalid(R"({"topic":5,"requestorData":{}})", "'requestorData'");
  ExpectInvalid(R"({"topic":2,"url":false})", "'url'");
}

TEST(JsonCodecTest, DeepNestingIsAnErrorNotACrash) {
  constexpr int kDepth = 10000;
  ExpectInvalid(std::string(kDepth, '['));
  ExpectInvalid(std::string(kDepth, '[') + std::string(kDepth, ']'), "not a JSON object");
  std::string objects;
  for (int i = 0; i < kDepth; ++i) objects += "{\"a\":";
  ExpectInvalid(objects);
  ExpectInvalid(
      "{\"topic\":1,\"name\":" + std::string(kDepth, '[') + std::string(kDepth, ']') + "}",
      "'name'");
}

// Deterministic mutations of valid frames: never a crash; whatever decodes re-encodes to a frame
// that decodes to the same message.
TEST(JsonCodecTest, MutatedFramesNeverCrash) {
  const std::string seeds[] = {
      Encode(FullMessage()),
      R"({"topic":3,"action":2,"parsedData":{"username":"json-user","n":[1,2.5,-3e7,null]},"isAck":false})",
      R"({"topic":5,"action":22,"versions":{"a":1},"names":["x","y"],"originalTOPIC":5})",
  };
  const char kAlphabet[] = "{}[]\":,0123456789-+.eE\\ntrufalsnul \x80\xC3\xFF";
  std::mt19937 rng(20240611);
  int decoded = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string frame = seeds[i % 3];
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !frame.empty(); ++e) {
      const size_t pos = rng() % frame.size();
      switch (rng() % 3) {
        case 0:
          frame[pos] = kAlphabet[rng() % (sizeof(kAlphabet) - 1)];
          break;
        case 1:
          frame.erase(pos, 1 + rng() % 3);
          break;
        default:
          frame.insert(pos, 1, kAlphabet[rng() % (sizeof(kAlphabet) - 1)]);
          break;
      }
    }
    Result<Message> r = Decode(frame);
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
      continue;
    }
    ++decoded;
    Result<Message> again = Decode(Encode(*r));
    ASSERT_TRUE(again.ok()) << frame;
    EXPECT_EQ(*again, *r) << frame;
  }
  EXPECT_GT(decoded, 100);
}

}  // namespace
}  // namespace strata::json_wire
