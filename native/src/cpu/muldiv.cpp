// MUL, IMUL (one, two and three operands), DIV, IDIV. SF/ZF/AF/PF are undefined after MUL/IMUL (set here
// from the low half, as Bochs does); DIV/IDIV leave all flags unchanged.
#include "cpu/exec.h"

namespace bv::cpu {

namespace {

template <int S>
inline int64_t sext(uint32_t v) {
  if constexpr (S == 1) return int8_t(v);
  else if constexpr (S == 2) return int16_t(v);
  else return int32_t(v);
}

template <int S>
void setMulFlags(Cpu& c, uint32_t lo, bool overflow) {
  setFlagsOSZAPC(c, (szp<S>(lo) & ~AF) | (overflow ? (CF | OF) : 0));
}

// reg: 4 MUL, 5 IMUL, 6 DIV, 7 IDIV.
template <int S, int OP, bool MEM>
void mulDiv(Cpu& c, const Insn& i) {
  uint32_t src;
  if (!readE<S>(c, i, src)) return;
  constexpr uint32_t m = Width<S>::mask;
  constexpr int bits = Width<S>::bits;
  src &= m;
  if constexpr (OP == 4 || OP == 5) {
    if constexpr (S == 1) {
      uint32_t al = c.gpr[0] & 0xFF;
      uint32_t r = OP == 4 ? al * src : uint32_t(int32_t(int8_t(al)) * int32_t(int8_t(src))) & 0xFFFF;
      setReg<2>(c, 0, r);
      bool ov = OP == 4 ? (r >> 8) != 0 : int16_t(r) != int8_t(r);
      setMulFlags<1>(c, r & 0xFF, ov);
    } else {
      uint64_t a = getReg<S>(c, 0);
      uint64_t r = OP == 4 ? a * src : uint64_t(sext<S>(uint32_t(a)) * sext<S>(src));
      uint32_t lo = uint32_t(r) & m, hi = uint32_t(r >> bits) & m;
      setReg<S>(c, 0, lo);
      setReg<S>(c, 2, hi);
      bool ov = OP == 4 ? hi != 0 : int64_t(r << (64 - 2 * bits)) >> (64 - 2 * bits) != sext<S>(lo);
      setMulFlags<S>(c, lo, ov);
    }
  } else {
    if (src == 0) {
      c.raise(VEC_DE, 0, "divide by zero");
      return;
    }
    uint64_t dividend = S == 1 ? (c.gpr[0] & 0xFFFF) : (uint64_t(getReg<S>(c, 2)) << bits) | getReg<S>(c, 0);
    uint64_t q, r;
    if constexpr (OP == 6) {
      q = dividend / src;
      r = dividend % src;
      if (q > m) {
        c.raise(VEC_DE, 0, "quotient 0x%llX does not fit in %d bits", (unsigned long long)q, bits);
        return;
      }
    } else {
      int64_t sd = int64_t(dividend << (64 - 2 * bits)) >> (64 - 2 * bits);
      int64_t ss = sext<S>(src);
      if (ss == -1 && sd == INT64_MIN) {
        c.raise(VEC_DE, 0, "signed quotient overflows");
        return;
      }
      int64_t sq = sd / ss, sr = sd % ss;
      int64_t lim = int64_t(1) << (bits - 1);
      if (sq >= lim || sq < -lim) {
        c.raise(VEC_DE, 0, "signed quotient %lld does not fit in %d bits", (long long)sq, bits);
        return;
      }
      q = uint64_t(sq);
      r = uint64_t(sr);
    }
    if constexpr (S == 1) {
      setReg<2>(c, 0, (uint32_t(q) & 0xFF) | ((uint32_t(r) & 0xFF) << 8));
    } else {
      setReg<S>(c, 0, uint32_t(q));
      setReg<S>(c, 2, uint32_t(r));
    }
  }
}

// IMUL Gv, Ev(, imm): 0F AF has no immediate (THREE = false).
template <int S, bool THREE>
void imulG(Cpu& c, const Insn& i) {
  uint32_t a;
  if (!readE<S>(c, i, a)) return;
  int64_t x = sext<S>(a);
  int64_t y = THREE ? sext<S>(i.imm) : sext<S>(getReg<S>(c, i.reg));
  int64_t r = x * y;
  uint32_t lo = uint32_t(r) & Width<S>::mask;
  setReg<S>(c, i.reg, lo);
  setMulFlags<S>(c, lo, r != sext<S>(lo));
}

template <int OP>
Handler pick(int s, bool m) {
  if (s == 1) return m ? mulDiv<1, OP, true> : mulDiv<1, OP, false>;
  if (s == 2) return m ? mulDiv<2, OP, true> : mulDiv<2, OP, false>;
  return m ? mulDiv<4, OP, true> : mulDiv<4, OP, false>;
}

}  // namespace

bool selectMulDiv(Insn& i) {
  const int v = i.op32 ? 4 : 2;
  const bool m = i.mod != 3;
  switch (i.op) {
    case 0xF6:
    case 0xF7: {
      int s = i.op == 0xF6 ? 1 : v;
      switch (i.reg) {
        case 4: i.fn = pick<4>(s, m); return true;
        case 5: i.fn = pick<5>(s, m); return true;
        case 6: i.fn = pick<6>(s, m); return true;
        case 7: i.fn = pick<7>(s, m); return true;
        default: return false;
      }
    }
    case 0x69:
    case 0x6B: i.fn = v == 4 ? imulG<4, true> : imulG<2, true>; return true;
    case 0x1AF: i.fn = v == 4 ? imulG<4, false> : imulG<2, false>; return true;
    default: return false;
  }
}

}  // namespace bv::cpu
