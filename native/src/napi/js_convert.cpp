// Conversions between the Machine's C++ records and the JavaScript objects of common/api.ts.
#include "napi/js_convert.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <utility>

namespace bv::napi {

namespace {

const char* const kSegNames[] = {"es", "cs", "ss", "ds", "fs", "gs"};
const char* const kGprNames[] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};
constexpr double kMaxU32 = 4294967295.0;

Napi::Object segToJs(Napi::Env env, const SegState& s) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("selector", s.selector);
  o.Set("base", static_cast<double>(s.base));
  o.Set("limit", static_cast<double>(s.limit));
  o.Set("attrib", packSegAttrib(s.attrib));
  return o;
}

Napi::Object tableToJs(Napi::Env env, const SegState& s) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("base", static_cast<double>(s.base));
  o.Set("limit", static_cast<double>(s.limit));
  return o;
}

Napi::Array bytesToJsArray(Napi::Env env, const std::vector<uint8_t>& bytes) {
  Napi::Array a = Napi::Array::New(env, bytes.size());
  for (size_t i = 0; i < bytes.size(); i++) a.Set(static_cast<uint32_t>(i), bytes[i]);
  return a;
}

Napi::Object faultStepToJs(Napi::Env env, const FaultStep& f) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("vector", f.vector);
  o.Set("name", f.name);
  if (f.hasErrorCode) o.Set("errorCode", static_cast<double>(f.errorCode));
  o.Set("cs", f.cs);
  o.Set("eip", static_cast<double>(f.eip));
  o.Set("linear", static_cast<double>(f.linear));
  o.Set("bytes", bytesToJsArray(env, f.bytes));
  o.Set("reason", f.reason);
  return o;
}

// A field of a Partial<...>: absent (true, untouched), a number in range (true, set), or wrong (false, thrown).
bool optionalNumber(Napi::Env env, const Napi::Object& o, const char* key, double max, uint64_t& out, bool& present) {
  present = false;
  if (!o.Has(key)) return true;
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return true;
  if (!v.IsNumber()) {
    throwTypeError(env, std::string("registers.") + key + " must be a number");
    return false;
  }
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || d < 0 || d > max || std::floor(d) != d) {
    throwRangeError(
        env, std::string("registers.") + key + " must be an integer from 0 to " + hex(static_cast<uint64_t>(max)));
    return false;
  }
  out = static_cast<uint64_t>(d);
  present = true;
  return true;
}

bool segFromJs(Napi::Env env, const Napi::Object& regs, const char* key, SegState& s, bool table) {
  if (!regs.Has(key) || regs.Get(key).IsUndefined()) return true;
  Napi::Value v = regs.Get(key);
  if (!v.IsObject()) {
    throwTypeError(env, std::string("registers.") + key + " must be an object");
    return false;
  }
  Napi::Object o = v.As<Napi::Object>();
  uint64_t n = 0;
  bool present = false;
  if (!table) {
    if (!optionalNumber(env, o, "selector", 0xFFFF, n, present)) return false;
    if (present) s.selector = static_cast<uint16_t>(n);
    if (!optionalNumber(env, o, "attrib", 0xFFF, n, present)) return false;
    if (present) s.attrib = unpackSegAttrib(static_cast<uint32_t>(n));
  }
  if (!optionalNumber(env, o, "base", kMaxU32, n, present)) return false;
  if (present) s.base = n;
  if (!optionalNumber(env, o, "limit", kMaxU32, n, present)) return false;
  if (present) s.limit = static_cast<uint32_t>(n);
  return true;
}

