#pragma once
// IoThread: one thread running tasks in the order they were posted. The template connector does
// all its file I/O here, so that strata's loop threads never block on a disk (or, in a real
// connector, on a network round trip).
//
// FILL IN for a real backend: many client libraries bring their own event loop or thread pool
// (hiredis with an adapter, libpq's async API); use theirs instead and keep this pattern: no
// operation blocks the caller, every completion runs exactly once.
//
// Thread-safety: Post and PostLast may be called from any thread.

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace strata::template_connector {

class IoThread {
 public:
  IoThread();
  // Runs what is queued, then joins.
  // REQUIRES: not called from one of its own tasks.
  ~IoThread();
  IoThread(const IoThread&) = delete;
  IoThread& operator=(const IoThread&) = delete;

  // Queues `task`; false (task dropped) once PostLast was called.
  bool Post(std::function<void()> task);
  // Queues `task` as the last one: later Posts are refused. False if already called.
  bool PostLast(std::function<void()> task);

 private:
  void Run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;  // guarded by mu_
  bool last_posted_ = false;                 // guarded by mu_
  std::thread thread_;
};

}  // namespace strata::template_connector
