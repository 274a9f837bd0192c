// What instruction handlers share: register and memory operand access, flag arithmetic, the selector
// functions each group file exports to the decoder.
#pragma once
#include <array>
#include <cstdint>

#include "cpu/cpu.h"
#include "cpu/insn.h"
#include "cpu/system_ops.h"

namespace bv::cpu {

using namespace bv::flags;
constexpr uint32_t OSZAPC = OF | SF | ZF | AF | PF | CF;

template <int S>
struct Width;
template <>
struct Width<1> {
  static constexpr uint32_t mask = 0xFF, sign = 0x80;
  static constexpr int bits = 8;
};
template <>
struct Width<2> {
  static constexpr uint32_t mask = 0xFFFF, sign = 0x8000;
  static constexpr int bits = 16;
};
template <>
struct Width<4> {
  static constexpr uint32_t mask = 0xFFFFFFFF, sign = 0x80000000;
  static constexpr int bits = 32;
};

extern const std::array<uint8_t, 256> kParity;  // PF bit for a byte

// ---- Registers ----
template <int S>
inline uint32_t getReg(const Cpu& c, int r) {
  if constexpr (S == 1) return r < 4 ? (c.gpr[r] & 0xFF) : ((c.gpr[r - 4] >> 8) & 0xFF);
  else if constexpr (S == 2) return c.gpr[r] & 0xFFFF;
  else return c.gpr[r];
}
// Always a whole 32-bit store: the compiler would otherwise turn the merge into a 16- or 8-bit store, and
// the next 32-bit load of that register (any address or 32-bit operand) then waits for the store to retire
// instead of taking its value from the store buffer (a store-forwarding stall, about 12 cycles; it was a
// quarter of workload (a)'s time, on `add si, 4` followed by `and si, 0xFC`).
inline void setGpr32(Cpu& c, int r, uint32_t v) {
  asm("" : "+r"(v));  // opaque: no narrowing of the store below
  c.gpr[r] = v;
}
template <int S>
inline void setReg(Cpu& c, int r, uint32_t v) {
  if constexpr (S == 1) {
    if (r < 4) setGpr32(c, r, (c.gpr[r] & ~0xFFu) | (v & 0xFF));
    else setGpr32(c, r - 4, (c.gpr[r - 4] & ~0xFF00u) | ((v & 0xFF) << 8));
  } else if constexpr (S == 2) {
    setGpr32(c, r, (c.gpr[r] & 0xFFFF0000u) | (v & 0xFFFF));
  } else {
    c.gpr[r] = v;
  }
}
inline uint32_t getRegV(const Cpu& c, int r, unsigned size) {
  return size == 1 ? getReg<1>(c, r) : size == 2 ? getReg<2>(c, r) : getReg<4>(c, r);
}
inline void setRegV(Cpu& c, int r, unsigned size, uint32_t v) {
  if (size == 1) setReg<1>(c, r, v);
  else if (size == 2) setReg<2>(c, r, v);
  else setReg<4>(c, r, v);
}

// ---- Memory operands ----
inline uint32_t ea(const Cpu& c, const Insn& i) {
  uint32_t a = i.disp;
  if (i.base != kNoReg) a += c.gpr[i.base];
  if (i.index != kNoReg) a += c.gpr[i.index] << i.scale;
  return a & i.amask;
}

template <int S>
inline bool rd(Cpu& c, int s, uint32_t off, uint32_t& v) {
  const Seg& g = c.seg[s];
  uint32_t end = off + (S - 1);
  if (g.canRead && off >= g.lo && end <= g.hi && end >= off) {
    uint32_t lin = g.base + off;
    if (c.fastRead(lin, S, v)) return true;
    return c.readLin(lin, S, v);
  }
  return c.readN(s, off, S, v);  // raises the fault
}
template <int S>
inline bool wr(Cpu& c, int s, uint32_t off, uint32_t v) {
  const Seg& g = c.seg[s];
  uint32_t end = off + (S - 1);
  if (g.canWrite && off >= g.lo && end <= g.hi && end >= off) {
    uint32_t lin = g.base + off;
    if (c.fastWrite(lin, S, v)) return true;
    return c.writeLin(lin, S, v);
  }
  return c.writeN(s, off, S, v);
}
// Read for read-modify-write: the write permission is checked first, as the CPU does.
template <int S>
inline bool rdRmw(Cpu& c, int s, uint32_t off, uint32_t& v) {
  const Seg& g = c.seg[s];
  if (!g.canWrite) return c.checkSeg(s, off, S, true);
  return rd<S>(c, s, off, v);
}

// The E operand (ModRM r/m): register or memory.
template <int S>
inline bool readE(Cpu& c, const Insn& i, uint32_t& v) {
  if (i.mod == 3) {
    v = getReg<S>(c, i.rm);
    return true;
  }
  return rd<S>(c, i.seg, ea(c, i), v);
}
template <int S>
inline bool writeE(Cpu& c, const Insn& i, uint32_t v) {
  if (i.mod == 3) {
    setReg<S>(c, i.rm, v);
    return true;
  }
  return wr<S>(c, i.seg, ea(c, i), v);
}

// ---- Flags ----
inline void setFlagsOSZAPC(Cpu& c, uint32_t f) { c.setOSZAPC(f); }

template <int S>
inline uint32_t szp(uint32_t r) {
  r &= Width<S>::mask;
  return (r == 0 ? ZF : 0) | ((r & Width<S>::sign) ? SF : 0) | kParity[r & 0xFF];
}

template <int S>
inline uint32_t addFlags(uint32_t a, uint32_t b, uint32_t cin, uint32_t& f) {
  constexpr uint32_t m = Width<S>::mask, sg = Width<S>::sign;
  uint32_t r = (a + b + cin) & m;
  bool cf;
  if constexpr (S == 4) cf = cin ? (r <= a) : (r < a);
  else cf = ((a + b + cin) >> Width<S>::bits) & 1;
  f = szp<S>(r) | (cf ? CF : 0) | (((a ^ r) & (b ^ r) & sg) ? OF : 0) | ((a ^ b ^ r) & AF);
  return r;
}
template <int S>
inline uint32_t subFlags(uint32_t a, uint32_t b, uint32_t cin, uint32_t& f) {
  constexpr uint32_t m = Width<S>::mask, sg = Width<S>::sign;
  uint32_t r = (a - b - cin) & m;
  bool cf = cin ? (a <= b) : (a < b);
  f = szp<S>(r) | (cf ? CF : 0) | (((a ^ b) & (a ^ r) & sg) ? OF : 0) | ((a ^ b ^ r) & AF);
  return r;
}

// The eight ALU operations of opcodes 00-3F and group 1, by index (ADD OR ADC SBB AND SUB XOR CMP).
// ADD, SUB, CMP and the logic ops leave OF SF ZF AF PF lazy (Cpu::setLazy); ADC and SBB set them exactly.
template <int S>
inline uint32_t alu(Cpu& c, int op, uint32_t a, uint32_t b) {
  constexpr uint32_t m = Width<S>::mask;
  a &= m;
  b &= m;
  uint32_t r, f;
  switch (op) {
    case 0:
      r = (a + b) & m;
      c.setLazy(Cpu::LZ_ADD | S, r, a, b, r < a);
      return r;
    case 5:
    case 7:
      r = (a - b) & m;
      c.setLazy(Cpu::LZ_SUB | S, r, a, b, a < b);
      return r;
    case 1: r = a | b; break;
    case 4: r = a & b; break;
    case 6: r = a ^ b; break;
    case 2:
      r = addFlags<S>(a, b, c.rawFlags() & CF, f);
      setFlagsOSZAPC(c, f);
      return r;
    default:
      r = subFlags<S>(a, b, c.rawFlags() & CF, f);
      setFlagsOSZAPC(c, f);
      return r;
  }
  c.setLazy(Cpu::LZ_LOGIC | S, r, 0, 0, false);
  return r;
}

// INC/DEC: the flags of ADD/SUB 1, with CF unchanged (CF is never lazy, so it is kept as it is).
template <int S>
inline uint32_t incdec(Cpu& c, uint32_t a, bool dec) {
  constexpr uint32_t m = Width<S>::mask;
  a &= m;
  uint32_t r = (dec ? a - 1 : a + 1) & m;
  c.setLazy((dec ? Cpu::LZ_SUB : Cpu::LZ_ADD) | S, r, a, 1, (c.rawFlags() & CF) != 0);
  return r;
}

// ROL (op 0) / ROR (op 1) by a count already masked to 1-31: they change CF and OF only, so the other
// flags may stay lazy. Inline: a rotate is common in hashing and checksum loops.
template <int S>
inline uint32_t rotate(Cpu& c, int op, uint32_t a, unsigned count) {
  constexpr uint32_t m = Width<S>::mask, sg = Width<S>::sign;
  constexpr unsigned bits = Width<S>::bits;
  const unsigned n = count % bits;
  if (op == 0) {
    const uint32_t r = n ? (((a << n) | (a >> (bits - n))) & m) : a;
    const bool carry = r & 1;
    c.setCO(carry, ((r & sg) != 0) != carry);
    return r;
  }
  const uint32_t r = n ? (((a >> n) | (a << (bits - n))) & m) : a;
  c.setCO((r & sg) != 0, (((r ^ (r << 1)) & sg) != 0));
  return r;
}

// Condition codes 0-F (Jcc, SETcc, CMOVcc).
inline bool cond(const Cpu& c, unsigned cc) {
  bool r;
  switch (cc >> 1) {
    case 1: r = c.rawFlags() & CF; break;  // CF is never lazy
    case 2: r = c.zeroFlag(); break;
    default: {
      uint32_t f = c.eflags();
      switch (cc >> 1) {
        case 0: r = f & OF; break;
        case 3: r = f & (CF | ZF); break;
        case 4: r = f & SF; break;
        case 5: r = f & PF; break;
        case 6: r = !(f & SF) != !(f & OF); break;
        default: r = (f & ZF) || (!(f & SF) != !(f & OF)); break;
      }
    }
  }
  return (cc & 1) ? !r : r;
}

// ---- Control flow helpers ----
inline void jumpNear(Cpu& c, const Insn& i, uint32_t target) { c.eip = i.op32 ? target : (target & 0xFFFF); }
// A near branch target must be inside CS (limit check, #GP(0)).
inline bool checkBranch(Cpu& c, uint32_t target) {
  if (target > c.seg[SEG_CS].limit)
    return c.raise(VEC_GP, 0, "branch target 0x%X is beyond the CS limit 0x%X", target, c.seg[SEG_CS].limit);
  return true;
}

// Privilege: IOPL-sensitive instructions (CLI, STI, IN, OUT, INS, OUTS) in protected mode.
inline uint8_t iopl(const Cpu& c) { return (c.eflags() >> 12) & 3; }
inline bool ioAllowed(Cpu& c, uint16_t port, unsigned size) {
  if (!c.protectedMode()) return true;
  if (!(c.eflags() & VM) && c.cpl <= iopl(c)) return true;
  if (c.sys().ioPermitted(c, port, size)) return true;
  if (!c.faultPending())
    c.raise(VEC_GP, 0, "I/O to port 0x%04X is not permitted at CPL %u (IOPL %u)", port, c.cpl, iopl(c));
  return false;
}
inline bool needCpl0(Cpu& c, const char* what) {
  if (!c.protectedMode() || (c.cpl == 0 && !(c.eflags() & VM))) return true;
  return c.raise(VEC_GP, 0, "%s needs CPL 0 (CPL is %u)", what, (c.eflags() & VM) ? 3 : c.cpl);
}

void opUndefined(Cpu& c, const Insn& i);
void opBadLock(Cpu& c, const Insn& i);  // LOCK on an instruction that cannot be locked

// Each instruction-group file claims the opcodes it implements (decode time only).
bool selectAlu(Insn& i);      // alu.cpp: 00-3F ALU, 80-85, INC/DEC, NEG/NOT, TEST, CMPXCHG, XADD
bool selectShift(Insn& i);    // shift.cpp: C0 C1 D0-D3, SHLD/SHRD
bool selectMulDiv(Insn& i);   // muldiv.cpp: F6/F7 MUL..IDIV, IMUL forms
bool selectBcd(Insn& i);      // bcd.cpp: DAA DAS AAA AAS AAM AAD SALC
bool selectData(Insn& i);     // data.cpp: MOV, XCHG, LEA, MOVZX/SX, CBW.., segment loads, XLAT, BSWAP, CMOV, SETcc
bool selectStack(Insn& i);    // stack.cpp: PUSH/POP forms, PUSHA/POPA, PUSHF/POPF, ENTER/LEAVE
bool selectControl(Insn& i);  // control.cpp: jumps, calls, returns, loops, INT/INTO/IRET, BOUND
bool selectString(Insn& i);   // string.cpp: MOVS CMPS STOS LODS SCAS INS OUTS
bool selectIo(Insn& i);       // io.cpp: IN OUT
bool selectSystem(Insn& i);   // system.cpp: flags ops, HLT, 0F 00/01, MOV CR/DR, CPUID, RDTSC, MSR, ESC
bool selectBits(Insn& i);     // bits.cpp: BT BTS BTR BTC, BSF BSR

}  // namespace bv::cpu