// registers.fpu: any of the words and pointers, and st as eight entries of 20 hex digits (sign and exponent
// first, as fpuToJs gives them) or undefined for a register left as it is. Tags are the caller's to set.
bool fpuFromJs(Napi::Env env, const Napi::Object& regs, FpuState& f) {
  if (!regs.Has("fpu") || regs.Get("fpu").IsUndefined()) return true;
  Napi::Value v = regs.Get("fpu");
  if (!v.IsObject()) {
    throwTypeError(env, "registers.fpu must be an object");
    return false;
  }
  Napi::Object o = v.As<Napi::Object>();
  uint64_t n = 0;
  bool present = false;
  const std::pair<const char*, uint16_t*> words[] = {
      {"fcw", &f.fcw}, {"fsw", &f.fsw}, {"ftw", &f.ftw}, {"fcs", &f.fcs}, {"fds", &f.fds}};
  for (const auto& [key, field] : words) {
    if (!optionalNumber(env, o, key, 0xFFFF, n, present)) return false;
    if (present) *field = static_cast<uint16_t>(n);
  }
  if (!optionalNumber(env, o, "fop", 0x7FF, n, present)) return false;
  if (present) f.fop = static_cast<uint16_t>(n);
  if (!optionalNumber(env, o, "fip", kMaxU32, n, present)) return false;
  if (present) f.fip = static_cast<uint32_t>(n);
  if (!optionalNumber(env, o, "fdp", kMaxU32, n, present)) return false;
  if (present) f.fdp = static_cast<uint32_t>(n);
  if (!o.Has("st") || o.Get("st").IsUndefined()) return true;
  if (!o.Get("st").IsArray()) {
    throwTypeError(env, "registers.fpu.st must be an array of ST(0)-ST(7)");
    return false;
  }
  Napi::Array st = o.Get("st").As<Napi::Array>();
  for (uint32_t i = 0; i < st.Length() && i < 8; i++) {
    Napi::Value e = st.Get(i);
    if (e.IsUndefined() || e.IsNull()) continue;
    std::string h = e.IsString() ? e.As<Napi::String>().Utf8Value() : std::string();
    bool ok = h.size() == 20 && h.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos;
    if (!ok) {
      throwTypeError(env, "registers.fpu.st[" + std::to_string(i) + "] must be 20 hex digits");
      return false;
    }
    auto nibble = [](char c) { return unsigned(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10); };
    for (size_t b = 0; b < 10; b++) f.st[i][9 - b] = static_cast<uint8_t>(nibble(h[2 * b]) << 4 | nibble(h[2 * b + 1]));
  }
  return true;
}

}  // namespace

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llX", static_cast<unsigned long long>(v));
  return buf;
}

Napi::Value throwError(Napi::Env env, const std::string& message) {
  Napi::Error::New(env, message).ThrowAsJavaScriptException();
  return env.Undefined();
}

Napi::Value throwTypeError(Napi::Env env, const std::string& message) {
  Napi::TypeError::New(env, message).ThrowAsJavaScriptException();
  return env.Undefined();
}

Napi::Value throwRangeError(Napi::Env env, const std::string& message) {
  Napi::RangeError::New(env, message).ThrowAsJavaScriptException();
  return env.Undefined();
}

bool uintArg(const Napi::CallbackInfo& info, size_t i, const char* what, double max, uint64_t& out) {
  if (info.Length() <= i || !info[i].IsNumber()) {
    throwTypeError(info.Env(), std::string(what) + " must be a number");
    return false;
  }
  double d = info[i].As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || d < 0 || d > max || std::floor(d) != d) {
    throwRangeError(info.Env(), std::string(what) + " must be an integer from 0 to " + hex(static_cast<uint64_t>(max)) +
                                    ", not " + std::to_string(d));
    return false;
  }
  out = static_cast<uint64_t>(d);
  return true;
}

bool bytesArg(const Napi::CallbackInfo& info, size_t i, const char* what, const uint8_t*& data, size_t& len) {
  if (info.Length() <= i || !info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throwTypeError(info.Env(), std::string(what) + " must be a Uint8Array");
    return false;
  }
  Napi::Uint8Array a = info[i].As<Napi::Uint8Array>();
  data = a.Data();
  len = a.ByteLength();
  return true;
}

