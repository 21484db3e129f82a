// A test-only storage library that answers get_bulk and set_bulk_fenced with one result fewer
// than the rows asked, delete_bulk_fenced with OK but no results (and get with "missing"), to
// prove that strata turns a malformed answer into an error for the batch instead of reading past
// the library's array. Created with options "old", it announces STRATA_CAP_FENCED with a vtable
// written before the fenced functions were appended (struct_size not covering them): strata must
// then treat it as not supporting fenced writes.

#include <stddef.h>
#include <string.h>

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

void SetBulkFenced(void*, const strata_record*, const uint64_t*, size_t count,
                   strata_fenced_fn done, void* ctx) {
  uint8_t applied[8] = {};
  size_t answered = count == 0 ? 0 : count - 1;
  if (answered > 8) answered = 8;
  done(ctx, STRATA_OK, strata_str{nullptr, 0}, applied, answered);
}
void DeleteBulkFenced(void*, const strata_str*, const uint64_t*, size_t count,
                      strata_fenced_fn done, void* ctx) {
  done(ctx, STRATA_OK, strata_str{nullptr, 0}, nullptr, count);
}

const strata_connector_vtable kVtable = {sizeof(strata_connector_vtable),
                                         STRATA_CAP_GET_BULK | STRATA_CAP_FENCED,
                                         Destroy,
                                         Start,
                                         Close,
                                         Get,
                                         Set,
                                         Del,
                                         nullptr,
                                         nullptr,
                                         nullptr,
                                         GetBulk,
                                         SetBulkFenced,
                                         DeleteBulkFenced};
// As a library built before set_bulk_fenced existed would write it, yet claiming the capability.
const strata_connector_vtable kOldVtable = {offsetof(strata_connector_vtable, set_bulk_fenced),
                                            STRATA_CAP_GET_BULK | STRATA_CAP_FENCED,
                                            Destroy,
                                            Start,
                                            Close,
                                            Get,
                                            Set,
                                            Del,
                                            nullptr,
                                            nullptr,
                                            nullptr,
                                            GetBulk,
                                            SetBulkFenced,
                                            DeleteBulkFenced};
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
    uint32_t, strata_str options, const strata_host*, void** self,
    const strata_connector_vtable** vtable, char*, size_t) {
  *self = &instance;
  bool old = options.size == 3 && memcmp(options.data, "old", 3) == 0;
  *vtable = old ? &kOldVtable : &kVtable;
  return STRATA_OK;
}
