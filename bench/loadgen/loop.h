#pragma once
// Event loops: one epoll loop per thread, each owning a fixed share of the connections, and the
// group that starts them, runs code on them and stops them. A loop opens its connections at most
// kMaxHandshakes at a time, PINGs every ready connection every 15 s (inside the servers'
// heartbeat window), and flushes every connection with queued output once per iteration, so
// several frames queued for one socket go out in one syscall. A loop can also run a ticker (the
// paced mode's sender) once per iteration, woken by a timer at the time the ticker asks for.

#include <sys/epoll.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace strata::loadgen {

class Conn;
struct RunContext;

class Loop {
 public:
  Loop(RunContext* ctx, int id);
  const int id;
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  // REQUIRES: before Start().
  void Add(Conn* c, int source_ip_last_octet);
  void Start(std::atomic<int>* ready, std::atomic<int>* failed);
  // Runs fn on the loop thread (thread-safe).
  void Post(std::function<void()> fn);
  // Closes every connection and ends the thread; returns when it has.
  void StopAndJoin();

  // Called by connections on the loop thread.
  void Watch(Conn* c, uint32_t events, bool add);
  void MarkDirty(Conn* c);
  void OnReady(Conn* c);
  void OnSetupFailed(Conn* c);
  // The ticker runs after every batch of events, before the flush, and returns when it wants to
  // run next (CLOCK_MONOTONIC ns; 0 = no timer: only events wake the loop). Its sends leave in
  // the same iteration's flush.
  // REQUIRES: on the loop thread.
  void SetTicker(std::function<int64_t()> ticker);
  char* scratch() { return scratch_.data(); }
  size_t scratch_size() const { return scratch_.size(); }
  bool on_loop_thread() const { return std::this_thread::get_id() == thread_.get_id(); }

 private:
  static constexpr int kMaxHandshakes = 64;
  static constexpr std::chrono::seconds kPingEvery{15};
  void Run();
  void RunTasks();
  void StartConnects();
  void FlushDirty();
  void PingAll();
  void Tick();

  RunContext* ctx_;
  int epfd_ = -1;
  int wakefd_ = -1;
  int timerfd_ = -1;  // created by SetTicker
  int64_t armed_ns_ = 0;
  std::function<int64_t()> ticker_;
  std::thread thread_;
  std::vector<Conn*> conns_;
  std::vector<int> source_octet_;
  size_t next_connect_ = 0;
  int handshaking_ = 0;
  std::vector<Conn*> dirty_;
  std::vector<char> scratch_;
  std::mutex mu_;
  std::vector<std::function<void()>> tasks_;
  bool running_ = true;
  std::atomic<int>* ready_ = nullptr;
  std::atomic<int>* failed_ = nullptr;
  std::string ping_frame_;
};

// All loops of a run. Connections are spread round-robin.
class LoopGroup {
 public:
  LoopGroup(RunContext* ctx, int threads);
  void Add(Conn* c, int source_ip_last_octet = 1);
  void Start();
  // Waits until every added connection is ready, one failed, or the setup timeout passed.
  // Returns an error text, empty on success.
  std::string WaitReady(double timeout_ms);
  // Runs fn(loop_index) on every loop and returns when all have run it: afterwards nothing
  // queued before the call can still be in progress on any loop.
  void RunOnAll(const std::function<void(int)>& fn);
  void StopAll();
  int size() const { return int(loops_.size()); }
  Loop& loop(int i) { return *loops_[i]; }
  int loop_of(int conn_order) const { return conn_order % int(loops_.size()); }

 private:
  RunContext* ctx_;
  std::vector<std::unique_ptr<Loop>> loops_;
  int added_ = 0;
  std::atomic<int> ready_{0};
  std::atomic<int> failed_{0};
};

}  // namespace strata::loadgen
