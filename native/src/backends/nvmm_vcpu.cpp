#include "backends/nvmm_vcpu.h"

#include <errno.h>
#include <nvmm.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "backends/fpu_image.h"
#include "backends/nvmm_state.h"

namespace bv {

namespace {

// nvmm_init() may run only once per process (libnvmm(3)); its verdict is kept.
int nvmmInitError() {
  static const int err = nvmm_init() == 0 ? 0 : errno;
  return err;
}

std::string reasonFor(int err) {
  switch (err) {
    case 0: return {};
    case ENOENT:
      return "no /dev/nvmm: load the module (modload nvmm as root) and check that the CPU has VMX with "
             "unrestricted guest, or SVM";
    case EACCES:
    case EPERM:
      return "no permission to open /dev/nvmm: join the group nvmm (usermod -G nvmm $USER as root, then log in "
             "again)";
    case ENXIO:
      return "NVMM is loaded but found no hardware support (it needs VMX with unrestricted guest, or SVM); "
             "enable virtualization in the firmware";
#ifdef EPROGMISMATCH
    case EPROGMISMATCH:
      return "libnvmm and the nvmm kernel module are of different versions: update the system as a whole";
#endif
    default: return std::string("NVMM is not usable: ") + std::strerror(err);
  }
}

// The vCPU currently inside nvmm_vcpu_run on this thread, for the assist callbacks (plain C function
// pointers) and for the kick signal's handler.
class NvmmVcpu;
thread_local NvmmVcpu* tCurrent = nullptr;

constexpr int kKickSignal = SIGUSR2;

class NvmmVcpu final : public HardwareVcpu {
 public:
  NvmmVcpu(GuestMemory& mem, ExitHandler& h) : mem_(mem), handler_(h) {}

  ~NvmmVcpu() override {
    {
      std::lock_guard<std::mutex> lock(tickMutex_);
      tickQuit_ = true;
    }
    tickCv_.notify_all();
    if (ticker_.joinable()) ticker_.join();
    if (haveVcpu_) nvmm_vcpu_destroy(&mach_, &vcpu_);
    if (haveMachine_) nvmm_machine_destroy(&mach_);  // also drops the hva mapping
  }

  std::string init() {
    if (int err = nvmmInitError()) return reasonFor(err);
    struct nvmm_capability cap {};
    if (nvmm_capability(&cap) != 0) return std::string("nvmm_capability failed: ") + std::strerror(errno);
    if (cap.state_size != sizeof(nvmm_x64_state)) {
      return "libnvmm's state layout differs from the one Bootvisor was built with: rebuild Bootvisor";
    }
    if (nvmm_machine_create(&mach_) != 0) return std::string("nvmm_machine_create failed: ") + std::strerror(errno);
    haveMachine_ = true;
    if (nvmm_vcpu_create(&mach_, 0, &vcpu_) != 0)
      return std::string("nvmm_vcpu_create failed: ") + std::strerror(errno);
    haveVcpu_ = true;
    nvmm_assist_callbacks cbs{};
    cbs.io = &NvmmVcpu::onIo;
    cbs.mem = &NvmmVcpu::onMem;
    nvmm_vcpu_configure(&mach_, &vcpu_, NVMM_VCPU_CONF_CALLBACKS, &cbs);
    // nvmm_hva_map replaces the range with fresh zero pages: keep what is already in guest memory.
    std::vector<uint8_t> saved(mem_.data(), mem_.data() + mem_.size());
    if (nvmm_hva_map(&mach_, reinterpret_cast<uintptr_t>(mem_.data()), mem_.size()) != 0) {
      return std::string("nvmm_hva_map failed: ") + std::strerror(errno);
    }
    std::memcpy(mem_.data(), saved.data(), saved.size());
    pageAllowed_.assign(mem_.size() >> PAGE_SHIFT, ACCESS_READ | ACCESS_WRITE | ACCESS_EXEC);
    struct sigaction sa {};
    sa.sa_handler = &NvmmVcpu::onKick;
    sigemptyset(&sa.sa_mask);
    sigaction(kKickSignal, &sa, nullptr);
    ticker_ = std::thread([this] { tickLoop(); });
    setState(resetState());
    return {};
  }

