#include "connectors/memcached/memcached_client.h"

#include <cstdlib>
#include <memory>
#include <vector>

#include <libmemcached/memcached.h>

namespace strata::memcached {
namespace {

// A new handle for `options`; it connects lazily, on its first operation.
memcached_st* NewHandle(const MemcachedOptions& options) {
  memcached_st* handle = memcached_create(nullptr);
  for (const MemcachedServer& server : options.servers) {
    memcached_server_add(handle, server.host.c_str(), server.port);
  }
  memcached_behavior_set(handle, MEMCACHED_BEHAVIOR_TCP_NODELAY, 1);
  memcached_behavior_set(handle, MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT, options.timeout_ms);
  memcached_behavior_set(handle, MEMCACHED_BEHAVIOR_POLL_TIMEOUT, options.timeout_ms);
  memcached_behavior_set(handle, MEMCACHED_BEHAVIOR_RETRY_TIMEOUT, options.retry_ms / 1000);
  if (options.servers.size() > 1) {
    memcached_behavior_set(handle, MEMCACHED_BEHAVIOR_DISTRIBUTION,
                           MEMCACHED_DISTRIBUTION_CONSISTENT_KETAMA);
  }
  return handle;
}

bool IsConnectionFailure(memcached_return_t rc) {
  switch (rc) {
    case MEMCACHED_CONNECTION_FAILURE:
    case MEMCACHED_HOST_LOOKUP_FAILURE:
    case MEMCACHED_CONNECTION_BIND_FAILURE:
    case MEMCACHED_WRITE_FAILURE:
    case MEMCACHED_READ_FAILURE:
    case MEMCACHED_UNKNOWN_READ_FAILURE:
    case MEMCACHED_PARTIAL_READ:
    case MEMCACHED_ERRNO:
    case MEMCACHED_SERVER_MARKED_DEAD:
    case MEMCACHED_SERVER_TEMPORARILY_DISABLED:
    case MEMCACHED_NO_SERVERS:
    case MEMCACHED_SOME_ERRORS:
    case MEMCACHED_ERROR:  // also MEMCACHED_CONNECTION_SOCKET_CREATE_FAILURE
    case MEMCACHED_IN_PROGRESS:
      return true;
    default:
      return false;
  }
}

// libmemcached's last error without its handle address prefix and source location suffix, as
// "CONNECTION FAILURE(Connection refused) (host 127.0.0.1:11211)".
std::string Detail(memcached_st* handle, memcached_return_t rc) {
  const char* raw = memcached_last_error_message(handle);
  std::string text = raw != nullptr ? raw : memcached_strerror(handle, rc);
  if (text.starts_with("(0x")) {
    if (size_t close = text.find(") "); close != std::string::npos) text.erase(0, close + 2);
  }
  if (size_t where = text.find(" -> "); where != std::string::npos) text.erase(where);
  std::string host;
  if (size_t at = text.find("host: "); at != std::string::npos) {
    host = text.substr(at + 6);
    text.erase(at);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == ',')) text.pop_back();
  while (!host.empty() && host.back() == ' ') host.pop_back();
  return host.empty() ? text : text + " (host " + host + ")";
}

}  // namespace

MemcachedClient::MemcachedClient(const MemcachedOptions& options)
    : options_(options), handle_(NewHandle(options)) {}

MemcachedClient::~MemcachedClient() { memcached_free(handle_); }

Status MemcachedClient::Check(memcached_st* handle, int code, std::string_view op) const {
  auto rc = static_cast<memcached_return_t>(code);
  std::string prefix = "memcached: " + std::string(op) + ": ";
  if (rc == MEMCACHED_TIMEOUT) {
    return Status::DeadlineExceeded(prefix + "no answer within " +
                                    std::to_string(options_.timeout_ms) + " ms (" +
                                    Detail(handle, rc) + ")");
  }
  if (IsConnectionFailure(rc)) {
    std::string detail = Detail(handle, rc);
    if (detail.find("(host ") == std::string::npos) {
      detail += " (servers " + DescribeServers(options_.servers) + ")";
    }
    return Status::Unavailable(prefix + detail);
  }
  if (rc == MEMCACHED_E2BIG || rc == MEMCACHED_KEY_TOO_BIG) {
    return Status::InvalidArgument(prefix + "item larger than memcached's item size limit (-I)");
  }
  if (rc == MEMCACHED_MEMORY_ALLOCATION_FAILURE ||
      rc == MEMCACHED_SERVER_MEMORY_ALLOCATION_FAILURE) {
    return Status::ResourceExhausted(prefix + Detail(handle, rc));
  }
  return Status::Internal(prefix + Detail(handle, rc));
}

Result<std::optional<std::string>> MemcachedClient::Get(std::string_view key) {
  size_t length = 0;
  uint32_t flags = 0;
  memcached_return_t rc = MEMCACHED_SUCCESS;
  char* value = memcached_get(handle_, key.data(), key.size(), &length, &flags, &rc);
  std::unique_ptr<char, decltype(&std::free)> owned(value, &std::free);
  if (rc == MEMCACHED_NOTFOUND) return std::optional<std::string>();
  if (rc != MEMCACHED_SUCCESS) return Check(handle_, rc, "get");
  return std::optional<std::string>(std::string(value != nullptr ? value : "", length));
}

Status MemcachedClient::Set(std::string_view key, std::string_view value) {
  memcached_return_t rc = memcached_set(handle_, key.data(), key.size(), value.data(), value.size(),
                                        options_.lifetime_s, 0);
  return rc == MEMCACHED_SUCCESS ? Status() : Check(handle_, rc, "set");
}

Status MemcachedClient::Delete(std::string_view key) {
  memcached_return_t rc = memcached_delete(handle_, key.data(), key.size(), 0);
  if (rc == MEMCACHED_SUCCESS || rc == MEMCACHED_DELETED || rc == MEMCACHED_NOTFOUND) {
    return Status();
  }
  return Check(handle_, rc, "delete");
}

Status MemcachedClient::MultiGet(std::span<const std::string> keys, const FoundFn& found) {
  if (keys.empty()) return Status();
  std::vector<const char*> pointers;
  std::vector<size_t> lengths;
  for (const std::string& key : keys) {
    pointers.push_back(key.data());
    lengths.push_back(key.size());
  }
  memcached_return_t rc = memcached_mget(handle_, pointers.data(), lengths.data(), keys.size());
  if (rc != MEMCACHED_SUCCESS) return Check(handle_, rc, "get (multiple)");
  memcached_result_st result;
  memcached_result_create(handle_, &result);
  while (memcached_fetch_result(handle_, &result, &rc) != nullptr) {
    found(
        std::string_view(memcached_result_key_value(&result), memcached_result_key_length(&result)),
        std::string_view(memcached_result_value(&result), memcached_result_length(&result)));
  }
  memcached_result_free(&result);
  if (rc == MEMCACHED_END || rc == MEMCACHED_SUCCESS || rc == MEMCACHED_NOTFOUND) return Status();
  return Check(handle_, rc, "get (multiple)");
}

void MemcachedClient::Reconnect() {
  memcached_free(handle_);
  handle_ = NewHandle(options_);
}

Status MemcachedClient::Ping() {
  // A fresh handle: the worker handles may be skipping a failed server until `retry` passes,
  // and a probe must really ask.
  memcached_st* probe = NewHandle(options_);
  memcached_return_t rc = memcached_version(probe);
  Status status = rc == MEMCACHED_SUCCESS ? Status() : Check(probe, rc, "connect");
  memcached_free(probe);
  return status;
}

}  // namespace strata::memcached
