// A test-only storage library that answers get_bulk with one result fewer than the names asked
// (and get with "missing"), to prove that strata turns a malformed answer into an error for the
// batch instead of reading past the library's array.

#include "strata/connector_abi.h"

namespace {

void Done(strata_done_fn done, void* ctx) { done(ctx, STRATA_OK, strata_str{nullptr, 0}); }
void Destroy(void*) {}
void Start(void*, strata_done_fn done, void* ctx) { Done(done, ctx); }
void Close(void*, strata_done_fn done, void* ctx) { Done(done, ctx); }
void Get(void*, strata_str, strata_get_fn done, void* ctx) {
  done(ctx, STRATA_OK, strata_str{nullptr, 0}, 0, -1, strata_str{nullptr, 0});
}
void Set(void*, const strata_record*, strata_done_fn done, void* ctx) { Done(done, ctx); }
void Del(void*, strata_str, strata_done_fn done, void* ctx) { Done(done, ctx); }
void GetBulk(void*, const strata_str*, size_t count, strata_get_bulk_fn done, void* ctx) {
  strata_found results[8] = {};
  size_t answered = count == 0 ? 0 : count - 1;
  if (answered > 8) answered = 8;
  done(ctx, STRATA_OK, strata_str{nullptr, 0}, results, answered);
}

const strata_connector_vtable kVtable = {sizeof(strata_connector_vtable),
                                         STRATA_CAP_GET_BULK,
                                         Destroy,
                                         Start,
                                         Close,
                                         Get,
                                         Set,
                                         Del,
                                         nullptr,
                                         nullptr,
                                         nullptr,
                                         GetBulk};
int instance;

}  // namespace

extern "C" __attribute__((visibility("default"))) const strata_connector_info*
strata_connector_get_info(void) {
  static const strata_connector_info info = {sizeof(strata_connector_info),
                                             STRATA_CONNECTOR_ABI_VERSION,
                                             "short-get-bulk",
                                             "0.0.1",
                                             STRATA_ROLE_STORAGE,
                                             "test only",
                                             ""};
  return &info;
}

extern "C" __attribute__((visibility("default"))) int32_t strata_connector_create(
    uint32_t, strata_str, const strata_host*, void** self, const strata_connector_vtable** vtable,
    char*, size_t) {
  *self = &instance;
  *vtable = &kVtable;
  return STRATA_OK;
}
