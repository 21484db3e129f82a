#include "rpc/rpc_handler.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "pubsub/replies.h"

namespace strata {
namespace rpa = rpc_action;
namespace {

// {name, correlationId} with `action`: the shape of every error deepstream sends about a request
// (NO_RPC_PROVIDER, ACCEPT_TIMEOUT, RESPONSE_TIMEOUT, MULTIPLE_ACCEPT; transcript section 4).
Message About(const Message& request, int32_t action) {
  Message m;
  m.topic = Topic::kRpc;
  m.action = action;
  m.name = request.name;
  m.correlation_id = request.correlation_id;
  return m;
}

// The answer to a message naming a request its sender has no part in (transcript r4).
Message InvalidCorrelationId(const Message& msg) {
  Message m = About(msg, rpa::kInvalidRpcCorrelationId);
  m.original_action = msg.action;
  m.is_error = true;
  return m;
}

}  // namespace

RpcHandler::RpcHandler(const RpcOptions& options, Executor& loop)
    : options_(options),
      loop_(loop),
      random_(std::random_device{}()),
      self_(std::make_shared<RpcHandler*>(this)) {}

Route RpcHandler::RouteOf(const Message& msg) {
  const bool bulk = msg.action == rpa::kProvide || msg.action == rpa::kUnprovide;
  return replies::BulkOrOwner(Service::kRpcs, msg, bulk);
}

void RpcHandler::Handle(const std::shared_ptr<Client>& client, Message msg) {
  switch (msg.action) {
    case rpa::kProvide:
      return Provide(client, msg);
    case rpa::kUnprovide:
      // Silent for names not provided: deepstream's bulk unprovide sends no NOT_PROVIDED.
      for (const std::string& name : msg.names) {
        if (providers_.Remove(name, client->id())) AnnounceProviders(name);
      }
      return;
    case rpa::kRequest:
      return MakeRequest(client, msg);
    case rpa::kAccept:
    case rpa::kResponse:
    case rpa::kRequestError:
    case rpa::kReject:
      return OnReply(client, msg);
    default:
      // Unknown actions are ignored, as deepstream does (PROTOCOL.md 2.13).
      spdlog::debug("rpc: ignoring action {} from connection {}", msg.action, client->id());
  }
}

void RpcHandler::RemoveClient(uint64_t client_id) {
  for (const std::string& name : providers_.RemoveClient(client_id)) AnnounceProviders(name);
  // Requests it made: nobody is waiting for the answer any more.
  auto it = requests_.lower_bound(Key{client_id, ""});
  while (it != requests_.end() && it->first.first == client_id) {
    const Key key = (it++)->first;
    Finish(key);
  }
  // Requests it was serving (collected first: failing them changes assignments_).
  std::vector<Key> served;
  for (auto a = assignments_.lower_bound(Key{client_id, ""});
       a != assignments_.end() && a->first.first == client_id; ++a) {
    served.push_back(a->second);
  }
  for (const Key& key : served) {
    if (requests_.at(key).accepted) {
      Fail(key, rpa::kNoRpcProvider);  // it may have run: no second provider
    } else {
      Reroute(key);
    }
  }
}

void RpcHandler::Provide(const std::shared_ptr<Client>& client, const Message& msg) {
  if (!client->connected()) return;  // RemoveClient may already have run for it
  for (const std::string& name : msg.names) {
    if (providers_.Add(name, client)) {
      AnnounceProviders(name);
      continue;
    }
    client->Send(replies::AlreadySubscribed(Topic::kRpc, name, rpa::kProvide));
  }
}

void RpcHandler::AnnounceProviders(const std::string& name) {
  if (!relay_) return;
  const auto& all = providers_.Of(name);
  const bool providing =
      std::any_of(all.begin(), all.end(), [](const auto& p) { return !p->remote(); });
  if (providing == announced_.contains(name)) return;
  if (providing) {
    announced_.insert(name);
  } else {
    announced_.erase(name);
  }
  relay_->LocalProviders(name, providing);
}

void RpcHandler::AddRemoteProvider(const std::string& name, const std::shared_ptr<Client>& node) {
  providers_.Add(name, node);
}

// Requests already sent to that node stay with it: it may have delivered them, so they end with
// its answer or a timeout, never with a second provider.
void RpcHandler::RemoveRemoteProvider(const std::string& name, uint64_t node_id) {
  providers_.Remove(name, node_id);
}

void RpcHandler::MakeRequest(const std::shared_ptr<Client>& client, const Message& msg) {
  if (!msg.name || !msg.correlation_id || !client->connected()) {
    spdlog::debug("rpc: dropping request without name or correlation id from {}", client->id());
    return;
  }
  Key key{client->id(), *msg.correlation_id};
  if (requests_.contains(key)) {
    client->Send(InvalidCorrelationId(msg));
    return;
  }
  Request req;
  req.request = msg;
  // Only the server may say who asks (another node of the cluster already has).
  if (!client->remote()) {
    req.request.requestor_name.reset();
    req.request.requestor_data.reset();
    if (options_.provide_requestor_name) req.request.requestor_name = client->user_id();
  }
  req.requestor = client;
  Request& stored = requests_.emplace(key, std::move(req)).first->second;
  if (!SendToNextProvider(key, stored)) Fail(key, rpa::kNoRpcProvider);
}

void RpcHandler::OnReply(const std::shared_ptr<Client>& client, const Message& msg) {
  auto assignment = msg.correlation_id ? assignments_.find(Key{client->id(), *msg.correlation_id})
                                       : assignments_.end();
  if (assignment == assignments_.end()) {
    client->Send(InvalidCorrelationId(msg));
    return;
  }
  const Key key = assignment->second;  // a copy: Reroute and Finish erase the assignment
  Request& req = requests_.at(key);
  switch (msg.action) {
    case rpa::kAccept:
      return OnAccept(req, msg);
    case rpa::kReject:
      return Reroute(key);
    default:  // RESPONSE, REQUEST_ERROR: forwarded as received, like deepstream
      req.requestor->Send(msg);
      Finish(key);
  }
}

void RpcHandler::OnAccept(Request& req, const Message& msg) {
  if (req.accepted) {
    req.provider->Send(About(req.request, rpa::kMultipleAccept));
    return;
  }
  req.accepted = true;
  req.requestor->Send(msg);
}

bool RpcHandler::SendToNextProvider(const Key& key, Request& req) {
  std::shared_ptr<Client> provider = PickProvider(req);
  if (!provider) return false;
  req.provider = provider;
  req.tried.push_back(provider->id());
  req.accepted = false;
  req.attempt = ++next_attempt_;
  assignments_.emplace(Key{provider->id(), key.second}, key);
  // Executor timers cannot be cancelled: each one checks that its attempt is still current.
  std::weak_ptr<RpcHandler*> weak = self_;
  uint64_t attempt = req.attempt;
  auto arm = [&](std::chrono::milliseconds delay, int32_t action) {
    loop_.PostAfter(delay, [weak, key, attempt, action] {
      if (auto self = weak.lock()) (*self)->OnTimeout(key, attempt, action);
    });
  };
  arm(options_.ack_timeout, rpa::kAcceptTimeout);
  arm(options_.response_timeout, rpa::kResponseTimeout);
  provider->Send(req.request);
  return true;
}

std::shared_ptr<Client> RpcHandler::PickProvider(const Request& req) {
  const std::string& correlation_id = *req.request.correlation_id;
  std::vector<const std::shared_ptr<Client>*> candidates;
  for (const auto& provider : providers_.Of(*req.request.name)) {
    uint64_t id = provider->id();
    if (std::find(req.tried.begin(), req.tried.end(), id) != req.tried.end()) continue;
    if (!provider->connected()) continue;                          // its RemoveClient is on the way
    if (provider->remote() && req.requestor->remote()) continue;   // sent here to run here
    if (assignments_.contains(Key{id, correlation_id})) continue;  // replies would be ambiguous
    candidates.push_back(&provider);
  }
  if (candidates.empty()) return nullptr;
  std::uniform_int_distribution<size_t> pick(0, candidates.size() - 1);
  return *candidates[pick(random_)];
}

void RpcHandler::Reroute(const Key& key) {
  Request& req = requests_.at(key);
  assignments_.erase(Key{req.provider->id(), key.second});
  if (!SendToNextProvider(key, req)) Fail(key, rpa::kNoRpcProvider);
}

void RpcHandler::OnTimeout(const Key& key, uint64_t attempt, int32_t action) {
  auto it = requests_.find(key);
  if (it == requests_.end() || it->second.attempt != attempt) return;  // finished or moved on
  if (action == rpa::kAcceptTimeout && it->second.accepted) return;
  Fail(key, action);
}

void RpcHandler::Fail(const Key& key, int32_t action) {
  const Request& req = requests_.at(key);
  req.requestor->Send(About(req.request, action));
  Finish(key);
}

void RpcHandler::Finish(const Key& key) {
  auto it = requests_.find(key);
  if (it == requests_.end()) return;
  if (it->second.provider) {
    auto assignment = assignments_.find(Key{it->second.provider->id(), key.second});
    if (assignment != assignments_.end() && assignment->second == key) {
      assignments_.erase(assignment);
    }
  }
  requests_.erase(it);
}

}  // namespace strata
