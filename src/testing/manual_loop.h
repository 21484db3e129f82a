#pragma once
// A manual event loop with virtual time, for tests of code that runs on an Executor. Test-only.

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <utility>

#include "strata/executor.h"

namespace strata::testing {

// Runs posted work only when the test says so; timers fire when virtual time passes them.
class ManualLoop : public Executor {
 public:
  void Post(std::function<void()> fn) override { ready_.push_back(std::move(fn)); }
  void PostAfter(std::chrono::milliseconds delay, std::function<void()> fn) override {
    timers_.emplace(now_ + delay, std::move(fn));
  }
  bool RunningInThisThread() const override { return true; }

  // Runs posted work until none is left (timers stay until their time comes).
  void RunUntilIdle() {
    for (int guard = 0; !ready_.empty() && guard < 1000000; ++guard) {
      auto fn = std::move(ready_.front());
      ready_.pop_front();
      fn();
    }
  }
  // Moves virtual time forward, firing due timers in order, running work in between.
  void Advance(std::chrono::milliseconds by) {
    auto until = now_ + by;
    RunUntilIdle();
    while (!timers_.empty() && timers_.begin()->first <= until) {
      auto node = timers_.extract(timers_.begin());
      now_ = node.key();
      node.mapped()();
      RunUntilIdle();
    }
    now_ = until;
  }
  size_t pending_timers() const { return timers_.size(); }

 private:
  std::chrono::milliseconds now_{0};
  std::deque<std::function<void()>> ready_;
  std::multimap<std::chrono::milliseconds, std::function<void()>> timers_;
};

}  // namespace strata::testing
