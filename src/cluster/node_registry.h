#pragma once
// NodeRegistry: this node's membership. The node holds a lease, `strata:node:<id>`, that expires
// after clusterRegistry.nodeInactiveTimeout unless renewed every keepAliveInterval, and is listed
// in `strata:nodes`. Every activeCheckInterval it runs the reaper (strata_reap), which removes the
// soft state of every node whose lease expired: its users leave presence once, its RPC providers
// are gone. A node that finds its own lease expired (it was paused or cut off longer than the
// timeout, and may have been reaped) takes it again and calls `on_lease_lost`, which adds its
// soft state again.
//
// Thread-safety: Register from the controlling thread before the loop starts; the timers run on
// the loop; stats() from any thread.

#include <atomic>
#include <cstdint>
#include <functional>

#include "cluster/cluster_node.h"
#include "config/options.h"
#include "strata/executor.h"

namespace strata::cluster {

struct MembershipStats {
  uint64_t renewals = 0;
  uint64_t leases_lost = 0;  // renewals that found the lease expired
  uint64_t reaped = 0;       // dead nodes this node's reaper removed
  bool lease_held = false;
};

class NodeRegistry {
 public:
  NodeRegistry(ClusterNode& node, Executor& loop, const ClusterOptions& options,
               std::function<void()> on_lease_lost);
  NodeRegistry(const NodeRegistry&) = delete;
  NodeRegistry& operator=(const NodeRegistry&) = delete;

  // Takes the lease and lists the node (blocking; before the node serves anyone).
  Status Register();
  // Starts renewing and reaping.
  void Start();
  // A graceful stop: gives the lease up and reaps this node at once (blocking), so its users
  // leave and its providers are gone now rather than after nodeInactiveTimeout.
  // REQUIRES: the loop has stopped.
  void Leave();
  MembershipStats stats() const;

 private:
  void Renew();
  void Reap();

  ClusterNode& node_;
  Executor& loop_;
  const ClusterOptions options_;
  std::function<void()> on_lease_lost_;
  std::atomic<uint64_t> renewals_{0}, lost_{0}, reaped_{0};
  std::atomic<bool> held_{false};
};

}  // namespace strata::cluster
