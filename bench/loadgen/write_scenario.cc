// Scenarios "write", "write-ack" and "fanout": W writers, each owning record bench/w<i> (write-ack:
// bench/a<i>, fanout: bench/f<i>),
// S subscribers per record on their own connections. Every connection does
// SUBSCRIBECREATEANDREAD and waits for the READ_RESPONSE; each writer then sends UPDATEs with
// explicit versions base+1.. and isWriteAck, keeping at most K writes in flight (a write is
// complete when its WRITE_ACKNOWLEDGEMENT arrives), or, in the paced mode (--rate), on the
// open-loop schedule of pacer.h with at most BENCH_RATE_MAX_INFLIGHT unacked writes per writer.
// Validation as write-fanout.js, with the data compared byte for byte on every
// BENCH_DATA_EVERY-th version (default: every version); the same in both modes.
#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "conn.h"
#include "pacer.h"
#include "scenario.h"
#include "write_result.h"

namespace strata::loadgen {
namespace {

constexpr int kWriter = 0, kSubscriber = 1;

struct Params {
  int w, s, n, k, payload, data_every;
  std::string prefix;
  double rate = 0;       // paced mode: updates/s over all writers; 0 = K in flight
  int max_inflight = 0;  // paced mode: unacked writes per writer before sending pauses
};

class WriteScenario final : public ConnHandler {
 public:
  WriteScenario(RunContext& ctx, Params p) : ctx_(ctx), p_(std::move(p)) {}

  int Run();

  void OnLoggedIn(Conn& c) override {
    c.SendMessage(topic::kRecord, ProtoWriter()
                                      .Varint(1, record_action::kSubscribeCreateAndRead)
                                      .Bytes(3, c.name())
                                      .Bytes(7, Record(c.index))
                                      .str());
  }

  void OnMessage(Conn& c, const Msg& m, std::string_view frame) override {
    if (c.state() == Conn::State::kSetup) return OnSetupMessage(c, m);
    Phase ph = ctx_.phase.load(std::memory_order_relaxed);
    if (ph == Phase::kShutdown) return;
    if (ph != Phase::kMeasuring)
      return c.Problem("message after the end / before the start " + Describe(m));
    if (c.role == kWriter) return OnWriterMessage(c, m);
    OnSubscriberMessage(c, m);
  }

 private:
  std::string Record(int w) const { return p_.prefix + std::to_string(w); }
  int ConnId(const Conn& c) const {
    return c.role == kWriter ? c.index : p_.w + c.index * p_.s + c.sub;
  }

  void OnSetupMessage(Conn& c, const Msg& m) {
    int id = ConnId(c);
    if (m.topic == topic::kRecord && m.action == record_action::kSubscribeCreateAndRead &&
        !m.is_error) {
      setup_acked_[id] = 1;
      return;
    }
    if (m.topic == topic::kRecord && m.action == record_action::kReadResponse &&
        m.name == Record(c.index)) {
      if (!m.has_version) c.Problem("READ_RESPONSE without version");
      if (!setup_acked_[id]) c.Problem("no SUBSCRIBECREATEANDREAD ack before the READ_RESPONSE");
      base_of_[id] = m.has_version ? m.version : 0;
      return c.MarkReady();
    }
    c.Problem("unexpected message during setup " + Describe(m));
  }

  // Queues write i of writer w; on w's loop.
  void SendWrite(Conn& c, int w, int i, int64_t now) {
    send_ns_[w][i].store(now, std::memory_order_relaxed);
    sent_[w].store(i + 1, std::memory_order_release);
    total_sent_.fetch_add(1, std::memory_order_relaxed);
    c.Send(frames_[w][i]);
  }

  // Closed loop: tops the writer up to K writes in flight.
  void Pump(Conn& c) {
    int w = c.index;
    while (!stop_.load(std::memory_order_relaxed)) {
      int i = sent_[w].load(std::memory_order_relaxed);
      if (i >= p_.n || i - ack_count_[w] >= p_.k) break;
      SendWrite(c, w, i, NowNs());
    }
  }

