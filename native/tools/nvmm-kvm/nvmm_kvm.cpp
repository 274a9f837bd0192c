// libnvmm's entry points over /dev/kvm: init and capability, machines and vCPUs, host and guest mappings,
// state with the comm page's cached/commit semantics, deferred event injection, run with NVMM's exits, and
// stop. See nvmm_kvm.h for the model and README.md ("nvmm over KVM") for what is strict and why.
#include "nvmm_kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "backends/kvm_state.h"  // ioctl numbers for KVM's flexible-array structures

using namespace nvmmkvm;

namespace {

constexpr uint32_t kMaxMachines = 128;
constexpr uint32_t kMaxVcpus = 256;
constexpr size_t kMaxHvaRanges = 32;
constexpr uint64_t kMaxRam = 128ull << 30;
constexpr uint64_t kPage = 4096;
constexpr uint64_t kProvidedAfterAccess =
    NVMM_X64_STATE_GPRS | NVMM_X64_STATE_SEGS | NVMM_X64_STATE_CRS | NVMM_X64_STATE_MSRS;

int gKvm = -1;
bool gUserMsrExits = false;
std::mutex gMu;
Machine* gMachines[kMaxMachines];

// The signal nvmm_vcpu_stop sends to a vCPU inside KVM_RUN: NVMM's kernel notices `stop` at its next exit,
// KVM only when something makes KVM_RUN return.
int stopSignal() { return SIGRTMIN + 5; }
void onStopSignal(int) {}

int fail(int err) {
  errno = err;
  return -1;
}

bool aligned(uint64_t v) { return (v & (kPage - 1)) == 0; }

Machine* machineOf(nvmm_machine* mach) {
  if (!mach || mach->machid >= kMaxMachines) return nullptr;
  std::lock_guard<std::mutex> lock(gMu);
  Machine* m = gMachines[mach->machid];
  return m && mach->areas == m ? m : nullptr;
}

Vcpu* vcpuOf(Machine* m, nvmm_vcpu* vcpu) {
  if (!m || !vcpu || vcpu->cpuid >= m->vcpus.size()) return nullptr;
  Vcpu* v = m->vcpus[vcpu->cpuid];
  return v && vcpu->state == &v->comm->state ? v : nullptr;
}

int newSlot(Machine& m) {
  for (size_t i = 0; i < m.slotUsed.size(); ++i) {
    if (!m.slotUsed[i]) {
      m.slotUsed[i] = true;
      return static_cast<int>(i);
    }
  }
  m.slotUsed.push_back(true);
  return static_cast<int>(m.slotUsed.size() - 1);
}

// How KVM sees an area. Normal: through the alias, whose host protection makes a forbidden access fail
// KVM_RUN with EFAULT before the instruction runs (pre-instruction state, as NVMM reports it). While probing
// that one instruction, single-stepped: read-only areas become KVM read-only slots (a write comes back as an
// MMIO exit with the address and data), execute-only areas are left out (every data access is an MMIO exit)
// except the one the instruction is fetched from, readable then.
enum Layout { kNormal = 0, kReadOnlyAlias = 1, kReadOnlyView = 2, kAbsent = 3 };

bool setLayout(Machine& m, Area& a, int layout) {
  if (a.layout == layout) return true;
  kvm_userspace_memory_region r{};
  r.slot = static_cast<uint32_t>(a.slot);
  r.guest_phys_addr = a.gpa;
  if (a.layout != kAbsent) {  // KVM changes neither the read-only flag nor the address of a slot: delete it
    r.memory_size = 0;
    r.userspace_addr = a.alias;
    if (ioctl(m.vmFd, KVM_SET_USER_MEMORY_REGION, &r) != 0) return false;
  }
  a.layout = kAbsent;
  if (layout == kAbsent) return true;
  r.flags = layout == kNormal ? 0 : KVM_MEM_READONLY;
  r.memory_size = a.size;
  r.userspace_addr = layout == kReadOnlyView ? a.hva : a.alias;
  if (ioctl(m.vmFd, KVM_SET_USER_MEMORY_REGION, &r) != 0) return false;
  a.layout = layout;
  return true;
}

const Area* executeOnlyAreaAt(Machine& m, uint64_t gpa) {
  const Area* a = areaAt(m, gpa);
  return a && !(a->prot & PROT_READ) && (a->prot & PROT_EXEC) ? a : nullptr;
}

bool setProbe(Vcpu& v, bool on, uint64_t fetchGpa) {
  Machine& m = *v.mach;
  const Area* fetch = on ? executeOnlyAreaAt(m, fetchGpa) : nullptr;
  for (Area& a : m.areas) {
    const bool full = (a.prot & (PROT_READ | PROT_WRITE | PROT_EXEC)) == (PROT_READ | PROT_WRITE | PROT_EXEC);
    int want = kNormal;
    if (on && !full) want = (a.prot & PROT_READ) ? kReadOnlyAlias : (&a == fetch ? kReadOnlyView : kAbsent);
    if (!setLayout(m, a, want)) return false;
  }
  if (on != v.probing) {
    kvm_guest_debug dbg{};
    if (on) dbg.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP;
    if (ioctl(v.fd, KVM_SET_GUEST_DEBUG, &dbg) != 0) return false;
    v.probing = on;
  }
  return true;
}

uint64_t physicalRip(Vcpu& v, const kvm_regs& r, const kvm_sregs& s) {
  const bool longMode = s.cs.l && (s.efer & 0x400);
  uint64_t gpa = ~0ull;
  if (!linearToPhysical(v, (longMode ? 0 : s.cs.base) + r.rip, gpa)) return ~0ull;
  return gpa;
}

uint64_t currentPhysicalRip(Vcpu& v) {
  kvm_regs r{};
  kvm_sregs s{};
  if (ioctl(v.fd, KVM_GET_REGS, &r) != 0 || ioctl(v.fd, KVM_GET_SREGS, &s) != 0) return ~0ull;
  return physicalRip(v, r, s);
}

// NVMM's kernel rules for an event (nvmm_x86_{vmx,svm}.c: *_vcpu_inject), applied when the run starts.
bool commitEvent(Vcpu& v) {
  const nvmm_x86_event& e = v.comm->event;
  if (e.type == NVMM_VCPU_EVENT_EXCP) {
    if (e.vector == 0 || e.vector == 2 || e.vector == 3 || e.vector >= 32) return false;
    kvm_vcpu_events ev{};
    if (ioctl(v.fd, KVM_GET_VCPU_EVENTS, &ev) != 0) return false;
    ev.exception.injected = 1;
    ev.exception.nr = e.vector;
    const bool code = e.vector == 8 || (e.vector >= 10 && e.vector <= 14) || e.vector == 17 || e.vector == 30;
    ev.exception.has_error_code = code;
    ev.exception.error_code = static_cast<uint32_t>(e.u.excp.error);
    ev.flags = 0;
    return ioctl(v.fd, KVM_SET_VCPU_EVENTS, &ev) == 0;
  }
  if (e.type != NVMM_VCPU_EVENT_INTR) return false;
  if (e.vector == 2) return ioctl(v.fd, KVM_NMI) == 0;
  // Strict: libnvmm(3) says an interrupt must wait for the interrupt window (IF set, no shadow). VMX refuses
  // the entry otherwise, SVM would deliver it regardless: the shim refuses it.
  kvm_regs r{};
  kvm_vcpu_events ev{};
  if (ioctl(v.fd, KVM_GET_REGS, &r) != 0 || ioctl(v.fd, KVM_GET_VCPU_EVENTS, &ev) != 0) return false;
  if (!(r.rflags & 0x200) || ev.interrupt.shadow || ev.interrupt.injected || ev.exception.injected) return false;
  kvm_interrupt irq{};
  irq.irq = e.vector;
  return ioctl(v.fd, KVM_INTERRUPT, &irq) == 0;
}

void fillExitState(Vcpu& v) {
  kvm_regs r{};
  kvm_vcpu_events e{};
  ioctl(v.fd, KVM_GET_REGS, &r);
  ioctl(v.fd, KVM_GET_VCPU_EVENTS, &e);
  auto& x = v.exit->exitstate;
  x.rflags = r.rflags;
  x.cr8 = v.run->cr8;
  x.int_shadow = e.interrupt.shadow ? 1 : 0;
  x.int_window_exiting = v.windowExiting ? 1 : 0;
  x.nmi_window_exiting = 0;
  x.evt_pending = (e.exception.injected || e.exception.pending || e.interrupt.injected || e.nmi.injected) ? 1 : 0;
}

// After IO and MEMORY exits NVMM's kernel hands over GPRS, SEGS, CRS and MSRS with the exit; the state is the
// one before the instruction.
void providePreState(Vcpu& v, uint64_t flags) {
  nvmm_comm_page* c = v.comm;
  if (flags & NVMM_X64_STATE_GPRS) stateFromKvmRegs(v.preRegs, c->state);
  if (flags & (NVMM_X64_STATE_SEGS | NVMM_X64_STATE_CRS)) {
    nvmm_x64_state t = c->state;
    stateFromKvmSregs(v.preSregs, t);
    std::memcpy(c->state.segs, t.segs, sizeof t.segs);
    std::memcpy(c->state.crs, t.crs, sizeof t.crs);
    c->state.msrs[NVMM_X64_MSR_EFER] = t.msrs[NVMM_X64_MSR_EFER];
  }
  if (flags & (NVMM_X64_STATE_CRS | NVMM_X64_STATE_MSRS)) {
    nvmm_x64_state t = c->state;
    if (readState(v, NVMM_X64_STATE_MSRS | NVMM_X64_STATE_CRS, t)) {
      c->state.crs[NVMM_X64_CR_XCR0] = t.crs[NVMM_X64_CR_XCR0];
      std::memcpy(&c->state.msrs[NVMM_X64_MSR_STAR], &t.msrs[NVMM_X64_MSR_STAR],
                  sizeof(uint64_t) * (NVMM_X64_NMSR - NVMM_X64_MSR_STAR));
    }
  }
  c->state_cached |= flags;
}

void invalid(Vcpu& v, uint64_t hwcode) {
  v.exit->reason = NVMM_VCPU_EXIT_INVALID;
  v.exit->u.inv.hwcode = hwcode;
}

// One KVM exit in NVMM's terms. True when nvmm_vcpu_run returns with it.
bool translateExit(Vcpu& v) {
  kvm_run* run = v.run;
  nvmm_vcpu_exit* x = v.exit;
  switch (run->exit_reason) {
    case KVM_EXIT_IO:
    case KVM_EXIT_MMIO:
    case KVM_EXIT_X86_RDMSR:
    case KVM_EXIT_X86_WRMSR: {
      if (!v.probing) {  // else the state saved before the step: KVM may already have written back
        ioctl(v.fd, KVM_GET_REGS, &v.preRegs);
        ioctl(v.fd, KVM_GET_SREGS, &v.preSregs);
      }
      if (run->exit_reason == KVM_EXIT_MMIO && v.probing && run->mmio.is_write) {
        // A write to a protected page: KVM has run the whole instruction. Keep its write and the state after
        // it, finish it inside KVM without effect, and go back to before it.
        v.writeGpa = run->mmio.phys_addr;
        v.writeLen = run->mmio.len > 8 ? 8 : run->mmio.len;
        std::memcpy(v.writeData, run->mmio.data, v.writeLen);
        v.pending = Pending::Mmio;
        finishPending(v, nullptr, nullptr, false);
        ioctl(v.fd, KVM_GET_REGS, &v.postRegs);
        ioctl(v.fd, KVM_GET_SREGS, &v.postSregs);
        ioctl(v.fd, KVM_SET_REGS, &v.preRegs);
        ioctl(v.fd, KVM_SET_SREGS, &v.preSregs);
        v.pending = Pending::Write;
        x->reason = NVMM_VCPU_EXIT_MEMORY;
        x->u.mem.prot = PROT_WRITE;
        x->u.mem.gpa = v.writeGpa;
        x->u.mem.inst_len = 0;
        providePreState(v, kProvidedAfterAccess);
        return true;
      }
      if (run->exit_reason == KVM_EXIT_IO) {
        v.pending = Pending::Io;
        x->reason = NVMM_VCPU_EXIT_IO;
        describeIo(v, v.preRegs, v.preSregs, x->u.io);
        providePreState(v, kProvidedAfterAccess);
      } else if (run->exit_reason == KVM_EXIT_MMIO) {
        v.pending = Pending::Mmio;
        x->reason = NVMM_VCPU_EXIT_MEMORY;
        x->u.mem.prot = run->mmio.is_write ? PROT_WRITE : PROT_READ;
        x->u.mem.gpa = run->mmio.phys_addr;
        x->u.mem.inst_len = 0;  // as NVMM on VMX: the assist fetches the instruction itself
        providePreState(v, kProvidedAfterAccess);
      } else {
        v.pending = Pending::Msr;
        const bool rd = run->exit_reason == KVM_EXIT_X86_RDMSR;
        x->reason = rd ? NVMM_VCPU_EXIT_RDMSR : NVMM_VCPU_EXIT_WRMSR;
        if (rd) {
          x->u.rdmsr.msr = run->msr.index;
          x->u.rdmsr.npc = v.preRegs.rip + 2;
        } else {
          x->u.wrmsr.msr = run->msr.index;
          x->u.wrmsr.val = run->msr.data;
          x->u.wrmsr.npc = v.preRegs.rip + 2;
        }
        providePreState(v, NVMM_X64_STATE_GPRS);
      }
      return true;
    }
    case KVM_EXIT_HLT: x->reason = NVMM_VCPU_EXIT_HALTED; return true;  // RIP is past the HLT, as on NVMM
    case KVM_EXIT_SHUTDOWN: x->reason = NVMM_VCPU_EXIT_SHUTDOWN; return true;
    case KVM_EXIT_IRQ_WINDOW_OPEN:
      v.windowExiting = false;  // NVMM turns window exiting off when it reports the window
      x->reason = NVMM_VCPU_EXIT_INT_READY;
      return true;
    case KVM_EXIT_INTR: x->reason = NVMM_VCPU_EXIT_NONE; return true;
    case KVM_EXIT_DEBUG: {
      if (!v.probing) {
        invalid(v, KVM_EXIT_DEBUG);
        return true;
      }
      // The probed instruction ran without a forbidden access. Code on an execute-only page goes on being
      // stepped; elsewhere the protected areas go back to faulting.
      const uint64_t gpa = currentPhysicalRip(v);
      if (!setProbe(v, executeOnlyAreaAt(*v.mach, gpa) != nullptr, gpa)) invalid(v, ~0ull);
      return v.exit->reason == NVMM_VCPU_EXIT_INVALID;
    }
    case KVM_EXIT_INTERNAL_ERROR: {
      // KVM could not fetch the instruction: nothing is mapped at RIP. NVMM reports a MEMORY exit for the
      // execute access.
      kvm_regs r{};
      kvm_sregs s{};
      ioctl(v.fd, KVM_GET_REGS, &r);
      ioctl(v.fd, KVM_GET_SREGS, &s);
      const uint64_t gpa = physicalRip(v, r, s);
      if (run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION && gpa != ~0ull) {
        kvm_vcpu_events e{};
        ioctl(v.fd, KVM_GET_VCPU_EVENTS, &e);
        if (e.exception.injected || e.exception.pending) {  // KVM's #UD for the failed emulation: not the guest's
          e.exception.injected = e.exception.pending = 0;
          e.flags = 0;
          ioctl(v.fd, KVM_SET_VCPU_EVENTS, &e);
        }
        if (!areaAt(*v.mach, gpa)) {
          x->reason = NVMM_VCPU_EXIT_MEMORY;
          x->u.mem.prot = PROT_EXEC;
          x->u.mem.gpa = gpa;
          x->u.mem.inst_len = 0;
          return true;
        }
      }
      invalid(v, 0x10000u | run->internal.suberror);
      return true;
    }
    case KVM_EXIT_FAIL_ENTRY: invalid(v, ~0ull); return true;  // NVMM: hwcode -1 when entry itself fails
    default: invalid(v, run->exit_reason); return true;
  }
}

}  // namespace

