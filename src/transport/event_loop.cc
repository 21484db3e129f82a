#include "transport/event_loop.h"

#include <atomic>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include "transport/exact_allocator.h"

namespace strata {

namespace asio = boost::asio;

namespace {

using Tasks = std::vector<std::function<void()>>;

// The loop whose thread this is (null on other threads): where cross-loop end-of-turn work
// gathers before it is handed over.
thread_local EventLoop::Impl* current_loop = nullptr;

// Runs fn; an exception from it is a bug, logged, and must not take down the loop.
template <typename Fn>
void RunLoggingThrows(const char* what, Fn&& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    spdlog::error("event loop: {} threw: {}", what, e.what());
  } catch (...) {
    spdlog::error("event loop: {} threw a non-standard exception", what);
  }
}

}  // namespace

struct EventLoop::Impl {
  asio::io_context io_context{1};  // one thread runs it: lets asio skip some locking
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_guard;
  std::thread thread;
  std::atomic<std::thread::id> thread_id{};
  std::mutex start_stop_mutex;  // serialises Start/Stop from owner threads
  bool stopped = false;

  // Loop thread only.
  Tasks end_of_turn;
  Tasks running;  // the end-of-turn tasks being run
  // End-of-turn work for other loops, sent at the end of this turn: one post per loop.
  std::vector<std::pair<Impl*, Tasks>> outbox;

  void Run();
  void RunTurn();
  bool RunHandlers();
  void EndTurn();
  void SendOutbox();
  void Queue(Impl* target, std::function<void()> fn);
};

// Runs the loop until io_context::stop().
void EventLoop::Impl::Run() {
  current_loop = this;
  while (!io_context.stopped()) RunTurn();
  current_loop = nullptr;
}

// A handler that throws is a bug, but one bad callback must not take every connection of the loop
// down with it: it is logged, the handlers still ready wait for the next turn, and this turn still
// ends with its end-of-turn work (the flushes queued before the throw must not wait for the next
// I/O event, which on a quiet loop is the next heartbeat).
void EventLoop::Impl::RunTurn() {
  bool handled = true;  // also when a handler threw: it ran
  RunLoggingThrows("handler", [&] { handled = RunHandlers(); });
  if (handled) RunLoggingThrows("end of turn", [this] { EndTurn(); });
}

// Waits for one handler, then runs those that are ready. Returns false when the loop stopped.
bool EventLoop::Impl::RunHandlers() {
  if (io_context.run_one() == 0) return false;
  for (int n = 1; n < kHandlersPerTurn && io_context.poll_one() > 0; ++n) {
  }
  return true;
}

// End-of-turn work may queue more (a flush that completes and finds new output); it runs in the
// same turn, up to a bound, and whatever is left waits for the next turn. A task that throws is
// logged and the others still run: a lost flush would leave its connection silent for good.
void EventLoop::Impl::EndTurn() {
  for (int round = 0; round < 4 && !end_of_turn.empty(); ++round) {
    running.swap(end_of_turn);  // both keep their capacity from turn to turn
    for (auto& task : running) RunLoggingThrows("end-of-turn task", task);
    running.clear();
  }
  if (!end_of_turn.empty()) asio::post(io_context, [] {});  // make sure a next turn comes
  SendOutbox();
}

void EventLoop::Impl::SendOutbox() {
  for (auto& [target, tasks] : outbox) {
    if (tasks.empty()) continue;
    asio::post(target->io_context, [target, tasks = std::move(tasks)]() mutable {
      for (auto& task : tasks) target->end_of_turn.push_back(std::move(task));
    });
    tasks.clear();
  }
}

void EventLoop::Impl::Queue(Impl* target, std::function<void()> fn) {
  for (auto& [loop, tasks] : outbox) {
    if (loop == target) return tasks.push_back(std::move(fn));
  }
  outbox.emplace_back(target, Tasks{}).second.push_back(std::move(fn));
}

EventLoop::EventLoop() : impl_(std::make_unique<Impl>()) {}

EventLoop::~EventLoop() { Stop(); }

void EventLoop::Post(std::function<void()> fn) { asio::post(impl_->io_context, std::move(fn)); }

void EventLoop::PostAfter(std::chrono::milliseconds delay, std::function<void()> fn) {
  // The timer owns itself through the handler; io_context destruction frees it if never run.
  auto timer = std::make_shared<asio::steady_timer>(impl_->io_context, delay);
  // Timers may wait for minutes (the unauthenticated-client timeout): exact-size handler memory.
  timer->async_wait(asio::bind_allocator(
      ExactAllocator<void>(), [timer, fn = std::move(fn)](const boost::system::error_code& ec) {
        if (!ec) fn();
      }));
}

void EventLoop::AtEndOfTurn(std::function<void()> fn) {
  impl_->end_of_turn.push_back(std::move(fn));
}

void EventLoop::PostToEndOfTurn(std::function<void()> fn) {
  if (current_loop == impl_.get()) return AtEndOfTurn(std::move(fn));
  if (current_loop != nullptr) return current_loop->Queue(impl_.get(), std::move(fn));
  asio::post(impl_->io_context, [impl = impl_.get(), fn = std::move(fn)]() mutable {
    impl->end_of_turn.push_back(std::move(fn));
  });
}

bool EventLoop::RunningInThisThread() const {
  return impl_->thread_id.load(std::memory_order_acquire) == std::this_thread::get_id();
}

void EventLoop::Start() {
  std::lock_guard<std::mutex> lock(impl_->start_stop_mutex);
  if (impl_->thread.joinable() || impl_->stopped) return;
  impl_->work_guard.emplace(impl_->io_context.get_executor());
  impl_->thread = std::thread([impl = impl_.get()] {
    impl->thread_id.store(std::this_thread::get_id(), std::memory_order_release);
    impl->Run();
  });
}

void EventLoop::Stop() {
  std::lock_guard<std::mutex> lock(impl_->start_stop_mutex);
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->work_guard.reset();
  impl_->io_context.stop();
  if (impl_->thread.joinable()) {
    // Joining itself would throw; a loop stopping itself just lets its thread run out.
    if (impl_->thread.get_id() == std::this_thread::get_id()) {
      impl_->thread.detach();
    } else {
      impl_->thread.join();
    }
  }
  impl_->thread_id.store(std::thread::id(), std::memory_order_release);
}

void* EventLoop::native_handle() { return &impl_->io_context; }

}  // namespace strata
