#include "backends/kvm_vcpu.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <vector>

#include "backends/fpu_image.h"
#include "backends/kvm_exits.h"
#include "backends/kvm_state.h"

namespace bv {

namespace {

// The signal that kicks the vCPU thread out of KVM_RUN (requestStop, time slice). Real-time signals are
// queued and unused by Node and libuv.
int kickSignal() { return SIGRTMIN + 4; }

void onKick(int) {}

void installKickHandler() {
  static std::atomic<bool> done{false};
  if (done.exchange(true)) return;
  struct sigaction sa {};
  sa.sa_handler = onKick;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: KVM_RUN must return -EINTR
  sigaction(kickSignal(), &sa, nullptr);
}

// Addresses KVM needs on Intel hosts for real mode without unrestricted guest; above any RAM we map (3 GiB max).
constexpr uint64_t kIdentityMapAddr = 0xFFFBC000;
constexpr uint64_t kTssAddr = 0xFFFBD000;

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd& operator=(Fd&& o) noexcept {
    std::swap(fd_, o.fd_);
    return *this;
  }
  int get() const { return fd_; }

 private:
  int fd_ = -1;
};

bool cpuHasVirtualization() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("flags", 0) == 0)
      return line.find(" vmx") != std::string::npos || line.find(" svm") != std::string::npos;
  }
  return true;  // cannot tell: do not blame the CPU
}

std::string groupOf(const char* path) {
  struct stat st {};
  if (stat(path, &st) != 0) return {};
  if (struct group* g = getgrgid(st.st_gid)) return g->gr_name;
  return std::to_string(st.st_gid);
}

std::string openKvm(Fd& out) {
  int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    if (e == ENOENT || e == ENXIO || e == ENODEV) {
      if (!cpuHasVirtualization()) {
        return "no /dev/kvm: this CPU (or the virtual machine this runs in) offers no VMX/SVM; enable "
               "virtualization in the firmware, or nested virtualization on the host";
      }
      return "no /dev/kvm: load the module (sudo modprobe kvm_intel, or kvm_amd) and check that virtualization "
             "is enabled in the firmware";
    }
    if (e == EACCES || e == EPERM) {
      std::string g = groupOf("/dev/kvm");
      if (g.empty() || g == "root") {
        return "no permission to open /dev/kvm: make it accessible to a group you are in (Debian and Ubuntu "
               "use group kvm: sudo usermod -aG kvm $USER, then log in again)";
      }
      return "no permission to open /dev/kvm: join the group " + g + " (sudo usermod -aG " + g +
             " $USER, then log in again)";
    }
    return std::string("cannot open /dev/kvm: ") + std::strerror(e);
  }
  out = Fd(fd);
  if (ioctl(fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) return "/dev/kvm speaks an unknown KVM API version";
  if (ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) <= 0) {
    return "this KVM cannot map memory read-only (KVM_CAP_READONLY_MEM), which the BIOS ROM needs";
  }
  if (ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) <= 0) {
    return "this KVM has no KVM_CAP_IMMEDIATE_EXIT (Linux 4.11 or newer is needed to pause a running guest)";
  }
  return {};
}

// Which guest-debug traps this KVM really delivers. Real AMD and Intel hosts deliver both; QEMU's TCG
// emulation of SVM (the nested test rig) and paravirtual KVMs deliver neither, and a breakpoint that never
// fires would be silently wrong. So a throw-away VM runs "nop; int3" once per process: a debug-register
// breakpoint on the nop, then INT3 with KVM_GUESTDBG_USE_SW_BP. Whatever does not trap is not used; the
// hybrid falls back to HLT patches, which every hypervisor reports.
struct DebugSupport {
  bool hardwareBreakpoints = false;
  bool int3 = false;
};

