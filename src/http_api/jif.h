#pragma once
// JIF, the JSON interchange format of deepstream's HTTP API (PROTOCOL.md 6): each element of a
// POST /api body is turned into the Message a socket client would send, and each reply the
// server sends back for it is turned into the element's result. The HTTP API therefore runs on
// exactly the same handlers (and, later, permissions) as WebSocket clients.
//
// Thread-safety: free functions.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "strata/message.h"
#include "strata/status.h"

namespace strata::http_api {

struct JifRequest {
  Message message;
  // An event emit expects no reply: it succeeds once handed to the server.
  bool done_when_sent = false;
};

// kInvalidArgument when `jif` is not one of the JIF messages (topic event/rpc/record/list/
// presence with their actions and required fields, nothing extra, names non-empty, write data an
// object or array unless a path is given, versions integers >= -1).
// `correlation_id` is set on the messages that get replies, to pair them with the request.
Result<JifRequest> ParseJif(const rapidjson::Value& jif, const std::string& correlation_id);

// One element of the response body.
struct JifElement {
  bool success = false;
  std::string json;
};

// A reply's JIF result element, or nullopt for an intermediate reply (RPC accept, request ack)
// after which the final one is still to come.
std::optional<JifElement> JifResult(const Message& reply);

// Success without a reply (event emit), and the element for a message that got no final reply
// within requestTimeout.
JifElement JifSuccess();
JifElement JifTimeout();

// {"result":"SUCCESS"|"PARTIAL_SUCCESS"|"FAILURE","body":[...]} from the elements in order.
std::string JifResponse(const std::vector<JifElement>& elements);

}  // namespace strata::http_api
