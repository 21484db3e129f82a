#pragma once
// The TLS byte stream of one connection, shared by transport.cc (TLS and HTTP handshakes) and
// ws_connection.cc (WebSocket framing after the upgrade). Includes asio's ssl: src/transport .cc
// files only.

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>

namespace strata {

using TlsSocket = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;

// The TCP socket under either kind of stream (for addresses, shutdown and close).
inline boost::asio::ip::tcp::socket& LowestSocket(boost::asio::ip::tcp::socket& socket) {
  return socket;
}
inline boost::asio::ip::tcp::socket& LowestSocket(TlsSocket& stream) {
  return stream.next_layer();
}

// Wraps the stream so that headers can pass it around by a forward declaration.
struct TlsStream {
  TlsSocket socket;
};

}  // namespace strata
