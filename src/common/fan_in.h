#pragma once
// Fan-in joins: one completion for a fixed number of asynchronous parts ("count down, first error
// wins, then call done"), written once.
//
//   DoneCallback part = FanIn(names.size(), std::move(done));
//   for (const std::string& name : names) connector.Delete(name, part);
//
// FanIn(parts, done) returns the DoneCallback that each of the `parts` parts calls exactly once
// (all copies share one join). Once every part has reported, `done` gets the first non-OK Status
// reported (first in the order the reports arrived), or OK when all succeeded.
//
// FanInValues<T>(parts, done) is the same for parts that each produce a value: part i calls the
// returned PartCallback with (i, its Result<T>), and `done` gets the values in part order, or the
// first error (the values are then dropped). T must be default-constructible.
//
// Contract:
// - Thread-safety: parts may report from any threads, concurrently (the join has a mutex).
// - `done` runs exactly once, on the thread of the part that reports last, inside that report and
//   after the join has released its lock, so `done` may start more work or destroy the owner.
// - Zero parts: `done` runs at once, on the calling thread, before FanIn returns (with OK, or no
//   values). A caller bound to "never before the call returns" must post `done` itself.
// - More reports than `parts`, or a part index out of range, is a bug (STRATA_CHECK).
// Header-only, so that connector plugins can use it without linking strata_common.

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "strata/callback.h"
#include "strata/status.h"

namespace strata {

// What a part of FanInValues reports: its index, then its value or its error.
template <typename T>
using PartCallback = std::function<void(size_t index, Result<T> part)>;

namespace fan_in_internal {

// The shared state of one join. Values is an empty struct for FanIn.
template <typename Values, typename Done>
struct Join {
  std::mutex mu;
  size_t remaining;    // guarded by mu
  Status first_error;  // guarded by mu
  Values values;       // guarded by mu
  Done done;

  // Counts one report (after `record` stored its value, under the lock); true for the last one.
  template <typename Record>
  bool Report(const Status& status, Record&& record) {
    std::lock_guard lock(mu);
    STRATA_CHECK(remaining > 0 && "a fan-in part reported more than once");
    if (!status.ok()) {
      if (first_error.ok()) first_error = status;
    } else {
      record(values);
    }
    return --remaining == 0;
  }
};

struct NoValues {};

}  // namespace fan_in_internal

[[nodiscard]] inline DoneCallback FanIn(size_t parts, DoneCallback done) {
  using Join = fan_in_internal::Join<fan_in_internal::NoValues, DoneCallback>;
  if (parts == 0) {
    done(Status());
    return [](Status) { STRATA_CHECK(false && "a part of a fan-in of zero parts reported"); };
  }
  auto join = std::make_shared<Join>();
  join->remaining = parts;
  join->done = std::move(done);
  return [join](Status status) {
    if (!join->Report(status, [](fan_in_internal::NoValues&) {})) return;
    // The last report: nothing else touches the join any more.
    DoneCallback done = std::move(join->done);
    done(std::move(join->first_error));
  };
}

template <typename T>
[[nodiscard]] PartCallback<T> FanInValues(size_t parts, Callback<std::vector<T>> done) {
  using Join = fan_in_internal::Join<std::vector<T>, Callback<std::vector<T>>>;
  if (parts == 0) {
    done(std::vector<T>());
    return [](size_t, Result<T>) {
      STRATA_CHECK(false && "a part of a fan-in of zero parts reported");
    };
  }
  auto join = std::make_shared<Join>();
  join->remaining = parts;
  join->values.resize(parts);
  join->done = std::move(done);
  return [join, parts](size_t index, Result<T> part) {
    STRATA_CHECK(index < parts);
    const bool last = join->Report(
        part.status(), [&](std::vector<T>& values) { values[index] = std::move(part).value(); });
    if (!last) return;
    Callback<std::vector<T>> done = std::move(join->done);
    if (!join->first_error.ok()) return done(std::move(join->first_error));
    done(std::move(join->values));
  };
}

}  // namespace strata
