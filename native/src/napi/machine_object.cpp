// The JavaScript class `Machine` over bv::Machine. run() hands the machine to a native thread and returns a
// Promise; guest output reaches JavaScript through one thread-safe function, coalesced, without ever
// blocking the vCPU. Calls that inspect or change the machine while it runs use stop-inspect-resume: the
// vCPU is asked to stop, parks, the call runs on the JavaScript thread, and the vCPU carries on (the run's
// Promise does not settle). step() and run() are refused while running. No C++ exception crosses N-API.
#include <napi.h>

#include <cmath>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bootvisor/machine.h"
#include "napi/debug_ops.h"
#include "napi/js_convert.h"
#include "napi/registry.h"

namespace bv::napi {
namespace {

constexpr uint64_t kMaxTransfer = 64ull << 20;  // readMemory/writeMemory: one call at most 64 MiB

// What the vCPU thread hands to JavaScript. Guarded by `mu`; the owner pointer is cleared when the JS object
// dies, so a call still queued in the thread-safe function finds nobody and does nothing.
struct Outbox {
  std::mutex mu;
  std::vector<uint8_t> serial;
  std::vector<uint8_t> debugcon;
  bool screenDirty = false;
  bool idle = false;
  std::optional<bool> pacing;  // the latest keeping-up state, when it changed
  std::vector<RunEvent> events;
  std::optional<StopRecord> stop;
  bool wakeQueued = false;
  // False once the thread-safe function is finalized: at environment teardown that can happen before the
  // JS object's own finalizer runs, and a dead function must be neither called nor released.
  bool tsfnAlive = false;
  class MachineObject* owner = nullptr;
};

class MachineObject : public Napi::ObjectWrap<MachineObject>, private MachineListener {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  explicit MachineObject(const Napi::CallbackInfo& info);
  ~MachineObject() override;

  void drain(Napi::Env env);  // JavaScript thread: deliver what the vCPU thread queued

 private:
  // Blocks the vCPU thread at a safe point for the lifetime of the guard (a no-op when it is not running).
  class Park {
   public:
    explicit Park(MachineObject& m);
    ~Park();

   private:
    MachineObject& m_;
    bool active_ = false;
  };

  // MachineListener, called on the vCPU thread (or the JS thread during step()).
  void onSerial(const uint8_t* bytes, size_t n) override;
  void onDebugcon(const uint8_t* bytes, size_t n) override;
  void onScreenDirty() override;
  void onEvent(const RunEvent& e) override;
  void onIdle() override;
  void onPacing(bool keepingUp) override;
  void wake();  // with outbox_->mu held

  void vcpuThread(uint64_t maxInstructions, uint64_t untilNs);
  bool alive(Napi::Env env);  // throws when disposed
  void shutdown();            // stop, join, release; safe to call twice

  Napi::Value Backend(const Napi::CallbackInfo& info);
  Napi::Value BackendNote(const Napi::CallbackInfo& info);
  Napi::Value BootDrive(const Napi::CallbackInfo& info);
  Napi::Value BootDriveReason(const Napi::CallbackInfo& info);
  Napi::Value Running(const Napi::CallbackInfo& info);
  Napi::Value Run(const Napi::CallbackInfo& info);
  Napi::Value Pause(const Napi::CallbackInfo& info);
  Napi::Value Step(const Napi::CallbackInfo& info);
  Napi::Value RunSync(const Napi::CallbackInfo& info);
  Napi::Value GetRegisters(const Napi::CallbackInfo& info);
  Napi::Value RegistersInto(const Napi::CallbackInfo& info);
  Napi::Value SetRegisters(const Napi::CallbackInfo& info);
  Napi::Value ReadMemory(const Napi::CallbackInfo& info);
  Napi::Value WriteMemory(const Napi::CallbackInfo& info);
  Napi::Value Translate(const Napi::CallbackInfo& info);
  Napi::Value AddBreakpoint(const Napi::CallbackInfo& info);
  Napi::Value RemoveBreakpoint(const Napi::CallbackInfo& info);
  Napi::Value AddWatchpoint(const Napi::CallbackInfo& info);
  Napi::Value RemoveWatchpoint(const Napi::CallbackInfo& info);
  Napi::Value SetCatchExceptions(const Napi::CallbackInfo& info);
  Napi::Value SetSystemBreaks(const Napi::CallbackInfo& info);
  Napi::Value History(const Napi::CallbackInfo& info);
  Napi::Value InstructionCount(const Napi::CallbackInfo& info);
  Napi::Value VirtualTimeNs(const Napi::CallbackInfo& info);
  Napi::Value Snapshot(const Napi::CallbackInfo& info);
  Napi::Value Restore(const Napi::CallbackInfo& info);
  Napi::Value DropSnapshot(const Napi::CallbackInfo& info);
  Napi::Value SnapshotBytes(const Napi::CallbackInfo& info);
  Napi::Value SnapshotCountsJs(const Napi::CallbackInfo& info);
  Napi::Value SendScanCodes(const Napi::CallbackInfo& info);
  Napi::Value TypeText(const Napi::CallbackInfo& info);
  Napi::Value SendSerial(const Napi::CallbackInfo& info);
  Napi::Value SendReset(const Napi::CallbackInfo& info);
  Napi::Value SendMouse(const Napi::CallbackInfo& info);
  Napi::Value InputLogJs(const Napi::CallbackInfo& info);
  Napi::Value LoadInputLog(const Napi::CallbackInfo& info);
  Napi::Value ScreenTextJs(const Napi::CallbackInfo& info);
  Napi::Value SetVideoMode(const Napi::CallbackInfo& info);
  Napi::Value ScreenFrameJs(const Napi::CallbackInfo& info);
  Napi::Value ExitProfile(const Napi::CallbackInfo& info);
  Napi::Value PortRead(const Napi::CallbackInfo& info);
  Napi::Value PortWrite(const Napi::CallbackInfo& info);
  Napi::Value ClockStep(const Napi::CallbackInfo& info);
  Napi::Value IrqLevel(const Napi::CallbackInfo& info);
  Napi::Value PicRegistersJs(const Napi::CallbackInfo& info);
  Napi::Value MemoryMap(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);

