#pragma once
// SHA-256 (FIPS 180-4), used to turn record names that memcached cannot take as keys into
// fixed-length keys. Small and dependency-free so that the plugin needs no crypto library.
// Thread-safety: a pure function.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace strata::memcached {

std::array<uint8_t, 32> Sha256(std::string_view data);
// Lower-case hex of Sha256(data): 64 characters.
std::string Sha256Hex(std::string_view data);

}  // namespace strata::memcached
