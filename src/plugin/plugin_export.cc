// Adapts a C++ StorageConnector/CacheConnector to the C vtable of strata/connector_abi.h. Linked
// into every connector library built with STRATA_EXPORT_CONNECTOR.

#include <cstdio>
#include <string>
#include <vector>

#include "strata/cache_connector.h"
#include "strata/connector_plugin.h"

namespace strata::plugin_internal {
namespace {

struct Instance {
  std::unique_ptr<StorageConnector> connector;
  CacheConnector* cache = nullptr;  // set for the cache role
  // The role's vtable, with STRATA_CAP_FENCED when the connector supports fencing.
  strata_connector_vtable vtable{};
};

Instance* Self(void* self) { return static_cast<Instance*>(self); }

strata_str View(std::string_view s) { return strata_str{s.data(), s.size()}; }
std::string_view View(strata_str s) { return std::string_view(s.data ? s.data : "", s.size); }

void CallDone(strata_done_fn done, void* ctx, const Status& s) {
  done(ctx, static_cast<int32_t>(s.code()), View(s.message()));
}

void Destroy(void* self) { delete Self(self); }

void Start(void* self, strata_done_fn done, void* ctx) {
  Self(self)->connector->Start([done, ctx](Status s) { CallDone(done, ctx, s); });
}

void Close(void* self, strata_done_fn done, void* ctx) {
  Self(self)->connector->Close([done, ctx](Status s) { CallDone(done, ctx, s); });
}

void Get(void* self, strata_str name, strata_get_fn done, void* ctx) {
  Self(self)->connector->Get(View(name), [done, ctx](Result<std::optional<RecordValue>> r) {
    if (!r.ok()) {
      Status s = r.status();
      return done(ctx, static_cast<int32_t>(s.code()), View(s.message()), 0, -1, strata_str{});
    }
    if (!r->has_value()) return done(ctx, STRATA_OK, strata_str{}, 0, -1, strata_str{});
    done(ctx, STRATA_OK, strata_str{}, 1, (*r)->version, View((*r)->json));
  });
}

void Set(void* self, const strata_record* record, strata_done_fn done, void* ctx) {
  RecordValue value{record->version, std::string(View(record->json))};
  Self(self)->connector->Set(View(record->name), value,
                             [done, ctx](Status s) { CallDone(done, ctx, s); });
}

void Del(void* self, strata_str name, strata_done_fn done, void* ctx) {
  Self(self)->connector->Delete(View(name), [done, ctx](Status s) { CallDone(done, ctx, s); });
}

void SetBulk(void* self, const strata_record* records, size_t count, strata_done_fn done,
             void* ctx) {
  std::vector<NamedValue> batch;
  batch.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    batch.push_back(
        NamedValue{std::string(View(records[i].name)),
                   RecordValue{records[i].version, std::string(View(records[i].json))}});
  }
  Self(self)->connector->SetBulk(batch, [done, ctx](Status s) { CallDone(done, ctx, s); });
}

void DeleteBulk(void* self, const strata_str* names, size_t count, strata_done_fn done, void* ctx) {
  std::vector<std::string> list;
  list.reserve(count);
  for (size_t i = 0; i < count; ++i) list.emplace_back(View(names[i]));
  Self(self)->connector->DeleteBulk(list, [done, ctx](Status s) { CallDone(done, ctx, s); });
}

void GetBulk(void* self, const strata_str* names, size_t count, strata_get_bulk_fn done,
             void* ctx) {
  std::vector<std::string> list;
  list.reserve(count);
  for (size_t i = 0; i < count; ++i) list.emplace_back(View(names[i]));
  Self(self)->connector->GetBulk(list, [done, ctx](Result<GetBulkResult> r) {
    if (!r.ok()) {
      Status s = r.status();
      return done(ctx, static_cast<int32_t>(s.code()), View(s.message()), nullptr, 0);
    }
    std::vector<strata_found> results;
    results.reserve(r->size());
    for (const std::optional<RecordValue>& value : *r) {
      results.push_back(value ? strata_found{1, value->version, View(value->json)}
                              : strata_found{0, -1, strata_str{}});
    }
    done(ctx, STRATA_OK, strata_str{}, results.data(), results.size());
  });
}

// Hands a fenced write's answer (or error) to the C completion.
void AnswerFenced(strata_fenced_fn done, void* ctx, const Result<FencedResult>& r) {
  if (!r.ok()) {
    Status s = r.status();
    return done(ctx, static_cast<int32_t>(s.code()), View(s.message()), nullptr, 0);
  }
  std::vector<uint8_t> applied(r->begin(), r->end());
  done(ctx, STRATA_OK, strata_str{}, applied.data(), applied.size());
}

void SetBulkFenced(void* self, const strata_record* records, const uint64_t* fences, size_t count,
                   strata_fenced_fn done, void* ctx) {
  std::vector<FencedValue> batch;
  batch.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    batch.push_back(FencedValue{std::string(View(records[i].name)),
                                RecordValue{records[i].version, std::string(View(records[i].json))},
                                fences[i]});
  }
  Self(self)->connector->SetBulkFenced(
      batch, [done, ctx](Result<FencedResult> r) { AnswerFenced(done, ctx, r); });
}

