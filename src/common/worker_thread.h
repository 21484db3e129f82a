#pragma once
// WorkerThread: one thread running jobs in FIFO order, plus an optional periodic task (e.g. a
// reconnect probe). Code whose calls block (the sqlite, rocksdb and libmemcached connectors, the
// file authenticator's password hashing) runs them on workers, so they never block a strata loop
// thread; a handle owned by one worker is only ever touched by that worker's jobs.
//
// Thread-safety: Post() and Stop() may be called from any thread.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "strata/status.h"

namespace strata {

class WorkerThread {
 public:
  // A job runs exactly once: on the worker with an OK status, or, once the worker has begun to
  // stop, at once on the posting thread with kFailedPrecondition (so it can fail its callback).
  using Job = std::function<void(Status)>;

  // `name` (at most 15 characters) shows in debuggers. `owner` tags the thread (CurrentOwner).
  // `periodic`, if set, runs on the worker about every `period`, between jobs.
  WorkerThread(std::string name, const void* owner, std::chrono::milliseconds period = {},
               std::function<void()> periodic = {});
  ~WorkerThread();
  WorkerThread(const WorkerThread&) = delete;
  WorkerThread& operator=(const WorkerThread&) = delete;

  void Post(Job job);
  // Refuses new jobs, runs the queued ones, then joins. Idempotent.
  // REQUIRES: not called from a job of this worker.
  void Stop();
  // The `owner` of the worker running the calling thread, or nullptr off any worker.
  static const void* CurrentOwner();

 private:
  void Run();
  // Runs the periodic task if it is due; called with mu_ unlocked.
  void MaybeRunPeriodic();

  const std::string name_;
  const void* const owner_;
  const std::chrono::milliseconds period_;
  const std::function<void()> periodic_;
  std::chrono::steady_clock::time_point next_periodic_;  // worker thread only
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;   // guarded by mu_
  bool stopping_ = false;  // guarded by mu_
  std::mutex join_mu_;
  std::thread thread_;  // last: starts after the fields it uses exist
};

}  // namespace strata
