#pragma once
// Route: how one client message travels from the loop that received it to the handlers that own
// what it names, and what the sender is told at once. Each topic states its routes next to its
// handler (RecordRoutes, EventHandler::RouteOf, ...); a router carries them out (the shard router
// over the loops of one process, server/shard_router.h; later a cluster router across nodes).
// Keeping the two apart keeps topic protocol out of the router and routing out of the topics.
//
// Thread-safety: a value type.

#include <cstdint>
#include <functional>
#include <optional>

#include "strata/message.h"
#include "strata/status.h"

namespace strata {

// Which handler of a shard receives the message.
enum class Service : uint8_t {
  kRecords,
  kEvents,
  kRpcs,
  kPresence,         // kept on one shard: presence is about users, not names
  kRecordListeners,  // LISTEN_ACCEPT / LISTEN_REJECT on RECORD
  kEventListeners,   // LISTEN_ACCEPT / LISTEN_REJECT on EVENT
  kListenPatterns,   // LISTEN / UNLISTEN, on the sender's own shard
};
inline constexpr size_t kServiceCount = 7;

// Where on the shards the message goes.
enum class Delivery : uint8_t {
  kNone,               // nowhere: the reply (if any) was the whole answer, or it is ignored
  kOwner,              // the shard that owns msg.name
  kSubscriptionOwner,  // the shard that owns msg.subscription
  kSplit,              // msg.names, each part to the shard owning those names
  kSplitJoined,        // kSplit, then joined_reply once every part is done
  kFirstShard,         // shard 0, which keeps the service's state
  kHomeShard,          // the sender's own shard (Client::home_shard), at once
};

struct Route {
  Service service = Service::kRecords;
  Delivery delivery = Delivery::kNone;
  // Sent to the sender at once, before the message goes on.
  std::optional<Message> reply;
  // kSplitJoined: the reply once every part is done; the status is the first error, if any.
  std::function<Message(const Status& status)> joined_reply;
};

}  // namespace strata