Napi::Object stopToJs(Napi::Env env, const StopRecord& stop) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("reason", stopReasonName(stop.reason));
  o.Set("cs", stop.cs);
  o.Set("eip", static_cast<double>(stop.eip));
  o.Set("linear", static_cast<double>(stop.linear));
  o.Set("instructions", static_cast<double>(stop.instructions));
  if (stop.breakpointId >= 0) o.Set("breakpointId", stop.breakpointId);
  if (stop.idle) o.Set("idle", true);
  if (stop.reason == StopReason::Watchpoint) {
    Napi::Object w = Napi::Object::New(env);
    w.Set("address", static_cast<double>(stop.watch.address));
    w.Set("size", stop.watch.size);
    w.Set("access", (stop.watch.access & ACCESS_WRITE) ? "write" : "read");
    o.Set("watch", w);
  }
  const auto& ex = stop.exception;
  if (stop.reason == StopReason::Exception || stop.reason == StopReason::TripleFault || !ex.chain.empty()) {
    Napi::Object e = Napi::Object::New(env);
    // The vector the user cares about is the first of the chain (the #DE, not the #DF it became).
    uint8_t vector = ex.chain.empty() ? ex.vector : ex.chain.front().vector;
    e.Set("vector", vector);
    e.Set("name", ex.chain.empty() ? std::string("#") + std::to_string(vector) : ex.chain.front().name);
    if (stop.reason == StopReason::Exception) {
      e.Set("vector", ex.vector);
      if (!ex.chain.empty()) e.Set("name", ex.chain.back().name);
    }
    if (ex.hasErrorCode) e.Set("errorCode", static_cast<double>(ex.errorCode));
    if (ex.cr2) e.Set("cr2", static_cast<double>(ex.cr2));
    Napi::Array chain = Napi::Array::New(env, ex.chain.size());
    for (size_t i = 0; i < ex.chain.size(); i++) chain.Set(static_cast<uint32_t>(i), faultStepToJs(env, ex.chain[i]));
    e.Set("chain", chain);
    e.Set("explanation", ex.explanation);
    o.Set("exception", e);
  }
  if (stop.reason == StopReason::GuestExit) o.Set("exitCode", stop.exitCode);
  if (stop.reason == StopReason::UnhandledPort) o.Set("port", stop.port);
  if (stop.reason == StopReason::SystemEvent) {
    o.Set("systemEvent", stop.systemEvent);
    if (stop.systemEvent == "port") o.Set("port", stop.port);
  }
  if (!stop.message.empty()) o.Set("message", stop.message);
  return o;
}

bool stopToArray(const StopRecord& stop, double* out) {
  if (stop.reason == StopReason::Watchpoint || stop.reason == StopReason::Exception ||
      stop.reason == StopReason::TripleFault || stop.reason == StopReason::GuestExit ||
      stop.reason == StopReason::UnhandledPort || stop.reason == StopReason::SystemEvent ||
      !stop.exception.chain.empty() || !stop.message.empty())
    return false;
  out[0] = stop.cs;
  out[1] = static_cast<double>(stop.eip);
  out[2] = static_cast<double>(stop.linear);
  out[3] = static_cast<double>(stop.instructions);
  out[4] = stop.breakpointId >= 0 ? stop.breakpointId : -1;
  out[5] = stop.idle ? 1 : 0;
  return true;
}

// The x87: its words and pointers as numbers, ST(0)-ST(7) as 20 hex digits each (sign and exponent first).
Napi::Object fpuToJs(Napi::Env env, const FpuState& f) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("fcw", f.fcw);
  o.Set("fsw", f.fsw);
  o.Set("ftw", f.ftw);
  o.Set("fop", f.fop);
  o.Set("fip", static_cast<double>(f.fip));
  o.Set("fdp", static_cast<double>(f.fdp));
  o.Set("fcs", f.fcs);
  o.Set("fds", f.fds);
  Napi::Array st = Napi::Array::New(env, 8);
  static const char kHex[] = "0123456789ABCDEF";
  for (uint32_t i = 0; i < 8; i++) {
    std::string h;
    for (int b = 9; b >= 0; --b) {
      h += kHex[f.st[i][b] >> 4];
      h += kHex[f.st[i][b] & 15];
    }
    st.Set(i, h);
  }
  o.Set("st", st);
  return o;
}

