// Portable 80-bit extended-precision arithmetic as the x87 computes it: every operation rounds by the
// rounding control and precision control it is given and reports the x87's exception flags. Written for
// Bootvisor (no SoftFloat, QEMU or Bochs code); checked bit for bit against the host's own x87 by
// native/tools/fpu_oracle.cpp. Needs a compiler with unsigned __int128 (gcc and clang on 64-bit hosts).
#pragma once
#include <cstdint>

namespace bv::fpu {

// One extended-precision value: the 64-bit significand with its explicit integer bit, and sign:1 exponent:15.
struct F80 {
  uint64_t sig = 0;
  uint16_t se = 0;
  bool operator==(const F80& o) const { return sig == o.sig && se == o.se; }
  bool operator!=(const F80& o) const { return !(*this == o); }
};

// The status word's exception bits, C1 (set when a result was rounded up in magnitude) and SF.
enum Flag : uint16_t { IE = 1, DE = 2, ZE = 4, OE = 8, UE = 0x10, PE = 0x20, SF = 0x40, C1 = 0x200 };

// What an operation rounds with (from the control word) and what it raised.
struct Ctx {
  uint8_t rc = 0;        // 0 nearest-even, 1 down, 2 up, 3 toward zero
  uint8_t prec = 64;     // 24, 53 or 64 significant bits (precision control; only add/sub/mul/div/sqrt)
  uint8_t masks = 0x3F;  // control word bits 0-5: a set bit masks that exception
  uint16_t flags = 0;    // raised by the operation (Flag bits)
  static Ctx fromControl(uint16_t cw);
};

constexpr uint16_t kExpMax = 0x7FFF, kBias = 16383;
inline bool signOf(F80 a) { return (a.se >> 15) != 0; }
inline int expOf(F80 a) { return a.se & kExpMax; }
inline F80 make(bool sign, int exp, uint64_t sig) { return F80{sig, uint16_t((sign ? 0x8000 : 0) | exp)}; }
inline bool isNaN(F80 a) { return expOf(a) == kExpMax && (a.sig >> 63) && (a.sig << 1) != 0; }
inline bool isSNaN(F80 a) { return isNaN(a) && !(a.sig & (1ull << 62)); }
inline bool isInf(F80 a) { return expOf(a) == kExpMax && a.sig == (1ull << 63); }
inline bool isZero(F80 a) { return expOf(a) == 0 && a.sig == 0; }
inline bool isDenormal(F80 a) { return expOf(a) == 0 && a.sig != 0; }
// Unnormals, pseudo-NaNs and pseudo-infinities: the 486 and later treat them as invalid operands.
inline bool isUnsupported(F80 a) { return expOf(a) != 0 && !(a.sig >> 63); }
inline F80 indefinite() { return make(true, kExpMax, 0xC000000000000000ull); }
inline F80 infinity(bool sign) { return make(sign, kExpMax, 1ull << 63); }
inline F80 zero(bool sign) { return make(sign, 0, 0); }
inline F80 negate(F80 a) { return F80{a.sig, uint16_t(a.se ^ 0x8000)}; }
inline F80 absolute(F80 a) { return F80{a.sig, uint16_t(a.se & 0x7FFF)}; }
// The leading zero bits of a nonzero 128-bit significand (the arithmetic's and the transcendentals' wide
// working values).
inline int clz128(unsigned __int128 v) {
  const uint64_t hi = uint64_t(v >> 64);
  return hi ? __builtin_clzll(hi) : 64 + __builtin_clzll(uint64_t(v));
}

// The tag a register holding this value gets: 0 valid, 1 zero, 2 special (NaN, infinity, denormal,
// unsupported).
unsigned tagOf(F80 a);

// Rounds sign * (hi:lo as a 1.127 fixed-point number) * 2^(exp - bias) to prec bits by ctx.rc, with the
// x87's overflow and underflow responses (masked: infinity or the largest finite number, denormals;
// unmasked: the exponent wrapped by 24576). hi must have its top bit set.
F80 roundPack(Ctx& c, bool sign, int32_t exp, uint64_t hi, uint64_t lo, unsigned prec);

// Arithmetic (FADD FSUB FMUL FDIV FSQRT and the forms that take memory operands). Precision control applies.
F80 add(Ctx& c, F80 a, F80 b);
F80 sub(Ctx& c, F80 a, F80 b);
F80 mul(Ctx& c, F80 a, F80 b);
F80 div(Ctx& c, F80 a, F80 b);
F80 sqrt(Ctx& c, F80 a);
// FPREM (nearest = false: quotient truncated) and FPREM1 (nearest = true: IEEE remainder). quotient gets the
// quotient's three low bits (C0 = bit 2, C3 = bit 1, C1 = bit 0 in the status word); partial is true when
// the exponents are 64 or more apart and only a partial reduction was done (C2).
F80 rem(Ctx& c, F80 a, F80 b, bool nearest, unsigned& quotient, bool& partial);
F80 roundToInt(Ctx& c, F80 a);                    // FRNDINT
F80 scale(Ctx& c, F80 a, F80 b);                  // FSCALE: a * 2^trunc(b)
void extract(Ctx& c, F80 a, F80& exp, F80& sig);  // FXTRACT

// Compare (FCOM FUCOM FCOMI FUCOMI FTST): 0 less, 1 equal, 2 greater, 3 unordered. quiet: only SNaNs are
// invalid (FUCOM); otherwise any NaN is.
unsigned compare(Ctx& c, F80 a, F80 b, bool quiet);

// Conversions.
F80 fromInt(int64_t v);  // exact
F80 fromF32(Ctx& c, uint32_t v);
F80 fromF64(Ctx& c, uint64_t v);
uint32_t toF32(Ctx& c, F80 a);
uint64_t toF64(Ctx& c, F80 a);
// To a signed integer of bits 16, 32 or 64; out of range or NaN: IE and the integer indefinite (only sign
// bit set). truncate: FISTTP-style chop regardless of the rounding control.
int64_t toInt(Ctx& c, F80 a, unsigned bits, bool truncate = false);
F80 fromBcd(const uint8_t bcd[10]);
void toBcd(Ctx& c, F80 a, uint8_t bcd[10]);

// The transcendental instructions' values with their special operands (fpu_elementary.cpp): F2XM1 (2^a - 1),
// FYL2X (b * log2(a)) and FYL2XP1 (b * log2(a + 1)), FPATAN (atan(b / a) in (a, b)'s quadrant), and FSIN FCOS
// FPTAN FSINCOS, which return false for |a| >= 2^63 (C2 set, ST(0) unchanged); second is FSINCOS's cosine and
// FPTAN's pushed 1.
F80 f2xm1(Ctx& c, F80 a);
F80 yl2x(Ctx& c, F80 a, F80 b, bool plusOne);
F80 patan(Ctx& c, F80 a, F80 b);
enum class Trig { Sin, Cos, Tan, SinCos };
bool trig(Ctx& c, Trig op, F80 a, F80& out, F80& second);

// The operand checks every arithmetic operation starts with: an unsupported operand or SNaN raises IE, a
// NaN operand gives the propagated NaN, a denormal raises DE. True: out is the result.
bool nanOperands(Ctx& c, F80 a, F80 b, F80& out);
bool nanOperand(Ctx& c, F80 a, F80& out);

// A finite nonzero value as exponent (unbiased-by-nothing: biased, may be < 1 for denormals) and significand
// with its top bit set.
void normalize(F80 a, int32_t& exp, uint64_t& sig);

// As a host double, for the debugger and messages (not for arithmetic).
double toHostDouble(F80 a);

}  // namespace bv::fpu
