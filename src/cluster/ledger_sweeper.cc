#include "cluster/ledger_sweeper.h"

#include <spdlog/spdlog.h>

#include "cluster/redis_reply.h"

namespace strata::cluster {
namespace {

using Type = RedisValue::Type;

}  // namespace

void PersistedInLedger(ClusterNode& node, const std::vector<PersistedChange>& changes) {
  if (changes.empty()) return;
  RedisCommand command{"FCALL", "strata_persisted", "1", std::string(kLedgerKey)};
  for (const PersistedChange& c : changes) {
    command.push_back(c.name);
    command.push_back(std::to_string(c.seq));
  }
  node.Call(std::move(command),
            [first = changes.front().name, count = changes.size()](Result<RedisValue> reply) {
              if (reply.ok() && reply->type == Type::kInteger) return;
              // The entries stay; a sweeper persists them again later (fenced, so harmless).
              spdlog::warn("cluster: clearing {} ledger entries ('{}', ...) failed: {}", count,
                           first, ErrorText(reply));
            });
}

LedgerSweeper::LedgerSweeper(ClusterNode& node, Executor& loop, StorageConnector& storage,
                             Millis period, Millis grace)
    : node_(node), loop_(loop), storage_(storage), period_(period), grace_(grace) {}

void LedgerSweeper::Start() {
  loop_.PostAfter(period_, [this] { Sweep(); });
}

SweeperStats LedgerSweeper::stats() const {
  return SweeperStats{sweeps_.load(), persisted_.load(), errors_.load(), depth_.load()};
}

void LedgerSweeper::Sweep() {
  if (in_flight_ > 0) return loop_.PostAfter(period_, [this] { Sweep(); });
  ++sweeps_;
  const int64_t grace_us = std::chrono::duration_cast<std::chrono::microseconds>(grace_).count();
  node_.Call({"FCALL", "strata_ledger_due", "2", std::string(kLedgerKey), std::string(kSeqKey),
              std::to_string(grace_us), std::to_string(kBatch)},
             [this](Result<RedisValue> reply) {
               loop_.Post([this, reply = std::move(reply)] {
                 loop_.PostAfter(period_, [this] { Sweep(); });
                 if (!reply.ok() || reply->type != Type::kArray || reply->elements.size() != 2) {
                   ++errors_;
                   spdlog::warn("cluster: reading the write-behind ledger failed: {}",
                                ErrorText(reply));
                   return;
                 }
                 depth_ = static_cast<uint64_t>(reply->elements[0].integer);
                 for (const RedisValue& name : reply->elements[1].elements) Persist(name.text);
               });
             });
}

// One due entry: the state the cache holds now, stored fenced by the current seq, then the entry
// cleared if no newer change came meanwhile.
void LedgerSweeper::Persist(const std::string& name) {
  ++in_flight_;
  RedisCommand read{"FCALL",
                    "strata_persist_read",
                    "4",
                    node_.RecordKey(name, "_v"),
                    node_.RecordKey(name, "_d"),
                    std::string(kSeqKey),
                    std::string(kLedgerKey),
                    name};
  node_.Call(std::move(read), [this, name](Result<RedisValue> reply) {
    loop_.Post([this, name, reply = std::move(reply)] {
      const auto* e = reply.ok() && reply->type == Type::kArray && reply->elements.size() == 4
                          ? &reply->elements
                          : nullptr;
      uint64_t score = 0, seq = 0;
      if (e == nullptr || !ParseNumber((*e)[3].text, &seq)) {
        spdlog::warn("cluster: reading ledger entry '{}' failed: {}", name, ErrorText(reply));
        return Done(false);
      }
      if ((*e)[2].type != Type::kString || !ParseNumber((*e)[2].text, &score)) return Done(true);
      auto stored = [this, name, score](Result<FencedResult> r) {
        loop_.Post([this, name, score, ok = r.ok(), why = r.status().ToString()] {
          if (!ok) {
            spdlog::warn("cluster: persisting '{}' for the ledger failed: {}", name, why);
            return Done(false);
          }
          ++persisted_;
          PersistedInLedger(node_, {{name, score}});
          Done(true);
        });
      };
      Version version = 0;
      if ((*e)[0].type == Type::kString && ParseNumber((*e)[0].text, &version)) {
        FencedValue value{name, RecordValue{version, (*e)[1].text}, seq};
        storage_.SetBulkFenced(std::span<const FencedValue>(&value, 1), stored);
      } else {
        FencedName gone{name, seq};
        storage_.DeleteBulkFenced(std::span<const FencedName>(&gone, 1), stored);
      }
    });
  });
}

void LedgerSweeper::Done(bool ok) {
  --in_flight_;
  if (!ok) ++errors_;
}

}  // namespace strata::cluster
