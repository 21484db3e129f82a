#pragma once
// HttpClient: asynchronous HTTP/1.1 requests from strata to other services (the auth webhook),
// one connection per request, on an EventLoop. Only http:// URLs; every request has a deadline
// covering resolve, connect, write and read.
//
// Thread-safety: Send may be called from any thread; the callback runs on the loop.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "strata/status.h"

namespace strata {

class EventLoop;

struct HttpUrl {
  std::string host;
  uint16_t port = 80;
  std::string target = "/";  // path and query
};

// kInvalidArgument for anything but http://host[:port][/path]; https is refused by name.
Result<HttpUrl> ParseHttpUrl(std::string_view url);

struct HttpClientRequest {
  std::string method = "POST";
  HttpUrl url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string content_type = "application/json";
  std::chrono::milliseconds timeout{2000};
};

struct HttpClientResponse {
  int status = 0;
  std::string content_type;
  std::string body;
};

// kDeadlineExceeded when the deadline passed, kUnavailable for connection errors.
void SendHttpRequest(EventLoop& loop, HttpClientRequest request,
                     std::function<void(Result<HttpClientResponse>)> done);

}  // namespace strata
