// SoftCpu: the software vCPU alone over its own RAM, for tests (hardware vectors, QEMU differential, fuzz
// from JavaScript). Port I/O is recorded: IN returns 0xFF.. unless a value was set, OUT bytes are kept per
// port, and a write to port 0xF4 (isa-debug-exit) stops the run.
#include <napi.h>

#include <map>
#include <memory>
#include <thread>

#include "bootvisor/software_vcpu.h"
#include "napi/registry.h"

namespace bv::napi {

namespace {

constexpr uint16_t kDebugExitPort = 0xF4;

class RecordingIo final : public ExitHandler {
 public:
  IoAction portIn(uint16_t port, unsigned size, uint32_t& value, uint64_t) override {
    auto it = inValues.find(port);
    uint32_t ones = size == 1 ? 0xFF : size == 2 ? 0xFFFF : 0xFFFFFFFFu;
    value = it == inValues.end() ? ones : (it->second & ones);
    return IoAction::Continue;
  }
  IoAction portOut(uint16_t port, unsigned size, uint32_t value, uint64_t) override {
    auto& v = output[port];
    for (unsigned k = 0; k < size; ++k) v.push_back(uint8_t(value >> (8 * k)));
    return port == kDebugExitPort ? IoAction::Yield : IoAction::Continue;
  }
  IoAction mmioRead(uint64_t, unsigned, uint64_t& value, uint64_t) override {
    value = ~uint64_t(0);
    return IoAction::Continue;
  }
  IoAction mmioWrite(uint64_t, unsigned, uint64_t, uint64_t) override { return IoAction::Continue; }

  std::map<uint16_t, uint32_t> inValues;
  std::map<uint16_t, std::vector<uint8_t>> output;
};

bool isNum(const Napi::Value& v) { return v.IsNumber(); }

class SoftCpu : public Napi::ObjectWrap<SoftCpu> {
 public:
  static void Init(Napi::Env env, Napi::Object exports) {
    Napi::Function ctor = DefineClass(env, "SoftCpu",
                                      {InstanceMethod<&SoftCpu::SetState>("setState"),
                                       InstanceMethod<&SoftCpu::GetState>("getState"),
                                       InstanceMethod<&SoftCpu::WriteMemory>("writeMemory"),
                                       InstanceMethod<&SoftCpu::ReadMemory>("readMemory"),
                                       InstanceMethod<&SoftCpu::Run>("run"),
                                       InstanceMethod<&SoftCpu::RunAsync>("runAsync"),
                                       InstanceMethod<&SoftCpu::RequestStop>("requestStop"),
                                       InstanceMethod<&SoftCpu::SetPortValue>("setPortValue"),
                                       InstanceMethod<&SoftCpu::TakeOutput>("takeOutput"),
                                       InstanceMethod<&SoftCpu::AddBreakpoint>("addBreakpoint"),
                                       InstanceMethod<&SoftCpu::RemoveBreakpoint>("removeBreakpoint"),
                                       InstanceMethod<&SoftCpu::AddWatchpoint>("addWatchpoint"),
                                       InstanceMethod<&SoftCpu::RemoveWatchpoint>("removeWatchpoint"),
                                       InstanceMethod<&SoftCpu::CatchException>("catchException"),
                                       InstanceMethod<&SoftCpu::History>("history"),
                                       InstanceMethod<&SoftCpu::SetHistorySize>("setHistorySize"),
                                       InstanceMethod<&SoftCpu::FaultChain>("faultChain"),
                                       InstanceMethod<&SoftCpu::SetA20>("setA20"),
                                       InstanceMethod<&SoftCpu::InjectInterrupt>("injectInterrupt"),
                                       InstanceMethod<&SoftCpu::InstructionCount>("instructionCount"),
                                       InstanceMethod<&SoftCpu::BlockTier>("blockTier"),
                                       InstanceMethod<&SoftCpu::JitTier>("jitTier"),
                                       InstanceMethod<&SoftCpu::JitLoops>("jitLoops")});
    exports.Set("SoftCpu", ctor);
  }

