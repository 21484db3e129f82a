// Scenario "read-cold": BENCH_R_N records bench/c<i> (written beforehand through the server by
// bench/seed-records.js, then the server restarted and its cache flushed, see run.sh) are read
// back by snapshot (RECORD READ, as client.record.snapshot() does) over BENCH_R_C connections,
// each keeping BENCH_R_K reads in flight; connection c reads records c, c + C, c + 2C, ...
// Validation: exactly one READ_RESPONSE per read, for a requested name, with a version, and data
// byte-identical to what the seeder wrote (SeedData: the same function as seed-records.js); any
// error (RECORD_NOT_FOUND, ...) or other message is a problem. Reports reads/s, read latency and
// the server's CPU per read.
#include <cstdio>
#include <memory>
#include <vector>

#include "conn.h"
#include "scenario.h"

namespace strata::loadgen {
namespace {

constexpr int kReader = 0;
constexpr int kRead = 3;  // RECORD_ACTION.READ

// The data record i was seeded with (bench/seed-records.js builds the same bytes).
std::string SeedData(int i, int payload) {
  return Padded("{\"i\":" + std::to_string(i) + ",\"fill\":\"", size_t(payload));
}

class ReadColdScenario final : public ConnHandler {
 public:
  ReadColdScenario(RunContext& ctx, int n, int c, int k, int payload)
      : ctx_(ctx), n_(n), c_(c), k_(k), payload_(payload) {}

  int Run();

  void OnLoggedIn(Conn& c) override { c.MarkReady(); }

  void OnMessage(Conn& c, const Msg& m, std::string_view) override {
    Phase ph = ctx_.phase.load(std::memory_order_relaxed);
    if (ph == Phase::kShutdown) return;
    if (ph != Phase::kMeasuring)
      return c.Problem("message after the end / before the start " + Describe(m));
    if (!(m.topic == topic::kRecord && m.action == record_action::kReadResponse && !m.is_error)) {
      return c.Problem("unexpected message " + Describe(m));
    }
    int64_t now = NowNs();
    int i = IndexOf(m.name);
    if (i < 0 || i % c_ != c.index || !inflight_[i]) {
      return c.Problem("READ_RESPONSE for a record not being read: " + std::string(m.name));
    }
    inflight_[i] = 0;
    if (!m.has_version || m.version < 1) c.Problem("READ_RESPONSE without version " + Describe(m));
    if (m.data != SeedData(i, payload_)) {
      c.Problem("record " + std::string(m.name) + " has data " + std::string(m.data.substr(0, 80)) +
                ", expected " + SeedData(i, payload_).substr(0, 40) + "...");
    }
    ++done_[c.index];
    total_done_.fetch_add(1, std::memory_order_relaxed);
    lat_[c.loop()->id].push_back(float(now - send_ns_[i]) / 1000);
    last_rx_ns_.store(now, std::memory_order_relaxed);
    Pump(c);
  }

 private:
  static std::string Name(int i) { return "bench/c" + std::to_string(i); }
  int IndexOf(std::string_view name) const {
    if (name.substr(0, 7) != "bench/c" || name.size() == 7) return -1;
    int v = 0;
    for (char ch : name.substr(7)) {
      if (ch < '0' || ch > '9' || v > n_) return -1;
      v = v * 10 + (ch - '0');
    }
    return v < n_ ? v : -1;
  }
  // Records of connection c: c, c + C, ...; sent_[c] of them requested so far.
  int CountOf(int c) const { return c < n_ ? (n_ - c + c_ - 1) / c_ : 0; }

  void Pump(Conn& c) {
    int ci = c.index;
    while (!stop_.load(std::memory_order_relaxed) && sent_[ci] < CountOf(ci) &&
           sent_[ci] - done_[ci] < k_) {
      int i = ci + sent_[ci] * c_;
      ++sent_[ci];
      inflight_[i] = 1;
      send_ns_[i] = NowNs();
      total_sent_.fetch_add(1, std::memory_order_relaxed);
      c.Send(frames_[i]);
    }
  }