  const char* name() const override { return "nvmm"; }
  VcpuCaps caps() const override { return {}; }  // no debug traps at all: the hybrid provides them

  void getState(CpuState& out) override {
    nvmm_vcpu_getstate(&mach_, &vcpu_, NVMM_X64_STATE_ALL);
    stateFromNvmm(*vcpu_.state, out);
    selectors_.restore(out.fpu);
    out.halted = halted_;
    // NVMM reports its own window-exiting bit, which may be set for the interrupt held here only: the state
    // says what the caller asked for, or a software vCPU given it would stop for a window nobody wants.
    out.intr.int_window_exiting = windowWanted_;
    out.intr.irq_vector = static_cast<int16_t>(pendingIrq_);
  }

  void setState(const CpuState& in) override {
    nvmm_vcpu_getstate(&mach_, &vcpu_, NVMM_X64_STATE_ALL);  // keeps the SSE half, which CpuState lacks
    stateToNvmm(in, *vcpu_.state);
    selectors_.remember(in.fpu);
    // The interrupt not yet delivered belongs to the state (a restore must not keep one from elsewhere).
    pendingIrq_ = in.intr.irq_vector >= 0 && in.intr.irq_vector <= 0xFF ? in.intr.irq_vector : -1;
    windowWanted_ = in.intr.int_window_exiting;
    vcpu_.state->intr.int_window_exiting = windowWanted_ || pendingIrq_ >= 0;
    nvmm_vcpu_setstate(&mach_, &vcpu_, NVMM_X64_STATE_ALL);  // applied at the next run
    halted_ = in.halted;
    injectable_ = (in.gprs[GPR_RFLAGS] & flags::IF) && !in.intr.int_shadow;
  }

  Exit run(uint64_t maxInstructions) override {
    Exit ex;
    if (!syncMemoryMap()) return fail(ex, error_);
    thread_ = pthread_self();
    tCurrent = this;
    running_.store(true);
    armSlice(maxInstructions);
    for (;;) {
      if (stop_.exchange(false)) {
        ex.reason = ExitReason::Stopped;
        break;
      }
      if (sliceOver_.exchange(false)) {
        ex.reason = ExitReason::None;
        break;
      }
      offerPending();  // here, not before the checks above: an event committed must go with this very run
      if (nvmm_vcpu_run(&mach_, &vcpu_) != 0) {
        if (errno == EINTR) continue;
        fail(ex, std::string("nvmm_vcpu_run failed: ") + std::strerror(errno));
        break;
      }
      const nvmm_vcpu_exit& x = *vcpu_.exit;
      injectable_ = (x.exitstate.rflags & flags::IF) && !x.exitstate.int_shadow && !x.exitstate.evt_pending;
      if (handle(x, ex)) break;
    }
    disarmSlice();
    running_.store(false);
    tCurrent = nullptr;
    return ex;
  }

  void requestStop() override {
    stop_.store(true);
    kick();
  }

  bool interruptsEnabled() override {
    nvmm_vcpu_getstate(&mach_, &vcpu_, NVMM_X64_STATE_GPRS);
    return vcpu_.state->gprs[NVMM_X64_GPR_RFLAGS] & flags::IF;
  }
  bool canInjectInterrupt() override { return injectable_ && pendingIrq_ < 0; }
  // Held until a run starts with the guest able to take it (offerPending). nvmm_vcpu_inject only commits the
  // event for the next run, and the guest's IF can change before it (a setState, the hybrid's software vCPU
  // stepping a CLI); an external interrupt entered with IF clear fails the VM entry on VMX and is delivered
  // regardless on SVM (the shim over KVM refuses the run: EINVAL).
  void injectInterrupt(uint8_t vector) override {
    pendingIrq_ = vector;
    injectable_ = false;
  }
  void requestInterruptWindow(bool on) override {
    windowWanted_ = on;
    setWindow(on || pendingIrq_ >= 0);
  }
  int takePendingInterrupt() override {
    const int v = pendingIrq_;
    pendingIrq_ = -1;
    if (v >= 0) setWindow(windowWanted_);
    return v;
  }

