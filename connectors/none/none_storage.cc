#include "connectors/none/none_storage.h"

namespace strata {

void NoneStorage::Get(std::string_view name, Callback<std::optional<RecordValue>> cb) {
  cb(std::optional<RecordValue>());
}

void NoneStorage::Set(std::string_view name, const RecordValue& value, DoneCallback cb) {
  cb(Status());
}

void NoneStorage::Delete(std::string_view name, DoneCallback cb) { cb(Status()); }

void NoneStorage::SetBulk(std::span<const NamedValue> batch, DoneCallback cb) { cb(Status()); }

void NoneStorage::DeleteBulk(std::span<const std::string> names, DoneCallback cb) { cb(Status()); }

void NoneStorage::SetBulkFenced(std::span<const FencedValue> batch, Callback<FencedResult> cb) {
  cb(FencedResult(batch.size(), true));
}

void NoneStorage::DeleteBulkFenced(std::span<const FencedName> names, Callback<FencedResult> cb) {
  cb(FencedResult(names.size(), true));
}

std::unique_ptr<StorageConnector> NewNoneStorage() { return std::make_unique<NoneStorage>(); }

}  // namespace strata
