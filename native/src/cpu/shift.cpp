// Shifts and rotates (group 2: C0 C1 D0-D3) and SHLD/SHRD, with the flags a 386+ leaves, per the SDM's
// pseudo-code: the count is masked to 5 bits, and a masked count of 0 changes nothing.
#include "cpu/exec.h"

namespace bv::cpu {

namespace {

template <int S>
uint32_t shiftOp(Cpu& c, int op, uint32_t a, unsigned count) {
  constexpr uint32_t m = Width<S>::mask, sg = Width<S>::sign;
  constexpr unsigned bits = Width<S>::bits;
  a &= m;
  count &= 0x1F;
  if (count == 0) return a;
  if (op <= 1) return rotate<S>(c, op, a, count);
  uint32_t fl = c.flagsRef();
  uint32_t cf = fl & CF;
  uint32_t r = a, newFlags = fl;
  auto setCO = [&](bool carry, bool of) { newFlags = (newFlags & ~(CF | OF)) | (carry ? CF : 0) | (of ? OF : 0); };
  switch (op) {
    case 2: {  // RCL
      unsigned n = count % (bits + 1);
      if (n == 0) return a;
      uint64_t wide = (uint64_t(cf) << bits) | a;  // bits+1 wide value with CF on top
      uint64_t full = (wide << n) | (wide >> (bits + 1 - n));
      r = uint32_t(full) & m;
      bool carry = (full >> bits) & 1;
      setCO(carry, ((r & sg) != 0) != carry);
      break;
    }
    case 3: {  // RCR
      unsigned n = count % (bits + 1);
      if (n == 0) return a;
      uint64_t wide = (uint64_t(cf) << bits) | a;
      uint64_t full = (wide >> n) | (wide << (bits + 1 - n));
      r = uint32_t(full) & m;
      bool carry = (full >> bits) & 1;
      setCO(carry, (((r ^ (r << 1)) & sg) != 0));
      break;
    }
    case 4:
    case 6: {  // SHL/SAL
      uint64_t wide = uint64_t(a) << count;
      r = uint32_t(wide) & m;
      bool carry = (wide >> bits) & 1;
      newFlags = (newFlags & ~OSZAPC) | szp<S>(r);
      setCO(carry, ((r & sg) != 0) != carry);
      break;
    }
    case 5: {  // SHR
      r = count >= bits ? 0 : (a >> count);
      bool carry = count > bits ? false : ((a >> (count - 1)) & 1);
      newFlags = (newFlags & ~OSZAPC) | szp<S>(r);
      setCO(carry, count == 1 ? (a & sg) != 0 : false);
      break;
    }
    default: {  // SAR
      int32_t sa = S == 1 ? int32_t(int8_t(a)) : S == 2 ? int32_t(int16_t(a)) : int32_t(a);
      unsigned n = count >= bits ? bits - 1 : count;
      r = uint32_t(sa >> n) & m;
      bool carry = count >= bits ? (sa < 0) : ((sa >> (count - 1)) & 1);
      newFlags = (newFlags & ~OSZAPC) | szp<S>(r);
      setCO(carry, false);
      break;
    }
  }
  c.flagsRef() = newFlags;
  return r;
}

// SRC: 0 = by 1, 1 = by CL, 2 = by imm8.
template <int S, int SRC, bool MEM>
void shiftE(Cpu& c, const Insn& i) {
  unsigned count = SRC == 0 ? 1 : SRC == 1 ? (c.gpr[1] & 0xFF) : (i.imm & 0xFF);
  if constexpr (MEM) {
    uint32_t off = ea(c, i), a;
    if (!rdRmw<S>(c, i.seg, off, a)) return;
    if ((count & 0x1F) == 0) return;
    const Cpu::FlagSave sv = c.saveFlags();
    if (!wr<S>(c, i.seg, off, shiftOp<S>(c, i.reg, a, count))) c.restoreFlags(sv);
  } else if (i.reg <= 1 && (count & 0x1F)) {
    setReg<S>(c, i.rm, rotate<S>(c, i.reg, getReg<S>(c, i.rm), count & 0x1F));
  } else {
    setReg<S>(c, i.rm, shiftOp<S>(c, i.reg, getReg<S>(c, i.rm), count));
  }
}

// SHLD (LEFT) / SHRD. SRC: 1 = CL, 2 = imm8.
template <int S, bool LEFT, int SRC>
void shiftDouble(Cpu& c, const Insn& i) {
  unsigned count = (SRC == 1 ? c.gpr[1] : i.imm) & 0x1F;
  uint32_t off = 0, a;
  if (i.mod == 3) {
    a = getReg<S>(c, i.rm);
  } else {
    off = ea(c, i);
    if (!rdRmw<S>(c, i.seg, off, a)) return;
  }
  if (count == 0) return;
  constexpr uint32_t m = Width<S>::mask, sg = Width<S>::sign;
  uint64_t b = getReg<S>(c, i.reg);
  uint32_t r;
  bool carry;
  if constexpr (S == 4) {
    if (LEFT) {
      r = uint32_t((((uint64_t(a) << 32) | b) << count) >> 32);
      carry = (a >> (32 - count)) & 1;
    } else {
      r = uint32_t(((b << 32) | a) >> count);
      carry = (a >> (count - 1)) & 1;
    }
  } else {
    // dest:src:dest, so 16-bit counts past 16 (undefined in the SDM) behave as on Intel parts.
    uint64_t wide = (uint64_t(a) << 32) | (b << 16) | a;
    if (LEFT) {
      uint64_t sh = wide << count;
      r = uint32_t(sh >> 32) & m;
      carry = (sh >> 48) & 1;
    } else {
      r = uint32_t(wide >> count) & m;
      carry = (wide >> (count - 1)) & 1;
    }
  }
  uint32_t f = szp<S>(r) | (carry ? CF : 0) | (((r ^ a) & sg) ? OF : 0);
  if (i.mod == 3) setReg<S>(c, i.rm, r);
  else if (!wr<S>(c, i.seg, off, r)) return;
  setFlagsOSZAPC(c, f);
}

template <int SRC>
Handler pickShift(int s, bool m) {
  if (s == 1) return m ? shiftE<1, SRC, true> : shiftE<1, SRC, false>;
  if (s == 2) return m ? shiftE<2, SRC, true> : shiftE<2, SRC, false>;
  return m ? shiftE<4, SRC, true> : shiftE<4, SRC, false>;
}

}  // namespace

bool selectShift(Insn& i) {
  const int v = i.op32 ? 4 : 2;
  const bool m = i.mod != 3;
  switch (i.op) {
    case 0xC0: i.fn = pickShift<2>(1, m); return true;
    case 0xC1: i.fn = pickShift<2>(v, m); return true;
    case 0xD0: i.fn = pickShift<0>(1, m); return true;
    case 0xD1: i.fn = pickShift<0>(v, m); return true;
    case 0xD2: i.fn = pickShift<1>(1, m); return true;
    case 0xD3: i.fn = pickShift<1>(v, m); return true;
    case 0x1A4: i.fn = v == 4 ? shiftDouble<4, true, 2> : shiftDouble<2, true, 2>; return true;
    case 0x1A5: i.fn = v == 4 ? shiftDouble<4, true, 1> : shiftDouble<2, true, 1>; return true;
    case 0x1AC: i.fn = v == 4 ? shiftDouble<4, false, 2> : shiftDouble<2, false, 2>; return true;
    case 0x1AD: i.fn = v == 4 ? shiftDouble<4, false, 1> : shiftDouble<2, false, 1>; return true;
    default: return false;
  }
}

}  // namespace bv::cpu
