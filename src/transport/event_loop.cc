#include "transport/event_loop.h"

#include <atomic>
#include <mutex>
#include <optional>

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

// Runs the loop until io_context::stop(). A handler that throws is a bug, but one bad callback
// must not take every connection of the loop down with it: log and keep running.
void RunUntilStopped(asio::io_context& io_context) {
  while (!io_context.stopped()) {
    try {
      io_context.run();
    } catch (const std::exception& e) {
      spdlog::error("event loop: handler threw: {}", e.what());
    } catch (...) {
      spdlog::error("event loop: handler threw a non-standard exception");
    }
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
};

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

bool EventLoop::RunningInThisThread() const {
  return impl_->thread_id.load(std::memory_order_acquire) == std::this_thread::get_id();
}

void EventLoop::Start() {
  std::lock_guard<std::mutex> lock(impl_->start_stop_mutex);
  if (impl_->thread.joinable() || impl_->stopped) return;
  impl_->work_guard.emplace(impl_->io_context.get_executor());
  impl_->thread = std::thread([impl = impl_.get()] {
    impl->thread_id.store(std::this_thread::get_id(), std::memory_order_release);
    RunUntilStopped(impl->io_context);
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
