// The stack: PUSH/POP of registers, segment registers, immediates and memory, PUSHA/POPA, PUSHF/POPF,
// ENTER/LEAVE.
#include "cpu/exec.h"

namespace bv::cpu {

bool loadSegReg(Cpu& c, int s, uint16_t sel);  // data.cpp

namespace {

template <int S>
void pushR(Cpu& c, const Insn& i) {
  c.push(S == 4, getReg<S>(c, i.op & 7));
}

template <int S>
void popR(Cpu& c, const Insn& i) {
  uint32_t v;
  if (c.pop(S == 4, v)) setReg<S>(c, i.op & 7, v);
}

int sregOf(uint16_t op) {
  switch (op) {
    case 0x06:
    case 0x07: return SEG_ES;
    case 0x0E: return SEG_CS;
    case 0x16:
    case 0x17: return SEG_SS;
    case 0x1E:
    case 0x1F: return SEG_DS;
    case 0x1A0:
    case 0x1A1: return SEG_FS;
    default: return SEG_GS;
  }
}

void pushS(Cpu& c, const Insn& i) { c.push(i.op32, c.seg[sregOf(i.op)].sel); }

void popS(Cpu& c, const Insn& i) {
  int s = sregOf(i.op);
  uint32_t v;
  if (!c.pop(i.op32, v)) return;
  if (!loadSegReg(c, s, uint16_t(v))) return;
  if (s == SEG_SS) c.intShadow = true;
}

void pushI(Cpu& c, const Insn& i) { c.push(i.op32, i.imm); }

template <int S>
void pushE(Cpu& c, const Insn& i) {
  uint32_t v;
  if (readE<S>(c, i, v)) c.push(S == 4, v);
}

template <int S>
void popE(Cpu& c, const Insn& i) {
  uint32_t v;
  if (!c.pop(S == 4, v)) return;
  // The destination address is computed with the incremented (E)SP, as on a 386+.
  writeE<S>(c, i, v);
}

template <int S>
void pusha(Cpu& c, const Insn&) {
  uint32_t sp = getReg<S>(c, 4);
  for (int r = 0; r < 8; ++r)
    if (!c.push(S == 4, r == 4 ? sp : getReg<S>(c, r))) return;
}

template <int S>
void popa(Cpu& c, const Insn&) {
  uint32_t v[8];
  uint32_t sp = c.sp();
  uint32_t mask = c.stack32() ? 0xFFFFFFFFu : 0xFFFFu;
  for (int k = 0; k < 8; ++k)
    if (!rd<S>(c, SEG_SS, (sp + k * S) & mask, v[7 - k])) return;
  for (int r = 0; r < 8; ++r)
    if (r != 4) setReg<S>(c, r, v[r]);
  c.setSp(sp + 8 * S);
}

void pushf(Cpu& c, const Insn& i) {
  if ((c.eflags() & VM) && iopl(c) < 3) {
    c.raise(VEC_GP, 0, "PUSHF in virtual-8086 mode with IOPL < 3");
    return;
  }
  c.push(i.op32, c.eflags() & ~(VM | RF));
}

void popf(Cpu& c, const Insn& i) {
  if ((c.eflags() & VM) && iopl(c) < 3) {
    c.raise(VEC_GP, 0, "POPF in virtual-8086 mode with IOPL < 3");
    return;
  }
  uint32_t v;
  if (!c.pop(i.op32, v)) return;
  uint32_t mask = Cpu::kFlagsWritable & ~(VM | RF | (1u << 19) | (1u << 20));
  if (c.protectedMode()) {
    if (c.cpl > 0) mask &= ~IOPL;
    if (c.cpl > iopl(c)) mask &= ~IF;
  }
  if (!i.op32) mask &= 0xFFFF;
  c.setEflags(((c.eflags() & ~mask) | (v & mask)) & ~RF);
}

void enter(Cpu& c, const Insn& i) {
  const bool op32 = i.op32, s32 = c.stack32();
  const unsigned size = op32 ? 4 : 2;
  const uint32_t smask = s32 ? 0xFFFFFFFFu : 0xFFFFu;
  unsigned level = i.imm2 & 0x1F;
  uint32_t bp = s32 ? c.gpr[5] : (c.gpr[5] & 0xFFFF);
  if (!c.push(op32, op32 ? c.gpr[5] : (c.gpr[5] & 0xFFFF))) return;
  uint32_t frame = c.sp();
  for (unsigned k = 1; k < level; ++k) {
    bp = (bp - size) & smask;
    uint32_t v;
    if (!c.readN(SEG_SS, bp, size, v) || !c.push(op32, v)) return;
  }
  if (level > 0 && !c.push(op32, frame)) return;
  uint32_t nsp = (c.sp() - (i.imm & 0xFFFF)) & smask;
  // The new stack top must be writable (the SDM's #SS check on the allocated frame).
  if (!c.checkSeg(SEG_SS, nsp, 1, true) && (i.imm & 0xFFFF)) return;
  if (op32) c.gpr[5] = frame;
  else setReg<2>(c, 5, frame);
  c.setSp(nsp);
}

void leave(Cpu& c, const Insn& i) {
  uint32_t oldSp = c.gpr[4];
  c.setSp(c.stack32() ? c.gpr[5] : (c.gpr[5] & 0xFFFF));
  uint32_t v;
  if (!c.pop(i.op32, v)) {
    c.gpr[4] = oldSp;
    return;
  }
  if (i.op32) c.gpr[5] = v;
  else setReg<2>(c, 5, v);
}

}  // namespace

bool selectStack(Insn& i) {
  const bool o32 = i.op32;
  const uint16_t op = i.op;
  if (op >= 0x50 && op <= 0x57) {
    i.fn = o32 ? pushR<4> : pushR<2>;
    return true;
  }
  if (op >= 0x58 && op <= 0x5F) {
    i.fn = o32 ? popR<4> : popR<2>;
    return true;
  }
  switch (op) {
    case 0x06:
    case 0x0E:
    case 0x16:
    case 0x1E:
    case 0x1A0:
    case 0x1A8: i.fn = pushS; return true;
    case 0x07:
    case 0x17:
    case 0x1F:
    case 0x1A1:
    case 0x1A9: i.fn = popS; return true;
    case 0x68:
    case 0x6A: i.fn = pushI; return true;
    case 0x8F:
      if (i.reg != 0) return false;
      i.fn = o32 ? popE<4> : popE<2>;
      return true;
    case 0xFF:
      if (i.reg != 6) return false;
      i.fn = o32 ? pushE<4> : pushE<2>;
      return true;
    case 0x60: i.fn = o32 ? pusha<4> : pusha<2>; return true;
    case 0x61: i.fn = o32 ? popa<4> : popa<2>; return true;
    case 0x9C: i.fn = pushf; return true;
    case 0x9D: i.fn = popf; return true;
    case 0xC8: i.fn = enter; return true;
    case 0xC9: i.fn = leave; return true;
    default: return false;
  }
}

}  // namespace bv::cpu
