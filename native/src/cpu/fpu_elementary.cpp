// The values of the x87's transcendental instructions (F2XM1 FYL2X FYL2XP1 FPATAN FPTAN FSIN FCOS FSINCOS)
// with their special operands as the SDM's tables give them; the stack handling is fpu_transcendental.cpp's.
// The values themselves come from the host's long double library on an x86 host (glibc: within about 1 ulp
// of the exact result; native/tools/fpu_oracle --transcendental measures them against the host's own x87
// instructions); elsewhere through double precision. Deterministic on a given host, so replay holds there.
#include <cmath>
#include <cstring>

#include "cpu/fpu_float80.h"

namespace bv::fpu {

namespace {

using Long = long double;

#if defined(__x86_64__) || defined(__i386__)
Long toLong(F80 a) {
  Long v = 0;
  std::memcpy(&v, &a.sig, 8);
  std::memcpy(reinterpret_cast<uint8_t*>(&v) + 8, &a.se, 2);
  return v;
}
F80 fromLong(Long v) {
  F80 a;
  std::memcpy(&a.sig, &v, 8);
  std::memcpy(&a.se, reinterpret_cast<uint8_t*>(&v) + 8, 2);
  return a;
}
#else
Long toLong(F80 a) { return Long(toHostDouble(a)); }
F80 fromLong(Long v) {
  Ctx t;
  const double d = double(v);
  uint64_t bits;
  std::memcpy(&bits, &d, 8);
  return fromF64(t, bits);
}
#endif

constexpr Long kLn2 = 0.693147180559945309417232121458176568L;

// A computed transcendental result: inexact unless it is an exact zero or infinity.
F80 inexact(Ctx& t, Long v) {
  const F80 r = fromLong(v);
  if (!isInf(r) && !isNaN(r) && r.sig != 0) t.flags |= PE;
  if (isDenormal(r)) t.flags |= UE;
  return r;
}

}  // namespace

F80 f2xm1(Ctx& t, F80 a) {
  F80 out;
  if (nanOperand(t, a, out)) return out;
  if (isInf(a)) return signOf(a) ? make(true, kBias, 1ull << 63) : a;
  if (a.sig == 0) return a;
  return inexact(t, std::expm1(toLong(a) * kLn2));
}

F80 yl2x(Ctx& t, F80 a, F80 b, bool plusOne) {
  F80 out;
  if (nanOperands(t, a, b, out)) return out;
  const Long x = toLong(a), y = toLong(b);
  const Long arg = plusOne ? x + 1 : x;
  if ((!plusOne && signOf(a) && a.sig != 0) || (plusOne && arg < 0)) {
    t.flags |= IE;
    return indefinite();
  }
  if (!plusOne && a.sig == 0 && !isInf(b)) {
    if (b.sig == 0) {
      t.flags |= IE;
      return indefinite();
    }
    t.flags |= ZE;
    return infinity(!signOf(b));
  }
  const Long l = plusOne ? std::log1p(x) / kLn2 : std::log2(x);
  if ((isInf(b) && l == 0) || (b.sig == 0 && std::isinf(l))) {
    t.flags |= IE;
    return indefinite();
  }
  return inexact(t, y * l);
}

F80 patan(Ctx& t, F80 a, F80 b) {
  F80 out;
  if (nanOperands(t, b, a, out)) return out;
  out = inexact(t, std::atan2(toLong(b), toLong(a)));
  if (b.sig == 0 && expOf(b) == 0) out = make(signOf(b), expOf(out), out.sig);
  return out;
}

bool trig(Ctx& t, Trig op, F80 a, F80& out, F80& second) {
  second = make(false, kBias, 1ull << 63);
  if (expOf(a) >= kBias + 63 && !isInf(a) && !isNaN(a)) return false;  // out of range: C2, ST(0) unchanged
  if (nanOperand(t, a, out)) {
    second = out;
    return true;
  }
  if (isInf(a)) {
    t.flags |= IE;
    out = second = indefinite();
    return true;
  }
  const Long x = toLong(a);
  switch (op) {
    case Trig::Tan: out = a.sig == 0 ? a : inexact(t, std::tan(x)); break;
    case Trig::SinCos:
      out = a.sig == 0 ? a : inexact(t, std::sin(x));
      second = a.sig == 0 ? second : inexact(t, std::cos(x));
      break;
    case Trig::Sin: out = a.sig == 0 ? a : inexact(t, std::sin(x)); break;
    case Trig::Cos: out = a.sig == 0 ? second : inexact(t, std::cos(x)); break;
  }
  return true;
}

}  // namespace bv::fpu
