#include "connectors/sqlite/worker_thread.h"

#include <pthread.h>

#include <utility>

namespace strata {
namespace {

thread_local const void* current_owner = nullptr;

}  // namespace

WorkerThread::WorkerThread(std::string name, const void* owner)
    : name_(std::move(name)), owner_(owner), thread_([this] { Run(); }) {}

const void* WorkerThread::CurrentOwner() { return current_owner; }

WorkerThread::~WorkerThread() { Stop(); }

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

void WorkerThread::Run() {
  pthread_setname_np(pthread_self(), name_.substr(0, 15).c_str());
  current_owner = owner_;
  std::unique_lock lock(mu_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
    if (jobs_.empty()) return;  // stopping and drained
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    job(Status());
    lock.lock();
  }
}

}  // namespace strata
