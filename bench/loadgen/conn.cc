#include "conn.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "loop.h"
#include "run_context.h"

namespace strata::loadgen {
namespace {

constexpr size_t kMaxFrameBytes = 64u << 20;

std::string UpgradeRequest(const Options& o) {
  // The key is fixed: the generator trusts the server it measures and does not check the
  // Sec-WebSocket-Accept hash, only the 101 status.
  return "GET " + o.path + " HTTP/1.1\r\nHost: " + o.host + ":" + std::to_string(o.port) +
         "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: c3RyYXRhLWxvYWRnZW4tMQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
}

}  // namespace

Conn::Conn(RunContext* ctx, ConnHandler* handler, std::string name, int role, int index, int sub)
    : role(role), index(index), sub(sub), ctx_(ctx), handler_(handler), name_(std::move(name)) {}

Conn::~Conn() {
  if (fd_ >= 0) ::close(fd_);
}

void Conn::Problem(const std::string& what) { ctx_->problems.Add(name_ + ": " + what); }

void Conn::Connect(Loop* loop, int source_ip_last_octet) {
  loop_ = loop;
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return Fail(std::string("socket: ") + std::strerror(errno));
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (source_ip_last_octet != 1) {
    ::setsockopt(fd_, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    sockaddr_in src{};
    src.sin_family = AF_INET;
    src.sin_addr.s_addr = htonl((127u << 24) | uint32_t(source_ip_last_octet));
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0) {
      return Fail(std::string("bind: ") + std::strerror(errno));
    }
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(uint16_t(ctx_->opt.port));
  if (::inet_pton(AF_INET, ctx_->opt.host.c_str(), &addr.sin_addr) != 1) {
    return Fail("host must be an IPv4 address: " + ctx_->opt.host);
  }
  state_ = State::kConnecting;
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 &&
      errno != EINPROGRESS) {
    return Fail(std::string("connect: ") + std::strerror(errno));
  }
  want_write_ = true;
  loop_->Watch(this, EPOLLIN | EPOLLOUT, true);
}

void Conn::Send(std::string_view frame) {
  if (state_ == State::kClosed) return;
  if (out_off_ == out_.size()) {
    out_.clear();
    out_off_ = 0;
  }
  out_.append(frame);
  if (!dirty) loop_->MarkDirty(this);
}

void Conn::SendMessage(int topic, const std::string& inner) {
  Send(MaskedFrame(EncodeMessage(topic, inner)));
}

void Conn::MarkReady() {
  state_ = State::kReady;
  loop_->OnReady(this);
}

void Conn::Flush() {
  while (fd_ >= 0 && out_off_ < out_.size()) {
    ssize_t n = ::send(fd_, out_.data() + out_off_, out_.size() - out_off_, MSG_NOSIGNAL);
    if (n > 0) {
      out_off_ += size_t(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    return Fail(std::string("send: ") + std::strerror(errno));
  }
  bool want = out_off_ < out_.size();
  if (want != want_write_ && fd_ >= 0) {
    want_write_ = want;
    loop_->Watch(this, want ? (EPOLLIN | EPOLLOUT) : uint32_t(EPOLLIN), false);
  }
}

void Conn::OnEvent(uint32_t events) {
  if ((events & EPOLLOUT) && state_ != State::kClosed) OnWritable();
  if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && state_ != State::kClosed) OnReadable();
}

void Conn::OnWritable() {
  if (state_ == State::kConnecting) {
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return Fail(std::string("connect: ") + std::strerror(err));
    state_ = State::kUpgrading;
    Send(UpgradeRequest(ctx_->opt));
    return;
  }
  Flush();
}

void Conn::OnReadable() {
  ssize_t n = ::recv(fd_, loop_->scratch(), loop_->scratch_size(), 0);
  if (n > 0) return Feed(loop_->scratch(), size_t(n));
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
  Fail(n == 0 ? "socket closed by server" : std::string("recv: ") + std::strerror(errno));
}

void Conn::Feed(const char* p, size_t n) {
  if (state_ == State::kUpgrading) {
    in_.append(p, n);
    size_t end = in_.find("\r\n\r\n");
    if (end == std::string::npos) {
      if (in_.size() > 16384) Fail("HTTP upgrade response too long");
      return;
    }
    if (in_.compare(0, 12, "HTTP/1.1 101") != 0) {
      return Fail("upgrade refused: " + in_.substr(0, in_.find('\r')));
    }
    std::string rest = in_.substr(end + 4);
    in_.clear();
    state_ = State::kChallenge;
    SendMessage(
        topic::kConnection,
        ProtoWriter().Varint(1, connection_action::kChallenge).Bytes(5, ctx_->opt.url).str());
    if (!rest.empty()) Feed(rest.data(), rest.size());
    return;
  }
  if (in_.empty()) {
    size_t used = ParseFrames(p, n);
    if (used < n && state_ != State::kClosed) in_.assign(p + used, n - used);
    return;
  }
  in_.append(p, n);
  size_t used = ParseFrames(in_.data(), in_.size());
  if (state_ != State::kClosed) in_.erase(0, used);
}

size_t Conn::ParseFrames(const char* p, size_t n) {
  size_t off = 0;
  while (state_ != State::kClosed && n - off >= 2) {
    const auto* b = reinterpret_cast<const uint8_t*>(p + off);
    bool fin = b[0] & 0x80;
    uint8_t opcode = b[0] & 0x0f;
    size_t head = 2;
    uint64_t len = b[1] & 0x7f;
    if (b[0] & 0x70) return Fail("frame with RSV bits set"), n;
    if (b[1] & 0x80) return Fail("masked frame from the server"), n;
    if (len == 126) {
      if (n - off < 4) break;
      len = (uint64_t(b[2]) << 8) | b[3];
      head = 4;
    } else if (len == 127) {
      if (n - off < 10) break;
      len = 0;
      for (int i = 0; i < 8; ++i) len = (len << 8) | b[2 + i];
      head = 10;
    }
    if (len > kMaxFrameBytes) return Fail("frame larger than 64 MB"), n;
    if (n - off - head < len) break;
    std::string_view payload(p + off + head, size_t(len));
    off += head + size_t(len);
    if (opcode >= 8) {
      OnFrame(opcode, payload);
    } else if (!fin || opcode == 0) {
      // fragmented message: collect until the final continuation frame
      if (opcode != 0) frag_.clear();
      frag_.append(payload);
      if (fin) {
        std::string whole = std::move(frag_);
        frag_.clear();
        OnFrame(2, whole);
      }
    } else {
      OnFrame(opcode, payload);
    }
  }
  return off;
}

void Conn::OnFrame(uint8_t opcode, std::string_view payload) {
  switch (opcode) {
    case 2:
      return OnDeepstreamMessage(payload);
    case 1:
      return Problem("text frame " + std::string(payload.substr(0, 100)));
    case 8:
      return Fail("socket closed by server (close frame)");
    case 9:
      return Send(MaskedFrame(payload, 0xA));
    case 10:
      return;
    default:
      return Problem("unknown WebSocket opcode " + std::to_string(opcode));
  }
}

void Conn::OnDeepstreamMessage(std::string_view frame) {
  Msg m;
  if (!DecodeFrame(frame, &m)) return Problem("undecodable frame");
  if (m.trailing != 0) {
    Problem(std::to_string(m.trailing) +
            " bytes after the first message of a frame: " + Describe(m));
  }
  if (m.topic == topic::kConnection && m.action == connection_action::kPong) return;
  if (state_ == State::kChallenge) {
    if (m.topic != topic::kConnection || m.action != connection_action::kAccept) {
      return Fail("expected CONNECTION ACCEPT, got " + Describe(m));
    }
    state_ = State::kAuth;
    return SendMessage(topic::kAuth,
                       ProtoWriter().Varint(1, auth_action::kRequest).Bytes(2, "{}").str());
  }
  if (state_ == State::kAuth) {
    if (m.topic != topic::kAuth || m.action != auth_action::kAuthSuccessful) {
      return Fail("expected AUTH_SUCCESSFUL, got " + Describe(m));
    }
    state_ = State::kSetup;
    return handler_->OnLoggedIn(*this);
  }
  handler_->OnMessage(*this, m, frame);
}

void Conn::Fail(const std::string& why) {
  if (state_ == State::kClosed) return;
  bool in_setup = state_ != State::kReady;
  if (ctx_->phase.load() != Phase::kShutdown) Problem(why);
  Close();
  if (in_setup && loop_ != nullptr) loop_->OnSetupFailed(this);
}

void Conn::Close() {
  state_ = State::kClosed;
  if (fd_ < 0) return;
  linger l{1, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd_);  // also removes it from the epoll set
  fd_ = -1;
}

}  // namespace strata::loadgen
