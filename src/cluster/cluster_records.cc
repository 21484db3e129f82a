#include "cluster/cluster_records.h"

#include <atomic>
#include <memory>

#include <spdlog/spdlog.h>

#include "cluster/redis_reply.h"

namespace strata::cluster {
namespace {

using Type = RedisValue::Type;

Status Unexpected(std::string_view function, const RedisValue& reply) {
  if (reply.type == Type::kError) {
    return Status::Unavailable(std::string(function) + ": redis answered " + reply.text);
  }
  return Status::Internal(std::string(function) + ": unexpected reply from redis");
}

// {version|nil, data|nil, seq} starting at elements[first].
Result<VersionedRecord> ParseState(std::string_view function, const RedisValue& reply,
                                   size_t first) {
  if (reply.type != Type::kArray || reply.elements.size() != first + 3) {
    return Unexpected(function, reply);
  }
  const RedisValue& v = reply.elements[first];
  const RedisValue& d = reply.elements[first + 1];
  VersionedRecord state;
  if (!ParseNumber(reply.elements[first + 2].text, &state.seq)) return Unexpected(function, reply);
  if (v.type == Type::kString && d.type == Type::kString) {
    Version version = 0;
    if (!ParseNumber(v.text, &version)) return Unexpected(function, reply);
    state.value = RecordValue{version, d.text};
  }
  return state;
}

std::string Channel(const std::string& name) { return std::string(kRecordChannel) + name; }

}  // namespace

ClusterRecords::ClusterRecords(ClusterNode& node, Executor& loop,
                               SubscriptionRegistry& subscriptions, StorageConnector& storage,
                               ClusterRecordsOptions options)
    : node_(node),
      loop_(loop),
      subscriptions_(subscriptions),
      storage_(storage),
      options_(std::move(options)) {
  subscriptions_.AddObserver(this);
}

ClusterRecords::~ClusterRecords() {
  subscriptions_.RemoveObserver(this);
  for (const auto& [name, feed] : feeds_) {
    if (feed.following) node_.Unsubscribe(Channel(name));
  }
}

std::vector<std::string> ClusterRecords::Keys(const std::string& name, bool tombstone,
                                              bool ledger) const {
  std::vector<std::string> keys{node_.RecordKey(name, "_v"), node_.RecordKey(name, "_d"),
                                std::string(kSeqKey)};
  if (tombstone) keys.push_back(node_.RecordKey(name, "_t"));
  if (ledger) keys.push_back(std::string(kLedgerKey));
  return keys;
}

bool ClusterRecords::ExcludedFromStorage(std::string_view name) const {
  for (const std::string& prefix : options_.storage_exclusion_prefixes) {
    if (name.starts_with(prefix)) return true;
  }
  return false;
}

void ClusterRecords::Fcall(std::string_view function, std::vector<std::string> keys,
                           std::vector<std::string> args,
                           std::function<void(Result<RedisValue>)> done) {
  RedisCommand command{"FCALL", std::string(function), std::to_string(keys.size())};
  for (std::string& key : keys) command.push_back(std::move(key));
  for (std::string& arg : args) command.push_back(std::move(arg));
  node_.Call(std::move(command), [this, done = std::move(done)](Result<RedisValue> reply) {
    loop_.Post([done, reply = std::move(reply)]() mutable { done(std::move(reply)); });
  });
}

void ClusterRecords::Read(const std::string& name, Callback<VersionedRecord> cb) {
  Fcall("strata_read", Keys(name, false), {},
        [this, name, cb = std::move(cb)](Result<RedisValue> reply) mutable {
          if (!reply.ok()) return cb(reply.status());
          Result<VersionedRecord> state = ParseState("strata_read", *reply, 0);
          if (!state.ok() || state->value || ExcludedFromStorage(name)) return cb(state);
          ReadStorage(name, state->seq, std::move(cb));
        });
}

// A cache miss: storage's copy, loaded into the cache unless the cache got the record (or a
// tombstone) meanwhile; strata_load answers whatever the cache holds afterwards.
void ClusterRecords::ReadStorage(const std::string& name, uint64_t seq,
                                 Callback<VersionedRecord> cb) {
  GetFromStorage(name, [this, name, seq,
                        cb = std::move(cb)](Result<std::optional<RecordValue>> found) mutable {
    if (!found.ok()) return cb(found.status());
    if (!found->has_value()) return cb(VersionedRecord{std::nullopt, seq});
    const RecordValue& value = **found;
    Fcall("strata_load", Keys(name, true), {std::to_string(value.version), value.json},
          [cb = std::move(cb)](Result<RedisValue> reply) {
            if (!reply.ok()) return cb(reply.status());
            cb(ParseState("strata_load", *reply, 0));
          });
  });
}

// Storage's copy, on this loop, within the storage timeout.
void ClusterRecords::GetFromStorage(const std::string& name,
                                    Callback<std::optional<RecordValue>> cb) {
  struct Pending {
    bool answered = false;  // loop only
    Callback<std::optional<RecordValue>> cb;
  };
  auto pending = std::make_shared<Pending>();
  pending->cb = std::move(cb);
  auto finish = [pending](Result<std::optional<RecordValue>> r) {
    if (std::exchange(pending->answered, true)) return;
    pending->cb(std::move(r));
  };
  loop_.PostAfter(options_.storage_timeout, [finish, name] {
    finish(Status::DeadlineExceeded("storage read of '" + name + "' timed out"));
  });
  storage_.Get(name, [this, finish](Result<std::optional<RecordValue>> found) {
    loop_.Post([finish, found = std::move(found)] { finish(found); });
  });
}

void ClusterRecords::Reload(const std::string& name, Callback<VersionedRecord> cb) {
  GetFromStorage(
      name, [this, name, cb = std::move(cb)](Result<std::optional<RecordValue>> found) mutable {
        if (!found.ok()) return cb(found.status());
        const std::optional<RecordValue>& value = *found;
        Fcall("strata_notify", Keys(name, false, true),
              {Channel(name), EncodeOrigin(Origin{node_.id(), 0}), value ? "1" : "0",
               value ? std::to_string(value->version) : "", value ? value->json : "", name},
              [value, cb = std::move(cb)](Result<RedisValue> reply) {
                if (!reply.ok()) return cb(reply.status());
                uint64_t seq = 0;
                if (reply->type != Type::kString || !ParseNumber(reply->text, &seq)) {
                  return cb(Unexpected("strata_notify", *reply));
                }
                cb(VersionedRecord{value, seq});
              });
      });
}

void ClusterRecords::Fill(const std::vector<NamedValue>& found) {
  for (const NamedValue& record : found) {
    Fcall("strata_load", Keys(record.name, true),
          {std::to_string(record.value.version), record.value.json},
          [name = record.name](Result<RedisValue> reply) {
            if (reply.ok() && reply->type != Type::kError) return;
            spdlog::warn("cluster: loading '{}' from storage into the cache failed: {}", name,
                         reply.ok() ? reply->text : reply.status().ToString());
          });
  }
}

void ClusterRecords::Follow(const std::string& name, Callback<VersionedRecord> cb) {
  Feed& feed = feeds_[name];
  if (feed.live) return PostView(name, std::move(cb));
  feed.waiters.push_back(std::move(cb));
  if (!feed.following) StartFeed(name);
}

void ClusterRecords::StartFeed(const std::string& name) {
  feeds_[name].following = true;
  ++stats_.followed;
  node_.Subscribe(Channel(name), [this, name] {
    loop_.Post([this, name] {
      Read(name, [this, name](Result<VersionedRecord> state) {
        auto it = feeds_.find(name);
        if (it == feeds_.end()) return;
        Feed& feed = it->second;
        std::vector<Callback<VersionedRecord>> waiters = std::move(feed.waiters);
        if (!state.ok()) {
          node_.Unsubscribe(Channel(name));
          feeds_.erase(it);
          --stats_.followed;
          for (auto& waiter : waiters) waiter(state.status());
          return;
        }
        feed.live = true;
        feed.value = state->value;
        feed.seq = state->seq;
        for (const RecordChange& change : std::exchange(feed.early, {})) {
          Apply(name, feed, change);
        }
        for (auto& waiter : waiters) PostView(name, std::move(waiter));
      });
    });
  });
}

void ClusterRecords::PostView(const std::string& name, Callback<VersionedRecord> cb) {
  ++feeds_[name].views_posted;
  loop_.Post([this, name, cb = std::move(cb)]() mutable {
    auto it = feeds_.find(name);
    if (it != feeds_.end()) --it->second.views_posted;
    if (it == feeds_.end() || !it->second.live) return Follow(name, std::move(cb));
    Feed& feed = it->second;
    cb(VersionedRecord{feed.value, feed.seq});
    // A waiter that did not subscribe (it left meanwhile) must not keep the channel.
    if (!subscriptions_.HasSubscribers(name)) Unfollow(name);
  });
}

void ClusterRecords::StartAt(const std::string& name, uint64_t client_id, uint64_t seq) {
  auto it = feeds_.find(name);
  if (it != feeds_.end() && seq > it->second.seq) it->second.floors[client_id] = seq;
}

bool ClusterRecords::Unused(const std::string& name) const {
  auto it = feeds_.find(name);
  return it != feeds_.end() && it->second.live && it->second.views_posted == 0 &&
         it->second.waiters.empty() && !subscriptions_.HasSubscribers(name);
}

// The channel is kept for `linger` after the last local subscriber left, still applying changes,
// so a subscriber that comes back soon starts from the feed (no SUBSCRIBE, no read).
void ClusterRecords::Unfollow(const std::string& name) {
  if (!Unused(name)) return;
  const uint64_t token = ++feeds_[name].linger;
  loop_.PostAfter(options_.linger, [this, name, token] {
    auto it = feeds_.find(name);
    if (it == feeds_.end() || it->second.linger != token || !Unused(name)) return;
    node_.Unsubscribe(Channel(name));
    feeds_.erase(it);
    --stats_.followed;
  });
}

void ClusterRecords::OnChange(const std::string& name, std::string_view payload) {
  Result<RecordChange> change = DecodeChange(payload);
  if (!change.ok()) {
    ++stats_.bus_errors;
    spdlog::error("cluster: record '{}': {}", name, change.status().ToString());
    return;
  }
  auto it = feeds_.find(name);
  if (it == feeds_.end()) return;  // a change still in flight when this loop stopped following
  if (!it->second.live) {
    it->second.early.push_back(std::move(*change));
    return;
  }
  Apply(name, it->second, *change);
}

void ClusterRecords::Apply(const std::string& name, Feed& feed, const RecordChange& change) {
  if (change.seq <= feed.seq) {
    ++stats_.duplicates;
    return;
  }
  ++stats_.changes;
  Deliver(name, feed, change);
}

void ClusterRecords::Deliver(const std::string& name, Feed& feed, const RecordChange& change) {
  feed.seq = change.seq;
  feed.value = change.value;
  Broadcast message(ToMessage(name, change));
  // The writer already knows its change (deepstream does not echo a write to its author).
  const uint64_t author = change.origin.node == node_.id() ? change.origin.client_id : 0;
  if (feed.floors.empty()) {
    subscriptions_.Send(name, message, author);
  } else {
    subscriptions_.SendIf(name, message, [&](uint64_t client_id) {
      if (client_id == author) return false;
      auto floor = feed.floors.find(client_id);
      return floor == feed.floors.end() || floor->second < change.seq;
    });
    std::erase_if(feed.floors, [&](const auto& f) { return f.second <= change.seq; });
  }
  if (change.kind == 'D') subscriptions_.RemoveName(name);  // may end the feed: last use of it
}

void ClusterRecords::OnGap() {
  for (auto& [name, feed] : feeds_) {
    if (feed.live) ReadAgain(name);
  }
}

// Redis may answer the bus before the command connection is back: a failed read is retried
// while the record is followed.
void ClusterRecords::ReadAgain(const std::string& name) {
  Read(name, [this, name](Result<VersionedRecord> now) {
    if (now.ok()) return Resync(name, *now);
    spdlog::warn("cluster: re-reading '{}' after a bus gap failed: {}; retrying", name,
                 now.status().ToString());
    loop_.PostAfter(std::chrono::milliseconds(200), [this, name] {
      auto it = feeds_.find(name);
      if (it != feeds_.end() && it->second.live) ReadAgain(name);
    });
  });
}

// After a gap: if the record changed while messages were lost, subscribers get its state once.
void ClusterRecords::Resync(const std::string& name, const VersionedRecord& now) {
  auto it = feeds_.find(name);
  if (it == feeds_.end() || !it->second.live || now.seq <= it->second.seq) return;
  Feed& feed = it->second;
  if (now.value == feed.value) {
    feed.seq = now.seq;
    return;
  }
  ++stats_.resyncs;
  RecordChange change;
  change.kind = now.value ? 'U' : 'D';
  change.seq = now.seq;
  change.value = now.value;
  Deliver(name, feed, change);
}

void ClusterRecords::CompareAndSet(RecordWrite write, Callback<WriteOutcome> cb) {
  std::string expected = "*";
  if (write.expect == RecordWrite::Expect::kAbsent) expected = "-";
  if (write.expect == RecordWrite::Expect::kVersion) {
    expected = std::to_string(write.expected_version);
  }
  EncodedChange change =
      EncodeWrite(Origin{node_.id(), write.client_id}, write.value, write.broadcast);
  const std::string ledger = ExcludedFromStorage(write.name) ? "0" : "1";
  Fcall("strata_set", Keys(write.name, false, true),
        {std::move(expected), std::to_string(write.value.version), write.value.json,
         Channel(write.name), std::move(change.kind), std::move(change.rest), ledger, write.name},
        [this, cb = std::move(cb)](Result<RedisValue> reply) {
          if (!reply.ok()) return cb(reply.status());
          const auto& e = reply->elements;
          WriteOutcome outcome;
          if (reply->type == Type::kArray && e.size() == 2 && e[0].text == "OK" &&
              ParseNumber(e[1].text, &outcome.seq)) {
            outcome.committed = true;
            return cb(outcome);
          }
          if (reply->type == Type::kArray && e.size() == 4 && e[0].text == "CONFLICT") {
            ++stats_.conflicts;
            Result<VersionedRecord> current = ParseState("strata_set", *reply, 1);
            if (!current.ok()) return cb(current.status());
            outcome.current = std::move(*current);
            return cb(outcome);
          }
          cb(Unexpected("strata_set", *reply));
        });
}

void ClusterRecords::Delete(const std::string& name, uint64_t client_id, Callback<uint64_t> cb) {
  Fcall("strata_delete", Keys(name, true, true),
        {Channel(name), EncodeOrigin(Origin{node_.id(), client_id}),
         std::to_string(options_.tombstone.count()), ExcludedFromStorage(name) ? "0" : "1", name},
        [cb = std::move(cb)](Result<RedisValue> reply) {
          if (!reply.ok()) return cb(reply.status());
          uint64_t seq = 0;
          if (reply->type != Type::kString || !ParseNumber(reply->text, &seq)) {
            return cb(Unexpected("strata_delete", *reply));
          }
          cb(seq);
        });
}

// Stored changes of one loop turn (a storage batch completes at once) clear the ledger together.
void ClusterRecords::Persisted(const std::string& name, uint64_t seq) {
  persisted_.push_back(PersistedChange{name, seq});
  if (persisted_.size() > 1) return;
  loop_.Post([this] { PersistedInLedger(node_, std::exchange(persisted_, {})); });
}

ClusterRecordsStats ClusterRecords::stats() const {
  return ClusterRecordsStats{stats_.followed.load(),   stats_.changes.load(),
                             stats_.duplicates.load(), stats_.resyncs.load(),
                             stats_.conflicts.load(),  stats_.bus_errors.load()};
}

}  // namespace strata::cluster
