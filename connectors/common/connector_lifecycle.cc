#include "connectors/common/connector_lifecycle.h"

#include <utility>

namespace strata {

ConnectorLifecycle::ConnectorLifecycle(std::string name, std::string kind)
    : name_(std::move(name)), kind_(std::move(kind)) {}

void ConnectorLifecycle::Start(DoneCallback ready,
                               const std::function<void(DoneCallback ready)>& launch) {
  std::lock_guard lock(mu_);
  if (state_.load() != State::kNew) {
    return ready(Status::FailedPrecondition(name_ + ": Start called more than once"));
  }
  state_.store(State::kStarting);
  launch(std::move(ready));
}

Status ConnectorLifecycle::FinishStart(const Status& outcome) {
  State expected = State::kStarting;
  const State next = outcome.ok() ? State::kRunning : State::kFailed;
  if (!state_.compare_exchange_strong(expected, next)) {
    return Status::FailedPrecondition(name_ + ": closed while starting");
  }
  return outcome;
}

void ConnectorLifecycle::Close(DoneCallback done, const std::function<Status()>& shutdown) {
  if (WorkerThread::CurrentOwner() == this) {
    return done(Status::FailedPrecondition(name_ + ": Close called from its own completion"));
  }
  Status status;
  {
    std::lock_guard lock(mu_);
    const State previous = state_.exchange(State::kClosed);
    // kNew: nothing was started. kClosed: an earlier Close shut everything down.
    if (previous != State::kNew && previous != State::kClosed) status = shutdown();
  }
  done(status);
}

std::unique_ptr<WorkerThread> ConnectorLifecycle::NewWorker(std::string name,
                                                            std::chrono::milliseconds period,
                                                            std::function<void()> periodic) const {
  return std::make_unique<WorkerThread>(std::move(name), this, period, std::move(periodic));
}

Status ConnectorLifecycle::NotRunning(const char* op) const {
  return Status::FailedPrecondition(name_ + ": " + op + ": " + kind_ +
                                    " is not running (not started, or closed)");
}

}  // namespace strata