  RunContext& ctx_;
  int n_, c_, k_, payload_;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::vector<std::string> frames_;
  std::vector<int64_t> send_ns_;   // per record; written and read on its connection's loop
  std::vector<uint8_t> inflight_;  // per record, same
  std::vector<int> sent_, done_;   // per connection, same
  std::vector<std::vector<float>> lat_;
  std::atomic<int64_t> total_sent_{0}, total_done_{0}, last_rx_ns_{0};
  std::atomic<bool> stop_{false};
};

int ReadColdScenario::Run() {
  Json j;
  BeginResult(ctx_, j, "read-cold");
  int64_t t00 = NowNs();
  LoopGroup group(&ctx_, ctx_.opt.threads);
  for (int c = 0; c < c_; ++c) {
    conns_.push_back(std::make_unique<Conn>(&ctx_, this, "r" + std::to_string(c), kReader, c, 0));
  }
  for (auto& c : conns_) group.Add(c.get());
  for (int i = 0; i < n_; ++i) {
    frames_.push_back(MaskedFrame(
        EncodeMessage(topic::kRecord, ProtoWriter().Varint(1, kRead).Bytes(6, Name(i)).str())));
  }
  send_ns_.assign(size_t(n_), 0);
  inflight_.assign(size_t(n_), 0);
  sent_.assign(size_t(c_), 0);
  done_.assign(size_t(c_), 0);
  if (std::optional<int> failed = StartAndWaitReady(ctx_, group, j)) return *failed;
  double setup_ms = double(NowNs() - t00) / 1e6;
  lat_.resize(group.size());
  PhaseHooks hooks;
  hooks.start = [this](int loop) {
    for (auto& c : conns_) {
      if (c->loop()->id == loop) Pump(*c);
    }
  };
  hooks.all_sent = [&] { return total_sent_.load() == n_; };
  hooks.complete = [&] { return total_done_.load() == total_sent_.load(); };
  hooks.progress = [&] { return total_done_.load(); };
  hooks.stop_sending = &stop_;
  hooks.last_rx_ns = &last_rx_ns_;
  PhaseResult r = RunMeasuredPhase(ctx_, group, hooks);
  int64_t sent = total_sent_.load(), done = total_done_.load();
  if (r.how != "complete") {
    ctx_.problems.Add(r.how + ": " + std::to_string(done) + "/" + std::to_string(sent) +
                      " reads answered");
  }
  EndRun(ctx_, group);
  std::vector<float> all;
  for (auto& v : lat_) all.insert(all.end(), v.begin(), v.end());
  Latency l = Percentiles(std::move(all));
  double el_s = r.elapsed_ms() / 1000;
  j.Begin("params")
      .Num("N", n_)
      .Num("C", c_)
      .Num("K", k_)
      .Num("durationS", ctx_.opt.duration_ms / 1000)
      .Num("payloadBytes", double(SeedData(0, payload_).size()))
      .End();
  std::string stopped = r.how != "complete" ? r.how : sent == n_ ? "count" : "time cap";
  j.Num("setupMs", setup_ms)
      .Str("stoppedBy", stopped)
      .Num("elapsedS", el_s)
      .Num("reads", double(done))
      .Num("lostReads", double(sent - done))
      .Num("readsPerS", double(done) / el_s);
  AddLatencyJson(j, "readLatencyMs", l);
  AddCpuJson(j, ctx_.opt, r.cpu0, r.cpu1, r.rss_kb, r.elapsed_ms(), {{"Read", double(done)}},
             r.self0, r.self1);
  double tck = double(ClockTicks());
  double su = double(r.cpu1.utime - r.cpu0.utime) * 1e6 / tck,
         ss = double(r.cpu1.stime - r.cpu0.stime) * 1e6 / tck;
  char buf[768];
  std::snprintf(buf, sizeof buf,
                "   N=%d records, C=%d connections, K=%d reads in flight each, setup=%.0fms, "
                "stopped by %s\n"
                "   %lld reads in %.2f s: %.0f reads/s; read latency ms p50 %.2f p99 %.2f\n"
                "   server: per read user %.1f us sys %.1f us; RSS %.1f MB\n",
                n_, c_, k_, setup_ms, stopped.c_str(), (long long)done, el_s, double(done) / el_s,
                l.p50_ms, l.p99_ms, done ? su / double(done) : 0, done ? ss / double(done) : 0,
                r.rss_kb / 1024);
  return Finish(ctx_, j, buf);
}

}  // namespace

int RunReadCold(RunContext& ctx) {
  int n = int(EnvNumber("BENCH_R_N", 20000));
  int c = int(EnvNumber("BENCH_R_C", 8));
  int k = int(EnvNumber("BENCH_R_K", 64));
  int payload = int(EnvNumber("BENCH_R_PAYLOAD", 200, 30));
  ReadColdScenario s(ctx, n, c, k, payload);
  return s.Run();
}

}  // namespace strata::loadgen
