#pragma once
// RecordRoutes: how a RECORD message (listening aside, see listen/listen_front.h) reaches the
// loops that own its records, and what the sender is told before it does (PROTOCOL.md 2.9):
//   SUBSCRIBE_AND_READ, SUBSCRIBE_CREATE_AND_READ  echoed with isAck (names included), then
//                                                  split by owner
//   SUBSCRIBE, UNSUBSCRIBE, SUBSCRIBE_AND_HEAD     acked {action, correlationId}, then split
//   NOTIFY                                         split; once every owner has re-read its
//                                                  names: echoed with isAck, or
//                                                  RECORD_NOTIFY_ERROR {correlationId, data}
//   any other action                               to the owner of its name; without a name:
//                                                  INVALID_MESSAGE_DATA (client actions only)
//
// Thread-safety: pure functions.

#include "pubsub/route.h"
#include "strata/message.h"
#include "strata/status.h"

namespace strata::record_routes {

Route RouteOf(const Message& msg);
// NOTIFY's reply once every part is done (`status`: the first error, if any).
Message NotifyReply(const Message& request, const Status& status);

}  // namespace strata::record_routes
