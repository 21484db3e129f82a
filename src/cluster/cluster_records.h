#pragma once
// ClusterRecords: the RecordAuthority of one event loop in a cluster (record/record_authority.h).
// Writes are Redis functions (redis_functions.h): compare-and-set, publish and sequence number in
// one atomic step. Local subscribers are told only from the record channels, where Redis delivers
// every record's changes in commit order, whoever wrote them.
//
// The feed: while a record has local subscribers, this loop follows its channel and keeps the
// state it has delivered (the whole record and its seq). Following starts subscribe-then-read:
// SUBSCRIBE, wait for Redis to confirm, read; changes that arrive meanwhile are kept and applied
// after the read if newer. A change whose seq is not newer than the feed's is dropped, so nothing
// older or repeated is ever delivered. After a bus gap (reconnect) every followed record is read
// again and subscribers get one UPDATE (or DELETED) if it changed: versions may jump, never go
// back. The last local subscriber gone, the channel is unsubscribed after a linger.
//
// Thread-safety: one per loop; everything on that loop (bus messages are posted to it).

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "cluster/cluster_node.h"
#include "cluster/ledger_sweeper.h"
#include "cluster/record_change.h"
#include "config/options.h"
#include "pubsub/subscription_registry.h"
#include "record/record_authority.h"
#include "strata/executor.h"
#include "strata/storage_connector.h"

namespace strata::cluster {

struct ClusterRecordsOptions {
  std::vector<std::string> storage_exclusion_prefixes;
  Millis storage_timeout{5000};
  // How long a delete keeps a slower node from loading an older storage copy into the cache.
  Millis tombstone{60000};
  // How long a record's channel stays followed after its last local subscriber left.
  Millis linger{2000};
};

struct ClusterRecordsStats {
  uint64_t followed = 0;    // records whose channel this loop follows now
  uint64_t changes = 0;     // changes applied from the bus
  uint64_t duplicates = 0;  // changes dropped as not newer than the feed
  uint64_t resyncs = 0;     // records found changed when re-read after a gap
  uint64_t conflicts = 0;   // compare-and-set lost to another write
  uint64_t bus_errors = 0;  // malformed changes
};

class ClusterRecords final : public RecordAuthority, public SubscriptionObserver {
 public:
  ClusterRecords(ClusterNode& node, Executor& loop, SubscriptionRegistry& subscriptions,
                 StorageConnector& storage, ClusterRecordsOptions options);
  ~ClusterRecords() override;
  ClusterRecords(const ClusterRecords&) = delete;
  ClusterRecords& operator=(const ClusterRecords&) = delete;

  void Read(const std::string& name, Callback<VersionedRecord> cb) override;
  void Fill(const std::vector<NamedValue>& found) override;
  void Follow(const std::string& name, Callback<VersionedRecord> cb) override;
  void StartAt(const std::string& name, uint64_t client_id, uint64_t seq) override;
  void CompareAndSet(RecordWrite write, Callback<WriteOutcome> cb) override;
  void Delete(const std::string& name, uint64_t client_id, Callback<uint64_t> cb) override;
  void Persisted(const std::string& name, uint64_t seq) override;
  void Reload(const std::string& name, Callback<VersionedRecord> cb) override;

  // From the bus, on this loop.
  void OnChange(const std::string& name, std::string_view payload);
  void OnGap();
  // From any thread.
  ClusterRecordsStats stats() const;

  // SubscriptionObserver: the last local subscriber gone, stop following.
  void OnSubscribed(const std::string&, const std::shared_ptr<Client>&, bool) override {}
  void OnLastUnsubscribed(const std::string& name) override { Unfollow(name); }

 private:
  struct Feed {
    bool live = false;       // the first read is done; changes are applied as they come
    bool following = false;  // SUBSCRIBE sent
    uint64_t seq = 0;
    std::optional<RecordValue> value;
    std::vector<RecordChange> early;  // arrived before the first read answered
    std::vector<Callback<VersionedRecord>> waiters;
    size_t views_posted = 0;                        // waiters about to start from the feed
    std::unordered_map<uint64_t, uint64_t> floors;  // client -> seq it started after
    uint64_t linger = 0;  // the pending unfollow's token; a newer one cancels it
  };

  // Runs `function` and hands the reply to `done` on this loop.
  void Fcall(std::string_view function, std::vector<std::string> keys,
             std::vector<std::string> args, std::function<void(Result<RedisValue>)> done);
  // The keys a function touches: <prefix><name>_v, _d, strata:seq, then _t and strata:wb.
  std::vector<std::string> Keys(const std::string& name, bool tombstone, bool ledger = false) const;
  bool ExcludedFromStorage(std::string_view name) const;
  void ReadStorage(const std::string& name, uint64_t seq, Callback<VersionedRecord> cb);
  void GetFromStorage(const std::string& name, Callback<std::optional<RecordValue>> cb);
  void StartFeed(const std::string& name);
  // Answers a waiter from the feed as it is when the waiter runs.
  void PostView(const std::string& name, Callback<VersionedRecord> cb);
  // Delivers `change` unless the feed already has it (or something newer).
  void Apply(const std::string& name, Feed& feed, const RecordChange& change);
  void Deliver(const std::string& name, Feed& feed, const RecordChange& change);
  void ReadAgain(const std::string& name);
  void Resync(const std::string& name, const VersionedRecord& now);
  void Unfollow(const std::string& name);
  // Followed, and nobody here wants its changes any more.
  bool Unused(const std::string& name) const;

  ClusterNode& node_;
  Executor& loop_;
  SubscriptionRegistry& subscriptions_;
  StorageConnector& storage_;
  ClusterRecordsOptions options_;
  std::unordered_map<std::string, Feed> feeds_;
  std::vector<PersistedChange> persisted_;  // for the ledger, sent on the next loop turn
  // Counted on the loop, read by /metrics from any thread.
  struct Counters {
    std::atomic<uint64_t> followed{0}, changes{0}, duplicates{0}, resyncs{0}, conflicts{0},
        bus_errors{0};
  };
  Counters stats_;
};

}  // namespace strata::cluster