  std::unique_ptr<Machine> machine_;
  Napi::FunctionReference sink_;
  Napi::ThreadSafeFunction tsfn_;
  std::shared_ptr<Outbox> outbox_ = std::make_shared<Outbox>();
  std::thread thread_;
  std::optional<Napi::Promise::Deferred> deferred_;
  bool jsRunning_ = false;  // JS thread only: from run() until its Promise settles

  // The handshake between the JS thread and the vCPU thread.
  std::mutex mu_;
  std::condition_variable cv_;
  bool vcpuRunning_ = false;  // the vCPU thread owns the machine
  bool userPause_ = false;    // pause(): end the run
  int parkRequests_ = 0;      // Park guards waiting or held
  bool parked_ = false;       // the vCPU thread is waiting for parkRequests_ to drop to zero
};

MachineObject::Park::Park(MachineObject& m) : m_(m) {
  std::unique_lock<std::mutex> lock(m_.mu_);
  if (!m_.vcpuRunning_) return;
  active_ = true;
  m_.parkRequests_++;
  m_.machine_->requestStop();
  m_.cv_.wait(lock, [&] { return m_.parked_ || !m_.vcpuRunning_; });
}

MachineObject::Park::~Park() {
  if (!active_) return;
  std::lock_guard<std::mutex> lock(m_.mu_);
  m_.parkRequests_--;
  m_.cv_.notify_all();
}

void MachineObject::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function cls = DefineClass(env, "Machine",
                                   {
                                       InstanceAccessor<&MachineObject::Backend>("backend"),
                                       InstanceAccessor<&MachineObject::BackendNote>("backendNote"),
                                       InstanceAccessor<&MachineObject::BootDrive>("bootDrive"),
                                       InstanceAccessor<&MachineObject::BootDriveReason>("bootDriveReason"),
                                       InstanceAccessor<&MachineObject::Running>("running"),
                                       InstanceMethod<&MachineObject::Run>("run"),
                                       InstanceMethod<&MachineObject::Pause>("pause"),
                                       InstanceMethod<&MachineObject::Step>("step"),
                                       InstanceMethod<&MachineObject::RegistersInto>("registersInto"),
                                       InstanceMethod<&MachineObject::RunSync>("runSync"),
                                       InstanceMethod<&MachineObject::GetRegisters>("getRegisters"),
                                       InstanceMethod<&MachineObject::SetRegisters>("setRegisters"),
                                       InstanceMethod<&MachineObject::ReadMemory>("readMemory"),
                                       InstanceMethod<&MachineObject::WriteMemory>("writeMemory"),
                                       InstanceMethod<&MachineObject::Translate>("translate"),
                                       InstanceMethod<&MachineObject::AddBreakpoint>("addBreakpoint"),
                                       InstanceMethod<&MachineObject::RemoveBreakpoint>("removeBreakpoint"),
                                       InstanceMethod<&MachineObject::AddWatchpoint>("addWatchpoint"),
                                       InstanceMethod<&MachineObject::RemoveWatchpoint>("removeWatchpoint"),
                                       InstanceMethod<&MachineObject::SetCatchExceptions>("setCatchExceptions"),
                                       InstanceMethod<&MachineObject::SetSystemBreaks>("setSystemBreaks"),
                                       InstanceMethod<&MachineObject::History>("history"),
                                       InstanceMethod<&MachineObject::InstructionCount>("instructionCount"),
                                       InstanceMethod<&MachineObject::VirtualTimeNs>("virtualTimeNs"),
                                       InstanceMethod<&MachineObject::Snapshot>("snapshot"),
                                       InstanceMethod<&MachineObject::Restore>("restore"),
                                       InstanceMethod<&MachineObject::DropSnapshot>("dropSnapshot"),
                                       InstanceMethod<&MachineObject::SnapshotBytes>("snapshotBytes"),
                                       InstanceMethod<&MachineObject::SnapshotCountsJs>("snapshotCounts"),
                                       InstanceMethod<&MachineObject::SendScanCodes>("sendScanCodes"),
                                       InstanceMethod<&MachineObject::TypeText>("typeText"),
                                       InstanceMethod<&MachineObject::SendSerial>("sendSerial"),
                                       InstanceMethod<&MachineObject::SendReset>("sendReset"),
                                       InstanceMethod<&MachineObject::SendMouse>("sendMouse"),
                                       InstanceMethod<&MachineObject::InputLogJs>("inputLog"),
                                       InstanceMethod<&MachineObject::LoadInputLog>("loadInputLog"),
                                       InstanceMethod<&MachineObject::ScreenTextJs>("screenText"),
                                       InstanceMethod<&MachineObject::SetVideoMode>("setVideoMode"),
                                       InstanceMethod<&MachineObject::ScreenFrameJs>("screenFrame"),
                                       InstanceMethod<&MachineObject::ExitProfile>("exitProfile"),
                                       InstanceMethod<&MachineObject::PortRead>("portRead"),
                                       InstanceMethod<&MachineObject::PortWrite>("portWrite"),
                                       InstanceMethod<&MachineObject::ClockStep>("clockStep"),
                                       InstanceMethod<&MachineObject::IrqLevel>("irqLevel"),
                                       InstanceMethod<&MachineObject::PicRegistersJs>("picRegisters"),
                                       InstanceMethod<&MachineObject::MemoryMap>("memoryMap"),
                                       InstanceMethod<&MachineObject::Dispose>("dispose"),
                                   });
  exports.Set("Machine", cls);
}

MachineObject::MachineObject(const Napi::CallbackInfo& info) : Napi::ObjectWrap<MachineObject>(info) {
  Napi::Env env = info.Env();
  MachineConfig config;
  if (info.Length() < 2 || !info[1].IsFunction()) {
    throwTypeError(env, "new Machine(config, onEvent): onEvent must be a function");
    return;
  }
  if (!machineConfigFromJs(env, info[0], config)) return;
  std::string error;
  machine_ = Machine::create(config, error);
  if (!machine_) {
    throwError(env, error.empty() ? "the machine could not be created" : error);
    return;
  }
  sink_ = Napi::Persistent(info[1].As<Napi::Function>());
  outbox_->owner = this;
  std::shared_ptr<Outbox> box = outbox_;
  tsfn_ = Napi::ThreadSafeFunction::New(env, Napi::Function(), "bootvisor-machine-events", 0, 1, [box](Napi::Env) {
    std::lock_guard<std::mutex> lock(box->mu);
    box->tsfnAlive = false;
  });
  outbox_->tsfnAlive = true;
  tsfn_.Unref(env);  // only a running vCPU keeps the process alive
  machine_->setListener(this);
}

MachineObject::~MachineObject() {
  outbox_->owner = nullptr;
  shutdown();
}

void MachineObject::shutdown() {
  if (machine_) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      userPause_ = true;
      if (vcpuRunning_) machine_->requestStop();
      cv_.notify_all();
    }
    if (thread_.joinable()) thread_.join();
    machine_->setListener(nullptr);
  }
  bool alive;
  {
    std::lock_guard<std::mutex> lock(outbox_->mu);
    outbox_->owner = nullptr;
    alive = outbox_->tsfnAlive;
  }
  if (tsfn_ && alive) tsfn_.Abort();
  tsfn_ = Napi::ThreadSafeFunction();
  machine_.reset();
}