  explicit SoftCpu(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SoftCpu>(info) {
    Napi::Env env = info.Env();
    double bytes = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : -1;
    if (!(bytes >= 4096 && bytes <= 1024.0 * 1024 * 1024)) {
      Napi::TypeError::New(env, "SoftCpu(memoryBytes): give the guest RAM size in bytes, from 4096 to 1 GiB")
          .ThrowAsJavaScriptException();
      return;
    }
    mem_ = std::make_unique<GuestMemory>(uint64_t(bytes));
    if (!mem_->data()) {
      Napi::Error::New(env, "SoftCpu: could not allocate guest RAM").ThrowAsJavaScriptException();
      return;
    }
    cpu_ = createSoftwareVcpu(*mem_, io_);
  }

 private:
  bool ready(const Napi::CallbackInfo& info) {
    if (!cpu_) {
      Napi::Error::New(info.Env(), "SoftCpu was not constructed").ThrowAsJavaScriptException();
      return false;
    }
    if (busy_) {
      Napi::Error::New(info.Env(), "SoftCpu is running (runAsync); wait for it or call requestStop()")
          .ThrowAsJavaScriptException();
      return false;
    }
    return true;
  }

  static Napi::Object segToJs(Napi::Env env, const SegState& s) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("selector", s.selector);
    o.Set("base", double(s.base));
    o.Set("limit", double(s.limit));
    uint16_t a = uint16_t(s.attrib.type | (s.attrib.s << 4) | (s.attrib.dpl << 5) | (s.attrib.p << 7) |
                          (s.attrib.avl << 8) | (s.attrib.l << 9) | (s.attrib.def << 10) | (s.attrib.g << 11));
    o.Set("attrib", a);
    return o;
  }

  // A segment from JS: {selector, base, limit, attrib} (missing fields keep their value), or a bare
  // selector number (real-mode load: base = selector * 16, cache otherwise kept).
  static bool segFromJs(const Napi::Value& v, SegState& s) {
    if (v.IsNumber()) {
      s.selector = uint16_t(v.As<Napi::Number>().Uint32Value());
      s.base = uint64_t(s.selector) << 4;
      return true;
    }
    if (!v.IsObject()) return false;
    Napi::Object o = v.As<Napi::Object>();
    if (o.Has("selector") && isNum(o.Get("selector")))
      s.selector = uint16_t(o.Get("selector").As<Napi::Number>().Uint32Value());
    if (o.Has("base") && isNum(o.Get("base"))) s.base = o.Get("base").As<Napi::Number>().Uint32Value();
    if (o.Has("limit") && isNum(o.Get("limit"))) s.limit = o.Get("limit").As<Napi::Number>().Uint32Value();
    if (o.Has("attrib") && isNum(o.Get("attrib"))) {
      uint32_t a = o.Get("attrib").As<Napi::Number>().Uint32Value();
      s.attrib.type = a & 0xF;
      s.attrib.s = (a >> 4) & 1;
      s.attrib.dpl = (a >> 5) & 3;
      s.attrib.p = (a >> 7) & 1;
      s.attrib.avl = (a >> 8) & 1;
      s.attrib.l = (a >> 9) & 1;
      s.attrib.def = (a >> 10) & 1;
      s.attrib.g = (a >> 11) & 1;
    }
    return true;
  }