void DeleteBulkFenced(void* self, const strata_str* names, const uint64_t* fences, size_t count,
                      strata_fenced_fn done, void* ctx) {
  std::vector<FencedName> list;
  list.reserve(count);
  for (size_t i = 0; i < count; ++i)
    list.push_back(FencedName{std::string(View(names[i])), fences[i]});
  Self(self)->connector->DeleteBulkFenced(
      list, [done, ctx](Result<FencedResult> r) { AnswerFenced(done, ctx, r); });
}

void Head(void* self, strata_str name, strata_head_fn done, void* ctx) {
  Self(self)->cache->Head(View(name), [done, ctx](Result<std::optional<Version>> r) {
    if (!r.ok()) {
      Status s = r.status();
      return done(ctx, static_cast<int32_t>(s.code()), View(s.message()), 0, -1);
    }
    done(ctx, STRATA_OK, strata_str{}, r->has_value() ? 1 : 0, r->value_or(-1));
  });
}

const strata_connector_vtable kStorageVtable = {
    sizeof(strata_connector_vtable),
    STRATA_CAP_SET_BULK | STRATA_CAP_DELETE_BULK | STRATA_CAP_GET_BULK,
    Destroy,
    Start,
    Close,
    Get,
    Set,
    Del,
    SetBulk,
    DeleteBulk,
    nullptr,
    GetBulk,
    SetBulkFenced,
    DeleteBulkFenced};
const strata_connector_vtable kCacheVtable = {
    sizeof(strata_connector_vtable),
    STRATA_CAP_SET_BULK | STRATA_CAP_DELETE_BULK | STRATA_CAP_HEAD | STRATA_CAP_GET_BULK,
    Destroy,
    Start,
    Close,
    Get,
    Set,
    Del,
    SetBulk,
    DeleteBulk,
    Head,
    GetBulk,
    SetBulkFenced,
    DeleteBulkFenced};

int32_t Fail(char* error, size_t capacity, const Status& s) {
  if (error && capacity > 0) std::snprintf(error, capacity, "%s", std::string(s.message()).c_str());
  return static_cast<int32_t>(s.code());
}

int32_t EventCode(ConnectorEvent event) {
  switch (event) {
    case ConnectorEvent::kConnectionLost:
      return STRATA_EVENT_CONNECTION_LOST;
    case ConnectorEvent::kConnectionRestored:
      return STRATA_EVENT_CONNECTION_RESTORED;
    case ConnectorEvent::kError:
      return STRATA_EVENT_ERROR;
  }
  return STRATA_EVENT_ERROR;
}

}  // namespace

int32_t CreateInstance(PluginFactory factory, uint32_t role, strata_str options_json,
                       const strata_host* host, void** self, const strata_connector_vtable** vtable,
                       char* error, size_t error_capacity) {
  if (role != STRATA_ROLE_CACHE && role != STRATA_ROLE_STORAGE) {
    return Fail(error, error_capacity, Status::InvalidArgument("unknown role"));
  }
  auto instance = std::make_unique<Instance>();
  try {
    Result<std::unique_ptr<StorageConnector>> made = factory(role, View(options_json));
    if (!made.ok()) return Fail(error, error_capacity, made.status());
    instance->connector = std::move(*made);
  } catch (const std::exception& e) {
    return Fail(error, error_capacity, Status::Internal(e.what()));
  }
  if (role == STRATA_ROLE_CACHE) {
    instance->cache = dynamic_cast<CacheConnector*>(instance->connector.get());
    if (!instance->cache) {
      return Fail(error, error_capacity,
                  Status::InvalidArgument("this connector cannot be used as a cache"));
    }
  }
  if (host && host->struct_size >= sizeof(strata_host) && host->on_event) {
    strata_host copy = *host;
    instance->connector->SetEventListener(
        [copy](ConnectorEvent event, std::string_view, const Status& detail) {
          copy.on_event(copy.ctx, EventCode(event), View(detail.message()));
        });
  }
  // The fenced functions are always there; the capability says whether they do anything.
  instance->vtable = role == STRATA_ROLE_CACHE ? kCacheVtable : kStorageVtable;
  if (instance->connector->SupportsFencing()) instance->vtable.capabilities |= STRATA_CAP_FENCED;
  *vtable = &instance->vtable;
  *self = instance.release();
  return STRATA_OK;
}

}  // namespace strata::plugin_internal
