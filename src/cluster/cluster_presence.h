#pragma once
// ClusterPresence: presence across the nodes of a cluster, on the loop of the presence handler.
// A user's first connection on a node adds the node to the user's count in Redis, its last one
// removes it (strata_presence_join/leave); the function that moves a user's count between 0 and 1
// publishes the JOIN or LEAVE on `strata:presence`, so each is announced exactly once, on every
// node. A dead node's users leave when the reaper removes it (node_registry.h). Each node keeps
// the cluster-wide view (for QUERY) from those messages, and reads it again from Redis at start,
// after a bus gap and after its lease was lost, announcing the differences.
//
// Thread-safety: the relay calls and OnMessage/Resync on the handler's loop; Replay likewise.

#include <string>

#include "cluster/cluster_node.h"
#include "presence/presence_handler.h"
#include "strata/executor.h"

namespace strata::cluster {

class ClusterPresence final : public PresenceRelay {
 public:
  ClusterPresence(ClusterNode& node, Executor& loop, PresenceHandler& handler);

  void Joined(const std::string& user, uint64_t client_id) override;
  void Left(const std::string& user, uint64_t client_id) override;

  // A message of `strata:presence`, on the loop.
  void OnMessage(std::string_view payload);
  // Reads the cluster's users and announces what changed (start, gap).
  void Resync();
  // Adds this node's users again (after its lease was lost and it may have been reaped).
  void Replay();

 private:
  void Call(std::string_view function, const std::string& user, uint64_t client_id);

  ClusterNode& node_;
  Executor& loop_;
  PresenceHandler& handler_;
};

}  // namespace strata::cluster
