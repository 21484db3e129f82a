// Scenarios "write", "write-ack" and "fanout": W writers, each owning record bench/w<i> (write-ack:
// bench/a<i>, fanout: bench/f<i>),
// S subscribers per record on their own connections. Every connection does
// SUBSCRIBECREATEANDREAD and waits for the READ_RESPONSE; each writer then sends UPDATEs with
// explicit versions base+1.. and isWriteAck, keeping at most K writes in flight (a write is
// complete when its WRITE_ACKNOWLEDGEMENT arrives). Validation as write-fanout.js, with the data
// compared byte for byte on every BENCH_DATA_EVERY-th version (default: every version).
#include <charconv>
#include <cstdio>
#include <memory>
#include <vector>

#include "conn.h"
#include "scenario.h"

namespace strata::loadgen {
namespace {

constexpr int kWriter = 0, kSubscriber = 1;

struct Params {
  int w, s, n, k, payload, data_every;
  std::string prefix;
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

  void Pump(Conn& c) {
    int w = c.index;
    while (!stop_.load(std::memory_order_relaxed)) {
      int i = sent_[w].load(std::memory_order_relaxed);
      if (i >= p_.n || i - ack_count_[w] >= p_.k) break;
      send_ns_[w][i].store(NowNs(), std::memory_order_relaxed);
      sent_[w].store(i + 1, std::memory_order_release);
      total_sent_.fetch_add(1, std::memory_order_relaxed);
      c.Send(frames_[w][i]);
    }
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
      return Pump(c);
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
    last_rx_ns_.store(now, std::memory_order_relaxed);
  }

  void PrepareFrames();
  void ReportMissing();

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
  double setup_ms = double(NowNs() - t00) / 1e6;
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
  PrepareFrames();
  for (int w = 0; w < p_.w; ++w) {
    send_ns_.push_back(std::make_unique<std::atomic<int64_t>[]>(size_t(p_.n)));
    acked_.emplace_back(size_t(p_.n), 0);
  }
  sent_ = std::make_unique<std::atomic<int>[]>(size_t(p_.w));
  ack_count_.assign(p_.w, 0);
  next_expected_.assign(size_t(p_.w) * p_.s, 0);
  ack_lat_.resize(group.size());
  sub_lat_.resize(group.size());
  for (auto& v : ack_lat_) v.reserve(size_t(p_.w) * p_.n / group.size() + 16);
  for (auto& v : sub_lat_) v.reserve(std::min<size_t>(size_t(p_.w) * p_.n * p_.s, 20000000));

  const int64_t total = int64_t(p_.w) * p_.n;
  PhaseHooks hooks;
  hooks.start = [this](int loop) {
    for (int w = 0; w < p_.w; ++w) {
      if (conns_[w]->loop()->id == loop) Pump(*conns_[w]);
    }
  };
  hooks.all_sent = [&] { return total_sent_.load() == total; };
  hooks.complete = [&] {
    int64_t sent = total_sent_.load();
    return total_acked_.load() == sent &&
           total_delivered_.load() + lost_versions_.load() == sent * p_.s;
  };
  hooks.progress = [&] { return total_acked_.load() + total_delivered_.load(); };
  hooks.stop_sending = &stop_;
  hooks.last_rx_ns = &last_rx_ns_;
  PhaseResult r = RunMeasuredPhase(ctx_, group, hooks);
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
  // Losses as numbers: writes never acked, and versions a subscriber never received (skipped
  // ones counted at the gap, missing ones at the end).
  int64_t lost_acks = 0, lost_versions = lost_versions_.load();
  for (int w = 0; w < p_.w; ++w) {
    int sent_w = sent_[w].load();
    lost_acks += sent_w - ack_count_[w];
    for (int s = 0; s < p_.s; ++s) lost_versions += sent_w - next_expected_[w * p_.s + s];
  }

