#include "connectors/none/none_storage.h"

#include <gtest/gtest.h>

#include "connectors/testing/connector_suite.h"

namespace strata {
namespace {

using testing::ConnectorTraits;

ConnectorTraits NoneTraits() {
  return {.name = "None",
          .make = [](const std::string&) -> Result<std::unique_ptr<StorageConnector>> {
            return NewNoneStorage();
          },
          .durable = false};
}

STRATA_INSTANTIATE_CONNECTOR_SUITE(None, NoneTraits());

TEST(NoneStorageTest, IsNamedNone) { EXPECT_EQ(NewNoneStorage()->Name(), "none"); }

}  // namespace
}  // namespace strata
