#include "server/metrics.h"

#include <gtest/gtest.h>

namespace strata {
namespace {

TEST(MetricsTest, SumsLoopsInPrometheusTextFormat) {
  ServerMetrics m;
  m.loops.resize(2);
  m.loops[0].connections = 3;
  m.loops[1].connections = 4;
  m.loops[0].store.cache_hits = 10;
  m.loops[1].store.storage_writes.retries = 2;
  m.connector_events = 5;
  std::string text = RenderMetrics(m);
  EXPECT_NE(text.find("# TYPE strata_connections gauge\nstrata_connections 7\n"),
            std::string::npos);
  EXPECT_NE(text.find("\nstrata_cache_hits_total 10\n"), std::string::npos);
  EXPECT_NE(text.find("\nstrata_storage_write_retries_total 2\n"), std::string::npos);
  EXPECT_NE(text.find("\nstrata_connector_events_total 5\n"), std::string::npos);
}

}  // namespace
}  // namespace strata
