// The values of F2XM1, FYL2X, FYL2XP1 and FPATAN with their special operands as the SDM's tables give them
// (the stack handling is fpu_transcendental.cpp's; FSIN FCOS FPTAN FSINCOS are fpu_trig.cpp's). Computed in
// 128-bit integer arithmetic (fpu_wide.h) and rounded once by the rounding control, so every host gets the
// same bits; native/tools/fpu_oracle --transcendental measures them against the host's own x87. Where the
// AMD silicon this was measured on does something of its own (an exact result still flags PE, F2XM1 beyond
// |x| = 1 and FYL2XP1 at x <= -1 leave the operand), the comments say so.
#include <array>
#include <cstddef>

#include "cpu/fpu_wide.h"

namespace bv::fpu {

namespace {

using namespace wide;

constexpr W kLn2{hl(0xB17217F7D1CF79ABull, 0xC9E3B39803F2F6AFull), -1};
constexpr W kLog2e{hl(0xB8AA3B295C17F0BBull, 0xBE87FED0691D3E88ull), 0};
constexpr W kPi{hl(0xC90FDAA22168C234ull, 0xC4C6628B80DC1CD1ull), 1};
constexpr W kHalfPi{hl(0xC90FDAA22168C234ull, 0xC4C6628B80DC1CD1ull), 0};
constexpr W kQuarterPi{hl(0xC90FDAA22168C234ull, 0xC4C6628B80DC1CD1ull), -1};
constexpr W kThreeQuarterPi{hl(0x96CBE3F9990E91A7ull, 0x9394C9E8A0A5159Cull), 1};
// atan(k/8) for k = 1..8.
constexpr W kAtanEighths[8] = {
    {hl(0xFEADD4D5617B6E32ull, 0xC897989F3E888EF7ull), -4}, {hl(0xFADBAFC96406EB15ull, 0x6DC79EF5F7A217E5ull), -3},
    {hl(0xB7B0CA0F26F78473ull, 0x8AA32122DCFE4483ull), -2}, {hl(0xED63382B0DDA7B45ull, 0x6FE445ECBC3A8D03ull), -2},
    {hl(0x8F005D5EF7F59F9Bull, 0x5C835E1665C43747ull), -1}, {hl(0xA4BC7D1934F70924ull, 0x19A87F2A457DAC9Eull), -1},
    {hl(0xB8053E2BC2319E73ull, 0xCB2DA55210A4443Dull), -1}, {hl(0xC90FDAA22168C234ull, 0xC4C6628B80DC1CD1ull), -1},
};

// (e^t - 1) / t = sum t^k / (k+1)! for |t| <= ln 2: (ln 2)^k / (k+1)! < 2^-130 from k = 32 on.
constexpr int kExpTerms = 33;
constexpr std::array<u128, kExpTerms> expSeries() {
  std::array<u128, kExpTerms> c{};
  u128 f = kOne;
  for (int k = 0; k < kExpTerms; ++k) {
    f /= u128(k + 1);
    c[std::size_t(k)] = f;
  }
  return c;
}
constexpr std::array<u128, kExpTerms> kExp = expSeries();

// atanh(s) / s = sum s^(2k) / (2k+1) for s^2 <= 0.03 (26 terms) and atan(u) / u, alternating, for
// u^2 <= 2^-8 (17 terms): 1/(2k+1).
constexpr int kOddTerms = 28;
constexpr std::array<u128, kOddTerms> oddSeries() {
  std::array<u128, kOddTerms> c{};
  for (int k = 0; k < kOddTerms; ++k) c[std::size_t(k)] = kOne / u128(2 * k + 1);
  return c;
}
constexpr std::array<u128, kOddTerms> kOdd = oddSeries();

// A rounded nonzero result of F2XM1, FYL2X or FYL2XP1: the silicon flags PE even where it is exact, and then
// UE too for a tiny one (a masked underflow is flagged only with PE).
F80 inexactAlways(Ctx& t, const W& w, bool exact) {
  const F80 r = round(t, w, exact);
  if ((t.masks & UE) && w.m != 0 && w.e + kBias <= 0) t.flags |= UE;
  t.flags |= PE;
  return r;
}

// ln(m) for m in [sqrt(2)/2, sqrt(2)) given as the difference num = m - 1 and the sum den = m + 1:
// 2 * atanh(num / den).
W lnNear1(const W& num, const W& den) {
  if (num.m == 0) return num;
  const W s = div(num, den);
  const u128 z = toFixUp(mul(s, s));
  W l = mul(s, fromFix(horner(kOdd.data(), 26, z, false)));
  l.e += 1;
  return l;
}

// log2(v) for a positive W v; exact is cleared unless v is a power of two.
W log2Of(const W& v, bool& exact) {
  // v = m * 2^n with m in [sqrt(2)/2, sqrt(2)).
  int32_t n = v.e;
  W m = v;
  m.e = 0;
  constexpr u128 kSqrt2 = hl(0xB504F333F9DE6484ull, 0x597D89B3754ABE9Full);  // sqrt(2) * 2^127
  if (m.m > kSqrt2) {
    m.e = -1;
    ++n;
  }
  const W one = fromInt(1, 0);
  const W frac = mul(lnNear1(sub(m, one), add(m, one)), kLog2e);
  if (frac.m != 0) exact = false;
  const W whole = fromInt(u128(n < 0 ? -int64_t(n) : n), 0, n < 0);
  return add(whole, frac);
}

}  // namespace

F80 f2xm1(Ctx& t, F80 a) {
  F80 out;
  if (nanOperand(t, a, out)) return out;
  if (isInf(a)) return signOf(a) ? make(true, kBias, 1ull << 63) : a;
  if (a.sig == 0) return a;
  // Beyond the domain |x| <= 1 the silicon leaves the operand (with PE); -1 gives -1/2 (PE, not rounded).
  if (expOf(a) >= kBias && !(expOf(a) == kBias && a.sig == (1ull << 63) && !signOf(a))) {
    t.flags |= PE;
    return expOf(a) == kBias && a.sig == (1ull << 63) ? make(true, kBias - 1, 1ull << 63) : a;
  }
  // 2^x - 1 = e^t - 1 with t = x ln 2: t * (e^t - 1) / t.
  const W x = fromF80(a);
  const W tt = mul(x, kLn2);
  const u128 z = toFixUp(tt);
  const W f = fromFix(horner(kExp.data(), kExpTerms, z, tt.neg));
  return inexactAlways(t, mul(tt, f), false);
}

F80 yl2x(Ctx& t, F80 a, F80 b, bool plusOne) {
  F80 out;
  if (nanOperands(t, a, b, out)) return out;
  const bool aZero = a.sig == 0 && !isInf(a), bZero = b.sig == 0 && !isInf(b);
  if (!plusOne) {
    if (signOf(a) && !aZero) {  // log of a negative number (or -infinity): IE alone, no DE (as the silicon)
      t.flags = uint16_t((t.flags & ~DE) | IE);
      return indefinite();
    }
    if (aZero) {
      if (bZero) {
        t.flags |= IE;
        return indefinite();
      }
      // ZE alone: a denormal y does not add DE here (as the silicon).
      if (!isInf(b)) t.flags = uint16_t((t.flags & ~DE) | ZE);
      return infinity(!signOf(b));
    }
    const bool aOne = expOf(a) == kBias && a.sig == (1ull << 63);
    if (isInf(a)) {
      if (bZero) {
        t.flags |= IE;
        return indefinite();
      }
      return infinity(signOf(b));
    }
    if (isInf(b)) {
      if (aOne) {
        t.flags |= IE;
        return indefinite();
      }
      return infinity(signOf(b) != (expOf(a) < kBias));
    }
    // log2(1) is +0; a zero y takes log2(x)'s sign.
    if (bZero || aOne) return zero(signOf(b) != (expOf(a) < kBias));
    bool exact = true;
    const W l = log2Of(fromF80(a), exact);
    const W r = mul(fromF80(b), l, &exact);
    return inexactAlways(t, r, exact);
  }
  // FYL2XP1: log2(1 + a).
  if (isInf(a)) {
    if (signOf(a) || bZero) {  // IE alone (no DE for a denormal y), as the silicon
      t.flags = uint16_t((t.flags & ~DE) | IE);
      return indefinite();
    }
    return infinity(signOf(b));
  }
  if (aZero && isInf(b)) {
    t.flags |= IE;
    return indefinite();
  }
  // A zero or infinite y gives log2(1 + a)'s sign (a's), even for a <= -1, as the silicon does.
  if (aZero || bZero) return zero(signOf(a) != signOf(b));
  if (isInf(b)) return infinity(signOf(b) != signOf(a));
  // a <= -1: the silicon leaves the operand (PE).
  if (signOf(a) && expOf(a) >= kBias) {
    t.flags |= PE;
    return a;
  }
  const W x = fromF80(a);
  const W one = fromInt(1, 0);
  W l;
  bool exact = true;
  if (x.e < -2) {
    // |a| < 1/4: ln(1 + a) = 2 atanh(a / (2 + a)) without forming 1 + a.
    W two = one;
    two.e = 1;
    l = mul(lnNear1(x, add(two, x)), kLog2e);
    exact = false;
  } else {
    bool sumExact = true;
    l = log2Of(add(one, x, &sumExact), exact);
    exact = exact && sumExact;
  }
  return inexactAlways(t, mul(fromF80(b), l, &exact), exact);
}

namespace {

// atan(q) for q in [0, 1]: atan(k/8) + atan((q - k/8) / (1 + q k/8)) with k = round(8q).
W atanUnit(const W& q) {
  unsigned k = 0;
  if (q.e >= -4) {                   // q >= 1/16
    const int sh = 127 - (q.e + 3);  // 8q as an integer, rounded
    k = unsigned((q.m >> (sh - 1)) + 1) >> 1;
    if (k > 8) k = 8;
  }
  W u = q;
  if (k != 0) {
    const W c = fromInt(k, -3);
    u = div(sub(q, c), add(fromInt(1, 0), mul(q, c)));
  }
  W v = u;
  if (u.m != 0) {
    const u128 z = toFixUp(mul(u, u));
    v = mul(u, fromFix(horner(kOdd.data(), 17, z, true)));
  }
  return k == 0 ? v : add(kAtanEighths[k - 1], v);
}

}  // namespace

F80 patan(Ctx& t, F80 a, F80 b) {
  // ST(1) = b (the y of atan2), ST(0) = a (its x).
  F80 out;
  if (nanOperands(t, b, a, out)) return out;
  const bool sy = signOf(b), sx = signOf(a);
  const bool yZero = b.sig == 0 && !isInf(b), xZero = a.sig == 0 && !isInf(a);
  W r;
  if (yZero) {
    if (!sx) return zero(sy);
    r = kPi;
  } else if (isInf(b)) {
    r = isInf(a) ? (sx ? kThreeQuarterPi : kQuarterPi) : kHalfPi;
  } else if (xZero) {
    r = kHalfPi;
  } else if (isInf(a)) {
    if (!sx) return zero(sy);
    r = kPi;
  } else {
    W y = fromF80(b), x = fromF80(a);
    y.neg = x.neg = false;
    const bool steep = y.e > x.e || (y.e == x.e && y.m > x.m);
    r = atanUnit(steep ? div(x, y) : div(y, x));
    if (steep) r = sub(kHalfPi, r);
    if (sx) r = sub(kPi, r);
  }
  r.neg = sy;
  return round(t, r, false);
}

}  // namespace bv::fpu
