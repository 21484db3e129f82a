// Transport with `tls` set, over 127.0.0.1 with a Beast client on asio's ssl stream: wss:// and
// https:// on one port, the chain sent to clients, wrong-protocol clients, and the checks of the
// key and certificates. Keys are generated with the openssl CLI into a temporary directory.

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include "transport/event_loop.h"
#include "transport/forwarding_listener.h"
#include "transport/tls_context.h"
#include "transport/transport.h"

namespace strata {
namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using asio::ip::tcp;
using boost::system::error_code;

constexpr auto kGuard = std::chrono::seconds(20);

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

// A fresh self-signed certificate for 127.0.0.1 and its key, as PEM text.
struct KeyPair {
  std::string key;
  std::string cert;
};

class TempKeys {
 public:
  TempKeys() {
    dir_ = std::filesystem::temp_directory_path() /
           ("strata-tls-test-" + std::to_string(::getpid()) + "-" + std::to_string(next_++));
    std::filesystem::create_directories(dir_);
  }
  ~TempKeys() { std::filesystem::remove_all(dir_); }

  KeyPair Generate(const std::string& name) {
    const std::string key = (dir_ / (name + ".key")).string();
    const std::string cert = (dir_ / (name + ".crt")).string();
    const std::string command =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
        "-subj /CN=" +
        name + " -addext subjectAltName=IP:127.0.0.1 -keyout " + key + " -out " + cert +
        " >/dev/null 2>&1";
    EXPECT_EQ(std::system(command.c_str()), 0) << command;
    return KeyPair{ReadFile(key), ReadFile(cert)};
  }

 private:
  static inline int next_ = 0;
  std::filesystem::path dir_;
};

// Echoes every message and counts opens and closes (each connection's listener forwards here).
// Thread-safe.
class EchoHandler : public ConnectionHandler {
 public:
  std::shared_ptr<ConnectionListener> OnOpen(const std::shared_ptr<Connection>& conn) override {
    Bump(&opens_);
    return std::make_shared<ForwardingListener<EchoHandler>>(*this, conn);
  }
  void OnMessage(const std::shared_ptr<Connection>& conn, std::string_view payload, bool) {
    conn->Send(std::make_shared<const std::string>(payload));
  }
  void OnClose(const std::shared_ptr<Connection>&) { Bump(&closes_); }

  bool WaitForCloses(int n) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, kGuard, [&] { return closes_ >= n; });
  }
  int opens() {
    std::lock_guard<std::mutex> lock(mutex_);
    return opens_;
  }

 private:
  void Bump(int* counter) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++*counter;
    changed_.notify_all();
  }
  std::mutex mutex_;
  std::condition_variable changed_;
  int opens_ = 0;
  int closes_ = 0;
};

using TlsClientStream = ssl::stream<tcp::socket>;
using WssClient = websocket::stream<TlsClientStream>;

class TlsTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = keys_.Generate("server");
    for (auto& loop : loops_) loop.Start();
    client_ctx_.add_certificate_authority(asio::buffer(server_.cert));
    client_ctx_.set_verify_mode(ssl::verify_peer);
  }

  void TearDown() override {
    if (transport_) transport_->Stop();
    transport_.reset();
    for (auto& loop : loops_) loop.Stop();
  }

  TransportOptions Options(TlsOptions tls) {
    TransportOptions options;
    options.port = 0;
    EndpointBinding endpoint;
    endpoint.path = "/deepstream";
    endpoint.handler = &handler_;
    endpoint.idle_timeout = std::chrono::milliseconds(0);
    options.endpoints.push_back(endpoint);
    options.http_handler = [](const HttpRequest& request,
                              std::function<void(HttpResponse)> respond) {
      if (request.target != "/api") return false;
      respond(HttpResponse{200, "application/json", "{\"echo\":\"" + request.body + "\"}"});
      return true;
    };
    options.tls = std::move(tls);
    options.tls_handshake_timeout = std::chrono::milliseconds(300);
    return options;
  }

  void StartServer(TlsOptions tls) {
    transport_ = std::make_unique<Transport>(Options(std::move(tls)),
                                             std::vector<EventLoop*>{&loops_[0], &loops_[1]});
    Status status = transport_->Listen();
    ASSERT_TRUE(status.ok()) << status.ToString();
  }

  tcp::endpoint ServerEndpoint() const {
    return tcp::endpoint(asio::ip::make_address("127.0.0.1"), transport_->port());
  }

  // TCP connect and TLS handshake, verifying the server against client_ctx_.
  std::unique_ptr<TlsClientStream> ConnectTls(error_code* ec) {
    auto stream = std::make_unique<TlsClientStream>(client_io_, client_ctx_);
    stream->set_verify_callback(ssl::host_name_verification("127.0.0.1"));
    stream->next_layer().connect(ServerEndpoint(), *ec);
    if (!*ec) stream->handshake(ssl::stream_base::client, *ec);
    return stream;
  }

  std::unique_ptr<WssClient> MustConnectWss() {
    error_code ec;
    auto tls = ConnectTls(&ec);
    EXPECT_FALSE(ec) << ec.message();
    if (ec) return nullptr;
    auto ws = std::make_unique<WssClient>(std::move(*tls));
    ws->handshake("127.0.0.1", "/deepstream", ec);
    EXPECT_FALSE(ec) << ec.message();
    if (ec) return nullptr;
    ws->binary(true);
    return ws;
  }

  template <typename Stream>
  http::response<http::string_body> Request(Stream& stream, http::verb verb,
                                            const std::string& target, std::string body = "") {
    http::request<http::string_body> request(verb, target, 11);
    request.set(http::field::host, "127.0.0.1");
    request.set(http::field::content_type, "application/json");
    request.body() = std::move(body);
    request.prepare_payload();
    http::write(stream, request);
    http::response<http::string_body> response;
    http::read(stream, http_buffer_, response);
    return response;
  }

  TempKeys keys_;
  KeyPair server_;
  EventLoop loops_[2];
  EchoHandler handler_;
  std::unique_ptr<Transport> transport_;
  asio::io_context client_io_;
  ssl::context client_ctx_{ssl::context::tls_client};
  beast::flat_buffer http_buffer_;
};

TEST_F(TlsTransportTest, WssEchoesSmallAndLargeMessages) {
  StartServer({server_.key, server_.cert, ""});
  auto ws = MustConnectWss();
  ASSERT_TRUE(ws);
  // Large messages span several TLS records in both directions.
  for (size_t size : {size_t{5}, size_t{100 * 1000}, size_t{1000 * 1000}}) {
    std::string payload(size, 'x');
    payload[size / 2] = '\0';
    ws->write(asio::buffer(payload));
    beast::flat_buffer buffer;
    ws->read(buffer);
    EXPECT_EQ(beast::buffers_to_string(buffer.data()), payload) << size;
  }
  ws->close(websocket::close_code::normal);
  EXPECT_TRUE(handler_.WaitForCloses(1));
}

TEST_F(TlsTransportTest, ManyQueuedMessagesArriveInOrder) {
  StartServer({server_.key, server_.cert, ""});
  auto ws = MustConnectWss();
  ASSERT_TRUE(ws);
  // Pipelined: the server batches the echoes of whatever arrived together into one TLS write.
  for (int i = 0; i < 1000; ++i) ws->write(asio::buffer("m" + std::to_string(i)));
  for (int i = 0; i < 1000; ++i) {
    beast::flat_buffer buffer;
    ws->read(buffer);
    ASSERT_EQ(beast::buffers_to_string(buffer.data()), "m" + std::to_string(i));
  }
  transport_->Stop();  // closes the live connection: OnClose once
  EXPECT_TRUE(handler_.WaitForCloses(1));
}

