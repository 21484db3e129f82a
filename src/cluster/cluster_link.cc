#include "cluster/cluster_link.h"

#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cluster/cluster_events.h"
#include "cluster/cluster_node.h"
#include "cluster/cluster_presence.h"
#include "cluster/cluster_records.h"
#include "cluster/cluster_rpc.h"
#include "cluster/ledger_sweeper.h"
#include "cluster/node_registry.h"
#include "protocol/json/json_codec.h"

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
        .presence = [this](std::string payload) { OnPresence(std::move(payload)); },
        .control = [this](std::string payload) { OnControl(std::move(payload)); },
        .direct = [this](std::string payload) { OnDirect(std::move(payload)); },
        .gap = [this] { OnGap(); },
    });
  }

  ~RedisClusterLink() override {
    if (registry_) registry_->Leave();
    node_->Stop();  // no more bus messages for the shards below
    registry_.reset();
    presence_.reset();
    sweeper_.reset();
    shards_.clear();
  }

  void AttachShard(size_t index, const ShardParts& parts) override {
    if (shards_.size() <= index) shards_.resize(index + 1);
    auto shard = std::make_unique<Shard>();
    shard->loop = parts.loop;
    shard->records = std::make_unique<cluster::ClusterRecords>(
        *node_, *parts.loop, parts.records->mutable_subscriptions(), *parts.storage,
        cluster::ClusterRecordsOptions{
            .storage_exclusion_prefixes = options_.record.store.storage_exclusion_prefixes,
            .storage_timeout = options_.record.store.storage_timeout,
        });
    shard->events =
        std::make_unique<cluster::ClusterEvents>(*node_, parts.events->mutable_subscriptions());
    shard->rpc = std::make_unique<cluster::ClusterRpc>(*node_, *parts.loop, *parts.rpc);
    parts.records->SetAuthority(shard->records.get());
    parts.events->SetRelay(shard->events.get());
    parts.rpc->SetRelay(shard->rpc.get());
    shards_[index] = std::move(shard);
    if (index == 0) AttachNodeServices(parts);
  }

  // Every shard is attached: only now may bus messages arrive for them.
  void Start() override {
    Executor& loop = *shards_[0]->loop;
    node_->Subscribe(std::string(cluster::kPresenceChannel),
                     [this, &loop] { loop.Post([this] { presence_->Resync(); }); });
    node_->Subscribe(std::string(cluster::kControlChannel), [this] { LoadProviders("0"); });
    node_->Subscribe(std::string(cluster::kNodeChannel) + node_->id(), [] {});
    if (Status s = registry_->Register(); !s.ok()) {
      spdlog::error("cluster: {}; retrying with every lease renewal", s.ToString());
    }
    registry_->Start();
    sweeper_->Start();
  }

  std::string Unhealthy() const override { return node_->Unhealthy(); }

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
    line("redis_commands_connected", node.commands_connected ? 1 : 0);
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
    if (registry_) {
      cluster::MembershipStats members = registry_->stats();
      line("lease_held", members.lease_held ? 1 : 0);
      line("lease_renewals_total", members.renewals);
      line("leases_lost_total", members.leases_lost);
      line("nodes_reaped_total", members.reaped);
    }
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
  // Membership, presence and the ledger sweeper run on shard 0's loop (started by Start).
  void AttachNodeServices(const ShardParts& parts) {
    Executor& loop = *parts.loop;
    presence_ = std::make_unique<cluster::ClusterPresence>(*node_, loop, *parts.presence);
    parts.presence->SetRelay(presence_.get());
    registry_ = std::make_unique<cluster::NodeRegistry>(*node_, loop, options_.cluster, [this] {
      presence_->Replay();
      for (auto& shard : shards_) {
        shard->loop->Post([rpc = shard->rpc.get()] { rpc->Replay(); });
      }
    });
    sweeper_ = std::make_unique<cluster::LedgerSweeper>(*node_, loop, *parts.storage,
                                                        options_.cluster.keep_alive_interval,
                                                        options_.cluster.node_inactive_timeout);
  }

  struct Shard {
    Executor* loop = nullptr;
    std::unique_ptr<cluster::ClusterRecords> records;
    std::unique_ptr<cluster::ClusterEvents> events;
    std::unique_ptr<cluster::ClusterRpc> rpc;
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
  void OnPresence(std::string payload) {
    shards_[0]->loop->Post([this, payload = std::move(payload)] { presence_->OnMessage(payload); });
  }
  // "rpc <name>": the nodes providing name changed.
  void OnControl(std::string payload) {
    if (!payload.starts_with("rpc ")) return;
    std::string name = payload.substr(4);
    Shard& shard = *shards_[shard_of_(name)];
    shard.loop->Post([&shard, name = std::move(name)] { shard.rpc->Refresh(name); });
  }
  // "<Q|P> <from node>\n<JSON message>", for the loop that owns the message's name.
  void OnDirect(std::string payload) {
    size_t space = payload.find(' ');
    size_t newline = payload.find('\n');
    Result<Message> msg = newline == std::string::npos
                              ? Result<Message>(Status::InvalidArgument("no newline"))
                              : json_wire::Decode(std::string_view(payload).substr(newline + 1));
    if (space == std::string::npos || space > newline || !msg.ok() || !msg->name ||
        msg->topic != Topic::kRpc) {
      spdlog::error("cluster: malformed message on this node's channel");
      return;
    }
    std::string from = payload.substr(space + 1, newline - space - 1);
    Shard& shard = *shards_[shard_of_(*msg->name)];
    shard.loop->Post([&shard, from = std::move(from), msg = std::move(*msg)]() mutable {
      shard.rpc->OnDirect(from, std::move(msg));
    });
  }
  // Every name some node provides, read from Redis (SCAN, from `cursor` on): at start and after
  // a gap, when "rpc <name>" notices may have been missed.
  void LoadProviders(const std::string& cursor) {
    node_->Call({"SCAN", cursor, "MATCH", "strata:rpc:*", "COUNT", "500"},
                [this](Result<RedisValue> r) {
                  if (!r.ok() || r->type != RedisValue::Type::kArray || r->elements.size() != 2) {
                    spdlog::warn("cluster: reading the RPC providers failed");
                    return;
                  }
                  for (const RedisValue& key : r->elements[1].elements) {
                    OnControl("rpc " + key.text.substr(std::string_view("strata:rpc:").size()));
                  }
                  if (r->elements[0].text != "0") LoadProviders(r->elements[0].text);
                });
  }
  void OnGap() {
    for (auto& shard : shards_) {
      shard->loop->Post([records = shard->records.get()] { records->OnGap(); });
    }
    shards_[0]->loop->Post([this] { presence_->Resync(); });
    LoadProviders("0");
  }

  const ServerOptions options_;
  std::unique_ptr<cluster::ClusterNode> node_;
  ShardOf shard_of_;
  std::vector<std::unique_ptr<Shard>> shards_;
  // On shard 0's loop.
  std::unique_ptr<cluster::LedgerSweeper> sweeper_;
  std::unique_ptr<cluster::ClusterPresence> presence_;
  std::unique_ptr<cluster::NodeRegistry> registry_;
};

}  // namespace

Result<std::unique_ptr<ClusterLink>> ClusterLink::Join(const ServerOptions& options,
                                                       ShardOf shard_of) {
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<cluster::ClusterNode> node,
                          cluster::ClusterNode::Start(options));
  return std::unique_ptr<ClusterLink>(
      new RedisClusterLink(options, std::move(node), std::move(shard_of)));
}

std::string_view ClusterLink::Support() { return "redis"; }

}  // namespace strata
