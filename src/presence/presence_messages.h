#pragma once
// The messages the PRESENCE topic sends, with exactly the fields deepstream 7 puts on them
// (PROTOCOL.md 2.12; the official client relies on field presence, 2.2).
// Thread-safety: pure functions.

#include <cstdint>
#include <string>
#include <vector>

#include "presence/online_users.h"
#include "strata/message.h"

namespace strata::presence_messages {

// SUBSCRIBE/UNSUBSCRIBE: {action, correlationId, isAck} (names not echoed).
// SUBSCRIBE_ALL/UNSUBSCRIBE_ALL: {action, isAck} only, even when the request had a correlationId.
Message Ack(const Message& request);

// PRESENCE_JOIN(_ALL) / PRESENCE_LEAVE(_ALL) {name: user}.
Message Announcement(int32_t action, const std::string& user);

// QUERY_ALL_RESPONSE {names} (no correlationId, as deepstream).
Message QueryAllResponse(std::vector<std::string> users);

// QUERY_RESPONSE {data, correlationId?}: data is what JSON.stringify makes of deepstream's
// {user: online} object (see QueryResponseData).
Message QueryResponse(const Message& request, const OnlineUsers& online);

// Compact JSON object {"<name>": <online>} as JSON.stringify writes a JS object built by
// assigning the names in order: a repeated name appears once, at its first position, and names
// that are array indices ("0".."4294967294" without leading zeros) come first in numeric order.
std::string QueryResponseData(const std::vector<std::string>& names, const OnlineUsers& online);

}  // namespace strata::presence_messages
