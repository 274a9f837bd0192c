// Bit tests (BT BTS BTR BTC, by register or immediate) and bit scans (BSF BSR). Undefined flags are left
// unchanged.
#include "cpu/exec.h"

namespace bv::cpu {

namespace {

// OP: 0 BT, 1 BTS, 2 BTR, 3 BTC. IMM: bit offset from the immediate (no address adjustment).
template <int S, int OP, bool IMM>
void bt(Cpu& c, const Insn& i) {
  constexpr int bits = Width<S>::bits;
  uint32_t offset = IMM ? (i.imm & 0xFF) : getReg<S>(c, i.reg);
  uint32_t bit = offset & (bits - 1);
  uint32_t v, addr = 0;
  if (i.mod == 3) {
    v = getReg<S>(c, i.rm);
  } else {
    addr = ea(c, i);
    if (!IMM) {
      int32_t so = S == 2 ? int32_t(int16_t(offset)) : int32_t(offset);
      addr = (addr + uint32_t((so >> (S == 2 ? 4 : 5)) * S)) & i.amask;
    }
    bool ok = OP == 0 ? rd<S>(c, i.seg, addr, v) : rdRmw<S>(c, i.seg, addr, v);
    if (!ok) return;
  }
  bool cf = (v >> bit) & 1;
  uint32_t nv = v;
  if (OP == 1) nv |= 1u << bit;
  if (OP == 2) nv &= ~(1u << bit);
  if (OP == 3) nv ^= 1u << bit;
  if (OP != 0) {
    if (i.mod == 3) setReg<S>(c, i.rm, nv);
    else if (!wr<S>(c, i.seg, addr, nv)) return;
  }
  c.setFlag(CF, cf);
}

template <int S, bool REVERSE>
void bscan(Cpu& c, const Insn& i) {
  uint32_t v;
  if (!readE<S>(c, i, v)) return;
  v &= Width<S>::mask;
  if (v == 0) {
    c.setFlag(ZF, true);
    return;
  }
  c.setFlag(ZF, false);
  setReg<S>(c, i.reg, REVERSE ? 31 - __builtin_clz(v) : __builtin_ctz(v));
}

template <int OP, bool IMM>
Handler pick(bool o32) {
  return o32 ? bt<4, OP, IMM> : bt<2, OP, IMM>;
}

}  // namespace

bool selectBits(Insn& i) {
  const bool o32 = i.op32;
  switch (i.op) {
    case 0x1A3: i.fn = pick<0, false>(o32); return true;
    case 0x1AB: i.fn = pick<1, false>(o32); return true;
    case 0x1B3: i.fn = pick<2, false>(o32); return true;
    case 0x1BB: i.fn = pick<3, false>(o32); return true;
    case 0x1BA:
      switch (i.reg) {
        case 4: i.fn = pick<0, true>(o32); return true;
        case 5: i.fn = pick<1, true>(o32); return true;
        case 6: i.fn = pick<2, true>(o32); return true;
        case 7: i.fn = pick<3, true>(o32); return true;
        default: return false;
      }
    case 0x1BC: i.fn = o32 ? bscan<4, false> : bscan<2, false>; return true;
    case 0x1BD: i.fn = o32 ? bscan<4, true> : bscan<2, true>; return true;
    default: return false;
  }
}

}  // namespace bv::cpu
