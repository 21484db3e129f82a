#include "stats.h"

#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>

namespace strata::loadgen {

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

long ClockTicks() {
  long t = sysconf(_SC_CLK_TCK);
  return t > 0 ? t : 100;
}

ProcCpu ReadProcCpu(int pid) {
  ProcCpu c;
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return c;
  std::istringstream rest(stat.substr(paren + 2));
  std::string field;
  // after ") " the next field is field 3 (state); utime is field 14, stime 15
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) c.utime = std::stoll(field);
    if (i == 15) {
      c.stime = std::stoll(field);
      c.ok = true;
    }
  }
  return c;
}

double ReadRssKb(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6));
  }
  return NAN;
}

SelfCpu ReadSelfCpu() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return {ru.ru_utime.tv_sec * 1e6 + ru.ru_utime.tv_usec,
          ru.ru_stime.tv_sec * 1e6 + ru.ru_stime.tv_usec};
}

Latency Percentiles(std::vector<float> s) {
  if (s.empty()) return {NAN, NAN, NAN};
  auto at = [&](double p) {
    size_t i =
        size_t(std::clamp(std::ceil(p / 100 * double(s.size())) - 1, 0.0, double(s.size() - 1)));
    std::nth_element(s.begin(), s.begin() + i, s.end());
    return double(s[i]) / 1000;
  };
  double p50 = at(50), p99 = at(99), max = at(100);
  return {p50, p99, max};
}

void AddCpuJson(Json& j, const Options& o, const ProcCpu& c0, const ProcCpu& c1, double rss_kb,
                double wall_ms, const std::vector<std::pair<const char*, double>>& per,
                const SelfCpu& s0, const SelfCpu& s1) {
  double cu = s1.user_us - s0.user_us, cs = s1.sys_us - s0.sys_us;
  j.Begin("clientCpu")
      .Num("userMs", cu / 1000)
      .Num("sysMs", cs / 1000)
      .Num("pctOfOneCore", 100 * (cu + cs) / 1000 / wall_ms)
      .End();
  if (o.pid == 0 || !c0.ok || !c1.ok) return;
  double tck = double(ClockTicks());
  double user_us = double(c1.utime - c0.utime) * 1e6 / tck;
  double sys_us = double(c1.stime - c0.stime) * 1e6 / tck;
  j.Begin("server")
      .Num("pid", o.pid)
      .Num("clkTck", tck)
      .Num("userMs", user_us / 1000)
      .Num("sysMs", sys_us / 1000)
      .Num("pctOfOneCore", 100 * (user_us + sys_us) / 1000 / wall_ms)
      .Num("rssMB", rss_kb / 1024);
  for (const auto& [unit, n] : per) {
    std::string u = unit;
    j.Num(("userUsPer" + u).c_str(), n > 0 ? user_us / n : NAN);
    j.Num(("sysUsPer" + u).c_str(), n > 0 ? sys_us / n : NAN);
  }
  j.End();
}

void AddLatencyJson(Json& j, const char* key, const Latency& l) {
  j.Begin(key).Num("p50", l.p50_ms).Num("p99", l.p99_ms).Num("max", l.max_ms).End();
}

long RaiseFdLimit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return -1;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  return long(rl.rlim_cur);
}

}  // namespace strata::loadgen
