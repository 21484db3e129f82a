#include "record/record_transitions.h"

#include <spdlog/spdlog.h>

#include "common/json_patch.h"
#include "pubsub/replies.h"
#include "record/record_messages.h"

namespace strata {
namespace msgs = record_messages;
namespace {

constexpr std::string_view kEmptyRecord = "{}";
// Compare-and-set conflicts one operation may meet before it fails (cluster): each retry runs
// against the state that won, so only a record written this often by others gives up.
constexpr int kMaxCasAttempts = 64;
// Retried at once up to this many conflicts, then after a random pause.
constexpr int kEagerCasAttempts = 3;

bool IsPatch(int32_t action) {
  return action == record_action::kPatch || action == record_action::kCreateAndPatch;
}

// The new data of a record after `write` (UPDATE replaces, PATCH sets a path, ERASE removes it).
Result<std::string> Apply(const Message& write, const std::string& current) {
  if (write.action == record_action::kErase) {
    return ApplyPatch(current, *write.path, std::nullopt);
  }
  if (IsPatch(write.action)) return ApplyPatch(current, *write.path, *write.data);
  return *write.data;
}

// What other subscribers receive: UPDATE for whole writes, PATCH (without data for ERASE).
Message BroadcastOf(const Message& write, Version version) {
  const std::string& name = *write.name;
  if (write.action == record_action::kErase) {
    return msgs::Patch(name, version, *write.path, std::nullopt);
  }
  if (IsPatch(write.action)) return msgs::Patch(name, version, *write.path, write.data);
  return msgs::Update(name, version, *write.data);
}

}  // namespace

RecordTransitions::RecordTransitions(RecordStore& store, SubscriptionRegistry& subscriptions)
    : store_(store), subscriptions_(subscriptions) {}

RecordTransitions::Op RecordTransitions::MakeOp(Kind kind, std::shared_ptr<Client> client,
                                                Message msg) {
  Op op;
  op.kind = kind;
  op.client = std::move(client);
  op.msg = std::move(msg);
  return op;
}

void RecordTransitions::SubscribeAndRead(const std::shared_ptr<Client>& client, std::string name,
                                         int32_t action) {
  Message msg;
  msg.action = action;
  msg.name = name;
  Push(std::move(name), MakeOp(Kind::kSubscribeRead, client, std::move(msg)));
}

void RecordTransitions::Write(const std::shared_ptr<Client>& client, Message msg, bool upsert,
                              bool hot_path) {
  std::string name = *msg.name;
  Op op = MakeOp(Kind::kWrite, client, std::move(msg));
  op.upsert = upsert;
  op.hot_path = hot_path;
  Push(std::move(name), std::move(op));
}

void RecordTransitions::Delete(const std::shared_ptr<Client>& client, Message msg) {
  std::string name = *msg.name;
  Push(std::move(name), MakeOp(Kind::kDelete, client, std::move(msg)));
}

void RecordTransitions::Notify(std::string name, DoneCallback done) {
  Op op = MakeOp(Kind::kNotify, nullptr, Message{});
  op.done = std::move(done);
  Push(std::move(name), std::move(op));
}

void RecordTransitions::Push(std::string name, Op op) {
  auto [it, inserted] = transitions_.try_emplace(std::move(name));
  it->second.ops.push_back(std::move(op));
  if (!it->second.busy) Run(it->first);
}

void RecordTransitions::Run(const std::string& name) {
  auto it = transitions_.find(name);
  if (it == transitions_.end()) return;
  Transition& t = it->second;
  while (!t.busy) {
    if (t.ops.empty()) {
      transitions_.erase(it);
      return;
    }
    if (!t.loaded) return Load(name, t);
    Op op = std::move(t.ops.front());
    t.ops.pop_front();
    t.busy = true;
    bool finished = false;
    switch (op.kind) {
      case Kind::kSubscribeRead:
        finished = RunSubscribeRead(name, t, op);
        break;
      case Kind::kWrite:
        finished = RunWrite(name, t, op);
        break;
      case Kind::kDelete:
        finished = RunDelete(name, op);
        break;
      case Kind::kNotify:
        finished = RunNotify(name, op);
        break;
    }
    if (finished) t.busy = false;
  }
}

void RecordTransitions::Resume(const std::string& name) {
  auto it = transitions_.find(name);
  if (it == transitions_.end()) return;
  it->second.busy = false;
  Run(name);
}

RecordTransitions::Transition& RecordTransitions::Waiting(const std::string& name) {
  auto it = transitions_.find(name);
  // Only Run() erases a transition, and never while it is busy.
  STRATA_CHECK(it != transitions_.end() && it->second.busy);
  return it->second;
}

void RecordTransitions::Load(const std::string& name, Transition& loading) {
  loading.busy = true;
  if (authority_) {
    authority_->Read(name, [this, name](Result<VersionedRecord> r) {
      Transition& t = Waiting(name);
      t.busy = false;
      if (!r.ok()) return FailQueued(name, t, ReadError(r.status(), ReadBackend::kCache));
      t.current = std::move(r->value);
      t.seq = r->seq;
      t.loaded = true;
      Run(name);
    });
    return;
  }
  store_.Get(name, [this, name](ReadResult r) {
    Transition& t = Waiting(name);
    t.busy = false;
    if (!r.ok()) return FailQueued(name, t, r.status());
    t.current = std::move(*r);
    t.loaded = true;
    Run(name);
  });
}

// The record could not be loaded: every waiting operation gets the error it would report.
void RecordTransitions::FailQueued(const std::string& name, Transition& t, const ReadError& error) {
  spdlog::warn("record '{}': loading failed: {}", name, error.ToString());
  std::deque<Op> ops = std::move(t.ops);
  transitions_.erase(name);
  for (Op& op : ops) {
    switch (op.kind) {
      case Kind::kSubscribeRead:
        op.client->Send(msgs::Error(msgs::ReadErrorAction(error), op.msg));
        break;
      case Kind::kWrite:
        op.client->Send(msgs::Error(record_action::kRecordUpdateError, op.msg, false));
        break;
      case Kind::kDelete:
        op.client->Send(msgs::Error(record_action::kRecordDeleteError, op.msg));
        break;
      case Kind::kNotify:
        op.done(error);
        break;
    }
  }
}

bool RecordTransitions::RunSubscribeRead(const std::string& name, Transition& t, Op& op) {
  if (!op.client->connected()) return true;  // left while the record was loading
  if (authority_) return FollowAndRead(name, op);
  if (!subscriptions_.Subscribe(name, op.client)) {
    op.client->Send(replies::AlreadySubscribed(Topic::kRecord, name, op.msg.action));
  }
  if (t.current) {
    op.client->Send(msgs::ReadResponse(name, t.current->version, t.current->json));
    return true;
  }
  if (op.msg.action == record_action::kSubscribeAndRead) {
    op.client->Send(msgs::ReadResponse(name, -1, kEmptyRecord));
    return true;
  }
  return RunCreate(name, op);
}

bool RecordTransitions::RunCreate(const std::string& name, Op& op) {
  store_.Set(
      name, RecordValue{0, std::string(kEmptyRecord)},
      [this, name, client = op.client, msg = op.msg](Status s) {
        Transition& t = Waiting(name);
        if (s.ok()) {
          t.current = RecordValue{0, std::string(kEmptyRecord)};
          client->Send(msgs::ReadResponse(name, 0, kEmptyRecord));
        } else {
          spdlog::warn("record '{}': create failed: {}", name, s.ToString());
          t.loaded = false;
          subscriptions_.Unsubscribe(name, client->id());
          client->Send(msgs::Error(record_action::kRecordCreateError, msg));
        }
        Resume(name);
      },
      nullptr);
  return false;
}

bool RecordTransitions::RunWrite(const std::string& name, Transition& t, Op& op) {
  const Message& w = op.msg;
  // In a cluster the loaded state may be behind other nodes' writes: a write it would refuse is
  // judged again against a fresh read before the refusal is sent.
  if (authority_ && !op.fresh && WouldRefuse(t, op)) return ReadFreshAndRetry(name, op);
  if (!t.current && !op.upsert) {
    op.client->Send(msgs::Error(record_action::kRecordUpdateError, w, false));
    return true;
  }
  const RecordValue base = t.current.value_or(RecordValue{0, std::string(kEmptyRecord)});
  const Version requested = w.version.value_or(-1);
  Version next = base.version + 1;
  if (op.hot_path) {
    next = 0;  // deepstream's hot path stores every write as version 0, unversioned
  } else if (requested > next) {
    op.client->Send(msgs::VersionConflict(record_action::kInvalidVersion, w, base.version, {}));
    return true;
  } else if (requested != -1 && requested != next) {
    op.client->Send(
        msgs::VersionConflict(record_action::kVersionExists, w, base.version, base.json));
    return true;
  }
  Result<std::string> data = Apply(w, base.json);
  if (!data.ok()) {
    op.client->Send(msgs::InvalidData(w));
    return true;
  }
  const bool ack = w.is_write_ack.value_or(false);
  DoneCallback durable;
  if (ack) {
    durable = [client = op.client, name, cid = w.correlation_id.value_or(""), msg = w](Status s) {
      client->Send(s.ok() ? msgs::WriteAck(name, cid)
                          : msgs::Error(record_action::kRecordUpdateError, msg, false));
    };
  }
  RecordValue value{next, std::move(*data)};
  if (authority_) return CommitWrite(name, t, op, std::move(value), std::move(durable));
  store_.Set(
      name, value,
      [this, name, client = op.client, msg = w, value, ack](Status s) mutable {
        Transition& t = Waiting(name);
        if (!s.ok()) {
          spdlog::warn("record '{}': write of version {} failed: {}", name, value.version,
                       s.ToString());
          t.loaded = false;  // the backend's state is unknown now: reload for the next write
          if (!ack) client->Send(msgs::Error(record_action::kRecordUpdateError, msg, false));
        } else {
          subscriptions_.Send(name, Broadcast(BroadcastOf(msg, value.version)), client->id());
          t.current = std::move(value);
        }
        Resume(name);
      },
      std::move(durable));
  return false;
}

bool RecordTransitions::RunDelete(const std::string& name, Op& op) {
  if (authority_) return CommitDelete(name, op);
  store_.Delete(name, [this, name, client = op.client, msg = op.msg](Status s) {
    Transition& t = Waiting(name);
    if (s.ok()) {
      t.current.reset();
      t.loaded = true;
      client->Send(msgs::Named(record_action::kDeleteSuccess, name));
      subscriptions_.Send(name, Broadcast(msgs::Named(record_action::kDeleted, name)),
                          client->id());
      subscriptions_.RemoveName(name);
    } else {
      spdlog::warn("record '{}': delete failed: {}", name, s.ToString());
      t.loaded = false;
      client->Send(msgs::Error(record_action::kRecordDeleteError, msg));
    }
    Resume(name);
  });
  return false;
}

bool RecordTransitions::RunNotify(const std::string& name, Op& op) {
  if (authority_) {
    authority_->Reload(name, [this, name, done = op.done](Result<VersionedRecord> r) {
      Transition& t = Waiting(name);
      if (!r.ok()) {
        t.loaded = false;
        done(r.status());
        return Resume(name);
      }
      t.current = r->value;
      t.seq = r->seq;
      t.loaded = true;
      done(Status());
      Resume(name);
    });
    return false;
  }
  store_.Evict(name, [this, name, done = op.done](Status s) {
    if (!s.ok()) {
      Waiting(name).loaded = false;
      done(s);
      return Resume(name);
    }
    store_.Get(name, [this, name, done](ReadResult r) { AfterNotifyRead(name, r, done); });
  });
  return false;
}

void RecordTransitions::AfterNotifyRead(const std::string& name, const ReadResult& r,
                                        const DoneCallback& done) {
  Transition& t = Waiting(name);
  if (!r.ok()) {
    t.loaded = false;
    done(r.status());
    return Resume(name);
  }
  t.current = *r;
  t.loaded = true;
  if (t.current) {
    subscriptions_.Send(name, Broadcast(msgs::Update(name, t.current->version, t.current->json)),
                        0);
  } else {
    subscriptions_.Send(name, Broadcast(msgs::Named(record_action::kDeleted, name)), 0);
    subscriptions_.RemoveName(name);
  }
  done(Status());
  Resume(name);
}

// ---- cluster: the authority decides versions and tells subscribers (record_authority.h)

bool RecordTransitions::FollowAndRead(const std::string& name, Op& op) {
  authority_->Follow(name, [this, name, op = std::move(op)](Result<VersionedRecord> fed) mutable {
    Transition& t = Waiting(name);
    if (!fed.ok()) {
      spdlog::warn("record '{}': following its changes failed: {}", name, fed.status().ToString());
      ReadError error(fed.status(), ReadBackend::kCache);
      op.client->Send(msgs::Error(msgs::ReadErrorAction(error), op.msg));
      return Resume(name);
    }
    AnswerSubscribe(name, t, std::move(op), *fed);
  });
  return false;
}

// The new subscriber starts from the newest state this loop knows: the feed's, or its own write
// that the feed has not delivered yet (then the subscriber skips the feed up to that write).
void RecordTransitions::AnswerSubscribe(const std::string& name, Transition& t, Op op,
                                        const VersionedRecord& fed) {
  if (!t.loaded || fed.seq >= t.seq) {
    t.current = fed.value;
    t.seq = fed.seq;
    t.loaded = true;
  }
  if (!op.client->connected()) return Resume(name);
  if (!t.current && op.msg.action == record_action::kSubscribeCreateAndRead) {
    if (store_.StorageFull(name)) {
      op.client->Send(msgs::Error(record_action::kRecordCreateError, op.msg));
      return Resume(name);
    }
    RecordWrite create;
    create.name = name;
    create.expect = RecordWrite::Expect::kAbsent;
    create.value = RecordValue{0, std::string(kEmptyRecord)};
    create.broadcast = msgs::Update(name, 0, kEmptyRecord);
    create.client_id = op.client->id();
    authority_->CompareAndSet(
        std::move(create), [this, name, op = std::move(op)](Result<WriteOutcome> r) mutable {
          Transition& t = Waiting(name);
          if (!r.ok()) {
            spdlog::warn("record '{}': create failed: {}", name, r.status().ToString());
            t.loaded = false;
            op.client->Send(msgs::Error(record_action::kRecordCreateError, op.msg));
            return Resume(name);
          }
          VersionedRecord now = r->current;
          if (r->committed) {
            now = VersionedRecord{RecordValue{0, std::string(kEmptyRecord)}, r->seq};
            store_.Persist(name, *now.value, r->seq, nullptr);
          }
          Retry(name, t, std::move(op), now);  // answers from the created (or winning) state
        });
    return;
  }
  if (!subscriptions_.Subscribe(name, op.client)) {
    op.client->Send(replies::AlreadySubscribed(Topic::kRecord, name, op.msg.action));
  }
  if (t.seq > fed.seq) authority_->StartAt(name, op.client->id(), t.seq);
  if (t.current) {
    op.client->Send(msgs::ReadResponse(name, t.current->version, t.current->json));
  } else {
    op.client->Send(msgs::ReadResponse(name, -1, kEmptyRecord));
  }
  Resume(name);
}

bool RecordTransitions::CommitWrite(const std::string& name, Transition& t, Op& op,
                                    RecordValue value, DoneCallback durable) {
  const bool ack = op.msg.is_write_ack.value_or(false);
  if (store_.StorageFull(name)) {
    Status full = Status::ResourceExhausted("storage write queue is full");
    if (!ack) op.client->Send(msgs::Error(record_action::kRecordUpdateError, op.msg, false));
    if (durable) durable(full);
    return true;
  }
  RecordWrite write;
  write.name = name;
  if (op.hot_path) {
    write.expect = RecordWrite::Expect::kAny;
  } else if (t.current) {
    write.expected_version = t.current->version;
  } else {
    write.expect = RecordWrite::Expect::kAbsent;
  }
  write.broadcast = BroadcastOf(op.msg, value.version);
  write.value = value;
  write.client_id = op.client->id();
  authority_->CompareAndSet(
      std::move(write), [this, name, op = std::move(op), value = std::move(value), ack,
                         durable = std::move(durable)](Result<WriteOutcome> r) mutable {
        Transition& t = Waiting(name);
        if (!r.ok()) {
          spdlog::warn("record '{}': write of version {} failed: {}", name, value.version,
                       r.status().ToString());
          t.loaded = false;
          if (!ack) op.client->Send(msgs::Error(record_action::kRecordUpdateError, op.msg, false));
          if (durable) durable(r.status());
          return Resume(name);
        }
        if (!r->committed) return Retry(name, t, std::move(op), r->current);
        t.current = value;
        t.seq = r->seq;
        store_.Persist(name, std::move(value), r->seq, std::move(durable));
        Resume(name);
      });
  return false;
}

bool RecordTransitions::CommitDelete(const std::string& name, Op& op) {
  authority_->Delete(
      name, op.client->id(), [this, name, client = op.client, msg = op.msg](Result<uint64_t> r) {
        Transition& t = Waiting(name);
        if (!r.ok()) {
          spdlog::warn("record '{}': delete failed: {}", name, r.status().ToString());
          t.loaded = false;
          client->Send(msgs::Error(record_action::kRecordDeleteError, msg));
          return Resume(name);
        }
        t.current.reset();
        t.seq = *r;
        t.loaded = true;
        store_.PersistDelete(name, *r, [client, name, msg](Status s) {
          client->Send(s.ok() ? msgs::Named(record_action::kDeleteSuccess, name)
                              : msgs::Error(record_action::kRecordDeleteError, msg));
        });
        Resume(name);
      });
  return false;
}

bool RecordTransitions::WouldRefuse(const Transition& t, const Op& op) {
  if (!t.current) return !op.upsert;
  const Version requested = op.msg.version.value_or(-1);
  return !op.hot_path && requested != -1 && requested != t.current->version + 1;
}

bool RecordTransitions::ReadFreshAndRetry(const std::string& name, Op& op) {
  authority_->Read(name, [this, name, op = std::move(op)](Result<VersionedRecord> r) mutable {
    Transition& t = Waiting(name);
    if (!r.ok()) {
      spdlog::warn("record '{}': reading it again failed: {}", name, r.status().ToString());
      op.client->Send(msgs::Error(record_action::kRecordUpdateError, op.msg, false));
      return Resume(name);
    }
    Retry(name, t, std::move(op), *r);
  });
  return false;
}

void RecordTransitions::Retry(const std::string& name, Transition& t, Op op,
                              const VersionedRecord& current) {
  t.current = current.value;
  t.seq = current.seq;
  t.loaded = true;
  op.fresh = true;
  if (++op.attempts > kMaxCasAttempts) {
    spdlog::warn("record '{}': gave up after {} conflicting writes by other nodes", name,
                 kMaxCasAttempts);
    const bool subscribe = op.kind == Kind::kSubscribeRead;
    op.client->Send(subscribe ? msgs::Error(record_action::kRecordCreateError, op.msg)
                              : msgs::Error(record_action::kRecordUpdateError, op.msg, false));
    return Resume(name);
  }
  if (op.attempts <= kEagerCasAttempts) {
    t.ops.push_front(std::move(op));
    return Resume(name);
  }
  // A node that keeps losing to one that writes back to back (the winner knows the new state at
  // once, the loser a round trip later) steps aside for a random moment, so it gets its turn. The
  // record stays busy meanwhile: this loop's later writes keep their order.
  std::uniform_int_distribution<int> pause(0, std::min(op.attempts, 20));
  store_.loop().PostAfter(std::chrono::milliseconds(pause(random_)),
                          [this, name, op = std::move(op)]() mutable {
                            Waiting(name).ops.push_front(std::move(op));
                            Resume(name);
                          });
}

}  // namespace strata
