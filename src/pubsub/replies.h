#pragma once
// Replies that every topic sends alike.
// Thread-safety: pure functions.

#include <cstdint>
#include <string_view>

#include "pubsub/route.h"
#include "strata/message.h"

namespace strata::replies {

// The request with isAck: the acks that carry their names (SUBSCRIBE_AND_READ, NOTIFY, LISTEN).
Message Echo(const Message& request);
// {topic, action, correlationId, isAck}: the ack of a bulk (un)subscribe, names not echoed.
Message BulkAck(const Message& request);
// The client already subscribes to `name` (already provides it, for RPC):
// MULTIPLE_SUBSCRIPTIONS (MULTIPLE_PROVIDERS) {name, originalAction}.
Message AlreadySubscribed(Topic topic, std::string_view name, int32_t original_action);

// The route of a topic whose bulk messages are (un)subscriptions (EVENT, RPC): a bulk message is
// acked at once (BulkAck) and split by owner; any other goes to the owner of its name, and a
// nameless one nowhere.
Route BulkOrOwner(Service service, const Message& msg, bool bulk);

}  // namespace strata::replies
