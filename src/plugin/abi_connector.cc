#include "plugin/abi_connector.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <vector>

#include <spdlog/spdlog.h>

namespace strata {
namespace {

// How long a destructor waits for a close it had to start itself before giving up on
// destroying the instance (a leak beats freeing memory the library may still use).
constexpr std::chrono::seconds kCloseWait{30};

std::string_view View(strata_str s) { return std::string_view(s.data ? s.data : "", s.size); }
strata_str Str(std::string_view s) { return strata_str{s.data(), s.size()}; }

// Heap contexts handed to the library with each call; the C completion takes ownership back.
struct DoneContext {
  DoneCallback cb;
};
struct GetContext {
  Callback<std::optional<RecordValue>> cb;
};
struct HeadContext {
  Callback<std::optional<Version>> cb;
};
struct GetBulkContext {
  size_t count;  // names asked: the answer must match
  Callback<GetBulkResult> cb;
};
struct FencedContext {
  const char* what;  // "set_bulk_fenced" or "delete_bulk_fenced", for a malformed answer
  size_t count;      // rows asked: the answer must match
  Callback<FencedResult> cb;
};

void OnDone(void* ctx, int32_t code, strata_str message) {
  std::unique_ptr<DoneContext> c(static_cast<DoneContext*>(ctx));
  c->cb(StatusFromAbi(code, message));
}

void OnGet(void* ctx, int32_t code, strata_str message, int32_t found, int32_t version,
           strata_str json) {
  std::unique_ptr<GetContext> c(static_cast<GetContext*>(ctx));
  if (code != STRATA_OK) return c->cb(StatusFromAbi(code, message));
  if (!found) return c->cb(std::optional<RecordValue>());
  // `json` is only valid until this function returns: copy it.
  c->cb(std::optional<RecordValue>(RecordValue{version, std::string(View(json))}));
}

void OnGetBulk(void* ctx, int32_t code, strata_str message, const strata_found* results,
               size_t count) {
  std::unique_ptr<GetBulkContext> c(static_cast<GetBulkContext*>(ctx));
  if (code != STRATA_OK) return c->cb(StatusFromAbi(code, message));
  if (count != c->count || (count > 0 && results == nullptr)) {
    return c->cb(Status::Internal("get_bulk answered " + std::to_string(count) + " results for " +
                                  std::to_string(c->count) + " names"));
  }
  GetBulkResult values(count);
  for (size_t i = 0; i < count; ++i) {
    // The json views are only valid until this function returns: copy them.
    if (!results[i].found) continue;
    values[i] = RecordValue{results[i].version, std::string(View(results[i].json))};
  }
  c->cb(std::move(values));
}

void OnFenced(void* ctx, int32_t code, strata_str message, const uint8_t* applied, size_t count) {
  std::unique_ptr<FencedContext> c(static_cast<FencedContext*>(ctx));
  if (code != STRATA_OK) return c->cb(StatusFromAbi(code, message));
  if (count != c->count || (count > 0 && applied == nullptr)) {
    return c->cb(Status::Internal(std::string(c->what) + " answered " + std::to_string(count) +
                                  " results for " + std::to_string(c->count) + " rows"));
  }
  FencedResult result(count);
  for (size_t i = 0; i < count; ++i) result[i] = applied[i] != 0;
  c->cb(std::move(result));
}

void OnHead(void* ctx, int32_t code, strata_str message, int32_t found, int32_t version) {
  std::unique_ptr<HeadContext> c(static_cast<HeadContext*>(ctx));
  if (code != STRATA_OK) return c->cb(StatusFromAbi(code, message));
  c->cb(found ? std::optional<Version>(version) : std::nullopt);
}

DoneContext* NewDone(DoneCallback cb) { return new DoneContext{std::move(cb)}; }

const char* RoleName(uint32_t role) { return role == STRATA_ROLE_CACHE ? "cache" : "storage"; }

// Whether the library filled in a required function; the message names the first one missing.
Status CheckRequired(const strata_connector_vtable& v, const std::string& who) {
  const char* missing = v.destroy == nullptr ? "destroy"
                        : v.get == nullptr   ? "get"
                        : v.set == nullptr   ? "set"
                        : v.del == nullptr   ? "del"
                                             : nullptr;
  if (missing == nullptr) return Status();
  return Status::InvalidArgument(who + ": its vtable lacks the required function " + missing);
}

}  // namespace

// Lets a destructor wait for a close whose completion may arrive on any thread, even after
// the destructor gave up waiting (hence shared with the completion).
struct AbiConnector::CloseLatch {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;  // guarded by mu
  void Open() {
    std::lock_guard lock(mu);
    done = true;
    cv.notify_all();
  }
  bool Wait() {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, kCloseWait, [this] { return done; });
  }
};

