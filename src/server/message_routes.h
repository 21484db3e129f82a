#pragma once
// The route of any client message: each topic's own rules (record_routes.h,
// EventHandler::RouteOf, RpcHandler::RouteOf, PresenceHandler::RouteOf), with listening first,
// since it shares RECORD and EVENT with the rest (ListenFront::RouteOf). Topics nobody serves
// are not routed: sessions answer those themselves.
// Thread-safety: a pure function.

#include "pubsub/route.h"
#include "strata/message.h"

namespace strata {

Route RouteOf(const Message& msg);

}  // namespace strata
