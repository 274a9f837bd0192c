// Control transfer: Jcc, JMP, CALL, RET (near and far), LOOP/JCXZ, INT/INT3/INTO/ICEBP, IRET, BOUND.
#include "cpu/exec.h"

namespace bv::cpu {

namespace {

inline bool branchTo(Cpu& c, const Insn& i, uint32_t target) {
  target = i.op32 ? target : (target & 0xFFFF);
  if (!checkBranch(c, target)) return false;
  c.eip = target;
  return true;
}

// One handler per condition, so the test compiles to a couple of instructions.
template <unsigned CC>
void jcc(Cpu& c, const Insn& i) {
  if (cond(c, CC)) branchTo(c, i, c.eip + i.imm);
}

const Handler kJcc[16] = {jcc<0>, jcc<1>, jcc<2>,  jcc<3>,  jcc<4>,  jcc<5>,  jcc<6>,  jcc<7>,
                          jcc<8>, jcc<9>, jcc<10>, jcc<11>, jcc<12>, jcc<13>, jcc<14>, jcc<15>};

void jmpRel(Cpu& c, const Insn& i) { branchTo(c, i, c.eip + i.imm); }

void callRel(Cpu& c, const Insn& i) {
  uint32_t target = i.op32 ? c.eip + i.imm : ((c.eip + i.imm) & 0xFFFF);
  if (!checkBranch(c, target)) return;
  if (!c.push(i.op32, c.eip)) return;
  c.eip = target;
}

template <int S>
void jmpE(Cpu& c, const Insn& i) {
  uint32_t t;
  if (readE<S>(c, i, t)) branchTo(c, i, t);
}

template <int S>
void callE(Cpu& c, const Insn& i) {
  uint32_t t;
  if (!readE<S>(c, i, t)) return;
  if (!checkBranch(c, t)) return;
  if (!c.push(S == 4, c.eip)) return;
  c.eip = t;
}

void retNear(Cpu& c, const Insn& i) {
  uint32_t t;
  uint32_t sp = c.sp();
  if (!c.readN(SEG_SS, sp, i.op32 ? 4 : 2, t)) return;
  if (!i.op32) t &= 0xFFFF;
  if (!checkBranch(c, t)) return;
  c.setSp(sp + (i.op32 ? 4 : 2) + (i.op == 0xC2 ? (i.imm & 0xFFFF) : 0));
  c.eip = t;
}

void retFar(Cpu& c, const Insn& i) { c.sys().farReturn(c, i.op32, i.op == 0xCA ? uint16_t(i.imm) : 0); }

void jmpFar(Cpu& c, const Insn& i) { c.sys().farJump(c, uint16_t(i.imm2), i.imm, i.op32); }
void callFar(Cpu& c, const Insn& i) { c.sys().farCall(c, uint16_t(i.imm2), i.imm, i.op32, c.eip); }

template <int S, bool CALL>
void farE(Cpu& c, const Insn& i) {
  if (i.mod == 3) {
    opUndefined(c, i);
    return;
  }
  uint32_t off = ea(c, i), t, sel;
  if (!rd<S>(c, i.seg, off, t) || !rd<2>(c, i.seg, (off + S) & i.amask, sel)) return;
  if (CALL) c.sys().farCall(c, uint16_t(sel), t, S == 4, c.eip);
  else c.sys().farJump(c, uint16_t(sel), t, S == 4);
}

// LOOPNE LOOPE LOOP JCXZ: the count register is CX or ECX by address size.
void loop(Cpu& c, const Insn& i) {
  uint32_t cnt = (c.gpr[1] - 1) & i.amask;
  bool take;
  switch (i.op) {
    case 0xE0: take = cnt != 0 && !(c.eflags() & ZF); break;
    case 0xE1: take = cnt != 0 && (c.eflags() & ZF); break;
    default: take = cnt != 0; break;
  }
  if (take) {
    uint32_t target = i.op32 ? c.eip + i.imm : ((c.eip + i.imm) & 0xFFFF);
    if (!checkBranch(c, target)) return;
    c.eip = target;
  }
  c.gpr[1] = (c.gpr[1] & ~i.amask) | cnt;
}

void jcxz(Cpu& c, const Insn& i) {
  if ((c.gpr[1] & i.amask) == 0) branchTo(c, i, c.eip + i.imm);
}

bool v86IoplFault(Cpu& c, const char* what) {
  if ((c.eflags() & VM) && iopl(c) < 3) return c.raise(VEC_GP, 0, "%s in virtual-8086 mode with IOPL < 3", what);
  return true;
}

void intN(Cpu& c, const Insn& i) {
  if (!v86IoplFault(c, "INT n")) return;
  const uint32_t eax = c.gpr[0];
  const uint16_t cs = c.seg[SEG_CS].sel;
  if (c.sys().deliverInterrupt(c, uint8_t(i.imm), IntKind::Software, false, 0) &&
      __builtin_expect(c.sysBreaks & SB_INTERRUPT, 0))
    c.systemEvent(SystemEvent::Interrupt, uint8_t(i.imm), eax, cs, c.insnEip);
}

// INT3, INTO and ICEBP are traps: raised as exceptions (the debugger may catch them), with EIP after them.
void int3(Cpu& c, const Insn&) {
  c.raise(VEC_BP, 0, "INT3 breakpoint instruction");
  c.pending_.trap = true;
  c.pending_.kind = IntKind::Int3;
}
void into(Cpu& c, const Insn&) {
  if (!(c.eflags() & OF)) return;
  c.raise(VEC_OF, 0, "INTO with OF set");
  c.pending_.trap = true;
  c.pending_.kind = IntKind::Into;
}
void icebp(Cpu& c, const Insn&) {
  c.raise(VEC_DB, 0, "ICEBP (INT1) instruction");
  c.pending_.trap = true;
  c.pending_.kind = IntKind::Icebp;
}

void iret(Cpu& c, const Insn& i) {
  if (!v86IoplFault(c, "IRET")) return;
  c.sys().iret(c, i.op32);
}

template <int S>
void bound(Cpu& c, const Insn& i) {
  if (i.mod == 3) {
    opUndefined(c, i);
    return;
  }
  uint32_t off = ea(c, i), lo, hi;
  if (!rd<S>(c, i.seg, off, lo) || !rd<S>(c, i.seg, (off + S) & i.amask, hi)) return;
  auto sx = [](uint32_t v) -> int32_t { return S == 2 ? int32_t(int16_t(v)) : int32_t(v); };
  int32_t idx = sx(getReg<S>(c, i.reg));
  if (idx < sx(lo) || idx > sx(hi)) c.raise(VEC_BR, 0, "BOUND: index %d is outside [%d, %d]", idx, sx(lo), sx(hi));
}

}  // namespace

bool selectControl(Insn& i) {
  const uint16_t op = i.op;
  const bool o32 = i.op32;
  if ((op >= 0x70 && op <= 0x7F) || (op >= 0x180 && op <= 0x18F)) {
    i.fn = kJcc[op & 0xF];
    return true;
  }
  switch (op) {
    case 0xEB:
    case 0xE9: i.fn = jmpRel; return true;
    case 0xE8: i.fn = callRel; return true;
    case 0xC2:
    case 0xC3: i.fn = retNear; return true;
    case 0xCA:
    case 0xCB: i.fn = retFar; return true;
    case 0xEA: i.fn = jmpFar; return true;
    case 0x9A: i.fn = callFar; return true;
    case 0xE0:
    case 0xE1:
    case 0xE2: i.fn = loop; return true;
    case 0xE3: i.fn = jcxz; return true;
    case 0xCC: i.fn = int3; return true;
    case 0xCD: i.fn = intN; return true;
    case 0xCE: i.fn = into; return true;
    case 0xF1: i.fn = icebp; return true;
    case 0xCF: i.fn = iret; return true;
    case 0x62: i.fn = o32 ? bound<4> : bound<2>; return true;
    case 0xFF:
      switch (i.reg) {
        case 2: i.fn = o32 ? callE<4> : callE<2>; return true;
        case 3: i.fn = o32 ? farE<4, true> : farE<2, true>; return true;
        case 4: i.fn = o32 ? jmpE<4> : jmpE<2>; return true;
        case 5: i.fn = o32 ? farE<4, false> : farE<2, false>; return true;
        default: return false;
      }
    default: return false;
  }
}

}  // namespace bv::cpu
