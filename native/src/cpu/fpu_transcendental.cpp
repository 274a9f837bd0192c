// D9 E0-FF: sign and class operations, the constants, and the transcendental functions (F2XM1 FYL2X FPTAN
// FPATAN FXTRACT FPREM1 FPREM FYL2XP1 FSQRT FSINCOS FRNDINT FSCALE FSIN FCOS) with their special cases as the
// SDM tables give them. The transcendental values themselves come from the host's long double library on an
// x86 host (glibc: within 1 ulp of the exact result; the 387's own microcode differs in the last bit for
// some operands); elsewhere through double precision. Deterministic on a given host, so replay holds.
#include <cmath>
#include <cstring>

#include "cpu/fpu.h"

namespace bv::cpu {

using namespace fpu;

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

// A computed transcendental result: inexact unless it is an exact zero or infinity.
F80 inexact(Ctx& t, Long v) {
  const F80 r = fromLong(v);
  if (!isInf(r) && !isNaN(r) && r.sig != 0) t.flags |= PE;
  if (isDenormal(r)) t.flags |= UE;
  return r;
}

// The constants of FLD1..FLDZ, rounded by the rounding control as the 387 does from its 67-bit copies:
// the truncated significand, and whether the dropped bits are above one half (nearest rounds up).
struct Constant {
  uint16_t se;
  uint64_t sig;
  bool nearestUp;
  bool exact;
};
F80 constant(const Ctx& t, const Constant& k) {
  const bool up = !k.exact && (t.rc == 2 || (t.rc == 0 && k.nearestUp));
  return F80{k.sig + (up ? 1 : 0), k.se};
}

bool hugeForTrig(F80 a) { return expOf(a) >= kBias + 63 && !isInf(a) && !isNaN(a); }

}  // namespace

