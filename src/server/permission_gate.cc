#include "server/permission_gate.h"

#include <spdlog/spdlog.h>

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

}  // namespace

PermissionGate::PermissionGate(const permission::PermissionChecker& checker, std::shared_ptr<Client> client,
                               Executor& loop, permission::RecordLookup lookup, Dispatch dispatch)
    : checker_(checker), client_(std::move(client)), loop_(loop), lookup_(std::move(lookup)),
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
  struct Join {
    Message msg;
    std::vector<std::string> names;
    std::vector<bool> allowed;
    size_t remaining;
    std::function<void(std::optional<Message>)> done;
  };
  auto join = std::make_shared<Join>();
  join->names = NamesOf(msg);
  join->allowed.assign(join->names.size(), false);
  join->remaining = join->names.size();
  join->msg = std::move(msg);
  join->done = std::move(done);
  const bool bulk = !join->msg.names.empty();
  permission::Actor actor{client_->user_id(), client_->server_data()};
  for (size_t i = 0; i < join->names.size(); ++i) {
    auto finish = [self = shared_from_this(), join, i, bulk](CheckResult result) {
      if (result.verdict == Verdict::kAllowed) {
        join->allowed[i] = true;
      } else {
        self->Refuse(join->msg, join->names[i], result);
      }
      if (--join->remaining > 0) return;
      if (!bulk) return join->done(join->allowed[0] ? std::optional<Message>(std::move(join->msg)) : std::nullopt);
      std::vector<std::string> kept;
      for (size_t k = 0; k < join->names.size(); ++k) {
        if (join->allowed[k]) kept.push_back(std::move(join->names[k]));
      }
      if (kept.empty()) return join->done(std::nullopt);
      join->msg.names = std::move(kept);
      join->done(std::move(join->msg));
    };
    // Checks that load records answer on other loops: back to this one before going on.
    checker_.Check(actor, join->msg, join->names[i], lookup_,
                   [self = shared_from_this(), finish](CheckResult result) {
                     if (self->loop_.RunningInThisThread()) return finish(std::move(result));
                     self->loop_.Post([finish, result = std::move(result)]() mutable { finish(std::move(result)); });
                   });
  }
}

void PermissionGate::Refuse(const Message& msg, const std::string& name, const CheckResult& result) {
  if (result.verdict == Verdict::kError) {
    spdlog::warn("permission rule error for {} on '{}' (user {}): {}", static_cast<int>(msg.topic), name,
                 client_->user_id(), result.error);
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
