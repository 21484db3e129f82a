#include "connectors/common/connector_lifecycle.h"

#include <chrono>
#include <future>
#include <memory>

#include <gtest/gtest.h>

namespace strata {
namespace {

using namespace std::chrono_literals;

// Waits for a completion that may run on a worker thread; a hang fails instead of blocking.
class Awaited {
 public:
  DoneCallback callback() {
    return [this](Status s) { promise_.set_value(std::move(s)); };
  }
  Status Get() {
    if (future_.wait_for(10s) != std::future_status::ready) {
      ADD_FAILURE() << "no completion within 10 s";
      return Status::DeadlineExceeded("hung");
    }
    return future_.get();
  }

 private:
  std::promise<Status> promise_;
  std::future<Status> future_ = promise_.get_future();
};

// The smallest connector: one worker, an opening step that succeeds or fails.
class ConnectorLifecycleTest : public ::testing::Test {
 protected:
  ~ConnectorLifecycleTest() override { Close().IgnoreError(); }

  Status Start(Status outcome = Status()) {
    Awaited ready;
    lifecycle_.Start(ready.callback(), [this, outcome](DoneCallback ready) {
      ++launches_;
      worker_ = lifecycle_.NewWorker("test-worker");
      worker_->Post([this, outcome, ready = std::move(ready)](Status queue) {
        ready(lifecycle_.FinishStart(queue.ok() ? outcome : queue));
      });
    });
    return ready.Get();
  }
  Status Close() {
    Awaited done;
    lifecycle_.Close(done.callback(), [this] {
      ++shutdowns_;
      if (worker_ != nullptr) worker_->Stop();
      return Status();
    });
    return done.Get();
  }
  // An operation through Dispatch; `ran` tells whether its work ran.
  Status Operation(bool* ran) {
    Awaited done;
    lifecycle_.Dispatch(worker_, "set", done.callback(), [ran] {
      *ran = true;
      return Status();
    });
    return done.Get();
  }

  ConnectorLifecycle lifecycle_{"test", "storage"};
  std::unique_ptr<WorkerThread> worker_;
  int launches_ = 0;
  int shutdowns_ = 0;
};

TEST_F(ConnectorLifecycleTest, StartsOnceAndServesOperationsOnTheWorker) {
  ASSERT_TRUE(Start().ok());
  EXPECT_TRUE(lifecycle_.running());
  bool ran = false;
  EXPECT_TRUE(Operation(&ran).ok());
  EXPECT_TRUE(ran);
}

TEST_F(ConnectorLifecycleTest, SecondStartIsRefusedAndLaunchesNothing) {
  ASSERT_TRUE(Start().ok());
  Status again = Start();
  EXPECT_EQ(again.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(again.message(), "test: Start called more than once");
  EXPECT_EQ(launches_, 1);
  EXPECT_TRUE(lifecycle_.running());
}

TEST_F(ConnectorLifecycleTest, FailedStartReportsItsErrorAndServesNothing) {
  Status started = Start(Status::Unavailable("test: cannot open"));
  EXPECT_EQ(started.code(), StatusCode::kUnavailable);
  EXPECT_FALSE(lifecycle_.running());
  bool ran = false;
  EXPECT_EQ(Operation(&ran).code(), StatusCode::kFailedPrecondition);
  EXPECT_FALSE(ran);
  EXPECT_TRUE(Close().ok());
  EXPECT_EQ(shutdowns_, 1);  // the workers of a failed start are stopped too
}

TEST_F(ConnectorLifecycleTest, OperationsBeforeStartAreRefusedWithoutTouchingTheWorker) {
  bool ran = false;
  Status refused = Operation(&ran);  // worker_ is still null
  EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused.message(), "test: set: storage is not running (not started, or closed)");
  EXPECT_FALSE(ran);
}

TEST_F(ConnectorLifecycleTest, OperationsAfterCloseAreRefused) {
  ASSERT_TRUE(Start().ok());
  ASSERT_TRUE(Close().ok());
  EXPECT_FALSE(lifecycle_.running());
  bool ran = false;
  EXPECT_EQ(Operation(&ran).code(), StatusCode::kFailedPrecondition);
  EXPECT_FALSE(ran);
}

TEST_F(ConnectorLifecycleTest, PostToAStoppedWorkerIsRefusedAndSkipsTheWork) {
  ASSERT_TRUE(Start().ok());
  worker_->Stop();  // as Close() does while an operation that saw running() is on its way
  Awaited done;
  bool ran = false;
  lifecycle_.Post(*worker_, "get", done.callback(), [&ran] {
    ran = true;
    return Status();
  });
  EXPECT_EQ(done.Get().code(), StatusCode::kFailedPrecondition);
  EXPECT_FALSE(ran);
}

TEST_F(ConnectorLifecycleTest, CloseIsIdempotentAndShutsDownOnce) {
  ASSERT_TRUE(Start().ok());
  EXPECT_TRUE(Close().ok());
  EXPECT_TRUE(Close().ok());
  EXPECT_EQ(shutdowns_, 1);
}

TEST_F(ConnectorLifecycleTest, CloseWithoutStartShutsNothingDownAndStartIsThenRefused) {
  EXPECT_TRUE(Close().ok());
  EXPECT_EQ(shutdowns_, 0);
  EXPECT_EQ(Start().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(launches_, 0);
}

TEST_F(ConnectorLifecycleTest, CloseDuringStartMakesTheStartFail) {
  DoneCallback pending;
  lifecycle_.Start([](Status) {}, [&](DoneCallback ready) { pending = std::move(ready); });
  ASSERT_TRUE(Close().ok());
  Status finished = lifecycle_.FinishStart(Status());
  EXPECT_EQ(finished.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(finished.message(), "test: closed while starting");
  EXPECT_FALSE(lifecycle_.running());
}

TEST_F(ConnectorLifecycleTest, CloseFromAWorkerCompletionIsRefusedInsteadOfDeadlocking) {
  ASSERT_TRUE(Start().ok());
  Awaited inner;
  Awaited outer;
  lifecycle_.Dispatch(
      worker_, "get",
      [&](Status) {
        lifecycle_.Close(inner.callback(), [] { return Status::Internal("must not run"); });
        outer.callback()(Status());
      },
      [] { return Status(); });
  Status refused = inner.Get();
  EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused.message(), "test: Close called from its own completion");
  EXPECT_TRUE(outer.Get().ok());
  EXPECT_TRUE(lifecycle_.running());  // the refused Close changed nothing
  EXPECT_TRUE(Close().ok());
}

}  // namespace
}  // namespace strata
