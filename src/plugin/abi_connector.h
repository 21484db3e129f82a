#pragma once
// AbiConnector: a connector instance living in a shared library (strata/connector_abi.h), seen
// by strata as an ordinary CacheConnector. It is the only place where strata calls through the
// C vtable: each operation hands the library a heap context that the C completion consumes
// (exactly once, on whatever thread the library calls it from) to run the C++ callback.
//
// For the storage role the instance is still a CacheConnector; Head then falls back to Get, as
// it does whenever the library leaves `head` NULL. Missing get_bulk/set_bulk/delete_bulk fall back
// to the contract's loops over get/set/del. Fenced writes go to set_bulk_fenced/delete_bulk_fenced
// when the library announces STRATA_CAP_FENCED and its vtable has both; otherwise the instance
// does not support fencing (the contract's kFailedPrecondition).
//
// Thread-safety: as the contract: every method may be called from any thread. The event
// listener is set before Start() and called from whatever thread the library reports on.

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "plugin/plugin_library.h"
#include "strata/cache_connector.h"
#include "strata/connector_abi.h"

namespace strata {

class AbiConnector final : public CacheConnector {
 public:
  // Creates one instance for `role` (a single STRATA_ROLE_* bit) with options as JSON text.
  // kInvalidArgument when the library does not offer the role or rejects the options (its
  // message, e.g. naming the bad option), or lacks a function the role requires.
  static Result<std::unique_ptr<AbiConnector>> Create(std::shared_ptr<PluginLibrary> library,
                                                      uint32_t role, std::string_view options_json);

  // Destroys the instance; closes it first (and waits) if it was started and not closed.
  ~AbiConnector() override;
  AbiConnector(const AbiConnector&) = delete;
  AbiConnector& operator=(const AbiConnector&) = delete;

  std::string_view Name() const override { return library_->info().name; }
  void Start(DoneCallback ready) override;
  void Close(DoneCallback done) override;
  void SetEventListener(ConnectorEventListener listener) override;

  void Get(std::string_view name, Callback<std::optional<RecordValue>> cb) override;
  void Set(std::string_view name, const RecordValue& value, DoneCallback cb) override;
  void Delete(std::string_view name, DoneCallback cb) override;
  void GetBulk(std::span<const std::string> names, Callback<GetBulkResult> cb) override;
  void SetBulk(std::span<const NamedValue> batch, DoneCallback cb) override;
  void DeleteBulk(std::span<const std::string> names, DoneCallback cb) override;
  void Head(std::string_view name, Callback<std::optional<Version>> cb) override;
  bool SupportsFencing() const override;
  void SetBulkFenced(std::span<const FencedValue> batch, Callback<FencedResult> cb) override;
  void DeleteBulkFenced(std::span<const FencedName> names, Callback<FencedResult> cb) override;

  const PluginLibrary& library() const { return *library_; }

 private:
  explicit AbiConnector(std::shared_ptr<PluginLibrary> library);
  Status Instantiate(uint32_t role, std::string_view options_json);
  void OnEvent(int32_t event, std::string_view detail);
  struct CloseLatch;

  static void HostEvent(void* ctx, int32_t event, strata_str detail);
  static void HostLog(void* ctx, int32_t level, strata_str message);

  std::shared_ptr<PluginLibrary> library_;  // keeps the code behind vtable_ loaded
  strata_host host_{};                      // ctx = this; valid until the instance is destroyed
  void* self_ = nullptr;
  strata_connector_vtable vtable_{};  // the library's vtable, fields it did not write zeroed

  std::mutex mu_;
  ConnectorEventListener listener_;          // guarded by mu_
  bool started_ = false;                     // guarded by mu_
  bool close_called_ = false;                // guarded by mu_
  std::shared_ptr<CloseLatch> close_latch_;  // guarded by mu_; set by the first Close()
};

// The same as AbiConnector::Create, typed for the storage side of the registry.
Result<std::unique_ptr<StorageConnector>> CreateAbiConnector(std::shared_ptr<PluginLibrary> library,
                                                             uint32_t role,
                                                             std::string_view options_json);

// The C status code and message of a completion as a Status (unknown codes become kInternal).
Status StatusFromAbi(int32_t code, strata_str message);

}  // namespace strata