Napi::Object registersToJs(Napi::Env env, const CpuState& s) {
  Napi::Object o = Napi::Object::New(env);
  for (int i = 0; i < 8; i++) o.Set(kGprNames[i], static_cast<double>(s.gprs[i] & 0xFFFFFFFFu));
  o.Set("eip", static_cast<double>(s.gprs[GPR_RIP] & 0xFFFFFFFFu));
  o.Set("eflags", static_cast<double>(s.gprs[GPR_RFLAGS] & 0xFFFFFFFFu));
  for (int i = 0; i < 6; i++) o.Set(kSegNames[i], segToJs(env, s.segs[i]));
  o.Set("gdtr", tableToJs(env, s.segs[SEG_GDT]));
  o.Set("idtr", tableToJs(env, s.segs[SEG_IDT]));
  o.Set("ldtr", segToJs(env, s.segs[SEG_LDT]));
  o.Set("tr", segToJs(env, s.segs[SEG_TR]));
  o.Set("cr0", static_cast<double>(s.crs[CR_CR0] & 0xFFFFFFFFu));
  o.Set("cr2", static_cast<double>(s.crs[CR_CR2] & 0xFFFFFFFFu));
  o.Set("cr3", static_cast<double>(s.crs[CR_CR3] & 0xFFFFFFFFu));
  o.Set("cr4", static_cast<double>(s.crs[CR_CR4] & 0xFFFFFFFFu));
  o.Set("efer", static_cast<double>(s.msrs[MSR_EFER] & 0xFFFFFFFFu));
  Napi::Array dr = Napi::Array::New(env, DR_COUNT);
  for (int i = 0; i < DR_COUNT; i++) dr.Set(static_cast<uint32_t>(i), static_cast<double>(s.drs[i] & 0xFFFFFFFFu));
  o.Set("dr", dr);
  o.Set("halted", s.halted);
  o.Set("intShadow", s.intr.int_shadow);
  o.Set("fpu", fpuToJs(env, s.fpu));
  return o;
}

void registersToArray(const CpuState& s, double* out) {
  size_t k = 0;
  for (int i = 0; i < 8; i++) out[k++] = static_cast<double>(s.gprs[i] & 0xFFFFFFFFu);
  out[k++] = static_cast<double>(s.gprs[GPR_RIP] & 0xFFFFFFFFu);
  out[k++] = static_cast<double>(s.gprs[GPR_RFLAGS] & 0xFFFFFFFFu);
  for (int i : {0, 1, 2, 3, 4, 5, int(SEG_LDT), int(SEG_TR)}) {
    out[k++] = s.segs[i].selector;
    out[k++] = static_cast<double>(s.segs[i].base);
    out[k++] = static_cast<double>(s.segs[i].limit);
    out[k++] = packSegAttrib(s.segs[i].attrib);
  }
  for (int i : {int(SEG_GDT), int(SEG_IDT)}) {
    out[k++] = static_cast<double>(s.segs[i].base);
    out[k++] = static_cast<double>(s.segs[i].limit);
  }
  for (int i : {int(CR_CR0), int(CR_CR2), int(CR_CR3), int(CR_CR4)})
    out[k++] = static_cast<double>(s.crs[i] & 0xFFFFFFFFu);
  out[k++] = static_cast<double>(s.msrs[MSR_EFER] & 0xFFFFFFFFu);
  for (int i = 0; i < DR_COUNT; i++) out[k++] = static_cast<double>(s.drs[i] & 0xFFFFFFFFu);
  out[k++] = s.halted ? 1 : 0;
  out[k++] = s.intr.int_shadow ? 1 : 0;
}

