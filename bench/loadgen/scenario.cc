#include "scenario.h"

#include <cstdio>
#include <fstream>
#include <thread>

namespace strata::loadgen {

std::string Padded(const std::string& head, size_t bytes) {
  static const std::string kAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  const std::string tail = "\"}";
  std::string s = head;
  size_t fill = bytes > head.size() + tail.size() ? bytes - head.size() - tail.size() : 0;
  for (size_t i = 0; i < fill; ++i) s += kAlphabet[i % kAlphabet.size()];
  return s + tail;
}

PhaseResult RunMeasuredPhase(RunContext& ctx, LoopGroup& group, const PhaseHooks& hooks) {
  const Options& o = ctx.opt;
  PhaseResult r;
  if (o.pid) r.cpu0 = ReadProcCpu(o.pid);
  r.self0 = ReadSelfCpu();
  r.t0_ns = NowNs();
  hooks.last_rx_ns->store(r.t0_ns);
  if (hooks.at_t0) hooks.at_t0(r.t0_ns);
  ctx.phase.store(Phase::kMeasuring);
  group.RunOnAll(hooks.start);
  int64_t last_progress = hooks.progress();
  int64_t last_progress_ns = r.t0_ns;
  const int64_t cap_ns = int64_t(o.duration_ms * 1e6);
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    int64_t now = NowNs();
    if (!r.capped && now - r.t0_ns >= cap_ns) {
      hooks.stop_sending->store(true);
      r.stop_ns = now;
      group.RunOnAll([](int) {});  // afterwards no loop is in the middle of sending
      r.capped = true;
    }
    if ((r.capped || hooks.all_sent()) && hooks.complete()) {
      r.how = "complete";
      break;
    }
    int64_t p = hooks.progress();
    if (p != last_progress) {
      last_progress = p;
      last_progress_ns = now;
    } else if (double(now - last_progress_ns) > o.stall_ms * 1e6) {
      r.how = "stalled";
      break;
    }
    if (double(now - r.t0_ns) > o.duration_ms * 1e6 + o.drain_ms * 1e6) {
      r.how = "drain-timeout";
      break;
    }
  }
  hooks.stop_sending->store(true);
  if (!r.capped) r.stop_ns = NowNs();
  // complete or stalled: the phase ended with the last counted message (a stall waited
  // BENCH_STALL for messages that never came: lost ones do not make the server look slower).
  r.t1_ns = r.how != "drain-timeout" ? std::max(hooks.last_rx_ns->load(), r.t0_ns + 1) : NowNs();
  if (o.pid) {
    r.cpu1 = ReadProcCpu(o.pid);
    r.rss_kb = ReadRssKb(o.pid);
  }
  r.self1 = ReadSelfCpu();
  return r;
}

void EndRun(RunContext& ctx, LoopGroup& group) {
  ctx.phase.store(Phase::kEnded);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ctx.phase.store(Phase::kShutdown);
  group.StopAll();
}

std::optional<int> StartAndWaitReady(RunContext& ctx, LoopGroup& group, Json& j,
                                     const std::string& detail) {
  group.Start();
  std::string err = group.WaitReady(ctx.opt.setup_ms);
  if (err.empty()) return std::nullopt;
  ctx.phase.store(Phase::kShutdown);
  group.StopAll();
  j.Str("error", err + detail);
  return Finish(ctx, j, "   " + err + "\n");
}

void BeginResult(RunContext& ctx, Json& j, const char* scenario) {
  j.Begin().Str("scenario", scenario).Str("label", ctx.opt.label).Str("generator", "cpp");
  j.Num("threads", ctx.opt.threads);
}

int Finish(RunContext& ctx, Json& j, const std::string& summary) {
  bool ok = ctx.problems.count() == 0;
  auto list = ctx.problems.List();
  j.Str("status", ok ? "OK" : "FAILED")
      .StrList("problems", list)
      .Num("problemCount", double(ctx.problems.count()));
  j.End();
  std::printf("== %s [%s, C++ generator]: %s\n%s", ctx.opt.scenario.c_str(), ctx.opt.label.c_str(),
              ok ? "OK" : "FAILED", summary.c_str());
  for (const auto& p : list) std::printf("   PROBLEM: %s\n", p.c_str());
  if (ctx.problems.count() > int64_t(list.size())) {
    std::printf("   ... and %lld more problems\n", (long long)(ctx.problems.count() - list.size()));
  }
  std::fflush(stdout);
  if (!ctx.opt.out.empty()) {
    std::ofstream f(ctx.opt.out);
    f << j.str() << "\n";
  }
  return ok ? 0 : 1;
}

}  // namespace strata::loadgen
