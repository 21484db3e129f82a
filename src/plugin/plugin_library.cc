#include "plugin/plugin_library.h"

#include <dlfcn.h>

#include <cstddef>
#include <filesystem>

#include "plugin/missing_library_hint.h"

namespace strata {
namespace {

// True when a struct written with `struct_size` bytes contains the field ending at `end`.
bool Covers(uint32_t struct_size, size_t end) { return struct_size >= end; }

#define STRATA_FIELD_END(type, field) (offsetof(type, field) + sizeof(((type*)nullptr)->field))

std::string CopyString(const char* s) { return s ? std::string(s) : std::string(); }

PluginInfo CopyInfo(const strata_connector_info& raw) {
  PluginInfo info;
  using I = strata_connector_info;
  const uint32_t size = raw.struct_size;
  if (Covers(size, STRATA_FIELD_END(I, abi_version))) info.abi_version = raw.abi_version;
  if (Covers(size, STRATA_FIELD_END(I, name))) info.name = CopyString(raw.name);
  if (Covers(size, STRATA_FIELD_END(I, version))) info.version = CopyString(raw.version);
  if (Covers(size, STRATA_FIELD_END(I, roles))) info.roles = raw.roles;
  if (Covers(size, STRATA_FIELD_END(I, description))) {
    info.description = CopyString(raw.description);
  }
  if (Covers(size, STRATA_FIELD_END(I, example_config))) {
    info.example_config = CopyString(raw.example_config);
  }
  return info;
}

#undef STRATA_FIELD_END

// The dlopen failure as a Status, with install advice when a dependency is missing.
Status OpenError(const std::string& path, const char* error) {
  std::string text = error ? error : "unknown dlopen error";
  std::string message = "cannot load connector '" + path + "': " + text;
  std::optional<std::string> missing = MissingLibraryOf(text);
  if (missing.has_value() && *missing != path) {
    message += "; it needs " + *missing + ", which is not installed: " + InstallHintFor(*missing);
  }
  return Status::Unavailable(message);
}

}  // namespace

Result<std::shared_ptr<PluginLibrary>> PluginLibrary::Open(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return Status::NotFound("connector library '" + path + "' does not exist");
  }
  // dlopen searches the library path for names without a slash; a path given here is a file.
  std::string file = path.find('/') == std::string::npos ? "./" + path : path;
  dlerror();
  void* handle = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) return OpenError(path, dlerror());
  std::shared_ptr<PluginLibrary> library(new PluginLibrary(path, handle));
  STRATA_RETURN_IF_ERROR(library->Bind());
  return library;
}

PluginLibrary::~PluginLibrary() { dlclose(handle_); }

Status PluginLibrary::Bind() {
  auto get_info =
      reinterpret_cast<strata_connector_get_info_fn>(dlsym(handle_, "strata_connector_get_info"));
  create_ = reinterpret_cast<strata_connector_create_fn>(dlsym(handle_, "strata_connector_create"));
  if (get_info == nullptr || create_ == nullptr) {
    return Status::InvalidArgument(
        "'" + path_ + "' is not a strata connector: it does not export " +
        (get_info == nullptr ? "strata_connector_get_info" : "strata_connector_create"));
  }
  const strata_connector_info* raw = get_info();
  if (raw == nullptr) {
    return Status::InvalidArgument("connector '" + path_ + "' returned no connector info");
  }
  // struct_size and abi_version lead every version of the struct; the rest of the layout is
  // only known once the version matches.
  const uint32_t abi_version = raw->struct_size >= 2 * sizeof(uint32_t) ? raw->abi_version : 0;
  if (abi_version != STRATA_CONNECTOR_ABI_VERSION) {
    return Status::FailedPrecondition(
        "connector '" + path_ + "' was built for connector ABI version " +
        std::to_string(abi_version) + "; this strata speaks version " +
        std::to_string(STRATA_CONNECTOR_ABI_VERSION));
  }
  info_ = CopyInfo(*raw);
  if (info_.name.empty()) {
    return Status::InvalidArgument("connector '" + path_ + "' reports no name");
  }
  return Status();
}

std::string RoleNames(uint32_t roles) {
  std::string out;
  if (roles & STRATA_ROLE_CACHE) out = "cache";
  if (roles & STRATA_ROLE_STORAGE) out += out.empty() ? "storage" : ", storage";
  return out.empty() ? "none" : out;
}

}  // namespace strata