bool MachineObject::alive(Napi::Env env) {
  if (machine_) return true;
  throwError(env, "this machine was disposed; create a new one");
  return false;
}

// ---- the vCPU thread -----------------------------------------------------------------------------------

void MachineObject::wake() {
  if (outbox_->wakeQueued || !tsfn_ || !outbox_->tsfnAlive) return;
  outbox_->wakeQueued = true;
  std::shared_ptr<Outbox> box = outbox_;
  napi_status st = tsfn_.NonBlockingCall([box](Napi::Env env, Napi::Function) {
    MachineObject* owner;
    {
      std::lock_guard<std::mutex> lock(box->mu);
      owner = box->owner;
    }
    if (owner) owner->drain(env);
  });
  if (st != napi_ok) outbox_->wakeQueued = false;
}

void MachineObject::onSerial(const uint8_t* bytes, size_t n) {
  std::lock_guard<std::mutex> lock(outbox_->mu);
  outbox_->serial.insert(outbox_->serial.end(), bytes, bytes + n);
  wake();
}

void MachineObject::onDebugcon(const uint8_t* bytes, size_t n) {
  std::lock_guard<std::mutex> lock(outbox_->mu);
  outbox_->debugcon.insert(outbox_->debugcon.end(), bytes, bytes + n);
  wake();
}

void MachineObject::onScreenDirty() {
  std::lock_guard<std::mutex> lock(outbox_->mu);
  outbox_->screenDirty = true;
  wake();
}

void MachineObject::onEvent(const RunEvent& e) {
  std::lock_guard<std::mutex> lock(outbox_->mu);
  // A guest hammering an unknown port must not grow the queue without bound between two drains.
  if (outbox_->events.size() < 1024) outbox_->events.push_back(e);
  wake();
}

void MachineObject::onIdle() {
  std::lock_guard<std::mutex> lock(outbox_->mu);
  outbox_->idle = true;
  wake();
}

void MachineObject::onPacing(bool keepingUp) {
  std::lock_guard<std::mutex> lock(outbox_->mu);
  outbox_->pacing = keepingUp;
  wake();
}

void MachineObject::vcpuThread(uint64_t maxInstructions, uint64_t untilNs) {
  const uint64_t start = machine_->instructionCount();
  StopRecord stop;
  for (;;) {
    RunLimits limits;
    limits.untilNs = untilNs;
    if (maxInstructions) {
      uint64_t done = machine_->instructionCount() - start;
      limits.maxInstructions = done < maxInstructions ? maxInstructions - done : 1;
    }
    stop = machine_->run(limits);
    if (stop.reason != StopReason::Pause) break;
    std::unique_lock<std::mutex> lock(mu_);
    if (userPause_) break;
    if (parkRequests_ > 0) {
      parked_ = true;
      cv_.notify_all();
      cv_.wait(lock, [&] { return parkRequests_ == 0 || userPause_; });
      parked_ = false;
      if (userPause_) break;
    }
    // Otherwise a stop request that arrived after the last park ended: nobody wants this pause, go on.
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    vcpuRunning_ = false;
    userPause_ = false;
    cv_.notify_all();
  }
  std::lock_guard<std::mutex> lock(outbox_->mu);
  outbox_->stop = std::move(stop);
  wake();
}