  // Paced mode, the ticker of loop `loop`: sends the due writes of its writers (all stamped with
  // one clock reading; they leave in this iteration's flush) and returns when the next one is
  // due; 0 when none can go before an ack arrives (acks wake the loop) or all are sent.
  int64_t PacedTick(int loop) {
    if (stop_.load(std::memory_order_relaxed)) return 0;
    int64_t now = NowNs(), next = INT64_MAX, behind = 0;
    for (int w : writers_of_[loop]) {
      int i = sent_[w].load(std::memory_order_relaxed);
      const int first = i;
      const int64_t due = std::min<int64_t>(pacer_->DueBy(w, now), p_.n);
      for (; i < due && i - ack_count_[w] < p_.max_inflight; ++i) {
        lag_[loop].push_back(float(now - pacer_->DueAt(w, i)) / 1000);
        SendWrite(*conns_[w], w, i, now);
      }
      if (i > first) last_send_ns_[w] = now;
      behind += due - i;
      if (i < p_.n && i - ack_count_[w] < p_.max_inflight) {
        next = std::min(next, pacer_->DueAt(w, i));
      }
    }
    max_behind_[loop] = std::max(max_behind_[loop], behind);
    last_behind_[loop] = behind;
    return next == INT64_MAX ? 0 : next;
  }

  void OnWriterMessage(Conn& c, const Msg& m) {
    int w = c.index;
    if (m.topic == topic::kRecord && m.action == record_action::kWriteAcknowledgement &&
        !m.is_error) {
      int64_t now = NowNs();
      int v = -1;
      std::from_chars(m.correlation_id.data(), m.correlation_id.data() + m.correlation_id.size(),
                      v);
      int i = v - base_[w] - 1;
      if (m.name != Record(w)) c.Problem("ack for " + std::string(m.name));
      if (!m.is_write_ack) c.Problem("WRITE_ACKNOWLEDGEMENT without isWriteAck: " + Describe(m));
      if (i < 0 || i >= sent_[w].load(std::memory_order_relaxed)) {
        return c.Problem("ack with unknown correlationId " + std::string(m.correlation_id));
      }
      if (acked_[w][i]) return c.Problem("duplicate ack for version " + std::to_string(v));
      acked_[w][i] = 1;
      ++ack_count_[w];
      total_acked_.fetch_add(1, std::memory_order_relaxed);
      ack_lat_[c.loop()->id].push_back(float(now - send_ns_[w][i].load(std::memory_order_relaxed)) /
                                       1000);
      last_rx_ns_.store(now, std::memory_order_relaxed);
      if (!pacer_) Pump(c);  // paced: the loop's ticker sends what is due after this batch
      return;
    }
    if (m.topic == topic::kRecord && m.name == Record(w) &&
        (m.action == record_action::kUpdate || m.action == record_action::kPatch)) {
      return c.Problem("received its own write (version " + std::to_string(m.version) +
                       ") - the sender must be excluded");
    }
    c.Problem(std::string(m.action == record_action::kVersionExists ? "VERSION_EXISTS "
                                                                    : "unexpected message ") +
              Describe(m));
  }

