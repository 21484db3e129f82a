#pragma once
// RecordAuthority: who decides record versions when several strata nodes share the records (the
// cluster, src/cluster). A single node has none: RecordTransitions checks versions against the
// value it loaded and tells local subscribers itself. With one, per loop:
//   - every write is a compare-and-set in the shared cache, answered with the cluster sequence
//     number of the change, or with the state that won instead (the transition retries against it);
//   - local subscribers are told only by the authority, from its ordered feed of committed changes
//     (also this node's own), so every subscriber on every node sees a record's versions once each
//     and in commit order;
//   - a new subscriber starts from a state the feed knows (Follow), so it misses nothing and sees
//     nothing twice.
// `seq` orders the states of one record cluster-wide (it grows across delete and re-create, where
// versions restart).
//
// Thread-safety: one per event loop; call it on that loop. Callbacks run on that loop, never before
// the call that started them returns.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "strata/callback.h"
#include "strata/message.h"
#include "strata/record_value.h"

namespace strata {

struct VersionedRecord {
  std::optional<RecordValue> value;  // nullopt = no such record
  uint64_t seq = 0;                  // the change this state reflects (0 = none known)
};

struct RecordWrite {
  enum class Expect { kVersion, kAbsent, kAny };
  std::string name;
  Expect expect = Expect::kVersion;
  Version expected_version = 0;  // kVersion: the version the cache must hold
  RecordValue value;             // the whole new record
  Message broadcast;             // what other subscribers receive (UPDATE or PATCH)
  uint64_t client_id = 0;        // the writer, who is not told its own change
};

struct WriteOutcome {
  bool committed = false;
  uint64_t seq = 0;         // committed: the change's sequence number
  VersionedRecord current;  // not committed: the state that failed the expectation
};

class RecordAuthority {
 public:
  virtual ~RecordAuthority() = default;

  // The newest state: the shared cache, then storage (a storage hit is loaded into the cache
  // unless the record was deleted meanwhile).
  virtual void Read(const std::string& name, Callback<VersionedRecord> cb) = 0;
  // Loads storage hits into the cache where the cache holds nothing newer (RecordStore's reads).
  virtual void Fill(const std::vector<NamedValue>& found) = 0;
  // Makes sure this node follows the record's changes, then answers the state its local
  // subscribers have been told so far. A subscriber added in that callback gets every later change.
  virtual void Follow(const std::string& name, Callback<VersionedRecord> cb) = 0;
  // A subscriber that started from a state newer than Follow's (this node's own write, not yet
  // in the feed) skips the feed's changes up to `seq`.
  virtual void StartAt(const std::string& name, uint64_t client_id, uint64_t seq) = 0;
  virtual void CompareAndSet(RecordWrite write, Callback<WriteOutcome> cb) = 0;
  // Deletes the record cluster-wide; answers the delete's sequence number.
  virtual void Delete(const std::string& name, uint64_t client_id, Callback<uint64_t> cb) = 0;
  // NOTIFY: storage changed behind strata's back. Its copy replaces the cache's, and every node's
  // subscribers are told (by the feed); answers the state and its seq.
  virtual void Reload(const std::string& name, Callback<VersionedRecord> cb) = 0;
  // Storage holds change `seq` of the record (or a newer one): nobody needs to persist it again.
  virtual void Persisted(const std::string& name, uint64_t seq) = 0;
};

}  // namespace strata