// ---- the JavaScript thread ----------------------------------------------------------------------------

void MachineObject::drain(Napi::Env env) {
  Napi::HandleScope scope(env);
  std::vector<uint8_t> serial, debugcon;
  std::vector<RunEvent> events;
  std::optional<StopRecord> stop;
  std::optional<bool> pacing;
  bool screen, idle;
  {
    std::lock_guard<std::mutex> lock(outbox_->mu);
    outbox_->wakeQueued = false;
    idle = outbox_->idle;
    outbox_->idle = false;
    pacing.swap(outbox_->pacing);
    serial.swap(outbox_->serial);
    debugcon.swap(outbox_->debugcon);
    events.swap(outbox_->events);
    screen = outbox_->screenDirty;
    outbox_->screenDirty = false;
    stop.swap(outbox_->stop);
  }
  auto emit = [&](const char* kind, std::initializer_list<napi_value> payload) {
    std::vector<napi_value> args{Napi::String::New(env, kind)};
    args.insert(args.end(), payload.begin(), payload.end());
    sink_.Call(args);
    // A listener that throws must not lose the rest (or the stop): report it as Node does for emitters.
    if (env.IsExceptionPending()) {
      Napi::Error err = env.GetAndClearPendingException();
      napi_fatal_exception(env, err.Value());
    }
  };
  if (!serial.empty()) emit("serial", {Napi::Buffer<uint8_t>::Copy(env, serial.data(), serial.size())});
  if (!debugcon.empty()) emit("debugcon", {Napi::Buffer<uint8_t>::Copy(env, debugcon.data(), debugcon.size())});
  for (const RunEvent& e : events) emit("event", {runEventToJs(env, e)});
  if (screen) emit("screen", {});
  if (pacing) emit("pacing", {Napi::Boolean::New(env, *pacing)});
  // Last: the output it follows was flushed first, so a listener sees the latest screen and serial.
  if (idle) emit("idle", {});
  if (stop && deferred_) {
    if (thread_.joinable()) thread_.join();
    jsRunning_ = false;
    if (tsfn_) tsfn_.Unref(env);
    Napi::Promise::Deferred d = *deferred_;
    deferred_.reset();
    d.Resolve(stopToJs(env, *stop));
    Unref();
  }
}

Napi::Value MachineObject::Backend(const Napi::CallbackInfo& info) {
  if (!alive(info.Env())) return info.Env().Undefined();
  return Napi::String::New(info.Env(), machine_->backendName());
}

Napi::Value MachineObject::BackendNote(const Napi::CallbackInfo& info) {
  if (!alive(info.Env())) return info.Env().Undefined();
  return Napi::String::New(info.Env(), machine_->backendNote());
}

Napi::Value MachineObject::BootDrive(const Napi::CallbackInfo& info) {
  if (!alive(info.Env())) return info.Env().Undefined();
  return Napi::Number::New(info.Env(), machine_->bootDrive());
}

Napi::Value MachineObject::BootDriveReason(const Napi::CallbackInfo& info) {
  if (!alive(info.Env())) return info.Env().Undefined();
  return Napi::String::New(info.Env(), machine_->bootDriveReason());
}

Napi::Value MachineObject::Running(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), jsRunning_);
}

Napi::Value MachineObject::Run(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!alive(env)) return env.Undefined();
  if (jsRunning_) return throwError(env, "the machine is already running; wait for run() to settle or pause() it");
  uint64_t max = 0, until = 0;
  if (info.Length() > 0 && !info[0].IsUndefined() && !uintArg(info, 0, "maxInstructions", 9007199254740991.0, max)) {
    return env.Undefined();
  }
  if (info.Length() > 1 && !info[1].IsUndefined() && !uintArg(info, 1, "untilNs", 9007199254740991.0, until)) {
    return env.Undefined();
  }
  if (thread_.joinable()) thread_.join();
  deferred_.emplace(Napi::Promise::Deferred::New(env));
  Napi::Promise promise = deferred_->Promise();
  jsRunning_ = true;
  {
    std::lock_guard<std::mutex> lock(mu_);
    vcpuRunning_ = true;
    userPause_ = false;
  }
  Ref();  // not collected while the vCPU thread uses it
  tsfn_.Ref(env);
  thread_ = std::thread([this, max, until] { vcpuThread(max, until); });
  return promise;
}

Napi::Value MachineObject::Pause(const Napi::CallbackInfo& info) {
  if (!alive(info.Env())) return info.Env().Undefined();
  std::lock_guard<std::mutex> lock(mu_);
  if (vcpuRunning_) {
    userPause_ = true;
    machine_->requestStop();
    cv_.notify_all();
  }
  return info.Env().Undefined();
}

// A synchronous stop as the caller asked for it: into the Float64Array it passed as argument `at` when the
// stop fits (the reason's name returned), else as an object. Built property by property through N-API, the
// object was most of a step's native time (about 25 of 50 us with cold caches, as a debugger's step finds them).
Napi::Value syncStopResult(const Napi::CallbackInfo& info, size_t at, const StopRecord& r) {
  if (info.Length() > at && info[at].IsTypedArray() &&
      info[at].As<Napi::TypedArray>().TypedArrayType() == napi_float64_array) {
    Napi::Float64Array out = info[at].As<Napi::Float64Array>();
    if (out.ElementLength() >= kPackedStop && stopToArray(r, out.Data()))
      return Napi::String::New(info.Env(), stopReasonName(r.reason));
  }
  return stopToJs(info.Env(), r);
}

