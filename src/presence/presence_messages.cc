#include "presence/presence_messages.h"

#include <algorithm>
#include <optional>
#include <string_view>
#include <unordered_set>
#include <utility>

namespace strata::presence_messages {
namespace pa = presence_action;

namespace {

Message Presence(int32_t action) {
  Message m;
  m.topic = Topic::kPresence;
  m.action = action;
  return m;
}

// The JS array index a property key stands for, if any (such keys are enumerated first).
std::optional<uint32_t> ArrayIndex(std::string_view key) {
  if (key.empty() || key.size() > 10 || (key.size() > 1 && key[0] == '0')) return std::nullopt;
  uint64_t value = 0;
  for (char c : key) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  if (value > 4294967294u) return std::nullopt;
  return static_cast<uint32_t>(value);
}

// Appends `text` as a JSON string literal escaped like JSON.stringify: the short escapes, other
// control characters as \u00xx (lower-case hex), everything else (UTF-8 included) as it is.
void AppendJsonString(std::string_view text, std::string* out) {
  static constexpr std::string_view kShort = "\"\\\b\f\n\r\t";
  static constexpr std::string_view kShortLetter = "\"\\bfnrt";
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (char c : text) {
    if (size_t i = kShort.find(c); i != std::string_view::npos) {
      out->push_back('\\');
      out->push_back(kShortLetter[i]);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out->append("\\u00");
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 0xf]);
    } else {
      out->push_back(c);
    }
  }
  out->push_back('"');
}

// The distinct names in JS property enumeration order.
std::vector<std::string_view> PropertyOrder(const std::vector<std::string>& names) {
  std::unordered_set<std::string_view> seen;
  std::vector<std::pair<uint32_t, std::string_view>> indices;
  std::vector<std::string_view> others;
  for (const std::string& name : names) {
    if (!seen.insert(name).second) continue;
    if (auto index = ArrayIndex(name)) {
      indices.emplace_back(*index, name);
    } else {
      others.push_back(name);
    }
  }
  std::sort(indices.begin(), indices.end());
  std::vector<std::string_view> order;
  order.reserve(indices.size() + others.size());
  for (const auto& [index, name] : indices) order.push_back(name);
  order.insert(order.end(), others.begin(), others.end());
  return order;
}

}  // namespace

Message Ack(const Message& request) {
  Message ack = Presence(request.action);
  if (request.action == pa::kSubscribe || request.action == pa::kUnsubscribe) {
    ack.correlation_id = request.correlation_id;
  }
  ack.is_ack = true;
  return ack;
}

Message Announcement(int32_t action, const std::string& user) {
  Message m = Presence(action);
  m.name = user;
  return m;
}

Message QueryAllResponse(std::vector<std::string> users) {
  Message m = Presence(pa::kQueryAllResponse);
  m.names = std::move(users);
  return m;
}

Message QueryResponse(const Message& request, const OnlineUsers& online) {
  Message m = Presence(pa::kQueryResponse);
  m.data = QueryResponseData(request.names, online);
  m.correlation_id = request.correlation_id;
  return m;
}

std::string QueryResponseData(const std::vector<std::string>& names, const OnlineUsers& online) {
  std::string out = "{";
  for (std::string_view name : PropertyOrder(names)) {
    if (out.size() > 1) out.push_back(',');
    AppendJsonString(name, &out);
    out.append(online.Contains(std::string(name)) ? ":true" : ":false");
  }
  out.push_back('}');
  return out;
}

}  // namespace strata::presence_messages
