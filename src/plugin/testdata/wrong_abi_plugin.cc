// A test-only library claiming a connector ABI version that does not exist, to prove that
// strata refuses it with a message naming both versions. Its layout follows version 1 so that
// only the version number differs.

#include "strata/connector_abi.h"

extern "C" __attribute__((visibility("default"))) const strata_connector_info*
strata_connector_get_info(void) {
  static const strata_connector_info info = {
      sizeof(strata_connector_info), 99,          "wrong-abi", "0.0.1",
      STRATA_ROLE_STORAGE,           "test only", ""};
  return &info;
}

extern "C" __attribute__((visibility("default"))) int32_t strata_connector_create(
    uint32_t, strata_str, const strata_host*, void**, const strata_connector_vtable**, char*,
    size_t) {
  return STRATA_INTERNAL;  // never reached: strata refuses the library before creating
}
