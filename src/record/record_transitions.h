#pragma once
// RecordTransitions: the per-record sequencer of one event loop. Everything that changes a
// record or must see it consistently with its changes (subscribe-and-read, create, write,
// delete, notify) is queued per record name and run strictly one at a time, in arrival order.
// While a record has queued operations its current value stays loaded here, so a burst of
// writes reads the backend once. The version rules of SEMANTICS.md B.1.4 / A.5 live here:
// -1 = next version; > current+1 = INVALID_VERSION; any other mismatch = VERSION_EXISTS; a
// rejected write never blocks the writes behind it.
//
// Why subscribe-and-read is sequenced too: subscribing and answering READ_RESPONSE in the same
// step, between two writes, means a new subscriber can neither miss a write nor see one twice.
//
// Thread-safety: not thread-safe; one per loop, alongside that loop's RecordStore.

#include <deque>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>

#include "pubsub/client.h"
#include "pubsub/subscription_registry.h"
#include "record/record_authority.h"
#include "record/record_store.h"
#include "strata/message.h"

namespace strata {

class RecordTransitions {
 public:
  RecordTransitions(RecordStore& store, SubscriptionRegistry& subscriptions);
  RecordTransitions(const RecordTransitions&) = delete;
  RecordTransitions& operator=(const RecordTransitions&) = delete;

  // SUBSCRIBECREATEANDREAD (creates a missing record as version 0 `{}`) or SUBSCRIBEANDREAD.
  void SubscribeAndRead(const std::shared_ptr<Client>& client, std::string name, int32_t action);
  // REQUIRES: msg is a validated UPDATE/PATCH/ERASE/CREATEANDUPDATE/CREATEANDPATCH.
  // `upsert` creates a missing record; `hot_path` skips versioning (storageHotPathPrefixes).
  void Write(const std::shared_ptr<Client>& client, Message msg, bool upsert, bool hot_path);
  void Delete(const std::shared_ptr<Client>& client, Message msg);
  // Re-reads the record past the cache and tells every subscriber what it now is.
  void Notify(std::string name, DoneCallback done);

  // In a cluster, `authority` decides versions and tells subscribers (record_authority.h); null
  // (the default) on a single node. REQUIRES: before the first operation.
  void SetAuthority(RecordAuthority* authority) { authority_ = authority; }
  size_t active() const { return transitions_.size(); }

 private:
  enum class Kind { kSubscribeRead, kWrite, kDelete, kNotify };
  struct Op {
    Kind kind = Kind::kWrite;
    std::shared_ptr<Client> client;  // null for notify
    Message msg;
    bool upsert = false;
    bool hot_path = false;
    int attempts = 0;    // compare-and-set conflicts so far (cluster)
    bool fresh = false;  // judged against a state just read from the authority (cluster)
    DoneCallback done;   // notify only
  };
  struct Transition {
    std::deque<Op> ops;
    std::optional<RecordValue> current;  // valid when loaded
    uint64_t seq = 0;                    // the change `current` reflects (cluster only)
    bool loaded = false;
    bool busy = false;  // an operation or the load is waiting for the backend
  };

  static Op MakeOp(Kind kind, std::shared_ptr<Client> client, Message msg);
  void Push(std::string name, Op op);
  // Runs queued operations until one has to wait, or none are left.
  void Run(const std::string& name);
  // The transition an operation's (or the load's) completion comes back to. A transition stays
  // while it is busy, so a missing one is a bug (checked).
  Transition& Waiting(const std::string& name);
  void Load(const std::string& name, Transition& loading);
  void FailQueued(const std::string& name, Transition& t, const ReadError& error);
  // Called by an operation that had to wait, once it is done.
  void Resume(const std::string& name);
  // Each returns true when it finished at once, false when it will call Resume().
  bool RunSubscribeRead(const std::string& name, Transition& t, Op& op);
  bool RunCreate(const std::string& name, Op& op);
  bool RunWrite(const std::string& name, Transition& t, Op& op);
  bool RunDelete(const std::string& name, Op& op);
  bool RunNotify(const std::string& name, Op& op);
  void AfterNotifyRead(const std::string& name, const ReadResult& r, const DoneCallback& done);
  // Cluster forms of the steps above (authority_ set).
  bool FollowAndRead(const std::string& name, Op& op);
  void AnswerSubscribe(const std::string& name, Transition& t, Op op, const VersionedRecord& fed);
  bool CommitWrite(const std::string& name, Transition& t, Op& op, RecordValue value,
                   DoneCallback durable);
  bool CommitDelete(const std::string& name, Op& op);
  // True when the version rules would refuse `op` against the loaded state.
  static bool WouldRefuse(const Transition& t, const Op& op);
  bool ReadFreshAndRetry(const std::string& name, Op& op);
  // A compare-and-set lost to `current` (or a fresh read found it): adopt it and run `op` again.
  void Retry(const std::string& name, Transition& t, Op op, const VersionedRecord& current);

  RecordStore& store_;
  SubscriptionRegistry& subscriptions_;
  RecordAuthority* authority_ = nullptr;
  std::minstd_rand random_{std::random_device{}()};  // retry pauses (cluster)
  std::unordered_map<std::string, Transition> transitions_;
};

}  // namespace strata
