#pragma once
// Measurements around the measured phase: the server's CPU and memory from /proc, the
// generator's own CPU, a monotonic clock, and latency percentiles.

#include <cstdint>
#include <vector>

#include "run_context.h"

namespace strata::loadgen {

// Nanoseconds of CLOCK_MONOTONIC (vDSO, cheap enough for every message).
int64_t NowNs();

struct ProcCpu {
  int64_t utime = 0;  // clock ticks, all threads (field 14 of /proc/PID/stat)
  int64_t stime = 0;  // field 15
  bool ok = false;
};
ProcCpu ReadProcCpu(int pid);
double ReadRssKb(int pid);  // VmRSS; NaN if unavailable
long ClockTicks();

// user/sys CPU of this process (all threads), microseconds.
struct SelfCpu {
  double user_us = 0;
  double sys_us = 0;
};
SelfCpu ReadSelfCpu();

// Latency samples (microseconds) gathered per loop and merged at the end.
struct Latency {
  double p50_ms, p99_ms, max_ms;
};
Latency Percentiles(std::vector<float> samples);

// Adds "server" (with per-unit user/sys microseconds) and "clientCpu" objects to a result.
void AddCpuJson(Json& j, const Options& o, const ProcCpu& c0, const ProcCpu& c1, double rss_kb,
                double wall_ms, const std::vector<std::pair<const char*, double>>& per,
                const SelfCpu& s0, const SelfCpu& s1);
void AddLatencyJson(Json& j, const char* key, const Latency& l);

// Raises the soft RLIMIT_NOFILE to the hard limit; returns the new soft limit.
long RaiseFdLimit();

}  // namespace strata::loadgen
