#pragma once
// Builders for the RECORD messages strata sends, with exactly the fields deepstream 7.0.2 puts on
// each (PROTOCOL.md 2.2 and 2.9: field presence decides whether the official client works), and
// the one place where a data-path Status becomes a protocol error action.
// Thread-safety: pure functions.

#include <string>
#include <string_view>

#include "record/read_result.h"
#include "strata/message.h"
#include "strata/record_value.h"
#include "strata/status.h"

namespace strata::record_messages {

Message ReadResponse(std::string_view name, Version version, std::string_view data);
Message HeadResponse(std::string_view name, Version version);
// UPDATE/PATCH as other subscribers receive them (isWriteAck:false, no correlationId).
Message Update(std::string_view name, Version version, std::string_view data);
Message Patch(std::string_view name, Version version, std::string_view path,
              const std::optional<std::string>& data);
Message Named(int32_t action, std::string_view name);  // DELETE_SUCCESS, DELETED, ...
Message WriteAck(std::string_view name, std::string_view correlation_id);
// VERSION_EXISTS / INVALID_VERSION: the server's current version (and data for VERSION_EXISTS),
// carrying the write's ack fields so the client can fail its callback. INVALID_VERSION is marked
// isError (deepstream does not): the official client's write-ack service reports any non-error
// message with isWriteAck as success, and a client whose write was refused (e.g. by a permission)
// is a version ahead, so its next write would otherwise look acknowledged while nothing was
// written.
Message VersionConflict(int32_t action, const Message& write, Version current,
                        std::optional<std::string_view> current_data);
// INVALID_MESSAGE_DATA: the offending message echoed with originalAction.
Message InvalidData(const Message& msg);
// `action` error for `msg`: {name, isError, originalAction} plus the write-ack fields when asked.
Message Error(int32_t action, const Message& msg, bool with_original_action = true);
// The error action a failed read reports: CACHE_/STORAGE_RETRIEVAL_TIMEOUT for a timeout, by the
// backend that timed out, else RECORD_LOAD_ERROR.
int32_t ReadErrorAction(const ReadError& error);

}  // namespace strata::record_messages