  Napi::Value GetState(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!ready(info)) return env.Undefined();
    CpuState st;
    cpu_->getState(st);
    Napi::Object o = Napi::Object::New(env);
    static const char* const gprNames[8] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};
    for (int i = 0; i < 8; ++i) o.Set(gprNames[i], double(uint32_t(st.gprs[i])));
    o.Set("eip", double(uint32_t(st.gprs[GPR_RIP])));
    o.Set("eflags", double(uint32_t(st.gprs[GPR_RFLAGS])));
    static const char* const segNames[6] = {"es", "cs", "ss", "ds", "fs", "gs"};
    for (int i = 0; i < 6; ++i) o.Set(segNames[i], segToJs(env, st.segs[i]));
    Napi::Object gdtr = Napi::Object::New(env), idtr = Napi::Object::New(env);
    gdtr.Set("base", double(st.segs[SEG_GDT].base));
    gdtr.Set("limit", double(st.segs[SEG_GDT].limit));
    idtr.Set("base", double(st.segs[SEG_IDT].base));
    idtr.Set("limit", double(st.segs[SEG_IDT].limit));
    o.Set("gdtr", gdtr);
    o.Set("idtr", idtr);
    o.Set("ldtr", segToJs(env, st.segs[SEG_LDT]));
    o.Set("tr", segToJs(env, st.segs[SEG_TR]));
    o.Set("cr0", double(uint32_t(st.crs[CR_CR0])));
    o.Set("cr2", double(uint32_t(st.crs[CR_CR2])));
    o.Set("cr3", double(uint32_t(st.crs[CR_CR3])));
    o.Set("cr4", double(uint32_t(st.crs[CR_CR4])));
    o.Set("efer", double(st.msrs[MSR_EFER]));
    Napi::Array dr = Napi::Array::New(env, 6);
    for (uint32_t i = 0; i < 6; ++i) dr.Set(i, double(uint32_t(st.drs[i])));
    o.Set("dr", dr);
    o.Set("halted", st.halted);
    o.Set("intShadow", st.intr.int_shadow);
    return o;
  }