  // --- HardwareVcpu: NVMM has no debug traps; HLT patches, protection exits the caller completes.
  uint8_t breakpointOpcode() const override { return 0xF4; }
  bool protectPage(uint64_t gpa, uint8_t allowed) override {
    const uint64_t page = gpa >> PAGE_SHIFT;
    if (page >= pageAllowed_.size()) return false;
    pageAllowed_[page] = allowed;
    return true;
  }
  bool memoryExitCompleted() const override { return false; }
  bool takeDirtyPages(std::vector<uint64_t>&) override { return false; }  // NVMM keeps no dirty log
  std::string errorMessage() const override { return error_; }

 private:
  struct Area {
    uint64_t gpa;
    uint64_t size;
    int prot;
  };

  Exit& fail(Exit& ex, const std::string& why) {
    error_ = why;
    ex.reason = ExitReason::Invalid;
    ex.u.invalid.hwcode = ~0ull;
    return ex;
  }

  static int protFor(uint8_t allowed, bool rom) {
    int p = 0;
    if (allowed & ACCESS_READ) p |= PROT_READ;
    if ((allowed & ACCESS_WRITE) && !rom) p |= PROT_WRITE;
    if (allowed & ACCESS_EXEC) p |= PROT_EXEC;
    return p;
  }

  // One gpa mapping per run of pages with the same protection; changing one means unmap and map again.
  bool syncMemoryMap() {
    const uint64_t pages = mem_.size() >> PAGE_SHIFT;
    std::vector<int> prot(pages);
    // Device pages (the VGA's planes) stay unmapped: every access there exits as MEMORY to the assist.
    for (uint64_t p = 0; p < pages; ++p)
      prot[p] = mem_.pageFlags()[p] & PAGE_DEVICE ? 0 : protFor(pageAllowed_[p], mem_.pageFlags()[p] & PAGE_ROM);
    if (prot == mappedProt_) return true;
    const uintptr_t base = reinterpret_cast<uintptr_t>(mem_.data());
    for (const Area& a : areas_) nvmm_gpa_unmap(&mach_, base + a.gpa, a.gpa, a.size);
    areas_.clear();
    for (uint64_t p = 0; p < pages;) {
      uint64_t q = p;
      while (q < pages && prot[q] == prot[p]) ++q;
      Area a{p << PAGE_SHIFT, (q - p) << PAGE_SHIFT, prot[p]};
      // A page with no access at all stays unmapped: every access exits as MEMORY.
      if (a.prot != 0 && nvmm_gpa_map(&mach_, base + a.gpa, a.gpa, a.size, a.prot) != 0) {
        error_ = std::string("nvmm_gpa_map failed: ") + std::strerror(errno);
        return false;
      }
      if (a.prot != 0) areas_.push_back(a);
      p = q;
    }
    mappedProt_ = std::move(prot);
    return true;
  }

