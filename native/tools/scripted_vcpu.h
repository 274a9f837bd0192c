// A scripted hardware backend for tests: the HardwareVcpu interface over a tiny real-mode interpreter (the
// handful of instructions the test programs use), configurable to behave like KVM (INT3 and debug-register
// breakpoints, protected-page writes completed by the hypervisor) or like NVMM (HLT patches, execute-only
// pages, the caller completes the access). It lets the hybrid's handover logic be tested on any machine.
#pragma once
#include <atomic>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "bootvisor/memory.h"

namespace bv {

struct ScriptedProfile {
  const char* name = "scripted-kvm";
  uint8_t breakpointOpcode = 0xCC;  // 0xF4: NVMM-like HLT patches
  int debugRegisters = 4;
  bool completesMemoryExits = true;  // KVM: true; NVMM: false
  bool executeOnlyPages = false;     // NVMM: true
};

class ScriptedVcpu final : public HardwareVcpu {
 public:
  ScriptedVcpu(GuestMemory& mem, ExitHandler& h, ScriptedProfile p);
  const char* name() const override { return profile_.name; }
  VcpuCaps caps() const override { return {}; }
  void getState(CpuState& out) override { out = st_; }
  void setState(const CpuState& in) override { st_ = in; }
  Exit run(uint64_t maxInstructions) override;
  void requestStop() override { stop_ = true; }
  bool interruptsEnabled() override { return st_.gprs[GPR_RFLAGS] & flags::IF; }
  bool canInjectInterrupt() override { return (st_.gprs[GPR_RFLAGS] & flags::IF) && !st_.intr.int_shadow; }
  void injectInterrupt(uint8_t vector) override { injected.push_back(vector); }
  void requestInterruptWindow(bool on) override { window_ = on; }

  bool setGuestDebug(bool singleStep, const std::vector<uint64_t>& bps) override;
  int hardwareBreakpointSlots() const override { return profile_.debugRegisters; }
  uint8_t breakpointOpcode() const override { return profile_.breakpointOpcode; }
  void enableSoftwareBreakpoints(bool on) override { swBp_ = on; }
  bool protectPage(uint64_t gpa, uint8_t allowed) override;
  bool memoryExitCompleted() const override { return profile_.completesMemoryExits; }
  bool takeDirtyPages(std::vector<uint64_t>& pages) override;
  std::string errorMessage() const override { return error_; }

  // What the tests look at.
  std::vector<uint8_t> injected;
  uint64_t executed = 0;          // instructions run "in hardware"
  uint64_t patchedBytesSeen = 0;  // reads of guest memory (by the guest) that saw a breakpoint opcode
  bool failOnUnknown = false;     // an unknown opcode: Invalid (KVM giving up) instead of Shutdown

 private:
  uint8_t allowed(uint64_t gpa) const;
  bool fetch(uint64_t lin, uint8_t& b);

  GuestMemory& mem_;
  ExitHandler& h_;
  ScriptedProfile profile_;
  CpuState st_;
  std::vector<uint8_t> pageAllowed_;
  std::set<uint64_t> dirty_;
  std::vector<uint64_t> drs_;
  bool swBp_ = false;
  bool window_ = false;
  std::atomic<bool> stop_{false};
  std::string error_;
};

}  // namespace bv
