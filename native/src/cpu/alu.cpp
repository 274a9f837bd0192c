// ADD OR ADC SBB AND SUB XOR CMP in all their forms, TEST, INC/DEC, NOT/NEG, CMPXCHG, XADD, CMPXCHG8B.
#include "cpu/exec.h"

namespace bv::cpu {

namespace {

// E op= G (or CMP E, G).
template <int OP, int S, bool MEM>
void aluEG(Cpu& c, const Insn& i) {
  uint32_t b = getReg<S>(c, i.reg);
  if constexpr (MEM) {
    uint32_t off = ea(c, i), a;
    if constexpr (OP == 7) {
      if (rd<S>(c, i.seg, off, a)) alu<S>(c, 7, a, b);
    } else {
      if (!rdRmw<S>(c, i.seg, off, a)) return;
      const Cpu::FlagSave sv = c.saveFlags();  // a faulting store leaves the flags as they were
      if (!wr<S>(c, i.seg, off, alu<S>(c, OP, a, b))) c.restoreFlags(sv);
    }
  } else {
    uint32_t r = alu<S>(c, OP, getReg<S>(c, i.rm), b);
    if (OP != 7) setReg<S>(c, i.rm, r);
  }
}

// G op= E.
template <int OP, int S, bool MEM>
void aluGE(Cpu& c, const Insn& i) {
  uint32_t b;
  if constexpr (MEM) {
    if (!rd<S>(c, i.seg, ea(c, i), b)) return;
  } else {
    b = getReg<S>(c, i.rm);
  }
  uint32_t r = alu<S>(c, OP, getReg<S>(c, i.reg), b);
  if (OP != 7) setReg<S>(c, i.reg, r);
}

// Accumulator op= immediate.
template <int OP, int S>
void aluAI(Cpu& c, const Insn& i) {
  uint32_t r = alu<S>(c, OP, getReg<S>(c, 0), i.imm);
  if (OP != 7) setReg<S>(c, 0, r);
}

// E op= immediate (group 1).
template <int OP, int S, bool MEM>
void aluEI(Cpu& c, const Insn& i) {
  if constexpr (MEM) {
    uint32_t off = ea(c, i), a;
    if constexpr (OP == 7) {
      if (rd<S>(c, i.seg, off, a)) alu<S>(c, 7, a, i.imm);
    } else {
      if (!rdRmw<S>(c, i.seg, off, a)) return;
      const Cpu::FlagSave sv = c.saveFlags();
      if (!wr<S>(c, i.seg, off, alu<S>(c, OP, a, i.imm))) c.restoreFlags(sv);
    }
  } else {
    uint32_t r = alu<S>(c, OP, getReg<S>(c, i.rm), i.imm);
    if (OP != 7) setReg<S>(c, i.rm, r);
  }
}

template <int S>
inline uint32_t testFlags(Cpu& c, uint32_t a, uint32_t b) {
  uint32_t r = a & b & Width<S>::mask;
  c.setLazy(Cpu::LZ_LOGIC | S, r, 0, 0, false);
  return r;
}

template <int S, bool MEM>
void testEG(Cpu& c, const Insn& i) {
  uint32_t a;
  if (!readE<S>(c, i, a)) return;
  testFlags<S>(c, a, getReg<S>(c, i.reg));
}
template <int S, bool MEM>
void testEI(Cpu& c, const Insn& i) {
  uint32_t a;
  if (!readE<S>(c, i, a)) return;
  testFlags<S>(c, a, i.imm);
}
template <int S>
void testAI(Cpu& c, const Insn& i) {
  testFlags<S>(c, getReg<S>(c, 0), i.imm);
}

template <int S, bool DEC>
void incdecReg(Cpu& c, const Insn& i) {
  int r = i.op & 7;
  setReg<S>(c, r, incdec<S>(c, getReg<S>(c, r), DEC));
}

template <bool DEC, int S, bool MEM>
void incdecE(Cpu& c, const Insn& i) {
  if constexpr (MEM) {
    uint32_t off = ea(c, i), a;
    if (!rdRmw<S>(c, i.seg, off, a)) return;
    const Cpu::FlagSave sv = c.saveFlags();
    if (!wr<S>(c, i.seg, off, incdec<S>(c, a, DEC))) c.restoreFlags(sv);
  } else {
    setReg<S>(c, i.rm, incdec<S>(c, getReg<S>(c, i.rm), DEC));
  }
}

template <int S, bool MEM>
void notE(Cpu& c, const Insn& i) {
  if constexpr (MEM) {
    uint32_t off = ea(c, i), a;
    if (!rdRmw<S>(c, i.seg, off, a)) return;
    wr<S>(c, i.seg, off, ~a & Width<S>::mask);
  } else {
    setReg<S>(c, i.rm, ~getReg<S>(c, i.rm));
  }
}

template <int S, bool MEM>
void negE(Cpu& c, const Insn& i) {
  uint32_t a, f;
  if constexpr (MEM) {
    uint32_t off = ea(c, i);
    if (!rdRmw<S>(c, i.seg, off, a)) return;
    uint32_t r = subFlags<S>(0, a, 0, f);
    if (wr<S>(c, i.seg, off, r)) setFlagsOSZAPC(c, f);
  } else {
    a = getReg<S>(c, i.rm);
    uint32_t r = subFlags<S>(0, a, 0, f);
    setFlagsOSZAPC(c, f);
    setReg<S>(c, i.rm, r);
  }
}

template <int S>
void cmpxchg(Cpu& c, const Insn& i) {
  uint32_t dest, f;
  uint32_t off = 0;
  if (i.mod == 3) {
    dest = getReg<S>(c, i.rm);
  } else {
    off = ea(c, i);
    if (!rdRmw<S>(c, i.seg, off, dest)) return;
  }
  uint32_t acc = getReg<S>(c, 0);
  subFlags<S>(acc, dest, 0, f);
  bool eq = acc == dest;
  uint32_t store = eq ? getReg<S>(c, i.reg) : dest;  // the CPU writes the destination either way
  if (i.mod == 3) setReg<S>(c, i.rm, store);
  else if (!wr<S>(c, i.seg, off, store)) return;
  setFlagsOSZAPC(c, f);
  if (!eq) setReg<S>(c, 0, dest);
}

template <int S>
void xadd(Cpu& c, const Insn& i) {
  uint32_t dest, f;
  uint32_t src = getReg<S>(c, i.reg);
  if (i.mod == 3) {
    dest = getReg<S>(c, i.rm);
    uint32_t sum = addFlags<S>(dest, src, 0, f);
    setReg<S>(c, i.reg, dest);
    setReg<S>(c, i.rm, sum);
  } else {
    uint32_t off = ea(c, i);
    if (!rdRmw<S>(c, i.seg, off, dest)) return;
    uint32_t sum = addFlags<S>(dest, src, 0, f);
    if (!wr<S>(c, i.seg, off, sum)) return;
    setReg<S>(c, i.reg, dest);
  }
  setFlagsOSZAPC(c, f);
}

void cmpxchg8b(Cpu& c, const Insn& i) {
  if (i.mod == 3 || i.reg != 1) {
    opUndefined(c, i);
    return;
  }
  uint32_t off = ea(c, i), lo, hi;
  if (!c.checkSeg(i.seg, off, 8, true) || !rd<4>(c, i.seg, off, lo) || !rd<4>(c, i.seg, (off + 4) & i.amask, hi))
    return;
  bool eq = lo == c.gpr[0] && hi == c.gpr[2];
  uint32_t nlo = eq ? c.gpr[3] : lo, nhi = eq ? c.gpr[1] : hi;
  if (!wr<4>(c, i.seg, off, nlo) || !wr<4>(c, i.seg, (off + 4) & i.amask, nhi)) return;
  c.setFlag(ZF, eq);
  if (!eq) {
    c.gpr[0] = lo;
    c.gpr[2] = hi;
  }
}

using Picker = Handler (*)(int size, bool mem);

#define SIZE_MEM_PICK(NAME, ...)                                                   \
  [](int s, bool m) -> Handler {                                                   \
    if (s == 1) return m ? NAME<__VA_ARGS__ 1, true> : NAME<__VA_ARGS__ 1, false>; \
    if (s == 2) return m ? NAME<__VA_ARGS__ 2, true> : NAME<__VA_ARGS__ 2, false>; \
    return m ? NAME<__VA_ARGS__ 4, true> : NAME<__VA_ARGS__ 4, false>;             \
  }

template <int OP>
Handler pickEG(int s, bool m) {
  return SIZE_MEM_PICK(aluEG, OP, )(s, m);
}
template <int OP>
Handler pickGE(int s, bool m) {
  return SIZE_MEM_PICK(aluGE, OP, )(s, m);
}
template <int OP>
Handler pickEI(int s, bool m) {
  return SIZE_MEM_PICK(aluEI, OP, )(s, m);
}
template <int OP>
Handler pickAI(int s, bool) {
  return s == 1 ? aluAI<OP, 1> : s == 2 ? aluAI<OP, 2> : aluAI<OP, 4>;
}

const Picker kEG[8] = {pickEG<0>, pickEG<1>, pickEG<2>, pickEG<3>, pickEG<4>, pickEG<5>, pickEG<6>, pickEG<7>};
const Picker kGE[8] = {pickGE<0>, pickGE<1>, pickGE<2>, pickGE<3>, pickGE<4>, pickGE<5>, pickGE<6>, pickGE<7>};
const Picker kEI[8] = {pickEI<0>, pickEI<1>, pickEI<2>, pickEI<3>, pickEI<4>, pickEI<5>, pickEI<6>, pickEI<7>};
const Picker kAI[8] = {pickAI<0>, pickAI<1>, pickAI<2>, pickAI<3>, pickAI<4>, pickAI<5>, pickAI<6>, pickAI<7>};

}  // namespace

bool selectAlu(Insn& i) {
  const uint16_t op = i.op;
  const int v = i.op32 ? 4 : 2;
  const int s = (op & 1) ? v : 1;
  const bool m = i.mod != 3;
  if (op < 0x40 && (op & 7) < 6) {
    int aop = op >> 3;
    switch (op & 7) {
      case 0:
      case 1: i.fn = kEG[aop](s, m); return true;
      case 2:
      case 3: i.fn = kGE[aop](s, m); return true;
      default: i.fn = kAI[aop](s, false); return true;
    }
  }
  switch (op) {
    case 0x80:
    case 0x82: i.fn = kEI[i.reg](1, m); return true;
    case 0x81:
    case 0x83: i.fn = kEI[i.reg](v, m); return true;
    case 0x84:
    case 0x85: i.fn = SIZE_MEM_PICK(testEG, )(s, m); return true;
    case 0xA8:
    case 0xA9: i.fn = s == 1 ? testAI<1> : s == 2 ? testAI<2> : testAI<4>; return true;
    case 0xF6:
    case 0xF7:
      switch (i.reg) {
        case 0:
        case 1: i.fn = SIZE_MEM_PICK(testEI, )(s, m); return true;
        case 2: i.fn = SIZE_MEM_PICK(notE, )(s, m); return true;
        case 3: i.fn = SIZE_MEM_PICK(negE, )(s, m); return true;
        default: return false;
      }
    case 0xFE:
    case 0xFF:
      if (i.reg == 0) {
        i.fn = SIZE_MEM_PICK(incdecE, false, )(s, m);
        return true;
      }
      if (i.reg == 1) {
        i.fn = SIZE_MEM_PICK(incdecE, true, )(s, m);
        return true;
      }
      return false;
    case 0x1B0: i.fn = cmpxchg<1>; return true;
    case 0x1B1: i.fn = v == 4 ? cmpxchg<4> : cmpxchg<2>; return true;
    case 0x1C0: i.fn = xadd<1>; return true;
    case 0x1C1: i.fn = v == 4 ? xadd<4> : xadd<2>; return true;
    case 0x1C7: i.fn = cmpxchg8b; return true;
    default: break;
  }
  if (op >= 0x40 && op <= 0x47) {
    i.fn = v == 4 ? incdecReg<4, false> : incdecReg<2, false>;
    return true;
  }
  if (op >= 0x48 && op <= 0x4F) {
    i.fn = v == 4 ? incdecReg<4, true> : incdecReg<2, true>;
    return true;
  }
  return false;
}

}  // namespace bv::cpu
