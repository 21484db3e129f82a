#pragma once
// ExternalServer: a real backend (redis-server, memcached, postgres, ...) started by a test on
// 127.0.0.1 and a free port, and stopped (by its pid) when the object goes away. Connector tests
// use it so that they always run against the real thing, with nothing to start by hand.
// Thread-safety: one owner thread.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "strata/status.h"

namespace strata::testing {

// A TCP port on 127.0.0.1 that was free a moment ago.
uint16_t FreePort();

class ExternalServer {
 public:
  ExternalServer() = default;
  ~ExternalServer();
  ExternalServer(const ExternalServer&) = delete;
  ExternalServer& operator=(const ExternalServer&) = delete;

  // Runs `argv` (argv[0] looked up in PATH) with stdout/stderr appended to `log_file`, and waits
  // until 127.0.0.1:`port` accepts connections. kUnavailable when the program is missing, exits,
  // or the port does not open within `timeout`; the message includes the log's tail.
  Status Start(std::vector<std::string> argv, uint16_t port, std::string log_file,
               std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // SIGTERM, then SIGKILL after `grace`. Idempotent.
  void Stop(std::chrono::milliseconds grace = std::chrono::seconds(10));
  // SIGKILL at once (a crash, for failure tests).
  void Kill();
  // SIGSTOP, then waits until the process is really stopped (state T in /proc), so nothing sent
  // afterwards is served: a hung server, for timeout tests. False if it did not stop in time.
  bool Freeze();
  // SIGCONT: the frozen server resumes and answers what it was sent meanwhile.
  void Thaw();

  pid_t pid() const { return pid_; }
  uint16_t port() const { return port_; }

 private:
  void Reap(std::chrono::milliseconds grace);
  pid_t pid_ = 0;
  uint16_t port_ = 0;
  std::string log_file_;
};

// True when 127.0.0.1:port accepts a TCP connection.
bool PortOpen(uint16_t port);

}  // namespace strata::testing
