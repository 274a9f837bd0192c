// The protected-mode and paging operations, behind one interface so that native/src/cpu/pm/ implements them
// apart from the core. The core calls Cpu::sys(): protectedModeOps() (pm/) when CR0.PE is set, else
// realModeOps(), which handles real mode and raises #UD / #GP for what only protected mode can do.
//
// Every bool-returning operation returns false after raising a fault with Cpu::raise (nothing else to undo:
// the run loop restores EIP and ESP of the faulting instruction). Operations change the state only once they
// know they will succeed, as the SDM's pseudo-code does.
#pragma once
#include <cstdint>

#include "cpu/cpu.h"

namespace bv::cpu {

enum class TaskSwitchSource : uint8_t { Jmp, Call, Iret, Interrupt };

class SystemOps {
 public:
  virtual ~SystemOps() = default;

  // MOV Sreg / POP Sreg / LDS..LGS (seg = SEG_ES..SEG_GS, never SEG_CS). Sets the cache with Cpu::setSeg.
  // Loading SS sets the interrupt shadow in the core, not here.
  virtual bool loadSegment(Cpu& cpu, int seg, uint16_t sel) = 0;

  // Delivers an interrupt or exception: pushes (E)FLAGS, CS, (E)IP (= cpu.eip) and the error code when
  // hasError (protected mode only), loads CS:EIP from the IVT/IDT, clears IF (interrupt gates), TF, NT, RF.
  virtual bool deliverInterrupt(Cpu& cpu, uint8_t vector, IntKind kind, bool hasError, uint32_t error) = 0;

  // Far transfers. op32: the operand size of the instruction (what is pushed/popped). returnEip is the
  // address of the next instruction (farCall pushes it).
  virtual bool farJump(Cpu& cpu, uint16_t sel, uint32_t offset, bool op32) = 0;
  virtual bool farCall(Cpu& cpu, uint16_t sel, uint32_t offset, bool op32, uint32_t returnEip) = 0;
  // RETF imm16: pops EIP, CS (+ ESP, SS on a privilege change), releasing popBytes of parameters.
  virtual bool farReturn(Cpu& cpu, bool op32, uint16_t popBytes) = 0;
  virtual bool iret(Cpu& cpu, bool op32) = 0;
  virtual bool taskSwitch(Cpu& cpu, uint16_t sel, TaskSwitchSource src) = 0;

  // The page walk for a linear address (CR0.PG set). user: the access is at CPL 3 and not a system access.
  // access: ACCESS_READ / ACCESS_WRITE / ACCESS_EXEC. Sets A (and D on writes); on failure sets CR2 and
  // raises #PF with its error code, and returns ok = false.
  virtual PageWalk pageWalk(Cpu& cpu, uint32_t linear, uint8_t access, bool user) = 0;

  // 0F 00 group (SLDT/STR are read by the core from cpu.ldtr / cpu.tr).
  virtual bool lldt(Cpu& cpu, uint16_t sel) = 0;
  virtual bool ltr(Cpu& cpu, uint16_t sel) = 0;
  virtual bool verr(Cpu& cpu, uint16_t sel, bool& ok) = 0;  // ok -> ZF
  virtual bool verw(Cpu& cpu, uint16_t sel, bool& ok) = 0;
  // 0F 02 / 0F 03: rights = descriptor dword 2 & 0x00F0FF00 (LAR), limit = scaled limit (LSL).
  virtual bool lar(Cpu& cpu, uint16_t sel, uint32_t& rights, bool& ok) = 0;
  virtual bool lsl(Cpu& cpu, uint16_t sel, uint32_t& limit, bool& ok) = 0;

  // The TSS I/O permission bitmap for IN/OUT/INS/OUTS when CPL > IOPL (the core checks CPL/IOPL first).
  virtual bool ioPermitted(Cpu& cpu, uint16_t port, unsigned size) = 0;
};

// Real mode only.
SystemOps& realModeOps();
// Protected mode and paging (pm/protected_mode_ops.cpp). An ordinary call, not a registration from a static
// initializer, so the linker keeps pm/ even when the core comes from a static library.
SystemOps& protectedModeOps();

}  // namespace bv::cpu
