#include "vmm/spin_probe.h"

namespace bv {

namespace {
// The PIT's ports: counters 0-2 (reads) and the mode/command register (latch commands only).
bool pitCounter(uint32_t port) { return port >= 0x40 && port <= 0x42; }
bool pitLatch(uint32_t port, uint8_t al) {
  return port == 0x43 && ((al & 0xC0) == 0xC0 || (al & 0x30) == 0);  // read-back, or counter latch
}
// The 8042: its status register, or its data port when the read would take no byte.
bool kbcQuiet(uint32_t port, bool dataQuiet) { return port == 0x64 || (port == 0x60 && dataQuiet); }
}  // namespace

SpinProbe::Effect SpinProbe::effectOf(const uint8_t* b, size_t n, const CpuState& st, bool kbcDataQuiet) {
  size_t i = 0;
  // Segment overrides only: operand/address-size prefixes would change the operand lengths decoded here.
  while (i < n && (b[i] == 0x26 || b[i] == 0x2E || b[i] == 0x36 || b[i] == 0x3E || b[i] == 0x64 || b[i] == 0x65)) ++i;
  if (i >= n) return Effect::Other;
  uint8_t op = b[i];
  uint8_t al = uint8_t(st.gprs[GPR_RAX]);
  uint32_t dx = uint16_t(st.gprs[GPR_RDX]);
  if (op >= 0x70 && op <= 0x7F) return Effect::Reads;                              // jcc rel8
  if (op == 0xEB || op == 0xE9 || op == 0x90) return Effect::Reads;                // jmp, nop
  if (op == 0x3C || op == 0x3D || op == 0xA8 || op == 0xA9) return Effect::Reads;  // cmp/test al/ax, imm
  if (op == 0xF3 && i + 1 < n && b[i + 1] == 0x90) return Effect::Reads;           // pause
  if (op >= 0xB0 && op <= 0xBF) return Effect::Registers;                          // mov reg, imm
  if (op == 0xA0 || op == 0xA1) return Effect::Registers;                          // mov al/ax, [moffs]
  if (op >= 0x40 && op <= 0x4F) return Effect::Registers;                          // inc/dec reg
  if (op >= 0x91 && op <= 0x99) return Effect::Registers;                          // xchg ax, reg; cbw; cwd
  if (op >= 0xE0 && op <= 0xE3) return Effect::Registers;                          // loop, loope, loopne, jcxz
  if (op == 0xF8 || op == 0xF9 || op == 0xF5 || op == 0xFC || op == 0xFD)
    return Effect::Registers;  // clc stc cmc cld std
  // ALU on AL/AX with an immediate: add or adc sbb and sub xor (cmp is above).
  if (op < 0x40 && (op & 7) >= 4 && (op & 7) <= 5 && (op >> 3) != 7) return Effect::Registers;
  if ((op >= 0x50 && op <= 0x5F) || op == 0x9C || op == 0xE8 || op == 0xC3)
    return Effect::Stack;  // push/pop reg, pushf, call, ret
  if (op == 0xE4 && i + 1 < n && kbcQuiet(b[i + 1], kbcDataQuiet)) return Effect::KbcIo;  // in al, imm8
  if (op == 0xEC && kbcQuiet(dx, kbcDataQuiet)) return Effect::KbcIo;                     // in al, dx
  if (op == 0xE4 || op == 0xE5)
    return i + 1 < n && pitCounter(b[i + 1]) ? Effect::PitIo : Effect::Other;                  // in al/ax, imm8
  if (op == 0xEC || op == 0xED) return pitCounter(dx) ? Effect::PitIo : Effect::Other;         // in al/ax, dx
  if (op == 0xE6) return i + 1 < n && pitLatch(b[i + 1], al) ? Effect::PitIo : Effect::Other;  // out imm8, al
  if (op == 0xEE) return pitLatch(dx, al) ? Effect::PitIo : Effect::Other;                     // out dx, al
  if (i + 1 >= n) return Effect::Other;
  uint8_t modrm = b[i + 1], reg = (modrm >> 3) & 7;
  bool toRegister = (modrm >> 6) == 3;  // the r/m operand is a register
  if (op < 0x40 && (op & 7) <= 3 && (op >> 3) != 7) {
    // ALU r/m, reg (d=0: the destination is r/m) or reg, r/m (d=1: a register); cmp (op>>3 == 7) reads only.
    return (op & 2) || toRegister ? Effect::Registers : Effect::Other;
  }
  switch (op) {
    case 0x8A:
    case 0x8B:  // mov reg, r/m
    case 0x38:
    case 0x39:
    case 0x3A:
    case 0x3B:  // cmp
    case 0x84:
    case 0x85:  // test
      return Effect::Registers;
    case 0x88:
    case 0x89:
    case 0x86:
    case 0x87:  // mov r/m, reg; xchg
    case 0xD0:
    case 0xD1:
    case 0xD2:
    case 0xD3:
    case 0xC0:
    case 0xC1:  // shifts and rotates
    case 0xFE:  // inc/dec r/m8
      return toRegister ? Effect::Registers : Effect::Other;
    case 0x80:
    case 0x81:
    case 0x83:  // group 1: cmp reads; the others write r/m
      return reg == 7 || toRegister ? Effect::Registers : Effect::Other;
    case 0xF6:
    case 0xF7:  // group 3: test reads; not/neg write r/m; mul/div
      if (reg == 0 || reg == 1) return Effect::Registers;
      if (reg == 2 || reg == 3) return toRegister ? Effect::Registers : Effect::Other;
      return reg <= 5 ? Effect::Registers : Effect::Other;         // mul, imul (div could fault)
    case 0x8F: return toRegister ? Effect::Stack : Effect::Other;  // pop r/m
    case 0x0F:
      if (b[i + 1] >= 0x80 && b[i + 1] <= 0x8F) return Effect::Reads;  // jcc rel16
      if (i + 2 < n && (b[i + 1] == 0xB6 || b[i + 1] == 0xB7 || b[i + 1] == 0xBE || b[i + 1] == 0xBF))
        return Effect::Registers;  // movzx/movsx
      return Effect::Other;
    default: return Effect::Other;
  }
}

}  // namespace bv
