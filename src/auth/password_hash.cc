#include "auth/password_hash.h"

#include <vector>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

namespace strata::auth {
namespace {

std::string Base64(const unsigned char* bytes, size_t size) {
  std::string out(4 * ((size + 2) / 3), '\0');
  int written =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes, static_cast<int>(size));
  out.resize(written < 0 ? 0 : static_cast<size_t>(written));
  return out;
}

// The base64 length of a key: what the stored form starts with.
size_t Base64Length(int key_length) { return 4 * ((static_cast<size_t>(key_length) + 2) / 3); }

Result<std::string> Derive(std::string_view password, std::string_view salt,
                           const HashOptions& options) {
  STRATA_RETURN_IF_ERROR(ValidateHashOptions(options));
  const EVP_MD* digest = EVP_get_digestbyname(options.algorithm.c_str());
  std::vector<unsigned char> key(static_cast<size_t>(options.key_length));
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), options.iterations, digest,
                        options.key_length, key.data()) != 1) {
    return Status::Internal("PBKDF2 failed");
  }
  return Base64(key.data(), key.size());
}

}  // namespace

Status ValidateHashOptions(const HashOptions& options) {
  if (EVP_get_digestbyname(options.algorithm.c_str()) == nullptr) {
    return Status::InvalidArgument("unknown hash algorithm '" + options.algorithm + "'");
  }
  if (options.iterations < 1) return Status::InvalidArgument("iterations must be at least 1");
  if (options.key_length < 1 || options.key_length > 1024) {
    return Status::InvalidArgument("keyLength must be between 1 and 1024");
  }
  return Status();
}

Result<std::string> HashPassword(std::string_view password, const HashOptions& options,
                                 std::string_view salt) {
  std::string fresh;
  if (salt.empty()) {
    unsigned char bytes[16];
    if (RAND_bytes(bytes, sizeof bytes) != 1) return Status::Internal("no random bytes for a salt");
    fresh = Base64(bytes, sizeof bytes);
    salt = fresh;
  }
  STRATA_ASSIGN_OR_RETURN(std::string key, Derive(password, salt, options));
  return key + std::string(salt);
}

Result<bool> VerifyPassword(std::string_view password, std::string_view stored,
                            const HashOptions& options) {
  const size_t key_chars = Base64Length(options.key_length);
  if (stored.size() <= key_chars) return false;  // not a hash made with these options
  STRATA_ASSIGN_OR_RETURN(std::string key, Derive(password, stored.substr(key_chars), options));
  return key.size() == key_chars && CRYPTO_memcmp(key.data(), stored.data(), key_chars) == 0;
}

}  // namespace strata::auth
