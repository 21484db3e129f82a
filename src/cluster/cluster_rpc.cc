#include "cluster/cluster_rpc.h"

#include <atomic>

#include <spdlog/spdlog.h>

#include "protocol/json/json_codec.h"

namespace strata::cluster {
namespace rpa = rpc_action;
namespace {

// Stand-ins get ids far above the connections' (which count up from 1 per process).
std::atomic<uint64_t> next_stand_id{uint64_t{1} << 56};

std::string NodeChannel(const std::string& node) { return std::string(kNodeChannel) + node; }

}  // namespace

// Another node, as a client of this loop's RpcHandler: as a provider (requests sent to it are
// published to that node) and as a requestor (replies sent to it go back to that node).
class ClusterRpc::Stand final : public Client {
 public:
  Stand(ClusterRpc& rpc, std::string node)
      : rpc_(rpc), node_(std::move(node)), id_(++next_stand_id) {}
  uint64_t id() const override { return id_; }
  const std::string& user_id() const override { return node_; }
  bool connected() const override { return true; }
  bool remote() const override { return true; }
  void Send(const Broadcast& msg) override { Send(msg.message()); }
  void Send(const Message& msg) override {
    switch (msg.action) {
      case rpa::kRequest: {
        // To that node's providers. Nobody received it: the node is gone, so the request moves
        // on as if rejected (it cannot have run).
        Message reject;
        reject.topic = Topic::kRpc;
        reject.action = rpa::kReject;
        reject.name = msg.name;
        reject.correlation_id = msg.correlation_id;
        auto self = rpc_.stands_.at(node_);
        return rpc_.Publish(node_, 'Q', msg,
                            [self, reject] { self->rpc_.handler_.Handle(self, reject); });
      }
      case rpa::kAccept:
      case rpa::kResponse:
      case rpa::kRequestError:
        return rpc_.Publish(node_, 'P', msg, nullptr);
      case rpa::kNoRpcProvider: {
        // None of this node's providers took it: the requesting node tries its next one.
        Message reject = msg;
        reject.action = rpa::kReject;
        return rpc_.Publish(node_, 'P', reject, nullptr);
      }
      default:
        // Timeouts and errors about a request are the requesting node's to decide and send.
        return;
    }
  }

 private:
  ClusterRpc& rpc_;
  const std::string node_;
  const uint64_t id_;
};

ClusterRpc::ClusterRpc(ClusterNode& node, Executor& loop, RpcHandler& handler)
    : node_(node), loop_(loop), handler_(handler) {}

ClusterRpc::~ClusterRpc() { *alive_ = false; }

void ClusterRpc::LocalProviders(const std::string& name, bool providing) {
  if (providing) {
    provided_.insert(name);
  } else {
    provided_.erase(name);
  }
  const char* function = providing ? "strata_rpc_provide" : "strata_rpc_unprovide";
  node_.Call({"FCALL", function, "0", node_.id(), name}, [function, name](Result<RedisValue> r) {
    if (r.ok() && r->type == RedisValue::Type::kInteger) return;
    spdlog::warn("cluster: {} '{}' failed: {}", function, name,
                 r.ok() ? r->text : r.status().ToString());
  });
}

void ClusterRpc::Replay() {
  for (const std::string& name : provided_) LocalProviders(name, true);
}

void ClusterRpc::Refresh(const std::string& name) {
  node_.Call({"SMEMBERS", "strata:rpc:" + name},
             [this, alive = alive_, name](Result<RedisValue> r) {
               loop_.Post([this, alive, name, r = std::move(r)] {
                 if (!*alive || !r.ok() || r->type != RedisValue::Type::kArray) return;
                 std::set<std::string> now;
                 for (const RedisValue& node : r->elements) {
                   if (node.text != node_.id()) now.insert(node.text);
                 }
                 std::set<std::string>& known = remote_[name];
                 for (const std::string& gone : known) {
                   if (!now.contains(gone))
                     handler_.RemoveRemoteProvider(name, StandFor(gone)->id());
                 }
                 for (const std::string& added : now) {
                   if (!known.contains(added)) handler_.AddRemoteProvider(name, StandFor(added));
                 }
                 known = std::move(now);
                 if (known.empty()) remote_.erase(name);
               });
             });
}

std::shared_ptr<ClusterRpc::Stand> ClusterRpc::StandFor(const std::string& node) {
  auto [it, inserted] = stands_.try_emplace(node);
  if (inserted) it->second = std::make_shared<Stand>(*this, node);
  return it->second;
}

// A request for this node's providers, or a provider's answer for this node's requestor: either
// way it enters the handler from the other node's stand-in.
void ClusterRpc::OnDirect(const std::string& from, Message msg) {
  handler_.Handle(StandFor(from), std::move(msg));
}

void ClusterRpc::Publish(const std::string& node, char kind, const Message& msg,
                         std::function<void()> unreachable) {
  std::string payload = std::string(1, kind) + " " + node_.id() + "\n" + json_wire::Encode(msg);
  node_.Call(
      {"PUBLISH", NodeChannel(node), std::move(payload)},
      [this, alive = alive_, node, unreachable = std::move(unreachable)](Result<RedisValue> r) {
        const bool nobody = r.ok() && r->type == RedisValue::Type::kInteger && r->integer == 0;
        if (!r.ok() || r->type == RedisValue::Type::kError) {
          // Not sent (Redis unreachable): the request times out; it is never sent twice.
          spdlog::warn("cluster: RPC message to node {} not sent: {}", node,
                       r.ok() ? r->text : r.status().ToString());
          return;
        }
        if (nobody && unreachable) {
          loop_.Post([alive, unreachable] {
            if (*alive) unreachable();
          });
        }
      });
}

}  // namespace strata::cluster
