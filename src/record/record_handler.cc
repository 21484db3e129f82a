#include "record/record_handler.h"

#include <spdlog/spdlog.h>

#include "common/fan_in.h"
#include "common/json_validate.h"
#include "pubsub/replies.h"
#include "record/record_messages.h"

namespace strata {
namespace msgs = record_messages;
namespace ra = record_action;

RecordHandler::RecordHandler(const RecordHandlerOptions& options, RecordStore& store)
    : options_(options), store_(store), transitions_(store, subscriptions_) {}

void RecordHandler::SetAuthority(RecordAuthority* authority) {
  store_.SetAuthority(authority);
  transitions_.SetAuthority(authority);
}

void RecordHandler::Handle(const std::shared_ptr<Client>& client, Message msg) {
  switch (msg.action) {
    case ra::kSubscribeCreateAndRead:
    case ra::kSubscribeAndRead:
      for (std::string& name : msg.names) {
        transitions_.SubscribeAndRead(client, std::move(name), msg.action);
      }
      return;
    case ra::kSubscribe:
      return HandleSubscribe(client, msg);
    case ra::kUnsubscribe:
      for (const std::string& name : msg.names) subscriptions_.Unsubscribe(name, client->id());
      return;
    case ra::kSubscribeAndHead:
      return HandleSubscribeAndHead(client, msg);
    case ra::kRead:
      return HandleRead(client, std::move(msg));
    case ra::kHead:
      return HandleHead(client, std::move(msg));
    case ra::kUpdate:
    case ra::kPatch:
    case ra::kErase:
    case ra::kCreateAndUpdate:
    case ra::kCreateAndPatch:
      return HandleWrite(client, std::move(msg));
    case ra::kDelete:
      return transitions_.Delete(client, std::move(msg));
    default:
      // deepstream logs and ignores actions it does not handle (PROTOCOL.md 2.9).
      spdlog::debug("record: ignoring action {} from connection {}", msg.action, client->id());
  }
}

Status RecordHandler::ValidateWrite(const Message& msg) const {
  const bool is_patch = msg.action == ra::kPatch || msg.action == ra::kCreateAndPatch;
  if ((is_patch || msg.action == ra::kErase) && (!msg.path || msg.path->empty())) {
    return Status::InvalidArgument("a path is required");
  }
  if (msg.action == ra::kErase) return Status();
  if (!msg.data) return Status::InvalidArgument("data is required");
  return is_patch ? ValidateJson(*msg.data) : ValidateRecordData(*msg.data);
}

bool RecordHandler::OnHotPath(const std::string& name) const {
  for (const std::string& prefix : options_.storage_hot_path_prefixes) {
    if (name.starts_with(prefix)) return true;
  }
  return false;
}

void RecordHandler::HandleWrite(const std::shared_ptr<Client>& client, Message msg) {
  if (Status s = ValidateWrite(msg); !s.ok()) {
    spdlog::debug("record '{}': invalid write from connection {}: {}", *msg.name, client->id(),
                  s.message());
    return client->Send(msgs::InvalidData(msg));
  }
  const bool create = msg.action == ra::kCreateAndUpdate || msg.action == ra::kCreateAndPatch;
  if (create && OnHotPath(*msg.name)) {
    if (msg.action == ra::kCreateAndPatch) {
      return client->Send(msgs::Error(ra::kInvalidPatchOnHotpath, msg));
    }
    return transitions_.Write(client, std::move(msg), true, true);
  }
  // deepstream upserts plain UPDATE/PATCH/ERASE only when they ask for a write ack (B.1.6).
  const bool upsert = create || msg.is_write_ack.value_or(false);
  transitions_.Write(client, std::move(msg), upsert, false);
}

void RecordHandler::HandleRead(const std::shared_ptr<Client>& client, Message msg) {
  std::string name = *msg.name;
  store_.Get(name, [client, msg = std::move(msg)](ReadResult r) {
    if (!r.ok()) return client->Send(msgs::Error(msgs::ReadErrorAction(r.status()), msg));
    if (!r->has_value()) return client->Send(msgs::Error(ra::kRecordNotFound, msg));
    client->Send(msgs::ReadResponse(*msg.name, (*r)->version, (*r)->json));
  });
}

void RecordHandler::HandleHead(const std::shared_ptr<Client>& client, Message msg) {
  std::string name = *msg.name;
  store_.Get(name, [client, msg = std::move(msg)](ReadResult r) {
    if (!r.ok()) return client->Send(msgs::Error(msgs::ReadErrorAction(r.status()), msg));
    client->Send(msgs::HeadResponse(*msg.name, r->has_value() ? (*r)->version : -1));
  });
}

void RecordHandler::HandleSubscribe(const std::shared_ptr<Client>& client, const Message& msg) {
  for (const std::string& name : msg.names) {
    if (subscriptions_.Subscribe(name, client)) continue;
    client->Send(replies::AlreadySubscribed(Topic::kRecord, name, msg.action));
  }
}

// Resubscription after a reconnect: the client compares versions and re-reads what changed.
void RecordHandler::HandleSubscribeAndHead(const std::shared_ptr<Client>& client,
                                           const Message& msg) {
  for (const std::string& name : msg.names) {
    subscriptions_.Subscribe(name, client);
    store_.Get(name, [client, name](ReadResult r) {
      if (!r.ok()) {
        Message m = msgs::Named(ra::kSubscribeAndHead, name);
        return client->Send(msgs::Error(msgs::ReadErrorAction(r.status()), m));
      }
      client->Send(msgs::HeadResponse(name, r->has_value() ? (*r)->version : -1));
    });
  }
}

void RecordHandler::Notify(std::vector<std::string> names, DoneCallback done) {
  DoneCallback part = FanIn(names.size(), std::move(done));
  for (std::string& name : names) transitions_.Notify(std::move(name), part);
}

void RecordHandler::RemoveClient(uint64_t client_id) { subscriptions_.RemoveClient(client_id); }

}  // namespace strata
