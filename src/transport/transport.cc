// Transport: the listening socket, spread over the loops, and the stop of every session. Each
// accepted connection starts as an HttpSession (http_session.cc) on the loop it was accepted onto.

#include "transport/transport.h"

#include <functional>
#include <future>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include "transport/asio_stream.h"
#include "transport/event_loop.h"
#include "transport/http_session.h"
#include "transport/transport_state.h"

namespace strata {

std::shared_ptr<void> TransportState::TakeSlot() {
  const size_t now = websockets.fetch_add(1) + 1;
  if (options.max_connections > 0 && now > options.max_connections) {
    websockets.fetch_sub(1);
    return nullptr;
  }
  // Points at the state (not owned) so that it tests true; the deleter only gives the place back.
  return std::shared_ptr<void>(
      this, [](void* state) { static_cast<TransportState*>(state)->websockets.fetch_sub(1); });
}

std::shared_ptr<const EndpointBinding> TransportState::FindEndpoint(std::string_view target) const {
  for (const auto& endpoint : endpoints) {
    if (endpoint->path == target) return endpoint;  // exact: no query, no trailing slash
  }
  return nullptr;
}

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

// Accept errors (EMFILE...) would spin; retry after this pause instead.
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};
// Transport::Stop waits at most this long for sessions (each bounds its own close at 1 s).
constexpr std::chrono::milliseconds kStopWait{10000};

// Owns the acceptor. Accept handlers hold it by shared_ptr, so Transport may go away first.
class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(std::vector<EventLoop*> loops, std::shared_ptr<TransportState> state)
      : loops_(std::move(loops)),
        state_(std::move(state)),
        acceptor_(IoContext(loops_[0])),
        retry_timer_(IoContext(loops_[0])) {}

  Status Open(const std::string& host, uint16_t port);
  uint16_t port() const { return port_; }
  // Both run on loops[0]. Close calls on_closed once no accept is pending any more: a pending
  // accept holds a socket of another loop, so it must be gone before the loops are destroyed.
  void Accept();
  void Close(std::function<void()> on_closed);

 private:
  void OnAccept(const error_code& ec, tcp::socket socket, EventLoop* loop);

  const std::vector<EventLoop*> loops_;
  const std::shared_ptr<TransportState> state_;
  tcp::acceptor acceptor_;
  asio::steady_timer retry_timer_;
  uint16_t port_ = 0;
  size_t next_loop_ = 0;
  bool accept_pending_ = false;
  bool closed_ = false;
  std::function<void()> on_closed_;
};

Result<tcp::endpoint> ResolveListenEndpoint(const std::string& host, uint16_t port) {
  error_code ec;
  asio::ip::address address = asio::ip::make_address(host, ec);
  if (!ec) return tcp::endpoint(address, port);
  asio::io_context io_context;
  tcp::resolver resolver(io_context);
  auto results = resolver.resolve(host, std::to_string(port), tcp::resolver::passive, ec);
  if (ec || results.empty()) {
    return Status::Unavailable("cannot listen on " + host + ":" + std::to_string(port) +
                               ": cannot resolve host: " + (ec ? ec.message() : "no address"));
  }
  return results.begin()->endpoint();
}

Status Listener::Open(const std::string& host, uint16_t port) {
  STRATA_ASSIGN_OR_RETURN(tcp::endpoint endpoint, ResolveListenEndpoint(host, port));
  error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (!ec) port_ = acceptor_.local_endpoint(ec).port();
  if (ec) {
    error_code ignored;
    acceptor_.close(ignored);
    return Status::Unavailable("cannot listen on " + host + ":" + std::to_string(port) + ": " +
                               ec.message());
  }
  return Status::Ok();
}

void Listener::Accept() {
  if (closed_) return;
  EventLoop* loop = loops_[next_loop_++ % loops_.size()];
  accept_pending_ = true;
  acceptor_.async_accept(IoContext(loop),
                         [self = shared_from_this(), loop](const error_code& ec, tcp::socket s) {
                           self->OnAccept(ec, std::move(s), loop);
                         });
}

void Listener::OnAccept(const error_code& ec, tcp::socket socket, EventLoop* loop) {
  accept_pending_ = false;
  if (closed_) {
    std::exchange(on_closed_, nullptr)();
    return;
  }
  if (ec) {
    spdlog::warn("transport: accept failed: {}", ec.message());
    retry_timer_.expires_after(kAcceptRetryDelay);
    retry_timer_.async_wait([self = shared_from_this()](const error_code& wait_ec) {
      if (!wait_ec) self->Accept();
    });
    return;
  }
  error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  // The socket already belongs to `loop`; its session must run there too.
  asio::post(IoContext(loop), [loop, state = state_, socket = std::move(socket)]() mutable {
    StartHttpSession(TcpStream{std::move(socket)}, loop, std::move(state));
  });
  Accept();
}

void Listener::Close(std::function<void()> on_closed) {
  closed_ = true;
  on_closed_ = std::move(on_closed);
  error_code ignored;
  acceptor_.close(ignored);
  retry_timer_.cancel();
  if (!accept_pending_) std::exchange(on_closed_, nullptr)();
}

}  // namespace

struct Transport::Impl {
  std::vector<EventLoop*> loops;
  std::shared_ptr<TransportState> state;
  std::shared_ptr<Listener> listener;
  bool stopped = false;
};

Transport::Transport(TransportOptions options, std::vector<EventLoop*> loops)
    : impl_(std::make_unique<Impl>()) {
  impl_->loops = std::move(loops);
  impl_->state = std::make_shared<TransportState>();
  for (const EndpointBinding& endpoint : options.endpoints) {
    impl_->state->endpoints.push_back(std::make_shared<const EndpointBinding>(endpoint));
  }
  impl_->state->options = std::move(options);
}

Transport::~Transport() { Stop(); }

Status Transport::Listen() {
  if (impl_->listener || impl_->stopped) {
    return Status::FailedPrecondition("transport: Listen called twice or after Stop");
  }
  const TransportOptions& options = impl_->state->options;
  if (options.tls) {
    STRATA_ASSIGN_OR_RETURN(impl_->state->tls, TlsContext::Create(*options.tls));
  }
  auto listener = std::make_shared<Listener>(impl_->loops, impl_->state);
  STRATA_RETURN_IF_ERROR(listener->Open(options.host, options.port));
  impl_->listener = listener;
  asio::post(IoContext(impl_->loops[0]), [listener] { listener->Accept(); });
  spdlog::info("transport: listening on {}:{}{}", options.host, listener->port(),
               options.tls ? " (TLS)" : "");
  return Status::Ok();
}

uint16_t Transport::port() const { return impl_->listener ? impl_->listener->port() : 0; }

void Transport::Stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  if (impl_->listener) {
    // The acceptor belongs to loops[0]; close it there and wait, so no new session slips in.
    std::promise<void> closed;
    asio::post(IoContext(impl_->loops[0]), [listener = impl_->listener, &closed] {
      listener->Close([&closed] { closed.set_value(); });
    });
    closed.get_future().wait();
  }
  impl_->state->registry.StopAll(kStopWait);
}

}  // namespace strata
