#pragma once
// ConnectorLifecycle: Start, Close and the "not running" refusals of a connector whose blocking
// client calls run on WorkerThreads (sqlite, rocksdb, memcached), written once. The connector
// holds one as a member, creates its workers with NewWorker() and sends every operation through
// Dispatch() (or running() + Post()).
//
//   kNew --Start--> kStarting --FinishStart(OK)--> kRunning
//                             --FinishStart(error)--> kFailed
//   any state --Close--> kClosed (a start still under way then answers "closed while starting")
//
// Operations are served in kRunning only; before that, after a failed start and after Close they
// fail with kFailedPrecondition. Close() joins the workers, so it must not run on one of them:
// called from one of the connector's own completions it answers kFailedPrecondition instead of
// deadlocking (workers made by NewWorker() carry the tag that tells).
//
// Thread-safety: every method may be called from any thread. Start() and Close() are serialized
// by a mutex, and their `launch` / `shutdown` steps run under it; running() and Dispatch() read
// an atomic and take no lock. kRunning is stored (release) only after `launch` has created the
// workers, so a caller that sees running() (acquire) may use them.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "common/worker_thread.h"
#include "strata/callback.h"

namespace strata {

class ConnectorLifecycle {
 public:
  // `name` starts every error message ("sqlite"); `kind` names what is not running ("storage",
  // "cache").
  ConnectorLifecycle(std::string name, std::string kind);
  ConnectorLifecycle(const ConnectorLifecycle&) = delete;
  ConnectorLifecycle& operator=(const ConnectorLifecycle&) = delete;

  // The first call moves to kStarting and runs `launch(ready)` under the lifecycle lock: it
  // creates the workers and posts the opening job, which ends with ready(FinishStart(outcome)).
  // Any later call answers `ready` at once with kFailedPrecondition.
  void Start(DoneCallback ready, const std::function<void(DoneCallback ready)>& launch);
  // Called once by the opening job with the outcome of opening: kRunning if it is OK, else
  // kFailed. Returns what `ready` gets: `outcome`, or kFailedPrecondition if Close() came first.
  [[nodiscard]] Status FinishStart(const Status& outcome);
  // Moves to kClosed. The first Close() after Start() runs `shutdown` under the lifecycle lock
  // (stop the workers, which runs what they have queued, then close the handles they owned) and
  // `done` gets its status; every other Close() gets OK. `done` runs on the calling thread.
  // REQUIRES: not called from a completion of this connector (answered kFailedPrecondition).
  void Close(DoneCallback done, const std::function<Status()>& shutdown);

  // A worker whose jobs Close() recognises as this connector's completions.
  std::unique_ptr<WorkerThread> NewWorker(std::string name, std::chrono::milliseconds period = {},
                                          std::function<void()> periodic = {}) const;

  bool running() const { return state_.load(std::memory_order_acquire) == State::kRunning; }
  // kFailedPrecondition "<name>: <op>: <kind> is not running (not started, or closed)".
  Status NotRunning(const char* op) const;

  // Runs `work()` on `*worker` and hands its result to `cb`; `cb` gets NotRunning(op) instead
  // when the connector is not running. `worker` is only read once running() holds.
  template <typename Cb, typename Work>
  void Dispatch(const std::unique_ptr<WorkerThread>& worker, const char* op, Cb cb,
                Work work) const {
    if (!running()) return cb(NotRunning(op));
    Post(*worker, op, std::move(cb), std::move(work));
  }
  // Dispatch() without the running() check, for a caller that has made it: when Close() has
  // stopped `worker` meanwhile, `cb` gets NotRunning(op) and `work` does not run.
  template <typename Cb, typename Work>
  void Post(WorkerThread& worker, const char* op, Cb cb, Work work) const {
    worker.Post([this, op, cb = std::move(cb), work = std::move(work)](Status queue) mutable {
      if (!queue.ok()) return cb(NotRunning(op));
      cb(work());
    });
  }

 private:
  enum class State { kNew, kStarting, kRunning, kFailed, kClosed };

  const std::string name_;
  const std::string kind_;
  std::mutex mu_;  // serializes Start and Close
  std::atomic<State> state_{State::kNew};
};

}  // namespace strata
