// The one vCPU interface every backend (software, kvm, nvmm) translates. A capability a backend lacks is
// reported by caps(), never faked: the monitor then hands the guest to the software vCPU (the hybrid).
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "bootvisor/exit.h"
#include "bootvisor/memory.h"
#include "bootvisor/state.h"

namespace bv {

// What a port or MMIO handler wants the vCPU to do after the access completes.
enum class IoAction : uint8_t {
  Continue,  // keep running
  Yield,     // finish this instruction, then return from run() with an Io (or Memory) exit
};

// The monitor's side of I/O: port accesses and accesses to physical addresses with no RAM behind them.
// The software vCPU calls these in-line; hardware backends call them when they get the exit. The rip is that
// of the instruction doing the access (for exit profiles and diagnostics).
class ExitHandler {
 public:
  virtual ~ExitHandler() = default;
  virtual IoAction portIn(uint16_t port, unsigned size, uint32_t& value, uint64_t rip) = 0;
  virtual IoAction portOut(uint16_t port, unsigned size, uint32_t value, uint64_t rip) = 0;
  virtual IoAction mmioRead(uint64_t gpa, unsigned size, uint64_t& value, uint64_t rip) = 0;
  virtual IoAction mmioWrite(uint64_t gpa, unsigned size, uint64_t value, uint64_t rip) = 0;
  // The x87's FERR# output (an unmasked x87 exception with CR0.NE = 0): a PC routes it to IRQ13. Software
  // vCPU only (a hardware backend's FPU is the host's). Yield: an interrupt became pending.
  virtual IoAction fpuError(bool asserted) { return IoAction::Continue; }
};

struct VcpuCaps {
  bool singleStep = false;
  bool breakpoints = false;      // any number, checked by the backend itself
  bool watchpoints = false;      // data breakpoints on any byte range
  bool catchExceptions = false;  // Exit::Exception before delivery
  bool instructionCount = false;
};

class Vcpu {
 public:
  virtual ~Vcpu() = default;
  virtual const char* name() const = 0;
  virtual VcpuCaps caps() const = 0;

  virtual void getState(CpuState& out) = 0;
  virtual void setState(const CpuState& in) = 0;
  // EFLAGS.IF alone: the run loop asks at every turn of a halted wait, where a whole getState costs too much.
  virtual bool interruptsEnabled() = 0;

  // Runs until an exit. maxInstructions bounds the run where the backend can count (software); hardware
  // backends treat it as a hint and return with None when a monitor timer elapses.
  virtual Exit run(uint64_t maxInstructions) = 0;
  // Thread-safe: makes run() return with Stopped soon (within a millisecond on the software vCPU).
  virtual void requestStop() = 0;

  // Interrupt injection through the window protocol: inject only when canInject(); otherwise ask for an
  // InterruptWindow exit.
  virtual bool canInjectInterrupt() = 0;
  virtual void injectInterrupt(uint8_t vector) = 0;
  virtual void requestInterruptWindow(bool on) = 0;

  // Instructions retired since creation (0 where the backend cannot count).
  virtual uint64_t instructionCount() const { return 0; }
};

}  // namespace bv
