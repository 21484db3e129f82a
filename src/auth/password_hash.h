#pragma once
// Password hashes in deepstream's file-auth format, so users.yml files made by `deepstream hash`
// keep working: base64(PBKDF2-HMAC-<hash>(password, salt, iterations, keyLength)) followed by
// the salt, where the salt is the base64 text of 16 random bytes and is used as that text.
// Without a hash algorithm configured, passwords are stored and compared in plain text.
//
// Thread-safety: free functions, safe from any thread.

#include <string>
#include <string_view>

#include "strata/status.h"

namespace strata::auth {

struct HashOptions {
  std::string algorithm = "md5";  // `hash`: any digest OpenSSL knows (md5, sha1, sha256, ...)
  int iterations = 100;
  int key_length = 32;  // `keyLength`, bytes
};

// kInvalidArgument for an unknown algorithm or non-positive iterations / key length.
Status ValidateHashOptions(const HashOptions& options);

// The stored form of `password`. `salt` empty: 16 fresh random bytes (base64).
Result<std::string> HashPassword(std::string_view password, const HashOptions& options,
                                 std::string_view salt = {});

// True when `password` hashes to `stored` (compared in constant time).
Result<bool> VerifyPassword(std::string_view password, std::string_view stored,
                            const HashOptions& options);

}  // namespace strata::auth