Status StatusFromAbi(int32_t code, strata_str message) {
  if (code == STRATA_OK) return Status();
  if (code < STRATA_OK || code > STRATA_INTERNAL) {
    return Status::Internal("connector answered unknown status code " + std::to_string(code) +
                            ": " + std::string(View(message)));
  }
  std::string_view text = View(message);
  return Status(static_cast<StatusCode>(code), text.empty() ? "(no message)" : text);
}

AbiConnector::AbiConnector(std::shared_ptr<PluginLibrary> library) : library_(std::move(library)) {
  host_.struct_size = sizeof(strata_host);
  host_.ctx = this;
  host_.on_event = &AbiConnector::HostEvent;
  host_.log = &AbiConnector::HostLog;
}

Result<std::unique_ptr<AbiConnector>> AbiConnector::Create(std::shared_ptr<PluginLibrary> library,
                                                           uint32_t role,
                                                           std::string_view options_json) {
  const PluginInfo& info = library->info();
  if (!library->Supports(role) || (role != STRATA_ROLE_CACHE && role != STRATA_ROLE_STORAGE)) {
    return Status::InvalidArgument("connector '" + info.name + "' (" + library->path() +
                                   ") cannot serve as " + RoleName(role) +
                                   "; it offers: " + RoleNames(info.roles));
  }
  std::unique_ptr<AbiConnector> connector(new AbiConnector(std::move(library)));
  STRATA_RETURN_IF_ERROR(connector->Instantiate(role, options_json));
  return connector;
}

Status AbiConnector::Instantiate(uint32_t role, std::string_view options_json) {
  char error[1024] = {0};
  const strata_connector_vtable* vtable = nullptr;
  int32_t code = library_->create()(role, Str(options_json), &host_, &self_, &vtable, error,
                                    sizeof(error) - 1);
  const std::string who = "connector '" + library_->info().name + "'";
  if (code != STRATA_OK) {
    self_ = nullptr;
    Status s = StatusFromAbi(code, Str(error));
    return Status(s.code(), who + ": " + std::string(s.message()));
  }
  if (self_ == nullptr || vtable == nullptr) {
    return Status::Internal(who + ": create succeeded without an instance and vtable");
  }
  // Read only what the library wrote; fields appended by later ABI minor growth stay NULL.
  std::memcpy(&vtable_, vtable, std::min<size_t>(vtable->struct_size, sizeof(vtable_)));
  Status complete = CheckRequired(vtable_, who);
  if (!complete.ok()) {
    if (vtable_.destroy != nullptr) vtable_.destroy(self_);
    self_ = nullptr;
  }
  return complete;
}

AbiConnector::~AbiConnector() {
  if (self_ == nullptr) return;
  bool started, close_called;
  {
    std::lock_guard lock(mu_);
    started = started_;
    close_called = close_called_;
  }
  if (started) {
    // The ABI allows destroy only after close completed: close here if the owner did not.
    if (!close_called) {
      Close([](Status s) {
        if (!s.ok()) spdlog::warn("closing a connector on destruction: {}", s.ToString());
      });
    }
    std::shared_ptr<CloseLatch> latch;
    {
      std::lock_guard lock(mu_);
      latch = close_latch_;
    }
    if (!latch->Wait()) {
      spdlog::error("connector {}: close never completed; leaving the instance undestroyed",
                    Name());
      return;
    }
  }
  vtable_.destroy(self_);
}