  // True when run() returns with ex.
  bool handle(const nvmm_vcpu_exit& x, Exit& ex) {
    char buf[120];
    switch (x.reason) {
      case NVMM_VCPU_EXIT_NONE: return false;
#ifdef NVMM_VCPU_EXIT_STOPPED
      case NVMM_VCPU_EXIT_STOPPED: return false;  // the loop head reports Stopped or the end of the slice
#endif
      case NVMM_VCPU_EXIT_IO: return handle_io(x, ex);
      case NVMM_VCPU_EXIT_MEMORY: return handle_memory(x, ex);
      case NVMM_VCPU_EXIT_HALTED:
        ex.reason = ExitReason::Halted;  // RIP is already past the HLT
        return true;
      case NVMM_VCPU_EXIT_SHUTDOWN: ex.reason = ExitReason::Shutdown; return true;
      case NVMM_VCPU_EXIT_INT_READY:
        // NVMM turned window exiting off as it reported the window. Ours alone (the held interrupt): the next
        // turn of the loop injects it.
        if (!windowWanted_) return false;
        windowWanted_ = false;
        ex.reason = ExitReason::InterruptWindow;
        return true;
      case NVMM_VCPU_EXIT_NMI_READY:
      case NVMM_VCPU_EXIT_TPR_CHANGED: return false;
      case NVMM_VCPU_EXIT_RDMSR:
      case NVMM_VCPU_EXIT_WRMSR: {
        // MSRs NVMM does not handle in the kernel read as zero and ignore writes, as on QEMU.
        nvmm_vcpu_getstate(&mach_, &vcpu_, NVMM_X64_STATE_GPRS);
        if (x.reason == NVMM_VCPU_EXIT_RDMSR) {
          vcpu_.state->gprs[NVMM_X64_GPR_RAX] = 0;
          vcpu_.state->gprs[NVMM_X64_GPR_RDX] = 0;
          vcpu_.state->gprs[NVMM_X64_GPR_RIP] = x.u.rdmsr.npc;
        } else {
          vcpu_.state->gprs[NVMM_X64_GPR_RIP] = x.u.wrmsr.npc;
        }
        nvmm_vcpu_setstate(&mach_, &vcpu_, NVMM_X64_STATE_GPRS);
        return false;
      }
      case NVMM_VCPU_EXIT_MONITOR:
      case NVMM_VCPU_EXIT_MWAIT:
        vcpu_.event->type = NVMM_VCPU_EVENT_EXCP;  // #UD, as a CPU without MONITOR would raise
        vcpu_.event->vector = 6;
        vcpu_.event->u.excp.error = 0;
        nvmm_vcpu_inject(&mach_, &vcpu_);
        return false;
      case NVMM_VCPU_EXIT_INVALID:
        std::snprintf(buf, sizeof buf, "NVMM could not run the guest (hardware exit code 0x%llx)",
                      static_cast<unsigned long long>(x.u.inv.hwcode));
        fail(ex, buf);
        ex.u.invalid.hwcode = x.u.inv.hwcode;
        return true;
      default:
        std::snprintf(buf, sizeof buf, "unexpected NVMM exit reason 0x%llx", static_cast<unsigned long long>(x.reason));
        fail(ex, buf);
        ex.u.invalid.hwcode = x.reason;
        return true;
    }
  }

  void setWindow(bool on) {
    nvmm_vcpu_getstate(&mach_, &vcpu_, NVMM_X64_STATE_INTR);
    vcpu_.state->intr.int_window_exiting = on ? 1 : 0;
    nvmm_vcpu_setstate(&mach_, &vcpu_, NVMM_X64_STATE_INTR);
  }

  // The held interrupt goes to NVMM when the state the run starts from can take it; otherwise the interrupt
  // window brings the run back here when it can.
  void offerPending() {
    if (pendingIrq_ < 0) return;
    nvmm_vcpu_getstate(&mach_, &vcpu_, NVMM_X64_STATE_GPRS | NVMM_X64_STATE_INTR);
    const nvmm_x64_state& st = *vcpu_.state;
    if ((st.gprs[NVMM_X64_GPR_RFLAGS] & flags::IF) && !st.intr.int_shadow && !st.intr.evt_pending) {
      vcpu_.event->type = NVMM_VCPU_EVENT_INTR;
      vcpu_.event->vector = static_cast<uint8_t>(pendingIrq_);
      if (nvmm_vcpu_inject(&mach_, &vcpu_) == 0) {
        pendingIrq_ = -1;
        injectable_ = false;
        if (st.intr.int_window_exiting && !windowWanted_) setWindow(false);
        return;
      }
    }
    if (!st.intr.int_window_exiting) setWindow(true);
  }

