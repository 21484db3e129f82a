#include "transport/tls_context.h"

#include <string>
#include <vector>

#include <boost/asio/ssl/context.hpp>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

namespace strata {
namespace {

namespace ssl = boost::asio::ssl;

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Deleter {
  void operator()(X509* x509) const { X509_free(x509); }
};
struct KeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;
using X509Ptr = std::unique_ptr<X509, X509Deleter>;
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyDeleter>;

// The oldest queued OpenSSL error as text (and the queue emptied), for the message of a Status.
std::string OpenSslError() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "no detail from OpenSSL";
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  return text;
}

// An encrypted key must fail instead of prompting on the terminal.
int NoPassphrase(char*, int, int, void*) { return -1; }

BioPtr MemoryBio(const std::string& pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// Every certificate of a PEM text, in order; an empty result means there was none.
Result<std::vector<X509Ptr>> ReadCertificates(const std::string& pem, const char* field) {
  std::vector<X509Ptr> certs;
  if (pem.find("-----BEGIN") == std::string::npos) {
    return Status::InvalidArgument(std::string(field) + ": not PEM (no '-----BEGIN' line)");
  }
  BioPtr bio = MemoryBio(pem);
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, NoPassphrase, nullptr)) {
    certs.emplace_back(cert);
  }
  // The loop ends with "no start line" after the last certificate; anything else is damage.
  unsigned long last = ERR_peek_last_error();
  if (ERR_GET_REASON(last) != PEM_R_NO_START_LINE || certs.empty()) {
    return Status::InvalidArgument(std::string(field) +
                                   ": not a PEM certificate: " + OpenSslError());
  }
  ERR_clear_error();
  return certs;
}

Status UseKey(SSL_CTX* ctx, const std::string& pem) {
  if (pem.find("-----BEGIN") == std::string::npos) {
    return Status::InvalidArgument("key: not PEM (no '-----BEGIN' line)");
  }
  BioPtr bio = MemoryBio(pem);
  KeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  if (!key) {
    return Status::InvalidArgument(
        "key: not a PEM private key (encrypted keys are not supported): " + OpenSslError());
  }
  if (SSL_CTX_use_PrivateKey(ctx, key.get()) != 1) {
    return Status::InvalidArgument("key: rejected: " + OpenSslError());
  }
  return Status::Ok();
}

// The first certificate of `cert` is the server's; the rest of it and all of `ca` form the chain.
Status UseCertificates(SSL_CTX* ctx, const TlsOptions& options) {
  STRATA_ASSIGN_OR_RETURN(std::vector<X509Ptr> certs, ReadCertificates(options.cert, "cert"));
  if (SSL_CTX_use_certificate(ctx, certs.front().get()) != 1) {
    return Status::InvalidArgument("cert: rejected: " + OpenSslError());
  }
  if (!options.ca.empty()) {
    STRATA_ASSIGN_OR_RETURN(std::vector<X509Ptr> ca, ReadCertificates(options.ca, "ca"));
    for (X509Ptr& c : ca) certs.push_back(std::move(c));
  }
  for (size_t i = 1; i < certs.size(); ++i) {
    if (SSL_CTX_add1_chain_cert(ctx, certs[i].get()) != 1) {
      return Status::InvalidArgument("ca: certificate rejected: " + OpenSslError());
    }
  }
  return Status::Ok();
}

}  // namespace

struct TlsContext::Impl {
  ssl::context context{ssl::context::tls_server};
};

TlsContext::TlsContext(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TlsContext::~TlsContext() = default;

Result<std::unique_ptr<TlsContext>> TlsContext::Create(const TlsOptions& options) {
  ERR_clear_error();
  auto impl = std::make_unique<Impl>();
  SSL_CTX* ctx = impl->context.native_handle();
  // Node's defaults: TLS 1.2 and newer, server cipher preference.
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);
  STRATA_RETURN_IF_ERROR(UseKey(ctx, options.key));
  STRATA_RETURN_IF_ERROR(UseCertificates(ctx, options));
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return Status::InvalidArgument("key does not match cert: " + OpenSslError());
  }
  return std::unique_ptr<TlsContext>(new TlsContext(std::move(impl)));
}

void* TlsContext::native_handle() { return &impl_->context; }

}  // namespace strata
