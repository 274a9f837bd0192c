// The interface every hardware backend (kvm, nvmm) implements: the plain Vcpu, plus what the hybrid needs: the
// hypervisor's own debug facility where it has one, page protection for watchpoints and hidden breakpoint
// patches, and the list of pages the guest wrote (so the software vCPU drops stale decoded code).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "bootvisor/vcpu.h"

namespace bv {

class HardwareVcpu : public Vcpu {
 public:
  // Hardware execute breakpoints (linear addresses) and single-step by the hypervisor. false when it cannot
  // take them (NVMM never can; KVM takes up to four breakpoints in the debug registers).
  virtual bool setGuestDebug(bool singleStep, const std::vector<uint64_t>& breakpoints) { return false; }
  virtual int hardwareBreakpointSlots() const { return 0; }

  // The byte patched over an instruction for a software breakpoint, and whether the backend reports it as
  // Exit::Debug (KVM: INT3 with KVM_GUESTDBG_USE_SW_BP) or as Exit::Halted with RIP one past it (NVMM: HLT).
  virtual uint8_t breakpointOpcode() const = 0;
  virtual void enableSoftwareBreakpoints(bool on) {}

  // Which accesses the guest may make to one guest-physical page without an exit (ACCESS_* bits). A
  // forbidden access returns from run() as Exit::Memory with the page's gpa. Returns false when the
  // hypervisor cannot express it (KVM cannot take read permission away from RAM that stays executable).
  virtual bool protectPage(uint64_t gpa, uint8_t allowed) = 0;

  // After Exit::Memory on a protected page: true when the hypervisor already completed the access (KVM
  // emulates the instruction and hands over only the data, which the backend wrote to RAM); false when the
  // instruction has not run yet and the caller must execute it (NVMM: on the software vCPU).
  virtual bool memoryExitCompleted() const = 0;

  // Pages (gpa >> PAGE_SHIFT) the guest wrote since the last call; false when the backend cannot tell, and
  // then every page must be assumed written.
  virtual bool takeDirtyPages(std::vector<uint64_t>& pages) = 0;

  // An interrupt injectInterrupt accepted that the guest has not taken yet (it waits for IF and the end of an
  // interrupt shadow), taken back for another vCPU to deliver; -1 when there is none or it is already on its
  // way into the guest.
  virtual int takePendingInterrupt() { return -1; }

  // Why the last Exit::Invalid happened, in words (entry failure reason, internal error), for the user.
  virtual std::string errorMessage() const { return {}; }
};

}  // namespace bv
