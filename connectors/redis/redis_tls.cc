#include "connectors/redis/redis_tls.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstring>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace strata {
namespace {

constexpr std::string_view kClosedByServer = "connection closed by the server";

struct Free {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
  void operator()(SSL* ssl) const { SSL_free(ssl); }
  void operator()(BIO* bio) const { BIO_free(bio); }
  void operator()(X509* cert) const { X509_free(cert); }
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
template <typename T>
using Owned = std::unique_ptr<T, Free>;

// The socket BIO: OpenSSL's own writes with write(2), which raises SIGPIPE on a dead peer.
int SocketFd(BIO* bio) { return static_cast<int>(reinterpret_cast<intptr_t>(BIO_get_data(bio))); }

int SocketWrite(BIO* bio, const char* data, int size) {
  BIO_clear_retry_flags(bio);
  ssize_t n;
  do {
    n = send(SocketFd(bio), data, static_cast<size_t>(size), MSG_NOSIGNAL | MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) BIO_set_retry_write(bio);
  return static_cast<int>(n);
}

int SocketRead(BIO* bio, char* data, int size) {
  BIO_clear_retry_flags(bio);
  ssize_t n;
  do {
    n = recv(SocketFd(bio), data, static_cast<size_t>(size), MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) BIO_set_retry_read(bio);
  return static_cast<int>(n);
}

long SocketCtrl(BIO*, int command, long, void*) { return command == BIO_CTRL_FLUSH ? 1 : 0; }

const BIO_METHOD* SocketMethod() {
  static BIO_METHOD* const method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "strata redis socket");
    if (m != nullptr) {
      BIO_meth_set_write(m, SocketWrite);
      BIO_meth_set_read(m, SocketRead);
      BIO_meth_set_ctrl(m, SocketCtrl);
    }
    return m;
  }();
  return method;
}

// Encrypted keys would make OpenSSL prompt on the terminal; they are refused instead.
int NoPassphrase(char*, int, int, void*) { return -1; }

// The reason of the newest queued OpenSSL error, or `fallback`.
std::string OpenSslReason(std::string_view fallback) {
  const char* reason = ERR_reason_error_string(ERR_peek_last_error());
  return reason != nullptr ? reason : std::string(fallback);
}

bool IsIpAddress(const std::string& name) {
  unsigned char address[sizeof(in6_addr)];
  return inet_pton(AF_INET, name.c_str(), address) == 1 ||
         inet_pton(AF_INET6, name.c_str(), address) == 1;
}

Owned<BIO> PemBio(const std::string& pem) {
  return Owned<BIO>(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

Status LoadCa(SSL_CTX* ctx, const std::string& pem, const std::string& peer) {
  Owned<BIO> bio = PemBio(pem);
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  int loaded = 0;
  while (Owned<X509> cert{PEM_read_bio_X509(bio.get(), nullptr, NoPassphrase, nullptr)}) {
    if (X509_STORE_add_cert(store, cert.get()) == 1) ++loaded;
  }
  ERR_clear_error();  // the end of the text is reported as an error
  if (loaded == 0) return Status::InvalidArgument(peer + ": TLS: tls.ca holds no certificate");
  return Status();
}

Status LoadClientCertificate(SSL_CTX* ctx, const RedisTlsOptions& options,
                             const std::string& peer) {
  Owned<BIO> certs = PemBio(options.cert);
  Owned<X509> leaf{PEM_read_bio_X509(certs.get(), nullptr, NoPassphrase, nullptr)};
  if (leaf == nullptr || SSL_CTX_use_certificate(ctx, leaf.get()) != 1) {
    return Status::InvalidArgument(peer + ": TLS: tls.cert: " + OpenSslReason("no certificate"));
  }
  while (X509* chain = PEM_read_bio_X509(certs.get(), nullptr, NoPassphrase, nullptr)) {
    SSL_CTX_add0_chain_cert(ctx, chain);  // takes ownership
  }
  ERR_clear_error();
  Owned<BIO> key_text = PemBio(options.key);
  Owned<EVP_PKEY> key{PEM_read_bio_PrivateKey(key_text.get(), nullptr, NoPassphrase, nullptr)};
  if (key == nullptr) {
    return Status::InvalidArgument(peer + ": TLS: tls.key: " + OpenSslReason("no private key") +
                                   " (encrypted keys are not supported)");
  }
  if (SSL_CTX_use_PrivateKey(ctx, key.get()) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    return Status::InvalidArgument(peer + ": TLS: tls.key does not match tls.cert (" +
                                   OpenSslReason("mismatch") + ")");
  }
  return Status();
}

Result<Owned<SSL_CTX>> NewContext(const RedisTlsOptions& options, const std::string& peer) {
  Owned<SSL_CTX> ctx(SSL_CTX_new(TLS_client_method()));
  if (ctx == nullptr)
    return Status::ResourceExhausted(peer + ": TLS: " + OpenSslReason("no memory"));
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION);
  // Flush writes what the socket takes and retries from a buffer that may have moved. No
  // read-ahead: OpenSSL then takes at most one record from the socket per SSL_read, so input it
  // holds back from poll() is never more than the rest of that record.
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (options.reject_unauthorized) {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
    if (!options.ca.empty()) {
      STRATA_RETURN_IF_ERROR(LoadCa(ctx.get(), options.ca, peer));
    } else if (SSL_CTX_set_default_verify_paths(ctx.get()) != 1) {
      return Status::InvalidArgument(peer + ": TLS: cannot load the system CA store; set tls.ca");
    }
  } else {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  }
  if (!options.cert.empty()) {
    STRATA_RETURN_IF_ERROR(LoadClientCertificate(ctx.get(), options, peer));
  }
  return ctx;
}

// SNI and the name the certificate must carry (when verified).
Status SetServerName(SSL* ssl, const std::string& name, const std::string& peer) {
  bool set = IsIpAddress(name)
                 ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str()) == 1
                 : SSL_set_tlsext_host_name(ssl, name.c_str()) == 1 &&
                       SSL_set1_host(ssl, name.c_str()) == 1;
  if (!set) return Status::InvalidArgument(peer + ": TLS: bad server name '" + name + "'");
  SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  return Status();
}

}  // namespace

TlsChannel::~TlsChannel() { SSL_free(ssl_); }

Result<std::unique_ptr<TlsChannel>> TlsChannel::New(int fd, const RedisTlsOptions& options,
                                                    const std::string& host,
                                                    const std::string& peer) {
  ERR_clear_error();
  STRATA_ASSIGN_OR_RETURN(Owned<SSL_CTX> ctx, NewContext(options, peer));
  Owned<SSL> ssl(SSL_new(ctx.get()));  // holds its own reference to ctx
  BIO* bio = SocketMethod() != nullptr ? BIO_new(SocketMethod()) : nullptr;
  if (ssl == nullptr || bio == nullptr) {
    BIO_free(bio);
    return Status::ResourceExhausted(peer + ": TLS: " + OpenSslReason("no memory"));
  }
  BIO_set_data(bio, reinterpret_cast<void*>(static_cast<intptr_t>(fd)));
  BIO_set_init(bio, 1);
  SSL_set_bio(ssl.get(), bio, bio);  // ssl owns bio
  std::string name = options.servername.empty() ? host : options.servername;
  if (options.reject_unauthorized || !IsIpAddress(name)) {
    STRATA_RETURN_IF_ERROR(SetServerName(ssl.get(), name, peer));
  }
  SSL_set_connect_state(ssl.get());
  std::unique_ptr<TlsChannel> channel(new TlsChannel(ssl.release(), peer));
  channel->checked_name_ = options.reject_unauthorized ? name : "";
  channel->trusted_ = options.ca.empty() ? "the system CA store, as tls.ca is not set" : "tls.ca";
  return channel;
}

Result<short> TlsChannel::Handshake() {
  ERR_clear_error();
  int result = SSL_connect(ssl_);
  if (result == 1) return short{0};
  Result<short> wanted = Wants(result);
  if (wanted.ok()) return wanted;
  long verified = SSL_get_verify_result(ssl_);
  if (!checked_name_.empty() && verified != X509_V_OK) {
    return Status::InvalidArgument(peer_ + ": TLS handshake failed: server certificate rejected: " +
                                   X509_verify_cert_error_string(verified) + " (trusted: " +
                                   trusted_ + "; expected name: '" + checked_name_ + "')");
  }
  int reason = ERR_GET_REASON(ERR_peek_last_error());
  bool not_tls = wanted.status().message() == kClosedByServer ||
                 reason == SSL_R_WRONG_VERSION_NUMBER || reason == SSL_R_PACKET_LENGTH_TOO_LONG;
  return Status::Unavailable(peer_ +
                             ": TLS handshake failed: " + std::string(wanted.status().message()) +
                             (not_tls ? " (is it a TLS port?)" : ""));
}

Result<size_t> TlsChannel::Write(std::string_view data) {
  ERR_clear_error();
  size_t written = 0;
  int result = SSL_write_ex(ssl_, data.data(), data.size(), &written);
  if (result == 1) return written;
  // Waiting for POLLOUT: the owner polls for it while bytes wait. For POLLIN (a TLS message from
  // the server first): the owner always polls for input.
  STRATA_RETURN_IF_ERROR(Wants(result).status());
  return size_t{0};
}

Result<size_t> TlsChannel::Read(char* buffer, size_t size) {
  ERR_clear_error();
  size_t read = 0;
  int result = SSL_read_ex(ssl_, buffer, size, &read);
  if (result == 1) {
    read_wants_write_ = false;
    return read;
  }
  STRATA_ASSIGN_OR_RETURN(short wanted, Wants(result));
  read_wants_write_ = wanted == POLLOUT;
  return size_t{0};
}

bool TlsChannel::HasBufferedInput() const { return SSL_has_pending(ssl_) == 1; }

Result<short> TlsChannel::Wants(int result) {
  const int saved_errno = errno;
  switch (SSL_get_error(ssl_, result)) {
    case SSL_ERROR_WANT_READ:
      return short{POLLIN};
    case SSL_ERROR_WANT_WRITE:
      return short{POLLOUT};
    case SSL_ERROR_ZERO_RETURN:
      return Status::Unavailable(std::string(kClosedByServer));
    case SSL_ERROR_SYSCALL:
      if (ERR_peek_error() == 0) {
        return Status::Unavailable(saved_errno == 0 ? std::string(kClosedByServer)
                                                    : std::strerror(saved_errno));
      }
      break;
    default:
      break;
  }
  if (ERR_GET_REASON(ERR_peek_last_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
    return Status::Unavailable(std::string(kClosedByServer));
  }
  return Status::Unavailable("TLS: " + OpenSslReason("unknown error"));
}

}  // namespace strata
