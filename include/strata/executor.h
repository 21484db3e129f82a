#pragma once
// Executor: the event loop that owns a piece of mutable state. Everything posted to one executor
// runs on one thread, in the order posted (FIFO), so state owned by a loop needs no lock.
// Thread-safety: Post and PostAfter may be called from any thread.

#include <chrono>
#include <functional>

namespace strata {

class Executor {
 public:
  virtual ~Executor() = default;
  // Runs fn on this executor's thread, after the current handler returns.
  virtual void Post(std::function<void()> fn) = 0;
  // Runs fn on this executor's thread no earlier than `delay` from now. Not cancellable: the
  // owner guards late timers with its own state (a timed-out operation ignores its late reply).
  virtual void PostAfter(std::chrono::milliseconds delay, std::function<void()> fn) = 0;
  // True when called from this executor's thread.
  virtual bool RunningInThisThread() const = 0;
};

}  // namespace strata