TEST_F(TlsTransportTest, HttpsHealthCheckAndHandlerOnOneConnection) {
  StartServer({server_.key, server_.cert, ""});
  error_code ec;
  auto tls = ConnectTls(&ec);
  ASSERT_FALSE(ec) << ec.message();
  auto health = Request(*tls, http::verb::get, "/health-check");
  EXPECT_EQ(health.result(), http::status::ok);
  EXPECT_EQ(health[http::field::content_type], "application/json");
  auto api = Request(*tls, http::verb::post, "/api", "hi");  // keep-alive: same connection
  EXPECT_EQ(api.result(), http::status::ok);
  EXPECT_EQ(api.body(), "{\"echo\":\"hi\"}");
}

TEST_F(TlsTransportTest, PlainClientsFailAndTheServerKeepsServing) {
  StartServer({server_.key, server_.cert, ""});
  for (const char* request : {"GET /health-check HTTP/1.1\r\nHost: x\r\n\r\n",
                              "GET /deepstream HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                              "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"}) {
    tcp::socket plain(client_io_);
    plain.connect(ServerEndpoint());
    asio::write(plain, asio::buffer(std::string(request)));
    char byte;
    error_code ec;
    while (!ec) plain.read_some(asio::buffer(&byte, 1), ec);  // whatever comes, then the close
    EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();
  }
  // A client that does not trust the certificate fails its handshake; the server lives on.
  ssl::context untrusting{ssl::context::tls_client};
  untrusting.set_verify_mode(ssl::verify_peer);
  TlsClientStream stranger(client_io_, untrusting);
  stranger.next_layer().connect(ServerEndpoint());
  error_code ec;
  stranger.handshake(ssl::stream_base::client, ec);
  EXPECT_TRUE(ec);
  auto ws = MustConnectWss();
  ASSERT_TRUE(ws);
  ws->close(websocket::close_code::normal);
  EXPECT_TRUE(handler_.WaitForCloses(1));
}

TEST_F(TlsTransportTest, StalledHandshakeIsClosedAfterTheTimeout) {
  StartServer({server_.key, server_.cert, ""});
  for (std::string sent : {std::string(), std::string("\x16\x03\x01\x02\x00", 5)}) {
    tcp::socket silent(client_io_);
    silent.connect(ServerEndpoint());
    asio::write(silent, asio::buffer(sent));  // nothing, or the start of a ClientHello
    char byte;
    error_code ec;
    silent.read_some(asio::buffer(&byte, 1), ec);  // returns when the server closes
    EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();
  }
}

// `ca` certificates follow the server certificate in the chain the client receives.
TEST_F(TlsTransportTest, CaCertificatesAreSentAsChain) {
  KeyPair other = keys_.Generate("other-ca");
  StartServer({server_.key, server_.cert, other.cert});
  error_code ec;
  auto tls = ConnectTls(&ec);
  ASSERT_FALSE(ec) << ec.message();
  STACK_OF(X509)* chain = SSL_get_peer_cert_chain(tls->native_handle());
  ASSERT_NE(chain, nullptr);
  EXPECT_EQ(sk_X509_num(chain), 2);
}

TEST_F(TlsTransportTest, UnusableKeysFailListenWithTheReason) {
  KeyPair other = keys_.Generate("other");
  auto error_of = [&](TlsOptions tls) {
    Transport transport(Options(std::move(tls)), {&loops_[0]});
    Status status = transport.Listen();
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
    return std::string(status.message());
  };
  EXPECT_EQ(error_of({"not a key", server_.cert, ""}), "key: not PEM (no '-----BEGIN' line)");
  EXPECT_EQ(error_of({server_.key, "/etc/cert.pem", ""}), "cert: not PEM (no '-----BEGIN' line)");
  EXPECT_EQ(error_of({server_.cert, server_.cert, ""}).rfind("key: not a PEM private key", 0), 0u);
  std::string damaged = server_.cert;
  damaged[damaged.size() / 2] = '!';
  EXPECT_EQ(error_of({server_.key, damaged, ""}).rfind("cert: not a PEM certificate", 0), 0u);
  EXPECT_EQ(error_of({server_.key, server_.cert, "junk"}), "ca: not PEM (no '-----BEGIN' line)");
  EXPECT_EQ(error_of({other.key, server_.cert, ""}).rfind("key does not match cert", 0), 0u);
}

}  // namespace
}  // namespace strata
