#pragma once
// TlsChannel: the client side of TLS (OpenSSL) over one connected, non-blocking socket, for
// RedisConnection. It never waits: each call does what the socket allows now and says what it
// waits for, and the owner polls the fd. Socket I/O goes through send/recv with MSG_NOSIGNAL, so
// a dead peer is an error, not a SIGPIPE.
//
// OpenSSL may hold bytes it has already taken from the socket, which poll() cannot report: an
// owner reads until Read returns 0 (SSL_read reported WANT_READ), or at least while
// HasBufferedInput() is true.
//
// Thread-compatibility: one owner thread uses it.

#include <poll.h>

#include <memory>
#include <string>
#include <string_view>

#include "connectors/redis/redis_options.h"
#include "strata/status.h"

typedef struct ssl_st SSL;

namespace strata {

class TlsChannel {
 public:
  ~TlsChannel();
  TlsChannel(const TlsChannel&) = delete;
  TlsChannel& operator=(const TlsChannel&) = delete;

  // Prepares the client side on `fd` (connected, non-blocking, not owned) from `options`: CA
  // (else the system store), client certificate, SNI and the name checked (servername, else
  // `host`). kInvalidArgument naming `peer` and the option when a certificate or key does not
  // load.
  static Result<std::unique_ptr<TlsChannel>> New(int fd, const RedisTlsOptions& options,
                                                 const std::string& host, const std::string& peer);

  // Advances the handshake: 0 once it is complete, else the poll() events it waits for (POLLIN
  // or POLLOUT). kInvalidArgument when the server's certificate is rejected, kUnavailable for
  // any other failure; messages name the peer and TLS.
  Result<short> Handshake();

  // Encrypts and sends from `data`: how many bytes were taken, 0 when the socket is full. An
  // error (its message without the peer) when the connection is broken.
  Result<size_t> Write(std::string_view data);
  // Receives and decrypts into `buffer`: how many bytes, 0 when nothing more is available
  // without waiting. An error when the connection is broken or closed.
  Result<size_t> Read(char* buffer, size_t size);

  // True when OpenSSL holds input that poll() cannot see (SSL_has_pending).
  bool HasBufferedInput() const;
  // True when the last Read waits for the socket to become writable (a TLS message to send).
  bool ReadWantsWrite() const { return read_wants_write_; }

 private:
  TlsChannel(SSL* ssl, std::string peer) : ssl_(ssl), peer_(std::move(peer)) {}
  // What the failed SSL_connect/SSL_read/SSL_write that returned `result` waits for (POLLIN or
  // POLLOUT), or the error that broke the connection (kUnavailable, without the peer).
  Result<short> Wants(int result);

  SSL* ssl_;                  // owns its context and its socket BIO, not the socket
  std::string peer_;          // "redis host:port", for handshake messages
  std::string checked_name_;  // the name the certificate must carry; empty = not verified
  std::string trusted_;       // where trusted CAs come from, for messages
  bool read_wants_write_ = false;
};

}  // namespace strata
