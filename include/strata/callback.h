#pragma once
// Callback types for asynchronous APIs.
//
// CONTRACT inside strata (RecordStore and everything above it): a callback runs exactly once,
// on the caller's Executor, never before the initiating call returns.
// CONTRACT for connectors (StorageConnector, CacheConnector): a completion runs exactly once, but
// may run on any thread, and may run before the initiating call returns; the RecordStore brings
// it home to its own loop.

#include <functional>

#include "strata/status.h"

namespace strata {

template <typename T>
using Callback = std::function<void(Result<T>)>;
using DoneCallback = std::function<void(Status)>;

}  // namespace strata
