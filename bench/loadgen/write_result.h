#pragma once
// The result of the write scenarios (write, write-ack, fanout): what was measured, written as the
// JSON result (the fields report.js and storage-check.js read) and as the printed summary.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "run_context.h"
#include "scenario.h"
#include "stats.h"

namespace strata::loadgen {

struct WriteFigures {
  // The load.
  int w = 0, s = 0, n = 0, k = 0, data_every = 1;
  size_t payload_bytes = 0, frame_bytes = 0;
  double setup_ms = 0;
  std::string stopped_by;  // count | time cap | stalled | drain-timeout
  // What arrived.
  int64_t sent = 0, acked = 0, delivered = 0, lost_acks = 0, lost_versions = 0;
  // From the actual send time.
  Latency ack{}, notify{};
  std::vector<std::pair<std::string, int>> last_versions;  // record -> last version sent
  // Paced mode only (rate > 0).
  double rate = 0;
  int max_inflight = 0;
  double sent_per_s = 0;      // writes sent / time from t0 to the last send
  int64_t behind_max = 0;     // largest count of due writes held back by max_inflight
  int64_t behind_at_end = 0;  // due but not sent at the last tick before sending stopped
  Latency send_lag{};         // scheduled -> actual send time
  Latency notify_from_schedule{};
};

// Adds the figures to j, prints the summary and finishes the run; returns the exit code.
int FinishWrite(RunContext& ctx, Json& j, const WriteFigures& f, const PhaseResult& r);

}  // namespace strata::loadgen