bool registersFromJs(Napi::Env env, const Napi::Object& regs, CpuState& s) {
  uint64_t n = 0;
  bool present = false;
  for (int i = 0; i < 8; i++) {
    if (!optionalNumber(env, regs, kGprNames[i], kMaxU32, n, present)) return false;
    if (present) s.gprs[i] = n;
  }
  if (!optionalNumber(env, regs, "eip", kMaxU32, n, present)) return false;
  if (present) s.gprs[GPR_RIP] = n;
  if (!optionalNumber(env, regs, "eflags", kMaxU32, n, present)) return false;
  if (present) s.gprs[GPR_RFLAGS] = (n & ~0x8028ull) | 2;  // reserved bit 1 reads as one, 3/5/15 as zero
  for (int i = 0; i < 6; i++) {
    if (!segFromJs(env, regs, kSegNames[i], s.segs[i], false)) return false;
  }
  if (!segFromJs(env, regs, "gdtr", s.segs[SEG_GDT], true)) return false;
  if (!segFromJs(env, regs, "idtr", s.segs[SEG_IDT], true)) return false;
  if (!segFromJs(env, regs, "ldtr", s.segs[SEG_LDT], false)) return false;
  if (!segFromJs(env, regs, "tr", s.segs[SEG_TR], false)) return false;
  const std::pair<const char*, int> crs[] = {{"cr0", CR_CR0}, {"cr2", CR_CR2}, {"cr3", CR_CR3}, {"cr4", CR_CR4}};
  for (const auto& [key, idx] : crs) {
    if (!optionalNumber(env, regs, key, kMaxU32, n, present)) return false;
    if (present) s.crs[idx] = n;
  }
  if (!optionalNumber(env, regs, "efer", kMaxU32, n, present)) return false;
  if (present) s.msrs[MSR_EFER] = n;
  if (regs.Has("dr") && !regs.Get("dr").IsUndefined()) {
    Napi::Value v = regs.Get("dr");
    if (!v.IsArray()) {
      throwTypeError(env, "registers.dr must be an array of DR0-DR3, DR6, DR7");
      return false;
    }
    Napi::Array a = v.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length() && i < DR_COUNT; i++) {
      Napi::Value d = a.Get(i);
      if (!d.IsNumber()) {
        throwTypeError(env, "registers.dr[" + std::to_string(i) + "] must be a number");
        return false;
      }
      s.drs[i] = static_cast<uint64_t>(d.As<Napi::Number>().DoubleValue()) & 0xFFFFFFFFu;
    }
  }
  if (regs.Has("halted") && regs.Get("halted").IsBoolean()) s.halted = regs.Get("halted").As<Napi::Boolean>();
  if (regs.Has("intShadow") && regs.Get("intShadow").IsBoolean()) {
    s.intr.int_shadow = regs.Get("intShadow").As<Napi::Boolean>();
  }
  return fpuFromJs(env, regs, s.fpu);
}

Napi::Object screenTextToJs(Napi::Env env, const ScreenText& t) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("mode", t.mode);
  o.Set("columns", t.columns);
  o.Set("rows", t.rows);
  Napi::Array lines = Napi::Array::New(env, t.lines.size());
  for (size_t i = 0; i < t.lines.size(); i++) lines.Set(static_cast<uint32_t>(i), Napi::String::New(env, t.lines[i]));
  o.Set("lines", lines);
  Napi::Object cursor = Napi::Object::New(env);
  cursor.Set("row", t.cursorRow);
  cursor.Set("column", t.cursorColumn);
  cursor.Set("visible", t.cursorVisible);
  o.Set("cursor", cursor);
  o.Set("graphics", t.graphics);
  return o;
}

namespace {
template <typename Array, typename T>
Array typedArray(Napi::Env env, const std::vector<T>& v) {
  Array a = Array::New(env, v.size());
  if (!v.empty()) std::memcpy(a.Data(), v.data(), v.size() * sizeof(T));
  return a;
}
}  // namespace

