// The hybrid: a hardware vCPU (kvm, nvmm) for speed, the software vCPU for precision, on one GuestMemory.
// Single-steps and steps off breakpoints by handing the state to the software vCPU and back; breakpoints
// use the hypervisor's debug registers when it has enough of them, otherwise patched opcodes that only the
// running guest ever sees (on NVMM the patched page is made execute-only, so even the guest's own reads of it
// exit and are done by the software vCPU on the original bytes); write watchpoints write-protect the page and
// check each write the hypervisor reports; a triple fault on hardware is re-run from the last checkpoint on
// the software vCPU to explain it. What the hardware cannot do at all (read watchpoints, patching while the
// guest has paging on, caught exceptions) runs on the software vCPU, and mode() says so. It is a SoftwareVcpu,
// so the machine and the debugger use it exactly as they use the software vCPU.
#pragma once
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "bootvisor/software_vcpu.h"
#include "bootvisor/vcpu.h"
#include "vmm/hybrid_patch.h"

namespace bv {

struct ShutdownReport {
  bool valid = false;
  bool reproduced = false;
  uint64_t instructions = 0;  // run by the software vCPU from the checkpoint to the fault
  std::string text;           // in words, for the user
};

class HybridVcpu final : public SoftwareVcpu {
 public:
  using SoftwareFactory = std::function<std::unique_ptr<SoftwareVcpu>(ExitHandler&)>;
  HybridVcpu(std::unique_ptr<HardwareVcpu> hardware, const SoftwareFactory& software, GuestMemory& memory,
             ExitHandler& handler);
  ~HybridVcpu() override;

  const char* name() const override { return hw_->name(); }
  VcpuCaps caps() const override;
  void getState(CpuState& out) override;
  void setState(const CpuState& in) override;
  // maxInstructions == 1 is a single step, on the software vCPU.
  Exit run(uint64_t maxInstructions) override;
  void requestStop() override;
  // Interrupts go to the vCPU that runs next (the state moves there first): an interrupt queued in KVM or
  // NVMM is not part of CpuState and would not follow a handover.
  bool interruptsEnabled() override { return active().interruptsEnabled(); }
  bool canInjectInterrupt() override { return injectTarget().canInjectInterrupt(); }
  void injectInterrupt(uint8_t vector) override { injectTarget().injectInterrupt(vector); }
  void requestInterruptWindow(bool on) override { injectTarget().requestInterruptWindow(on); }
  uint64_t instructionCount() const override { return sw_ ? sw_->instructionCount() : 0; }

  // SoftwareVcpu's debug API. Ids are the hybrid's own; they come back in Exit::u.debug.id. Breakpoints and
  // write watchpoints stay on hardware; read watchpoints, caught exceptions and physical breakpoints while
  // paging is on send the guest to the software vCPU (mode() says why).
  int addBreakpoint(uint64_t address, bool physical) override;
  bool removeBreakpoint(int id) override;
  void clearBreakpoints() override;
  int addWatchpoint(uint64_t address, uint64_t length, uint8_t access, bool physical) override;
  bool removeWatchpoint(int id) override;
  void clearWatchpoints() override;
  void setCatchException(uint8_t vector, bool on) override;
  void discardCaughtException() override {
    if (sw_) sw_->discardCaughtException();
  }
  // Hardware cannot stop on MOV CRn, LGDT, INT n or CS loads: while any is armed the guest runs on the
  // software vCPU (without one, they are not available: the machine says so).
  void setSystemBreaks(uint8_t kinds) override;
  std::vector<InsnRecord> history(size_t newest = SIZE_MAX) const override {
    return sw_ ? sw_->history(newest) : std::vector<InsnRecord>{};
  }
  void setHistorySize(size_t n) override {
    if (sw_) sw_->setHistorySize(n);
  }
  // After a triple fault the software vCPU did not reproduce, one link saying so (and why).
  std::vector<FaultLink> faultChain() const override;
  void setA20(bool on) override;
  bool a20() const override { return a20_; }

  // Every following run() executes exactly one instruction and returns Debug/Step.
  void setSingleStep(bool on) { singleStep_ = on; }

