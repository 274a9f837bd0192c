// Data movement: MOV in every form, XCHG, LEA, segment register loads (MOV Sreg, LDS..LGS), MOVZX/MOVSX,
// CBW/CWD and their 32-bit forms, XLAT, LAHF/SAHF, BSWAP, CMOVcc, SETcc, hint NOPs.
#include "cpu/exec.h"

namespace bv::cpu {

// Used by stack.cpp too: a segment register load in any mode (the fast real-mode path avoids the call).
bool loadSegReg(Cpu& c, int s, uint16_t sel) {
  if (!c.protectedMode() || (c.eflags() & VM)) {
    c.setSegReal(s, sel);
    return true;
  }
  return c.sys().loadSegment(c, s, sel);
}

namespace {

template <int S, bool MEM>
void movEG(Cpu& c, const Insn& i) {
  uint32_t v = getReg<S>(c, i.reg);
  if constexpr (MEM) wr<S>(c, i.seg, ea(c, i), v);
  else setReg<S>(c, i.rm, v);
}
template <int S, bool MEM>
void movGE(Cpu& c, const Insn& i) {
  uint32_t v;
  if constexpr (MEM) {
    if (!rd<S>(c, i.seg, ea(c, i), v)) return;
  } else {
    v = getReg<S>(c, i.rm);
  }
  setReg<S>(c, i.reg, v);
}
template <int S, bool MEM>
void movEI(Cpu& c, const Insn& i) {
  if constexpr (MEM) wr<S>(c, i.seg, ea(c, i), i.imm);
  else setReg<S>(c, i.rm, i.imm);
}
template <int S>
void movRI(Cpu& c, const Insn& i) {
  setReg<S>(c, i.op & 7, i.imm);
}
template <int S>
void movAO(Cpu& c, const Insn& i) {  // A0/A1: accumulator <- moffs
  uint32_t v;
  if (rd<S>(c, i.seg, i.disp & i.amask, v)) setReg<S>(c, 0, v);
}
template <int S>
void movOA(Cpu& c, const Insn& i) {
  wr<S>(c, i.seg, i.disp & i.amask, getReg<S>(c, 0));
}

void movESreg(Cpu& c, const Insn& i) {
  if (i.reg > 5) {
    opUndefined(c, i);
    return;
  }
  uint16_t v = c.seg[i.reg].sel;
  if (i.mod == 3) {
    if (i.op32) setReg<4>(c, i.rm, v);
    else setReg<2>(c, i.rm, v);
  } else {
    wr<2>(c, i.seg, ea(c, i), v);
  }
}

void movSregE(Cpu& c, const Insn& i) {
  if (i.reg > 5 || i.reg == SEG_CS) {
    opUndefined(c, i);
    return;
  }
  uint32_t v;
  if (!readE<2>(c, i, v)) return;
  if (!loadSegReg(c, i.reg, uint16_t(v))) return;
  if (i.reg == SEG_SS) c.intShadow = true;
}

template <int S>
void lea(Cpu& c, const Insn& i) {
  if (i.mod == 3) {
    opUndefined(c, i);
    return;
  }
  setReg<S>(c, i.reg, ea(c, i));
}

template <int S>
void xchgRA(Cpu& c, const Insn& i) {
  int r = i.op & 7;
  uint32_t t = getReg<S>(c, r);
  setReg<S>(c, r, getReg<S>(c, 0));
  setReg<S>(c, 0, t);
}

template <int S>
void xchgEG(Cpu& c, const Insn& i) {
  uint32_t g = getReg<S>(c, i.reg);
  if (i.mod == 3) {
    uint32_t e = getReg<S>(c, i.rm);
    setReg<S>(c, i.rm, g);
    setReg<S>(c, i.reg, e);
  } else {
    uint32_t off = ea(c, i), e;
    if (!rdRmw<S>(c, i.seg, off, e) || !wr<S>(c, i.seg, off, g)) return;
    setReg<S>(c, i.reg, e);
  }
}

void nop(Cpu&, const Insn&) {}

void cbw(Cpu& c, const Insn& i) {
  if (i.op32) c.gpr[0] = uint32_t(int32_t(int16_t(c.gpr[0])));
  else setReg<2>(c, 0, uint32_t(int16_t(int8_t(c.gpr[0]))));
}
void cwd(Cpu& c, const Insn& i) {
  if (i.op32) c.gpr[2] = (c.gpr[0] & 0x80000000u) ? 0xFFFFFFFFu : 0;
  else setReg<2>(c, 2, (c.gpr[0] & 0x8000) ? 0xFFFF : 0);
}

void xlat(Cpu& c, const Insn& i) {
  uint32_t v;
  if (rd<1>(c, i.seg, (c.gpr[3] + (c.gpr[0] & 0xFF)) & i.amask, v)) setReg<1>(c, 0, v);
}

void lahf(Cpu& c, const Insn&) { setReg<1>(c, 4, (c.eflags() & (SF | ZF | AF | PF | CF)) | 2); }
void sahf(Cpu& c, const Insn&) {
  uint32_t ah = (c.gpr[0] >> 8) & (SF | ZF | AF | PF | CF);
  c.flagsRef() = (c.flagsRef() & ~(SF | ZF | AF | PF | CF)) | ah;
}

// LES LDS LSS LFS LGS: register <- offset, segment <- selector that follows it.
template <int S>
void loadFar(Cpu& c, const Insn& i) {
  if (i.mod == 3) {
    opUndefined(c, i);
    return;
  }
  int s;
  switch (i.op) {
    case 0xC4: s = SEG_ES; break;
    case 0xC5: s = SEG_DS; break;
    case 0x1B2: s = SEG_SS; break;
    case 0x1B4: s = SEG_FS; break;
    default: s = SEG_GS; break;
  }
  uint32_t off = ea(c, i), v, sel;
  if (!rd<S>(c, i.seg, off, v) || !rd<2>(c, i.seg, (off + S) & i.amask, sel)) return;
  if (!loadSegReg(c, s, uint16_t(sel))) return;
  setReg<S>(c, i.reg, v);  // LSS sets SS and SP together: no interrupt shadow, unlike MOV SS / POP SS
}

// MOVZX / MOVSX: SRC = source width, S = destination width.
template <int S, int SRC, bool SIGN>
void movx(Cpu& c, const Insn& i) {
  uint32_t v;
  if (!readE<SRC>(c, i, v)) return;
  if (SIGN) v = SRC == 1 ? uint32_t(int32_t(int8_t(v))) : uint32_t(int32_t(int16_t(v)));
  setReg<S>(c, i.reg, v);
}

void bswap(Cpu& c, const Insn& i) {
  int r = i.op & 7;
  if (i.op32) c.gpr[r] = __builtin_bswap32(c.gpr[r]);
  else setReg<2>(c, r, 0);  // 16-bit BSWAP is undefined; Intel and AMD parts clear the register
}

template <int S>
void cmov(Cpu& c, const Insn& i) {
  uint32_t v;
  if (!readE<S>(c, i, v)) return;  // the source is read whether or not the condition holds
  if (cond(c, i.op & 0xF)) setReg<S>(c, i.reg, v);
}

void setcc(Cpu& c, const Insn& i) { writeE<1>(c, i, cond(c, i.op & 0xF) ? 1 : 0); }

void hintNop(Cpu& c, const Insn& i) {
  (void)c;
  (void)i;
}

}  // namespace

bool selectData(Insn& i) {
  const int v = i.op32 ? 4 : 2;
  const bool m = i.mod != 3;
  const uint16_t op = i.op;
// NAME is a template's name, which parentheses would break.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define PICK(NAME, s)                                \
  ((s) == 1   ? (m ? NAME<1, true> : NAME<1, false>) \
   : (s) == 2 ? (m ? NAME<2, true> : NAME<2, false>) \
              : (m ? NAME<4, true> : NAME<4, false>))
  // NOLINTEND(bugprone-macro-parentheses)
  switch (op) {
    case 0x88: i.fn = PICK(movEG, 1); return true;
    case 0x89: i.fn = PICK(movEG, v); return true;
    case 0x8A: i.fn = PICK(movGE, 1); return true;
    case 0x8B: i.fn = PICK(movGE, v); return true;
    case 0xC6:
      if (i.reg) return false;
      i.fn = PICK(movEI, 1);
      return true;
    case 0xC7:
      if (i.reg) return false;
      i.fn = PICK(movEI, v);
      return true;
    case 0x8C: i.fn = movESreg; return true;
    case 0x8E: i.fn = movSregE; return true;
    case 0x8D: i.fn = v == 4 ? lea<4> : lea<2>; return true;
    case 0xA0: i.fn = movAO<1>; return true;
    case 0xA1: i.fn = v == 4 ? movAO<4> : movAO<2>; return true;
    case 0xA2: i.fn = movOA<1>; return true;
    case 0xA3: i.fn = v == 4 ? movOA<4> : movOA<2>; return true;
    case 0x86: i.fn = xchgEG<1>; return true;
    case 0x87: i.fn = v == 4 ? xchgEG<4> : xchgEG<2>; return true;
    case 0x90: i.fn = nop; return true;  // XCHG eAX, eAX (and PAUSE with F3)
    case 0x98: i.fn = cbw; return true;
    case 0x99: i.fn = cwd; return true;
    case 0x9E: i.fn = sahf; return true;
    case 0x9F: i.fn = lahf; return true;
    case 0xD7: i.fn = xlat; return true;
    case 0xC4:
    case 0xC5:
    case 0x1B2:
    case 0x1B4:
    case 0x1B5: i.fn = v == 4 ? loadFar<4> : loadFar<2>; return true;
    case 0x1B6: i.fn = v == 4 ? movx<4, 1, false> : movx<2, 1, false>; return true;
    case 0x1B7: i.fn = v == 4 ? movx<4, 2, false> : movx<2, 2, false>; return true;
    case 0x1BE: i.fn = v == 4 ? movx<4, 1, true> : movx<2, 1, true>; return true;
    case 0x1BF: i.fn = v == 4 ? movx<4, 2, true> : movx<2, 2, true>; return true;
    default: break;
  }
#undef PICK
  if (op >= 0x91 && op <= 0x97) {
    i.fn = v == 4 ? xchgRA<4> : xchgRA<2>;
    return true;
  }
  if (op >= 0xB0 && op <= 0xB7) {
    i.fn = movRI<1>;
    return true;
  }
  if (op >= 0xB8 && op <= 0xBF) {
    i.fn = v == 4 ? movRI<4> : movRI<2>;
    return true;
  }
  if (op >= 0x1C8 && op <= 0x1CF) {
    i.fn = bswap;
    return true;
  }
  if (op >= 0x140 && op <= 0x14F) {
    i.fn = v == 4 ? cmov<4> : cmov<2>;
    return true;
  }
  if (op >= 0x190 && op <= 0x19F) {
    i.fn = setcc;
    return true;
  }
  if (op >= 0x118 && op <= 0x11F) {
    i.fn = hintNop;
    return true;
  }
  return false;
}

}  // namespace bv::cpu