DebugSupport probeGuestDebug(int kvmFd) {
  DebugSupport d;
  if (ioctl(kvmFd, KVM_CHECK_EXTENSION, KVM_CAP_SET_GUEST_DEBUG) <= 0) return d;
  Fd vm(ioctl(kvmFd, KVM_CREATE_VM, 0));
  if (vm.get() < 0) return d;
  ioctl(vm.get(), KVM_SET_IDENTITY_MAP_ADDR, &kIdentityMapAddr);
  ioctl(vm.get(), KVM_SET_TSS_ADDR, static_cast<unsigned long>(kTssAddr));
  void* page = mmap(nullptr, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) return d;
  auto* mem = static_cast<uint8_t*>(page);
  // IVT[3] -> 0000:0200 (HLT), code at 0x100: nop; int3; hlt.
  mem[12] = 0x00;
  mem[13] = 0x02;
  mem[14] = 0;
  mem[15] = 0;
  mem[0x100] = 0x90;
  mem[0x101] = 0xCC;
  mem[0x102] = 0xF4;
  mem[0x200] = 0xF4;
  kvm_userspace_memory_region r{};
  r.memory_size = PAGE_SIZE;
  r.userspace_addr = reinterpret_cast<uint64_t>(page);
  Fd vcpu(ioctl(vm.get(), KVM_SET_USER_MEMORY_REGION, &r) == 0 ? ioctl(vm.get(), KVM_CREATE_VCPU, 0) : -1);
  int size = ioctl(kvmFd, KVM_GET_VCPU_MMAP_SIZE, 0);
  void* rp =
      vcpu.get() >= 0 && size > 0 ? mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu.get(), 0) : MAP_FAILED;
  if (rp != MAP_FAILED) {
    auto* run = static_cast<kvm_run*>(rp);
    auto attempt = [&](uint32_t control, uint64_t dr0) {
      KvmRegisterSet k;
      ioctl(vcpu.get(), KVM_GET_SREGS, &k.sregs);
      ioctl(vcpu.get(), KVM_GET_VCPU_EVENTS, &k.events);
      CpuState st = bootState(0);
      st.gprs[GPR_RIP] = 0x100;
      st.gprs[GPR_RSP] = 0x800;
      st.gprs[GPR_RFLAGS] = 2;
      stateToKvm(st, k);
      ioctl(vcpu.get(), KVM_SET_SREGS, &k.sregs);
      ioctl(vcpu.get(), KVM_SET_REGS, &k.regs);
      kvm_guest_debug dbg{};
      dbg.control = KVM_GUESTDBG_ENABLE | control;
      dbg.arch.debugreg[0] = dr0;
      dbg.arch.debugreg[7] = dr0 ? 0x401 : 0x400;
      if (ioctl(vcpu.get(), KVM_SET_GUEST_DEBUG, &dbg) != 0) return -1;
      for (int i = 0; i < 8; ++i) {
        if (ioctl(vcpu.get(), KVM_RUN, 0) != 0) continue;
        if (run->exit_reason != KVM_EXIT_DEBUG) return -1;  // HLT: the trap went to the guest
        return static_cast<int>(run->debug.arch.exception) * 0x10000 + static_cast<int>(run->debug.arch.pc);
      }
      return -1;
    };
    d.hardwareBreakpoints = attempt(KVM_GUESTDBG_USE_HW_BP, 0x100) == 0x10100;
    d.int3 = attempt(KVM_GUESTDBG_USE_SW_BP, 0) == 0x30101;
    munmap(rp, size);
  }
  munmap(page, PAGE_SIZE);
  return d;
}

const DebugSupport& debugSupport(int kvmFd) {
  static const DebugSupport d = probeGuestDebug(kvmFd);
  return d;
}

class KvmVcpu final : public HardwareVcpu {
 public:
  KvmVcpu(GuestMemory& mem, ExitHandler& h) : mem_(mem), handler_(h) {}
  ~KvmVcpu() override {
    if (run_) munmap(run_, runSize_);
    if (timerArmed_) timer_delete(timer_);
  }