void AbiConnector::Start(DoneCallback ready) {
  {
    std::lock_guard lock(mu_);
    started_ = true;
  }
  if (vtable_.start == nullptr) return ready(Status());
  vtable_.start(self_, OnDone, NewDone(std::move(ready)));
}

void AbiConnector::Close(DoneCallback done) {
  std::shared_ptr<CloseLatch> latch;
  {
    std::lock_guard lock(mu_);
    close_called_ = true;
    if (!close_latch_) close_latch_ = std::make_shared<CloseLatch>();
    latch = close_latch_;
  }
  if (vtable_.close == nullptr) {
    latch->Open();
    return done(Status());
  }
  vtable_.close(self_, OnDone, NewDone([latch, done = std::move(done)](Status s) {
                  latch->Open();
                  done(std::move(s));
                }));
}

void AbiConnector::SetEventListener(ConnectorEventListener listener) {
  std::lock_guard lock(mu_);
  listener_ = std::move(listener);
}

void AbiConnector::Get(std::string_view name, Callback<std::optional<RecordValue>> cb) {
  vtable_.get(self_, Str(name), OnGet, new GetContext{std::move(cb)});
}

void AbiConnector::Set(std::string_view name, const RecordValue& value, DoneCallback cb) {
  strata_record record{Str(name), value.version, Str(value.json)};
  vtable_.set(self_, &record, OnDone, NewDone(std::move(cb)));
}

void AbiConnector::Delete(std::string_view name, DoneCallback cb) {
  vtable_.del(self_, Str(name), OnDone, NewDone(std::move(cb)));
}

void AbiConnector::GetBulk(std::span<const std::string> names, Callback<GetBulkResult> cb) {
  if (vtable_.get_bulk == nullptr) return StorageConnector::GetBulk(names, std::move(cb));
  if (names.empty()) return cb(GetBulkResult{});
  std::vector<strata_str> views;
  views.reserve(names.size());
  for (const std::string& name : names) views.push_back(Str(name));
  vtable_.get_bulk(self_, views.data(), views.size(), OnGetBulk,
                   new GetBulkContext{names.size(), std::move(cb)});
}

void AbiConnector::SetBulk(std::span<const NamedValue> batch, DoneCallback cb) {
  if (vtable_.set_bulk == nullptr) return StorageConnector::SetBulk(batch, std::move(cb));
  if (batch.empty()) return cb(Status());
  // The views point into `batch`, which outlives the call; the library copies what it keeps.
  std::vector<strata_record> records;
  records.reserve(batch.size());
  for (const NamedValue& nv : batch) {
    records.push_back(strata_record{Str(nv.name), nv.value.version, Str(nv.value.json)});
  }
  vtable_.set_bulk(self_, records.data(), records.size(), OnDone, NewDone(std::move(cb)));
}

void AbiConnector::DeleteBulk(std::span<const std::string> names, DoneCallback cb) {
  if (vtable_.delete_bulk == nullptr) return StorageConnector::DeleteBulk(names, std::move(cb));
  if (names.empty()) return cb(Status());
  std::vector<strata_str> views;
  views.reserve(names.size());
  for (const std::string& name : names) views.push_back(Str(name));
  vtable_.delete_bulk(self_, views.data(), views.size(), OnDone, NewDone(std::move(cb)));
}

void AbiConnector::Head(std::string_view name, Callback<std::optional<Version>> cb) {
  if (vtable_.head != nullptr) {
    return vtable_.head(self_, Str(name), OnHead, new HeadContext{std::move(cb)});
  }
  Get(name, [cb = std::move(cb)](Result<std::optional<RecordValue>> got) {
    if (!got.ok()) return cb(got.status());
    cb(got->has_value() ? std::optional<Version>((*got)->version) : std::nullopt);
  });
}

