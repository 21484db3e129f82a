#pragma once
// Metrics: what `GET /metrics` reports, in the Prometheus text format. Each loop's numbers are
// gathered on that loop (no shared counters on the per-message path) and summed here.
// Thread-safety: pure functions over snapshots.

#include <cstdint>
#include <string>
#include <vector>

#include "record/record_store.h"

namespace strata {

struct LoopMetrics {
  RecordStoreStats store;
  size_t connections = 0;
  size_t record_subscriptions = 0;
  size_t active_transitions = 0;  // records with writes in progress
};

struct ServerMetrics {
  std::vector<LoopMetrics> loops;
  uint64_t connector_events = 0;  // connection lost/restored/errors reported by connectors
};

std::string RenderMetrics(const ServerMetrics& metrics);

}  // namespace strata
