#pragma once
// RpcHandler: the RPC topic (remote procedure calls, PROTOCOL.md 2.11) for the RPC names one
// event loop owns. The server sends the PROVIDE/UNPROVIDE bulk acks itself and routes each name
// here; every other RPC message comes to the handler owning its `name`.
//
// A REQUEST goes, with the requestor's own fields, to a random provider of its name (possibly
// the requestor itself, as in deepstream). The provider's ACCEPT, RESPONSE and REQUEST_ERROR go
// back to the requestor unchanged; a REJECT sends the request on to a provider not tried yet,
// and when none is left the requestor gets NO_RPC_PROVIDER. Both timeouts run from the moment
// the request is sent to the current provider and restart when it moves to the next one:
// ACCEPT_TIMEOUT and RESPONSE_TIMEOUT each end the request, as in deepstream, so a late reply is
// answered INVALID_RPC_CORRELATION_ID.
//
// Correlation ids are chosen by requestors, so two requestors may use the same one: a request is
// keyed by (requestor, correlation id), and a reply is matched by (provider, correlation id). To
// keep the latter unambiguous a provider never serves two requests with the same correlation id
// at once; it is passed over as if it had rejected.
//
// Where strata differs from deepstream 7.0.2, deliberately:
// - A reply is accepted only from the provider currently serving the request; deepstream takes
//   it from any connection that knows the correlation id.
// - A provider that disconnects fails its requests at once instead of leaving them to time out:
//   one it had not accepted moves on like a REJECT; one it had accepted ends with
//   NO_RPC_PROVIDER, because it may already have run and retrying could run it twice.
// - A REQUEST reusing the correlation id of the same requestor's request in flight is refused
//   with INVALID_RPC_CORRELATION_ID {originalAction: REQUEST}; deepstream mixes the two up.
// - requestorName/requestorData sent by a requestor are dropped; only the server sets them.
// - A request moved to the next provider must be accepted again (deepstream keeps the first
//   provider's ACCEPT and answers the second with MULTIPLE_ACCEPT).
//
// Thread-safety: not thread-safe; call on the owning loop only. Timers run on that loop too.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "config/options.h"
#include "pubsub/client.h"
#include "pubsub/route.h"
#include "pubsub/topic_handler.h"
#include "rpc/provider_registry.h"
#include "strata/executor.h"
#include "strata/message.h"

namespace strata {

// Cluster mode (src/cluster): told when this node starts or stops providing a name, so other
// nodes can send it requests. Other nodes' providers appear in the handler as remote clients
// (Client::remote()), one per node, added with AddRemoteProvider.
class RpcRelay {
 public:
  virtual ~RpcRelay() = default;
  // `providing`: this node has at least one local provider of `name` (it had none before), or
  // its last one left.
  virtual void LocalProviders(const std::string& name, bool providing) = 0;
};

class RpcHandler final : public TopicHandler {
 public:
  // How an RPC message reaches the loops that own its names: a bulk provide/unprovide is acked
  // at once and split by owner, anything else goes to the owner of its name.
  static Route RouteOf(const Message& msg);

  RpcHandler(const RpcOptions& options, Executor& loop);
  RpcHandler(const RpcHandler&) = delete;
  RpcHandler& operator=(const RpcHandler&) = delete;

  // REQUIRES: msg.topic == RPC; every name in msg belongs to this loop.
  void Handle(const std::shared_ptr<Client>& client, Message msg) override;
  // The client disconnected: its provisions go, requests it was serving fail over (see above)
  // and requests it made are forgotten.
  void RemoveClient(uint64_t client_id) override;

  // Cluster mode. REQUIRES: SetRelay before the first message.
  void SetRelay(RpcRelay* relay) { relay_ = relay; }
  // Another node provides / stops providing `name` (`node` is its stand-in). A request from a
  // remote requestor never goes to a remote provider: each node serves only what it was sent.
  void AddRemoteProvider(const std::string& name, const std::shared_ptr<Client>& node);
  void RemoveRemoteProvider(const std::string& name, uint64_t node_id);

  // Requests waiting for their provider; for tests and metrics.
  size_t in_flight() const { return requests_.size(); }

 private:
  // (client id, correlation id): a requestor's request or a provider's assignment.
  using Key = std::pair<uint64_t, std::string>;
  struct Request {
    Message request;  // as forwarded to providers
    std::shared_ptr<Client> requestor;
    std::shared_ptr<Client> provider;  // the one serving it now
    std::vector<uint64_t> tried;       // every provider it was sent to
    bool accepted = false;
    uint64_t attempt = 0;  // tells this provider's timers from those of earlier ones
  };

  void Provide(const std::shared_ptr<Client>& client, const Message& msg);
  // Tells the relay when `name` gains its first local provider or loses its last.
  void AnnounceProviders(const std::string& name);
  void MakeRequest(const std::shared_ptr<Client>& client, const Message& msg);
  void OnReply(const std::shared_ptr<Client>& client, const Message& msg);
  void OnAccept(Request& req, const Message& msg);
  // Sends the request to a provider it has not tried; false when there is none.
  bool SendToNextProvider(const Key& key, Request& req);
  std::shared_ptr<Client> PickProvider(const Request& req);
  // The current provider gave up (REJECT, disconnect): next provider or NO_RPC_PROVIDER.
  void Reroute(const Key& key);
  void OnTimeout(const Key& key, uint64_t attempt, int32_t action);
  // Sends {name, correlationId} with `action` to the requestor and forgets the request.
  void Fail(const Key& key, int32_t action);
  void Finish(const Key& key);

  const RpcOptions options_;
  Executor& loop_;
  RpcRelay* relay_ = nullptr;
  std::unordered_set<std::string> announced_;  // names the relay was told this node provides
  ProviderRegistry providers_;
  std::map<Key, Request> requests_;  // by requestor; ordered so a client's range can be found
  std::map<Key, Key> assignments_;   // (provider, correlation id) -> request key
  std::minstd_rand random_;
  uint64_t next_attempt_ = 0;
  // Timers outlive neither their request (attempt check) nor this handler (weak reference).
  std::shared_ptr<RpcHandler*> self_;
};

}  // namespace strata
