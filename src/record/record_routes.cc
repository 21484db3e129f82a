#include "record/record_routes.h"

#include <string>

#include "pubsub/replies.h"
#include "record/record_messages.h"

namespace strata::record_routes {
namespace ra = record_action;
namespace {

Route Split(std::optional<Message> reply) {
  return Route{
      .service = Service::kRecords, .delivery = Delivery::kSplit, .reply = std::move(reply)};
}

// Every other record action is about one named record.
Route ToOwner(const Message& msg) {
  Route route{.service = Service::kRecords};
  if (msg.name) {
    route.delivery = Delivery::kOwner;
  } else if (msg.action < ra::kCacheRetrievalTimeout) {
    route.reply = record_messages::InvalidData(msg);
  }
  return route;
}

}  // namespace

Route RouteOf(const Message& msg) {
  switch (msg.action) {
    case ra::kSubscribeCreateAndRead:
    case ra::kSubscribeAndRead:
      return Split(replies::Echo(msg));
    case ra::kSubscribe:
    case ra::kUnsubscribe:
    case ra::kSubscribeAndHead:
      return Split(replies::BulkAck(msg));
    case ra::kNotify:
      return Route{
          .service = Service::kRecords,
          .delivery = Delivery::kSplitJoined,
          .joined_reply = [msg](const Status& status) { return NotifyReply(msg, status); }};
    default:
      return ToOwner(msg);
  }
}

Message NotifyReply(const Message& request, const Status& status) {
  if (status.ok()) return replies::Echo(request);
  Message error = replies::BulkAck(request);
  error.action = ra::kRecordNotifyError;
  error.is_ack.reset();
  error.is_error = true;
  error.data = std::string(status.message());
  return error;
}

}  // namespace strata::record_routes
