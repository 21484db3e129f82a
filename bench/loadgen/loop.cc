#include "loop.h"

#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <latch>

#include "conn.h"
#include "run_context.h"

namespace strata::loadgen {

Loop::Loop(RunContext* ctx, int id) : id(id), ctx_(ctx), scratch_(256 * 1024) {
  epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wakefd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr;  // nullptr marks the wake-up eventfd
  ::epoll_ctl(epfd_, EPOLL_CTL_ADD, wakefd_, &ev);
  ping_frame_ = MaskedFrame(
      EncodeMessage(topic::kConnection, ProtoWriter().Varint(1, connection_action::kPing).str()));
}

Loop::~Loop() {
  if (thread_.joinable()) StopAndJoin();
  ::close(epfd_);
  ::close(wakefd_);
  if (timerfd_ >= 0) ::close(timerfd_);
}

void Loop::Add(Conn* c, int source_ip_last_octet) {
  conns_.push_back(c);
  source_octet_.push_back(source_ip_last_octet);
}

void Loop::Start(std::atomic<int>* ready, std::atomic<int>* failed) {
  ready_ = ready;
  failed_ = failed;
  thread_ = std::thread([this] { Run(); });
}

void Loop::Post(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    tasks_.push_back(std::move(fn));
  }
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wakefd_, &one, sizeof one);
}

void Loop::StopAndJoin() {
  Post([this] {
    for (Conn* c : conns_) c->Close();
    running_ = false;
  });
  thread_.join();
}

void Loop::Watch(Conn* c, uint32_t events, bool add) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = c;
  ::epoll_ctl(epfd_, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, c->fd(), &ev);
}

void Loop::MarkDirty(Conn* c) {
  c->dirty = true;
  dirty_.push_back(c);
}

void Loop::OnReady(Conn* c) {
  --handshaking_;
  ready_->fetch_add(1);
  StartConnects();
}

void Loop::OnSetupFailed(Conn* c) {
  // The run is aborted (WaitReady reports the failure); opening more connections would only add
  // noise, and a connect that fails synchronously would recurse through here.
  --handshaking_;
  failed_->fetch_add(1);
}

void Loop::SetTicker(std::function<int64_t()> ticker) {
  if (timerfd_ < 0) {
    timerfd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = &timerfd_;
    ::epoll_ctl(epfd_, EPOLL_CTL_ADD, timerfd_, &ev);
    // The default 50 us of timer slack would delay every paced send by up to that much.
    ::prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  }
  ticker_ = std::move(ticker);
  Tick();
}

void Loop::Tick() {
  int64_t next = ticker_();
  if (next == armed_ns_) return;
  armed_ns_ = next;
  itimerspec when{};  // all zero disarms
  when.it_value.tv_sec = next / 1000000000;
  when.it_value.tv_nsec = next % 1000000000;
  ::timerfd_settime(timerfd_, TFD_TIMER_ABSTIME, &when, nullptr);
}

void Loop::StartConnects() {
  while (handshaking_ < kMaxHandshakes && next_connect_ < conns_.size() &&
         ctx_->phase.load() == Phase::kSetup) {
    size_t i = next_connect_++;
    ++handshaking_;
    conns_[i]->Connect(this, source_octet_[i]);
  }
}

void Loop::FlushDirty() {
  // Flush may not add to dirty_ (it only sends), so iterating by index is safe.
  for (size_t i = 0; i < dirty_.size(); ++i) {
    dirty_[i]->dirty = false;
    dirty_[i]->Flush();
  }
  dirty_.clear();
}

void Loop::RunTasks() {
  uint64_t n;
  [[maybe_unused]] ssize_t r = ::read(wakefd_, &n, sizeof n);
  std::vector<std::function<void()>> tasks;
  {
    std::lock_guard<std::mutex> lock(mu_);
    tasks.swap(tasks_);
  }
  for (auto& t : tasks) t();
}

void Loop::PingAll() {
  for (Conn* c : conns_) {
    if (c->state() == Conn::State::kReady || c->state() == Conn::State::kSetup)
      c->Send(ping_frame_);
  }
}

void Loop::Run() {
  StartConnects();
  FlushDirty();
  epoll_event events[256];
  auto next_ping = std::chrono::steady_clock::now() + kPingEvery;
  while (running_) {
    // With a ticker, shorter batches: the ticker runs between batches, and a batch of 256
    // receives can take long enough to delay the paced sends by a millisecond.
    int n = ::epoll_wait(epfd_, events, ticker_ ? 32 : 256, 1000);
    for (int i = 0; i < n; ++i) {
      if (events[i].data.ptr == nullptr) {
        RunTasks();
      } else if (events[i].data.ptr == &timerfd_) {
        uint64_t expirations;
        [[maybe_unused]] ssize_t r = ::read(timerfd_, &expirations, sizeof expirations);
        armed_ns_ = 0;
      } else {
        static_cast<Conn*>(events[i].data.ptr)->OnEvent(events[i].events);
      }
    }
    if (std::chrono::steady_clock::now() >= next_ping) {
      PingAll();
      next_ping += kPingEvery;
    }
    if (ticker_) Tick();
    FlushDirty();
  }
}

LoopGroup::LoopGroup(RunContext* ctx, int threads) : ctx_(ctx) {
  for (int i = 0; i < threads; ++i) loops_.push_back(std::make_unique<Loop>(ctx, i));
}

void LoopGroup::Add(Conn* c, int source_ip_last_octet) {
  loops_[added_++ % loops_.size()]->Add(c, source_ip_last_octet);
}

void LoopGroup::Start() {
  for (auto& l : loops_) l->Start(&ready_, &failed_);
}

std::string LoopGroup::WaitReady(double timeout_ms) {
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::microseconds(int64_t(timeout_ms * 1000));
  while (ready_.load() < added_) {
    if (failed_.load() > 0)
      return std::to_string(failed_.load()) + " connections failed during setup";
    if (std::chrono::steady_clock::now() > deadline) {
      return "setup timed out: " + std::to_string(ready_.load()) + "/" + std::to_string(added_) +
             " connections ready";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return {};
}

void LoopGroup::RunOnAll(const std::function<void(int)>& fn) {
  std::latch done(ptrdiff_t(loops_.size()));
  for (size_t i = 0; i < loops_.size(); ++i) {
    loops_[i]->Post([&fn, &done, i] {
      fn(int(i));
      done.count_down();
    });
  }
  done.wait();
}

void LoopGroup::StopAll() {
  for (auto& l : loops_) l->StopAndJoin();
}

}  // namespace strata::loadgen
