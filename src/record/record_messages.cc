#include "record/record_messages.h"

namespace strata::record_messages {
namespace {

Message Base(int32_t action, std::string_view name) {
  Message m;
  m.topic = Topic::kRecord;
  m.action = action;
  m.name = std::string(name);
  return m;
}

void CopyAckFields(const Message& from, Message& to) {
  if (from.is_write_ack.value_or(false)) {
    to.is_write_ack = true;
    to.correlation_id = from.correlation_id;
  }
}

}  // namespace

Message ReadResponse(std::string_view name, Version version, std::string_view data) {
  Message m = Base(record_action::kReadResponse, name);
  m.version = version;
  m.data = std::string(data);
  return m;
}

Message HeadResponse(std::string_view name, Version version) {
  Message m = Base(record_action::kHeadResponse, name);
  m.version = version;
  return m;
}

Message Update(std::string_view name, Version version, std::string_view data) {
  Message m = Base(record_action::kUpdate, name);
  m.version = version;
  m.data = std::string(data);
  m.is_write_ack = false;
  return m;
}

Message Patch(std::string_view name, Version version, std::string_view path,
              const std::optional<std::string>& data) {
  Message m = Base(record_action::kPatch, name);
  m.version = version;
  m.path = std::string(path);
  m.data = data;
  m.is_write_ack = false;
  return m;
}

Message Named(int32_t action, std::string_view name) { return Base(action, name); }

Message WriteAck(std::string_view name, std::string_view correlation_id) {
  Message m = Base(record_action::kWriteAcknowledgement, name);
  m.correlation_id = std::string(correlation_id);
  m.is_write_ack = true;
  return m;
}

Message VersionConflict(int32_t action, const Message& write, Version current,
                        std::optional<std::string_view> current_data) {
  Message m = Base(action, write.name.value_or(""));
  m.original_action = write.action == record_action::kPatch ||
                              write.action == record_action::kCreateAndPatch ||
                              write.action == record_action::kErase
                          ? record_action::kPatch
                          : record_action::kUpdate;
  m.version = current;
  if (action == record_action::kInvalidVersion) m.is_error = true;
  if (current_data) {
    m.data = std::string(*current_data);
  } else {
    m.data = write.data;
  }
  CopyAckFields(write, m);
  return m;
}

Message InvalidData(const Message& msg) {
  Message m = msg;
  m.action = record_action::kInvalidMessageData;
  m.original_action = msg.action;
  m.names.clear();
  return m;
}

Message Error(int32_t action, const Message& msg, bool with_original_action) {
  Message m = Base(action, msg.name.value_or(""));
  m.is_error = true;
  if (with_original_action) m.original_action = msg.action;
  CopyAckFields(msg, m);
  return m;
}

int32_t ReadErrorAction(const ReadError& error) {
  if (error.code() != StatusCode::kDeadlineExceeded) return record_action::kRecordLoadError;
  switch (error.backend()) {
    case ReadBackend::kCache:
      return record_action::kCacheRetrievalTimeout;
    case ReadBackend::kStorage:
      return record_action::kStorageRetrievalTimeout;
  }
  return record_action::kRecordLoadError;  // unreachable: the switch covers every backend
}

}  // namespace strata::record_messages
