#include "transport/http_client.h"

#include <charconv>
#include <memory>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "transport/event_loop.h"

namespace strata {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// One request in flight: owns the socket and buffers until the callback has run.
class Exchange : public std::enable_shared_from_this<Exchange> {
 public:
  Exchange(asio::io_context& io, HttpClientRequest request,
           std::function<void(Result<HttpClientResponse>)> done)
      : resolver_(io), stream_(io), request_(std::move(request)), done_(std::move(done)) {}

  void Run() {
    stream_.expires_after(request_.timeout);
    // The resolver has no deadline of its own: a timer cancels it.
    resolve_timer_ = std::make_unique<asio::steady_timer>(stream_.get_executor(), request_.timeout);
    resolve_timer_->async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->resolver_.cancel();
    });
    resolver_.async_resolve(
        request_.url.host, std::to_string(request_.url.port),
        [self = shared_from_this()](beast::error_code ec, tcp::resolver::results_type r) {
          self->resolve_timer_->cancel();
          self->OnResolved(ec, std::move(r));
        });
  }

 private:
  void OnResolved(beast::error_code ec, tcp::resolver::results_type results) {
    if (ec)
      return Fail(ec == asio::error::operation_aborted ? beast::error::timeout : ec, "resolve");
    stream_.async_connect(results,
                          [self = shared_from_this()](beast::error_code ec, const tcp::endpoint&) {
                            self->OnConnected(ec);
                          });
  }

  void OnConnected(beast::error_code ec) {
    if (ec) return Fail(ec, "connect");
    http::request<http::string_body>& req = outgoing_;
    req.method(http::string_to_verb(request_.method));
    req.target(request_.url.target);
    req.version(11);
    req.set(http::field::host, request_.url.host + ":" + std::to_string(request_.url.port));
    req.set(http::field::user_agent, "strata");
    req.set(http::field::content_type, request_.content_type);
    req.set(http::field::connection, "close");
    for (const auto& [name, value] : request_.headers) req.set(name, value);
    req.body() = request_.body;
    req.prepare_payload();
    http::async_write(stream_, req, [self = shared_from_this()](beast::error_code ec, size_t) {
      self->OnWritten(ec);
    });
  }

  void OnWritten(beast::error_code ec) {
    if (ec) return Fail(ec, "send");
    response_.body_limit(1 << 20);  // a webhook's answer is small; a huge one is an error
    http::async_read(
        stream_, buffer_, response_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec) return Fail(ec, "read");
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    const auto& message = response_.get();
    HttpClientResponse response;
    response.status = static_cast<int>(message.result_int());
    response.content_type = std::string(message[http::field::content_type]);
    response.body = message.body();
    done_(std::move(response));
  }

  void Fail(beast::error_code ec, std::string_view step) {
    std::string what = "http " + request_.method + " " + request_.url.host + ":" +
                       std::to_string(request_.url.port) + request_.url.target + ": " +
                       std::string(step) + " failed: " + ec.message();
    if (ec == beast::error::timeout) {
      return done_(Status::DeadlineExceeded(what + " (after " +
                                            std::to_string(request_.timeout.count()) + " ms)"));
    }
    done_(Status::Unavailable(what));
  }

  tcp::resolver resolver_;
  beast::tcp_stream stream_;
  std::unique_ptr<asio::steady_timer> resolve_timer_;
  HttpClientRequest request_;
  std::function<void(Result<HttpClientResponse>)> done_;
  http::request<http::string_body> outgoing_;
  beast::flat_buffer buffer_;
  http::response_parser<http::string_body> response_;
};

}  // namespace

Result<HttpUrl> ParseHttpUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, 8) == "https://") {
    return Status::InvalidArgument("https URLs are not supported yet: " + std::string(url));
  }
  if (url.substr(0, kScheme.size()) != kScheme) {
    return Status::InvalidArgument("expected an http:// URL, got '" + std::string(url) + "'");
  }
  std::string_view rest = url.substr(kScheme.size());
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  HttpUrl parsed;
  parsed.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
    std::string_view port = authority.substr(colon + 1);
    unsigned value = 0;
    auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (error != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      return Status::InvalidArgument("bad port in URL '" + std::string(url) + "'");
    }
    parsed.port = static_cast<uint16_t>(value);
    authority = authority.substr(0, colon);
  }
  if (authority.empty())
    return Status::InvalidArgument("no host in URL '" + std::string(url) + "'");
  parsed.host = std::string(authority);
  return parsed;
}

void SendHttpRequest(EventLoop& loop, HttpClientRequest request,
                     std::function<void(Result<HttpClientResponse>)> done) {
  auto& io = *static_cast<asio::io_context*>(loop.native_handle());
  auto exchange = std::make_shared<Exchange>(io, std::move(request), std::move(done));
  asio::post(io, [exchange] { exchange->Run(); });
}

}  // namespace strata