  bool handle_io(const nvmm_vcpu_exit& x, Exit& ex) {
    yield_ = false;
    nvmm_vcpu_getstate(&mach_, &vcpu_, NVMM_X64_STATE_GPRS);  // RIP for the handler; free after an IO exit
    if (nvmm_assist_io(&mach_, &vcpu_) != 0) {
      fail(ex, std::string("libnvmm could not complete a port access: ") + std::strerror(errno));
      return true;
    }
    if (!yield_) return false;
    ex.reason = ExitReason::Io;
    ex.u.io.in = x.u.io.in;
    ex.u.io.port = x.u.io.port;
    ex.u.io.size = x.u.io.operand_size;
    ex.u.io.value = lastValue_;
    return true;
  }

  bool handle_memory(const nvmm_vcpu_exit& x, Exit& ex) {
    const uint64_t gpa = x.u.mem.gpa;
    uint8_t access = ACCESS_READ;
    if (x.u.mem.prot & PROT_WRITE) access = ACCESS_WRITE;
    else if (x.u.mem.prot & PROT_EXEC) access = ACCESS_EXEC;
    if (mem_.contains(gpa, 1) && !mem_.isDevice(gpa)) {
      if ((mem_.pageFlag(gpa) & PAGE_ROM) && access == ACCESS_WRITE &&
          (pageAllowed_[gpa >> PAGE_SHIFT] & ACCESS_WRITE)) {
        // A write to the BIOS ROM: skip the instruction through the assist, dropping the data.
        romWrite_ = true;
        const int r = nvmm_assist_mem(&mach_, &vcpu_);
        romWrite_ = false;
        if (r == 0) return false;
      }
      // A page the hybrid protected: the instruction has not run; the caller runs it on the software vCPU.
      ex.reason = ExitReason::Memory;
      ex.u.mem.access = access;
      ex.u.mem.size = 0;
      ex.u.mem.gpa = gpa;
      ex.u.mem.value = 0;
      return true;
    }
    yield_ = false;
    nvmm_vcpu_getstate(&mach_, &vcpu_, NVMM_X64_STATE_GPRS);  // preloaded by the kernel after MEMORY exits
    if (nvmm_assist_mem(&mach_, &vcpu_) != 0) {
      fail(ex,
           std::string("libnvmm could not emulate the memory access at 0x") + hex(gpa) + ": " + std::strerror(errno));
      return true;
    }
    if (!yield_) return false;
    ex.reason = ExitReason::Memory;
    ex.u.mem.access = access;
    ex.u.mem.size = static_cast<uint8_t>(lastSize_);
    ex.u.mem.gpa = gpa;
    ex.u.mem.value = lastValue_;
    return true;
  }

  static std::string hex(uint64_t v) {
    char b[20];
    std::snprintf(b, sizeof b, "%llx", static_cast<unsigned long long>(v));
    return b;
  }

  uint64_t rip() const { return vcpu_.state->gprs[NVMM_X64_GPR_RIP]; }

  static void onIo(nvmm_io* io) {
    NvmmVcpu* self = tCurrent;
    if (!self) return;
    uint32_t v = 0;
    IoAction a;
    const unsigned size = static_cast<unsigned>(io->size);
    if (io->in) {
      a = self->handler_.portIn(io->port, size, v, self->rip());
      std::memcpy(io->data, &v, size > 4 ? 4 : size);
    } else {
      std::memcpy(&v, io->data, size > 4 ? 4 : size);
      a = self->handler_.portOut(io->port, size, v, self->rip());
    }
    self->lastValue_ = v;
    self->yield_ |= a == IoAction::Yield;
  }

  static void onMem(nvmm_mem* m) {
    NvmmVcpu* self = tCurrent;
    if (!self) return;
    const unsigned size = static_cast<unsigned>(m->size > 8 ? 8 : m->size);
    uint64_t v = 0;
    if (self->mem_.contains(m->gpa, size) && !self->mem_.isDevice(m->gpa)) {
      // RAM reached through an assist (a ROM write being skipped): reads see RAM, writes are dropped. Device
      // pages (the VGA's planes) lie inside guest memory too, but their accesses belong to the device.
      if (!m->write) self->mem_.read(m->gpa, m->data, size);
      return;
    }
    IoAction a;
    if (m->write) {
      std::memcpy(&v, m->data, size);
      a = self->handler_.mmioWrite(m->gpa, size, v, self->rip());
    } else {
      a = self->handler_.mmioRead(m->gpa, size, v, self->rip());
      std::memcpy(m->data, &v, size);
    }
    self->lastValue_ = v;
    self->lastSize_ = size;
    self->yield_ |= a == IoAction::Yield;
  }