Napi::Object screenFrameToJs(Napi::Env env, const ScreenFrame& f) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("generation", static_cast<double>(f.generation));
  o.Set("mode", f.mode);
  o.Set("kind", f.graphics ? "graphics" : "text");
  o.Set("width", f.width);
  o.Set("height", f.height);
  // Every VGA mode fills a 4:3 screen; VBE modes have square pixels.
  o.Set("displayAspect", f.mode >= 0x100 && f.height > 0 ? double(f.width) / f.height : 4.0 / 3.0);
  if (f.graphics) {
    o.Set("pixels", typedArray<Napi::Uint8Array>(env, f.pixels));
    if (f.bytesPerPixel != 1) o.Set("bytesPerPixel", f.bytesPerPixel);
  } else {
    o.Set("columns", f.columns);
    o.Set("rows", f.rows);
    o.Set("cellWidth", f.cellWidth);
    o.Set("cellHeight", f.cellHeight);
    o.Set("cells", typedArray<Napi::Uint16Array>(env, f.cells));
    Napi::Object cursor = Napi::Object::New(env);
    cursor.Set("row", f.cursorRow);
    cursor.Set("column", f.cursorColumn);
    cursor.Set("visible", f.cursorVisible);
    cursor.Set("startLine", f.cursorStart);
    cursor.Set("endLine", f.cursorEnd);
    o.Set("cursor", cursor);
    o.Set("blink", f.blink);
    o.Set("lineGraphics", f.lineGraphics);
    if (f.hasFont) o.Set("font", typedArray<Napi::Uint8Array>(env, f.font));
  }
  if (f.hasPalette) o.Set("palette", typedArray<Napi::Uint8Array>(env, f.palette));
  if (f.hasDirty) {
    Napi::Object d = Napi::Object::New(env);
    d.Set("x", f.dirtyX);
    d.Set("y", f.dirtyY);
    d.Set("width", f.dirtyWidth);
    d.Set("height", f.dirtyHeight);
    o.Set("dirty", d);
  }
  return o;
}

Napi::Object runEventToJs(Napi::Env env, const RunEvent& e) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("kind", runEventKindName(e.kind));
  o.Set("linear", static_cast<double>(e.linear));
  o.Set("cs", e.cs);
  o.Set("eip", static_cast<double>(e.eip));
  o.Set("message", e.message);
  if (e.port >= 0) o.Set("port", e.port);
  if (e.address >= 0) o.Set("address", static_cast<double>(e.address));
  if (e.vector >= 0) o.Set("vector", e.vector);
  return o;
}

Napi::Array inputLogToJs(Napi::Env env, const std::vector<InputEvent>& log) {
  Napi::Array a = Napi::Array::New(env, log.size());
  for (size_t i = 0; i < log.size(); i++) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("at", static_cast<double>(log[i].at));
    o.Set("timeNs", static_cast<double>(log[i].timeNs));
    o.Set("kind", inputKindName(log[i].kind));
    if (!log[i].data.empty()) {
      Napi::Array d = Napi::Array::New(env, log[i].data.size());
      for (size_t j = 0; j < log[i].data.size(); j++) d.Set(static_cast<uint32_t>(j), log[i].data[j]);
      o.Set("data", d);
    }
    a.Set(static_cast<uint32_t>(i), o);
  }
  return a;
}

bool inputLogFromJs(Napi::Env env, const Napi::Value& v, std::vector<InputEvent>& out) {
  if (!v.IsArray()) {
    throwTypeError(env, "loadInputLog(events): an array of { at, kind, data?, timeNs? }");
    return false;
  }
  Napi::Array a = v.As<Napi::Array>();
  constexpr double kMaxSafe = 9007199254740991.0;
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value ev = a.Get(i);
    std::string where = "input event " + std::to_string(i);
    if (!ev.IsObject()) {
      throwTypeError(env, where + " is not an object");
      return false;
    }
    Napi::Object o = ev.As<Napi::Object>();
    InputEvent e;
    Napi::Value at = o.Get("at"), time = o.Get("timeNs"), kind = o.Get("kind"), data = o.Get("data");
    double d = at.IsNumber() ? at.As<Napi::Number>().DoubleValue() : -1;
    if (!(d >= 0 && d <= kMaxSafe) || std::floor(d) != d) {
      throwRangeError(env, where + ": at must be an instruction count (a whole number >= 0)");
      return false;
    }
    e.at = static_cast<uint64_t>(d);
    if (!time.IsUndefined()) {
      double t = time.IsNumber() ? time.As<Napi::Number>().DoubleValue() : -1;
      if (!(t >= 0 && t <= kMaxSafe) || std::floor(t) != t) {
        throwRangeError(env, where + ": timeNs must be a whole number of nanoseconds >= 0");
        return false;
      }
      e.timeNs = static_cast<uint64_t>(t);
    }
    if (!kind.IsString() || !inputKindFromName(kind.As<Napi::String>().Utf8Value().c_str(), e.kind)) {
      throwRangeError(env, where + ": kind must be 'keys', 'serial', 'reset', 'pace' or 'mouse'");
      return false;
    }
    if (!data.IsUndefined()) {
      if (!data.IsArray() && !data.IsTypedArray()) {
        throwTypeError(env, where + ": data must be an array of bytes");
        return false;
      }
      Napi::Object arr = data.As<Napi::Object>();
      uint32_t n = arr.Get("length").ToNumber().Uint32Value();
      if (n > (16u << 20)) {
        throwRangeError(env, where + ": data is too long (at most 16 MiB)");
        return false;
      }
      for (uint32_t j = 0; j < n; j++) {
        Napi::Value b = arr.Get(j);
        double x = b.IsNumber() ? b.As<Napi::Number>().DoubleValue() : -1;
        if (!(x >= 0 && x <= 255) || std::floor(x) != x) {
          throwRangeError(env, where + ": data must hold bytes (0-255)");
          return false;
        }
        e.data.push_back(static_cast<uint8_t>(x));
      }
    }
    out.push_back(std::move(e));
  }
  return true;
}