  Napi::Value SetState(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!ready(info)) return env.Undefined();
    if (info.Length() < 1 || !info[0].IsObject()) {
      Napi::TypeError::New(env, "setState(registers): give an object with the registers to change")
          .ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Object o = info[0].As<Napi::Object>();
    CpuState st;
    cpu_->getState(st);
    static const char* const gprNames[8] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};
    for (int i = 0; i < 8; ++i)
      if (o.Has(gprNames[i]) && isNum(o.Get(gprNames[i])))
        st.gprs[i] = o.Get(gprNames[i]).As<Napi::Number>().Uint32Value();
    if (o.Has("eip") && isNum(o.Get("eip"))) st.gprs[GPR_RIP] = o.Get("eip").As<Napi::Number>().Uint32Value();
    if (o.Has("eflags") && isNum(o.Get("eflags")))
      st.gprs[GPR_RFLAGS] = o.Get("eflags").As<Napi::Number>().Uint32Value();
    static const char* const segNames[6] = {"es", "cs", "ss", "ds", "fs", "gs"};
    for (int i = 0; i < 6; ++i)
      if (o.Has(segNames[i]) && !segFromJs(o.Get(segNames[i]), st.segs[i])) {
        Napi::TypeError::New(env, std::string("setState: ") + segNames[i] +
                                      " must be a selector number or {selector, base, limit, attrib}")
            .ThrowAsJavaScriptException();
        return env.Undefined();
      }
    if (o.Has("ldtr")) segFromJs(o.Get("ldtr"), st.segs[SEG_LDT]);
    if (o.Has("tr")) segFromJs(o.Get("tr"), st.segs[SEG_TR]);
    for (const char* t : {"gdtr", "idtr"}) {
      if (!o.Has(t) || !o.Get(t).IsObject()) continue;
      Napi::Object r = o.Get(t).As<Napi::Object>();
      SegState& s = st.segs[t[0] == 'g' ? SEG_GDT : SEG_IDT];
      if (r.Has("base") && isNum(r.Get("base"))) s.base = r.Get("base").As<Napi::Number>().Uint32Value();
      if (r.Has("limit") && isNum(r.Get("limit"))) s.limit = r.Get("limit").As<Napi::Number>().Uint32Value();
    }
    static const std::pair<const char*, int> crs[4] = {
        {"cr0", CR_CR0}, {"cr2", CR_CR2}, {"cr3", CR_CR3}, {"cr4", CR_CR4}};
    for (auto& [n, idx] : crs)
      if (o.Has(n) && isNum(o.Get(n))) st.crs[idx] = o.Get(n).As<Napi::Number>().Uint32Value();
    if (o.Has("efer") && isNum(o.Get("efer"))) st.msrs[MSR_EFER] = o.Get("efer").As<Napi::Number>().Uint32Value();
    if (o.Has("dr") && o.Get("dr").IsArray()) {
      Napi::Array dr = o.Get("dr").As<Napi::Array>();
      for (uint32_t i = 0; i < 6 && i < dr.Length(); ++i)
        if (isNum(dr.Get(i))) st.drs[i] = dr.Get(i).As<Napi::Number>().Uint32Value();
    }
    if (o.Has("halted") && o.Get("halted").IsBoolean()) st.halted = o.Get("halted").As<Napi::Boolean>();
    if (o.Has("intShadow") && o.Get("intShadow").IsBoolean())
      st.intr.int_shadow = o.Get("intShadow").As<Napi::Boolean>();
    cpu_->setState(st);
    return env.Undefined();
  }

  Napi::Value WriteMemory(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!ready(info)) return env.Undefined();
    if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsTypedArray()) {
      Napi::TypeError::New(env, "writeMemory(address, bytes: Uint8Array)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    double addr = info[0].As<Napi::Number>().DoubleValue();
    Napi::Uint8Array data = info[1].As<Napi::Uint8Array>();
    if (addr < 0 || !mem_->write(uint64_t(addr), data.Data(), data.ByteLength())) {
      Napi::RangeError::New(env,
                            "writeMemory: the range is outside guest RAM (" + std::to_string(mem_->size()) + " bytes)")
          .ThrowAsJavaScriptException();
    }
    return env.Undefined();
  }

  Napi::Value ReadMemory(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!ready(info)) return env.Undefined();
    if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber()) {
      Napi::TypeError::New(env, "readMemory(address, length)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    double addr = info[0].As<Napi::Number>().DoubleValue(), len = info[1].As<Napi::Number>().DoubleValue();
    if (addr < 0 || len < 0 || !mem_->contains(uint64_t(addr), uint64_t(len))) {
      Napi::RangeError::New(env, "readMemory: the range is outside guest RAM").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Uint8Array out = Napi::Uint8Array::New(env, size_t(len));
    mem_->read(uint64_t(addr), out.Data(), uint64_t(len));
    return out;
  }

  static Napi::Object exitToJs(Napi::Env env, const Exit& e, uint64_t instructions) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("reason", e.reasonName());
    o.Set("instructions", double(instructions));
    switch (e.reason) {
      case ExitReason::Io:
        o.Set("in", e.u.io.in);
        o.Set("port", e.u.io.port);
        o.Set("size", e.u.io.size);
        o.Set("value", double(e.u.io.value));
        break;
      case ExitReason::Memory:
        o.Set("access", e.u.mem.access);
        o.Set("size", e.u.mem.size);
        o.Set("gpa", double(e.u.mem.gpa));
        o.Set("value", double(e.u.mem.value));
        break;
      case ExitReason::Exception:
        o.Set("vector", e.u.exception.vector);
        o.Set("hasError", e.u.exception.has_error);
        o.Set("errorCode", double(e.u.exception.error));
        o.Set("cr2", double(e.u.exception.cr2));
        break;
      case ExitReason::Debug:
        o.Set("kind", e.u.debug.kind == DebugKind::Breakpoint   ? "breakpoint"
                      : e.u.debug.kind == DebugKind::Watchpoint ? "watchpoint"
                                                                : "step");
        o.Set("id", e.u.debug.id);
        o.Set("address", double(e.u.debug.address));
        o.Set("access", e.u.debug.access == ACCESS_WRITE ? "write" : e.u.debug.access == ACCESS_READ ? "read" : "exec");
        if (e.u.debug.kind == DebugKind::Watchpoint) o.Set("size", e.u.debug.size);  // bytes of the access
        break;
      default: break;
    }
    return o;
  }

  static bool budgetArg(const Napi::CallbackInfo& info, uint64_t& n) {
    if (info.Length() < 1 || !info[0].IsNumber() || info[0].As<Napi::Number>().DoubleValue() < 0) {
      Napi::TypeError::New(info.Env(), "run(maxInstructions): give a non-negative instruction budget")
          .ThrowAsJavaScriptException();
      return false;
    }
    n = uint64_t(info[0].As<Napi::Number>().DoubleValue());
    return true;
  }

  Napi::Value Run(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!ready(info)) return env.Undefined();
    uint64_t n;
    if (!budgetArg(info, n)) return env.Undefined();
    uint64_t before = cpu_->instructionCount();
    Exit e = cpu_->run(n);
    return exitToJs(env, e, cpu_->instructionCount() - before);
  }

  // Runs on a worker thread (so that requestStop() from JavaScript can stop it); resolves with the exit.
  class RunWorker : public Napi::AsyncWorker {
   public:
    RunWorker(Napi::Env env, SoftCpu* owner, uint64_t n)
        : Napi::AsyncWorker(env), owner_(owner), n_(n), deferred_(Napi::Promise::Deferred::New(env)) {}
    Napi::Promise promise() { return deferred_.Promise(); }
    void Execute() override {
      uint64_t before = owner_->cpu_->instructionCount();
      exit_ = owner_->cpu_->run(n_);
      count_ = owner_->cpu_->instructionCount() - before;
    }
    void OnOK() override {
      owner_->busy_ = false;
      deferred_.Resolve(exitToJs(Env(), exit_, count_));
      owner_->Unref();
    }
    void OnError(const Napi::Error& e) override {
      owner_->busy_ = false;
      deferred_.Reject(e.Value());
      owner_->Unref();
    }

   private:
    SoftCpu* owner_;
    uint64_t n_;
    Exit exit_;
    uint64_t count_ = 0;
    Napi::Promise::Deferred deferred_;
  };

  Napi::Value RunAsync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!ready(info)) return env.Undefined();
    uint64_t n;
    if (!budgetArg(info, n)) return env.Undefined();
    busy_ = true;
    Ref();  // keep this object alive while the worker runs
    auto* w = new RunWorker(env, this, n);
    Napi::Promise p = w->promise();
    w->Queue();
    return p;
  }

  Napi::Value RequestStop(const Napi::CallbackInfo& info) {
    if (cpu_) cpu_->requestStop();
    return info.Env().Undefined();
  }

  Napi::Value SetPortValue(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!ready(info)) return env.Undefined();
    if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber()) {
      Napi::TypeError::New(env, "setPortValue(port, value)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    io_.inValues[uint16_t(info[0].As<Napi::Number>().Uint32Value())] = info[1].As<Napi::Number>().Uint32Value();
    return env.Undefined();
  }

  Napi::Value TakeOutput(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!ready(info)) return env.Undefined();
    if (info.Length() < 1 || !info[0].IsNumber()) {
      Napi::TypeError::New(env, "takeOutput(port)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    auto& v = io_.output[uint16_t(info[0].As<Napi::Number>().Uint32Value())];
    Napi::Uint8Array out = Napi::Uint8Array::New(env, v.size());
    if (!v.empty()) std::copy(v.begin(), v.end(), out.Data());
    v.clear();
    return out;
  }

  Napi::Value AddBreakpoint(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!ready(info)) return env.Undefined();
    if (info.Length() < 1 || !info[0].IsNumber()) {
      Napi::TypeError::New(env, "addBreakpoint(address, physical = false)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    bool phys = info.Length() > 1 && info[1].ToBoolean();
    return Napi::Number::New(env, cpu_->addBreakpoint(uint64_t(info[0].As<Napi::Number>().DoubleValue()), phys));
  }

  Napi::Value RemoveBreakpoint(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!ready(info) || info.Length() < 1 || !info[0].IsNumber()) return Napi::Boolean::New(env, false);
    return Napi::Boolean::New(env, cpu_->removeBreakpoint(info[0].As<Napi::Number>().Int32Value()));
  }

  Napi::Value AddWatchpoint(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!ready(info)) return env.Undefined();
    if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsString()) {
      Napi::TypeError::New(env, "addWatchpoint(address, length, 'read' | 'write' | 'access', physical = false)")
          .ThrowAsJavaScriptException();
      return env.Undefined();
    }
    std::string a = info[2].As<Napi::String>();
    uint8_t access = a == "read"     ? ACCESS_READ
                     : a == "write"  ? ACCESS_WRITE
                     : a == "access" ? (ACCESS_READ | ACCESS_WRITE)
                                     : 0;
    if (!access) {
      Napi::TypeError::New(env, "addWatchpoint: access must be 'read', 'write' or 'access'")
          .ThrowAsJavaScriptException();
      return env.Undefined();
    }
    bool phys = info.Length() > 3 && info[3].ToBoolean();
    return Napi::Number::New(env,
                             cpu_->addWatchpoint(uint64_t(info[0].As<Napi::Number>().DoubleValue()),
                                                 uint64_t(info[1].As<Napi::Number>().DoubleValue()), access, phys));
  }

  Napi::Value RemoveWatchpoint(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!ready(info) || info.Length() < 1 || !info[0].IsNumber()) return Napi::Boolean::New(env, false);
    return Napi::Boolean::New(env, cpu_->removeWatchpoint(info[0].As<Napi::Number>().Int32Value()));
  }

  Napi::Value CatchException(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!ready(info)) return env.Undefined();
    if (info.Length() < 1 || !info[0].IsNumber() || info[0].As<Napi::Number>().Uint32Value() > 31) {
      Napi::TypeError::New(env, "catchException(vector 0-31, on = true)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    bool on = info.Length() < 2 || info[1].ToBoolean();
    cpu_->setCatchException(uint8_t(info[0].As<Napi::Number>().Uint32Value()), on);
    return env.Undefined();
  }

  static Napi::Array bytesToJs(Napi::Env env, const std::vector<uint8_t>& b) {
    Napi::Array a = Napi::Array::New(env, b.size());
    for (uint32_t k = 0; k < b.size(); ++k) a.Set(k, b[k]);
    return a;
  }

  Napi::Value History(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!ready(info)) return env.Undefined();
    auto h = cpu_->history();
    Napi::Array out = Napi::Array::New(env, h.size());
    for (uint32_t k = 0; k < h.size(); ++k) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("linear", double(h[k].linear));
      o.Set("cs", h[k].cs);
      o.Set("eip", double(h[k].eip));
      o.Set("bytes", bytesToJs(env, h[k].bytes));
      out.Set(k, o);
    }
    return out;
  }

  Napi::Value SetHistorySize(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!ready(info)) return env.Undefined();
    if (info.Length() < 1 || !info[0].IsNumber() || info[0].As<Napi::Number>().Uint32Value() > 1000000) {
      Napi::TypeError::New(env, "setHistorySize(n), n from 0 to 1000000").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    cpu_->setHistorySize(info[0].As<Napi::Number>().Uint32Value());
    return env.Undefined();
  }

  Napi::Value FaultChain(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!ready(info)) return env.Undefined();
    auto chain = cpu_->faultChain();
    Napi::Array out = Napi::Array::New(env, chain.size());
    for (uint32_t k = 0; k < chain.size(); ++k) {
      const FaultLink& l = chain[k];
      Napi::Object o = Napi::Object::New(env);
      o.Set("vector", l.vector);
      o.Set("name", l.name);
      if (l.hasError) o.Set("errorCode", double(l.error));
      o.Set("cs", l.cs);
      o.Set("eip", double(l.eip));
      o.Set("linear", double(l.linear));
      o.Set("bytes", bytesToJs(env, l.bytes));
      o.Set("reason", l.reason);
      out.Set(k, o);
    }
    return out;
  }

  Napi::Value SetA20(const Napi::CallbackInfo& info) {
    if (ready(info) && info.Length() > 0) cpu_->setA20(info[0].ToBoolean());
    return info.Env().Undefined();
  }

  Napi::Value InjectInterrupt(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!ready(info)) return env.Undefined();
    if (info.Length() < 1 || !info[0].IsNumber() || info[0].As<Napi::Number>().Uint32Value() > 255) {
      Napi::TypeError::New(env, "injectInterrupt(vector 0-255)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    cpu_->injectInterrupt(uint8_t(info[0].As<Napi::Number>().Uint32Value()));
    return env.Undefined();
  }

  Napi::Value InstructionCount(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), cpu_ ? double(cpu_->instructionCount()) : 0);
  }

  Napi::Value BlockTier(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), cpu_ && cpu_->blockTier());
  }
  Napi::Value JitTier(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), cpu_ && cpu_->jitTier());
  }
  Napi::Value JitLoops(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), cpu_ ? double(cpu_->jitLoops()) : 0);
  }

  std::unique_ptr<GuestMemory> mem_;
  RecordingIo io_;
  std::unique_ptr<SoftwareVcpu> cpu_;
  bool busy_ = false;
};

const RegisterClass registered(&SoftCpu::Init);

}  // namespace

}  // namespace bv::napi