extern "C" {

int nvmm_init(void) {
  if (gKvm >= 0) return fail(EBUSY);  // strict: libnvmm(3) says once per process
  int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (fd < 0) return fail(errno == ENOENT ? ENOENT : errno == EACCES ? EACCES : ENXIO);
  if (ioctl(fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION ||
      ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) <= 0 ||
      ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) <= 0) {
    close(fd);
    return fail(ENXIO);
  }
  gUserMsrExits = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_X86_USER_SPACE_MSR) > 0;
  struct sigaction sa {};
  sa.sa_handler = onStopSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(stopSignal(), &sa, nullptr);  // no SA_RESTART: KVM_RUN must return
  gKvm = fd;
  return 0;
}

int nvmm_capability(struct nvmm_capability* cap) {
  if (gKvm < 0) return fail(ENXIO);
  if (!cap) return fail(EFAULT);
  std::memset(cap, 0, sizeof *cap);
  cap->version = NVMM_KERN_VERSION;
  cap->state_size = sizeof(struct nvmm_x64_state);
  cap->max_machines = kMaxMachines;
  cap->max_vcpus = kMaxVcpus;
  cap->max_ram = kMaxRam;
  cap->arch.mach_conf_support = 0;
  cap->arch.vcpu_conf_support = 0;  // neither CPUID nor TPR configuration: the shim refuses both
  cap->arch.xcr0_mask = 0x7;
  cap->arch.mxcsr_mask = 0xFFFF;
  cap->arch.conf_cpuid_maxops = 0;
  return 0;
}

