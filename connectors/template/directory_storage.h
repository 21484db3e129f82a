#pragma once
// DirectoryStorage: the template connector. It keeps one file per record in a directory (the
// file name is the record name hex-encoded, the content the version and the JSON text), and
// does every file operation on its own IoThread. Small, but it follows the whole connector
// contract (strata/storage_connector.h), so it is a sound starting point for a real backend:
// copy this folder, rename, and replace the parts marked FILL IN.
//
// Errors: a vanished directory is this connector's "server went away": operations fail with
// kUnavailable and a kConnectionLost event is reported once; the first operation that works
// again reports kConnectionRestored.
//
// Threading: every method may be called from any thread; completions and events run on the
// IoThread, or synchronously (with kFailedPrecondition) when called after Close().

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

#include "connectors/template/io_thread.h"
#include "strata/storage_connector.h"

namespace strata::template_connector {

// FILL IN: your backend's options (host, port, credentials, timeouts...), each with a default.
struct DirectoryOptions {
  std::string path = "./data/records";  // where record files go; created by Start()
};

// Parses the `options:` mapping (as JSON text). Errors name the bad key as the user wrote it,
// e.g. "storage.options.path: expected a string".
Result<DirectoryOptions> ParseDirectoryOptions(std::string_view options_json);

class DirectoryStorage final : public StorageConnector {
 public:
  explicit DirectoryStorage(DirectoryOptions options);

  std::string_view Name() const override { return "template"; }
  void Start(DoneCallback ready) override;
  void Close(DoneCallback done) override;
  void SetEventListener(ConnectorEventListener listener) override;

  void Get(std::string_view name, Callback<std::optional<RecordValue>> cb) override;
  void Set(std::string_view name, const RecordValue& value, DoneCallback cb) override;
  void Delete(std::string_view name, DoneCallback cb) override;
  // SetBulk/DeleteBulk: the contract's defaults (one Set/Delete per record) are right for a
  // file per record. FILL IN: override them when your backend has transactions or pipelines.

 private:
  // Runs on io_; `task` answers the completion. After Close() answers kFailedPrecondition.
  void Submit(std::function<void()> task, const std::function<void(Status)>& refuse);
  // The file of a record, or kInvalidArgument if the name is too long for a file name.
  Result<std::filesystem::path> FileOf(std::string_view name) const;
  // Turns a failed file operation into the operation's Status, reporting a lost directory.
  Status Failed(std::string_view what, const std::error_code& ec);
  void Succeeded();

  const DirectoryOptions options_;
  ConnectorEventListener listener_;  // set before Start(), then only read on io_
  bool lost_ = false;                // io_ only: a kConnectionLost was reported
  IoThread io_;                      // last member: its tasks use the others
};

}  // namespace strata::template_connector
