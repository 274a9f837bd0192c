// What the x87 instruction files share: the one handler of the escapes D8-DF and WAIT, memory operands of
// the x87's sizes, and the bookkeeping of exceptions (masked responses, #MF, FERR#) and the stack.
#pragma once
#include <cstdint>

#include "cpu/exec.h"
#include "cpu/fpu_float80.h"

namespace bv::cpu {

void fpuEscape(Cpu& c, const Insn& i);  // fpu_exec.cpp: D8-DF
void fpuWait(Cpu& c, const Insn& i);    // fpu_exec.cpp: 9B

namespace x87 {

// Memory operands of 2 to 108 bytes through segmentation and paging. A store checks every byte it will
// write before writing any, so a fault leaves memory as it was.
bool readMem(Cpu& c, const Insn& i, uint32_t off, void* dst, unsigned n);
bool writeMem(Cpu& c, const Insn& i, uint32_t off, const void* src, unsigned n);
fpu::F80 loadRaw(const uint8_t b[10]);
void storeRaw(fpu::F80 v, uint8_t b[10]);

// The context for one operation from the control word.
inline fpu::Ctx ctx(const Cpu& c) { return fpu::Ctx::fromControl(c.fpu.cw); }
// Folds an operation's flags into the status word (C1 as the operation left it), raises FERR# where it
// applies. False: an unmasked IE, DE or ZE (or OE/UE for a memory store) forbids writing the result.
bool commit(Cpu& c, const fpu::Ctx& x, bool memoryStore = false);
// A stack fault (IE with SF; C1 = 1 on overflow, 0 on underflow) into x.
inline void stackFault(fpu::Ctx& x, bool overflow) {
  x.flags = uint16_t((x.flags & ~fpu::C1) | fpu::IE | fpu::SF | (overflow ? fpu::C1 : 0));
}
// After the status word's summary changed: FERR# (IRQ13 through the slave PIC) follows ES when CR0.NE = 0.
void errorSignal(Cpu& c, bool wasSet);

// Environment and state: FLDENV FNSTENV FRSTOR FNSAVE (fpu_env.cpp).
void storeEnv(Cpu& c, const Insn& i, bool save);
void loadEnv(Cpu& c, const Insn& i, bool restore);

// D9 E0-FF, the constants and the transcendentals (fpu_transcendental.cpp for the latter).
void transcendental(Cpu& c, uint8_t rm);

}  // namespace x87
}  // namespace bv::cpu
