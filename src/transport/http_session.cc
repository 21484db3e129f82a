// HttpSession: one accepted TCP connection until it is either done with HTTP or handed over as a
// WebSocket (http_session.h). The server's use of Beast is all here: the TLS handshake, HTTP
// requests and the WebSocket handshake. After the handshake the socket (or TLS stream) leaves
// Beast for ws_connection.cc.
//
// Threading: a session runs on its loop only; StopFromTransport posts there.

#include "transport/http_session.h"

#include <optional>
#include <type_traits>

#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <spdlog/spdlog.h>

#include "transport/asio_stream.h"
#include "transport/ws_connection.h"

namespace strata {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using asio::ip::tcp;
using boost::system::error_code;

// Limits for requests read before any endpoint has been chosen. Node's defaults are similar;
// nothing the server serves today needs a body (the HTTP API will bring its own limit).
constexpr uint32_t kHeaderLimit = 16 * 1024;
constexpr uint64_t kBodyLimit = 64 * 1024;
// A client gets this long to send a whole request (slowloris guard) and to finish the upgrade.
constexpr std::chrono::seconds kRequestTimeout{30};

// "ip:port" of the peer.
std::string PeerAddress(const tcp::socket& socket) {
  error_code ec;
  tcp::endpoint peer = socket.remote_endpoint(ec);
  if (ec) return "unknown";
  return peer.address().to_string() + ":" + std::to_string(peer.port());
}

// "ip:port" of the peer, or the first x-forwarded-for entry (deepstream does the same).
std::string RemoteAddress(const tcp::socket& socket, const http::request<http::string_body>& req) {
  auto forwarded = req.find("X-Forwarded-For");
  if (forwarded != req.end()) {
    std::string_view value = forwarded->value();
    value = value.substr(0, value.find(','));
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
    if (!value.empty()) return std::string(value);
  }
  return PeerAddress(socket);
}

// One accepted TCP connection until it is either done with HTTP or handed over as a WebSocket.
// Stream is tcp::socket (plain) or TlsSocket (TLS handshake first). Runs on its loop only;
// StopFromTransport posts there.
template <typename Stream>
class HttpSession final : public SessionRegistry::Session,
                          public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsSocket>;

  HttpSession(Stream stream, EventLoop* loop, std::shared_ptr<TransportState> state)
      : loop_(loop),
        state_(std::move(state)),
        stream_(std::move(stream)),
        deadline_(IoContext(loop)) {}
  ~HttpSession() { state_->registry.Remove(this); }

  void Start() {
    if (!state_->registry.Add(this, this->weak_from_this())) return;  // stopping: just closes
    if constexpr (kTls) {
      Handshake();
    } else {
      ReadRequest();
    }
  }

  void StopFromTransport() override {
    asio::post(IoContext(loop_), [self = this->shared_from_this()] { self->CloseSocket(); });
  }

 private:
  void Handshake();
  void OnHandshake(const error_code& ec);
  void ArmDeadline(std::chrono::steady_clock::duration timeout);
  void ReadRequest();
  void OnRequest(const error_code& ec);
  void LogBadRequest(const error_code& ec);
  void Respond(http::status status, std::string_view content_type, std::string body,
               const std::vector<std::pair<std::string, std::string>>& headers = {});
  void Upgrade();
  void OnUpgrade(const error_code& ec, std::shared_ptr<const EndpointBinding> endpoint);
  WsConnectionSetup MakeSetup(std::shared_ptr<const EndpointBinding> endpoint);
  void HandOver(WsConnectionSetup setup);
  void CloseSocket();

  EventLoop* const loop_;
  const std::shared_ptr<TransportState> state_;
  Stream stream_;                // moved to the WebSocket connection after the upgrade
  asio::steady_timer deadline_;  // bounds the TLS handshake, each request and the upgrade
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::request<http::string_body> request_;
  std::optional<websocket::stream<Stream&>> ws_;  // only for the 101 response
  std::shared_ptr<void> slot_;  // a place under maxConnections, handed to the WebSocket
};