Napi::Value MachineObject::Step(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!alive(env)) return env.Undefined();
  if (jsRunning_) return throwError(env, "the machine is running: pause() it before stepping");
  StopRecord r = machine_->step();
  // Nobody can ask for a pause during a synchronous step: a Pause is a stop request left over from a
  // park that raced with the end of the last run. Consume it and take the step.
  if (r.reason == StopReason::Pause && !r.idle) r = machine_->step();
  drain(env);  // output of the stepped instruction goes out before the step's result
  return syncStopResult(info, 0, r);
}

// A short run on the JavaScript thread: a debugger's continue to a breakpoint a few instructions away then
// costs no thread start and no hop back through the event queue (about 3 us instead of 130-430 us). It never
// waits for the host (no pacing sleep, no halted wait, no waiting for input): where run() would wait, and
// when the budget runs out, it returns null and the caller goes on with run().
Napi::Value MachineObject::RunSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!alive(env)) return env.Undefined();
  if (jsRunning_) return throwError(env, "the machine is running: pause() it before runSync()");
  uint64_t max = 0;
  if (!uintArg(info, 0, "maxInstructions", 1e6, max)) return env.Undefined();
  if (max == 0) return env.Null();
  if (thread_.joinable()) thread_.join();
  RunLimits limits;
  limits.maxInstructions = max;
  limits.returnWhenIdle = true;
  limits.neverWait = true;
  StopRecord r = machine_->run(limits);
  drain(env);
  // A Pause is a wait not taken (or a stop request left over from a park, as in Step): run() goes on from here.
  if (r.reason == StopReason::InstructionLimit || r.reason == StopReason::Pause) return env.Null();
  return syncStopResult(info, 1, r);
}

Napi::Value MachineObject::GetRegisters(const Napi::CallbackInfo& info) {
  if (!alive(info.Env())) return info.Env().Undefined();
  Park park(*this);
  CpuState s;
  machine_->getState(s);
  return registersToJs(info.Env(), s);
}

Napi::Value MachineObject::RegistersInto(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!alive(env)) return env.Undefined();
  if (info.Length() < 1 || !info[0].IsTypedArray() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
      info[0].As<Napi::Float64Array>().ElementLength() < kPackedRegisters) {
    return throwTypeError(
        env, "registersInto(out): a Float64Array of at least " + std::to_string(kPackedRegisters) + " elements");
  }
  Park park(*this);
  CpuState s;
  machine_->getState(s);
  registersToArray(s, info[0].As<Napi::Float64Array>().Data());
  return env.Undefined();
}

Napi::Value MachineObject::SetRegisters(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!alive(env)) return env.Undefined();
  if (info.Length() < 1 || !info[0].IsObject())
    return throwTypeError(env, "setRegisters(registers): an object of registers to change");
  Park park(*this);
  CpuState s;
  machine_->getState(s);
  if (!registersFromJs(env, info[0].As<Napi::Object>(), s)) return env.Undefined();
  machine_->setState(s);
  return env.Undefined();
}

Napi::Value MachineObject::ReadMemory(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!alive(env)) return env.Undefined();
  uint64_t address = 0, length = 0;
  if (!uintArg(info, 0, "address", 18446744073709551615.0, address)) return env.Undefined();
  if (!uintArg(info, 1, "length", static_cast<double>(kMaxTransfer), length)) return env.Undefined();
  bool physical = info.Length() > 2 && info[2].ToBoolean();
  Napi::Uint8Array out = Napi::Uint8Array::New(env, length);
  Park park(*this);
  bool ok = physical ? machine_->readPhysical(address, out.Data(), length)
                     : machine_->readLinear(address, out.Data(), length);
  if (!ok) {
    return throwRangeError(
        env, std::string("cannot read ") + std::to_string(length) + " bytes at " +
                 (physical ? "physical " : "linear ") + hex(address) +
                 (physical ? ": beyond guest RAM (" + std::to_string(machine_->memory().size() >> 20) + " MiB)"
                           : ": not mapped (beyond RAM, or a page not present)"));
  }
  return out;
}

Napi::Value MachineObject::WriteMemory(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!alive(env)) return env.Undefined();
  uint64_t address = 0;
  const uint8_t* data = nullptr;
  size_t len = 0;
  if (!uintArg(info, 0, "address", 18446744073709551615.0, address)) return env.Undefined();
  if (!bytesArg(info, 1, "data", data, len)) return env.Undefined();
  if (len > kMaxTransfer) return throwRangeError(env, "writeMemory: at most 64 MiB per call");
  bool physical = info.Length() > 2 && info[2].ToBoolean();
  Park park(*this);
  bool ok = physical ? machine_->writePhysical(address, data, len) : machine_->writeLinear(address, data, len);
  if (!ok) {
    return throwRangeError(env, std::string("cannot write ") + std::to_string(len) + " bytes at " +
                                    (physical ? "physical " : "linear ") + hex(address) +
                                    ": not all of it is guest RAM; nothing was written");
  }
  return env.Undefined();
}

Napi::Value MachineObject::Translate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!alive(env)) return env.Undefined();
  uint64_t linear = 0;
  if (!uintArg(info, 0, "linear", 4294967295.0, linear)) return env.Undefined();
  Park park(*this);
  uint64_t physical = 0;
  std::vector<std::string> steps;
  bool ok = machine_->translate(linear, physical, steps);
  Napi::Object o = Napi::Object::New(env);
  if (ok) o.Set("physical", static_cast<double>(physical));
  Napi::Array a = Napi::Array::New(env, steps.size());
  for (size_t i = 0; i < steps.size(); i++) a.Set(static_cast<uint32_t>(i), steps[i]);
  o.Set("steps", a);
  return o;
}