int nvmm_machine_create(struct nvmm_machine* mach) {
  if (gKvm < 0) return fail(ENXIO);
  if (!mach) return fail(EFAULT);
  std::lock_guard<std::mutex> lock(gMu);
  uint32_t id = 0;
  while (id < kMaxMachines && gMachines[id]) ++id;
  if (id == kMaxMachines) return fail(ENOBUFS);
  int vm = ioctl(gKvm, KVM_CREATE_VM, 0);
  if (vm < 0) return fail(ENOBUFS);
  uint64_t identity = 0xFFFBC000;  // Intel hosts without unrestricted guest; harmless on AMD
  ioctl(vm, KVM_SET_IDENTITY_MAP_ADDR, &identity);
  ioctl(vm, KVM_SET_TSS_ADDR, 0xFFFBD000ul);
  kvm_enable_cap cap{};
  cap.cap = KVM_CAP_EXIT_ON_EMULATION_FAILURE;  // a failed fetch exits instead of becoming the guest's #UD
  cap.args[0] = 1;
  ioctl(vm, KVM_ENABLE_CAP, &cap);
  if (gUserMsrExits) {
    // MSRs KVM does not know exit to user space, as NVMM's RDMSR/WRMSR exits do (KVM would inject #GP).
    kvm_enable_cap msr{};
    msr.cap = KVM_CAP_X86_USER_SPACE_MSR;
    msr.args[0] = KVM_MSR_EXIT_REASON_UNKNOWN;
    ioctl(vm, KVM_ENABLE_CAP, &msr);
  }
  auto* m = new Machine;
  m->id = id;
  m->vmFd = vm;
  m->vcpus.assign(kMaxVcpus, nullptr);
  gMachines[id] = m;
  std::memset(mach, 0, sizeof *mach);
  mach->machid = id;
  // An array of pointers, one per vCPU: sizeof a pointer is meant.
  mach->pages = static_cast<nvmm_comm_page**>(
      std::calloc(kMaxVcpus, sizeof(nvmm_comm_page*)));  // NOLINT(bugprone-sizeof-expression)
  mach->areas = m;
  return 0;
}

