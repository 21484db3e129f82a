#include "cluster/cluster_node.h"

#include <future>
#include <random>

#include <spdlog/spdlog.h>

#include "cluster/redis_functions.h"

namespace strata::cluster {
namespace {

std::string NewNodeId() {
  std::random_device device;
  std::mt19937_64 random(static_cast<uint64_t>(device()) << 32 ^ device());
  char text[17];
  snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(random()));
  return text;
}

bool FunctionMissing(const RedisValue& reply) {
  return reply.type == RedisValue::Type::kError &&
         reply.text.find("Function not found") != std::string::npos;
}

// Waits for an asynchronous completion (startup only).
template <typename T>
T Await(const std::function<void(std::function<void(T)>)>& start) {
  auto promise = std::make_shared<std::promise<T>>();
  start([promise](T result) { promise->set_value(std::move(result)); });
  return promise->get_future().get();
}

}  // namespace

ClusterNode::ClusterNode(RedisOptions bus, std::string key_prefix, std::chrono::milliseconds probe)
    : id_(NewNodeId()),
      key_prefix_(std::move(key_prefix)),
      commands_(bus),
      subscriber_(
          bus, probe, [this](const std::string& c, std::string p) { OnMessage(c, std::move(p)); },
          [this] {
            if (handlers_.gap) handlers_.gap();
          }) {}

ClusterNode::~ClusterNode() { Stop(); }

Result<std::unique_ptr<ClusterNode>> ClusterNode::Start(const ServerOptions& options) {
  STRATA_ASSIGN_OR_RETURN(RedisOptions bus,
                          ParseRedisOptions(options.cluster.bus_options_json, "clusterNode"));
  STRATA_ASSIGN_OR_RETURN(RedisOptions cache,
                          ParseRedisOptions(options.cache.options_json, options.cache.yaml_path));
  if (bus.host != cache.host || bus.port != cache.port || bus.db != cache.db) {
    return Status::InvalidArgument("clusterNode.options: the cluster's Redis (" + bus.host + ":" +
                                   std::to_string(bus.port) + " db " + std::to_string(bus.db) +
                                   ") must be the cache's (" + cache.host + ":" +
                                   std::to_string(cache.port) + " db " + std::to_string(cache.db) +
                                   "): record versions are decided where the records are cached");
  }
  std::unique_ptr<ClusterNode> node(
      new ClusterNode(bus, cache.key_prefix, options.cluster.active_check_interval));
  STRATA_RETURN_IF_ERROR(node->Connect());
  return node;
}

Status ClusterNode::Connect() {
  commands_.SetEventListener([this](ConnectorEvent event, const Status& detail) {
    if (event == ConnectorEvent::kConnectionLost) {
      commands_up_ = false;
      spdlog::error("cluster: lost Redis ({}); record writes fail until it is back",
                    detail.ToString());
    } else if (event == ConnectorEvent::kConnectionRestored) {
      commands_up_ = true;
      spdlog::info("cluster: Redis reachable again");
    }
  });
  Status started = Await<Status>([this](DoneCallback done) { commands_.Start(std::move(done)); });
  STRATA_RETURN_IF_ERROR(started);
  commands_up_ = true;
  Result<RedisValue> loaded = Await<Result<RedisValue>>([this](auto done) {
    Submit({"FUNCTION", "LOAD", "REPLACE", std::string(kRedisFunctions)}, false, std::move(done));
  });
  if (!loaded.ok()) return loaded.status();
  if (loaded->type == RedisValue::Type::kError) {
    return Status::FailedPrecondition(
        "cluster: loading the function library into Redis failed "
        "(Redis 7 or newer is needed): " +
        loaded->text);
  }
  STRATA_RETURN_IF_ERROR(CheckEvictionPolicy());
  STRATA_RETURN_IF_ERROR(subscriber_.Start());
  spdlog::info("cluster: node {} joined over redis (functions loaded)", id_);
  return Status();
}

