#pragma once
// Reading Redis replies in the cluster code: numbers sent as text, and what went wrong.

#include <charconv>
#include <string>
#include <string_view>

#include "connectors/redis/redis_connection.h"
#include "strata/status.h"

namespace strata::cluster {

// The whole of `text` as a number (Redis sends seqs and versions as strings).
template <typename T>
bool ParseNumber(std::string_view text, T* out) {
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return error == std::errc() && end == text.data() + text.size();
}

// For a log line: the error Redis answered, or why there was no answer.
inline std::string ErrorText(const Result<RedisValue>& reply) {
  return reply.ok() ? reply->text : reply.status().ToString();
}

}  // namespace strata::cluster
