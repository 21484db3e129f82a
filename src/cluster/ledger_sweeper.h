#pragma once
// LedgerSweeper: finishes the storage writes of the write-behind ledger (redis_functions.h) that
// nobody finished: a change stays in the ledger until storage has it, and one older than `grace`
// (a live writer is done long before) is persisted by whichever node sweeps first. Every node
// sweeps; duplicates are harmless because storage writes are fenced by the change's seq (a node
// that persists an older state after a newer one is refused by storage). So a change that reached
// the cache reaches storage even when its writer was killed right after the compare-and-set.
//
// Thread-safety: runs on one loop; Start from the controlling thread before the loop starts;
// stats() from any thread.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "cluster/cluster_node.h"
#include "config/options.h"
#include "strata/executor.h"
#include "strata/storage_connector.h"

namespace strata::cluster {

struct SweeperStats {
  uint64_t sweeps = 0;
  uint64_t persisted = 0;  // ledger entries this node wrote to storage for others
  uint64_t errors = 0;
  uint64_t ledger_depth = 0;  // the ledger's size at the last sweep, cluster-wide
};

// Tells the ledger that storage holds these changes (from any thread; fire and forget).
struct PersistedChange {
  std::string name;
  uint64_t seq = 0;
};
void PersistedInLedger(ClusterNode& node, const std::vector<PersistedChange>& changes);

class LedgerSweeper {
 public:
  LedgerSweeper(ClusterNode& node, Executor& loop, StorageConnector& storage, Millis period,
                Millis grace);
  LedgerSweeper(const LedgerSweeper&) = delete;
  LedgerSweeper& operator=(const LedgerSweeper&) = delete;

  void Start();
  SweeperStats stats() const;

 private:
  static constexpr int kBatch = 100;

  void Sweep();
  void Persist(const std::string& name);
  void Done(bool ok);

  ClusterNode& node_;
  Executor& loop_;
  StorageConnector& storage_;
  const Millis period_;
  const Millis grace_;
  int in_flight_ = 0;  // loop only: entries of the current sweep not yet finished
  std::atomic<uint64_t> sweeps_{0}, persisted_{0}, errors_{0}, depth_{0};
};

}  // namespace strata::cluster