  // A signal makes nvmm_vcpu_run return (NONE); nvmm_vcpu_stop, where libnvmm has it, closes the race of a
  // signal that lands just before the run starts.
  static void onKick(int) {
#if NVMM_USER_VERSION >= 2
    if (NvmmVcpu* self = tCurrent) nvmm_vcpu_stop(&self->vcpu_);
#endif
  }

  void kick() {
#if NVMM_USER_VERSION >= 2
    nvmm_vcpu_stop(&vcpu_);
#endif
    if (running_.load()) pthread_kill(thread_, kKickSignal);
  }

  // Time slices: a helper thread kicks the vCPU when the slice is over (NetBSD has no thread-directed POSIX
  // timers). maxInstructions becomes roughly one instruction per nanosecond, 100 us to 20 ms.
  void armSlice(uint64_t maxInstructions) {
    uint64_t ns = maxInstructions < 100000 ? 100000 : maxInstructions > 20000000 ? 20000000 : maxInstructions;
    {
      std::lock_guard<std::mutex> lock(tickMutex_);
      deadline_ = std::chrono::steady_clock::now() + std::chrono::nanoseconds(ns);
      armed_ = true;
    }
    tickCv_.notify_all();
  }
  void disarmSlice() {
    std::lock_guard<std::mutex> lock(tickMutex_);
    armed_ = false;
    sliceOver_.store(false);
  }
  void tickLoop() {
    std::unique_lock<std::mutex> lock(tickMutex_);
    while (!tickQuit_) {
      if (!armed_) {
        tickCv_.wait(lock);
        continue;
      }
      if (tickCv_.wait_until(lock, deadline_) == std::cv_status::timeout && armed_ &&
          std::chrono::steady_clock::now() >= deadline_) {
        armed_ = false;
        sliceOver_.store(true);
        kick();
      }
    }
  }

  GuestMemory& mem_;
  ExitHandler& handler_;
  nvmm_machine mach_{};
  nvmm_vcpu vcpu_{};
  bool haveMachine_ = false, haveVcpu_ = false;
  bool halted_ = false;
  FpuSelectors selectors_;  // the x87 selectors the hardware does not keep
  bool injectable_ = false;
  int pendingIrq_ = -1;        // accepted by injectInterrupt, not yet given to NVMM
  bool windowWanted_ = false;  // the caller asked for an InterruptWindow exit
  std::vector<uint8_t> pageAllowed_;
  std::vector<int> mappedProt_;
  std::vector<Area> areas_;
  bool yield_ = false;
  bool romWrite_ = false;
  uint64_t lastValue_ = 0;
  unsigned lastSize_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> running_{false};
  std::atomic<bool> sliceOver_{false};
  pthread_t thread_{};
  std::thread ticker_;
  std::mutex tickMutex_;
  std::condition_variable tickCv_;
  std::chrono::steady_clock::time_point deadline_;
  bool armed_ = false;
  bool tickQuit_ = false;
  std::string error_;
};

}  // namespace

std::string nvmmUnavailableReason() { return reasonFor(nvmmInitError()); }

std::unique_ptr<HardwareVcpu> createNvmmVcpu(GuestMemory& memory, ExitHandler& handler, std::string& whyNot) {
  if (!memory.data()) {
    whyNot = "guest memory could not be allocated";
    return nullptr;
  }
  auto v = std::make_unique<NvmmVcpu>(memory, handler);
  whyNot = v->init();
  if (!whyNot.empty()) return nullptr;
  return v;
}

}  // namespace bv
