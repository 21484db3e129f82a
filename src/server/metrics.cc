#include "server/metrics.h"

#include <fmt/format.h>

namespace strata {
namespace {

void Line(std::string& out, std::string_view name, std::string_view type, std::string_view help,
          uint64_t value) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n{} {}\n", name, help, name, type, name, value);
}

template <typename Field>
uint64_t Sum(const ServerMetrics& m, Field field) {
  uint64_t total = 0;
  for (const LoopMetrics& loop : m.loops) total += field(loop);
  return total;
}

}  // namespace

std::string RenderMetrics(const ServerMetrics& m) {
  std::string out;
  auto store = [&](auto field) {
    return Sum(m, [&](const LoopMetrics& l) { return field(l.store); });
  };
  Line(out, "strata_connections", "gauge", "Open client connections.",
       Sum(m, [](const LoopMetrics& l) { return l.connections; }));
  Line(out, "strata_record_subscriptions", "gauge", "Record subscriptions of all clients.",
       Sum(m, [](const LoopMetrics& l) { return l.record_subscriptions; }));
  Line(out, "strata_record_transitions", "gauge", "Records with writes in progress.",
       Sum(m, [](const LoopMetrics& l) { return l.active_transitions; }));
  Line(out, "strata_record_reads_total", "counter", "Record reads (all sources).",
       store([](const RecordStoreStats& s) { return s.reads; }));
  Line(out, "strata_record_reads_coalesced_total", "counter", "Reads that joined a lookup.",
       store([](const RecordStoreStats& s) { return s.reads_coalesced; }));
  Line(out, "strata_cache_hits_total", "counter", "Reads answered by the cache.",
       store([](const RecordStoreStats& s) { return s.cache_hits; }));
  Line(out, "strata_storage_hits_total", "counter", "Reads answered by storage.",
       store([](const RecordStoreStats& s) { return s.storage_hits; }));
  Line(out, "strata_record_misses_total", "counter", "Reads of records that do not exist.",
       store([](const RecordStoreStats& s) { return s.misses; }));
  Line(out, "strata_cache_errors_total", "counter", "Failed or timed-out cache operations.",
       store([](const RecordStoreStats& s) { return s.cache_errors; }));
  Line(out, "strata_storage_read_errors_total", "counter", "Failed or timed-out storage reads.",
       store([](const RecordStoreStats& s) { return s.storage_read_errors; }));
  Line(out, "strata_storage_read_batches_total", "counter",
       "Storage reads sent (one GetBulk of one or more records each).",
       store([](const RecordStoreStats& s) { return s.storage_read_batches; }));
  Line(out, "strata_storage_queue_records", "gauge", "Records waiting for a storage write.",
       store([](const RecordStoreStats& s) { return s.storage_writes.waiting; }));
  Line(out, "strata_storage_writes_total", "counter", "Records written to storage.",
       store([](const RecordStoreStats& s) { return s.storage_writes.written; }));
  Line(out, "strata_storage_writes_coalesced_total", "counter",
       "Writes superseded by a newer one before reaching storage.",
       store([](const RecordStoreStats& s) { return s.storage_writes.coalesced; }));
  Line(out, "strata_storage_write_retries_total", "counter", "Storage writes retried.",
       store([](const RecordStoreStats& s) { return s.storage_writes.retries; }));
  Line(out, "strata_storage_write_failures_total", "counter", "Storage writes failed for good.",
       store([](const RecordStoreStats& s) { return s.storage_writes.failed; }));
  Line(out, "strata_connector_events_total", "counter",
       "Connection lost/restored/error events reported by the cache and storage connectors.",
       m.connector_events);
  return out;
}

}  // namespace strata
