#include "protocol/text/typed_value.h"

#include <gtest/gtest.h>

namespace strata::text_wire {
namespace {

std::optional<std::string> Json(std::string_view typed) {
  Result<std::optional<std::string>> r = TypedToJson(typed);
  EXPECT_TRUE(r.ok()) << typed;
  return r.ok() ? *r : std::nullopt;
}

TEST(TypedValue, DecodesEveryPrefix) {
  EXPECT_EQ(Json("Sa \"string\""), "\"a \\\"string\\\"\"");
  EXPECT_EQ(Json("S"), "\"\"");
  EXPECT_EQ(Json("N42"), "42");
  EXPECT_EQ(Json("N-1.5e3"), "-1.5e3");
  EXPECT_EQ(Json("N.5"), "0.5");  // parseFloat syntax that is not JSON
  EXPECT_EQ(Json("O{\"a\":[1,null]}"), "{\"a\":[1,null]}");
  EXPECT_EQ(Json("O\"str\""), "\"str\"");
  EXPECT_EQ(Json("T"), "true");
  EXPECT_EQ(Json("F"), "false");
  EXPECT_EQ(Json("L"), "null");
  EXPECT_EQ(Json("U"), std::nullopt);
}

TEST(TypedValue, RejectsBadValues) {
  for (std::string_view bad : {"", "X1", "s lower", "N", "Nabc", "N1x", "NNaN", "NInfinity",
                               "N0x10", "O{", "O", "O{\"a\":}", "O[1,]"}) {
    EXPECT_FALSE(TypedToJson(bad).ok()) << "[" << bad << "]";
  }
  EXPECT_FALSE(TypedToJson(std::string_view("O\"a\0\"", 5)).ok());
}

TEST(TypedValue, EncodesJsonPayloads) {
  EXPECT_EQ(JsonToTyped(std::nullopt), "U");
  EXPECT_EQ(JsonToTyped("\"hi\\nthere\""), "Shi\nthere");
  EXPECT_EQ(JsonToTyped("3.25"), "N3.25");
  EXPECT_EQ(JsonToTyped("true"), "T");
  EXPECT_EQ(JsonToTyped("false"), "F");
  EXPECT_EQ(JsonToTyped("null"), "L");
  EXPECT_EQ(JsonToTyped("{\"a\":1}"), "O{\"a\":1}");
  EXPECT_EQ(JsonToTyped("[1,2]"), "O[1,2]");
}

TEST(TypedValue, NeverEmitsSeparators) {
  // A string holding a separator travels as a JSON string in an O value.
  EXPECT_EQ(JsonToTyped("\"a\\u001fb\""), "O\"a\\u001fb\"");
  std::string typed = JsonToTyped("not json \x1f here");
  EXPECT_EQ(typed.find('\x1f'), std::string::npos);
  EXPECT_EQ(typed[0], 'S');
}

TEST(TypedValue, RoundTrips) {
  for (std::string json : {"\"x\"", "12", "-0.5", "true", "false", "null", "{\"k\":\"v\"}",
                           "[\"a\",{}]", "\"a\\u001eb\""}) {
    Result<std::optional<std::string>> back = TypedToJson(JsonToTyped(json));
    ASSERT_TRUE(back.ok()) << json;
    EXPECT_EQ(back->value_or("?"), json);
  }
}

}  // namespace
}  // namespace strata::text_wire
