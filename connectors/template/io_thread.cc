#include "connectors/template/io_thread.h"

namespace strata::template_connector {

IoThread::IoThread() : thread_([this] { Run(); }) {}

IoThread::~IoThread() {
  PostLast([] {});
  thread_.join();
}

bool IoThread::Post(std::function<void()> task) {
  std::lock_guard lock(mu_);
  if (last_posted_) return false;
  tasks_.push_back(std::move(task));
  cv_.notify_one();
  return true;
}

bool IoThread::PostLast(std::function<void()> task) {
  std::lock_guard lock(mu_);
  if (last_posted_) return false;
  last_posted_ = true;
  tasks_.push_back(std::move(task));
  cv_.notify_one();
  return true;
}

void IoThread::Run() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return !tasks_.empty(); });
    std::function<void()> task = std::move(tasks_.front());
    tasks_.pop_front();
    const bool last = last_posted_ && tasks_.empty();
    lock.unlock();
    task();
    if (last) return;
    lock.lock();
  }
}

}  // namespace strata::template_connector
