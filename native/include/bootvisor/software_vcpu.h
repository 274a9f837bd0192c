// The software vCPU: Bootvisor's own x86 interpreter (386+ integer ISA, real and protected mode, paging),
// and the debug API the machine, the debugger and the hardware backends' hybrid use.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bootvisor/vcpu.h"

namespace bv {

// One executed instruction, for the history ring.
struct InsnRecord {
  uint32_t linear = 0;
  uint16_t cs = 0;
  uint32_t eip = 0;
  bool code32 = false;         // the code segment's default size when it ran (disassembly across mode switches)
  std::vector<uint8_t> bytes;  // read back from guest memory when the history is asked for
};

// One link of the chain of events that led to a fault ("#GP -> #DF -> shutdown").
struct FaultLink {
  uint8_t vector = 0;
  std::string name;  // "#GP", "#DF", "shutdown"
  bool hasError = false;
  uint32_t error = 0;
  uint16_t cs = 0;
  uint32_t eip = 0;
  uint32_t linear = 0;
  std::vector<uint8_t> bytes;  // the instruction that was executing
  std::string reason;          // in words
  bool shutdown = false;
};

class SoftwareVcpu : public Vcpu {
 public:
  // Breakpoints: any number, by linear or physical address; checked before the instruction executes.
  // Resuming from a breakpoint executes the instruction (the first instruction of a run never re-hits).
  virtual int addBreakpoint(uint64_t address, bool physical) = 0;  // returns an id
  virtual bool removeBreakpoint(int id) = 0;
  virtual void clearBreakpoints() = 0;

  // Watchpoints on [address, address+length): access = ACCESS_READ, ACCESS_WRITE or both (exit.h). The
  // run stops with a Debug/Watchpoint exit after the accessing instruction completes.
  virtual int addWatchpoint(uint64_t address, uint64_t length, uint8_t access, bool physical) = 0;
  virtual bool removeWatchpoint(int id) = 0;
  virtual void clearWatchpoints() = 0;

  // Catch exceptions by vector (0-31): run() returns Exit::Exception before delivery, with RIP at the
  // faulting instruction (after it for the traps INT3 and INTO). The next run() delivers it, unless
  // discardCaughtException() was called.
  virtual void setCatchException(uint8_t vector, bool on) = 0;
  virtual void discardCaughtException() = 0;

  // The last N executed instructions, oldest first (N = setHistorySize, default 64; 0 turns it off).
  virtual std::vector<InsnRecord> history(size_t newest = SIZE_MAX) const = 0;  // at most the newest N
  virtual void setHistorySize(size_t n) = 0;

  // The chain of the last fault (cleared when a new, unrelated fault starts a chain).
  virtual std::vector<FaultLink> faultChain() const = 0;

  // System-event breaks (SB_* bits of exit.h): run() returns Exit::SystemEvent after an instruction (or an
  // interrupt delivery) that did one. Unarmed, each costs one test of a flag in its instruction's handler.
  virtual void setSystemBreaks(uint8_t kinds) = 0;

  // The A20 gate (a machine setting: port 0x92, the keyboard controller, BIOS INT 15h).
  virtual void setA20(bool on) = 0;
  virtual bool a20() const = 0;

  // Moves the time-stamp counter forward by `ticks` (the machine's clock skipped idle time). RDTSC is the
  // instruction count plus these; a backend whose counter is the hardware's ignores it.
  virtual void advanceTsc(uint64_t ticks) {}

  // True when the block tier runs straight-line blocks of decoded instructions (the default); the
  // environment variable BOOTVISOR_BLOCK_TIER=off (or 0), read when the vCPU is made, turns it off.
  virtual bool blockTier() const { return false; }
  // True when the block tier's loops also run as host machine code (the JIT, x86-64 hosts only, the default
  // there); BOOTVISOR_JIT=off (or 0), read when the vCPU is made, turns it off and keeps the threaded code.
  virtual bool jitTier() const { return false; }
  // How many loops the JIT has compiled so far (tests check that their loops really ran as host code).
  virtual uint64_t jitLoops() const { return 0; }
};

std::unique_ptr<SoftwareVcpu> createSoftwareVcpu(GuestMemory& mem, ExitHandler& io);

}  // namespace bv
