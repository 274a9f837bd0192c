// The addon's entry point: each class in this folder registered itself (registry.h); export them all.
#include <napi.h>

#include "napi/registry.h"

namespace bv::napi {
std::vector<ClassInit>& classInits() {
  static std::vector<ClassInit> inits;
  return inits;
}
}  // namespace bv::napi

static Napi::Object InitBootvisor(Napi::Env env, Napi::Object exports) {
  for (auto init : bv::napi::classInits()) init(env, exports);
  return exports;
}

NODE_API_MODULE(bootvisor, InitBootvisor)