// Records whose latest change is not in storage yet live only in Redis: a policy that may evict
// any key could drop one. Records carry no expiry in a cluster, so the volatile-* policies and
// noeviction (Redis's default) never touch them.
Status ClusterNode::CheckEvictionPolicy() {
  Result<RedisValue> policy = CallAndWait({"CONFIG", "GET", "maxmemory-policy"});
  if (!policy.ok()) return policy.status();
  if (policy->type != RedisValue::Type::kArray || policy->elements.size() != 2) {
    // Managed Redis services often refuse CONFIG: nothing to check then.
    spdlog::warn(
        "cluster: could not read Redis's maxmemory-policy ({}); make sure it is "
        "noeviction or volatile-*, or records not yet in storage could be evicted",
        policy->type == RedisValue::Type::kError ? policy->text : "unexpected reply");
    return Status();
  }
  const std::string& value = policy->elements[1].text;
  if (value.starts_with("allkeys-")) {
    return Status::FailedPrecondition(
        "cluster: Redis's maxmemory-policy is " + value +
        ", which may evict records whose latest change is not in storage yet; set it to "
        "noeviction (Redis's default) or a volatile-* policy");
  }
  return Status();
}

void ClusterNode::Call(RedisCommand command, std::function<void(Result<RedisValue>)> done) {
  Submit(std::move(command), true, std::move(done));
}

void ClusterNode::Submit(RedisCommand command, bool may_reload,
                         std::function<void(Result<RedisValue>)> done) {
  ++sent_;
  RedisRequest request;
  request.commands.push_back(command);
  request.done = [this, command = std::move(command), may_reload,
                  done = std::move(done)](Result<std::vector<RedisValue>> replies) mutable {
    if (!replies.ok()) {
      ++errors_;
      return done(replies.status());
    }
    RedisValue reply = std::move(replies->front());
    if (may_reload && FunctionMissing(reply)) {
      ++reloads_;
      spdlog::warn("cluster: Redis lost the function library; loading it again");
      Submit({"FUNCTION", "LOAD", "REPLACE", std::string(kRedisFunctions)}, false,
             [](Result<RedisValue>) {});
      return Submit(std::move(command), false, std::move(done));
    }
    if (reply.type == RedisValue::Type::kError) ++errors_;
    done(std::move(reply));
  };
  commands_.Submit(std::move(request));
}

Result<RedisValue> ClusterNode::CallAndWait(RedisCommand command) {
  return Await<Result<RedisValue>>(
      [this, &command](auto done) { Submit(std::move(command), true, std::move(done)); });
}

void ClusterNode::Subscribe(const std::string& channel, std::function<void()> confirmed) {
  subscriber_.Subscribe(channel, std::move(confirmed));
}

void ClusterNode::Unsubscribe(const std::string& channel) { subscriber_.Unsubscribe(channel); }

void ClusterNode::Stop() {
  if (stopped_.exchange(true)) return;
  subscriber_.Stop();
  Await<Status>([this](DoneCallback done) { commands_.Close(std::move(done)); });
}

ClusterNodeStats ClusterNode::stats() const {
  return ClusterNodeStats{sent_.load(), errors_.load(), reloads_.load(), commands_up_.load(),
                          subscriber_.stats()};
}

std::string ClusterNode::Unhealthy() const {
  if (!commands_up_) return "cluster: Redis unreachable (commands)";
  if (!subscriber_.stats().connected) return "cluster: Redis unreachable (message bus)";
  return "";
}

void ClusterNode::OnMessage(const std::string& channel, std::string payload) {
  std::string_view c = channel;
  if (c.starts_with(kRecordChannel) && handlers_.record) {
    handlers_.record(std::string(c.substr(kRecordChannel.size())), std::move(payload));
  } else if (c.starts_with(kEventChannel) && handlers_.event) {
    handlers_.event(std::string(c.substr(kEventChannel.size())), std::move(payload));
  } else if (c == kPresenceChannel && handlers_.presence) {
    handlers_.presence(std::move(payload));
  } else if (c == kControlChannel && handlers_.control) {
    handlers_.control(std::move(payload));
  } else if (c.starts_with(kNodeChannel) && handlers_.direct) {
    handlers_.direct(std::move(payload));
  }
}

}  // namespace strata::cluster
