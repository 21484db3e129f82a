#pragma once
// SessionRegistry: the live sessions (HTTP requests in progress and WebSocket connections) of one
// Transport, so that Transport::Stop can close every one of them and wait until they are gone.
//
// Thread-safety: all methods may be called from any thread. StopAll blocks, so it must not be
// called on an event loop thread (the sessions it waits for finish on those loops).

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace strata {

class SessionRegistry {
 public:
  class Session {
   public:
    // Starts closing the session; it calls Remove() when done. Thread-safe, returns at once.
    virtual void StopFromTransport() = 0;

   protected:
    ~Session() = default;
  };

  SessionRegistry() = default;
  SessionRegistry(const SessionRegistry&) = delete;
  SessionRegistry& operator=(const SessionRegistry&) = delete;

  // Returns false once StopAll has begun: the caller must then drop the session unopened.
  [[nodiscard]] bool Add(Session* session, std::weak_ptr<Session> weak);
  // Idempotent.
  void Remove(Session* session);
  // Rejects new sessions, asks every live one to stop and waits until all have called Remove,
  // or until `timeout` passes (a loop that is no longer running can never finish its sessions).
  // REQUIRES: not called on an event loop thread.
  void StopAll(std::chrono::milliseconds timeout);

 private:
  std::mutex mutex_;
  std::condition_variable all_removed_;
  bool stopping_ = false;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions_;
};

}  // namespace strata
