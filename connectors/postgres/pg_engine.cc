#include "connectors/postgres/pg_engine.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>

namespace strata {
namespace {

using std::chrono::milliseconds;

constexpr size_t kMaxOpsPerBatch = 256;
constexpr milliseconds kMinBackoff{100};
constexpr milliseconds kMaxBackoff{5000};
// Upper bound of one poll, so a missed wake-up could only ever cost this much.
constexpr milliseconds kMaxPollWait{1000};

// The server answers but refuses sessions until recovery is over (57P03; libpq reports no
// SQLSTATE for connection failures, only the server's message).
bool StartingUp(const Status& why) {
  return why.message().find("starting up") != std::string_view::npos;
}

std::string Describe(const PgOp& op) { return "postgres: " + op.what + " '" + op.subject + "'"; }

}  // namespace

PgEngine::PgEngine(PostgresOptions options, ConnectorEventListener listener)
    : options_(std::move(options)),
      sql_(options_),
      listener_(std::move(listener)),
      janitor_(options_, sql_,
               [this](const Status& failed) { Emit(ConnectorEvent::kError, failed); }) {
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  auto add = [this](const char* key, const std::string& value) {
    if (value.empty()) return;
    conn_keys_.push_back(key);
    conn_values_.push_back(value);
  };
  add("host", options_.host);
  add("port", std::to_string(options_.port));
  add("user", options_.user);
  add("password", options_.password);
  add("dbname", options_.database);
  add("sslmode", options_.sslmode);
  add("client_encoding", "UTF8");
  add("application_name", "strata");
  // Notices a server that vanished without closing the socket (a cut cable, a frozen VM).
  add("keepalives", "1");
  add("keepalives_idle", "30");
  add("keepalives_interval", "10");
  add("keepalives_count", "3");
  for (int i = 0; i < options_.max; ++i) slots_.push_back(std::make_unique<Slot>());
}

PgEngine::~PgEngine() {
  Close([](Status) {});
  if (thread_.joinable()) {
    if (thread_.get_id() == std::this_thread::get_id()) {
      thread_.detach();  // called from the last completion: the loop touches nothing after it
    } else {
      thread_.join();
    }
  }
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void PgEngine::Start(std::unique_ptr<PgOp> init) {
  {
    std::lock_guard lock(mu_);
    if (phase_ != Phase::kNew) {
      init->Fail(Status::FailedPrecondition("postgres: Start called twice or after Close"));
      return;
    }
    phase_ = Phase::kStarting;
  }
  init_op_ = std::move(init);
  slots_[0]->next_attempt = Clock::now();
  start_deadline_ = Clock::now() + milliseconds(options_.connection_timeout_ms);
  probe_ = 0;
  thread_ = std::thread(&PgEngine::Run, this);
}

void PgEngine::Submit(std::unique_ptr<PgOp> op) {
  std::unique_lock lock(mu_);
  if (phase_ != Phase::kRunning) {
    bool early = phase_ == Phase::kNew || phase_ == Phase::kStarting;
    lock.unlock();
    op->Fail(Status::FailedPrecondition(Describe(*op) +
                                        (early ? ": storage not started" : ": storage closed")));
    return;
  }
  if (!online_.load()) {
    lock.unlock();
    op->Fail(
        Status::Unavailable(Describe(*op) + ": not connected to " + Where() + " (reconnecting)"));
    return;
  }
  inbox_.push_back(std::move(op));
  lock.unlock();
  Wake();
}

void PgEngine::Close(DoneCallback done) {
  std::unique_lock lock(mu_);
  switch (phase_) {
    case Phase::kStarting:
    case Phase::kRunning:
      phase_ = Phase::kClosing;
      [[fallthrough]];
    case Phase::kClosing:
      close_waiters_.push_back(std::move(done));
      lock.unlock();
      Wake();
      return;
    case Phase::kNew:
    case Phase::kFailed:
    case Phase::kClosed:
      phase_ = Phase::kClosed;
      lock.unlock();
      done(Status());
      return;
  }
}

void PgEngine::Run() {
  while (true) {
    TakeInbox();
    if (!online_.load() && start_done_) {
      FailPending(Status::Unavailable("not connected to " + Where() + " (reconnecting)"));
    }
    ScheduleSweep();
    Dispatch();
    if (start_failed_ != nullptr || (closing_ && Drained())) break;
    StartAttempts();
    PollOnce();
  }
  Shutdown();
}

void PgEngine::TakeInbox() {
  std::vector<std::unique_ptr<PgOp>> taken;
  {
    std::lock_guard lock(mu_);
    taken.swap(inbox_);
    if (phase_ == Phase::kClosing) closing_ = true;
  }
  for (auto& op : taken) pending_.push_back(std::move(op));
}

void PgEngine::Dispatch() {
  if (!online_.load()) return;
  for (auto& slot : slots_) {
    if (pending_.empty()) return;
    if (slot->conn.state() == PgConnection::State::kReady && slot->conn.idle()) SendBatch(*slot);
  }
}

void PgEngine::SendBatch(Slot& slot) {
  std::unordered_set<std::string> skipped;  // records of writes left waiting in this scan
  std::unordered_set<std::string> batch_tables;
  size_t taken = 0;
  for (auto it = pending_.begin(); it != pending_.end() && taken < kMaxOpsPerBatch;) {
    PgOp& op = **it;
    if (op.is_write() && Blocked(op, skipped)) {
      skipped.insert(op.keys.begin(), op.keys.end());  // later writes of these must wait too
      ++it;
      continue;
    }
    for (const std::string& key : op.keys) ++writing_[key];
    AddEnsureGroups(op, batch_tables);
    slot.conn.Send(std::move(*it));
    it = pending_.erase(it);
    ++taken;
  }
}

bool PgEngine::Blocked(const PgOp& op, const std::unordered_set<std::string>& skipped) const {
  return std::any_of(op.keys.begin(), op.keys.end(), [&](const std::string& key) {
    return writing_.count(key) > 0 || skipped.count(key) > 0;
  });
}

void PgEngine::AddEnsureGroups(PgOp& op, std::unordered_set<std::string>& batch_tables) {
  for (const std::string& table : op.tables) {
    if (known_tables_.count(table) > 0 || !batch_tables.insert(table).second) continue;
    SqlGroup create{sql_.EnsureTable(table), false, true, table};
    op.groups.insert(op.groups.begin(), std::move(create));
  }
}

void PgEngine::ScheduleSweep() {
  if (!online_.load() || closing_) return;
  std::unique_ptr<PgOp> sweep = janitor_.TakeDue(Clock::now(), NowMicros(), known_tables_);
  if (sweep != nullptr) pending_.push_back(std::move(sweep));
}

void PgEngine::StartAttempts() {
  Clock::time_point now = Clock::now();
  for (size_t i = 0; i < slots_.size(); ++i) {
    Slot& slot = *slots_[i];
    if (slot.conn.state() != PgConnection::State::kDown || slot.next_attempt > now) continue;
    slot.next_attempt = Clock::time_point::max();
    std::vector<const char*> keys, values;
    for (size_t k = 0; k < conn_keys_.size(); ++k) {
      keys.push_back(conn_keys_[k].c_str());
      values.push_back(conn_values_[k].c_str());
    }
    keys.push_back(nullptr);
    values.push_back(nullptr);
    Status begun = slot.conn.BeginConnect(keys.data(), values.data(),
                                          now + milliseconds(options_.connection_timeout_ms));
    if (!begun.ok()) OnConnectFailed(i, begun);
  }
}

void PgEngine::PollOnce() {
  std::vector<pollfd> fds{{wake_fd_, POLLIN, 0}};
  std::vector<size_t> owners;
  Clock::time_point now = Clock::now();
  Clock::time_point next = now + kMaxPollWait;
  if (online_.load() && !closing_) next = std::min(next, janitor_.next());
  for (size_t i = 0; i < slots_.size(); ++i) {
    const Slot& slot = *slots_[i];
    if (slot.conn.state() == PgConnection::State::kDown) {
      next = std::min(next, slot.next_attempt);
      continue;
    }
    if (slot.conn.state() == PgConnection::State::kConnecting) {
      next = std::min(next, slot.conn.connect_deadline());
    }
    fds.push_back({slot.conn.socket(), slot.conn.WantedEvents(), 0});
    owners.push_back(i);
  }
  auto wait = std::chrono::duration_cast<milliseconds>(next - now).count();
  ::poll(fds.data(), fds.size(), static_cast<int>(std::max<int64_t>(0, wait)));
  if (fds[0].revents != 0) {
    uint64_t count;
    while (::read(wake_fd_, &count, sizeof(count)) > 0) {
    }
  }
  for (size_t k = 1; k < fds.size(); ++k) {
    if (fds[k].revents != 0) ServiceSlot(owners[k - 1], fds[k].revents);
  }
  now = Clock::now();
  for (size_t i = 0; i < slots_.size(); ++i) {
    PgConnection& conn = slots_[i]->conn;
    if (conn.state() == PgConnection::State::kConnecting && conn.connect_deadline() <= now) {
      conn.Reset();
      OnConnectFailed(i,
                      Status::Unavailable("connection timed out after " +
                                          std::to_string(options_.connection_timeout_ms) + " ms"));
    }
  }
}

void PgEngine::ServiceSlot(size_t i, short revents) {
  PgConnection& conn = slots_[i]->conn;
  if (conn.state() == PgConnection::State::kConnecting) {
    Status polled = conn.PollConnect();
    if (!polled.ok()) {
      OnConnectFailed(i, polled);
    } else if (conn.state() == PgConnection::State::kReady) {
      OnConnected(i);
    }
    return;
  }
  if (conn.state() != PgConnection::State::kReady) return;
  Status flushed = (revents & POLLOUT) ? conn.Flush() : Status();
  std::vector<std::unique_ptr<PgOp>> finished;
  Status read = flushed.ok() ? conn.Read(finished) : flushed;
  for (auto& op : finished) Finish(std::move(op));
  if (!read.ok()) OnBroken(i, read);
}

void PgEngine::OnConnectFailed(size_t i, const Status& why) {
  Slot& slot = *slots_[i];
  slot.backoff = std::clamp<Clock::duration>(slot.backoff * 2, kMinBackoff, kMaxBackoff);
  if (init_op_ != nullptr && StartingUp(why) && Clock::now() + slot.backoff < start_deadline_) {
    slot.next_attempt = Clock::now() + slot.backoff;  // as deepstream: wait for a booting server
    return;
  }
  if (init_op_ != nullptr) {  // Start: the server is not there, and the answer is Start's
    init_op_->status = Status::Unavailable("postgres: cannot connect to " + Where() + ": " +
                                           std::string(why.message()));
    FinishInit(std::move(init_op_));
    return;
  }
  if (online_.load() && !AnyReady()) {
    probe_ = static_cast<int>(i);
    GoOffline(why);
  }
  bool retry = online_.load() || probe_ == static_cast<int>(i);
  slot.next_attempt = retry ? Clock::now() + slot.backoff : Clock::time_point::max();
}

void PgEngine::OnConnected(size_t i) {
  Slot& slot = *slots_[i];
  slot.backoff = Clock::duration::zero();
  if (init_op_ != nullptr) {
    slot.conn.Send(std::move(init_op_));
    return;
  }
  if (!online_.load() && start_done_) GoOnline();
}

void PgEngine::OnBroken(size_t i, const Status& why) {
  Slot& slot = *slots_[i];
  for (auto& op : slot.conn.Reset()) {
    Release(*op);
    op->status = Status::Unavailable(Describe(*op) + ": connection to " + Where() +
                                     " lost: " + std::string(why.message()));
    if (op->kind == PgOp::Kind::kInit) {
      FinishInit(std::move(op));
    } else {
      op->Complete();
    }
  }
  slot.backoff = Clock::duration::zero();
  bool retry = online_.load() || probe_ == static_cast<int>(i);
  slot.next_attempt = retry ? Clock::now() : Clock::time_point::max();
}

void PgEngine::Release(const PgOp& op) {
  for (const std::string& key : op.keys) {
    auto it = writing_.find(key);
    if (it != writing_.end() && --it->second == 0) writing_.erase(it);
  }
}

void PgEngine::Finish(std::unique_ptr<PgOp> op) {
  Release(*op);
  for (const std::string& table : op->created) known_tables_.insert(table);
  if (op->missing_table) {
    for (const std::string& table : op->tables) known_tables_.erase(table);
  }
  if (op->kind == PgOp::Kind::kInit) {
    FinishInit(std::move(op));
  } else {
    op->Complete();
  }
}

void PgEngine::FinishInit(std::unique_ptr<PgOp> op) {
  if (!op->status.ok()) {
    start_failed_ = std::move(op);  // answered after Shutdown, when nothing runs any more
    return;
  }
  start_done_ = true;
  online_.store(true);
  janitor_.Arm(Clock::now());
  probe_ = -1;
  for (auto& slot : slots_) {
    if (slot->conn.state() == PgConnection::State::kDown) slot->next_attempt = Clock::now();
  }
  {
    std::lock_guard lock(mu_);
    if (phase_ == Phase::kStarting) phase_ = Phase::kRunning;
  }
  op->Complete();
}

void PgEngine::GoOffline(const Status& why) {
  online_.store(false);
  Status lost = Status::Unavailable("postgres: lost connection to " + Where() + ": " +
                                    std::string(why.message()));
  Emit(ConnectorEvent::kConnectionLost, lost);
  FailPending(lost);
}

void PgEngine::GoOnline() {
  online_.store(true);
  probe_ = -1;
  for (auto& slot : slots_) {
    if (slot->conn.state() == PgConnection::State::kDown) slot->next_attempt = Clock::now();
  }
  Emit(ConnectorEvent::kConnectionRestored, Status());
}

void PgEngine::FailPending(const Status& why) {
  std::list<std::unique_ptr<PgOp>> failing;
  failing.swap(pending_);
  for (auto& op : failing) {
    op->Fail(Status(why.code(), Describe(*op) + ": " + std::string(why.message())));
  }
}

bool PgEngine::AnyReady() const {
  return std::any_of(slots_.begin(), slots_.end(), [](const auto& slot) {
    return slot->conn.state() == PgConnection::State::kReady;
  });
}

bool PgEngine::Drained() const {
  return pending_.empty() && init_op_ == nullptr &&
         std::all_of(slots_.begin(), slots_.end(),
                     [](const auto& slot) { return slot->conn.idle(); });
}

void PgEngine::Emit(ConnectorEvent event, const Status& detail) {
  if (listener_) listener_(event, "postgres", detail);
}

void PgEngine::Shutdown() {
  Status cancelled = Status::Cancelled("storage closed");
  for (auto& slot : slots_) {
    for (auto& op : slot->conn.Reset()) {
      Release(*op);
      op->Fail(Status(cancelled.code(), Describe(*op) + ": storage closed"));
    }
  }
  TakeInbox();
  FailPending(cancelled);
  std::vector<DoneCallback> waiters;
  {
    std::lock_guard lock(mu_);
    phase_ =
        start_failed_ != nullptr && phase_ == Phase::kStarting ? Phase::kFailed : Phase::kClosed;
    waiters.swap(close_waiters_);
  }
  online_.store(false);
  // Nothing below touches `this`: a completion may destroy the engine.
  std::unique_ptr<PgOp> start_failed = std::move(start_failed_);
  if (start_failed != nullptr) start_failed->Complete();
  for (DoneCallback& waiter : waiters) waiter(Status());
}

void PgEngine::Wake() {
  uint64_t one = 1;
  ssize_t ignored = ::write(wake_fd_, &one, sizeof(one));
  (void)ignored;
}

std::string PgEngine::Where() const { return options_.host + ":" + std::to_string(options_.port); }

}  // namespace strata
