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

  // End of turn. A turn is: wait for I/O or posted work, then run handlers until nothing more is
  // ready (at most kHandlersPerTurn), then the end-of-turn work. Output is flushed from there, so
  // all the messages one turn produces for a connection leave in one write; under load a turn
  // grows and so do the writes, while an idle loop flushes right after the handler that sent.
  static constexpr int kHandlersPerTurn = 64;
  // Runs fn at the end of the current turn. REQUIRES: called on this loop's thread.
  void AtEndOfTurn(std::function<void()> fn);
  // Runs fn on this loop at the end of one of its turns; any thread. Called from another
  // EventLoop's thread, fn travels with everything else that turn sends here, in one post at the
  // end of that turn: a broadcast to many connections of this loop costs one cross-thread
  // wake-up, not one per connection.
  void PostToEndOfTurn(std::function<void()> fn);

  // Starts the loop's thread. It runs until Stop(), even with no work queued.
  void Start();
  // Stops the loop and joins its thread; handlers not yet run are dropped. Idempotent. Called on
  // the loop's own thread it cannot join: the thread is detached and ends after the handler.
  void Stop();

  // The asio io_context (boost::asio::io_context*), for src/transport only.
  void* native_handle();

  struct Impl;  // opaque: asio lives in the .cc

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace strata
