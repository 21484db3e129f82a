#pragma once
// WorkerThread: one thread running jobs in FIFO order, the sqlite connector's unit of ownership
// (each sqlite3 connection is only ever used by jobs of one worker).
//
// Thread-safety: Post() and Stop() may be called from any thread.

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
  // A job runs exactly once: on the worker with an OK status, or, when the worker has begun to
  // stop, at once on the posting thread with kFailedPrecondition (so it can fail its callback).
  using Job = std::function<void(Status)>;

  // Starts the thread; `name` (at most 15 characters) shows in debuggers and top. `owner` tags
  // the thread so the owner can tell when it is called back on it (see CurrentOwner()).
  WorkerThread(std::string name, const void* owner);
  // Stops (see Stop()).
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

  const std::string name_;
  const void* const owner_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;   // guarded by mu_
  bool stopping_ = false;  // guarded by mu_
  std::mutex join_mu_;
  std::thread thread_;  // last: starts after the fields it uses exist
};

}  // namespace strata
