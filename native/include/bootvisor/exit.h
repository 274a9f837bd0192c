// One vocabulary for why a vCPU stopped running: NVMM's exit reasons, plus the software vCPU's own
// (Exception: a vector the debugger asked to catch; Debug: breakpoint, watchpoint or single step).
#pragma once
#include <cstdint>

namespace bv {

enum class ExitReason : uint8_t {
  None,             // the instruction budget was spent; nothing else happened
  Io,               // a port access whose handler asked the monitor to look (IoAction::Yield); already completed
  Memory,           // an access to a physical address with no RAM or ROM behind it, the handler asked to stop
  Halted,           // HLT; RIP is past it
  Shutdown,         // triple fault
  Invalid,          // the backend could not go on (hardware entry failure, an internal error)
  Stopped,          // requestStop() from another thread
  InterruptWindow,  // an interrupt can be injected now (int_window_exiting was set)
  Exception,        // a CPU exception the debugger asked to catch, before delivery; RIP at the faulting instruction
  Debug,            // a breakpoint, watchpoint or single step
  SystemEvent,      // a system event the debugger armed (SoftwareVcpu::setSystemBreaks), after it happened
};

// What a SystemEvent exit reports. a..d by kind:
//   ControlRegister: which = 0/3/4, a = old value, b = new value
//   DescriptorTable: which = 0 (GDTR) / 1 (IDTR), a = new base, b = new limit, c = old base, d = old limit
//   ModeSwitch:      a = old CodeMode, b = new CodeMode, c = CS selector loaded
//   TaskSwitch:      a = old TR selector, b = new TR selector
//   Interrupt:       which = vector, a = EAX at the INT n, b = CS and c = EIP of the INT n
//   Irq:             which = vector delivered
enum class SystemEvent : uint8_t { ControlRegister, DescriptorTable, ModeSwitch, TaskSwitch, Interrupt, Irq };
// The code's mode as a far transfer leaves it.
enum CodeMode : uint8_t { MODE_REAL = 0, MODE_V86 = 1, MODE_PM16 = 2, MODE_PM32 = 3 };
// SoftwareVcpu::setSystemBreaks's bits: which kinds of SystemEvent exits are armed.
enum SystemBreakBits : uint8_t {
  SB_CONTROL_REGISTER = 1,
  SB_DESCRIPTOR_TABLE = 2,
  SB_MODE_SWITCH = 4,
  SB_TASK_SWITCH = 8,
  SB_INTERRUPT = 16,
  SB_IRQ = 32,
};

enum class DebugKind : uint8_t { Breakpoint, Watchpoint, Step };

enum AccessKind : uint8_t { ACCESS_READ = 1, ACCESS_WRITE = 2, ACCESS_EXEC = 4 };

struct Exit {
  ExitReason reason = ExitReason::None;
  union {
    struct {
      bool in;
      uint16_t port;
      uint8_t size;
      uint32_t value;
    } io;
    struct {
      uint8_t access;
      uint8_t size;
      uint64_t gpa;
      uint64_t value;
    } mem;
    struct {
      uint8_t vector;
      bool has_error;
      uint32_t error;
      uint64_t cr2;
    } exception;
    // size: bytes of the access that hit a watchpoint (0 for breakpoints and steps)
    struct {
      DebugKind kind;
      uint8_t access;
      int id;
      uint64_t address;
      uint8_t size;
    } debug;
    struct {
      uint64_t hwcode;
    } invalid;
    struct {
      SystemEvent kind;
      uint8_t which;
      uint32_t a, b, c, d;
    } sys;
  } u = {};
  const char* reasonName() const;
};

}  // namespace bv
