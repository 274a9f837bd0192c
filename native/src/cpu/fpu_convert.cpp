// Conversions between the 80-bit format and the x87's memory formats (int16/32/64, float32/64, packed BCD),
// and comparison.
#include "cpu/fpu_float80.h"

namespace bv::fpu {

using u128 = unsigned __int128;

namespace {

// Whether dropping `dropped` below kept rounds up; half is the weight of the first dropped bit (0 when the
// first dropped bit lies above everything dropped).
bool roundsUp(const Ctx& c, bool sign, u128 kept, u128 dropped, u128 half, bool halfAbove) {
  if (dropped == 0) return false;
  switch (c.rc) {
    case 0: return !halfAbove && (dropped > half || (dropped == half && (kept & 1)));
    case 1: return sign;
    case 2: return !sign;
    default: return false;
  }
}

// Rounds a finite nonzero value to a binary format of p significand bits and exponents emin..emax; returns
// the format's exponent and fraction bits (sign not included). Masked overflow gives infinity or the largest
// number; unmasked OE/UE are only flagged (the caller stores nothing then).
uint64_t roundToFormat(Ctx& c, F80 a, unsigned p, int emin, int emax) {
  const bool sign = signOf(a);
  int32_t e;
  uint64_t m;
  normalize(a, e, m);
  int ue = e - kBias;
  const u128 v = u128(m) << 64;  // value = v * 2^(ue - 127)
  const int k = ue >= emin ? int(p) : int(p) - (emin - ue);
  u128 kept, dropped, half = 0;
  bool halfAbove = false;
  if (k <= 0) {
    kept = 0;
    dropped = v;
    if (k == 0) half = u128(1) << 127;
    else halfAbove = true;
  } else {
    const unsigned drop = 128 - unsigned(k);
    kept = v >> drop;
    dropped = v & ((u128(1) << drop) - 1);
    half = u128(1) << (drop - 1);
  }
  const bool tiny = ue < emin;
  if (dropped) c.flags |= PE;
  if (tiny) {
    if (!(c.masks & UE)) c.flags |= UE;
    else if (dropped) c.flags |= UE;
  }
  if (roundsUp(c, sign, kept, dropped, half, halfAbove)) {
    kept += 1;
    c.flags |= C1;
  }
  if (tiny) return uint64_t(kept);  // a carry into the implicit bit makes it the smallest normal by itself
  if (kept >> p) {
    kept >>= 1;
    ++ue;
  }
  if (ue > emax) {
    c.flags |= OE;
    if (!(c.masks & OE)) return 0;
    c.flags |= PE;
    const bool toInf = c.rc == 0 || (c.rc == 2 && !sign) || (c.rc == 1 && sign);
    const uint64_t expAll = uint64_t(2 * emax + 1) << (p - 1);
    if (toInf) {
      c.flags |= C1;
      return expAll;
    }
    c.flags &= ~C1;
    return expAll - 1;
  }
  return (uint64_t(ue - emin) << (p - 1)) + uint64_t(kept);
}

}  // namespace

F80 fromInt(int64_t v) {
  if (v == 0) return zero(false);
  const bool s = v < 0;
  uint64_t m = s ? uint64_t(0) - uint64_t(v) : uint64_t(v);
  const int z = __builtin_clzll(m);
  return make(s, kBias + 63 - z, m << z);
}

namespace {

F80 fromBinary(Ctx& c, uint64_t bits, unsigned p, unsigned expBits) {
  const unsigned fracBits = p - 1;
  const bool s = (bits >> (fracBits + expBits)) & 1;
  const int ex = int((bits >> fracBits) & ((1u << expBits) - 1));
  const uint64_t frac = bits & ((1ull << fracBits) - 1);
  const int bias = (1 << (expBits - 1)) - 1;
  const unsigned up = 64 - p;
  if (ex == (1 << expBits) - 1) {
    if (frac == 0) return infinity(s);
    if (!(frac >> (fracBits - 1))) c.flags |= IE;  // SNaN: quieted on the way in
    return make(s, kExpMax, (1ull << 63) | (1ull << 62) | (frac << up));
  }
  if (ex == 0) {
    if (frac == 0) return zero(s);
    c.flags |= DE;
    const int z = __builtin_clzll(frac);
    // frac * 2^(1 - bias - fracBits)
    return make(s, 1 - bias - int(fracBits) + 63 - z + kBias, frac << z);
  }
  return make(s, ex - bias + kBias, (1ull << 63) | (frac << up));
}

template <unsigned P, unsigned E>
uint64_t toBinary(Ctx& c, F80 a) {
  const uint64_t signBit = 1ull << (P - 1 + E);
  const uint64_t expAll = ((1ull << E) - 1) << (P - 1);
  const uint64_t s = signOf(a) ? signBit : 0;
  if (isUnsupported(a)) {
    c.flags |= IE;
    return signBit | expAll | (1ull << (P - 2));
  }
  if (isNaN(a)) {
    if (isSNaN(a)) c.flags |= IE;
    return s | expAll | (1ull << (P - 2)) | ((a.sig << 1) >> (65 - P));
  }
  if (isInf(a)) return s | expAll;
  if (a.sig == 0) return s;
  const int bias = (1 << (E - 1)) - 1;
  return s | roundToFormat(c, a, P, 1 - bias, bias);
}

}  // namespace

F80 fromF32(Ctx& c, uint32_t v) { return fromBinary(c, v, 24, 8); }
F80 fromF64(Ctx& c, uint64_t v) { return fromBinary(c, v, 53, 11); }
uint32_t toF32(Ctx& c, F80 a) { return uint32_t(toBinary<24, 8>(c, a)); }
uint64_t toF64(Ctx& c, F80 a) { return toBinary<53, 11>(c, a); }

int64_t toInt(Ctx& c, F80 a, unsigned bits, bool truncate) {
  const int64_t indefinite = int64_t(uint64_t(1) << 63) >> (64 - bits);
  if (isUnsupported(a) || isNaN(a) || isInf(a)) {
    c.flags |= IE;
    return indefinite;
  }
  if (a.sig == 0) return 0;
  const bool s = signOf(a);
  int32_t e;
  uint64_t m;
  normalize(a, e, m);
  const int ue = e - kBias;
  if (ue >= 63) {
    if (bits == 64 && s && ue == 63 && m == (1ull << 63)) return indefinite;  // exactly -2^63
    c.flags |= IE;
    return indefinite;
  }
  const unsigned shift = unsigned(63 - ue);
  const u128 v = u128(m) << 64;
  const u128 sh = shift >= 128 ? (v != 0 ? 1 : 0) : (v >> shift) | ((v & ((u128(1) << shift) - 1)) != 0 ? 1 : 0);
  uint64_t i = uint64_t(sh >> 64);
  const uint64_t dropped = uint64_t(sh);
  bool up = false;
  if (dropped && !truncate) {
    switch (c.rc) {
      case 0: up = dropped > (1ull << 63) || (dropped == (1ull << 63) && (i & 1)); break;
      case 1: up = s; break;
      case 2: up = !s; break;
      default: break;
    }
  }
  if (up) ++i;
  const uint64_t limit = (uint64_t(1) << (bits - 1)) - (s ? 0 : 1);
  if (i > limit || (up && i == 0)) {
    c.flags |= IE;
    return indefinite;
  }
  if (dropped) c.flags |= PE;
  if (up) c.flags |= C1;
  return s ? int64_t(uint64_t(0) - i) : int64_t(i);
}

F80 fromBcd(const uint8_t bcd[10]) {
  int64_t v = 0;
  for (int k = 8; k >= 0; --k) v = v * 100 + (bcd[k] >> 4) * 10 + (bcd[k] & 0xF);
  F80 r = fromInt(v);
  if (bcd[9] & 0x80) r = negate(r);  // -0 stays -0
  return r;
}

void toBcd(Ctx& c, F80 a, uint8_t bcd[10]) {
  Ctx t = c;
  const int64_t v = toInt(t, a, 64);
  const uint64_t mag = v < 0 ? uint64_t(0) - uint64_t(v) : uint64_t(v);
  if ((t.flags & IE) || mag > 999999999999999999ull) {
    c.flags |= IE;
    static const uint8_t kIndefinite[10] = {0, 0, 0, 0, 0, 0, 0, 0xC0, 0xFF, 0xFF};
    for (int k = 0; k < 10; ++k) bcd[k] = kIndefinite[k];
    return;
  }
  c.flags |= t.flags;
  uint64_t x = mag;
  for (int k = 0; k < 9; ++k) {
    const unsigned lo = x % 10, hi = (x / 10) % 10;
    bcd[k] = uint8_t((hi << 4) | lo);
    x /= 100;
  }
  bcd[9] = signOf(a) ? 0x80 : 0;
}

unsigned compare(Ctx& c, F80 a, F80 b, bool quiet) {
  if (isUnsupported(a) || isUnsupported(b)) {
    c.flags |= IE;
    return 3;
  }
  if (isNaN(a) || isNaN(b)) {
    if (!quiet || isSNaN(a) || isSNaN(b)) c.flags |= IE;
    return 3;
  }
  if (isDenormal(a) || isDenormal(b)) c.flags |= DE;
  const bool za = a.sig == 0, zb = b.sig == 0;
  if (za && zb) return 1;
  const bool sa = signOf(a), sb = signOf(b);
  if (sa != sb) return sa ? 0 : 2;
  // Same sign: compare magnitudes (infinities have the largest exponent, zeros the smallest).
  int32_t ea = -100000, eb = -100000;
  uint64_t ma = 0, mb = 0;
  if (!za) normalize(a, ea, ma);
  if (!zb) normalize(b, eb, mb);
  int mag = ea != eb ? (ea < eb ? -1 : 1) : ma != mb ? (ma < mb ? -1 : 1) : 0;
  if (sa) mag = -mag;
  return mag < 0 ? 0 : mag == 0 ? 1 : 2;
}

}  // namespace bv::fpu
