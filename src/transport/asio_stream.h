#pragma once
// The asio types the transport's .cc files hand to each other: the byte stream of a connection
// (plain TCP or TLS) as the acceptor (transport.cc), the HTTP session (http_session.cc) and the
// WebSocket connection (ws_connection.cc) pass it on, and the io_context of a loop. The streams
// are wrapped so that the asio-free headers can take them by a forward declaration. Includes
// asio: src/transport .cc files only.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>

#include "transport/event_loop.h"

namespace strata {

using TlsSocket = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;

// The TCP socket under either kind of stream (for addresses, shutdown and close).
inline boost::asio::ip::tcp::socket& LowestSocket(boost::asio::ip::tcp::socket& socket) {
  return socket;
}
inline boost::asio::ip::tcp::socket& LowestSocket(TlsSocket& stream) { return stream.next_layer(); }

struct TcpStream {
  boost::asio::ip::tcp::socket socket;
};
struct TlsStream {
  TlsSocket socket;
};

inline boost::asio::io_context& IoContext(EventLoop* loop) {
  return *static_cast<boost::asio::io_context*>(loop->native_handle());
}

}  // namespace strata