  std::string init() {
    if (std::string why = openKvm(kvm_); !why.empty()) return why;
    int vm = ioctl(kvm_.get(), KVM_CREATE_VM, 0);
    if (vm < 0) {
      if (errno == EBUSY || errno == EINVAL) {
        return "KVM refused to create a VM: another hypervisor (VirtualBox, VMware) may hold VMX/SVM";
      }
      return std::string("KVM_CREATE_VM failed: ") + std::strerror(errno);
    }
    vm_ = Fd(vm);
    ioctl(vm_.get(), KVM_SET_IDENTITY_MAP_ADDR, &kIdentityMapAddr);  // Intel only; harmless elsewhere
    ioctl(vm_.get(), KVM_SET_TSS_ADDR, static_cast<unsigned long>(kTssAddr));
#ifdef KVM_CAP_EXIT_ON_EMULATION_FAILURE
    // An instruction KVM's emulator cannot do (an x87 or SSE store into a read-only page: a watched page, the
    // BIOS ROM) comes back as an exit for the software vCPU to run, without KVM also queueing #UD for the
    // guest (Linux 5.14 and later; see dropEmulationUd for older ones).
    if (ioctl(kvm_.get(), KVM_CHECK_EXTENSION, KVM_CAP_EXIT_ON_EMULATION_FAILURE) > 0) {
      kvm_enable_cap cap{};
      cap.cap = KVM_CAP_EXIT_ON_EMULATION_FAILURE;
      cap.args[0] = 1;
      ioctl(vm_.get(), KVM_ENABLE_CAP, &cap);
    }
#endif
    int vcpu = ioctl(vm_.get(), KVM_CREATE_VCPU, 0);
    if (vcpu < 0) return std::string("KVM_CREATE_VCPU failed: ") + std::strerror(errno);
    vcpu_ = Fd(vcpu);
    int size = ioctl(kvm_.get(), KVM_GET_VCPU_MMAP_SIZE, 0);
    if (size < static_cast<int>(sizeof(kvm_run))) return "KVM_GET_VCPU_MMAP_SIZE failed";
    void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu_.get(), 0);
    if (p == MAP_FAILED) return std::string("cannot map kvm_run: ") + std::strerror(errno);
    run_ = static_cast<kvm_run*>(p);
    runSize_ = size;
    hasSyncRegs_ = ioctl(kvm_.get(), KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS) > 0;
    hasXcrs_ = ioctl(kvm_.get(), KVM_CHECK_EXTENSION, KVM_CAP_XCRS) > 0;
    hasGuestDebug_ = ioctl(kvm_.get(), KVM_CHECK_EXTENSION, KVM_CAP_SET_GUEST_DEBUG) > 0;
    debug_ = debugSupport(kvm_.get());
    if (hasSyncRegs_) run_->kvm_valid_regs = KVM_SYNC_X86_REGS;  // RIP for every IO exit without an ioctl
    setCpuid();
    pageAllowed_.assign(mem_.size() >> PAGE_SHIFT, ACCESS_READ | ACCESS_WRITE | ACCESS_EXEC);
    installKickHandler();
    setState(resetState());
    return {};
  }

  const char* name() const override { return "kvm"; }
  VcpuCaps caps() const override {
    VcpuCaps c;
    c.singleStep = hasGuestDebug_;
    return c;  // breakpoints beyond four, watchpoints and counting come from the hybrid
  }

  void getState(CpuState& out) override {
    if (!cacheValid_) readState();
    out = cache_;
    out.intr.irq_vector = static_cast<int16_t>(pendingIrq_);
  }

  void setState(const CpuState& in) override {
    cache_ = in;
    cacheValid_ = true;
    dirty_ = true;
    injectable_ = (in.gprs[GPR_RFLAGS] & flags::IF) && !in.intr.int_shadow;
    // The interrupt not yet delivered belongs to the state (a restore must not keep one from elsewhere).
    pendingIrq_ = in.intr.irq_vector >= 0 && in.intr.irq_vector <= 0xFF ? in.intr.irq_vector : -1;
  }

  Exit run(uint64_t maxInstructions) override {
    Exit ex;
    if (!syncMemoryMap()) return fail(ex, errorMessage_);
    if (dirty_ && !writeState()) return fail(ex, errorMessage_);
    thread_ = pthread_self();
    prepareSignals();
    running_.store(true);
    armTimer(maxInstructions);
    offerPending();
    for (;;) {
      if (stop_.exchange(false)) {
        run_->immediate_exit = 0;
        ex.reason = ExitReason::Stopped;
        break;
      }
      int r = ioctl(vcpu_.get(), KVM_RUN, 0);
      cacheValid_ = false;
      if (r < 0) {
        if (errno == EINTR || errno == EAGAIN) {
          eatSignals();
          run_->immediate_exit = 0;
          if (stop_.exchange(false)) {
            ex.reason = ExitReason::Stopped;
            break;
          }
          if (timerExpired()) {
            ex.reason = ExitReason::None;
            break;
          }
          continue;
        }
        fail(ex, std::string("KVM_RUN failed: ") + std::strerror(errno));
        break;
      }
      injectable_ = run_->ready_for_interrupt_injection && run_->if_flag;
      if (run_->exit_reason == KVM_EXIT_IRQ_WINDOW_OPEN && pendingIrq_ >= 0) {
        offerPending();
        if (!windowWanted_) continue;  // the window was ours alone
      }
      if (run_->exit_reason == KVM_EXIT_IRQ_WINDOW_OPEN) windowWanted_ = false;
      uint64_t rip = hasSyncRegs_ ? run_->s.regs.regs.rip : 0;
      KvmExitOutcome o = translateKvmExit(*run_, runSize_, mem_, pageAllowed_, handler_, rip);
      if (!o.returnToCaller && o.needsCompletion && debugStep_) {
        // Single-stepping an IN/OUT or an MMIO access: some KVMs (seen with kvm_pvm) lose the #DB after they
        // complete the instruction and run on to the next one. Completing it here gives one step either way.
        complete();
        CpuState s;
        getState(s);
        ex.reason = ExitReason::Debug;
        ex.u.debug.kind = DebugKind::Step;
        ex.u.debug.id = -1;
        ex.u.debug.address = s.segs[SEG_CS].base + s.gprs[GPR_RIP];
        break;
      }
      if (!o.returnToCaller) continue;
      if (o.needsCompletion) complete();
      if (o.exit.reason == ExitReason::Invalid) {
        errorMessage_ = o.error;
        dropEmulationUd();
      }
      ex = o.exit;
      break;
    }
    disarmTimer();
    running_.store(false);
    return ex;
  }

  void requestStop() override {
    stop_.store(true);
    if (run_) run_->immediate_exit = 1;
    if (running_.load()) pthread_kill(thread_, kickSignal());
  }

  bool interruptsEnabled() override {
    if (cacheValid_) return cache_.gprs[GPR_RFLAGS] & flags::IF;
    kvm_regs regs{};
    if (ioctl(vcpu_.get(), KVM_GET_REGS, &regs) != 0) {
      CpuState st;
      getState(st);
      return st.gprs[GPR_RFLAGS] & flags::IF;
    }
    return regs.rflags & flags::IF;
  }
  bool canInjectInterrupt() override { return injectable_ && pendingIrq_ < 0; }
  // Held until a run starts with the guest able to take it (offerPending): once given to KVM it cannot be
  // taken back (KVM_GET_VCPU_EVENTS does not show it before delivery), and the hybrid may hand the state to
  // the software vCPU first; KVMs before pending_external_vector also delivered it regardless of IF.
  void injectInterrupt(uint8_t vector) override {
    pendingIrq_ = vector;
    injectable_ = false;
  }
  void requestInterruptWindow(bool on) override {
    windowWanted_ = on;
    run_->request_interrupt_window = on || pendingIrq_ >= 0 ? 1 : 0;
  }
  int takePendingInterrupt() override {
    const int v = pendingIrq_;
    pendingIrq_ = -1;
    run_->request_interrupt_window = windowWanted_ ? 1 : 0;
    return v;
  }

  // --- HardwareVcpu
  bool setGuestDebug(bool singleStep, const std::vector<uint64_t>& bps) override {
    if (!hasGuestDebug_ || bps.size() > static_cast<size_t>(hardwareBreakpointSlots())) return false;
    kvm_guest_debug dbg{};
    dbg.control = 0;
    if (singleStep || !bps.empty() || swBreakpoints_) dbg.control |= KVM_GUESTDBG_ENABLE;
    if (singleStep) dbg.control |= KVM_GUESTDBG_SINGLESTEP;
    if (swBreakpoints_ && debug_.int3) dbg.control |= KVM_GUESTDBG_USE_SW_BP;
    if (!bps.empty()) {
      dbg.control |= KVM_GUESTDBG_USE_HW_BP;
      uint64_t dr7 = 0x400;
      for (size_t i = 0; i < bps.size(); ++i) {
        dbg.arch.debugreg[i] = bps[i];
        dr7 |= 1ull << (i * 2);  // local enable, RW=00 (execute), LEN=00
      }
      dbg.arch.debugreg[7] = dr7;
    }
    if (dirty_) writeState();
    if (ioctl(vcpu_.get(), KVM_SET_GUEST_DEBUG, &dbg) != 0) return false;
    debugStep_ = singleStep;
    debugBps_ = bps;
    return true;
  }
  int hardwareBreakpointSlots() const override { return debug_.hardwareBreakpoints ? 4 : 0; }
  // INT3 where KVM traps it; otherwise HLT, which always exits (ring-0 guest code only).
  uint8_t breakpointOpcode() const override { return debug_.int3 ? 0xCC : 0xF4; }
  void enableSoftwareBreakpoints(bool on) override {
    if (swBreakpoints_ == on) return;
    swBreakpoints_ = on;
    setGuestDebug(debugStep_, debugBps_);
  }

  bool protectPage(uint64_t gpa, uint8_t allowed) override {
    uint64_t page = gpa >> PAGE_SHIFT;
    if (page >= pageAllowed_.size()) return false;
    // Read protection would mean no memory slot, and KVM cannot fetch instructions from MMIO.
    if (!(allowed & ACCESS_READ) || !(allowed & ACCESS_EXEC)) return false;
    pageAllowed_[page] = allowed;
    return true;
  }
  bool memoryExitCompleted() const override { return true; }

  bool takeDirtyPages(std::vector<uint64_t>& pages) override {
    for (const Slot& s : slots_) collectDirty(s, pages);
    return true;
  }

  std::string errorMessage() const override { return errorMessage_; }

 private:
  struct Slot {
    uint32_t id;
    uint64_t gpa;
    uint64_t size;
    bool readOnly;
  };

  Exit& fail(Exit& ex, const std::string& why) {
    errorMessage_ = why;
    ex.reason = ExitReason::Invalid;
    ex.u.invalid.hwcode = ~0ull;
    return ex;
  }

  // The kick signal stays blocked in the vCPU thread and is unblocked only inside KVM_RUN (as QEMU does): a
  // kick that lands just before KVM_RUN then stays pending and makes it return at once, instead of being
  // handled in user space and lost. After KVM_RUN returns -EINTR the pending kick is taken off the queue.
  void prepareSignals() {
    const pid_t tid = static_cast<pid_t>(gettid());
    if (signalTid_ == tid) return;
    sigset_t kick;
    sigemptyset(&kick);
    sigaddset(&kick, kickSignal());
    pthread_sigmask(SIG_BLOCK, &kick, nullptr);
    sigset_t inside;
    pthread_sigmask(SIG_BLOCK, nullptr, &inside);
    sigdelset(&inside, kickSignal());
    struct {
      uint32_t len;
      uint8_t sigset[8];
    } mask;
    mask.len = 8;  // the kernel's sigset_t
    std::memcpy(mask.sigset, &inside, 8);
    ioctl(vcpu_.get(), kKvmSetSignalMask, &mask);
    signalTid_ = tid;
  }
  void eatSignals() {
    sigset_t kick;
    sigemptyset(&kick);
    sigaddset(&kick, kickSignal());
    timespec zero{};
    while (sigtimedwait(&kick, nullptr, &zero) > 0) {}
  }

  // KVM finishes an IO/MMIO instruction only when KVM_RUN is entered again; immediate_exit makes that entry
  // return at once, so the state we hand out is the one after the instruction.
  void complete() {
    run_->immediate_exit = 1;
    if (ioctl(vcpu_.get(), KVM_RUN, 0) != 0) eatSignals();
    run_->immediate_exit = stop_.load() ? 1 : 0;
    cacheValid_ = false;
  }

  // The held interrupt goes to KVM when the state the run starts from can take it (IF set, no interrupt
  // shadow); otherwise the interrupt window brings the run back here when it can.
  void offerPending() {
    if (pendingIrq_ < 0) return;
    if (!cacheValid_) readState();
    if ((cache_.gprs[GPR_RFLAGS] & flags::IF) && !cache_.intr.int_shadow && !cache_.intr.evt_pending) {
      kvm_interrupt irq{};
      irq.irq = static_cast<uint32_t>(pendingIrq_);
      if (ioctl(vcpu_.get(), KVM_INTERRUPT, &irq) == 0) {
        pendingIrq_ = -1;
        injectable_ = false;
        run_->request_interrupt_window = windowWanted_ ? 1 : 0;
        return;
      }
    }
    run_->request_interrupt_window = 1;
  }

  void setCpuid() {
    constexpr int kMax = 100;
    std::vector<uint8_t> buf(sizeof(KvmFlexHeader) + kMax * sizeof(kvm_cpuid_entry2));
    auto* c = reinterpret_cast<KvmFlexHeader*>(buf.data());
    c->count = kMax;
    if (ioctl(kvm_.get(), kKvmGetSupportedCpuid, c) == 0) ioctl(vcpu_.get(), kKvmSetCpuid2, c);
  }

  // One slot per run of pages with the same permission: ROM and write-protected pages read-only; device
  // pages (the VGA's planes) no slot at all, so every access there is an MMIO exit.
  bool syncMemoryMap() {
    const uint64_t pages = mem_.size() >> PAGE_SHIFT;
    std::vector<uint8_t> key(pages);
    for (uint64_t p = 0; p < pages; ++p) {
      const uint8_t f = mem_.pageFlags()[p];
      key[p] = (f & PAGE_DEVICE) ? 2 : ((f & PAGE_ROM) || !(pageAllowed_[p] & ACCESS_WRITE)) ? 1 : 0;
    }
    if (key == slotKey_ && !slots_.empty()) return true;
    std::vector<uint64_t> dirty;
    for (const Slot& s : slots_) {
      collectDirty(s, dirty);
      kvm_userspace_memory_region r{};
      r.slot = s.id;
      r.guest_phys_addr = s.gpa;
      r.memory_size = 0;
      r.userspace_addr = reinterpret_cast<uint64_t>(mem_.data() + s.gpa);
      ioctl(vm_.get(), KVM_SET_USER_MEMORY_REGION, &r);
    }
    pendingDirty_.insert(pendingDirty_.end(), dirty.begin(), dirty.end());
    slots_.clear();
    uint32_t id = 0;
    for (uint64_t p = 0; p < pages;) {
      uint64_t q = p;
      while (q < pages && key[q] == key[p]) ++q;
      if (key[p] == 2) {
        p = q;
        continue;
      }
      Slot s{id++, p << PAGE_SHIFT, (q - p) << PAGE_SHIFT, key[p] != 0};
      kvm_userspace_memory_region r{};
      r.slot = s.id;
      r.flags = s.readOnly ? KVM_MEM_READONLY : KVM_MEM_LOG_DIRTY_PAGES;
      r.guest_phys_addr = s.gpa;
      r.memory_size = s.size;
      r.userspace_addr = reinterpret_cast<uint64_t>(mem_.data() + s.gpa);
      if (ioctl(vm_.get(), KVM_SET_USER_MEMORY_REGION, &r) != 0) {
        errorMessage_ = std::string("KVM_SET_USER_MEMORY_REGION failed: ") + std::strerror(errno);
        return false;
      }
      slots_.push_back(s);
      p = q;
    }
    slotKey_ = std::move(key);
    return true;
  }

  void collectDirty(const Slot& s, std::vector<uint64_t>& pages) {
    if (!pendingDirty_.empty()) {
      pages.insert(pages.end(), pendingDirty_.begin(), pendingDirty_.end());
      pendingDirty_.clear();
    }
    if (s.readOnly) return;
    const uint64_t n = s.size >> PAGE_SHIFT;
    std::vector<uint64_t> bitmap((n + 63) / 64);
    kvm_dirty_log log{};
    log.slot = s.id;
    log.dirty_bitmap = bitmap.data();
    if (ioctl(vm_.get(), KVM_GET_DIRTY_LOG, &log) != 0) return;
    for (uint64_t i = 0; i < n; ++i) {
      if (bitmap[i / 64] & (1ull << (i % 64))) pages.push_back((s.gpa >> PAGE_SHIFT) + i);
    }
  }

  // Without KVM_CAP_EXIT_ON_EMULATION_FAILURE, KVM reports an instruction its emulator failed on at CPL 0 and
  // also queues #UD for the guest. The instruction is valid (the software vCPU runs it, in the hybrid); left
  // queued, the #UD was delivered at the next run wherever the guest then was: with a write watchpoint on the
  // page bploop.asm's FSTP writes, the real-mode guest jumped through IVT[6] to 0000:0000.
  void dropEmulationUd() {
    if (run_->exit_reason != KVM_EXIT_INTERNAL_ERROR || run_->internal.suberror != KVM_INTERNAL_ERROR_EMULATION) return;
    kvm_vcpu_events e{};
    if (ioctl(vcpu_.get(), KVM_GET_VCPU_EVENTS, &e) != 0) return;
    if (!(e.exception.injected || e.exception.pending) || e.exception.nr != 6) return;
    e.exception.injected = 0;
    e.exception.pending = 0;
    e.flags = 0;
    ioctl(vcpu_.get(), KVM_SET_VCPU_EVENTS, &e);
    cacheValid_ = false;
  }

  void readState() {
    KvmRegisterSet k;
    ioctl(vcpu_.get(), KVM_GET_REGS, &k.regs);
    ioctl(vcpu_.get(), KVM_GET_SREGS, &k.sregs);
    ioctl(vcpu_.get(), KVM_GET_DEBUGREGS, &k.debugregs);
    ioctl(vcpu_.get(), KVM_GET_VCPU_EVENTS, &k.events);
    ioctl(vcpu_.get(), KVM_GET_FPU, &k.fpu);
    prepareKvmMsrs(k.msrs);
    int n = ioctl(vcpu_.get(), kKvmGetMsrs, &k.msrs);
    k.msrs.nmsrs = n < 0 ? 0 : n;
    k.xcr0 = readXcr0();
    bool halted = cache_.halted;
    stateFromKvm(k, cache_);
    selectors_.restore(cache_.fpu);
    cache_.halted = halted;
    cacheValid_ = true;
  }

  uint64_t readXcr0() {
    if (!hasXcrs_) return 1;
    kvm_xcrs x{};
    if (ioctl(vcpu_.get(), KVM_GET_XCRS, &x) != 0) return 1;
    for (uint32_t i = 0; i < x.nr_xcrs; ++i) {
      if (x.xcrs[i].xcr == 0) return x.xcrs[i].value;
    }
    return 1;
  }

  bool writeState() {
    KvmRegisterSet k;
    // Start from KVM's own structures so fields CpuState does not carry (apic_base, queued events) survive.
    ioctl(vcpu_.get(), KVM_GET_SREGS, &k.sregs);
    ioctl(vcpu_.get(), KVM_GET_VCPU_EVENTS, &k.events);
    ioctl(vcpu_.get(), KVM_GET_FPU, &k.fpu);  // keeps the SSE half, which CpuState does not carry
    stateToKvm(cache_, k);
    selectors_.remember(cache_.fpu);
    const char* what = nullptr;
    if (ioctl(vcpu_.get(), KVM_SET_SREGS, &k.sregs) != 0) what = "KVM_SET_SREGS";
    else if (ioctl(vcpu_.get(), KVM_SET_REGS, &k.regs) != 0) what = "KVM_SET_REGS";
    else if (ioctl(vcpu_.get(), KVM_SET_DEBUGREGS, &k.debugregs) != 0) what = "KVM_SET_DEBUGREGS";
    else if (ioctl(vcpu_.get(), KVM_SET_VCPU_EVENTS, &k.events) != 0) what = "KVM_SET_VCPU_EVENTS";
    else if (ioctl(vcpu_.get(), kKvmSetMsrs, &k.msrs) < 0) what = "KVM_SET_MSRS";
    else if (!setKvmFpu(vcpu_.get(), k.fpu)) what = "KVM_SET_FPU/KVM_SET_XSAVE";
    if (what) {
      errorMessage_ = std::string(what) + " refused the state: " + std::strerror(errno);
      return false;
    }
    if (hasXcrs_ && k.xcr0 != readXcr0()) {
      kvm_xcrs x{};
      x.nr_xcrs = 1;
      x.xcrs[0].xcr = 0;
      x.xcrs[0].value = k.xcr0;
      ioctl(vcpu_.get(), KVM_SET_XCRS, &x);  // a value KVM refuses leaves its own: x87 always works
    }
    dirty_ = false;
    return true;
  }

  // The machine's timers need the vCPU back now and then: maxInstructions becomes a time slice at roughly
  // one instruction per nanosecond, between 100 us and 20 ms.
  void armTimer(uint64_t maxInstructions) {
    uint64_t ns = maxInstructions;
    if (ns < 100000) ns = 100000;
    if (ns > 20000000) ns = 20000000;
    // SIGEV_THREAD_ID delivers to the vCPU thread, not the process; a new thread needs a new timer.
    const pid_t tid = static_cast<pid_t>(gettid());
    if (!timerArmed_ || timerTid_ != tid) {
      if (timerArmed_) timer_delete(timer_);
      sigevent sev{};
      sev.sigev_notify = SIGEV_THREAD_ID;
      sev.sigev_signo = kickSignal();
      sev._sigev_un._tid = tid;
      timerArmed_ = timer_create(CLOCK_MONOTONIC, &sev, &timer_) == 0;
      timerTid_ = tid;
      if (!timerArmed_) return;
    }
    itimerspec its{};
    its.it_value.tv_sec = ns / 1000000000;
    its.it_value.tv_nsec = ns % 1000000000;
    timer_settime(timer_, 0, &its, nullptr);
  }
  void disarmTimer() {
    if (!timerArmed_) return;
    itimerspec its{};
    timer_settime(timer_, 0, &its, nullptr);
  }
  bool timerExpired() {
    if (!timerArmed_) return false;
    itimerspec its{};
    timer_gettime(timer_, &its);
    return its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0;
  }

  GuestMemory& mem_;
  ExitHandler& handler_;
  Fd kvm_, vm_, vcpu_;
  kvm_run* run_ = nullptr;
  size_t runSize_ = 0;
  bool hasSyncRegs_ = false, hasXcrs_ = false, hasGuestDebug_ = false;
  DebugSupport debug_;
  CpuState cache_;
  bool cacheValid_ = false;
  FpuSelectors selectors_;  // the x87 selectors the hardware does not keep
  bool dirty_ = false;
  bool injectable_ = false;
  int pendingIrq_ = -1;        // accepted by injectInterrupt, not yet given to KVM
  bool windowWanted_ = false;  // the caller asked for an InterruptWindow exit
  std::vector<uint8_t> pageAllowed_;
  std::vector<uint8_t> slotKey_;
  std::vector<Slot> slots_;
  std::vector<uint64_t> pendingDirty_;
  bool debugStep_ = false;
  bool swBreakpoints_ = false;
  std::vector<uint64_t> debugBps_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> running_{false};
  pthread_t thread_{};
  timer_t timer_{};
  bool timerArmed_ = false;
  pid_t timerTid_ = 0;
  pid_t signalTid_ = 0;
  std::string errorMessage_;
};

}  // namespace

std::string kvmUnavailableReason() {
  Fd fd;
  return openKvm(fd);
}

std::unique_ptr<HardwareVcpu> createKvmVcpu(GuestMemory& memory, ExitHandler& handler, std::string& whyNot) {
  if (!memory.data()) {
    whyNot = "guest memory could not be allocated";
    return nullptr;
  }
  auto v = std::make_unique<KvmVcpu>(memory, handler);
  whyNot = v->init();
  if (!whyNot.empty()) return nullptr;
  return v;
}

}  // namespace bv
