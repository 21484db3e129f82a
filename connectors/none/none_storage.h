#pragma once
// NoneStorage: the "none" storage connector, which stores nothing (deepstream's NoopStorage).
// With it strata runs purely in memory: Get always answers nullopt, Set and Delete succeed.
// It supports fenced writes, trivially: nothing is stored, so nothing newer is either, and every
// row is applied (a cluster without storage is valid).
//
// Thread-safety: stateless, so safe from any thread. Completions run synchronously on the
// calling thread (allowed by the connector contract in strata/callback.h).

#include <memory>

#include "strata/storage_connector.h"

namespace strata {

class NoneStorage final : public StorageConnector {
 public:
  std::string_view Name() const override { return "none"; }
  void Start(DoneCallback ready) override { ready(Status()); }
  void Close(DoneCallback done) override { done(Status()); }

  void Get(std::string_view name, Callback<std::optional<RecordValue>> cb) override;
  void Set(std::string_view name, const RecordValue& value, DoneCallback cb) override;
  void Delete(std::string_view name, DoneCallback cb) override;
  void SetBulk(std::span<const NamedValue> batch, DoneCallback cb) override;
  void DeleteBulk(std::span<const std::string> names, DoneCallback cb) override;

  bool SupportsFencing() const override { return true; }
  void SetBulkFenced(std::span<const FencedValue> batch, Callback<FencedResult> cb) override;
  void DeleteBulkFenced(std::span<const FencedName> names, Callback<FencedResult> cb) override;
};

std::unique_ptr<StorageConnector> NewNoneStorage();

}  // namespace strata
