// Default batched operations of the connector contracts, built on the single-record ones.
// Completions of the single operations may arrive on any thread: the fan-in joins are
// thread-safe.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/fan_in.h"
#include "strata/cache_connector.h"
#include "strata/storage_connector.h"

namespace strata {

void StorageConnector::GetBulk(std::span<const std::string> names, Callback<GetBulkResult> cb) {
  PartCallback<std::optional<RecordValue>> part =
      FanInValues<std::optional<RecordValue>>(names.size(), std::move(cb));
  for (size_t i = 0; i < names.size(); ++i) {
    Get(names[i], [part, i](Result<std::optional<RecordValue>> r) { part(i, std::move(r)); });
  }
}

void StorageConnector::SetBulk(std::span<const NamedValue> batch, DoneCallback cb) {
  DoneCallback part = FanIn(batch.size(), std::move(cb));
  for (const NamedValue& nv : batch) Set(nv.name, nv.value, part);
}

void StorageConnector::DeleteBulk(std::span<const std::string> names, DoneCallback cb) {
  DoneCallback part = FanIn(names.size(), std::move(cb));
  for (const std::string& name : names) Delete(name, part);
}

void StorageConnector::SetBulkFenced(std::span<const FencedValue> batch,
                                     Callback<FencedResult> cb) {
  (void)batch;
  cb(Status::FailedPrecondition(std::string(Name()) + " does not support fenced writes"));
}

void StorageConnector::DeleteBulkFenced(std::span<const FencedName> names,
                                        Callback<FencedResult> cb) {
  (void)names;
  cb(Status::FailedPrecondition(std::string(Name()) + " does not support fenced writes"));
}

void CacheConnector::HeadBulk(std::span<const std::string> names, Callback<HeadBulkResult> cb) {
  PartCallback<std::optional<Version>> part = FanInValues<std::optional<Version>>(
      names.size(), [asked = std::vector<std::string>(names.begin(), names.end()),
                     cb = std::move(cb)](Result<std::vector<std::optional<Version>>> versions) {
        if (!versions.ok()) return cb(versions.status());
        HeadBulkResult out;
        for (size_t i = 0; i < asked.size(); ++i) {
          if ((*versions)[i].has_value()) {
            out.versions[asked[i]] = *(*versions)[i];
          } else {
            out.missing.push_back(asked[i]);
          }
        }
        cb(std::move(out));
      });
  for (size_t i = 0; i < names.size(); ++i) {
    Head(names[i], [part, i](Result<std::optional<Version>> r) { part(i, std::move(r)); });
  }
}

}  // namespace strata
