#include "connectors/template/directory_storage.h"

#include <fstream>
#include <sstream>

namespace strata::template_connector {
namespace {

namespace fs = std::filesystem;

// File names are limited to 255 bytes and hex doubles the name: a long name becomes nested
// directories of at most this many hex digits each, the last part naming the file.
constexpr size_t kHexPerPart = 200;

std::string HexOf(std::string_view name) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(name.size() * 2);
  for (unsigned char c : name) {
    out += kDigits[c >> 4];
    out += kDigits[c & 0xf];
  }
  return out;
}

// FILL IN: your serialisation. Here: the version on the first line, then the JSON as is, so
// the bytes strata handed over come back byte for byte.
std::string Serialise(const RecordValue& value) {
  return std::to_string(value.version) + "\n" + value.json;
}

Result<RecordValue> Deserialise(const std::string& text, const fs::path& file) {
  size_t newline = text.find('\n');
  if (newline == std::string::npos || newline == 0) {
    return Status::DataLoss("template: corrupt record file " + file.string());
  }
  RecordValue value;
  try {
    value.version = std::stoi(text.substr(0, newline));
  } catch (const std::exception&) {
    return Status::DataLoss("template: corrupt version in " + file.string());
  }
  value.json = text.substr(newline + 1);
  return value;
}

}  // namespace

DirectoryStorage::DirectoryStorage(DirectoryOptions options) : options_(std::move(options)) {}

void DirectoryStorage::SetEventListener(ConnectorEventListener listener) {
  listener_ = std::move(listener);
}

void DirectoryStorage::Submit(std::function<void()> task,
                              const std::function<void(Status)>& refuse) {
  if (!io_.Post(std::move(task))) {
    refuse(Status::FailedPrecondition("template: connector is closed"));
  }
}

void DirectoryStorage::Start(DoneCallback ready) {
  // FILL IN: connect to your backend here (never in the constructor: strata creates the
  // connector before it waits for it), and answer `ready` once operations can be served.
  Submit(
      [this, ready] {
        std::error_code ec;
        fs::create_directories(options_.path, ec);
        if (ec) {
          return ready(Status::Unavailable("template: cannot create " + options_.path + ": " +
                                           ec.message()));
        }
        ready(Status());
      },
      ready);
}

void DirectoryStorage::Close(DoneCallback done) {
  // Everything queued before runs first, so a close flushes. A second Close is answered at
  // once: the contract wants it idempotent.
  if (!io_.PostLast([done] { done(Status()); })) done(Status());
}

Result<fs::path> DirectoryStorage::FileOf(std::string_view name) const {
  std::string hex = HexOf(name);
  fs::path file = options_.path;
  size_t at = 0;
  for (; hex.size() - at > kHexPerPart; at += kHexPerPart) {
    file /= hex.substr(at, kHexPerPart) + ".d";  // ".d" keeps directories apart from files
  }
  return file / (hex.substr(at) + ".rec");
}

Status DirectoryStorage::Failed(std::string_view what, const std::error_code& ec) {
  std::error_code ignored;
  if (!fs::is_directory(options_.path, ignored)) {
    // FILL IN: your backend's "connection lost". Report it once, as an event; the operation
    // itself fails with kUnavailable so that strata keeps the write and retries it.
    Status down = Status::Unavailable("template: directory " + options_.path + " is gone");
    if (!lost_ && listener_) listener_(ConnectorEvent::kConnectionLost, Name(), down);
    lost_ = true;
    return down;
  }
  return Status::Internal("template: " + std::string(what) + ": " + ec.message());
}

void DirectoryStorage::Succeeded() {
  if (!lost_) return;
  lost_ = false;
  if (listener_) listener_(ConnectorEvent::kConnectionRestored, Name(), Status());
}

void DirectoryStorage::Get(std::string_view name, Callback<std::optional<RecordValue>> cb) {
  Result<fs::path> file = FileOf(name);
  if (!file.ok()) return cb(file.status());
  Submit(
      [this, file = *file, cb] {
        std::ifstream in(file, std::ios::binary);
        if (!in) {
          std::error_code ec;
          if (!fs::is_directory(options_.path, ec)) return cb(Failed("read", ec));
          Succeeded();
          return cb(std::optional<RecordValue>());  // a missing record is not an error
        }
        std::ostringstream text;
        text << in.rdbuf();
        Result<RecordValue> value = Deserialise(text.str(), file);
        if (!value.ok()) return cb(value.status());
        Succeeded();
        cb(std::optional<RecordValue>(std::move(*value)));
      },
      [cb](Status s) { cb(std::move(s)); });
}

void DirectoryStorage::Set(std::string_view name, const RecordValue& value, DoneCallback cb) {
  Result<fs::path> file = FileOf(name);
  if (!file.ok()) return cb(file.status());
  Submit(
      [this, file = *file, text = Serialise(value), cb] {
        // Write aside, then rename: a reader never sees half a record. (No fsync: the
        // template trades durability across power loss for speed. FILL IN your guarantee.)
        fs::path temp = file;
        temp += ".tmp";
        // The nested parts of a long name, below a root that must itself still exist (a
        // missing root is this backend's "server gone").
        std::error_code dir_ec;
        if (file.parent_path() != fs::path(options_.path) &&
            fs::is_directory(options_.path, dir_ec)) {
          fs::create_directories(file.parent_path(), dir_ec);
        }
        {
          std::ofstream out(temp, std::ios::binary | std::ios::trunc);
          out << text;
          if (!out.flush()) {
            return cb(Failed("write", std::make_error_code(std::errc::io_error)));
          }
        }
        std::error_code ec;
        fs::rename(temp, file, ec);
        if (ec) return cb(Failed("rename", ec));
        Succeeded();
        cb(Status());
      },
      cb);
}

void DirectoryStorage::Delete(std::string_view name, DoneCallback cb) {
  Result<fs::path> file = FileOf(name);
  if (!file.ok()) return cb(file.status());
  Submit(
      [this, file = *file, cb] {
        std::error_code ec;
        fs::remove(file, ec);  // removing a missing file is not an error (ec stays clear)
        if (ec) return cb(Failed("delete", ec));
        if (!fs::is_directory(options_.path, ec)) return cb(Failed("delete", ec));
        Succeeded();
        cb(Status());
      },
      cb);
}

}  // namespace strata::template_connector
