#pragma once
// StorageConnector: a durable store of records, the contract every storage backend implements
// (embedded SQLite, PostgreSQL, ...). It stores opaque JSON text plus a version per record name;
// how it lays them out is its own business (its serialisation).
//
// Lifecycle: created with its options, not ready until Start() reports OK (strata waits up to
// dependencyInitializationTimeout). Close() flushes and disconnects; it is idempotent.
//
// Errors: an operation's failure goes to that operation's callback as a Status, never thrown.
// kUnavailable means "backend down, retry later" (strata keeps and retries the write); any other
// code is final for that operation. A missing record is not an error: Get answers nullopt.
// General errors (connection lost, restored) are reported through the EventListener.
//
// Threading: every method may be called from any strata loop thread; implementations are
// thread-safe. Completions follow the connector contract in strata/callback.h (any thread, may
// be synchronous).

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "strata/callback.h"
#include "strata/record_value.h"

namespace strata {

// Connection-level events a connector reports apart from per-operation errors.
enum class ConnectorEvent { kConnectionLost, kConnectionRestored, kError };
using ConnectorEventListener =
    std::function<void(ConnectorEvent event, std::string_view connector, const Status& detail)>;

// GetBulk's answer: one entry per requested name, in the order asked (nullopt = no such record).
using GetBulkResult = std::vector<std::optional<RecordValue>>;

// Fenced writes (clusters; the ABI's STRATA_CAP_FENCED in strata/connector_abi.h). `fence` is the
// record's cluster-wide sequence number: it grows strictly with every write of the record, on
// whichever node. A fenced write is applied only where the stored fence is lower, or absent (the
// record was written unfenced, or by another program); a fenced delete leaves a tombstone
// carrying its fence, which Get/GetBulk answer as nullopt and which fences older sets.
struct FencedValue {
  std::string name;
  RecordValue value;
  uint64_t fence = 0;
};
struct FencedName {
  std::string name;
  uint64_t fence = 0;
};
// One entry per row, in the order given: true = applied, false = fenced (storage already held a
// newer fence: superseded, which is a success for the caller).
using FencedResult = std::vector<bool>;

class StorageConnector {
 public:
  virtual ~StorageConnector() = default;

  // Registered type, e.g. "sqlite", "memory", "none".
  virtual std::string_view Name() const = 0;
  // Connects; `ready` gets OK once operations can be served.
  virtual void Start(DoneCallback ready) = 0;
  // Flushes and disconnects. Idempotent.
  virtual void Close(DoneCallback done) = 0;
  // Called once before Start(); the listener may be called from any thread.
  virtual void SetEventListener(ConnectorEventListener listener) { (void)listener; }

  // nullopt = no such record.
  virtual void Get(std::string_view name, Callback<std::optional<RecordValue>> cb) = 0;
  virtual void Set(std::string_view name, const RecordValue& value, DoneCallback cb) = 0;
  // Deleting a missing record is OK.
  virtual void Delete(std::string_view name, DoneCallback cb) = 0;

  // Batched forms: one completion for the whole batch. The defaults loop over Get/Set/Delete;
  // override to do better (one query, one transaction, a pipeline). GetBulk fails as a whole:
  // an error for any name is the batch's error. Names in one GetBulk are distinct.
  virtual void GetBulk(std::span<const std::string> names, Callback<GetBulkResult> cb);
  virtual void SetBulk(std::span<const NamedValue> batch, DoneCallback cb);
  virtual void DeleteBulk(std::span<const std::string> names, DoneCallback cb);

  // Fenced writes (see FencedValue). A connector that implements them answers true here; the
  // defaults fail with kFailedPrecondition ("<name> does not support fenced writes"). Errors
  // fail the whole batch (no row may then be assumed written or not). REQUIRES: names in one
  // batch are distinct. An unfenced Set over a tombstone or a fenced record overwrites it and
  // clears its fence; an unfenced Delete removes it, tombstone included.
  virtual bool SupportsFencing() const { return false; }
  virtual void SetBulkFenced(std::span<const FencedValue> batch, Callback<FencedResult> cb);
  virtual void DeleteBulkFenced(std::span<const FencedName> names, Callback<FencedResult> cb);
};

}  // namespace strata
