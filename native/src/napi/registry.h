// Each exposed class registers itself from its own file, so adding a class never means editing module.cpp
// (and a file that is not built yet cannot break the link).
#pragma once
#include <napi.h>

#include <vector>

namespace bv::napi {

using ClassInit = void (*)(Napi::Env env, Napi::Object exports);

std::vector<ClassInit>& classInits();

struct RegisterClass {
  explicit RegisterClass(ClassInit init) { classInits().push_back(init); }
};

}  // namespace bv::napi