  std::vector<float> ack_all, sub_all;
  for (auto& v : ack_lat_) ack_all.insert(ack_all.end(), v.begin(), v.end());
  for (auto& v : sub_lat_) sub_all.insert(sub_all.end(), v.begin(), v.end());
  Latency al = Percentiles(std::move(ack_all)), sl = Percentiles(std::move(sub_all));
  double el_s = r.elapsed_ms() / 1000;
  j.Begin("params")
      .Num("W", p_.w)
      .Num("S", p_.s)
      .Num("N", p_.n)
      .Num("K", p_.k)
      .Num("durationS", ctx_.opt.duration_ms / 1000)
      .Num("payloadBytes", double(payloads_[0][0].size()))
      .Num("frameBytes", double(frames_[0][0].size()))
      .Num("dataEvery", p_.data_every)
      .End();
  j.Num("setupMs", setup_ms)
      .Str("stoppedBy", r.how != "complete" ? r.how
                        : sent == total     ? "count"
                                            : "time cap")
      .Num("elapsedS", el_s)
      .Num("updates", double(acked))
      .Num("notifications", double(delivered))
      .Num("updatesPerS", double(acked) / el_s)
      .Num("notificationsPerS", double(delivered) / el_s)
      .Num("lostAcks", double(lost_acks))
      .Num("lostAcksPct", sent ? 100.0 * double(lost_acks) / double(sent) : 0)
      .Num("lostVersions", double(lost_versions))
      .Num("lostVersionsPct", sent ? 100.0 * double(lost_versions) / double(sent * p_.s) : 0);
  // The last version sent per record (storage checks after the run: bench/storage-check.js).
  j.Begin("lastVersions");
  for (int w = 0; w < p_.w; ++w) j.Num(Record(w).c_str(), base_[w] + sent_[w].load());
  j.End();
  AddLatencyJson(j, "ackLatencyMs", al);
  AddLatencyJson(j, "notifyLatencyMs", sl);
  AddCpuJson(j, ctx_.opt, r.cpu0, r.cpu1, r.rss_kb, r.elapsed_ms(),
             {{"Update", double(acked)}, {"Notification", double(delivered)}}, r.self0, r.self1);
  char buf[1536];
  double tck = double(ClockTicks());
  double su = double(r.cpu1.utime - r.cpu0.utime) * 1e6 / tck,
         ss = double(r.cpu1.stime - r.cpu0.stime) * 1e6 / tck;
  double cu = r.self1.user_us - r.self0.user_us, cs = r.self1.sys_us - r.self0.sys_us;
  std::snprintf(
      buf, sizeof buf,
      "   W=%d S=%d N=%d K=%d payload=%zuB setup=%.0fms stopped by %s\n"
      "   %lld acked updates, %lld notifications in %.2f s: %.0f updates/s, %.0f notifications/s\n"
      "   write->ack ms p50 %.2f p99 %.2f; write->subscriber ms p50 %.2f p99 %.2f\n"
      "   server: per update user %.1f us sys %.1f us; per notification user %.2f us sys %.2f us; "
      "RSS %.1f MB\n"
      "   generator cpu: %.0f%% of one core (user %.2f + sys %.2f us per received message)\n"
      "   lost: %lld acks (%.2f%%), %lld versions at subscribers (%.2f%%)\n",
      p_.w, p_.s, p_.n, p_.k, payloads_[0][0].size(), setup_ms,
      r.how != "complete" ? r.how.c_str()
      : sent == total     ? "count"
                          : "time cap",
      (long long)acked, (long long)delivered, el_s, double(acked) / el_s, double(delivered) / el_s,
      al.p50_ms, al.p99_ms, sl.p50_ms, sl.p99_ms, acked ? su / double(acked) : 0,
      acked ? ss / double(acked) : 0, delivered ? su / double(delivered) : 0,
      delivered ? ss / double(delivered) : 0, r.rss_kb / 1024,
      100 * (cu + cs) / 1000 / r.elapsed_ms(),
      (acked + delivered) ? cu / double(acked + delivered) : 0,
      (acked + delivered) ? cs / double(acked + delivered) : 0, (long long)lost_acks,
      sent ? 100.0 * double(lost_acks) / double(sent) : 0, (long long)lost_versions,
      sent ? 100.0 * double(lost_versions) / double(sent * p_.s) : 0);
  std::string summary = buf;
  if (ctx_.opt.pid == 0)
    summary.erase(summary.find("   server:"),
                  summary.find("   generator") - summary.find("   server:"));
  return Finish(ctx_, j, summary);
}

}  // namespace

int RunWrite(RunContext& ctx, bool fanout) {
  Params p;
  if (ctx.opt.scenario == "write-ack") {
    // "write" over Redis + PostgreSQL: the same load, its own records and knobs.
    p.w = int(EnvNumber("BENCH_A_W", EnvNumber("BENCH_W", 10)));
    p.s = int(EnvNumber("BENCH_A_S", EnvNumber("BENCH_S", 10)));
    p.n = int(EnvNumber("BENCH_A_N", EnvNumber("BENCH_N", 2000)));
    p.k = int(EnvNumber("BENCH_A_K", EnvNumber("BENCH_K", 8)));
    p.prefix = "bench/a";
  } else if (fanout) {
    p.w = int(EnvNumber("BENCH_F_W", 1));
    p.s = int(EnvNumber("BENCH_F_S", 1000));
    p.n = int(EnvNumber("BENCH_F_N", 1000));
    p.k = int(EnvNumber("BENCH_F_K", 8));
    p.prefix = "bench/f";
  } else {
    p.w = int(EnvNumber("BENCH_W", 10));
    p.s = int(EnvNumber("BENCH_S", 10));
    p.n = int(EnvNumber("BENCH_N", 2000));
    p.k = int(EnvNumber("BENCH_K", 8));
    p.prefix = "bench/w";
  }
  p.payload = int(EnvNumber("BENCH_PAYLOAD", 200, 60));
  p.data_every = int(EnvNumber("BENCH_DATA_EVERY_CPP", 1));
  WriteScenario s(ctx, p);
  return s.Run();
}

}  // namespace strata::loadgen
