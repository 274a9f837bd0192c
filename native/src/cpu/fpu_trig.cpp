// FSIN, FCOS, FPTAN and FSINCOS: their values (fpu_transcendental.cpp does the stack). The argument is
// reduced as the x87 reduces it, by its 66-bit approximation of pi (Intel's SDM, 8.3.10; the constant is pi
// truncated after 64 fraction bits): the remainder of |x| by pi66/2 is exact in integers, so large arguments
// give what the silicon gives, not the sine of the exact value. The functions of the reduced argument are
// evaluated in 128-bit fixed point (fpu_wide.h) and rounded once by the rounding control, which matches the
// host's x87 (fpu_oracle --transcendental) except where the exact value is within about 2^-70 of a rounding
// boundary, where the silicon's own approximation decides.
#include <array>
#include <cstddef>

#include "cpu/fpu_wide.h"

namespace bv::fpu {

namespace {

using namespace wide;

constexpr int kTerms = 18;  // (pi/4)^(2k) / (2k)! < 2^-130 from k = 17 on

// 1/(first + 2k)! in 1.127 fixed point: the sine's (first = 1) and the cosine's (first = 0) series in x^2.
constexpr std::array<u128, kTerms> series(int first) {
  std::array<u128, kTerms> c{};
  for (int k = 0; k < kTerms; ++k) {
    u128 f = kOne;
    for (int i = 2; i <= first + 2 * k; ++i) f /= u128(i);
    c[std::size_t(k)] = f;
  }
  return c;
}
constexpr std::array<u128, kTerms> kSin = series(1), kCos = series(0);

// pi66/2 = kHalfPi66 * 2^-65.
constexpr u128 kHalfPi66 = hl(0x3, 0x243F6A8885A308D3ull);

// sin and cos of r in [0, pi/4], both erring low by a few units of 2^-127 (so that the rounding treats them
// as the lower bound they are: sin(r) for a tiny r lies just below r, cos(r) just below 1).
void sinCos(const W& r, W& s, W& c) {
  const u128 z = toFixUp(mul(r, r));
  s = mul(r, fromFix(horner(kSin.data(), kTerms, z, true)));
  c = fromFix(horner(kCos.data(), kTerms, z, true));
}

}  // namespace

bool trig(Ctx& t, Trig op, F80 a, F80& out, F80& second) {
  second = make(false, kBias, 1ull << 63);
  if (nanOperand(t, a, out)) {  // NaNs and unsupported formats (an unnormal's exponent does not matter)
    second = out;
    return true;
  }
  if (expOf(a) >= kBias + 63 && !isInf(a)) return false;  // out of range: C2, ST(0) unchanged
  if (isInf(a)) {
    t.flags |= IE;
    out = second = indefinite();
    return true;
  }
  if (a.sig == 0) {  // sin and tan of a zero are that zero, cos is 1, all exact
    out = op == Trig::Cos ? second : a;
    return true;
  }
  // |a| = sig * 2^(e - 63) with e < 63; reduced to r in [0, pi66/4] and the quadrant j of |a| - j * pi66/2.
  int32_t e;
  uint64_t sig;
  normalize(a, e, sig);
  e -= kBias;
  W r;
  unsigned j = 0;
  bool folded = false;  // r = pi66/2 - (|a| - j * pi66/2)
  if (e >= -2) {
    const u128 n = u128(sig) << (e + 2);  // |a| * 2^65: at most 2^128
    u128 rem = n % kHalfPi66;
    j = unsigned(n / kHalfPi66) & 3;
    if (2 * rem > kHalfPi66) {
      rem = kHalfPi66 - rem;
      folded = true;
    }
    r = fromInt(rem, -65);
  } else {
    r = fromF80(absolute(a));
  }
  W s, c;
  sinCos(r, s, c);
  if (folded) {
    const W k = s;
    s = c;
    c = k;
  }
  // sin and cos of |a| by quadrant; sin and tan are odd.
  const bool sa = signOf(a);
  W sinA = (j & 1) ? c : s, cosA = (j & 1) ? s : c;
  if (j == 1 || j == 2) cosA.neg = true;
  if (j >= 2) sinA.neg = true;
  if (sa) sinA.neg = !sinA.neg;
  switch (op) {
    case Trig::Sin: out = round(t, sinA, false); break;
    case Trig::Cos: out = round(t, cosA, false); break;
    case Trig::Tan:
      // Below 2^-40 tan(a) = a + a^3/3 + ... lies just above a in magnitude, closer than the quotient of the
      // two series can tell.
      if (j == 0 && !folded && r.e < -40) {
        r.neg = sa;
        out = round(t, r, false);
      } else {
        out = round(t, div(sinA, cosA), false);
      }
      break;
    case Trig::SinCos: {
      // C1 as the silicon reports it: from the sine.
      out = round(t, sinA, false);
      const uint16_t c1 = t.flags & C1;
      second = round(t, cosA, false);
      t.flags = uint16_t((t.flags & ~C1) | c1);
      break;
    }
  }
  return true;
}

}  // namespace bv::fpu
