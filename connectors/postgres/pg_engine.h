#pragma once
// PgEngine: the connector's own thread and its pool of PgConnections. Callers hand it PgOps from
// any thread (Submit); the loop sends them on free connections, pipelined and batched, and runs
// their completions on the loop thread. The caller's thread never waits for the network.
//
// Ordering: writes of one record run one at a time, in the order they were submitted (a write
// waits while another write of the same record is on the wire). Reads are not ordered against
// writes still in flight; a read sees every write whose completion ran before it was submitted.
//
// Connection life: Start connects one connection, runs the init op (schema, default table) and
// then opens the rest. A broken connection fails its operations with kUnavailable and reconnects
// at once; when no connection is up and a reconnect fails, the engine is offline: it reports
// kConnectionLost, fails queued and new operations with kUnavailable (strata retries writes) and
// keeps probing with exponential backoff (100 ms to 5 s); the first success reports
// kConnectionRestored and reopens the pool.
//
// Tombstones: while online, the loop also runs the TombstoneJanitor's sweeps over the tables it
// has written (known_tables_), as ordinary operations.
//
// Thread-safety: Submit, Start and Close may be called from any thread, including completions.
// The destructor must not run on a completion unless Close has completed.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "connectors/postgres/pg_connection.h"
#include "connectors/postgres/postgres_options.h"
#include "connectors/postgres/record_sql.h"
#include "connectors/postgres/tombstone_janitor.h"
#include "strata/storage_connector.h"

namespace strata {

class PgEngine {
 public:
  PgEngine(PostgresOptions options, ConnectorEventListener listener);
  // Closes (waiting for the drain) unless already closed; joins the loop.
  ~PgEngine();
  PgEngine(const PgEngine&) = delete;
  PgEngine& operator=(const PgEngine&) = delete;

  // Starts the loop; `init` runs on the first connection and its completion is Start's answer
  // (kUnavailable naming host:port when the server cannot be reached). Once only.
  void Start(std::unique_ptr<PgOp> init);
  // Runs the operation, or fails it at once: kFailedPrecondition before Start has completed or
  // after Close, kUnavailable while offline.
  void Submit(std::unique_ptr<PgOp> op);
  // Finishes queued and in-flight operations, disconnects, stops the loop; `done` runs on the
  // loop thread when all of that is over (at once on the caller's thread if nothing runs).
  void Close(DoneCallback done);

 private:
  enum class Phase { kNew, kStarting, kRunning, kClosing, kClosed, kFailed };
  using Clock = std::chrono::steady_clock;
  struct Slot {
    PgConnection conn;
    Clock::time_point next_attempt = Clock::time_point::max();
    Clock::duration backoff{};
  };

  // Loop steps (loop thread only).
  void Run();
  void TakeInbox();
  void Dispatch();
  void SendBatch(Slot& slot);
  bool Blocked(const PgOp& op, const std::unordered_set<std::string>& skipped) const;
  // Prepends CREATE TABLE IF NOT EXISTS for the op's tables not known to exist and not already
  // created earlier in this batch (`batch_tables`; the pipeline keeps the order).
  void AddEnsureGroups(PgOp& op, std::unordered_set<std::string>& batch_tables);
  void ScheduleSweep();  // queues the janitor's sweep when one is due
  void PollOnce();
  void ServiceSlot(size_t i, short revents);
  void StartAttempts();
  void OnConnectFailed(size_t i, const Status& why);
  void OnConnected(size_t i);
  void OnBroken(size_t i, const Status& why);
  void Release(const PgOp& op);  // its records may be written again
  void Finish(std::unique_ptr<PgOp> op);
  void FinishInit(std::unique_ptr<PgOp> op);
  void GoOffline(const Status& why);
  void GoOnline();
  void FailPending(const Status& why);
  bool AnyReady() const;
  bool Drained() const;
  void Emit(ConnectorEvent event, const Status& detail);
  void Shutdown();
  void Wake();
  void SetPhase(Phase phase);
  std::string Where() const;  // "host:port"

  const PostgresOptions options_;
  const RecordSql sql_;
  const ConnectorEventListener listener_;
  std::vector<std::string> conn_keys_, conn_values_;  // libpq connection parameters

  std::mutex mu_;
  Phase phase_ = Phase::kNew;                 // guarded by mu_; written by the loop
  std::vector<std::unique_ptr<PgOp>> inbox_;  // guarded by mu_
  std::vector<DoneCallback> close_waiters_;   // guarded by mu_
  std::atomic<bool> online_{false};           // written by the loop; read by Submit
  int wake_fd_ = -1;

  // Loop thread only.
  std::unique_ptr<PgOp> init_op_;
  std::list<std::unique_ptr<PgOp>> pending_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::unordered_map<std::string, int> writing_;  // record name -> writes on the wire
  std::unordered_set<std::string> known_tables_;  // tables that exist (created or seen)
  TombstoneJanitor janitor_;
  int probe_ = -1;  // while offline, the one slot that keeps trying to reconnect
  bool closing_ = false;
  bool start_done_ = false;             // the init op succeeded
  Clock::time_point start_deadline_;    // Start retries a server still starting up until
  std::unique_ptr<PgOp> start_failed_;  // the init op, failed; answered by Shutdown

  std::thread thread_;
};

}  // namespace strata
