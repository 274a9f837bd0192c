// exceptionTable(): bootvisor/exceptions.h's table for JavaScript, so the debugger's exception filters and
// explanations name the vectors exactly as the vCPU does.
#include <napi.h>

#include "bootvisor/exceptions.h"
#include "napi/registry.h"

namespace bv::napi {

namespace {

Napi::Value ExceptionTable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array rows = Napi::Array::New(env, kExceptionVectors);
  for (unsigned v = 0; v < kExceptionVectors; ++v) {
    const ExceptionInfo& e = exceptionInfo(uint8_t(v));
    Napi::Object row = Napi::Object::New(env);
    row.Set("vector", Napi::Number::New(env, e.vector));
    row.Set("mnemonic", Napi::String::New(env, e.mnemonic));
    row.Set("name", Napi::String::New(env, e.name));
    row.Set("kind", Napi::String::New(env, exceptionClassName(e.kind)));
    row.Set("errorCode", Napi::Boolean::New(env, e.errorCode));
    row.Set("doubleFault", Napi::String::New(env, doubleFaultClassName(e.doubleFault)));
    rows.Set(v, row);
  }
  return rows;
}

Napi::Value SecondFaultOf(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber()) {
    Napi::TypeError::New(env, "secondFault(first, second): two vector numbers").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto vec = [](const Napi::Value& v) { return uint8_t(v.As<Napi::Number>().Uint32Value() & 0xFF); };
  switch (secondFault(vec(info[0]), vec(info[1]))) {
    case SecondFault::DoubleFault: return Napi::String::New(env, "double fault");
    case SecondFault::TripleFault: return Napi::String::New(env, "triple fault");
    case SecondFault::Serial: break;
  }
  return Napi::String::New(env, "serial");
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("exceptionTable", Napi::Function::New(env, ExceptionTable, "exceptionTable"));
  exports.Set("secondFault", Napi::Function::New(env, SecondFaultOf, "secondFault"));
}

const RegisterClass kRegister(&Init);

}  // namespace

}  // namespace bv::napi
