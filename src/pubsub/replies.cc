#include "pubsub/replies.h"

#include <string>

namespace strata::replies {
namespace {

int32_t AlreadySubscribedAction(Topic topic) {
  switch (topic) {
    case Topic::kRecord:
      return record_action::kMultipleSubscriptions;
    case Topic::kEvent:
      return event_action::kMultipleSubscriptions;
    case Topic::kRpc:
      return rpc_action::kMultipleProviders;
    default:
      return presence_action::kMultipleSubscriptions;
  }
}

}  // namespace

Message Echo(const Message& request) {
  Message echo = request;
  echo.is_ack = true;
  return echo;
}

Message BulkAck(const Message& request) {
  Message ack;
  ack.topic = request.topic;
  ack.action = request.action;
  ack.correlation_id = request.correlation_id;
  ack.is_ack = true;
  return ack;
}

Route BulkOrOwner(Service service, const Message& msg, bool bulk) {
  Route route;
  route.service = service;
  if (bulk) {
    route.reply = BulkAck(msg);
    route.delivery = Delivery::kSplit;
  } else if (msg.name) {
    route.delivery = Delivery::kOwner;
  }
  return route;
}

Message AlreadySubscribed(Topic topic, std::string_view name, int32_t original_action) {
  Message dup;
  dup.topic = topic;
  dup.action = AlreadySubscribedAction(topic);
  dup.name = std::string(name);
  dup.original_action = original_action;
  return dup;
}

}  // namespace strata::replies
