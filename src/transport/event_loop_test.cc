#include "transport/event_loop.h"

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace strata {
namespace {

using namespace std::chrono_literals;

// Collects what ran, from any thread.
class Trace {
 public:
  void Add(std::string step) {
    std::lock_guard lock(mu_);
    steps_.push_back(std::move(step));
  }
  std::vector<std::string> steps() {
    std::lock_guard lock(mu_);
    return steps_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> steps_;
};

// Runs fn on the loop and waits for it.
void RunOn(EventLoop& loop, std::function<void()> fn) {
  std::promise<void> done;
  loop.Post([&] {
    fn();
    done.set_value();
  });
  ASSERT_EQ(done.get_future().wait_for(10s), std::future_status::ready);
}

// Waits until `loop` has finished a turn that started after this call.
void Settle(EventLoop& loop) {
  std::promise<void> done;
  loop.Post([&] { loop.AtEndOfTurn([&] { done.set_value(); }); });
  ASSERT_EQ(done.get_future().wait_for(10s), std::future_status::ready);
}

TEST(EventLoopTest, EndOfTurnWorkRunsAfterTheHandlersThatAreReady) {
  EventLoop loop;
  loop.Start();
  Trace trace;
  RunOn(loop, [&] {
    loop.AtEndOfTurn([&] { trace.Add("end of turn"); });
    loop.Post([&] { trace.Add("posted 1"); });
    loop.Post([&] { trace.Add("posted 2"); });
    trace.Add("handler");
  });
  Settle(loop);
  EXPECT_EQ(trace.steps(),
            (std::vector<std::string>{"handler", "posted 1", "posted 2", "end of turn"}));
}

TEST(EventLoopTest, EndOfTurnWorkMayQueueMore) {
  EventLoop loop;
  loop.Start();
  Trace trace;
  std::promise<void> done;
  RunOn(loop, [&] {
    loop.AtEndOfTurn([&] {
      trace.Add("first");
      loop.AtEndOfTurn([&] {
        trace.Add("second");
        done.set_value();
      });
    });
  });
  ASSERT_EQ(done.get_future().wait_for(10s), std::future_status::ready);
  EXPECT_EQ(trace.steps(), (std::vector<std::string>{"first", "second"}));
}

TEST(EventLoopTest, ATaskThatThrowsDoesNotCostTheOthers) {
  EventLoop loop;
  loop.Start();
  std::promise<void> after;
  RunOn(loop, [&] {
    loop.AtEndOfTurn([] { throw std::runtime_error("bug"); });
    loop.AtEndOfTurn([&] { after.set_value(); });
  });
  EXPECT_EQ(after.get_future().wait_for(10s), std::future_status::ready);
}

// Nothing is posted after the throw and the loop has no I/O: only the turn that threw can run
// the end-of-turn work.
TEST(EventLoopTest, AHandlerThatThrowsStillEndsItsTurn) {
  EventLoop loop;
  loop.Start();
  std::promise<void> flushed;
  loop.Post([&] {
    loop.AtEndOfTurn([&] { flushed.set_value(); });
    throw std::runtime_error("bug");
  });
  EXPECT_EQ(flushed.get_future().wait_for(10s), std::future_status::ready);
  RunOn(loop, [] {});  // and the loop keeps running
}

TEST(EventLoopTest, AHandlerFloodStillReachesTheEndOfATurn) {
  EventLoop loop;
  loop.Start();
  std::promise<int> flushed_after;
  int handled = 0;
  RunOn(loop, [&] {
    loop.AtEndOfTurn([&] { flushed_after.set_value(handled); });
    for (int i = 0; i < 10 * EventLoop::kHandlersPerTurn; ++i) loop.Post([&] { ++handled; });
  });
  std::future<int> f = flushed_after.get_future();
  ASSERT_EQ(f.wait_for(10s), std::future_status::ready);
  EXPECT_LT(f.get(), EventLoop::kHandlersPerTurn);  // not after all 640
}

TEST(EventLoopTest, WorkForAnotherLoopArrivesOnItsThreadInOrder) {
  EventLoop a, b;
  a.Start();
  b.Start();
  Trace trace;
  std::promise<void> done;
  RunOn(a, [&] {
    for (int i = 0; i < 3; ++i) {
      b.PostToEndOfTurn([&, i] {
        EXPECT_TRUE(b.RunningInThisThread());
        trace.Add("b" + std::to_string(i));
        if (i == 2) done.set_value();
      });
    }
  });
  ASSERT_EQ(done.get_future().wait_for(10s), std::future_status::ready);
  EXPECT_EQ(trace.steps(), (std::vector<std::string>{"b0", "b1", "b2"}));
}

TEST(EventLoopTest, PostToEndOfTurnFromAPlainThreadAndFromItsOwnLoop) {
  EventLoop loop;
  loop.Start();
  std::promise<void> from_outside, from_inside;
  std::thread([&] {
    loop.PostToEndOfTurn([&] {
      EXPECT_TRUE(loop.RunningInThisThread());
      from_outside.set_value();
    });
  }).join();
  RunOn(loop, [&] { loop.PostToEndOfTurn([&] { from_inside.set_value(); }); });
  EXPECT_EQ(from_outside.get_future().wait_for(10s), std::future_status::ready);
  EXPECT_EQ(from_inside.get_future().wait_for(10s), std::future_status::ready);
}

TEST(EventLoopTest, PostRunsInOrderOnTheLoopThread) {
  EventLoop loop;
  loop.Start();
  EXPECT_FALSE(loop.RunningInThisThread());
  std::mutex mutex;
  std::condition_variable done;
  std::vector<int> order;
  bool on_loop = true;
  for (int i = 0; i < 100; ++i) {
    loop.Post([&, i] {
      std::lock_guard<std::mutex> lock(mutex);
      on_loop &= loop.RunningInThisThread();
      order.push_back(i);
      done.notify_all();
    });
  }
  loop.PostAfter(std::chrono::milliseconds(1), [&] {
    std::lock_guard<std::mutex> lock(mutex);
    order.push_back(-1);
    done.notify_all();
  });
  std::unique_lock<std::mutex> lock(mutex);
  ASSERT_TRUE(done.wait_for(lock, std::chrono::seconds(20), [&] { return order.size() == 101; }));
  EXPECT_TRUE(on_loop);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[i], i);
  EXPECT_EQ(order[100], -1);
  lock.unlock();
  loop.Stop();
  loop.Stop();  // idempotent
}

}  // namespace
}  // namespace strata