Napi::Value MachineObject::AddBreakpoint(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!alive(env)) return env.Undefined();
  uint64_t linear = 0;
  if (!uintArg(info, 0, "linear", 4294967295.0, linear)) return env.Undefined();
  Park park(*this);
  std::string error;
  int id = debugAddBreakpoint(*machine_, linear, error);
  if (id < 0) return throwError(env, error);
  return Napi::Number::New(env, id);
}

Napi::Value MachineObject::RemoveBreakpoint(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!alive(env)) return env.Undefined();
  uint64_t id = 0;
  if (!uintArg(info, 0, "id", 2147483647.0, id)) return env.Undefined();
  Park park(*this);
  debugRemoveBreakpoint(*machine_, static_cast<int>(id));
  return env.Undefined();
}

Napi::Value MachineObject::AddWatchpoint(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!alive(env)) return env.Undefined();
  uint64_t address = 0, length = 0;
  if (!uintArg(info, 0, "address", 4294967295.0, address)) return env.Undefined();
  if (!uintArg(info, 1, "length", 65536.0, length)) return env.Undefined();
  if (length == 0) return throwRangeError(env, "a watchpoint covers at least one byte");
  std::string access = info.Length() > 2 && info[2].IsString() ? info[2].As<Napi::String>().Utf8Value() : "";
  uint8_t kind = access == "read"     ? ACCESS_READ
                 : access == "write"  ? ACCESS_WRITE
                 : access == "access" ? (ACCESS_READ | ACCESS_WRITE)
                                      : 0;
  if (!kind) return throwTypeError(env, "the watchpoint access must be 'read', 'write' or 'access'");
  Park park(*this);
  std::string error;
  int id = debugAddWatchpoint(*machine_, address, static_cast<uint32_t>(length), kind, error);
  if (id < 0) return throwError(env, error);
  return Napi::Number::New(env, id);
}

Napi::Value MachineObject::RemoveWatchpoint(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!alive(env)) return env.Undefined();
  uint64_t id = 0;
  if (!uintArg(info, 0, "id", 2147483647.0, id)) return env.Undefined();
  Park park(*this);
  debugRemoveWatchpoint(*machine_, static_cast<int>(id));
  return env.Undefined();
}

Napi::Value MachineObject::SetCatchExceptions(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!alive(env)) return env.Undefined();
  if (info.Length() < 1 || !info[0].IsArray())
    return throwTypeError(env, "setCatchExceptions(vectors): an array of vectors 0-31");
  Napi::Array a = info[0].As<Napi::Array>();
  uint32_t mask = 0;
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value v = a.Get(i);
    double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
    if (!(d >= 0 && d <= 31) || static_cast<int>(d) != d)
      return throwRangeError(env, "exception vectors are integers from 0 to 31");
    mask |= 1u << static_cast<int>(d);
  }
  Park park(*this);
  std::string error;
  if (!debugCatchExceptions(*machine_, mask, error)) return throwError(env, error);
  return env.Undefined();
}

Napi::Value MachineObject::SetSystemBreaks(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!alive(env)) return env.Undefined();
  SystemBreaks breaks;
  if (!systemBreaksFromJs(env, info.Length() ? info[0] : env.Undefined(), breaks)) return env.Undefined();
  Park park(*this);
  std::string error;
  if (!machine_->setSystemBreaks(breaks, error)) return throwError(env, error);
  return env.Undefined();
}

Napi::Value MachineObject::History(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!alive(env)) return env.Undefined();
  uint64_t count = 0;
  if (!uintArg(info, 0, "count", 1e6, count)) return env.Undefined();
  Park park(*this);
  std::vector<HistoryEntry> entries = debugHistory(*machine_, static_cast<size_t>(count));
  Napi::Array a = Napi::Array::New(env, entries.size());
  for (size_t i = 0; i < entries.size(); i++) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("cs", entries[i].cs);
    o.Set("eip", static_cast<double>(entries[i].eip));
    o.Set("linear", static_cast<double>(entries[i].linear));
    o.Set("bits", entries[i].code32 ? 32 : 16);
    Napi::Array bytes = Napi::Array::New(env, entries[i].bytes.size());
    for (size_t j = 0; j < entries[i].bytes.size(); j++) bytes.Set(static_cast<uint32_t>(j), entries[i].bytes[j]);
    o.Set("bytes", bytes);
    a.Set(static_cast<uint32_t>(i), o);
  }
  return a;
}

Napi::Value MachineObject::InstructionCount(const Napi::CallbackInfo& info) {
  if (!alive(info.Env())) return info.Env().Undefined();
  Park park(*this);
  return Napi::Number::New(info.Env(), static_cast<double>(machine_->instructionCount()));
}

Napi::Value MachineObject::VirtualTimeNs(const Napi::CallbackInfo& info) {
  if (!alive(info.Env())) return info.Env().Undefined();
  Park park(*this);
  return Napi::Number::New(info.Env(), static_cast<double>(machine_->virtualTimeNs()));
}

Napi::Value MachineObject::Snapshot(const Napi::CallbackInfo& info) {
  if (!alive(info.Env())) return info.Env().Undefined();
  Park park(*this);
  return Napi::Number::New(info.Env(), machine_->snapshot());
}

Napi::Value MachineObject::Restore(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!alive(env)) return env.Undefined();
  uint64_t id = 0;
  if (!uintArg(info, 0, "snapshot id", 4294967295.0, id)) return env.Undefined();
  if (jsRunning_) return throwError(env, "the machine is running: pause() it before restoring a snapshot");
  std::string error;
  if (!machine_->restore(static_cast<uint32_t>(id), error)) return throwError(env, error);
  return env.Undefined();
}

