#pragma once
// ClusterRpc: RPC across the nodes of a cluster, for the RPC names one loop owns.
//
// Providers: a node's first local provider of a name adds the node to `strata:rpc:<name>`, its
// last one removes it (strata_rpc_provide/unprovide, which publish "rpc <name>" on strata:ctl).
// Every node keeps, per name, a stand-in client for each other node that provides it, and puts
// them in the RpcHandler next to its local providers: a request picks among both, as deepstream
// picks among providers. A node that starts later reads the providers from Redis (no broadcast
// to miss, unlike deepstream's ds#1001), and a dead node's providers are removed by the reaper.
//
// Requests: sending one to a stand-in PUBLISHes it on that node's channel `strata:n:<id>`; there a
// stand-in for the requesting node asks the local providers (never another node), and their
// ACCEPT, RESPONSE, REQUEST_ERROR travel back the same way. If none of them takes it, the answer
// is a REJECT and the requesting node tries its next provider. A request goes to another node
// only after an explicit reject, or when its PUBLISH reached nobody (the node is gone); once it
// may have been delivered it ends with its answer or a timeout, never with a second execution.
// Message: "<Q|P> <from node>\n<JSON message>" (Q: to the providers' side, P: back).
//
// Thread-safety: one per loop; everything on that loop (bus messages are posted to it).

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "cluster/cluster_node.h"
#include "rpc/rpc_handler.h"
#include "strata/executor.h"

namespace strata::cluster {

class ClusterRpc final : public RpcRelay {
 public:
  ClusterRpc(ClusterNode& node, Executor& loop, RpcHandler& handler);
  ~ClusterRpc() override;

  void LocalProviders(const std::string& name, bool providing) override;

  // From the bus, on this loop: an RPC message node `from` sent to this node, for a name this
  // loop owns.
  void OnDirect(const std::string& from, Message msg);
  // The nodes providing `name` changed: read them again.
  void Refresh(const std::string& name);
  // Adds this node's provisions again (after its lease was lost).
  void Replay();

 private:
  class Stand;  // a Client standing for another node

  std::shared_ptr<Stand> StandFor(const std::string& node);
  // Sends `msg` to `node`'s channel; `unreachable` runs on this loop if nobody received it.
  void Publish(const std::string& node, char kind, const Message& msg,
               std::function<void()> unreachable);

  ClusterNode& node_;
  Executor& loop_;
  RpcHandler& handler_;
  std::unordered_set<std::string> provided_;                       // names this node provides
  std::unordered_map<std::string, std::set<std::string>> remote_;  // name -> other nodes
  std::map<std::string, std::shared_ptr<Stand>> stands_;           // by node id
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);     // for late completions
};

}  // namespace strata::cluster