// The timer does not own the session: a session with nothing in flight is gone anyway.
template <typename Stream>
void HttpSession<Stream>::ArmDeadline(std::chrono::steady_clock::duration timeout) {
  deadline_.expires_after(timeout);
  deadline_.async_wait([weak = this->weak_from_this()](const error_code& ec) {
    if (ec) return;
    if (auto self = weak.lock()) {
      spdlog::debug("http: {} timed out", PeerAddress(LowestSocket(self->stream_)));
      self->CloseSocket();
    }
  });
}

template <typename Stream>
void HttpSession<Stream>::Handshake() {
  ArmDeadline(state_->options.tls_handshake_timeout);
  stream_.async_handshake(
      asio::ssl::stream_base::server,
      [self = this->shared_from_this()](const error_code& ec) { self->OnHandshake(ec); });
}

template <typename Stream>
void HttpSession<Stream>::OnHandshake(const error_code& ec) {
  if (ec) {
    // Typically a plain HTTP or ws:// client on the TLS port ("http request", "wrong version
    // number"), an untrusting client ("alert certificate unknown") or the deadline.
    spdlog::info("tls: handshake with {} failed: {}", PeerAddress(LowestSocket(stream_)),
                 ec.message());
    CloseSocket();
    return;
  }
  ReadRequest();
}

template <typename Stream>
void HttpSession<Stream>::ReadRequest() {
  parser_.emplace();
  parser_->header_limit(kHeaderLimit);
  parser_->body_limit(kBodyLimit);
  ArmDeadline(kRequestTimeout);
  http::async_read(
      stream_, buffer_, *parser_,
      [self = this->shared_from_this()](const error_code& ec, size_t) { self->OnRequest(ec); });
}

template <typename Stream>
void HttpSession<Stream>::OnRequest(const error_code& ec) {
  if (ec) {
    LogBadRequest(ec);
    CloseSocket();
    return;
  }
  request_ = parser_->release();
  if (websocket::is_upgrade(request_)) {
    Upgrade();
    return;
  }
  const bool is_get = request_.method() == http::verb::get;
  if (is_get && request_.target() == state_->options.health_check_path) {
    const auto& unhealthy = state_->options.unhealthy;
    std::string why = unhealthy ? unhealthy() : std::string();
    if (!why.empty()) {
      Respond(http::status::service_unavailable, "text/plain", std::move(why));
    } else {
      Respond(http::status::ok, "application/json", "");
    }
    return;
  }
  // The HTTP handler (metrics, the HTTP API) may answer from another loop: the response is
  // brought back to this session's loop.
  if (const HttpHandler& handler = state_->options.http_handler) {
    HttpRequest request{std::string(request_.method_string()),
                        std::string(request_.target()),
                        request_.body(),
                        std::string(request_[http::field::content_type]),
                        std::string(request_[http::field::origin]),
                        RemoteAddress(LowestSocket(stream_), request_)};
    auto respond = [self = this->shared_from_this()](HttpResponse r) {
      self->loop_->Post([self, r = std::move(r)]() mutable {
        self->Respond(static_cast<http::status>(r.status), r.content_type, std::move(r.body),
                      r.headers);
      });
    };
    if (handler(request, std::move(respond))) return;
  }
  Respond(http::status::not_found, "text/plain", "Not found");
}

// end_of_stream is a keep-alive client leaving; anything else is logged for diagnosis. A TLS
// ClientHello (first byte 0x16) on the plain port is a configuration mismatch worth an info line.
template <typename Stream>
void HttpSession<Stream>::LogBadRequest(const error_code& ec) {
  if (ec == http::error::end_of_stream || ec == asio::error::operation_aborted) return;
  auto data = buffer_.cdata();
  const bool looks_like_tls =
      !kTls && data.size() > 0 && static_cast<const unsigned char*>(data.data())[0] == 0x16;
  if (looks_like_tls) {
    spdlog::info("http: {} sent a TLS handshake to the plain port (httpServer.options.ssl unset)",
                 PeerAddress(LowestSocket(stream_)));
  } else {
    spdlog::debug("http: bad or incomplete request: {}", ec.message());
  }
}

