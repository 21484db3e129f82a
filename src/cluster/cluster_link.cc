#include "cluster/cluster_link.h"

#include <vector>

#include <fmt/format.h>

#include "cluster/cluster_events.h"
#include "cluster/cluster_node.h"
#include "cluster/cluster_records.h"
#include "cluster/ledger_sweeper.h"

namespace strata {
namespace {

class RedisClusterLink final : public ClusterLink {
 public:
  RedisClusterLink(const ServerOptions& options, std::unique_ptr<cluster::ClusterNode> node,
                   ShardOf shard_of)
      : options_(options), node_(std::move(node)), shard_of_(std::move(shard_of)) {
    node_->SetHandlers(cluster::ClusterNode::Handlers{
        .record = [this](std::string name,
                         std::string payload) { OnRecord(std::move(name), std::move(payload)); },
        .event = [this](std::string name,
                        std::string payload) { OnEvent(std::move(name), std::move(payload)); },
        .gap = [this] { OnGap(); },
    });
  }

  ~RedisClusterLink() override {
    node_->Stop();  // no more bus messages for the shards below
    sweeper_.reset();
    shards_.clear();
  }

  void AttachShard(size_t index, Executor& loop, RecordHandler& records, EventHandler& events,
                   StorageConnector& storage) override {
    if (shards_.size() <= index) shards_.resize(index + 1);
    auto shard = std::make_unique<Shard>();
    shard->loop = &loop;
    shard->records = std::make_unique<cluster::ClusterRecords>(
        *node_, loop, records.mutable_subscriptions(), storage,
        cluster::ClusterRecordsOptions{
            .storage_exclusion_prefixes = options_.record.store.storage_exclusion_prefixes,
            .storage_timeout = options_.record.store.storage_timeout,
        });
    shard->events =
        std::make_unique<cluster::ClusterEvents>(*node_, events.mutable_subscriptions());
    records.SetAuthority(shard->records.get());
    events.SetRelay(shard->events.get());
    shards_[index] = std::move(shard);
    if (index == 0) {
      sweeper_ = std::make_unique<cluster::LedgerSweeper>(*node_, loop, storage,
                                                          options_.cluster.keep_alive_interval,
                                                          options_.cluster.node_inactive_timeout);
      sweeper_->Start();
    }
  }

  std::string MetricsText() const override {
    cluster::ClusterNodeStats node = node_->stats();
    cluster::ClusterRecordsStats records;
    uint64_t events = 0;
    for (const auto& shard : shards_) {
      cluster::ClusterRecordsStats s = shard->records->stats();
      records.followed += s.followed;
      records.changes += s.changes;
      records.duplicates += s.duplicates;
      records.resyncs += s.resyncs;
      records.conflicts += s.conflicts;
      records.bus_errors += s.bus_errors;
      events += shard->events->delivered();
    }
    std::string text;
    auto line = [&text](std::string_view name, uint64_t value) {
      text += fmt::format("strata_cluster_{} {}\n", name, value);
    };
    line("bus_connected", node.bus.connected ? 1 : 0);
    line("bus_messages_in_total", node.bus.messages);
    line("bus_reconnects_total", node.bus.reconnects);
    line("commands_total", node.commands);
    line("command_errors_total", node.command_errors);
    line("function_reloads_total", node.function_reloads);
    line("records_followed", records.followed);
    line("record_changes_delivered_total", records.changes);
    line("record_changes_duplicate_total", records.duplicates);
    line("record_resyncs_total", records.resyncs);
    line("record_write_conflicts_total", records.conflicts);
    line("bus_malformed_total", records.bus_errors);
    line("events_in_total", events);
    if (sweeper_) {
      cluster::SweeperStats sweeps = sweeper_->stats();
      line("ledger_depth", sweeps.ledger_depth);
      line("ledger_sweeps_total", sweeps.sweeps);
      line("ledger_persisted_for_others_total", sweeps.persisted);
      line("ledger_sweep_errors_total", sweeps.errors);
    }
    return text;
  }

 private:
  struct Shard {
    Executor* loop = nullptr;
    std::unique_ptr<cluster::ClusterRecords> records;
    std::unique_ptr<cluster::ClusterEvents> events;
  };

  // Bus threads: each message goes to the loop that owns its name.
  void OnRecord(std::string name, std::string payload) {
    Shard& shard = *shards_[shard_of_(name)];
    shard.loop->Post([&shard, name = std::move(name), payload = std::move(payload)] {
      shard.records->OnChange(name, payload);
    });
  }
  void OnEvent(std::string name, std::string payload) {
    Shard& shard = *shards_[shard_of_(name)];
    shard.loop->Post([&shard, name = std::move(name), payload = std::move(payload)] {
      shard.events->OnMessage(name, payload);
    });
  }
  void OnGap() {
    for (auto& shard : shards_) {
      shard->loop->Post([records = shard->records.get()] { records->OnGap(); });
    }
  }

  const ServerOptions options_;
  std::unique_ptr<cluster::ClusterNode> node_;
  ShardOf shard_of_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::unique_ptr<cluster::LedgerSweeper> sweeper_;  // on shard 0's loop
};

}  // namespace

Result<std::unique_ptr<ClusterLink>> ClusterLink::Join(const ServerOptions& options,
                                                       ShardOf shard_of) {
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<cluster::ClusterNode> node,
                          cluster::ClusterNode::Start(options));
  return std::unique_ptr<ClusterLink>(
      new RedisClusterLink(options, std::move(node), std::move(shard_of)));
}

}  // namespace strata
