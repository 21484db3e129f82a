#pragma once
// Hex helpers shared by the binary codec tests.

#include <cctype>
#include <string>
#include <string_view>

namespace strata::binary::testing {

// "06 10 02" -> bytes; whitespace is ignored. REQUIRES: an even number of hex digits.
inline std::string FromHex(std::string_view hex) {
  std::string out;
  int pending = -1;
  for (char c : hex) {
    if (std::isspace(static_cast<unsigned char>(c))) continue;
    const int digit = std::isdigit(static_cast<unsigned char>(c))
                          ? c - '0'
                          : std::tolower(static_cast<unsigned char>(c)) - 'a' + 10;
    if (pending < 0) {
      pending = digit;
    } else {
      out.push_back(static_cast<char>(pending * 16 + digit));
      pending = -1;
    }
  }
  return out;
}

inline std::string ToHex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i > 0) out.push_back(' ');
    const auto byte = static_cast<unsigned char>(bytes[i]);
    out.push_back(kDigits[byte >> 4]);
    out.push_back(kDigits[byte & 0xf]);
  }
  return out;
}

}  // namespace strata::binary::testing