bool machineConfigFromJs(Napi::Env env, const Napi::Value& v, MachineConfig& out) {
  if (!v.IsObject()) {
    throwTypeError(env, "the machine config must be an object");
    return false;
  }
  Napi::Object c = v.As<Napi::Object>();
  Napi::Value image = c.Get("image");
  Napi::Value imagePath = c.Get("imagePath");
  if (imagePath.IsString() && image.IsUndefined()) {
    out.imagePath = imagePath.As<Napi::String>().Utf8Value();
    if (out.imagePath.empty() || out.imagePath.find('\0') != std::string::npos) {
      throwTypeError(env, "config.imagePath must name the disk image file");
      return false;
    }
  } else if (image.IsTypedArray() && image.As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array) {
    Napi::Uint8Array bytes = image.As<Napi::Uint8Array>();
    out.image.assign(bytes.Data(), bytes.Data() + bytes.ByteLength());
  } else {
    throwTypeError(env, "config.image must be a Uint8Array holding the disk image (or config.imagePath its file)");
    return false;
  }

  Napi::Value mem = c.Get("memoryMiB");
  if (!mem.IsUndefined()) {
    double d = mem.IsNumber() ? mem.As<Napi::Number>().DoubleValue() : -1;
    if (!(d >= 1 && d <= 3072) || std::floor(d) != d) {
      throwRangeError(env, "config.memoryMiB must be a whole number of MiB from 1 to 3072");
      return false;
    }
    out.memoryBytes = static_cast<uint64_t>(d) << 20;
  }
  Napi::Value backend = c.Get("backend");
  if (!backend.IsUndefined()) {
    if (!backend.IsString()) {
      throwTypeError(env, "config.backend must be 'auto', 'software', 'kvm' or 'nvmm'");
      return false;
    }
    out.backend = backend.As<Napi::String>().Utf8Value();
  }
  Napi::Value drive = c.Get("bootDrive");
  if (!drive.IsUndefined()) {
    double d = drive.IsNumber() ? drive.As<Napi::Number>().DoubleValue() : -2;
    if (!(d == -1 || (d >= 0 && d <= 0xFF)) || std::floor(d) != d) {
      throwRangeError(
          env, "config.bootDrive must be 0x00-0xFF (0x00 floppy, 0x80 hard disk), or -1 to choose from the image size");
      return false;
    }
    out.bootDrive = static_cast<int>(d);
  }
  Napi::Value sig = c.Get("requireSignature");
  if (sig.IsBoolean()) out.requireSignature = sig.As<Napi::Boolean>();
  Napi::Value clock = c.Get("clock");
  if (clock.IsString()) {
    std::string s = clock.As<Napi::String>().Utf8Value();
    if (s != "fast" && s != "paced" && s != "real" && s != "virtual") {
      throwRangeError(env, "config.clock must be 'paced', 'fast' or 'real' ('virtual' is 'fast')");
      return false;
    }
    out.clock = s == "real" ? ClockMode::Real : s == "paced" ? ClockMode::Paced : ClockMode::Fast;
  }
  Napi::Value unhandled = c.Get("stopOnUnhandledPort");
  if (unhandled.IsBoolean()) out.stopOnUnhandledPort = unhandled.As<Napi::Boolean>();
  return true;
}