  // Checkpoints for explaining triple faults: state and RAM copied at run() entry at most this often.
  void setCheckpointInterval(std::chrono::milliseconds ms) { checkpointInterval_ = ms; }
  // The re-run from the checkpoint gives up after this many guest instructions: the same answer on a quiet
  // or a loaded host (a host-time budget gave up sooner the busier the machine was).
  void setReplayBudget(uint64_t instructions) { replayBudget_ = instructions; }
  static constexpr uint64_t kDefaultReplayBudget = 300000000;  // about 1 s of the software vCPU, quiet
  const ShutdownReport& lastShutdown() const { return shutdown_; }

  // "hardware" or "software: <why>".
  std::string mode() const;
  HardwareVcpu& hardware() { return *hw_; }
  SoftwareVcpu* software() { return sw_.get(); }

  // Counters for tests and the benchmark.
  struct Counters {
    uint64_t softwareSteps = 0;    // instructions handed to the software vCPU one at a time
    uint64_t hardwareRuns = 0;     // entries into the hardware vCPU
    uint64_t protectionExits = 0;  // exits on a write-protected or execute-only page
  };
  const Counters& counters() const { return counters_; }

 private:
  class ReplayHandler;
  struct Breakpoint {
    int id;
    uint64_t address;
    bool physical;
    int swId;
  };
  struct Watchpoint {
    int id;
    uint64_t address;
    uint64_t length;
    uint8_t access;
    bool physical;
    int swId;
  };
  struct Checkpoint {
    bool valid = false;
    CpuState state;
    std::vector<uint8_t> ram;
    std::chrono::steady_clock::time_point when;
  };

  Vcpu& active() { return onSoftware_ ? static_cast<Vcpu&>(*sw_) : static_cast<Vcpu&>(*hw_); }
  Vcpu& injectTarget();
  static uint64_t linearRip(const CpuState& s) { return s.segs[SEG_CS].base + s.gprs[GPR_RIP]; }
  int breakpointAt(uint64_t linear) const;
  void mapSoftwareIds(Exit& e) const;  // the software vCPU's breakpoint/watchpoint ids -> ours
  void reprogram();                    // breakpoints and watchpoints -> debug registers, patches, page protection
  void syncDirty();                    // pages the hardware wrote -> GuestMemory (dirty flags, decoded code dropped)
  void toSoftware();
  void toHardware();
  Exit stepSoftware();
  Exit stepWithin();  // stepSoftware, then a stop at a breakpoint where it left the guest
  static Exit breakpointExit(int id, uint64_t linear);
  struct HeldInterrupt {
    int irq = -1;
    bool window = false;
  };
  HeldInterrupt holdInterrupt();
  void releaseInterrupt(const HeldInterrupt& held);
  Exit runOnce(uint64_t maxInstructions);
  Exit runHardware(uint64_t maxInstructions);
  bool checkWatch(uint64_t gpa, uint32_t size, uint8_t access, Exit& out) const;
  void maybeCheckpoint();
  void explainShutdown();

  std::unique_ptr<HardwareVcpu> hw_;
  std::unique_ptr<ReplayHandler> replayHandler_;
  std::unique_ptr<SoftwareVcpu> sw_;
  GuestMemory& mem_;
  bool onSoftware_ = false;     // the software vCPU holds the current state
  std::string softwareReason_;  // non-empty: every run() goes to the software vCPU, and why
  bool singleStep_ = false;
  bool a20_ = true;
  uint32_t caughtVectors_ = 0;
  uint8_t systemBreaks_ = 0;
  std::vector<Breakpoint> bps_;
  std::vector<Watchpoint> watches_;
  int nextId_ = 1;
  BreakpointPatcher patcher_;
  std::vector<uint64_t> protectedPages_;
  bool needReprogram_ = true;
  uint64_t lastExitLinear_ = ~0ull;  // where the last reported stop left RIP (breakpoints there do not re-hit)
  Checkpoint checkpoint_;
  std::chrono::milliseconds checkpointInterval_{500};
  uint64_t replayBudget_ = kDefaultReplayBudget;
  ShutdownReport shutdown_;
  Counters counters_;
  std::atomic<bool> stop_{false};
};

}  // namespace bv
