#include "cluster/node_registry.h"

#include <chrono>
#include <random>

#include <spdlog/spdlog.h>

namespace strata::cluster {
namespace {

std::string LeaseKey(const std::string& id) { return "strata:node:" + id; }

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

NodeRegistry::NodeRegistry(ClusterNode& node, Executor& loop, const ClusterOptions& options,
                           std::function<void()> on_lease_lost)
    : node_(node), loop_(loop), options_(options), on_lease_lost_(std::move(on_lease_lost)) {}

Status NodeRegistry::Register() {
  Result<RedisValue> leased =
      node_.CallAndWait({"SET", LeaseKey(node_.id()), std::to_string(NowMs()), "PX",
                         std::to_string(options_.node_inactive_timeout.count())});
  Result<RedisValue> listed =
      node_.CallAndWait({"ZADD", "strata:nodes", std::to_string(NowMs()), node_.id()});
  for (const Result<RedisValue>* r : {&leased, &listed}) {
    if (!r->ok()) return r->status();
    if ((*r)->type == RedisValue::Type::kError) {
      return Status::Unavailable("cluster: registering the node failed: " + (*r)->text);
    }
  }
  held_ = true;
  return Status();
}

void NodeRegistry::Leave() {
  (void)node_.CallAndWait({"DEL", LeaseKey(node_.id())});  // best effort: else the reaper will
  (void)node_.CallAndWait({"FCALL", "strata_reap", "0"});
  held_ = false;
}

void NodeRegistry::Start() {
  loop_.PostAfter(options_.keep_alive_interval, [this] { Renew(); });
  loop_.PostAfter(options_.active_check_interval, [this] { Reap(); });
}

MembershipStats NodeRegistry::stats() const {
  return MembershipStats{renewals_.load(), lost_.load(), reaped_.load(), held_.load()};
}

// XX: renews only a lease that still exists. Nil means it expired: other nodes may have reaped
// this one, so it takes the lease again and restores what it owns.
void NodeRegistry::Renew() {
  node_.Call({"SET", LeaseKey(node_.id()), std::to_string(NowMs()), "XX", "PX",
              std::to_string(options_.node_inactive_timeout.count())},
             [this](Result<RedisValue> r) {
               loop_.Post([this, r = std::move(r)] {
                 loop_.PostAfter(options_.keep_alive_interval, [this] { Renew(); });
                 if (!r.ok() || r->type == RedisValue::Type::kError) {
                   held_ = false;  // Redis unreachable: the health check says so already
                   return;
                 }
                 ++renewals_;
                 if (r->type != RedisValue::Type::kNil) {
                   held_ = true;
                   return;
                 }
                 ++lost_;
                 spdlog::error(
                     "cluster: node {} found its lease expired (paused or cut off longer than "
                     "nodeInactiveTimeout); taking it again and restoring its presence and "
                     "providers",
                     node_.id());
                 if (Register().ok()) on_lease_lost_();
               });
             });
}

void NodeRegistry::Reap() {
  node_.Call({"FCALL", "strata_reap", "0"}, [this](Result<RedisValue> r) {
    loop_.Post([this, r = std::move(r)] {
      // Jittered so that nodes started together do not reap in lockstep.
      static thread_local std::minstd_rand random(std::random_device{}());
      auto period = options_.active_check_interval;
      auto jitter = std::chrono::milliseconds(random() % (period.count() / 4 + 1));
      loop_.PostAfter(period + jitter, [this] { Reap(); });
      if (!r.ok() || r->type != RedisValue::Type::kArray) return;
      for (const RedisValue& id : r->elements) {
        ++reaped_;
        spdlog::warn(
            "cluster: node {} stopped renewing its lease; its users left and its "
            "providers are gone",
            id.text);
      }
    });
  });
}

}  // namespace strata::cluster
