// The working precision of the x87's transcendental instructions (fpu_elementary.cpp, fpu_trig.cpp): a sign,
// a 128-bit significand and a 32-bit exponent, in integer arithmetic only, so that the results are the same
// on every host (no long double, no libm). 64 bits beyond the x87's significand leave the final rounding
// correct unless the exact value lies within about 2^-120 of a rounding boundary; the fixed-point helpers
// below serve the polynomial series in [0, 2).
#pragma once
#include <cstdint>

#include "cpu/fpu_float80.h"

namespace bv::fpu::wide {

using u128 = unsigned __int128;

constexpr u128 hl(uint64_t hi, uint64_t lo) { return (u128(hi) << 64) | lo; }
constexpr u128 kOne = u128(1) << 127;  // 1.0 in the 1.127 fixed-point format of the series

// sign * m * 2^(e - 127): m has its top bit set, or is 0 for zero.
struct W {
  u128 m = 0;
  int32_t e = 0;
  bool neg = false;
};

// The 256-bit product a * b as hi:lo.
inline void mul256(u128 a, u128 b, u128& hi, u128& lo) {
  const uint64_t a1 = uint64_t(a >> 64), a0 = uint64_t(a), b1 = uint64_t(b >> 64), b0 = uint64_t(b);
  const u128 p00 = u128(a0) * b0, p01 = u128(a0) * b1, p10 = u128(a1) * b0, p11 = u128(a1) * b1;
  const u128 mid = (p00 >> 64) + uint64_t(p01) + uint64_t(p10);
  hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
  lo = (mid << 64) | uint64_t(p00);
}

// Fixed point 1.127: a * b, truncated (down) or rounded up. The caller keeps the product below 2.
inline u128 mulFix(u128 a, u128 b) {
  u128 hi, lo;
  mul256(a, b, hi, lo);
  return (hi << 1) | (lo >> 127);
}
inline u128 mulFixUp(u128 a, u128 b) {
  u128 hi, lo;
  mul256(a, b, hi, lo);
  return ((hi << 1) | (lo >> 127)) + ((lo << 1) != 0 ? 1 : 0);
}

// v * 2^scale as a W.
inline W fromInt(u128 v, int32_t scale, bool neg = false) {
  W w;
  w.neg = neg;
  if (v == 0) return w;
  const int lz = clz128(v);
  w.m = v << lz;
  w.e = scale - lz + 127;
  return w;
}
// A 1.127 fixed-point number (below 2) as a W.
inline W fromFix(u128 f, bool neg = false) { return fromInt(f, -127, neg); }
// A W below 2 in magnitude as 1.127 fixed point, rounded up when bits are lost (the series' argument may
// only err upward, so a tiny argument never vanishes from a correction term).
inline u128 toFixUp(const W& w) {
  if (w.m == 0) return 0;
  const int s = -w.e;  // value * 2^127 = m * 2^e
  if (s <= 0) return w.m << -s;
  if (s >= 128) return 1;
  return (w.m >> s) + ((w.m << (128 - s)) != 0 ? 1 : 0);
}

// A finite nonzero x87 value, exactly.
inline W fromF80(F80 a) {
  int32_t e;
  uint64_t sig;
  normalize(a, e, sig);
  return fromInt(sig, e - kBias - 63, signOf(a));
}

inline W neg(W a) {
  a.neg = !a.neg;
  return a;
}

// a * b truncated; exact (if given) is cleared when bits are lost.
inline W mul(const W& a, const W& b, bool* exact = nullptr) {
  W w;
  w.neg = a.neg != b.neg;
  if (a.m == 0 || b.m == 0) return w;
  u128 hi, lo;
  mul256(a.m, b.m, hi, lo);
  if (hi >> 127) {
    w.m = hi;
    w.e = a.e + b.e + 1;
    if (exact && lo != 0) *exact = false;
  } else {
    w.m = (hi << 1) | (lo >> 127);
    w.e = a.e + b.e;
    if (exact && (lo << 1) != 0) *exact = false;
  }
  return w;
}

// a + b; exact (if given) is cleared when bits are lost.
inline W add(W a, W b, bool* exact = nullptr) {
  if (b.m == 0) return a;
  if (a.m == 0) return b;
  if (a.e < b.e || (a.e == b.e && a.m < b.m)) {
    const W t = a;
    a = b;
    b = t;
  }
  const int32_t d = a.e - b.e;
  // One bit of headroom for the carry: both significands lose their lowest bit.
  u128 x = a.m >> 1, y;
  bool lost = (a.m & 1) != 0;
  if (d >= 127) {
    y = 0;
    lost = true;
  } else {
    y = b.m >> (d + 1);
    if ((b.m << (127 - d)) != 0) lost = true;
  }
  if (exact && lost) *exact = false;
  const u128 s = a.neg == b.neg ? x + y : x - y;
  return fromInt(s, a.e - 126, a.neg);
}
inline W sub(const W& a, const W& b, bool* exact = nullptr) { return add(a, neg(b), exact); }

// One 64-bit digit of the long division (u2:u1:u0) / (b1:b0) in base 2^64 (Knuth's algorithm D), given
// (u2:u1:u0) < (b1:b0) * 2^64 and b1's top bit set; the remainder goes to rem.
inline uint64_t divDigit(uint64_t u2, uint64_t u1, uint64_t u0, uint64_t b1, uint64_t b0, u128& rem) {
  const u128 top = (u128(u2) << 64) | u1;
  u128 q = u2 >= b1 ? u128(~uint64_t(0)) : top / b1;
  u128 r = top - q * b1;
  while ((r >> 64) == 0 && q * b0 > ((r << 64) | u0)) {
    --q;
    r += b1;
  }
  // (u2:u1:u0) - q * (b1:b0), at most one divisor too far below zero.
  const u128 p0 = q * b0;
  const u128 p1 = q * b1 + (p0 >> 64);
  uint64_t r0 = u0 - uint64_t(p0);
  u128 r1 = top - p1 - (u0 < uint64_t(p0) ? 1 : 0);
  if (top < p1 + (u0 < uint64_t(p0) ? 1 : 0)) {
    --q;
    const uint64_t s0 = r0 + b0;
    r1 += u128(b1) + (s0 < r0 ? 1 : 0);
    r0 = s0;
  }
  rem = (r1 << 64) | r0;
  return uint64_t(q);
}

// a / b (b nonzero), truncated, with a sticky lowest bit when the quotient is inexact: two digits of a long
// division in base 2^64.
inline W div(const W& a, const W& b) {
  W w;
  w.neg = a.neg != b.neg;
  if (a.m == 0) return w;
  // The dividend a.m * 2^127 (a.m >= b.m) or a.m * 2^128 as the limbs n3:n2:n1:0, so the quotient has its top
  // bit set.
  const bool ge = a.m >= b.m;
  const u128 hi = ge ? a.m >> 1 : a.m;
  const uint64_t n1 = ge ? uint64_t(a.m & 1) << 63 : 0;
  const uint64_t b1 = uint64_t(b.m >> 64), b0 = uint64_t(b.m);
  u128 rem;
  const uint64_t q1 = divDigit(uint64_t(hi >> 64), uint64_t(hi), n1, b1, b0, rem);
  const uint64_t q0 = divDigit(uint64_t(rem >> 64), uint64_t(rem), 0, b1, b0, rem);
  w.m = (u128(q1) << 64) | q0 | (rem != 0 ? 1 : 0);
  w.e = ge ? a.e - b.e : a.e - b.e - 1;
  return w;
}

// Rounds w to the x87's 64-bit significand by the rounding control (the transcendentals ignore precision
// control), with PE, UE, OE and C1. exact: w is the exact value (else it lies strictly above w's magnitude,
// below the next unit of its lowest bit).
inline F80 round(Ctx& c, const W& w, bool exact) {
  if (w.m == 0) return zero(w.neg);
  return roundPack(c, w.neg, w.e + kBias, uint64_t(w.m >> 64), uint64_t(w.m) | (exact ? 0 : 1), 64);
}

// Horner's scheme in 1.127 fixed point for sum c[k] * z^k (k = 0..n-1), z in [0, 1): alternating signs
// when alternate (each partial sum stays positive for the series used here; the subtracted products are
// rounded up so that the result errs low), all positive otherwise.
inline u128 horner(const u128* c, int n, u128 z, bool alternate) {
  u128 acc = c[n - 1];
  for (int k = n - 2; k >= 0; --k) acc = alternate ? c[k] - mulFixUp(z, acc) : c[k] + mulFix(z, acc);
  return acc;
}

}  // namespace bv::fpu::wide
