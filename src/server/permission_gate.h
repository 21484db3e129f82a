#pragma once
// PermissionGate: Valve permissions between one client's messages and their handlers. Messages
// leave the gate in the order they came in, even when a check has to load a record first (a
// write must not overtake the write before it); a bulk message is judged name by name and goes on
// with the allowed names only. Denied names are answered MESSAGE_DENIED, rules that fail
// MESSAGE_PERMISSION_ERROR, with the request's correlationId and isWriteAck (so a write ack the
// client waits for fails instead of hanging or reporting success).
//
// Thread-safety: Submit on the gate's loop; record loads may answer on any loop (the gate comes
// back to its own).

#include <deque>
#include <functional>
#include <memory>

#include "permission/permission_checker.h"
#include "pubsub/client.h"
#include "strata/executor.h"
#include "strata/message.h"

namespace strata {

class PermissionGate : public std::enable_shared_from_this<PermissionGate> {
 public:
  using Dispatch = std::function<void(Message msg)>;

  PermissionGate(const permission::PermissionChecker& checker, std::shared_ptr<Client> client,
                 Executor& loop, permission::RecordLookup lookup, Dispatch dispatch);

  void Submit(Message msg);

 private:
  void Pump();
  // Checks every name of `msg`; `done` gets what may pass (nullopt: nothing).
  void Check(Message msg, std::function<void(std::optional<Message>)> done);
  void Refuse(const Message& msg, const std::string& name, const permission::CheckResult& result);

  const permission::PermissionChecker& checker_;
  const std::shared_ptr<Client> client_;
  Executor& loop_;
  const permission::RecordLookup lookup_;
  const Dispatch dispatch_;
  std::deque<Message> waiting_;
  bool busy_ = false;
};

}  // namespace strata
