// libnvmm's API (libnvmm(3), <nvmm.h>) implemented on Linux's /dev/kvm, so that the unchanged NVMM backend
// runs against a real hypervisor in the nested test (scripts/test-kvm.sh). Test infrastructure only: never
// shipped, never linked into the addon; the product links the real libnvmm on NetBSD and DragonFly.
//
// The model it keeps is NVMM's, not KVM's: an IO or MEMORY exit reports an instruction that has NOT run (KVM
// has half-run it: the shim completes or rolls it back), state lives in a per-vCPU comm page with NVMM's
// cached/commit flags, events and state are applied at the next run, and pages are mapped with mman
// protections. Where the documentation leaves something open the shim is strict and refuses it; README.md
// ("nvmm over KVM") lists each such point.
#pragma once
#include <linux/kvm.h>
#include <nvmm.h>
#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <vector>

// libnvmm's comm page: what the kernel and libnvmm share per vCPU (state, flags, the pending event, stop).
struct nvmm_comm_page {
  uint64_t state_cached;
  uint64_t state_commit;
  struct nvmm_x64_state state;
  bool event_commit;
  struct nvmm_x86_event event;
  volatile int stop;
};

namespace nvmmkvm {

struct Machine;

// What the last exit left unfinished; NVMM reports such an instruction as not executed. Io, Mmio, Msr: KVM
// started it and finishes it when entered again. Write: KVM ran it (a write to a protected page, caught while
// probing) and has been rolled back; the shim holds the write and the state after it.
enum class Pending { None, Io, Mmio, Msr, Write };

struct Vcpu {
  Machine* mach = nullptr;
  nvmm_cpuid_t id = 0;
  int fd = -1;
  kvm_run* run = nullptr;
  size_t runSize = 0;
  nvmm_comm_page* comm = nullptr;
  nvmm_vcpu_exit* exit = nullptr;
  Pending pending = Pending::None;
  kvm_regs preRegs{};  // the state at the exit: before the pending instruction
  kvm_sregs preSregs{};
  kvm_regs postRegs{};  // Pending::Write: the state after the instruction, and its write
  kvm_sregs postSregs{};
  uint64_t writeGpa = 0;
  uint32_t writeLen = 0;
  uint8_t writeData[8] = {};
  bool windowExiting = false;  // NVMM's int_window_exiting, as KVM's request_interrupt_window
  bool probing = false;        // protected areas in their probing layout, single-stepping (see nvmm_kvm.cpp)
  uint64_t probeGpa = ~0ull;   // the execute-only area readable for the fetch while probing
  std::atomic<pid_t> runningTid{0};
};

// One gpa_map'ed range, in KVM through `alias`: the same memory mapped a second time with the area's
// protection (read-only, or nothing for execute-only), so that a forbidden access makes KVM_RUN fail with
// EFAULT before the instruction runs.
struct Area {
  uintptr_t hva;
  uint64_t gpa;
  size_t size;
  int prot;
  int slot;
  uintptr_t alias;
  int layout = 0;  // how KVM sees it now (nvmm_kvm.cpp: Layout)
};

// An nvmm_hva_map'ed range: a memfd mapped over the caller's range, and again for KVM.
struct HvaRange {
  uintptr_t hva;
  size_t size;
  int fd;
  uintptr_t alias;
};

struct Machine {
  nvmm_machid_t id = 0;
  int vmFd = -1;
  std::vector<HvaRange> hvas;
  std::vector<Area> areas;
  std::vector<Vcpu*> vcpus;  // by cpuid
  std::vector<bool> slotUsed;
};

// The x86 state <-> KVM (nvmm_kvm_state.cpp).
bool readState(Vcpu& v, uint64_t flags, nvmm_x64_state& out);
bool writeState(Vcpu& v, uint64_t flags, const nvmm_x64_state& in);
void resetState(nvmm_x64_state& s);
void stateFromKvmRegs(const kvm_regs& r, nvmm_x64_state& s);
void stateFromKvmSregs(const kvm_sregs& r, nvmm_x64_state& s);  // SEGS, CRS but XCR0, EFER

// Guest memory as the vCPU sees it (nvmm_kvm_memory.cpp).
const Area* areaAt(const Machine& m, uint64_t gpa);
bool linearToPhysical(Vcpu& v, uint64_t linear, uint64_t& gpa);
// Copies up to n bytes of the instruction at CS:RIP (from the given state) through the gpa areas.
size_t fetchInstruction(Vcpu& v, const kvm_regs& r, const kvm_sregs& s, uint8_t* out, size_t n);

// The IO exit NVMM would report for KVM's KVM_EXIT_IO (nvmm_kvm_assist.cpp).
void describeIo(Vcpu& v, const kvm_regs& r, const kvm_sregs& s, nvmm_x86_exit_io& io);

// KVM's half-done instruction: finish it with the monitor's data (the assists) or roll it back.
// Returns false when KVM failed.
bool finishPending(Vcpu& v, struct nvmm_machine* mach, struct nvmm_vcpu* vcpu, bool withCallbacks);

}  // namespace nvmmkvm