template <typename Stream>
void HttpSession<Stream>::Respond(http::status status, std::string_view content_type,
                                  std::string body,
                                  const std::vector<std::pair<std::string, std::string>>& headers) {
  auto response = std::make_shared<http::response<http::string_body>>(status, request_.version());
  response->set(http::field::content_type, content_type);
  for (const auto& [name, value] : headers) response->set(name, value);
  response->keep_alive(request_.keep_alive());
  response->body() = std::move(body);
  response->prepare_payload();
  http::async_write(stream_, *response,
                    [self = this->shared_from_this(), response](const error_code& ec, size_t) {
                      if (ec || !response->keep_alive()) {
                        self->CloseSocket();
                      } else {
                        self->ReadRequest();
                      }
                    });
}

template <typename Stream>
void HttpSession<Stream>::Upgrade() {
  auto endpoint = state_->FindEndpoint(request_.target());
  if (!endpoint) {
    // deepstream destroys the socket without an HTTP response; so do we.
    spdlog::debug("http: refused WebSocket upgrade to {}", std::string_view(request_.target()));
    CloseSocket();
    return;
  }
  slot_ = state_->TakeSlot();
  if (!slot_) {
    spdlog::warn("http: {} WebSocket connections are open (maxConnections); refused {}",
                 state_->options.max_connections, RemoteAddress(LowestSocket(stream_), request_));
    return Respond(http::status::service_unavailable, "text/plain", "Too many connections");
  }
  ws_.emplace(stream_);  // the deadline of the request still bounds the 101 response
  websocket::permessage_deflate no_compression;  // deepstream does not compress either
  no_compression.server_enable = false;
  ws_->set_option(no_compression);
  ws_->set_option(websocket::stream_base::timeout{websocket::stream_base::none(),
                                                  websocket::stream_base::none(), false});
  ws_->async_accept(request_, [self = this->shared_from_this(), endpoint](const error_code& ec) {
    self->OnUpgrade(ec, endpoint);
  });
}

// The 101 response is out: take the stream away from Beast and let ws_connection frame it.
template <typename Stream>
void HttpSession<Stream>::OnUpgrade(const error_code& ec,
                                    std::shared_ptr<const EndpointBinding> endpoint) {
  deadline_.cancel();
  if (ec) {
    spdlog::debug("http: WebSocket handshake failed: {}", ec.message());
    CloseSocket();
    return;
  }
  HandOver(MakeSetup(std::move(endpoint)));
}

template <typename Stream>
WsConnectionSetup HttpSession<Stream>::MakeSetup(std::shared_ptr<const EndpointBinding> endpoint) {
  WsConnectionSetup setup;
  setup.loop = loop_;
  setup.endpoint = std::move(endpoint);
  setup.remote_address = RemoteAddress(LowestSocket(stream_), request_);
  setup.initial_bytes = beast::buffers_to_string(buffer_.data());
  setup.registry = std::shared_ptr<SessionRegistry>(state_, &state_->registry);
  setup.slot = std::move(slot_);
  return setup;
}

template <typename Stream>
void HttpSession<Stream>::HandOver(WsConnectionSetup setup) {
  ws_.reset();  // it refers to stream_, which leaves now
  if constexpr (kTls) {
    auto stream = std::make_unique<TlsStream>(TlsStream{std::move(stream_)});
    StartTlsWsConnection(std::move(setup), std::move(stream));
  } else {
    error_code ec;
    setup.ipv6 = stream_.local_endpoint(ec).address().is_v6();
    setup.native_socket = stream_.release(ec);
    if (ec) {
      spdlog::warn("http: cannot take over the upgraded socket: {}", ec.message());
      CloseSocket();
      return;
    }
    StartWsConnection(std::move(setup));
  }
}

// No TLS close_notify: like a plain socket close, the peer sees the connection end.
template <typename Stream>
void HttpSession<Stream>::CloseSocket() {
  deadline_.cancel();
  error_code ignored;
  tcp::socket& socket = LowestSocket(stream_);
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

}  // namespace

void StartHttpSession(TcpStream&& accepted, EventLoop* loop,
                      std::shared_ptr<TransportState> state) {
  if (state->tls) {
    auto& context = *static_cast<asio::ssl::context*>(state->tls->native_handle());
    TlsSocket stream(std::move(accepted.socket), context);
    std::make_shared<HttpSession<TlsSocket>>(std::move(stream), loop, std::move(state))->Start();
  } else {
    std::make_shared<HttpSession<tcp::socket>>(std::move(accepted.socket), loop, std::move(state))
        ->Start();
  }
}

}  // namespace strata