Napi::Value MachineObject::DropSnapshot(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!alive(env)) return env.Undefined();
  uint64_t id = 0;
  if (!uintArg(info, 0, "snapshot id", 4294967295.0, id)) return env.Undefined();
  Park park(*this);
  machine_->dropSnapshot(static_cast<uint32_t>(id));
  return env.Undefined();
}

Napi::Value MachineObject::SnapshotBytes(const Napi::CallbackInfo& info) {
  if (!alive(info.Env())) return info.Env().Undefined();
  Park park(*this);
  return Napi::Number::New(info.Env(), static_cast<double>(machine_->snapshotBytes()));
}

Napi::Value MachineObject::SnapshotCountsJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!alive(env)) return env.Undefined();
  Park park(*this);
  const Machine::SnapshotCounts c = machine_->snapshotCounts();
  Napi::Object o = Napi::Object::New(env);
  o.Set("snapshots", Napi::Number::New(env, static_cast<double>(c.snapshots)));
  o.Set("pageVersions", Napi::Number::New(env, static_cast<double>(c.pageVersions)));
  o.Set("lastRestorePages", Napi::Number::New(env, static_cast<double>(c.lastRestorePages)));
  return o;
}

Napi::Value MachineObject::SendScanCodes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!alive(env)) return env.Undefined();
  if (info.Length() < 1 || !info[0].IsArray()) return throwTypeError(env, "sendScanCodes(codes): an array of bytes");
  Napi::Array a = info[0].As<Napi::Array>();
  std::vector<uint8_t> codes;
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value v = a.Get(i);
    double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
    if (!(d >= 0 && d <= 255) || static_cast<int>(d) != d) return throwRangeError(env, "scan codes are bytes (0-255)");
    codes.push_back(static_cast<uint8_t>(d));
  }
  Park park(*this);
  machine_->sendScanCodes(codes);
  return env.Undefined();
}

Napi::Value MachineObject::TypeText(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!alive(env)) return env.Undefined();
  if (info.Length() < 1 || !info[0].IsString()) return throwTypeError(env, "typeText(text): a string");
  std::string text = info[0].As<Napi::String>().Utf8Value();
  Park park(*this);
  return Napi::Number::New(env, static_cast<double>(machine_->typeText(text)));
}

Napi::Value MachineObject::SendSerial(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!alive(env)) return env.Undefined();
  const uint8_t* data = nullptr;
  size_t len = 0;
  if (!bytesArg(info, 0, "bytes", data, len)) return env.Undefined();
  Park park(*this);
  machine_->sendSerial(std::vector<uint8_t>(data, data + len));
  return env.Undefined();
}

Napi::Value MachineObject::SendReset(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!alive(env)) return env.Undefined();
  Park park(*this);
  machine_->sendReset();
  return env.Undefined();
}

Napi::Value MachineObject::SendMouse(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!alive(env)) return env.Undefined();
  double v[3] = {0, 0, 0};
  for (int i = 0; i < 3; i++) {
    v[i] = info.Length() > size_t(i) && info[i].IsNumber() ? info[i].As<Napi::Number>().DoubleValue() : NAN;
    if (!(v[i] >= -32767 && v[i] <= 32767) || std::floor(v[i]) != v[i] || (i == 2 && !(v[i] >= 0 && v[i] <= 7))) {
      return throwRangeError(env, "sendMouse(dx, dy, buttons): whole numbers, |dx|, |dy| <= 32767, buttons 0-7");
    }
  }
  Park park(*this);
  machine_->sendMouse(int(v[0]), int(v[1]), uint8_t(v[2]));
  return env.Undefined();
}

Napi::Value MachineObject::InputLogJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!alive(env)) return env.Undefined();
  std::vector<InputEvent> log;
  {
    Park park(*this);
    log = machine_->inputLog();
  }
  return inputLogToJs(env, log);
}

Napi::Value MachineObject::LoadInputLog(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!alive(env)) return env.Undefined();
  if (jsRunning_) return throwError(env, "the machine is running: pause() it before loading an input log");
  std::vector<InputEvent> log;
  if (info.Length() < 1 || !inputLogFromJs(env, info[0], log)) return env.Undefined();
  machine_->loadInputLog(std::move(log));
  return env.Undefined();
}

Napi::Value MachineObject::ScreenTextJs(const Napi::CallbackInfo& info) {
  if (!alive(info.Env())) return info.Env().Undefined();
  Park park(*this);
  return screenTextToJs(info.Env(), machine_->screenText());
}

Napi::Value MachineObject::SetVideoMode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!alive(env)) return env.Undefined();
  if (jsRunning_) return throwError(env, "the machine is running: pause() it before setting a video mode");
  auto arg = [&](size_t i) {
    return info.Length() > i && info[i].IsNumber() ? info[i].As<Napi::Number>().Int32Value() : 0;
  };
  Machine::VideoMode v;
  if (!machine_->setVideoMode(arg(0), arg(1), arg(2), v)) return env.Undefined();
  Napi::Object o = Napi::Object::New(env);
  o.Set("mode", v.mode);
  o.Set("address", static_cast<double>(v.address));
  o.Set("pitch", v.pitch);
  o.Set("width", v.width);
  o.Set("height", v.height);
  o.Set("bpp", v.bpp);
  Napi::Array fields = Napi::Array::New(env, 6);
  for (uint32_t i = 0; i < 6; ++i) fields.Set(i, v.fields[i]);
  o.Set("fields", fields);
  return o;
}

