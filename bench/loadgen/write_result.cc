#include "write_result.h"

#include <cstdio>

namespace strata::loadgen {
namespace {

double Pct(int64_t part, int64_t whole) { return whole ? 100.0 * double(part) / double(whole) : 0; }
double Per(double total, int64_t n) { return n ? total / double(n) : 0; }

void AddParams(Json& j, const Options& o, const WriteFigures& f) {
  j.Begin("params")
      .Num("W", f.w)
      .Num("S", f.s)
      .Num("N", f.n)
      .Num("K", f.k)
      .Num("durationS", o.duration_ms / 1000)
      .Num("payloadBytes", double(f.payload_bytes))
      .Num("frameBytes", double(f.frame_bytes))
      .Num("dataEvery", f.data_every);
  if (f.rate > 0) j.Num("rate", f.rate).Num("maxInFlight", f.max_inflight);
  j.End();
}

void AddSchedule(Json& j, const WriteFigures& f) {
  j.Begin("schedule")
      .Str("latencyFrom", "actual send")
      .Num("targetPerS", f.rate)
      .Num("sentPerS", f.sent_per_s)
      .Num("behindMax", double(f.behind_max))
      .Num("behindAtEnd", double(f.behind_at_end));
  AddLatencyJson(j, "sendLagMs", f.send_lag);
  j.End();
  AddLatencyJson(j, "notifyLatencyFromScheduleMs", f.notify_from_schedule);
}

std::string PacedSummary(const WriteFigures& f, double elapsed_s) {
  char buf[768];
  std::snprintf(
      buf, sizeof buf,
      "   paced at %.0f updates/s (latencies from the actual send): sent at %.0f/s; "
      "behind schedule by %lld writes at the end, at most %lld (max %d in flight per writer)\n"
      "   send lag (schedule -> send) ms p50 %.3f p99 %.3f max %.3f; "
      "schedule -> subscriber ms p50 %.2f p99 %.2f\n",
      f.rate, f.sent_per_s, (long long)f.behind_at_end, (long long)f.behind_max, f.max_inflight,
      f.send_lag.p50_ms, f.send_lag.p99_ms, f.send_lag.max_ms, f.notify_from_schedule.p50_ms,
      f.notify_from_schedule.p99_ms);
  std::string s = buf;
  if (f.behind_max > 0) {
    s += "   NOTE: writes were held back at the in-flight bound: the target rate was not offered\n";
  }
  if (double(f.acked) / elapsed_s < 0.9 * f.rate) {
    s += "   NOTE: the server did not keep up: it acked less than 90 % of the target rate\n";
  }
  return s;
}

}  // namespace

int FinishWrite(RunContext& ctx, Json& j, const WriteFigures& f, const PhaseResult& r) {
  const Options& o = ctx.opt;
  double el_s = r.elapsed_ms() / 1000;
  AddParams(j, o, f);
  j.Num("setupMs", f.setup_ms)
      .Str("stoppedBy", f.stopped_by)
      .Num("elapsedS", el_s)
      .Num("updates", double(f.acked))
      .Num("notifications", double(f.delivered))
      .Num("updatesPerS", double(f.acked) / el_s)
      .Num("notificationsPerS", double(f.delivered) / el_s)
      .Num("lostAcks", double(f.lost_acks))
      .Num("lostAcksPct", Pct(f.lost_acks, f.sent))
      .Num("lostVersions", double(f.lost_versions))
      .Num("lostVersionsPct", Pct(f.lost_versions, f.sent * f.s));
  // The last version sent per record (storage checks after the run: bench/storage-check.js).
  j.Begin("lastVersions");
  for (const auto& [record, version] : f.last_versions) j.Num(record.c_str(), version);
  j.End();
  AddLatencyJson(j, "ackLatencyMs", f.ack);
  AddLatencyJson(j, "notifyLatencyMs", f.notify);
  if (f.rate > 0) AddSchedule(j, f);
  AddCpuJson(j, o, r.cpu0, r.cpu1, r.rss_kb, r.elapsed_ms(),
             {{"Update", double(f.acked)}, {"Notification", double(f.delivered)}}, r.self0,
             r.self1);

  double tck = double(ClockTicks());
  double su = double(r.cpu1.utime - r.cpu0.utime) * 1e6 / tck,
         ss = double(r.cpu1.stime - r.cpu0.stime) * 1e6 / tck;
  double cu = r.self1.user_us - r.self0.user_us, cs = r.self1.sys_us - r.self0.sys_us;
  char load[160];
  if (f.rate > 0) {
    std::snprintf(load, sizeof load, "rate=%.0f/s", f.rate);
  } else {
    std::snprintf(load, sizeof load, "K=%d", f.k);
  }
  char buf[1536];
  std::snprintf(
      buf, sizeof buf,
      "   W=%d S=%d N=%d %s payload=%zuB setup=%.0fms stopped by %s\n"
      "   %lld acked updates, %lld notifications in %.2f s: %.0f updates/s, %.0f notifications/s\n"
      "   write->ack ms p50 %.2f p99 %.2f; write->subscriber ms p50 %.2f p99 %.2f\n"
      "   server: per update user %.1f us sys %.1f us; per notification user %.2f us sys %.2f us; "
      "RSS %.1f MB\n"
      "   generator cpu: %.0f%% of one core (user %.2f + sys %.2f us per received message)\n"
      "   lost: %lld acks (%.2f%%), %lld versions at subscribers (%.2f%%)\n",
      f.w, f.s, f.n, load, f.payload_bytes, f.setup_ms, f.stopped_by.c_str(), (long long)f.acked,
      (long long)f.delivered, el_s, double(f.acked) / el_s, double(f.delivered) / el_s,
      f.ack.p50_ms, f.ack.p99_ms, f.notify.p50_ms, f.notify.p99_ms, Per(su, f.acked),
      Per(ss, f.acked), Per(su, f.delivered), Per(ss, f.delivered), r.rss_kb / 1024,
      100 * (cu + cs) / 1000 / r.elapsed_ms(), Per(cu, f.acked + f.delivered),
      Per(cs, f.acked + f.delivered), (long long)f.lost_acks, Pct(f.lost_acks, f.sent),
      (long long)f.lost_versions, Pct(f.lost_versions, f.sent * f.s));
  std::string summary = buf;
  if (o.pid == 0) {
    summary.erase(summary.find("   server:"),
                  summary.find("   generator") - summary.find("   server:"));
  }
  if (f.rate > 0) summary += PacedSummary(f, el_s);
  return Finish(ctx, j, summary);
}

}  // namespace strata::loadgen