int nvmm_vcpu_destroy(struct nvmm_machine* mach, struct nvmm_vcpu* vcpu) {
  Machine* m = machineOf(mach);
  Vcpu* v = vcpuOf(m, vcpu);
  if (!v) return fail(ENOENT);
  munmap(v->run, v->runSize);
  close(v->fd);
  munmap(v->comm, kPage);
  std::free(v->exit);
  m->vcpus[v->id] = nullptr;
  mach->pages[v->id] = nullptr;
  delete v;
  std::memset(vcpu, 0, sizeof *vcpu);
  return 0;
}

int nvmm_machine_destroy(struct nvmm_machine* mach) {
  Machine* m = machineOf(mach);
  if (!m) return fail(ENOENT);
  for (Vcpu*& v : m->vcpus) {
    if (!v) continue;
    munmap(v->run, v->runSize);
    close(v->fd);
    munmap(v->comm, kPage);
    std::free(v->exit);
    delete v;
    v = nullptr;
  }
  close(m->vmFd);
  for (const HvaRange& h : m->hvas) {
    munmap(reinterpret_cast<void*>(h.alias), h.size);
    close(h.fd);
  }
  {
    std::lock_guard<std::mutex> lock(gMu);
    gMachines[m->id] = nullptr;
  }
  std::free(mach->pages);
  delete m;
  std::memset(mach, 0, sizeof *mach);
  return 0;
}

