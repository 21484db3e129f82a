#pragma once
// What every scenario shares: the command line and BENCH_* knobs, the thread-safe list of
// validation problems, the phase of the run, and the JSON result writer.

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace strata::loadgen {

// Options common to all scenarios. Times in milliseconds.
struct Options {
  std::string scenario;
  std::string url;  // ws://127.0.0.1:PORT/deepstream
  std::string host = "127.0.0.1";
  int port = 0;
  std::string path = "/deepstream";
  int pid = 0;  // server pid for /proc sampling; 0 = none
  std::string label = "server";
  std::string out;             // JSON result file; empty = none
  int threads = 1;             // event loops (default 1 leaves a core for the server)
  double setup_ms = 30000;     // BENCH_SETUP_TIMEOUT
  double duration_ms = 20000;  // BENCH_DURATION: time cap of the sending phase
  double drain_ms = 15000;     // BENCH_DRAIN: wait for outstanding messages after the cap
  double stall_ms = 5000;      // BENCH_STALL: give up when nothing arrives for this long
  double rate = 0;  // --rate / BENCH_RATE: paced (open-loop) writes per second; 0 = closed loop
};

// Parses argv (scenario name first) and the common env knobs; prints usage and returns false on
// a bad command line.
bool ParseOptions(int argc, char** argv, Options* o);

// A numeric BENCH_* knob: def when unset; exits with a message naming the knob when invalid.
double EnvNumber(const char* name, double def, double min = 1);

// Validation findings; any finding makes the run FAILED. Thread-safe.
class Problems {
 public:
  void Add(std::string msg);
  int64_t count() const { return count_.load(std::memory_order_relaxed); }
  std::vector<std::string> List() const;

 private:
  static constexpr size_t kMaxKept = 20;
  mutable std::mutex mu_;
  std::vector<std::string> list_;
  std::atomic<int64_t> count_{0};
};

enum class Phase { kSetup, kMeasuring, kEnded, kShutdown };

struct RunContext {
  Options opt;
  Problems problems;
  std::atomic<Phase> phase{Phase::kSetup};
};

// Builds one JSON object as text; nested objects via Begin/End. Non-finite numbers become null.
class Json {
 public:
  Json& Begin(const char* key = nullptr);
  Json& End();
  Json& Num(const char* key, double v);
  Json& Str(const char* key, const std::string& v);
  Json& StrList(const char* key, const std::vector<std::string>& v);
  const std::string& str() const { return s_; }

 private:
  void Key(const char* key);
  static std::string Quote(const std::string& v);
  std::string s_;
  bool first_ = true;
};

}  // namespace strata::loadgen
