#pragma once
// Status and Result<T>: errors that the outside world can cause are values, never exceptions.
// Codes follow abseil's guidance (absl/status/status.h) for which code means what:
//   kInvalidArgument   bad config or client data
//   kNotFound          unknown plugin type or server (never a cache miss: a miss is nullopt)
//   kAlreadyExists     duplicate registration
//   kAborted           version conflict (VERSION_EXISTS)
//   kDeadlineExceeded  cache/storage retrieval timeout
//   kUnavailable       backend down; the call may be retried
//   kResourceExhausted queue full, backpressure
//   kFailedPrecondition used before Start
//   kDataLoss          corrupt stored data
//   kCancelled         shutdown
//   kInternal          a bug
// Thread-safety: values; safe to copy between threads.
//
// Bugs are not values: STRATA_CHECK(cond) (always on) and STRATA_DCHECK(cond) (debug builds only)
// abort with file:line and the condition when an invariant that only a bug can break does not
// hold. Never use them on data from outside (network, config, backends): that is a Status.

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

// STRATA_CHECK(cond): aborts, printing file:line and `cond`, when `cond` is false; in every build.
// For REQUIRES: of an API and states a bug alone can reach. STRATA_DCHECK(cond): the same in
// debug builds (NDEBUG unset), for checks too costly for release builds.
#define STRATA_CHECK(cond)                                        \
  do {                                                            \
    if (!(cond)) [[unlikely]] {                                   \
      ::strata::internal::CheckFailed(__FILE__, __LINE__, #cond); \
    }                                                             \
  } while (0)

#ifdef NDEBUG
// Compiled out, yet still type-checked; `cond` is never evaluated.
#define STRATA_DCHECK(cond) \
  do {                      \
    if (false) {            \
      (void)(cond);         \
    }                       \
  } while (0)
#else
#define STRATA_DCHECK(cond) STRATA_CHECK(cond)
#endif

namespace strata {
namespace internal {

// Prints "file:line: STRATA_CHECK failed: condition" to stderr and aborts.
[[noreturn]] void CheckFailed(const char* file, int line, const char* condition);

}  // namespace internal

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kAborted,
  kDeadlineExceeded,
  kUnavailable,
  kResourceExhausted,
  kFailedPrecondition,
  kDataLoss,
  kCancelled,
  kInternal,
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string_view message);

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string_view m) { return {StatusCode::kInvalidArgument, m}; }
  static Status NotFound(std::string_view m) { return {StatusCode::kNotFound, m}; }
  static Status AlreadyExists(std::string_view m) { return {StatusCode::kAlreadyExists, m}; }
  static Status Aborted(std::string_view m) { return {StatusCode::kAborted, m}; }
  static Status DeadlineExceeded(std::string_view m) { return {StatusCode::kDeadlineExceeded, m}; }
  static Status Unavailable(std::string_view m) { return {StatusCode::kUnavailable, m}; }
  static Status ResourceExhausted(std::string_view m) {
    return {StatusCode::kResourceExhausted, m};
  }
  static Status FailedPrecondition(std::string_view m) {
    return {StatusCode::kFailedPrecondition, m};
  }
  static Status DataLoss(std::string_view m) { return {StatusCode::kDataLoss, m}; }
  static Status Cancelled(std::string_view m) { return {StatusCode::kCancelled, m}; }
  static Status Internal(std::string_view m) { return {StatusCode::kInternal, m}; }

  bool ok() const { return rep_ == nullptr; }
  StatusCode code() const { return rep_ ? rep_->code : StatusCode::kOk; }
  std::string_view message() const { return rep_ ? std::string_view(rep_->message) : ""; }
  // "UNAVAILABLE: redis: connection refused", or "OK".
  std::string ToString() const;
  // Marks a status as deliberately ignored.
  void IgnoreError() const {}

 private:
  struct Rep {
    StatusCode code;
    std::string message;
  };
  std::shared_ptr<const Rep> rep_;  // null means OK (leveldb); shared so copies are cheap
};

// Holds either a value or a non-OK Status (the API of absl::StatusOr).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  // REQUIRES: !status.ok() (checked: an OK Result must hold a value).
  Result(Status status) : v_(std::move(status)) {  // NOLINT: implicit by design
    STRATA_CHECK(!std::get<Status>(v_).ok() && "Result constructed from an OK Status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  Status status() const { return ok() ? Status() : std::get<Status>(v_); }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<Status, T> v_;
};

}  // namespace strata

#define STRATA_CONCAT_INNER_(a, b) a##b
#define STRATA_CONCAT_(a, b) STRATA_CONCAT_INNER_(a, b)

#define STRATA_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::strata::Status strata_status_ = (expr);        \
    if (!strata_status_.ok()) return strata_status_; \
  } while (0)

#define STRATA_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return tmp.status();                 \
  lhs = std::move(tmp).value()

#define STRATA_ASSIGN_OR_RETURN(lhs, expr) \
  STRATA_ASSIGN_OR_RETURN_IMPL_(STRATA_CONCAT_(strata_result_, __LINE__), lhs, expr)