int nvmm_machine_configure(struct nvmm_machine* mach, uint64_t, void*) {
  if (!machineOf(mach)) return fail(ENOENT);
  return fail(EINVAL);  // x86 has no machine configuration (NVMM_X86_MACH_NCONF is 0)
}

int nvmm_vcpu_create(struct nvmm_machine* mach, nvmm_cpuid_t cpuid, struct nvmm_vcpu* vcpu) {
  Machine* m = machineOf(mach);
  if (!m) return fail(ENOENT);
  if (!vcpu || cpuid >= kMaxVcpus) return fail(EINVAL);
  if (m->vcpus[cpuid]) return fail(EBUSY);
  int fd = ioctl(m->vmFd, KVM_CREATE_VCPU, cpuid);
  if (fd < 0) return fail(ENOBUFS);
  int size = ioctl(gKvm, KVM_GET_VCPU_MMAP_SIZE, 0);
  void* run = size > 0 ? mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
  void* comm = mmap(nullptr, kPage, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  static_assert(sizeof(nvmm_comm_page) <= kPage, "the comm page is one page");
  if (run == MAP_FAILED || comm == MAP_FAILED) {
    if (run != MAP_FAILED) munmap(run, size);
    if (comm != MAP_FAILED) munmap(comm, kPage);
    close(fd);
    return fail(ENOMEM);
  }
  // The CPUID KVM supports (NVMM passes the host's through, less what it hides).
  struct {
    uint32_t nent, pad;
    kvm_cpuid_entry2 e[100];
  } cpuid2{};
  cpuid2.nent = 100;
  if (ioctl(gKvm, bv::kKvmGetSupportedCpuid, &cpuid2) == 0) ioctl(fd, bv::kKvmSetCpuid2, &cpuid2);
  auto* v = new Vcpu;
  v->mach = m;
  v->id = cpuid;
  v->fd = fd;
  v->run = static_cast<kvm_run*>(run);
  v->runSize = static_cast<size_t>(size);
  v->comm = static_cast<nvmm_comm_page*>(comm);
  v->exit = static_cast<nvmm_vcpu_exit*>(std::calloc(1, sizeof(nvmm_vcpu_exit)));
  nvmm_x64_state reset;
  resetState(reset);
  if (!writeState(*v, NVMM_X64_STATE_ALL, reset)) {
    munmap(run, size);
    munmap(comm, kPage);
    close(fd);
    std::free(v->exit);
    delete v;
    return fail(EINVAL);
  }
  m->vcpus[cpuid] = v;
  mach->pages[cpuid] = v->comm;
  std::memset(vcpu, 0, sizeof *vcpu);
  vcpu->cpuid = cpuid;
  vcpu->state = &v->comm->state;
  vcpu->event = &v->comm->event;
  vcpu->exit = v->exit;
#if NVMM_USER_VERSION >= 2
  vcpu->stop = &v->comm->stop;
#endif
  return 0;
}

int nvmm_vcpu_configure(struct nvmm_machine* mach, struct nvmm_vcpu* vcpu, uint64_t op, void* conf) {
  Machine* m = machineOf(mach);
  if (!vcpuOf(m, vcpu)) return fail(ENOENT);
  if (op == NVMM_VCPU_CONF_CALLBACKS && conf) {
    std::memcpy(&vcpu->cbs, conf, sizeof vcpu->cbs);
    return 0;
  }
  return fail(EINVAL);  // CPUID and TPR configuration are not offered (vcpu_conf_support is 0)
}

int nvmm_vcpu_getstate(struct nvmm_machine* mach, struct nvmm_vcpu* vcpu, uint64_t flags) {
  Vcpu* v = vcpuOf(machineOf(mach), vcpu);
  if (!v) return fail(ENOENT);
  if (flags & ~uint64_t(NVMM_X64_STATE_ALL)) return fail(EINVAL);
  nvmm_comm_page* c = v->comm;
  const uint64_t missing = flags & ~c->state_cached;
  if (!missing) return 0;  // in the comm page already: no kernel call, as libnvmm
  if (!readState(*v, missing, c->state)) return fail(EINVAL);
  c->state_cached |= missing;
  return 0;
}

int nvmm_vcpu_setstate(struct nvmm_machine* mach, struct nvmm_vcpu* vcpu, uint64_t flags) {
  Vcpu* v = vcpuOf(machineOf(mach), vcpu);
  if (!v) return fail(ENOENT);
  if (flags & ~uint64_t(NVMM_X64_STATE_ALL)) return fail(EINVAL);
  // Applied at the next run, as NVMM does.
  v->comm->state_commit |= flags;
  v->comm->state_cached |= flags;
  return 0;
}

int nvmm_vcpu_inject(struct nvmm_machine* mach, struct nvmm_vcpu* vcpu) {
  Vcpu* v = vcpuOf(machineOf(mach), vcpu);
  if (!v) return fail(ENOENT);
  v->comm->event_commit = true;  // checked and delivered by the next run, which reports EINVAL for a bad one
  return 0;
}

int nvmm_vcpu_run(struct nvmm_machine* mach, struct nvmm_vcpu* vcpu) {
  Vcpu* v = vcpuOf(machineOf(mach), vcpu);
  if (!v) return fail(ENOENT);
  nvmm_comm_page* c = v->comm;
  std::memset(v->exit, 0, sizeof *v->exit);
  if (v->pending != Pending::None) {
    // The last exit's instruction was neither assisted nor skipped by the caller: on NVMM it has not run, so
    // KVM's half of it is finished without effect and its register changes undone.
    finishPending(*v, mach, vcpu, false);
    ioctl(v->fd, KVM_SET_REGS, &v->preRegs);
    ioctl(v->fd, KVM_SET_SREGS, &v->preSregs);
  }
  if (c->state_commit) {
    const uint64_t flags = c->state_commit;
    c->state_commit = 0;
    // Strict: NVMM cannot arm an NMI window exit over KVM without an in-kernel APIC; refuse rather than ignore.
    if ((flags & NVMM_X64_STATE_INTR) && c->state.intr.nmi_window_exiting) return fail(EINVAL);
    if (!writeState(*v, flags, c->state)) {
      c->state_cached = 0;
      invalid(*v, ~0ull);  // NVMM: the VM entry with that state fails
      fillExitState(*v);
      return 0;
    }
  }
  c->state_cached = 0;
  if (c->event_commit) {
    c->event_commit = false;
    if (!commitEvent(*v)) return fail(EINVAL);
  }
  if (c->stop) {
    c->stop = 0;
    v->exit->reason = NVMM_VCPU_EXIT_STOPPED;
    fillExitState(*v);
    return 0;
  }
  v->runningTid.store(static_cast<pid_t>(syscall(SYS_gettid)));
  int result = 0;
  for (;;) {
    if (v->probing) {  // the state before the stepped instruction, for a write KVM runs to its end
      ioctl(v->fd, KVM_GET_REGS, &v->preRegs);
      ioctl(v->fd, KVM_GET_SREGS, &v->preSregs);
    }
    v->run->request_interrupt_window = v->windowExiting ? 1 : 0;
    const int r = ioctl(v->fd, KVM_RUN, 0);
    if (r != 0) {
      const int err = errno;
      if (err == EINTR || err == EAGAIN) {
        // A signal, or nvmm_vcpu_stop: NVMM returns NONE for the first, STOPPED for the second.
        v->exit->reason = c->stop ? NVMM_VCPU_EXIT_STOPPED : NVMM_VCPU_EXIT_NONE;
        break;
      }
      if (err == EFAULT && !v->probing) {
        // An access the area's protection forbids; the instruction has not run. Step it in the probing layout.
        const uint64_t gpa = currentPhysicalRip(*v);
        if (setProbe(*v, true, gpa)) continue;
        invalid(*v, ~0ull);
        break;
      }
      result = fail(err == EFAULT ? EFAULT : EINVAL);
      break;
    }
    if (translateExit(*v)) break;
  }
  if (v->probing && !setProbe(*v, false, ~0ull)) invalid(*v, ~0ull);
  v->runningTid.store(0);
  v->run->immediate_exit = 0;
  // NVMM's kernel clears `stop` only when it reports STOPPED: a stop asked for while this run was returning
  // for another reason stays, and the next run returns STOPPED at once (clearing it here lost such stops).
  if (v->exit->reason == NVMM_VCPU_EXIT_STOPPED) c->stop = 0;
  fillExitState(*v);
  return result;
}

#if NVMM_USER_VERSION >= 2
int nvmm_vcpu_stop(struct nvmm_vcpu* vcpu) {
  // Async-signal-safe: called from signal handlers (QEMU and the backend do).
  nvmm_comm_page* c =
      reinterpret_cast<nvmm_comm_page*>(reinterpret_cast<char*>(vcpu->state) - offsetof(nvmm_comm_page, state));
  c->stop = 1;
  Machine* m = nullptr;
  for (uint32_t i = 0; i < kMaxMachines && !m; ++i) {
    Machine* cand = gMachines[i];
    if (cand && vcpu->cpuid < cand->vcpus.size() && cand->vcpus[vcpu->cpuid] && cand->vcpus[vcpu->cpuid]->comm == c) {
      m = cand;
    }
  }
  if (!m) return 0;
  Vcpu* v = m->vcpus[vcpu->cpuid];
  __atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
  const pid_t tid = v->runningTid.load();
  if (tid) syscall(SYS_tgkill, getpid(), tid, stopSignal());
  return 0;
}
#endif

int nvmm_hva_map(struct nvmm_machine* mach, uintptr_t hva, size_t size) {
  Machine* m = machineOf(mach);
  if (!m) return fail(ENOENT);
  if (hva == 0 || size == 0 || !aligned(hva) || !aligned(size)) return fail(EINVAL);
  for (const HvaRange& h : m->hvas) {
    if (hva < h.hva + h.size && h.hva < hva + size) return fail(EEXIST);
  }
  if (m->hvas.size() >= kMaxHvaRanges) return fail(ENOBUFS);
  // NVMM replaces the range with a fresh shared object: whatever the caller had there is gone. A memfd, so
  // that KVM can be given a second view of it with the guest mappings' protections.
  const int fd = memfd_create("nvmm-hva", MFD_CLOEXEC);
  if (fd < 0 || ftruncate(fd, static_cast<off_t>(size)) != 0) {
    if (fd >= 0) close(fd);
    return fail(ENOMEM);
  }
  void* view = mmap(reinterpret_cast<void*>(hva), size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
  void* alias = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (view == MAP_FAILED || alias == MAP_FAILED) {
    if (alias != MAP_FAILED) munmap(alias, size);
    close(fd);
    return fail(ENOMEM);
  }
  m->hvas.push_back({hva, size, fd, reinterpret_cast<uintptr_t>(alias)});
  return 0;
}

int nvmm_hva_unmap(struct nvmm_machine* mach, uintptr_t hva, size_t size) {
  Machine* m = machineOf(mach);
  if (!m) return fail(ENOENT);
  for (size_t i = 0; i < m->hvas.size(); ++i) {
    const HvaRange h = m->hvas[i];
    if (h.hva != hva || h.size != size) continue;
    for (const Area& a : m->areas) {
      if (a.hva < hva + size && hva < a.hva + a.size) return fail(EBUSY);  // still mapped in the guest
    }
    munmap(reinterpret_cast<void*>(h.alias), h.size);
    close(h.fd);
    m->hvas.erase(m->hvas.begin() + i);
    return 0;
  }
  return fail(ENOENT);
}

int nvmm_gpa_map(struct nvmm_machine* mach, uintptr_t hva, gpaddr_t gpa, size_t size, int prot) {
  Machine* m = machineOf(mach);
  if (!m) return fail(ENOENT);
  if ((prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)) || size == 0 || !aligned(hva) || !aligned(gpa) || !aligned(size) ||
      gpa + size > kMaxRam || gpa + size < gpa) {
    return fail(EINVAL);
  }
  const HvaRange* range = nullptr;
  for (const HvaRange& h : m->hvas) {
    if (hva >= h.hva && hva + size <= h.hva + h.size) range = &h;
  }
  if (!range) return fail(EINVAL);
  for (const Area& a : m->areas) {
    if (gpa < a.gpa + a.size && a.gpa < gpa + size) return fail(EINVAL);  // libnvmm refuses overlaps
  }
  // What KVM can enforce: execute with read (and write or not), and execute alone. Without execute, or write
  // without read, it cannot: refused, not faked.
  const bool r = prot & PROT_READ, w = prot & PROT_WRITE, x = prot & PROT_EXEC;
  if (!x || (w && !r)) return fail(ENOTSUP);
  Area a{hva, gpa, size, prot, newSlot(*m), range->alias + (hva - range->hva)};
  a.layout = kAbsent;
  const int hostProt = w ? PROT_READ | PROT_WRITE : r ? PROT_READ : PROT_NONE;
  if (mprotect(reinterpret_cast<void*>(a.alias), size, hostProt) != 0 || !setLayout(*m, a, kNormal)) {
    std::fprintf(stderr, "nvmm-kvm: KVM refused a mapping (%s); libnvmm aborts here\n", std::strerror(errno));
    std::abort();
  }
  m->areas.push_back(a);
  return 0;
}

int nvmm_gpa_unmap(struct nvmm_machine* mach, uintptr_t hva, gpaddr_t gpa, size_t size) {
  Machine* m = machineOf(mach);
  if (!m) return fail(ENOENT);
  for (size_t i = 0; i < m->areas.size(); ++i) {
    Area& a = m->areas[i];
    if (a.hva != hva || a.gpa != gpa || a.size != size) continue;
    if (!setLayout(*m, a, kAbsent) || mprotect(reinterpret_cast<void*>(a.alias), a.size, PROT_READ | PROT_WRITE) != 0) {
      std::fprintf(stderr, "nvmm-kvm: KVM refused an unmapping (%s); libnvmm aborts here\n", std::strerror(errno));
      std::abort();
    }
    m->slotUsed[a.slot] = false;
    m->areas.erase(m->areas.begin() + i);
    return 0;
  }
  return fail(ENOENT);
}

int nvmm_gpa_to_hva(struct nvmm_machine* mach, gpaddr_t gpa, uintptr_t* hva, nvmm_prot_t* prot) {
  Machine* m = machineOf(mach);
  if (!m) return fail(ENOENT);
  const Area* a = areaAt(*m, gpa);
  if (!a) return fail(ENOENT);
  *hva = a->hva + (gpa - a->gpa);
  *prot = ((a->prot & PROT_READ) ? NVMM_PROT_READ : 0) | ((a->prot & PROT_WRITE) ? NVMM_PROT_WRITE : 0) |
          ((a->prot & PROT_EXEC) ? NVMM_PROT_EXEC : 0);
  return 0;
}

int nvmm_gva_to_gpa(struct nvmm_machine* mach, struct nvmm_vcpu* vcpu, gvaddr_t gva, gpaddr_t* gpa, nvmm_prot_t* prot) {
  Vcpu* v = vcpuOf(machineOf(mach), vcpu);
  if (!v) return fail(ENOENT);
  uint64_t p;
  if (!linearToPhysical(*v, gva, p)) return fail(EFAULT);
  *gpa = p;
  *prot = NVMM_PROT_ALL;
  return 0;
}

}  // extern "C"
