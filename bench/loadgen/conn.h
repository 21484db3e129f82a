#pragma once
// One client connection: a non-blocking TCP socket owned by one Loop, the WebSocket upgrade,
// client framing (masked frames out, unmasked frames in), and the deepstream login
// (CHALLENGE -> ACCEPT, AUTH REQUEST {} -> AUTH_SUCCESSFUL). Everything after the login goes to
// the scenario's ConnHandler. Thread-safety: every method runs on the owning loop's thread.

#include <cstdint>
#include <string>
#include <string_view>

#include "wire.h"

namespace strata::loadgen {

class Conn;
class Loop;
struct RunContext;

// Implemented by a scenario; called on the connection's loop thread.
class ConnHandler {
 public:
  virtual ~ConnHandler() = default;
  // Login done: send the role's setup requests, then call Conn::MarkReady() once ready.
  virtual void OnLoggedIn(Conn& c) = 0;
  // Every message after the login except PONGs. `frame` is the whole frame payload.
  virtual void OnMessage(Conn& c, const Msg& m, std::string_view frame) = 0;
};

class Conn {
 public:
  enum class State { kIdle, kConnecting, kUpgrading, kChallenge, kAuth, kSetup, kReady, kClosed };

  Conn(RunContext* ctx, ConnHandler* handler, std::string name, int role, int index, int sub);
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;
  ~Conn();

  // Starts the non-blocking connect; source_ip_last_octet != 1 binds 127.0.0.<n> first so that
  // more than one ephemeral port range is available (conns scenario).
  void Connect(Loop* loop, int source_ip_last_octet);
  // Queues a complete (masked) WebSocket frame; sent when the loop flushes.
  void Send(std::string_view frame);
  // Queues a deepstream message (encodes and masks; setup path only).
  void SendMessage(int topic, const std::string& inner);
  void MarkReady();
  void Problem(const std::string& what);
  // Writes what is queued; on EAGAIN waits for EPOLLOUT.
  void Flush();
  void OnEvent(uint32_t events);
  // Closes the socket; abortive (RST) so that client ports do not pile up in TIME_WAIT.
  void Close();

  State state() const { return state_; }
  bool has_output() const { return out_off_ < out_.size(); }
  int fd() const { return fd_; }
  Loop* loop() const { return loop_; }
  const std::string& name() const { return name_; }
  const int role, index, sub;  // scenario-defined coordinates of this connection
  bool dirty = false;          // queued on the loop's flush list

 private:
  void OnWritable();
  void OnReadable();
  void Feed(const char* p, size_t n);
  size_t ParseFrames(const char* p, size_t n);  // returns bytes consumed
  void OnFrame(uint8_t opcode, std::string_view payload);
  void OnDeepstreamMessage(std::string_view frame);
  void Fail(const std::string& why);

  RunContext* ctx_;
  ConnHandler* handler_;
  Loop* loop_ = nullptr;
  std::string name_;
  int fd_ = -1;
  State state_ = State::kIdle;
  bool want_write_ = false;
  std::string in_;    // bytes of an incomplete frame (or of the HTTP response)
  std::string frag_;  // payload of a fragmented message
  std::string out_;
  size_t out_off_ = 0;
};

}  // namespace strata::loadgen
