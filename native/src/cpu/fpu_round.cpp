// Rounding to the destination precision with the x87's overflow and underflow responses, the NaN rules
// shared by every operation, and the small classifiers.
#include "cpu/fpu_float80.h"

namespace bv::fpu {

using u128 = unsigned __int128;

Ctx Ctx::fromControl(uint16_t cw) {
  Ctx c;
  c.masks = cw & 0x3F;
  c.rc = (cw >> 10) & 3;
  switch ((cw >> 8) & 3) {
    case 0: c.prec = 24; break;
    case 2: c.prec = 53; break;
    default: c.prec = 64; break;  // 1 is reserved; the 486 rounds to 64 bits then
  }
  return c;
}

unsigned tagOf(F80 a) {
  const int e = expOf(a);
  if (e == 0) return a.sig == 0 ? 1 : 2;
  if (e == kExpMax || !(a.sig >> 63)) return 2;
  return 0;
}

void normalize(F80 a, int32_t& exp, uint64_t& sig) {
  exp = expOf(a);
  sig = a.sig;
  if (exp == 0) exp = 1;  // denormals and pseudo-denormals have the exponent of the smallest normal
  const int s = __builtin_clzll(sig);
  sig <<= s;
  exp -= s;
}

namespace {

// Whether dropping `dropped` (below the kept bits; half = the weight of the first dropped bit) rounds the
// magnitude up.
bool roundsUp(const Ctx& c, bool sign, u128 kept, u128 dropped, u128 half) {
  if (dropped == 0) return false;
  switch (c.rc) {
    case 0: return dropped > half || (dropped == half && (kept & 1));
    case 1: return sign;
    case 2: return !sign;
    default: return false;
  }
}

}  // namespace

F80 roundPack(Ctx& c, bool sign, int32_t exp, uint64_t hi, uint64_t lo, unsigned prec) {
  u128 v = (u128(hi) << 64) | lo;
  const unsigned drop = 128 - prec;  // low bits of v that do not survive
  if (exp <= 0) {
    if (!(c.masks & UE)) {
      // Unmasked underflow: the result is delivered with its exponent wrapped into range.
      exp += 24576;
      c.flags |= UE;
    } else {
      // Denormalize (tininess is detected before rounding, as the x87 does), then round in place.
      const unsigned shift = unsigned(1 - exp);
      if (shift >= 128) v = v != 0 ? 1 : 0;
      else v = (v >> shift) | ((v & ((u128(1) << shift) - 1)) != 0 ? 1 : 0);
      const u128 mask = (u128(1) << drop) - 1;
      u128 kept = v >> drop;
      const u128 dropped = v & mask;
      const bool up = roundsUp(c, sign, kept, dropped, u128(1) << (drop - 1));
      if (dropped) c.flags |= UE | PE;
      if (up) {
        kept += 1;
        c.flags |= C1;
      }
      const uint64_t sig = uint64_t(kept << (64 - prec));
      return make(sign, (sig >> 63) ? 1 : 0, sig);
    }
  }
  const u128 mask = (u128(1) << drop) - 1;
  u128 kept = v >> drop;
  const u128 dropped = v & mask;
  if (dropped) c.flags |= PE;
  if (roundsUp(c, sign, kept, dropped, u128(1) << (drop - 1))) {
    kept += 1;
    c.flags |= C1;
    if (kept >> prec) {
      kept >>= 1;
      ++exp;
    }
  }
  if (exp >= kExpMax) {
    if (!(c.masks & OE)) {
      c.flags |= OE;
      exp -= 24576;
    } else {
      c.flags |= OE | PE;
      const bool toInf = c.rc == 0 || (c.rc == 2 && !sign) || (c.rc == 1 && sign);
      if (toInf) {
        c.flags |= C1;
        return infinity(sign);
      }
      c.flags &= ~C1;
      return make(sign, kExpMax - 1, ~0ull << (64 - prec));
    }
  }
  return make(sign, exp, uint64_t(kept << (64 - prec)));
}

bool nanOperand(Ctx& c, F80 a, F80& out) {
  if (isUnsupported(a)) {
    c.flags |= IE;
    out = indefinite();
    return true;
  }
  if (isNaN(a)) {
    if (isSNaN(a)) c.flags |= IE;
    out = F80{a.sig | (1ull << 62), a.se};
    return true;
  }
  if (isDenormal(a)) c.flags |= DE;
  return false;
}

bool nanOperands(Ctx& c, F80 a, F80 b, F80& out) {
  if (isUnsupported(a) || isUnsupported(b)) {
    c.flags |= IE;
    out = indefinite();
    return true;
  }
  const bool na = isNaN(a), nb = isNaN(b);
  if (na || nb) {
    const bool sa = isSNaN(a), sb = isSNaN(b);
    if (sa || sb) c.flags |= IE;
    F80 r;
    if (na && nb) {
      if (sa != sb) r = sa ? b : a;  // a QNaN wins over an SNaN
      else {
        const uint64_t ma = a.sig << 1, mb = b.sig << 1;
        r = ma > mb ? a : mb > ma ? b : (a.se < b.se ? b : a);
      }
    } else {
      r = na ? a : b;
    }
    out = F80{r.sig | (1ull << 62), r.se};
    return true;
  }
  if (isDenormal(a) || isDenormal(b)) c.flags |= DE;
  return false;
}

double toHostDouble(F80 a) {
  if (isNaN(a) || isUnsupported(a)) return __builtin_nan("");
  const bool s = signOf(a);
  if (isInf(a)) return s ? -__builtin_inf() : __builtin_inf();
  if (a.sig == 0) return s ? -0.0 : 0.0;
  int32_t e;
  uint64_t m;
  normalize(a, e, m);
  const double r = __builtin_ldexp(double(m), e - kBias - 63);
  return s ? -r : r;
}

}  // namespace bv::fpu
