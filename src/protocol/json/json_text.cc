#include "protocol/json/json_text.h"

#include <charconv>
#include <cstdint>
#include <vector>

namespace strata::json_wire::internal {
namespace {

constexpr char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD

// Length of the valid UTF-8 sequence starting at s[i], or 0 if s[i] does not start one.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  const uint8_t lead = byte(i);
  size_t len;
  uint32_t min_code_point;
  uint32_t code_point;
  if (lead >= 0xC2 && lead <= 0xDF) {
    len = 2, min_code_point = 0x80, code_point = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    len = 3, min_code_point = 0x800, code_point = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    len = 4, min_code_point = 0x10000, code_point = lead & 0x07;
  } else {
    return 0;
  }
  if (s.size() - i < len) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    code_point = (code_point << 6) | (byte(i + k) & 0x3F);
  }
  if (code_point < min_code_point || code_point > 0x10FFFF) return 0;
  if (code_point >= 0xD800 && code_point <= 0xDFFF) return 0;
  return len;
}

void AppendEscapedAscii(char c, std::string* out) {
  switch (c) {
    case '"':
      out->append("\\\"");
      return;
    case '\\':
      out->append("\\\\");
      return;
    case '\b':
      out->append("\\b");
      return;
    case '\f':
      out->append("\\f");
      return;
    case '\n':
      out->append("\\n");
      return;
    case '\r':
      out->append("\\r");
      return;
    case '\t':
      out->append("\\t");
      return;
    default:
      break;
  }
  if (static_cast<uint8_t>(c) < 0x20) {
    static constexpr char kHex[] = "0123456789abcdef";
    out->append("\\u00");
    out->push_back(kHex[(c >> 4) & 0xF]);
    out->push_back(kHex[c & 0xF]);
  } else {
    out->push_back(c);
  }
}

template <typename T>
void AppendNumber(T value, std::string* out) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  if (ec != std::errc()) {
    out->push_back('0');  // unreachable: 32 bytes hold any int64 or shortest double
    return;
  }
  out->append(buf, end);
}

void AppendScalar(const rapidjson::Value& v, std::string* out) {
  if (v.IsNull()) {
    out->append("null");
  } else if (v.IsBool()) {
    out->append(v.GetBool() ? "true" : "false");
  } else if (v.IsString()) {
    AppendJsonString(std::string_view(v.GetString(), v.GetStringLength()), out);
  } else if (v.IsInt64()) {
    AppendNumber(v.GetInt64(), out);
  } else if (v.IsUint64()) {
    AppendNumber(v.GetUint64(), out);
  } else {
    AppendNumber(v.GetDouble(), out);  // finite: the parser rejects numbers it cannot hold
  }
}

// One open array or object on the explicit stack of AppendCompactJson.
struct Frame {
  const rapidjson::Value* container;
  rapidjson::SizeType next;  // index of the next element or member to write
};

rapidjson::SizeType Size(const rapidjson::Value& v) {
  return v.IsObject() ? v.MemberCount() : v.Size();
}

// Writes the opening bracket of `v` and pushes it, or writes `v` whole if it is a scalar.
void Open(const rapidjson::Value& v, std::vector<Frame>* stack, std::string* out) {
  if (v.IsObject()) {
    out->push_back('{');
  } else if (v.IsArray()) {
    out->push_back('[');
  } else {
    AppendScalar(v, out);
    return;
  }
  stack->push_back({&v, 0});
}

}  // namespace

void AppendJsonString(std::string_view s, std::string* out) {
  out->push_back('"');
  for (size_t i = 0; i < s.size();) {
    if (static_cast<uint8_t>(s[i]) < 0x80) {
      AppendEscapedAscii(s[i], out);
      ++i;
      continue;
    }
    const size_t len = Utf8SequenceLength(s, i);
    if (len == 0) {
      out->append(kReplacement);
      ++i;
    } else {
      out->append(s.substr(i, len));
      i += len;
    }
  }
  out->push_back('"');
}

void AppendCompactJson(const rapidjson::Value& value, std::string* out) {
  std::vector<Frame> stack;
  Open(value, &stack, out);
  while (!stack.empty()) {
    Frame& top = stack.back();
    const rapidjson::Value& c = *top.container;
    if (top.next == Size(c)) {
      out->push_back(c.IsObject() ? '}' : ']');
      stack.pop_back();
      continue;
    }
    if (top.next > 0) out->push_back(',');
    const rapidjson::SizeType index = top.next++;
    if (c.IsObject()) {
      const auto& member = c.MemberBegin()[index];
      AppendScalar(member.name, out);
      out->push_back(':');
      Open(member.value, &stack, out);  // may invalidate `top`
    } else {
      Open(c[index], &stack, out);
    }
  }
}

}  // namespace strata::json_wire::internal
