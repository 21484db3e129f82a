#pragma once
// Helpers shared by the JSON codec tests: a message with every field set, and Decode expecting
// success.

#include <string_view>

#include <gtest/gtest.h>

#include "protocol/json/json_codec.h"

namespace strata::json_wire::testing {

inline Message FullMessage() {
  Message m;
  m.topic = Topic::kRecord;
  m.action = record_action::kUpdate;
  m.data = "{\"k\":[1,2,{\"x\":null}]}";
  m.correlation_id = "c-1";
  m.is_error = false;
  m.is_ack = true;
  m.name = "rec/1";
  m.names = {"a", "b/c", ""};
  m.pattern = "rec/.*";
  m.subscription = "rec/2";
  m.original_action = record_action::kPatch;
  m.original_topic = Topic::kEvent;
  m.is_write_ack = true;
  m.path = "k.0";
  m.version = -1;
  m.versions = {{"r1", 3}, {"r2", 0}};
  m.url = "ws://127.0.0.1:6020/deepstream-json";
  m.protocol_version = "0.1a";
  m.sdk_version = "7.0.5";
  m.sdk_type = "javascript";
  m.requestor_name = "alice";
  m.requestor_data = "{\"role\":\"admin\"}";
  return m;
}

inline Message Decoded(std::string_view text) {
  Result<Message> r = Decode(text);
  EXPECT_TRUE(r.ok()) << text << ": " << r.status().ToString();
  return r.ok() ? *r : Message{};
}

}  // namespace strata::json_wire::testing