namespace x87 {

void transcendental(Cpu& c, uint8_t modrm) {
  Fpu& f = c.fpu;
  Ctx t = ctx(c);
  t.flags &= ~C1;
  const F80 a = f.st(0), b = f.st(1);
  const bool e0 = f.empty(0), e1 = f.empty(1);
  F80 out;
  switch (modrm) {
    case 0xE0:  // FCHS
    case 0xE1:  // FABS
      if (e0) {
        stackFault(t, false);
        if (commit(c, t)) f.write(0, indefinite());
        return;
      }
      commit(c, t);
      f.write(0, modrm == 0xE0 ? negate(a) : absolute(a));
      return;
    case 0xE4: {  // FTST
      unsigned rel = 3;
      if (e0) stackFault(t, false);
      else rel = compare(t, a, zero(false), false);
      if (!commit(c, t)) return;
      static const uint16_t kCc[4] = {Fpu::C0, Fpu::C3, 0, Fpu::C3 | Fpu::C2 | Fpu::C0};
      f.sw = uint16_t((f.sw & ~Fpu::kCc) | kCc[rel]);
      return;
    }
    case 0xE5: {  // FXAM
      uint16_t cc;
      if (e0) cc = Fpu::C3 | Fpu::C0;
      else if (isUnsupported(a)) cc = 0;
      else if (isNaN(a)) cc = Fpu::C0;
      else if (isInf(a)) cc = Fpu::C2 | Fpu::C0;
      else if (isZero(a)) cc = Fpu::C3;
      else if (isDenormal(a)) cc = Fpu::C3 | Fpu::C2;
      else cc = Fpu::C2;
      if (signOf(a)) cc |= Fpu::C1;
      f.sw = uint16_t((f.sw & ~Fpu::kCc) | cc);
      return;
    }
    case 0xE8:
    case 0xE9:
    case 0xEA:
    case 0xEB:
    case 0xEC:
    case 0xED:
    case 0xEE: {
      static const Constant kConst[7] = {
          {0x3FFF, 0x8000000000000000ull, false, true},   // 1
          {0x4000, 0xD49A784BCD1B8AFEull, false, false},  // log2(10)
          {0x3FFF, 0xB8AA3B295C17F0BBull, true, false},   // log2(e)
          {0x4000, 0xC90FDAA22168C234ull, true, false},   // pi
          {0x3FFD, 0x9A209A84FBCFF798ull, true, false},   // log10(2)
          {0x3FFE, 0xB17217F7D1CF79ABull, true, false},   // ln(2)
          {0x0000, 0, false, true},                       // +0
      };
      F80 v = constant(t, kConst[modrm - 0xE8]);
      if (!f.empty(7)) {
        stackFault(t, true);
        v = indefinite();
      }
      if (!commit(c, t)) return;
      f.push(v);
      return;
    }
    case 0xF6:  // FDECSTP
    case 0xF7:  // FINCSTP
      f.setTop(f.top() + (modrm == 0xF6 ? 7 : 1));
      f.sw &= uint16_t(~Fpu::C1);
      return;
    case 0xF4: {  // FXTRACT: ST(0) = significand, ST(1) = exponent
      F80 ex, sg;
      if (e0) {
        stackFault(t, false);
        ex = sg = indefinite();
      } else if (!f.empty(7)) {
        stackFault(t, true);
        ex = sg = indefinite();
      } else {
        extract(t, a, ex, sg);
      }
      if (!commit(c, t)) return;
      f.write(0, ex);
      f.push(sg);
      return;
    }
    case 0xF5:    // FPREM1
    case 0xF8: {  // FPREM
      unsigned q = 0;
      bool partial = false;
      if (e0 || e1) {
        stackFault(t, false);
        out = indefinite();
      } else {
        out = rem(t, a, b, modrm == 0xF5, q, partial);
      }
      t.flags &= ~C1;
      if (!commit(c, t)) return;
      f.write(0, out);
      uint16_t cc = partial ? Fpu::C2 : 0;
      if (!(t.flags & IE) && !partial)
        cc |= uint16_t(((q & 4) ? Fpu::C0 : 0) | ((q & 2) ? Fpu::C3 : 0) | ((q & 1) ? Fpu::C1 : 0));
      f.sw = uint16_t((f.sw & ~Fpu::kCc) | cc);
      return;
    }
    case 0xFA:  // FSQRT
    case 0xFC:  // FRNDINT
      if (e0) {
        stackFault(t, false);
        out = indefinite();
      } else {
        out = modrm == 0xFA ? fpu::sqrt(t, a) : roundToInt(t, a);
      }
      if (commit(c, t)) f.write(0, out);
      return;
    case 0xFD:  // FSCALE
      if (e0 || e1) {
        stackFault(t, false);
        out = indefinite();
      } else {
        out = scale(t, a, b);
      }
      if (commit(c, t)) f.write(0, out);
      return;
    case 0xF0: {  // F2XM1
      if (e0) {
        stackFault(t, false);
        out = indefinite();
      } else if (!nanOperand(t, a, out)) {
        if (isInf(a)) out = signOf(a) ? make(true, kBias, 1ull << 63) : a;
        else if (a.sig == 0) out = a;
        else out = inexact(t, std::expm1(toLong(a) * 0.693147180559945309417232121458176568L));
      }
      if (commit(c, t)) f.write(0, out);
      return;
    }
    case 0xF1:    // FYL2X: ST(1) = ST(1) * log2(ST(0)), pop
    case 0xF9: {  // FYL2XP1: ST(1) = ST(1) * log2(ST(0) + 1), pop
      if (e0 || e1) {
        stackFault(t, false);
        out = indefinite();
      } else if (!nanOperands(t, a, b, out)) {
        const Long x = toLong(a), y = toLong(b);
        const Long arg = modrm == 0xF1 ? x : x + 1;
        if ((modrm == 0xF1 && signOf(a) && a.sig != 0) || (modrm == 0xF9 && arg < 0)) {
          t.flags |= IE;
          out = indefinite();
        } else if (modrm == 0xF1 && a.sig == 0 && !isInf(b)) {
          if (b.sig == 0) {
            t.flags |= IE;
            out = indefinite();
          } else {
            t.flags |= ZE;
            out = infinity(!signOf(b));
          }
        } else {
          const Long l = modrm == 0xF1 ? std::log2(x) : std::log1p(x) / 0.693147180559945309417232121458176568L;
          if ((isInf(b) && l == 0) || (b.sig == 0 && std::isinf(l))) {
            t.flags |= IE;
            out = indefinite();
          } else {
            out = inexact(t, y * l);
          }
        }
      }
      if (!commit(c, t)) return;
      f.write(1, out);
      f.pop();
      return;
    }
    case 0xF3: {  // FPATAN: ST(1) = atan(ST(1) / ST(0)), pop
      if (e0 || e1) {
        stackFault(t, false);
        out = indefinite();
      } else if (!nanOperands(t, b, a, out)) {
        out = inexact(t, std::atan2(toLong(b), toLong(a)));
        if (b.sig == 0 && expOf(b) == 0) out = make(signOf(b), expOf(out), out.sig);
      }
      if (!commit(c, t)) return;
      f.write(1, out);
      f.pop();
      return;
    }
    case 0xF2:    // FPTAN: ST(0) = tan, push 1
    case 0xFB:    // FSINCOS: ST(0) = sin, push cos
    case 0xFE:    // FSIN
    case 0xFF: {  // FCOS
      const bool pushes = modrm == 0xF2 || modrm == 0xFB;
      F80 second = make(false, kBias, 1ull << 63);
      if (e0) {
        stackFault(t, false);
        out = second = indefinite();
      } else if (pushes && !f.empty(7)) {
        stackFault(t, true);
        out = second = indefinite();
      } else if (hugeForTrig(a)) {  // out of range: C2 set, ST(0) unchanged
        if (!commit(c, t)) return;
        f.sw |= Fpu::C2;
        return;
      } else if (nanOperand(t, a, out)) {
        second = out;
      } else if (isInf(a)) {
        t.flags |= IE;
        out = second = indefinite();
      } else {
        const Long x = toLong(a);
        switch (modrm) {
          case 0xF2: out = a.sig == 0 ? a : inexact(t, std::tan(x)); break;
          case 0xFB:
            out = a.sig == 0 ? a : inexact(t, std::sin(x));
            second = a.sig == 0 ? second : inexact(t, std::cos(x));
            break;
          case 0xFE: out = a.sig == 0 ? a : inexact(t, std::sin(x)); break;
          default: out = a.sig == 0 ? second : inexact(t, std::cos(x)); break;
        }
      }
      if (!commit(c, t)) return;
      f.sw &= uint16_t(~Fpu::C2);
      if (modrm == 0xFB) {
        f.write(0, out);
        f.push(second);
      } else {
        f.write(0, out);
        if (pushes) f.push(second);
      }
      return;
    }
    default: c.raise(VEC_UD, 0, "x87 opcode D9 %02X is not defined", modrm); return;
  }
}

}  // namespace x87
}  // namespace bv::cpu
