// Test-only: a dependency library (StrataTestDependency) and a plugin that needs it. The
// plugin is built without an rpath, so loading it fails the way a connector whose client
// library is not installed fails.

#include "strata/connector_abi.h"

#ifdef STRATA_TEST_DEPENDENCY
extern "C" __attribute__((visibility("default"))) int StrataTestDependency(void) { return 1; }
#else
extern "C" int StrataTestDependency(void);

extern "C" __attribute__((visibility("default"))) const strata_connector_info*
strata_connector_get_info(void) {
  static const strata_connector_info info = {
      sizeof(strata_connector_info),
      STRATA_CONNECTOR_ABI_VERSION,
      "missing-dep",
      "0.0.1",
      static_cast<uint32_t>(StrataTestDependency() ? STRATA_ROLE_STORAGE : 0),
      "test only",
      ""};
  return &info;
}

extern "C" __attribute__((visibility("default"))) int32_t strata_connector_create(
    uint32_t, strata_str, const strata_host*, void**, const strata_connector_vtable**, char*,
    size_t) {
  return STRATA_INTERNAL;
}
#endif
