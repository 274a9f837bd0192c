// String instructions (MOVS CMPS STOS LODS SCAS INS OUTS) with REP/REPE/REPNE. A long REP runs in chunks:
// after 256 iterations (or an I/O yield) EIP stays on the instruction, which resumes where it left off,
// so a stop request or an interrupt is honoured between chunks, as between iterations on hardware.
#include "cpu/exec.h"

namespace bv::cpu {

namespace {

enum Kind { MOVS, CMPS, STOS, LODS, SCAS, INS, OUTS };

template <int S, int K>
void strop(Cpu& c, const Insn& i) {
  const uint32_t am = i.amask;
  const uint32_t delta = (c.eflags() & DF) ? uint32_t(-S) : uint32_t(S);
  const bool rep = i.rep != 0;
  uint32_t count = c.gpr[1] & am;
  if (rep && count == 0) return;
  if constexpr (K == INS || K == OUTS) {
    if (!ioAllowed(c, uint16_t(c.gpr[2]), S)) return;
  }
  unsigned chunk = 256;
  for (;;) {
    uint32_t si = c.gpr[6] & am, di = c.gpr[7] & am;
    uint32_t a, b, f;
    if constexpr (K == MOVS) {
      if (!rd<S>(c, i.seg, si, a) || !wr<S>(c, SEG_ES, di, a)) return;
    } else if constexpr (K == CMPS) {
      if (!rd<S>(c, i.seg, si, a) || !rd<S>(c, SEG_ES, di, b)) return;
      subFlags<S>(a, b, 0, f);
      setFlagsOSZAPC(c, f);
    } else if constexpr (K == STOS) {
      if (!wr<S>(c, SEG_ES, di, getReg<S>(c, 0))) return;
    } else if constexpr (K == LODS) {
      if (!rd<S>(c, i.seg, si, a)) return;
      setReg<S>(c, 0, a);
    } else if constexpr (K == SCAS) {
      if (!rd<S>(c, SEG_ES, di, b)) return;
      subFlags<S>(getReg<S>(c, 0), b, 0, f);
      setFlagsOSZAPC(c, f);
    } else if constexpr (K == INS) {
      // The destination is checked before the port is read, so a fault does not lose the input.
      if (!c.checkSeg(SEG_ES, di, S, true)) return;
      c.portIn(uint16_t(c.gpr[2]), S, a);
      if (!wr<S>(c, SEG_ES, di, a)) return;
    } else {
      if (!rd<S>(c, i.seg, si, a)) return;
      c.portOut(uint16_t(c.gpr[2]), S, a);
    }
    if constexpr (K == MOVS || K == CMPS || K == LODS || K == OUTS) c.gpr[6] = (c.gpr[6] & ~am) | ((si + delta) & am);
    if constexpr (K == MOVS || K == CMPS || K == STOS || K == SCAS || K == INS)
      c.gpr[7] = (c.gpr[7] & ~am) | ((di + delta) & am);
    if (!rep) return;
    count = (count - 1) & am;
    c.gpr[1] = (c.gpr[1] & ~am) | count;
    if (count == 0) return;
    if constexpr (K == CMPS || K == SCAS) {
      bool zf = c.eflags() & ZF;
      if (i.rep == 0xF3 ? !zf : zf) return;
    }
    // A guest data breakpoint traps after the iteration that hit it, EIP on the instruction (SDM 17.3.1.2).
    if (--chunk == 0 || c.yield || c.stopAfter || c.drHits) {
      c.eip = c.insnEip;
      return;
    }
  }
}

template <int K>
Handler pick(int s) {
  return s == 1 ? strop<1, K> : s == 2 ? strop<2, K> : strop<4, K>;
}

}  // namespace

bool selectString(Insn& i) {
  const int v = i.op32 ? 4 : 2;
  const int s = (i.op & 1) ? v : 1;
  switch (i.op) {
    case 0xA4:
    case 0xA5: i.fn = pick<MOVS>(s); return true;
    case 0xA6:
    case 0xA7: i.fn = pick<CMPS>(s); return true;
    case 0xAA:
    case 0xAB: i.fn = pick<STOS>(s); return true;
    case 0xAC:
    case 0xAD: i.fn = pick<LODS>(s); return true;
    case 0xAE:
    case 0xAF: i.fn = pick<SCAS>(s); return true;
    case 0x6C:
    case 0x6D: i.fn = pick<INS>(s); return true;
    case 0x6E:
    case 0x6F: i.fn = pick<OUTS>(s); return true;
    default: return false;
  }
}

}  // namespace bv::cpu
