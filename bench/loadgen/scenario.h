#pragma once
// The scenarios and what they share around the measured phase.

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "loop.h"
#include "run_context.h"
#include "stats.h"

namespace strata::loadgen {

// write and write-ack (W writers x S subscribers, acked writes) and fanout (1 writer, many
// subscribers).
int RunWrite(RunContext& ctx, bool fanout);
// P publishers, S subscribers on every publisher's event.
int RunEvent(RunContext& ctx);
// Snapshot reads of N records seeded beforehand (cold cache).
int RunReadCold(RunContext& ctx);
// N idle logged-in connections; server RSS per connection.
int RunConns(RunContext& ctx);

// JSON-ish data of about `bytes` bytes: head + filler + "\"}" (head must open a "fill" string).
std::string Padded(const std::string& head, size_t bytes);

// The measured phase: starts the senders, enforces the time cap (after which no sender starts a
// new operation), and ends when everything sent has arrived, when nothing arrives for
// BENCH_STALL, or BENCH_DRAIN after the cap. Samples server and own CPU around it.
struct PhaseHooks {
  std::function<void(int64_t t0_ns)> at_t0;  // optional; on the caller's thread before `start`
  std::function<void(int loop)> start;       // run on every loop: send the first operations
  std::function<bool()> all_sent;            // no sender can send more
  std::function<bool()> complete;            // everything sent so far has fully arrived
  std::function<int64_t()> progress;         // count of received messages (stall detection)
  std::atomic<bool>* stop_sending;
  std::atomic<int64_t>* last_rx_ns;  // time of the last counted message
};
struct PhaseResult {
  std::string how;  // complete | stalled | drain-timeout
  bool capped = false;
  int64_t t0_ns = 0, t1_ns = 0;
  int64_t stop_ns = 0;  // when the senders were stopped (time cap or end of the phase)
  ProcCpu cpu0, cpu1;
  SelfCpu self0, self1;
  double rss_kb = 0;
  double elapsed_ms() const { return double(t1_ns - t0_ns) / 1e6; }
};
PhaseResult RunMeasuredPhase(RunContext& ctx, LoopGroup& group, const PhaseHooks& hooks);

// Reports messages arriving within 200 ms after the phase, then closes every connection.
void EndRun(RunContext& ctx, LoopGroup& group);

// Fills the fields every result has, prints `summary`, writes --out; returns the exit code.
int Finish(RunContext& ctx, Json& j, const std::string& summary);
// Starts the loops and waits until every connection is logged in and set up. On failure stops
// them, finishes the result with the error (plus `detail`) and returns the exit code.
std::optional<int> StartAndWaitReady(RunContext& ctx, LoopGroup& group, Json& j,
                                     const std::string& detail = "");
void BeginResult(RunContext& ctx, Json& j, const char* scenario);

}  // namespace strata::loadgen