  void OnSubscriberMessage(Conn& c, const Msg& m) {
    int w = c.index;
    if (!(m.topic == topic::kRecord && m.action == record_action::kUpdate && !m.is_error &&
          m.name == Record(w))) {
      return c.Problem(std::string(m.action == record_action::kVersionExists
                                       ? "VERSION_EXISTS "
                                       : "unexpected message ") +
                       Describe(m));
    }
    int64_t now = NowNs();
    int& expected = next_expected_[w * p_.s + c.sub];
    int i = expected;
    int v = m.version;
    if (!m.has_version || v != base_[w] + 1 + i) {
      bool gap = m.has_version && v > base_[w] + 1 + i && v - base_[w] - 1 < sent_[w].load();
      c.Problem("got version " + std::to_string(v) + ", expected " +
                std::to_string(base_[w] + 1 + i) +
                (v <= base_[w] + i ? " (duplicate/out of order)" : " (gap)"));
      if (!gap) return;
      // Count the skipped versions as lost and resynchronise on this one, so that one lost
      // broadcast is counted once rather than failing every later version.
      lost_versions_.fetch_add(v - (base_[w] + 1 + i), std::memory_order_relaxed);
      i = v - base_[w] - 1;
    }
    if (i >= sent_[w].load(std::memory_order_acquire)) {
      return c.Problem("version " + std::to_string(v) + " that was never sent");
    }
    if (((i + 1) % p_.data_every == 0 || i == p_.n - 1) && m.data != payloads_[w][i]) {
      c.Problem("version " + std::to_string(v) + " has data " + std::string(m.data.substr(0, 120)) +
                ", expected " + payloads_[w][i].substr(0, 60) + "...");
    }
    expected = i + 1;
    total_delivered_.fetch_add(1, std::memory_order_relaxed);
    sub_lat_[c.loop()->id].push_back(float(now - send_ns_[w][i].load(std::memory_order_relaxed)) /
                                     1000);
    if (pacer_) sched_lat_[c.loop()->id].push_back(float(now - pacer_->DueAt(w, i)) / 1000);
    last_rx_ns_.store(now, std::memory_order_relaxed);
  }

  void PrepareFrames();
  void PrepareRun(int loops);
  PhaseHooks Hooks();
  void StartSending(int loop);
  void ReportMissing();
  void Tally(const PhaseResult& r, WriteFigures* f);

