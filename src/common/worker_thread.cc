#include "common/worker_thread.h"

#include <pthread.h>

#include <utility>

namespace strata {
namespace {

thread_local const void* current_owner = nullptr;

}  // namespace

WorkerThread::WorkerThread(std::string name, const void* owner, std::chrono::milliseconds period,
                           std::function<void()> periodic)
    : name_(std::move(name)),
      owner_(owner),
      period_(period),
      periodic_(std::move(periodic)),
      next_periodic_(std::chrono::steady_clock::now() + period),
      thread_([this] { Run(); }) {}

WorkerThread::~WorkerThread() { Stop(); }

const void* WorkerThread::CurrentOwner() { return current_owner; }

void WorkerThread::Post(Job job) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      jobs_.push_back(std::move(job));
      wake_.notify_one();
      return;
    }
  }
  job(Status::FailedPrecondition("worker '" + name_ + "' is stopped"));
}

void WorkerThread::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    wake_.notify_one();
  }
  std::lock_guard join_lock(join_mu_);  // two concurrent Stop() calls must not both join
  if (thread_.joinable()) thread_.join();
}

void WorkerThread::MaybeRunPeriodic() {
  if (!periodic_) return;
  auto now = std::chrono::steady_clock::now();
  if (now < next_periodic_) return;
  periodic_();
  next_periodic_ = std::chrono::steady_clock::now() + period_;
}

void WorkerThread::Run() {
  pthread_setname_np(pthread_self(), name_.substr(0, 15).c_str());
  current_owner = owner_;
  std::unique_lock lock(mu_);
  while (true) {
    auto ready = [this] { return stopping_ || !jobs_.empty(); };
    if (periodic_) {
      wake_.wait_until(lock, next_periodic_, ready);
    } else {
      wake_.wait(lock, ready);
    }
    if (stopping_ && jobs_.empty()) return;  // drained
    if (jobs_.empty()) {                     // woken by the period
      lock.unlock();
      MaybeRunPeriodic();
      lock.lock();
      continue;
    }
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    job(Status());
    MaybeRunPeriodic();  // a steady stream of jobs must not starve the periodic task
    lock.lock();
  }
}

}  // namespace strata