Napi::Value MachineObject::ScreenFrameJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!alive(env)) return env.Undefined();
  int64_t since = -1;
  if (info.Length() > 0 && !info[0].IsUndefined() && !info[0].IsNull()) {
    if (!info[0].IsNumber() || !(info[0].As<Napi::Number>().DoubleValue() >= 0)) {
      Napi::TypeError::New(env, "screenFrame: sinceGeneration must be a number >= 0").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    since = info[0].As<Napi::Number>().Int64Value();
  }
  ScreenFrame f;
  {
    Park park(*this);
    f = machine_->screenFrame(since);
  }
  return screenFrameToJs(env, f);
}

Napi::Value MachineObject::ExitProfile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!alive(env)) return env.Undefined();
  std::vector<ExitCount> profile;
  {
    Park park(*this);
    profile = machine_->exitProfile();
  }
  Napi::Array a = Napi::Array::New(env, profile.size());
  for (size_t i = 0; i < profile.size(); i++) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("rip", static_cast<double>(profile[i].rip));
    o.Set("io", static_cast<double>(profile[i].io));
    o.Set("mmio", static_cast<double>(profile[i].mmio));
    Napi::Array ports = Napi::Array::New(env, profile[i].portCount);
    for (uint8_t j = 0; j < profile[i].portCount; j++) ports.Set(static_cast<uint32_t>(j), profile[i].ports[j]);
    o.Set("ports", ports);
    a.Set(static_cast<uint32_t>(i), o);
  }
  return a;
}

Napi::Value MachineObject::PortRead(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!alive(env)) return env.Undefined();
  uint64_t port = 0, size = 0;
  if (!uintArg(info, 0, "port", 0xFFFF, port) || !uintArg(info, 1, "size", 4, size)) return env.Undefined();
  if (size != 1 && size != 2 && size != 4) return throwRangeError(env, "a port access is 1, 2 or 4 bytes wide");
  if (jsRunning_) return throwError(env, "the machine is running: pause() it before using the device harness");
  return Napi::Number::New(env, machine_->portRead(static_cast<uint16_t>(port), static_cast<unsigned>(size)));
}

Napi::Value MachineObject::PortWrite(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!alive(env)) return env.Undefined();
  uint64_t port = 0, size = 0, value = 0;
  if (!uintArg(info, 0, "port", 0xFFFF, port) || !uintArg(info, 1, "size", 4, size) ||
      !uintArg(info, 2, "value", 4294967295.0, value)) {
    return env.Undefined();
  }
  if (size != 1 && size != 2 && size != 4) return throwRangeError(env, "a port access is 1, 2 or 4 bytes wide");
  if (jsRunning_) return throwError(env, "the machine is running: pause() it before using the device harness");
  machine_->portWrite(static_cast<uint16_t>(port), static_cast<unsigned>(size), static_cast<uint32_t>(value));
  drain(env);
  return env.Undefined();
}

Napi::Value MachineObject::ClockStep(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!alive(env)) return env.Undefined();
  uint64_t ns = 0;
  if (!uintArg(info, 0, "ns", 9007199254740991.0, ns)) return env.Undefined();
  if (jsRunning_) return throwError(env, "the machine is running: pause() it before stepping the clock");
  machine_->clockStep(ns);
  drain(env);
  return env.Undefined();
}

Napi::Value MachineObject::IrqLevel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!alive(env)) return env.Undefined();
  uint64_t irq = 0;
  if (!uintArg(info, 0, "irq", 15, irq)) return env.Undefined();
  Park park(*this);
  return Napi::Boolean::New(env, machine_->irqLevel(static_cast<int>(irq)));
}

Napi::Value MachineObject::PicRegistersJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!alive(env)) return env.Undefined();
  Machine::PicRegisters chips[2];
  {
    Park park(*this);
    chips[0] = machine_->picRegisters(false);
    chips[1] = machine_->picRegisters(true);
  }
  Napi::Object out = Napi::Object::New(env);
  const char* names[2] = {"master", "slave"};
  for (int i = 0; i < 2; i++) {
    Napi::Object chip = Napi::Object::New(env);
    chip.Set("irr", chips[i].irr);
    chip.Set("isr", chips[i].isr);
    chip.Set("imr", chips[i].imr);
    chip.Set("vectorBase", chips[i].vectorBase);
    out.Set(names[i], chip);
  }
  return out;
}

Napi::Value MachineObject::MemoryMap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!alive(env)) return env.Undefined();
  std::vector<Machine::MemoryRange> map = machine_->memoryMap();  // fixed at creation: no need to park
  Napi::Array out = Napi::Array::New(env, map.size());
  for (size_t i = 0; i < map.size(); i++) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("base", static_cast<double>(map[i].base));
    o.Set("length", static_cast<double>(map[i].length));
    o.Set("type", map[i].type);
    out.Set(static_cast<uint32_t>(i), o);
  }
  return out;
}

Napi::Value MachineObject::Dispose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!machine_) return env.Undefined();
  shutdown();
  if (deferred_) {
    // The run ended with the machine: settle its Promise rather than leave the caller waiting forever.
    Napi::Promise::Deferred d = *deferred_;
    deferred_.reset();
    jsRunning_ = false;
    d.Reject(Napi::Error::New(env, "the machine was disposed while running").Value());
    Unref();
  }
  sink_.Reset();
  return env.Undefined();
}

const RegisterClass kRegister(&MachineObject::Init);

}  // namespace
}  // namespace bv::napi
