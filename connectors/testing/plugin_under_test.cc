#include "connectors/testing/plugin_under_test.h"

#include <dlfcn.h>

#include <gtest/gtest.h>

namespace strata::testing {

PluginUnderTest::PluginUnderTest(const std::string& path) {
  handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle_) {
    ADD_FAILURE() << "dlopen " << path << ": " << dlerror();
    return;
  }
  auto info =
      reinterpret_cast<strata_connector_get_info_fn>(dlsym(handle_, "strata_connector_get_info"));
  create_ = reinterpret_cast<strata_connector_create_fn>(dlsym(handle_, "strata_connector_create"));
  if (!info || !create_) {
    ADD_FAILURE() << path << " does not export both connector entry points";
    return;
  }
  info_ = info();
}

PluginUnderTest::~PluginUnderTest() {
  if (handle_) dlclose(handle_);
}

PluginUnderTest::Created PluginUnderTest::Create(uint32_t role, const std::string& options_json) {
  Created out;
  strata_host host{sizeof(strata_host), nullptr, nullptr, nullptr};
  void* self = nullptr;
  const strata_connector_vtable* vtable = nullptr;
  char error[512] = {};
  out.code = create_(role, {options_json.data(), options_json.size()}, &host, &self, &vtable, error,
                     sizeof(error));
  out.error = error;
  if (out.code == STRATA_OK) {
    out.has_head = vtable->head != nullptr;
    vtable->destroy(self);
  }
  return out;
}

}  // namespace strata::testing