// An integer field of o in [min, max], or `absent` when o lacks it; false (after throwing) when out of range.
static bool intField(Napi::Env env, const Napi::Object& o, const char* name, int min, int max, int absent, int& out) {
  Napi::Value v = o.Get(name);
  if (v.IsUndefined() || v.IsNull()) {
    out = absent;
    return true;
  }
  double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1e9;
  if (!(d >= min && d <= max) || static_cast<int>(d) != d) {
    throwRangeError(env, std::string("system breaks: ") + name + " must be an integer from " + std::to_string(min) +
                             " to " + std::to_string(max));
    return false;
  }
  out = static_cast<int>(d);
  return true;
}

bool systemBreaksFromJs(Napi::Env env, const Napi::Value& v, SystemBreaks& out) {
  if (!v.IsObject()) {
    throwTypeError(env, "setSystemBreaks(breaks): an object");
    return false;
  }
  Napi::Object o = v.As<Napi::Object>();
  auto array = [&](const char* name, Napi::Array& a) -> bool {
    Napi::Value x = o.Get(name);
    if (x.IsUndefined()) {
      a = Napi::Array::New(env);
      return true;
    }
    if (!x.IsArray()) {
      throwTypeError(env, std::string("system breaks: ") + name + " must be an array");
      return false;
    }
    a = x.As<Napi::Array>();
    return true;
  };
  Napi::Array crs, ints, irqs, ports;
  if (!array("controlRegisters", crs) || !array("interrupts", ints) || !array("irqLines", irqs) ||
      !array("ports", ports))
    return false;
  for (uint32_t i = 0; i < crs.Length(); i++) {
    Napi::Value x = crs.Get(i);
    double d = x.IsNumber() ? x.As<Napi::Number>().DoubleValue() : -1;
    if (d != 0 && d != 3 && d != 4) {
      throwRangeError(env, "system breaks: controlRegisters holds 0, 3 or 4");
      return false;
    }
    out.controlRegisters |= uint8_t(1u << static_cast<int>(d));
  }
  out.gdt = o.Get("gdt").ToBoolean();
  out.idt = o.Get("idt").ToBoolean();
  out.modeSwitch = o.Get("modeSwitch").ToBoolean();
  out.taskSwitch = o.Get("taskSwitch").ToBoolean();
  for (uint32_t i = 0; i < ints.Length(); i++) {
    Napi::Value x = ints.Get(i);
    if (!x.IsObject()) {
      throwTypeError(env, "system breaks: interrupts holds { vector?, ah? } objects");
      return false;
    }
    SystemBreaks::Interrupt in;
    if (!intField(env, x.As<Napi::Object>(), "vector", 0, 255, -1, in.vector) ||
        !intField(env, x.As<Napi::Object>(), "ah", 0, 255, -1, in.ah))
      return false;
    out.interrupts.push_back(in);
  }
  for (uint32_t i = 0; i < irqs.Length(); i++) {
    Napi::Value x = irqs.Get(i);
    double d = x.IsNumber() ? x.As<Napi::Number>().DoubleValue() : -1;
    if (!(d >= 0 && d <= 15) || static_cast<int>(d) != d) {
      throwRangeError(env, "system breaks: irqLines holds IRQ lines 0 to 15");
      return false;
    }
    out.irqLines |= uint16_t(1u << static_cast<int>(d));
  }
  for (uint32_t i = 0; i < ports.Length(); i++) {
    Napi::Value x = ports.Get(i);
    if (!x.IsObject()) {
      throwTypeError(env, "system breaks: ports holds { first, last } objects");
      return false;
    }
    int first, last;
    if (!intField(env, x.As<Napi::Object>(), "first", 0, 0xFFFF, -1, first) ||
        !intField(env, x.As<Napi::Object>(), "last", 0, 0xFFFF, first, last))
      return false;
    if (first < 0 || last < first) {
      throwRangeError(env, "system breaks: a port range needs first <= last, both 0 to 0xFFFF");
      return false;
    }
    out.ports.push_back({uint16_t(first), uint16_t(last)});
  }
  return true;
}

}  // namespace bv::napi
