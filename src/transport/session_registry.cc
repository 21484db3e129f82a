#include "transport/session_registry.h"

#include <vector>

#include <spdlog/spdlog.h>

namespace strata {

bool SessionRegistry::Add(Session* session, std::weak_ptr<Session> weak) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopping_) return false;
  sessions_.emplace(session, std::move(weak));
  return true;
}

void SessionRegistry::Remove(Session* session) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (sessions_.erase(session) > 0 && sessions_.empty()) all_removed_.notify_all();
}

void SessionRegistry::StopAll(std::chrono::milliseconds timeout) {
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    for (auto& [raw, weak] : sessions_) {
      if (auto session = weak.lock()) live.push_back(std::move(session));
    }
  }
  // Outside the lock: a session may Remove itself synchronously.
  for (auto& session : live) session->StopFromTransport();
  live.clear();
  std::unique_lock<std::mutex> lock(mutex_);
  if (!all_removed_.wait_for(lock, timeout, [this] { return sessions_.empty(); })) {
    spdlog::warn("transport: {} session(s) still open after stopping for {} ms", sessions_.size(),
                 timeout.count());
  }
}

}  // namespace strata
