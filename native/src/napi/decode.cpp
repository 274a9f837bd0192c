// decodeInstruction(bytes, code32): the software vCPU's decoder for JavaScript (bootvisor/decode.h), so a test
// can hold it against iced-x86, the debugger's disassembler.
#include <napi.h>

#include "bootvisor/decode.h"
#include "napi/registry.h"

namespace bv::napi {

namespace {

Napi::Value DecodeInstruction(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsTypedArray() || !info[1].IsBoolean()) {
    Napi::TypeError::New(env, "decodeInstruction(bytes: Uint8Array, code32: boolean)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Uint8Array bytes = info[0].As<Napi::Uint8Array>();
  DecodedInsn d = decodeInstruction(bytes.Data(), bytes.ElementLength(), info[1].As<Napi::Boolean>().Value());
  Napi::Object o = Napi::Object::New(env);
  o.Set("complete", d.complete);
  o.Set("valid", d.valid);
  o.Set("length", d.length);
  o.Set("opcode", d.opcode);
  o.Set("hasModrm", d.hasModrm);
  o.Set("modrm", d.modrm);
  o.Set("op32", d.op32);
  o.Set("a32", d.a32);
  o.Set("disp", d.disp);
  o.Set("imm", d.imm);
  o.Set("imm2", d.imm2);
  o.Set("mnemonic", d.mnemonic ? Napi::Value(Napi::String::New(env, d.mnemonic)) : env.Null());
  return o;
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("decodeInstruction", Napi::Function::New(env, DecodeInstruction, "decodeInstruction"));
}

const RegisterClass kRegister(&Init);

}  // namespace

}  // namespace bv::napi