bool AbiConnector::SupportsFencing() const {
  // vtable_ holds zeros beyond the library's struct_size, so NULL also covers an older library.
  return (vtable_.capabilities & STRATA_CAP_FENCED) != 0 && vtable_.set_bulk_fenced != nullptr &&
         vtable_.delete_bulk_fenced != nullptr;
}

void AbiConnector::SetBulkFenced(std::span<const FencedValue> batch, Callback<FencedResult> cb) {
  if (!SupportsFencing()) return StorageConnector::SetBulkFenced(batch, std::move(cb));
  if (batch.empty()) return cb(FencedResult{});
  std::vector<strata_record> records;
  std::vector<uint64_t> fences;
  records.reserve(batch.size());
  fences.reserve(batch.size());
  for (const FencedValue& fv : batch) {
    records.push_back(strata_record{Str(fv.name), fv.value.version, Str(fv.value.json)});
    fences.push_back(fv.fence);
  }
  vtable_.set_bulk_fenced(self_, records.data(), fences.data(), batch.size(), OnFenced,
                          new FencedContext{"set_bulk_fenced", batch.size(), std::move(cb)});
}

void AbiConnector::DeleteBulkFenced(std::span<const FencedName> names, Callback<FencedResult> cb) {
  if (!SupportsFencing()) return StorageConnector::DeleteBulkFenced(names, std::move(cb));
  if (names.empty()) return cb(FencedResult{});
  std::vector<strata_str> views;
  std::vector<uint64_t> fences;
  views.reserve(names.size());
  fences.reserve(names.size());
  for (const FencedName& fn : names) {
    views.push_back(Str(fn.name));
    fences.push_back(fn.fence);
  }
  vtable_.delete_bulk_fenced(self_, views.data(), fences.data(), names.size(), OnFenced,
                             new FencedContext{"delete_bulk_fenced", names.size(), std::move(cb)});
}

void AbiConnector::OnEvent(int32_t event, std::string_view detail) {
  ConnectorEventListener listener;
  {
    std::lock_guard lock(mu_);
    listener = listener_;
  }
  ConnectorEvent kind = ConnectorEvent::kError;
  Status status = Status::Internal(detail);
  if (event == STRATA_EVENT_CONNECTION_LOST) {
    kind = ConnectorEvent::kConnectionLost;
    status = Status::Unavailable(detail);
  } else if (event == STRATA_EVENT_CONNECTION_RESTORED) {
    kind = ConnectorEvent::kConnectionRestored;
    status = Status();  // the detail of a recovery is only worth the log line below
  }
  if (!listener || kind == ConnectorEvent::kConnectionRestored) {
    spdlog::info("connector {}: event {}: {}", Name(), event, detail);
  }
  if (listener) listener(kind, Name(), status);
}

void AbiConnector::HostEvent(void* ctx, int32_t event, strata_str detail) {
  static_cast<AbiConnector*>(ctx)->OnEvent(event, View(detail));
}

void AbiConnector::HostLog(void* ctx, int32_t level, strata_str message) {
  auto* self = static_cast<AbiConnector*>(ctx);
  spdlog::level::level_enum spd = level <= STRATA_LOG_DEBUG  ? spdlog::level::debug
                                  : level == STRATA_LOG_INFO ? spdlog::level::info
                                  : level == STRATA_LOG_WARN ? spdlog::level::warn
                                                             : spdlog::level::err;
  spdlog::log(spd, "connector {}: {}", self->Name(), View(message));
}

Result<std::unique_ptr<StorageConnector>> CreateAbiConnector(std::shared_ptr<PluginLibrary> library,
                                                             uint32_t role,
                                                             std::string_view options_json) {
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<AbiConnector> connector,
                          AbiConnector::Create(std::move(library), role, options_json));
  return std::unique_ptr<StorageConnector>(std::move(connector));
}

}  // namespace strata
