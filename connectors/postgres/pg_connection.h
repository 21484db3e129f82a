#pragma once
// PgConnection: one libpq connection, non-blocking and in pipeline mode. Operations are sent
// back to back without waiting for answers (each group followed by a pipeline sync); answers
// are matched to operations in order as they arrive. The owner polls socket() for
// WantedEvents() and calls the step functions when it is ready; nothing here ever blocks.
//
// Thread-safety: none; confined to the engine's loop thread.

#include <poll.h>

#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <libpq-fe.h>

#include "connectors/postgres/pg_op.h"
#include "strata/status.h"

namespace strata {

class PgConnection {
 public:
  enum class State { kDown, kConnecting, kReady };
  using Clock = std::chrono::steady_clock;

  PgConnection() = default;
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  State state() const { return state_; }
  // True when no operation is waiting for an answer.
  bool idle() const { return ops_.empty(); }
  int socket() const { return conn_ ? PQsocket(conn_) : -1; }
  short WantedEvents() const;
  Clock::time_point connect_deadline() const { return connect_deadline_; }

  // Begins connecting (NULL-terminated libpq keyword/value arrays). kUnavailable if libpq
  // refuses at once; otherwise drive it with PollConnect().
  Status BeginConnect(const char* const* keys, const char* const* values,
                      Clock::time_point deadline);
  // Advances the connection. OK with state() kReady when connected, OK with kConnecting while
  // in progress, kUnavailable (state kDown) when it failed.
  Status PollConnect();

  // Queues the operation's statements on the wire. Never fails: a broken connection shows in
  // the next Read().
  void Send(std::unique_ptr<PgOp> op);
  // Sends what the socket accepts.
  Status Flush();
  // Reads what arrived and moves answered operations to `finished` (in send order).
  // Non-OK: the connection is broken; call Reset().
  Status Read(std::vector<std::unique_ptr<PgOp>>& finished);
  // Closes the connection and hands back the operations still waiting for answers.
  std::vector<std::unique_ptr<PgOp>> Reset();

 private:
  // One answer the server owes: a statement's result, or a group's sync.
  struct Step {
    PgOp* op;
    size_t group;
    size_t statement;  // in the group; unused for a sync
    bool sync;
    bool last;  // the op's final sync
  };
  void HandleResult(const Step& step, PGresult* result);
  Status Broken() const;

  PGconn* conn_ = nullptr;
  State state_ = State::kDown;
  PostgresPollingStatusType connect_poll_ = PGRES_POLLING_WRITING;
  Clock::time_point connect_deadline_;
  bool want_write_ = false;
  std::deque<Step> steps_;
  std::deque<std::unique_ptr<PgOp>> ops_;  // in send order; ops_[0] answers first
  std::vector<bool> failed_groups_;        // of ops_[0]'s groups, as answers arrive
};

// Maps a PostgreSQL error (SQLSTATE, message) to a Status for `op`:
//   connection/shutdown/resource/serialization problems, a table or its seq column gone
//   (42P01, 42703: dropped or recreated behind strata's back) -> kUnavailable (retry);
//   57014 query_canceled -> kDeadlineExceeded; bad data (22xxx, 23xxx) -> kInvalidArgument;
//   42501 permission -> kFailedPrecondition; anything else -> kInternal.
Status ClassifyPgError(const PgOp& op, std::string_view sqlstate, std::string_view message);

}  // namespace strata