  RunContext& ctx_;
  Params p_;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::vector<uint8_t> setup_acked_;
  std::vector<int> base_of_;  // READ_RESPONSE version per connection
  std::vector<int> base_;     // per record
  std::vector<std::vector<std::string>> frames_, payloads_;
  std::vector<std::unique_ptr<std::atomic<int64_t>[]>> send_ns_;
  std::vector<std::vector<uint8_t>> acked_;  // writer's loop only
  std::unique_ptr<std::atomic<int>[]> sent_;
  std::vector<int> ack_count_;                         // writer's loop only
  std::vector<int> next_expected_;                     // [w * S + s], subscriber's loop only
  std::vector<std::vector<float>> ack_lat_, sub_lat_;  // per loop, microseconds
  std::atomic<int64_t> total_sent_{0}, total_acked_{0}, total_delivered_{0}, lost_versions_{0};
  std::atomic<int64_t> last_rx_ns_{0};
  std::atomic<bool> stop_{false};
  // Paced mode only.
  std::unique_ptr<Pacer> pacer_;
  std::vector<std::vector<int>> writers_of_;         // per loop: the writers it owns
  std::vector<int64_t> last_send_ns_;                // per writer, writer's loop only
  std::vector<int64_t> max_behind_, last_behind_;    // per loop: due but not sent
  std::vector<std::vector<float>> lag_, sched_lat_;  // per loop, microseconds
};

void WriteScenario::PrepareFrames() {
  frames_.assign(p_.w, {});
  payloads_.assign(p_.w, {});
  for (int w = 0; w < p_.w; ++w) {
    for (int i = 0; i < p_.n; ++i) {
      int v = base_[w] + 1 + i;
      std::string data =
          Padded("{\"writer\":" + std::to_string(w) + ",\"seq\":" + std::to_string(v) +
                     ",\"ts\":\"bench\",\"fill\":\"",
                 size_t(p_.payload));
      frames_[w].push_back(
          MaskedFrame(EncodeMessage(topic::kRecord, ProtoWriter()
                                                        .Varint(1, record_action::kUpdate)
                                                        .Bytes(2, data)
                                                        .Bytes(3, std::to_string(v))
                                                        .Bytes(6, Record(w))
                                                        .Varint(11, 1)
                                                        .Varint(13, v)
                                                        .str())));
      payloads_[w].push_back(std::move(data));
    }
  }
}

void WriteScenario::ReportMissing() {
  int shown = 0;
  for (int w = 0; w < p_.w && shown < 10; ++w) {
    int sent = sent_[w].load();
    if (ack_count_[w] != sent) {
      ctx_.problems.Add("writer w" + std::to_string(w) + ": " +
                        std::to_string(sent - ack_count_[w]) + " writes without ack");
      ++shown;
    }
    for (int s = 0; s < p_.s && shown < 10; ++s) {
      if (next_expected_[w * p_.s + s] != sent) {
        ctx_.problems.Add("subscriber w" + std::to_string(w) + "s" + std::to_string(s) +
                          ": received versions up to " +
                          std::to_string(base_[w] + next_expected_[w * p_.s + s]) +
                          ", writer sent up to " + std::to_string(base_[w] + sent));
        ++shown;
      }
    }
  }
}

void WriteScenario::PrepareRun(int loops) {
  PrepareFrames();
  for (int w = 0; w < p_.w; ++w) {
    send_ns_.push_back(std::make_unique<std::atomic<int64_t>[]>(size_t(p_.n)));
    acked_.emplace_back(size_t(p_.n), 0);
  }
  sent_ = std::make_unique<std::atomic<int>[]>(size_t(p_.w));
  ack_count_.assign(p_.w, 0);
  next_expected_.assign(size_t(p_.w) * p_.s, 0);
  const size_t deliveries = std::min<size_t>(size_t(p_.w) * p_.n * p_.s, 20000000);
  ack_lat_.resize(loops);
  sub_lat_.resize(loops);
  for (auto& v : ack_lat_) v.reserve(size_t(p_.w) * p_.n / loops + 16);
  for (auto& v : sub_lat_) v.reserve(deliveries);
  if (p_.rate <= 0) return;
  pacer_ = std::make_unique<Pacer>(p_.rate, p_.w);
  writers_of_.resize(loops);
  last_send_ns_.assign(p_.w, 0);
  max_behind_.assign(loops, 0);
  last_behind_.assign(loops, 0);
  lag_.resize(loops);
  sched_lat_.resize(loops);
  for (auto& v : lag_) v.reserve(size_t(p_.w) * p_.n / loops + 16);
  for (auto& v : sched_lat_) v.reserve(deliveries);
}

// On loop `loop`, at the start of the measured phase.
void WriteScenario::StartSending(int loop) {
  for (int w = 0; w < p_.w; ++w) {
    if (conns_[w]->loop()->id != loop) continue;
    if (pacer_) {
      writers_of_[loop].push_back(w);
    } else {
      Pump(*conns_[w]);
    }
  }
  if (pacer_ && !writers_of_[loop].empty()) {
    conns_[writers_of_[loop][0]]->loop()->SetTicker([this, loop] { return PacedTick(loop); });
  }
}

PhaseHooks WriteScenario::Hooks() {
  const int64_t total = int64_t(p_.w) * p_.n;
  PhaseHooks hooks;
  hooks.at_t0 = [this](int64_t t0) {
    if (pacer_) pacer_->Start(t0);
  };
  hooks.start = [this](int loop) { StartSending(loop); };
  hooks.all_sent = [this, total] { return total_sent_.load() == total; };
  hooks.complete = [this] {
    int64_t sent = total_sent_.load();
    return total_acked_.load() == sent &&
           total_delivered_.load() + lost_versions_.load() == sent * p_.s;
  };
  hooks.progress = [this] { return total_acked_.load() + total_delivered_.load(); };
  hooks.stop_sending = &stop_;
  hooks.last_rx_ns = &last_rx_ns_;
  return hooks;
}

std::vector<float> Merged(const std::vector<std::vector<float>>& per_loop) {
  std::vector<float> all;
  for (const auto& v : per_loop) all.insert(all.end(), v.begin(), v.end());
  return all;
}

// What the run measured; REQUIRES: the loops have stopped.
void WriteScenario::Tally(const PhaseResult& r, WriteFigures* f) {
  f->sent = total_sent_.load();
  f->acked = total_acked_.load();
  f->delivered = total_delivered_.load();
  // Losses as numbers: writes never acked, and versions a subscriber never received (skipped
  // ones counted at the gap, missing ones at the end).
  f->lost_versions = lost_versions_.load();
  for (int w = 0; w < p_.w; ++w) {
    int sent_w = sent_[w].load();
    f->lost_acks += sent_w - ack_count_[w];
    for (int s = 0; s < p_.s; ++s) f->lost_versions += sent_w - next_expected_[w * p_.s + s];
    f->last_versions.emplace_back(Record(w), base_[w] + sent_w);
  }
  f->ack = Percentiles(Merged(ack_lat_));
  f->notify = Percentiles(Merged(sub_lat_));
  f->payload_bytes = payloads_[0][0].size();
  f->frame_bytes = frames_[0][0].size();
  if (!pacer_) return;
  f->rate = p_.rate;
  f->max_inflight = p_.max_inflight;
  int64_t last_send = pacer_->t0_ns();
  for (int w = 0; w < p_.w; ++w) last_send = std::max(last_send, last_send_ns_[w]);
  // As of each loop's last tick: a write that fell due between that tick and the stop is not
  // "behind", the loop simply had not run yet.
  for (int64_t b : last_behind_) f->behind_at_end += b;
  // The last write is due (sent - 1) / R after t0: one interval added makes an on-time run
  // come out at exactly the target rate.
  f->sent_per_s = double(f->sent) / (double(last_send - pacer_->t0_ns()) / 1e9 + 1 / p_.rate);
  for (int64_t b : max_behind_) f->behind_max += b;
  f->send_lag = Percentiles(Merged(lag_));
  f->notify_from_schedule = Percentiles(Merged(sched_lat_));
}

int WriteScenario::Run() {
  const char* name = ctx_.opt.scenario == "fanout"      ? "fanout"
                     : ctx_.opt.scenario == "write-ack" ? "write-ack"
                                                        : "write-fanout";
  Json j;
  BeginResult(ctx_, j, name);
  int64_t t00 = NowNs();
  LoopGroup group(&ctx_, ctx_.opt.threads);
  for (int w = 0; w < p_.w; ++w) {
    conns_.push_back(std::make_unique<Conn>(&ctx_, this, "w" + std::to_string(w), kWriter, w, 0));
  }
  for (int w = 0; w < p_.w; ++w) {
    for (int s = 0; s < p_.s; ++s) {
      conns_.push_back(std::make_unique<Conn>(
          &ctx_, this, "w" + std::to_string(w) + "s" + std::to_string(s), kSubscriber, w, s));
    }
  }
  for (auto& c : conns_) group.Add(c.get());
  setup_acked_.assign(conns_.size(), 0);
  base_of_.assign(conns_.size(), 0);
  if (std::optional<int> failed = StartAndWaitReady(ctx_, group, j)) return *failed;
  WriteFigures f;
  f.setup_ms = double(NowNs() - t00) / 1e6;
  base_.assign(p_.w, 0);
  for (int w = 0; w < p_.w; ++w) {
    base_[w] = base_of_[w];
    for (int s = 0; s < p_.s; ++s) {
      int b = base_of_[p_.w + w * p_.s + s];
      if (b != base_[w]) {
        ctx_.problems.Add("subscriber w" + std::to_string(w) + "s" + std::to_string(s) +
                          ": READ_RESPONSE version " + std::to_string(b) + " != writer's " +
                          std::to_string(base_[w]));
      }
    }
  }
  PrepareRun(group.size());
  PhaseResult r = RunMeasuredPhase(ctx_, group, Hooks());
  int64_t sent = total_sent_.load(), acked = total_acked_.load(),
          delivered = total_delivered_.load();
  if (r.how != "complete") {
    ctx_.problems.Add((r.how == "stalled" ? "stalled (nothing received for " +
                                                std::to_string(int64_t(ctx_.opt.stall_ms)) + " ms)"
                                          : std::string("not complete after the drain time")) +
                      ": acked " + std::to_string(acked) + "/" + std::to_string(sent) +
                      " writes, delivered " + std::to_string(delivered) + "/" +
                      std::to_string(sent * p_.s) + " notifications");
  }
  EndRun(ctx_, group);  // loops stopped: their state may be read now
  if (r.how != "complete") ReportMissing();
  f.w = p_.w;
  f.s = p_.s;
  f.n = p_.n;
  f.k = p_.k;
  f.data_every = p_.data_every;
  f.stopped_by = r.how != "complete" ? r.how : sent == int64_t(p_.w) * p_.n ? "count" : "time cap";
  Tally(r, &f);
  return FinishWrite(ctx_, j, f, r);
}

// A count knob; in the paced mode an unset one defaults to what the time cap needs at the rate
// (so that the cap, not the count, ends the run), at most kMaxPacedWrites over all writers
// (every write is pre-encoded: about 0.5 KB each).
int CountKnob(const char* knob, const char* fallback, double closed_loop_default, const Params& p,
              const Options& o) {
  constexpr double kMaxPacedWrites = 2e6;
  double def = closed_loop_default;
  if (p.rate > 0) {
    def = std::ceil(std::min(p.rate * o.duration_ms / 1000, kMaxPacedWrites) / p.w);
  }
  if (fallback != nullptr) def = EnvNumber(fallback, def);
  return int(EnvNumber(knob, def));
}

}  // namespace

int RunWrite(RunContext& ctx, bool fanout) {
  const Options& o = ctx.opt;
  Params p;
  p.rate = o.rate;
  if (ctx.opt.scenario == "write-ack") {
    // "write" over Redis + PostgreSQL: the same load, its own records and knobs.
    p.w = int(EnvNumber("BENCH_A_W", EnvNumber("BENCH_W", 10)));
    p.s = int(EnvNumber("BENCH_A_S", EnvNumber("BENCH_S", 10)));
    p.n = CountKnob("BENCH_A_N", "BENCH_N", 2000, p, o);
    p.k = int(EnvNumber("BENCH_A_K", EnvNumber("BENCH_K", 8)));
    p.prefix = "bench/a";
  } else if (fanout) {
    p.w = int(EnvNumber("BENCH_F_W", 1));
    p.s = int(EnvNumber("BENCH_F_S", 1000));
    p.n = CountKnob("BENCH_F_N", nullptr, 1000, p, o);
    p.k = int(EnvNumber("BENCH_F_K", 8));
    p.prefix = "bench/f";
  } else {
    p.w = int(EnvNumber("BENCH_W", 10));
    p.s = int(EnvNumber("BENCH_S", 10));
    p.n = CountKnob("BENCH_N", nullptr, 2000, p, o);
    p.k = int(EnvNumber("BENCH_K", 8));
    p.prefix = "bench/w";
  }
  p.payload = int(EnvNumber("BENCH_PAYLOAD", 200, 60));
  p.data_every = int(EnvNumber("BENCH_DATA_EVERY_CPP", 1));
  // Generous: at 25,000 updates/s over 10 writers, 1000 unacked writes are 400 ms of backlog; the
  // bound only keeps a stalled server from making the generator queue without limit.
  p.max_inflight = int(EnvNumber("BENCH_RATE_MAX_INFLIGHT", 1000));
  WriteScenario s(ctx, p);
  return s.Run();
}

}  // namespace strata::loadgen
