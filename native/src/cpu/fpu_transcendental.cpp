// D9 E0-FF: sign and class operations, the constants, and the transcendental functions (F2XM1 FYL2X FPTAN
// FPATAN FXTRACT FPREM1 FPREM FYL2XP1 FSQRT FSINCOS FRNDINT FSCALE FSIN FCOS): their stack handling here,
// the transcendentals' values in fpu_elementary.cpp.
#include "cpu/fpu.h"

namespace bv::cpu {

using namespace fpu;

namespace {

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
      } else {
        out = f2xm1(t, a);
      }
      if (commit(c, t)) f.write(0, out);
      return;
    }
    case 0xF1:    // FYL2X: ST(1) = ST(1) * log2(ST(0)), pop
    case 0xF9: {  // FYL2XP1: ST(1) = ST(1) * log2(ST(0) + 1), pop
      if (e0 || e1) {
        stackFault(t, false);
        out = indefinite();
      } else {
        out = yl2x(t, a, b, modrm == 0xF9);
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
      } else {
        out = patan(t, a, b);
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
      } else {
        static const Trig kOp[4] = {Trig::Tan, Trig::SinCos, Trig::Sin, Trig::Cos};
        const Trig op = kOp[modrm == 0xF2 ? 0 : modrm == 0xFB ? 1 : modrm == 0xFE ? 2 : 3];
        if (!trig(t, op, a, out, second)) {  // out of range: C2 set, ST(0) unchanged
          if (!commit(c, t)) return;
          f.sw |= Fpu::C2;
          return;
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
