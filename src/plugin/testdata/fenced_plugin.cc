// A test-only storage library written in C++ and exported with STRATA_EXPORT_CONNECTOR: records
// in memory, with fenced writes and tombstones. It proves that fenced writes cross the ABI both
// ways (plugin_export.cc exports them, abi_connector.cc calls them) with their answers intact.
// Options: {"fenced": false} makes an instance that does not support fencing.

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "strata/connector_plugin.h"

namespace {

using strata::Callback;
using strata::DoneCallback;
using strata::FencedName;
using strata::FencedResult;
using strata::FencedValue;
using strata::RecordValue;
using strata::Status;

class FencedMemory final : public strata::StorageConnector {
 public:
  explicit FencedMemory(bool fenced) : fenced_(fenced) {}

  std::string_view Name() const override { return "fenced-memory"; }
  void Start(DoneCallback ready) override { ready(Status()); }
  void Close(DoneCallback done) override { done(Status()); }

  void Get(std::string_view name, Callback<std::optional<RecordValue>> cb) override {
    std::optional<RecordValue> found;
    {
      std::lock_guard lock(mu_);
      auto it = rows_.find(std::string(name));
      if (it != rows_.end() && !it->second.tombstone) found = it->second.value;
    }
    cb(std::move(found));
  }
  void Set(std::string_view name, const RecordValue& value, DoneCallback cb) override {
    {
      std::lock_guard lock(mu_);
      rows_[std::string(name)] = Row{value, std::nullopt, false};
    }
    cb(Status());
  }
  void Delete(std::string_view name, DoneCallback cb) override {
    {
      std::lock_guard lock(mu_);
      rows_.erase(std::string(name));
    }
    cb(Status());
  }

  bool SupportsFencing() const override { return fenced_; }
  void SetBulkFenced(std::span<const FencedValue> batch, Callback<FencedResult> cb) override {
    if (!fenced_) return StorageConnector::SetBulkFenced(batch, std::move(cb));
    FencedResult applied;
    {
      std::lock_guard lock(mu_);
      for (const FencedValue& fv : batch) {
        applied.push_back(Write(fv.name, Row{fv.value, fv.fence, false}));
      }
    }
    cb(std::move(applied));
  }
  void DeleteBulkFenced(std::span<const FencedName> names, Callback<FencedResult> cb) override {
    if (!fenced_) return StorageConnector::DeleteBulkFenced(names, std::move(cb));
    FencedResult applied;
    {
      std::lock_guard lock(mu_);
      for (const FencedName& fn : names) {
        applied.push_back(Write(fn.name, Row{RecordValue{}, fn.fence, true}));
      }
    }
    cb(std::move(applied));
  }

 private:
  struct Row {
    RecordValue value;
    std::optional<uint64_t> fence;  // nullopt: written unfenced
    bool tombstone = false;
  };

  // REQUIRES: mu_ held. Writes `row` unless the stored fence is as new or newer.
  bool Write(const std::string& name, Row row) {
    auto it = rows_.find(name);
    if (it != rows_.end() && it->second.fence.has_value() && *it->second.fence >= *row.fence) {
      return false;
    }
    rows_[name] = std::move(row);
    return true;
  }

  const bool fenced_;
  std::mutex mu_;
  std::map<std::string, Row> rows_;  // guarded by mu_
};

strata::Result<std::unique_ptr<strata::StorageConnector>> Make(uint32_t,
                                                               std::string_view options_json) {
  bool fenced = options_json.find("\"fenced\": false") == std::string_view::npos &&
                options_json.find("\"fenced\":false") == std::string_view::npos;
  return std::unique_ptr<strata::StorageConnector>(std::make_unique<FencedMemory>(fenced));
}

}  // namespace

STRATA_EXPORT_CONNECTOR("fenced-memory", "0.0.1", STRATA_ROLE_STORAGE, "test only", "", Make)
