// Scenario "conns": N idle logged-in connections (CHALLENGE, AUTH, nothing else), held for
// BENCH_C_HOLD seconds with keep-alive PINGs; reports the server's RSS growth per connection and
// the login rate. Connections come from 127.0.0.1, .2, ... (BENCH_C_PER_SOURCE, 20,000, per source
// address) so that more than one ephemeral port range is available.
#include <cmath>
#include <cstdio>
#include <memory>
#include <thread>
#include <vector>

#include "conn.h"
#include "scenario.h"

namespace strata::loadgen {
namespace {

class ConnsScenario final : public ConnHandler {
 public:
  ConnsScenario(RunContext& ctx, int n, double hold_ms, int per_source)
      : ctx_(ctx), n_(n), hold_ms_(hold_ms), per_source_(per_source) {}

  void OnLoggedIn(Conn& c) override { c.MarkReady(); }
  void OnMessage(Conn& c, const Msg& m, std::string_view) override {
    if (ctx_.phase.load(std::memory_order_relaxed) == Phase::kShutdown) return;
    c.Problem("unexpected message on an idle connection " + Describe(m));
  }

  int Run() {
    Json j;
    BeginResult(ctx_, j, "conns");
    long fd_limit = RaiseFdLimit();
    const Options& o = ctx_.opt;
    double rss0 = o.pid ? ReadRssKb(o.pid) : NAN;
    ProcCpu c0 = o.pid ? ReadProcCpu(o.pid) : ProcCpu{};
    SelfCpu s0 = ReadSelfCpu();
    int64_t t0 = NowNs();
    LoopGroup group(&ctx_, o.threads);
    for (int i = 0; i < n_; ++i) {
      conns_.push_back(std::make_unique<Conn>(&ctx_, this, "c" + std::to_string(i), 0, i, 0));
      group.Add(conns_.back().get(), 1 + i / per_source_);
    }
    if (std::optional<int> failed =
            StartAndWaitReady(ctx_, group, j, " (fd limit " + std::to_string(fd_limit) + ")")) {
      return *failed;
    }
    double setup_ms = double(NowNs() - t0) / 1e6;
    ProcCpu c1 = o.pid ? ReadProcCpu(o.pid) : ProcCpu{};
    SelfCpu s1 = ReadSelfCpu();
    ctx_.phase.store(Phase::kMeasuring);
    std::this_thread::sleep_for(std::chrono::microseconds(int64_t(hold_ms_ * 1000)));
    double rss1 = o.pid ? ReadRssKb(o.pid) : NAN;
    EndRun(ctx_, group);
    double per_conn_kb = (rss1 - rss0) / n_;
    j.Begin("params").Num("connections", n_).Num("holdS", hold_ms_ / 1000).End();
    j.Num("setupMs", setup_ms)
        .Num("connections", n_)
        .Num("loginsPerS", n_ / (setup_ms / 1000))
        .Num("rssBeforeMB", rss0 / 1024)
        .Num("rssAfterMB", rss1 / 1024)
        .Num("rssKBPerConnection", per_conn_kb);
    // CPU of the login phase, per connection
    AddCpuJson(j, o, c0, c1, rss1, setup_ms, {{"Login", double(n_)}}, s0, s1);
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "   %d connections logged in in %.0f ms (%.0f/s), held %.1f s\n"
                  "   server RSS %.1f MB -> %.1f MB: %.2f KB per connection\n",
                  n_, setup_ms, n_ / (setup_ms / 1000), hold_ms_ / 1000, rss0 / 1024, rss1 / 1024,
                  per_conn_kb);
    return Finish(ctx_, j, buf);
  }

 private:
  RunContext& ctx_;
  const int n_;
  const double hold_ms_;
  const int per_source_;  // connections per source address 127.0.0.<n>
  std::vector<std::unique_ptr<Conn>> conns_;
};

}  // namespace

int RunConns(RunContext& ctx) {
  ConnsScenario s(ctx, int(EnvNumber("BENCH_C_N", 10000)), EnvNumber("BENCH_C_HOLD", 2, 0.1) * 1000,
                  int(EnvNumber("BENCH_C_PER_SOURCE", 20000)));
  return s.Run();
}

}  // namespace strata::loadgen
