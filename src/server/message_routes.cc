#include "server/message_routes.h"

#include "event/event_handler.h"
#include "listen/listen_front.h"
#include "presence/presence_handler.h"
#include "record/record_routes.h"
#include "rpc/rpc_handler.h"

namespace strata {

Route RouteOf(const Message& msg) {
  if (std::optional<Route> listening = ListenFront::RouteOf(msg)) return *std::move(listening);
  switch (msg.topic) {
    case Topic::kRecord:
      return record_routes::RouteOf(msg);
    case Topic::kEvent:
      return EventHandler::RouteOf(msg);
    case Topic::kRpc:
      return RpcHandler::RouteOf(msg);
    case Topic::kPresence:
      return PresenceHandler::RouteOf(msg);
    default:
      return Route{};
  }
}

}  // namespace strata
