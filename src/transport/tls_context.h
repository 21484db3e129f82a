#pragma once
// TlsContext: the server side of TLS (`httpServer.options.ssl`): private key, certificate chain
// and extra chain certificates, loaded from PEM text and checked once at startup. One context
// serves every connection of the transport (OpenSSL allows sharing a configured SSL_CTX across
// threads). Asio stays behind the pimpl so that only src/transport .cc files include it.

#include <memory>
#include <string>

#include "strata/status.h"

namespace strata {

// PEM text, as deepstream passes `ssl` to Node's https server.
struct TlsOptions {
  std::string key;   // the private key (unencrypted; there is no passphrase option)
  std::string cert;  // the server certificate, optionally followed by its intermediates
  // Further certificates sent to clients after `cert`'s, to complete the chain (Node sends the
  // chain it can build from `ca`). Client certificates are not requested, as in deepstream.
  std::string ca;
};

class TlsContext {
 public:
  // kInvalidArgument naming the field and the problem: not PEM, a certificate that does not
  // parse, or a key that does not match the certificate.
  static Result<std::unique_ptr<TlsContext>> Create(const TlsOptions& options);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // The boost::asio::ssl::context*, for src/transport only.
  void* native_handle();

 private:
  struct Impl;
  explicit TlsContext(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace strata
