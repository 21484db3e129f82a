#pragma once
// EventLoop: one thread running an asio io_context, exposed as a strata Executor. Asio stays
// behind the pimpl so that only src/transport includes it.

#include <chrono>
#include <functional>
#include <memory>
#include <thread>

#include "strata/executor.h"

namespace strata {

class EventLoop final : public Executor {
 public:
  EventLoop();
  ~EventLoop() override;  // stops and joins
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  void Post(std::function<void()> fn) override;
  void PostAfter(std::chrono::milliseconds delay, std::function<void()> fn) override;
  bool RunningInThisThread() const override;

  // Starts the loop's thread. It runs until Stop(), even with no work queued.
  void Start();
  // Stops the loop and joins its thread; handlers not yet run are dropped. Idempotent. Called on
  // the loop's own thread it cannot join: the thread is detached and ends after the handler.
  void Stop();

  // The asio io_context (boost::asio::io_context*), for src/transport only.
  void* native_handle();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace strata
