// The x87's basic arithmetic on 80-bit values: add, subtract, multiply, divide, square root (each exact
// before one rounding by precision and rounding control), the partial remainders, round to integer, scale
// and extract.
#include "cpu/fpu_float80.h"

#include <utility>

namespace bv::fpu {

using u128 = unsigned __int128;

namespace {

// Rounds sign * v * 2^(e - bias - 127) (v nonzero, exact but for a sticky low bit).
F80 pack128(Ctx& c, bool sign, int32_t e, u128 v, unsigned prec) {
  const int s = clz128(v);
  v <<= s;
  return roundPack(c, sign, e - s, uint64_t(v >> 64), uint64_t(v), prec);
}

u128 shiftRightJam(u128 v, unsigned n) {
  if (n == 0) return v;
  if (n >= 128) return v != 0 ? 1 : 0;
  return (v >> n) | ((v & ((u128(1) << n) - 1)) != 0 ? 1 : 0);
}

// An invalid operation reports IE alone (no DE for a denormal operand), as the x87 does.
F80 invalid(Ctx& c) {
  c.flags = uint16_t((c.flags & ~DE) | IE);
  return indefinite();
}

// A finite value rounded to the precision control (x + 0 and the like still round).
F80 roundValue(Ctx& c, F80 a, unsigned prec) {
  if (a.sig == 0) return a;
  int32_t e;
  uint64_t m;
  normalize(a, e, m);
  return roundPack(c, signOf(a), e, m, 0, prec);
}

F80 addSigned(Ctx& c, F80 a, F80 b, bool negB) {
  F80 out;
  if (nanOperands(c, a, b, out)) return out;
  bool sa = signOf(a), sb = signOf(b) != negB;
  if (isInf(a) || isInf(b)) {
    if (isInf(a) && isInf(b) && sa != sb) return invalid(c);
    return isInf(a) ? infinity(sa) : infinity(sb);
  }
  const bool za = a.sig == 0, zb = b.sig == 0;
  if (za && zb) return zero(sa == sb ? sa : c.rc == 1);
  if (za) return roundValue(c, make(sb, expOf(b), b.sig), c.prec);
  if (zb) return roundValue(c, a, c.prec);
  int32_t ea, eb;
  uint64_t ma, mb;
  normalize(a, ea, ma);
  normalize(b, eb, mb);
  if (ea < eb || (ea == eb && ma < mb)) {
    std::swap(ea, eb);
    std::swap(ma, mb);
    std::swap(sa, sb);
  }
  const u128 va = u128(ma) << 63, vb = shiftRightJam(u128(mb) << 63, unsigned(ea - eb));
  u128 v;
  if (sa == sb) v = va + vb;
  else v = va - vb;
  if (v == 0) return zero(c.rc == 1);
  return pack128(c, sa, ea + 1, v, c.prec);
}

}  // namespace

F80 add(Ctx& c, F80 a, F80 b) { return addSigned(c, a, b, false); }
F80 sub(Ctx& c, F80 a, F80 b) { return addSigned(c, a, b, true); }

F80 mul(Ctx& c, F80 a, F80 b) {
  F80 out;
  if (nanOperands(c, a, b, out)) return out;
  const bool s = signOf(a) != signOf(b);
  if (isInf(a) || isInf(b)) {
    if (a.sig == 0 || b.sig == 0) return invalid(c);
    return infinity(s);
  }
  if (a.sig == 0 || b.sig == 0) return zero(s);
  int32_t ea, eb;
  uint64_t ma, mb;
  normalize(a, ea, ma);
  normalize(b, eb, mb);
  return pack128(c, s, ea + eb - kBias + 1, u128(ma) * mb, c.prec);
}

F80 div(Ctx& c, F80 a, F80 b) {
  F80 out;
  if (nanOperands(c, a, b, out)) return out;
  const bool s = signOf(a) != signOf(b);
  if (isInf(a)) return isInf(b) ? invalid(c) : infinity(s);
  if (isInf(b)) return zero(s);
  if (b.sig == 0) {
    if (a.sig == 0) return invalid(c);
    c.flags = uint16_t((c.flags & ~DE) | ZE);  // division by zero reports ZE alone, as the x87 does
    return infinity(s);
  }
  if (a.sig == 0) return zero(s);
  int32_t ea, eb;
  uint64_t ma, mb;
  normalize(a, ea, ma);
  normalize(b, eb, mb);
  // Long division in two 64-bit steps: q1 (up to 64 bits) then 64 more quotient bits, the rest as sticky.
  const u128 n = u128(ma) << 63;
  const uint64_t q1 = uint64_t(n / mb), r1 = uint64_t(n % mb);
  const u128 n2 = u128(r1) << 64;
  const uint64_t q2 = uint64_t(n2 / mb), r2 = uint64_t(n2 % mb);
  const u128 q = (u128(q1) << 64) | q2 | (r2 != 0 ? 1 : 0);
  return pack128(c, s, ea - eb + kBias, q, c.prec);
}

F80 sqrt(Ctx& c, F80 a) {
  F80 out;
  if (nanOperand(c, a, out)) return out;
  if (a.sig == 0) return a;
  if (signOf(a)) return invalid(c);
  if (isInf(a)) return a;
  int32_t e;
  uint64_t m;
  normalize(a, e, m);
  // value = m * 2^k with k = e - bias - 63; make k even by doubling m (t has 65 bits then).
  int32_t k = e - kBias - 63;
  u128 t = m;
  if (k & 1) {
    t <<= 1;
    k -= 1;
  }
  // Digit-by-digit root of t * 2^(2*34): 67 root bits, the remainder as sticky.
  constexpr int kExtraPairs = 34;
  u128 root = 0, r = 0;
  for (int i = 32 + kExtraPairs; i >= 0; --i) {
    const unsigned pair = i >= kExtraPairs ? unsigned((t >> (2 * (i - kExtraPairs))) & 3) : 0;
    r = (r << 2) | pair;
    const u128 trial = (root << 2) | 1;
    if (r >= trial) {
      r -= trial;
      root = (root << 1) | 1;
    } else {
      root <<= 1;
    }
  }
  const u128 v = root | (r != 0 ? 1 : 0);
  // sqrt(value) = root * 2^(k/2 - 34)
  return pack128(c, false, k / 2 - kExtraPairs + kBias + 127, v, c.prec);
}

F80 rem(Ctx& c, F80 a, F80 b, bool nearest, unsigned& quotient, bool& partial) {
  quotient = 0;
  partial = false;
  F80 out;
  if (nanOperands(c, a, b, out)) return out;
  if (isInf(a) || b.sig == 0) return invalid(c);
  if (isInf(b) || a.sig == 0) return roundValue(c, a, 64);
  const bool sa = signOf(a);
  int32_t ea, eb;
  uint64_t ma, mb;
  normalize(a, ea, ma);
  normalize(b, eb, mb);
  int32_t d = ea - eb;
  if (d < 0 && !(nearest && d == -1)) return roundValue(c, a, 64);  // |a| < |b| (or < |b|/2): a itself
  int32_t shift = d;
  if (d >= 64) {
    // Partial: reduce the exponent difference by 32..63 this time; the guest loops on C2.
    partial = true;
    shift = 32 + (d - 32) % 32;
    const int32_t scaledEb = ea - shift;  // divide by b * 2^(d - shift)
    u128 n = u128(ma) << shift;
    const uint64_t q = uint64_t(n / mb);
    u128 r = n - u128(q) * mb;
    (void)q;
    if (r == 0) return zero(sa);
    return pack128(c, sa, scaledEb + 64, r, 64);
  }
  // Exact: a = q * b + r with q = trunc or nearest-even of a / b.
  uint64_t q;
  u128 r;
  if (d < 0) {                               // FPREM1 with |b|/2 <= |a| < |b|: q is 0 or 1
    const u128 a2 = ma, b2 = u128(mb) << 1;  // a and b on the grid of a's lsb: b = 2 * mb at eb = ea + 1
    q = 0;
    r = a2;
    if (r * 2 > b2) {
      q = 1;
      const u128 nr = b2 - r;
      quotient = 1;
      return pack128(c, !sa, ea + 64, nr, 64);
    }
    return roundValue(c, a, 64);
  }
  const u128 n = u128(ma) << d;
  q = uint64_t(n / mb);
  r = n - u128(q) * mb;
  bool sign = sa;
  if (nearest) {
    const u128 twice = r << 1;
    if (twice > mb || (twice == mb && (q & 1))) {
      ++q;
      r = mb - r;
      sign = !sa;
    }
  }
  quotient = unsigned(q & 7);
  if (r == 0) return zero(sa);
  return pack128(c, sign, eb + 64, r, 64);
}

F80 roundToInt(Ctx& c, F80 a) {
  F80 out;
  if (nanOperand(c, a, out)) return out;
  if (isInf(a) || a.sig == 0) return a;
  int32_t e;
  uint64_t m;
  normalize(a, e, m);
  if (e >= kBias + 63) return a;
  const bool s = signOf(a);
  const u128 v = shiftRightJam(u128(m) << 64, unsigned(kBias + 63 - e));
  uint64_t i = uint64_t(v >> 64);
  const uint64_t dropped = uint64_t(v);
  if (dropped) {
    c.flags |= PE;
    bool up;
    switch (c.rc) {
      case 0: up = dropped > (1ull << 63) || (dropped == (1ull << 63) && (i & 1)); break;
      case 1: up = s; break;
      case 2: up = !s; break;
      default: up = false; break;
    }
    if (up) {
      ++i;
      c.flags |= C1;
    }
  }
  if (i == 0) return zero(s);
  const int z = __builtin_clzll(i);
  return make(s, kBias + 63 - z, i << z);
}

F80 scale(Ctx& c, F80 a, F80 b) {
  F80 out;
  if (nanOperands(c, a, b, out)) return out;
  if (isInf(b)) {
    const bool down = signOf(b);
    if (isInf(a)) return down ? invalid(c) : a;
    if (a.sig == 0) return down ? a : invalid(c);
    return down ? zero(signOf(a)) : infinity(signOf(a));
  }
  if (isInf(a) || a.sig == 0) return a;
  int32_t eb;
  uint64_t mb;
  int64_t n = 0;
  if (b.sig != 0) {
    normalize(b, eb, mb);
    const int32_t ub = eb - kBias;
    if (ub >= 30) n = 1 << 30;
    else if (ub >= 0) n = int64_t(mb >> (63 - ub));
    if (signOf(b)) n = -n;
  }
  int32_t e;
  uint64_t m;
  normalize(a, e, m);
  int64_t ne = int64_t(e) + n;
  if (ne > 0x20000) ne = 0x20000;
  if (ne < -0x20000) ne = -0x20000;
  return roundPack(c, signOf(a), int32_t(ne), m, 0, 64);
}

void extract(Ctx& c, F80 a, F80& exp, F80& sig) {
  F80 out;
  if (nanOperand(c, a, out)) {
    exp = sig = out;
    return;
  }
  if (isInf(a)) {
    exp = infinity(false);
    sig = a;
    return;
  }
  if (a.sig == 0) {
    c.flags |= ZE;
    exp = infinity(true);
    sig = a;
    return;
  }
  int32_t e;
  uint64_t m;
  normalize(a, e, m);
  exp = fromInt(e - kBias);
  sig = make(signOf(a), kBias, m);
}

}  // namespace bv::fpu
