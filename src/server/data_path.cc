#include "server/data_path.h"

#include <future>
#include <string>

#include <spdlog/spdlog.h>

namespace strata {
namespace {

// Runs an asynchronous operation and waits for its completion for at most `timeout`.
Status AwaitDone(const std::function<void(DoneCallback)>& op, Millis timeout,
                 const std::string& what) {
  auto promise = std::make_shared<std::promise<Status>>();
  std::future<Status> future = promise->get_future();
  op([promise](Status s) { promise->set_value(s); });
  if (future.wait_for(timeout) != std::future_status::ready) {
    return Status::DeadlineExceeded(what + " did not finish within " +
                                    std::to_string(timeout.count()) + " ms");
  }
  return future.get();
}

std::string Quoted(const StorageConnector& c) {
  return "connector '" + std::string(c.Name()) + "'";
}

}  // namespace

Result<std::unique_ptr<DataPath>> DataPath::Create(const ConnectorRegistry& registry,
                                                   const ServerOptions& options) {
  STRATA_ASSIGN_OR_RETURN(DataPathConnectors connectors,
                          CreateDataPathConnectors(registry, options));
  return std::unique_ptr<DataPath>(new DataPath(std::move(connectors)));
}

DataPath::DataPath(DataPathConnectors connectors) : connectors_(std::move(connectors)) {}

DataPath::~DataPath() = default;

Status DataPath::Start(Millis timeout_each) {
  for (StorageConnector* c :
       {static_cast<StorageConnector*>(connectors_.cache.get()), connectors_.storage.get()}) {
    c->SetEventListener([this, c](ConnectorEvent event, std::string_view, const Status& detail) {
      OnEvent(c->Name(), event, detail);
    });
    Status ready = AwaitDone([c](DoneCallback cb) { c->Start(std::move(cb)); }, timeout_each,
                             Quoted(*c) + " start");
    if (!ready.ok()) {
      return Status(ready.code(), Quoted(*c) + " is not ready: " + std::string(ready.message()));
    }
    spdlog::info("connector {} ready", c->Name());
  }
  return Status();
}

void DataPath::Close() {
  for (StorageConnector* c :
       {static_cast<StorageConnector*>(connectors_.cache.get()), connectors_.storage.get()}) {
    Status closed = AwaitDone([c](DoneCallback cb) { c->Close(std::move(cb)); }, Millis(10000),
                              "closing " + Quoted(*c));
    if (!closed.ok()) spdlog::error("{}", closed.ToString());
  }
}

void DataPath::OnEvent(std::string_view connector, ConnectorEvent event, const Status& detail) {
  uint64_t count = ++events_;
  switch (event) {
    case ConnectorEvent::kConnectionLost:
      spdlog::error(
          "connector {}: connection lost ({}); operations fail until it is back (event #{})",
          connector, detail.message(), count);
      return;
    case ConnectorEvent::kConnectionRestored:
      spdlog::warn("connector {}: connection restored (event #{})", connector, count);
      return;
    case ConnectorEvent::kError:
      spdlog::error("connector {}: {} (event #{})", connector, detail.ToString(), count);
      return;
  }
}

}  // namespace strata
