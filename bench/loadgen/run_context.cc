#include "run_context.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace strata::loadgen {
namespace {

bool ParseUrl(const std::string& url, Options* o) {
  const std::string scheme = "ws://";
  if (url.rfind(scheme, 0) != 0) return false;
  std::string rest = url.substr(scheme.size());
  size_t slash = rest.find('/');
  std::string hostport = rest.substr(0, slash);
  o->path = slash == std::string::npos ? "/" : rest.substr(slash);
  size_t colon = hostport.rfind(':');
  if (colon == std::string::npos) return false;
  o->host = hostport.substr(0, colon);
  if (o->host == "localhost") o->host = "127.0.0.1";
  o->port = std::atoi(hostport.c_str() + colon + 1);
  return o->port > 0 && o->port < 65536;
}

// A positive rate of at most 1e8/s; NaN when malformed.
double ParseRate(const std::string& v) {
  char* end = nullptr;
  double r = std::strtod(v.c_str(), &end);
  return end != v.c_str() && *end == '\0' && r > 0 && r <= 1e8 ? r : NAN;
}

void Usage() {
  std::fprintf(
      stderr,
      "usage: strata-loadgen write|write-ack|fanout|event|conns|read-cold --url "
      "ws://127.0.0.1:PORT/deepstream\n"
      "       [--pid SERVER_PID] [--label NAME] [--out result.json] [--threads N]\n"
      "       [--rate UPDATES_PER_S]  (write, write-ack, fanout: paced instead of K in flight)\n"
      "knobs via env (see bench/README.md): BENCH_W, BENCH_S, BENCH_N, BENCH_K, ...\n");
}

}  // namespace

double EnvNumber(const char* name, double def, double min) {
  const char* raw = std::getenv(name);
  if (raw == nullptr || *raw == '\0') return def;
  char* end = nullptr;
  double v = std::strtod(raw, &end);
  if (end == raw || *end != '\0' || !std::isfinite(v) || v < min) {
    std::fprintf(stderr, "%s must be a number >= %g, got \"%s\"\n", name, min, raw);
    std::exit(2);
  }
  return v;
}

bool ParseOptions(int argc, char** argv, Options* o) {
  if (argc < 2) {
    Usage();
    return false;
  }
  o->scenario = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) {
      Usage();
      return false;
    }
    std::string v = argv[++i];
    if (a == "--url")
      o->url = v;
    else if (a == "--pid")
      o->pid = std::atoi(v.c_str());
    else if (a == "--label")
      o->label = v;
    else if (a == "--out")
      o->out = v;
    else if (a == "--threads")
      o->threads = std::atoi(v.c_str());
    else if (a == "--rate")
      o->rate = ParseRate(v);
    else {
      Usage();
      return false;
    }
  }
  if (o->url.empty() || !ParseUrl(o->url, o) || o->threads < 1 || o->threads > 64 ||
      std::isnan(o->rate)) {
    Usage();
    return false;
  }
  if (o->rate == 0) o->rate = EnvNumber("BENCH_RATE", 0, 0);
  o->setup_ms = EnvNumber("BENCH_SETUP_TIMEOUT", 30, 1) * 1000;
  o->duration_ms = EnvNumber("BENCH_DURATION", 20, 0.1) * 1000;
  o->drain_ms = EnvNumber("BENCH_DRAIN", 15, 0.1) * 1000;
  o->stall_ms = EnvNumber("BENCH_STALL", 5, 0.1) * 1000;
  return true;
}

void Problems::Add(std::string msg) {
  count_.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(mu_);
  if (list_.size() < kMaxKept) list_.push_back(std::move(msg));
}

std::vector<std::string> Problems::List() const {
  std::lock_guard<std::mutex> lock(mu_);
  return list_;
}

void Json::Key(const char* key) {
  if (!first_) s_ += ',';
  first_ = false;
  if (key != nullptr) s_ += Quote(key) + ':';
}

std::string Json::Quote(const std::string& v) {
  std::string q = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') {
      q += '\\';
      q += c;
    } else if (uint8_t(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      q += buf;
    } else {
      q += c;
    }
  }
  return q + '"';
}

Json& Json::Begin(const char* key) {
  Key(key);
  s_ += '{';
  first_ = true;
  return *this;
}

Json& Json::End() {
  s_ += '}';
  first_ = false;
  return *this;
}

Json& Json::Num(const char* key, double v) {
  Key(key);
  if (!std::isfinite(v)) {
    s_ += "null";
    return *this;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  s_ += buf;
  return *this;
}

Json& Json::Str(const char* key, const std::string& v) {
  Key(key);
  s_ += Quote(v);
  return *this;
}

Json& Json::StrList(const char* key, const std::vector<std::string>& v) {
  Key(key);
  s_ += '[';
  for (size_t i = 0; i < v.size(); ++i) s_ += (i ? "," : "") + Quote(v[i]);
  s_ += ']';
  return *this;
}

}  // namespace strata::loadgen
