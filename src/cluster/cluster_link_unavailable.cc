// ClusterLink::Join for builds without hiredis: a cluster cannot be joined.
#include "cluster/cluster_link.h"

namespace strata {

Result<std::unique_ptr<ClusterLink>> ClusterLink::Join(const ServerOptions&, ShardOf) {
  return Status::FailedPrecondition(
      "clusterNode: this strata was built without hiredis, so it cannot join a cluster; install "
      "libhiredis-dev and rebuild (bash scripts/setup.sh)");
}

std::string_view ClusterLink::Support() { return "none (built without hiredis)"; }

}  // namespace strata
