#include "server/permission_gate.h"

#include <spdlog/spdlog.h>

#include "common/fan_in.h"

namespace strata {
namespace {

using permission::CheckResult;
using permission::Verdict;

int32_t RefusalAction(Topic topic, Verdict verdict) {
  const bool denied = verdict == Verdict::kDenied;
  switch (topic) {
    case Topic::kRecord:
      return denied ? record_action::kMessageDenied : record_action::kMessagePermissionError;
    case Topic::kEvent:
      return denied ? event_action::kMessageDenied : event_action::kMessagePermissionError;
    case Topic::kRpc:
      return denied ? rpc_action::kMessageDenied : rpc_action::kMessagePermissionError;
    default:
      return denied ? presence_action::kMessageDenied : presence_action::kMessagePermissionError;
  }
}

// The names a message is judged by: its names (bulk), else its name; LISTEN is judged by its
// pattern; presence "all" actions by "".
std::vector<std::string> NamesOf(const Message& msg) {
  if (!msg.names.empty()) return msg.names;
  if (msg.name) return {*msg.name};
  return {""};
}

// What of `msg` may pass, given the verdict on each of its names: a bulk message goes on with its
// allowed names (nothing when none is), any other message when its one name is allowed.
std::optional<Message> Passing(Message msg, std::vector<std::string> names,
                               const std::vector<bool>& allowed) {
  if (msg.names.empty()) return allowed[0] ? std::optional<Message>(std::move(msg)) : std::nullopt;
  std::vector<std::string> kept;
  for (size_t k = 0; k < names.size(); ++k) {
    if (allowed[k]) kept.push_back(std::move(names[k]));
  }
  if (kept.empty()) return std::nullopt;
  msg.names = std::move(kept);
  return msg;
}

}  // namespace

PermissionGate::PermissionGate(const permission::PermissionChecker& checker,
                               std::shared_ptr<Client> client, Executor& loop,
                               permission::RecordLookup lookup, Dispatch dispatch)
    : checker_(checker),
      client_(std::move(client)),
      loop_(loop),
      lookup_(std::move(lookup)),
      dispatch_(std::move(dispatch)) {}

void PermissionGate::Submit(Message msg) {
  waiting_.push_back(std::move(msg));
  if (!busy_) Pump();
}

// Runs checks in arrival order; a check that completes at once (no record to load: the common
// case) does not leave this loop.
void PermissionGate::Pump() {
  while (!busy_ && !waiting_.empty()) {
    Message msg = std::move(waiting_.front());
    waiting_.pop_front();
    if (!permission::PermissionChecker::Checks(msg)) {
      dispatch_(std::move(msg));
      continue;
    }
    busy_ = true;
    auto sync = std::make_shared<bool>(true);
    Check(std::move(msg), [self = shared_from_this(), sync](std::optional<Message> allowed) {
      if (allowed) self->dispatch_(std::move(*allowed));
      self->busy_ = false;
      if (!*sync) self->Pump();
    });
    *sync = false;
  }
}

void PermissionGate::Check(Message msg, std::function<void(std::optional<Message>)> done) {
  struct Checked {
    Message msg;
    std::vector<std::string> names;
  };
  auto checked = std::make_shared<Checked>();
  checked->names = NamesOf(msg);
  checked->msg = std::move(msg);
  PartCallback<bool> part = FanInValues<bool>(
      checked->names.size(), [checked, done = std::move(done)](Result<std::vector<bool>> allowed) {
        done(Passing(std::move(checked->msg), std::move(checked->names), *allowed));
      });
  permission::Actor actor{client_->user_id(), client_->server_data()};
  for (size_t i = 0; i < checked->names.size(); ++i) {
    auto finish = [self = shared_from_this(), checked, part, i](CheckResult result) {
      const bool allowed = result.verdict == Verdict::kAllowed;
      if (!allowed) self->Refuse(checked->msg, checked->names[i], result);
      part(i, allowed);
    };
    // Checks that load records answer on other loops: back to this one before going on.
    checker_.Check(actor, checked->msg, checked->names[i], lookup_,
                   [self = shared_from_this(), finish](CheckResult result) {
                     if (self->loop_.RunningInThisThread()) return finish(std::move(result));
                     self->loop_.Post([finish, result = std::move(result)]() mutable {
                       finish(std::move(result));
                     });
                   });
  }
}

void PermissionGate::Refuse(const Message& msg, const std::string& name,
                            const CheckResult& result) {
  if (result.verdict == Verdict::kError) {
    spdlog::warn("permission rule error for {} on '{}' (user {}): {}", static_cast<int>(msg.topic),
                 name, client_->user_id(), result.error);
  }
  Message refusal;
  refusal.topic = msg.topic;
  refusal.action = RefusalAction(msg.topic, result.verdict);
  refusal.original_action = msg.action;
  refusal.name = name;
  refusal.is_error = true;
  refusal.correlation_id = msg.correlation_id;
  if (msg.is_write_ack.value_or(false)) refusal.is_write_ack = true;
  client_->Send(refusal);
}

}  // namespace strata
