// The CPU exceptions, in one table (native/src/cpu/exceptions.cpp): vector, mnemonic, name, class, whether
// an error code is pushed, and the double-fault class. The vCPU, the BIOS's report of an unhandled exception,
// the machine's stop records and (through the binding) the debugger's exception filters all read it.
//
// Double and triple faults (Intel SDM vol. 3, 6.15, table 6-5): a fault while the CPU delivers an exception
// is handled serially, unless both are contributory, or the first is a page fault and the second is not
// benign: then the CPU delivers #DF instead. A fault while it delivers #DF shuts it down (a triple fault; a
// PC then resets).
#pragma once
#include <cstddef>
#include <cstdint>

namespace bv {

enum class ExceptionClass : uint8_t {
  Fault,        // reported before the instruction: EIP points at it, and it can be restarted
  Trap,         // reported after the instruction: EIP points at the next one
  FaultOrTrap,  // #DB: a fault for instruction breakpoints, a trap for data breakpoints and single steps
  Abort,        // the CPU cannot say where: #DF, #MC
  Interrupt,    // NMI
  Reserved,     // vectors the SDM reserves
};

enum class DoubleFaultClass : uint8_t { Benign, Contributory, PageFault };

struct ExceptionInfo {
  uint8_t vector;
  const char* mnemonic;  // "#GP"
  const char* name;      // "general protection"
  ExceptionClass kind;
  bool errorCode;  // pushes an error code (in protected mode; real mode never does)
  DoubleFaultClass doubleFault;
};

constexpr unsigned kExceptionVectors = 32;

// Vectors 0-31. Above 31, an entry for a plain interrupt ("INT").
const ExceptionInfo& exceptionInfo(uint8_t vector);

// What a fault `second` raised while delivering exception `first` becomes.
enum class SecondFault : uint8_t { Serial, DoubleFault, TripleFault };
SecondFault secondFault(uint8_t first, uint8_t second);

const char* exceptionClassName(ExceptionClass c);      // "fault", "trap", ...
const char* doubleFaultClassName(DoubleFaultClass c);  // "benign", "contributory", "page fault"

}  // namespace bv
