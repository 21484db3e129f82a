#pragma once
// The answer to a record read (RecordStore::Get): the record, or why it could not be read and in
// which backend. The backend is a typed field, so that the protocol layer tells a cache timeout
// from a storage timeout without reading error messages (record_messages.h, ReadErrorAction).
// Thread-safety: values.

#include <functional>
#include <optional>
#include <utility>

#include "strata/record_value.h"
#include "strata/status.h"

namespace strata {

// The backend a read failed in.
enum class ReadBackend { kCache, kStorage };

// A failed read: the backend's own error, or kDeadlineExceeded when it did not answer within its
// timeout, and the backend it came from. It is a Status, so it goes wherever a Status goes (the
// backend is then left behind).
class [[nodiscard]] ReadError : public Status {
 public:
  ReadError(Status status, ReadBackend backend) : Status(std::move(status)), backend_(backend) {}

  ReadBackend backend() const { return backend_; }

 private:
  ReadBackend backend_;
};

// What a read answers: the record (nullopt = no such record) or a ReadError. It is a
// Result<std::optional<RecordValue>>, so a caller that does not care about the backend takes it
// as one.
class [[nodiscard]] ReadResult : public Result<std::optional<RecordValue>> {
 public:
  ReadResult(std::optional<RecordValue> value)  // NOLINT: implicit by design
      : Result(std::move(value)) {}
  ReadResult(ReadError error)  // NOLINT: implicit by design; REQUIRES: !error.ok()
      : Result(static_cast<const Status&>(error)), backend_(error.backend()) {}

  // The error and its backend; OK (with no meaningful backend) when ok().
  ReadError status() const { return ReadError(Result::status(), backend_); }

 private:
  ReadBackend backend_ = ReadBackend::kCache;  // meaningful only when !ok()
};

using ReadCallback = std::function<void(ReadResult)>;

}  // namespace strata
