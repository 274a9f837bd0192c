// The part of fpu_oracle's transcendental comparison that needs no x87: the eight instructions in software
// (native/src/cpu/fpu_elementary.cpp, fpu_trig.cpp), operand generation by range, the tallies, and the
// record format of test/cpu/data/x87-transcendental-silicon.txt (results of the host's x87 recorded once, so
// that any host, arm64 included, can check that the software gives the silicon's bits).
//
// A record line: op cw a b r r2 sw range, values as SEXP:SIGNIFICAND in hex (fpu_oracle's hex()), sw the
// status word masked to C2 C1 and the exception flags.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

#include "cpu/fpu_float80.h"

namespace trans {

using namespace bv::fpu;

enum Tr { T_SIN, T_COS, T_TAN, T_SINCOS, T_ATAN, T_2XM1, T_YL2X, T_YL2XP1, T_COUNT };
const char* const kTrNames[] = {"fsin", "fcos", "fptan", "fsincos", "fpatan", "f2xm1", "fyl2x", "fyl2xp1"};
const char* const kRcNames[4] = {"nearest", "down", "up", "zero"};
constexpr uint16_t kSwMask = 0x063F;  // C2 C1 and the exception flags
constexpr uint16_t kC1 = 0x200, kC2 = 0x400;

struct TrOut {
  F80 r, r2;
  uint16_t sw = 0;
};

// The operand ranges reported separately.
enum Range { R_TINY, R_SMALL, R_MID, R_LARGE, R_DENORMAL, R_SPECIAL, R_COUNT };
const char* const kRangeNames[] = {"tiny", "small", "mid", "large", "denormal", "special"};
// What the ranges hold for each instruction (README's table uses the same words).
inline const char* rangeMeaning(Tr op, Range r) {
  static const char* const kTrig[] = {"|x| < 2^-32", "2^-32 <= |x| < pi/4", "pi/4 <= |x| < 2^20", "2^20 <= |x| < 2^63"};
  static const char* const kAtan[] = {"|y/x| < 2^-32", "|y/x| in 2^-32..2^32", "|y/x| > 2^32",
                                      "x, y anywhere in the exponent range"};
  static const char* const kExp[] = {"|x| < 2^-32", "2^-32 <= |x| < 1", "x = +-1, +-(1 - ulp), +-1/2",
                                     "1 < |x| < 2^20 (outside the domain)"};
  static const char* const kLog[] = {"x within 2^-31 of 1", "x in 2^-200..2^200", "x a power of 2 or near one",
                                     "x, y anywhere in the exponent range"};
  static const char* const kLogP1[] = {"|x| < 2^-32", "2^-32 <= |x| < 1/4", "1/4 <= |x| < 1 - sqrt(2)/2",
                                       "-1 < x < 2^20 (beyond the domain)"};
  if (r == R_DENORMAL) return "denormal operands";
  if (r == R_SPECIAL)
    return op <= T_SINCOS ? "zeros, infinities, NaNs, unnormals, |x| >= 2^63" : "zeros, infinities, NaNs, unnormals";
  const char* const* t = op <= T_SINCOS ? kTrig
                         : op == T_ATAN ? kAtan
                         : op == T_2XM1 ? kExp
                         : op == T_YL2X ? kLog
                                        : kLogP1;
  return t[r];
}

inline std::string hexF(F80 a) {
  char b[40];
  std::snprintf(b, sizeof b, "%04X:%016llX", a.se, static_cast<unsigned long long>(a.sig));
  return b;
}
inline bool parseF(const char* s, F80& a) {
  unsigned se;
  unsigned long long sig;
  if (std::sscanf(s, "%x:%llx", &se, &sig) != 2) return false;
  a.se = uint16_t(se);
  a.sig = sig;
  return true;
}

// The instruction in software; the same shape as the host's (out of range: ST(0) unchanged, nothing pushed).
inline TrOut softTr(Tr op, uint16_t cw, F80 a, F80 b) {
  TrOut o;
  Ctx c = Ctx::fromControl(cw);
  F80 r, r2;
  bool inRange = true;
  switch (op) {
    case T_SIN: inRange = trig(c, Trig::Sin, a, r, r2); break;
    case T_COS: inRange = trig(c, Trig::Cos, a, r, r2); break;
    case T_TAN: inRange = trig(c, Trig::Tan, a, r, r2); break;
    case T_SINCOS: inRange = trig(c, Trig::SinCos, a, r, r2); break;
    case T_ATAN: r = patan(c, a, b); break;
    case T_2XM1: r = f2xm1(c, a); break;
    case T_YL2X: r = yl2x(c, a, b, false); break;
    case T_YL2XP1: r = yl2x(c, a, b, true); break;
    default: break;
  }
  if (op != T_TAN && op != T_SINCOS) r2 = F80{};
  if (!inRange) {
    r = a;
    r2 = F80{};
    c.flags |= kC2;
  }
  o.r = r;
  o.r2 = r2;
  o.sw = uint16_t(c.flags & kSwMask);
  return o;
}

// Distance in units of the last place between two values of the same sign (else -1 unless equal).
inline long long ulps(F80 x, F80 y) {
  if (x == y) return 0;
  if (signOf(x) != signOf(y) || isNaN(x) || isNaN(y) || isInf(x) || isInf(y)) return -1;
  auto key = [](F80 v) { return (static_cast<__int128>(expOf(v)) << 63) + (v.sig & ~(1ull << 63)); };
  const __int128 d = key(x) - key(y);
  const __int128 a = d < 0 ? -d : d;
  return a > 1000000000 ? 1000000000 : static_cast<long long>(a);
}

// Host against software (or a recorded host result against software), counted.
struct Tally {
  long n = 0, exact = 0, one = 0, more = 0, flags = 0, c1 = 0;
  void add(const TrOut& h, const TrOut& s) {
    ++n;
    long long u = ulps(h.r, s.r);
    const long long u2 = ulps(h.r2, s.r2);
    u = (u < 0 || u2 < 0) ? -1 : std::max(u, u2);
    if (u == 0) ++exact;
    else if (u == 1) ++one;
    else ++more;
    if ((h.sw & (kSwMask & ~kC1)) == (s.sw & (kSwMask & ~kC1))) ++flags;
    if ((h.sw & kC1) == (s.sw & kC1)) ++c1;
  }
  void print(const char* a, const char* b) const {
    const double k = n ? 100.0 / double(n) : 0;
    std::printf("%-8s %-9s %7ld %7.2f%% %7.2f%% %7.2f%% %7.2f%% %7.2f%%\n", a, b, n, k * double(exact), k * double(one),
                k * double(more), k * double(flags), k * double(c1));
  }
};

struct Report {
  Tally byRc[T_COUNT][4], byRange[T_COUNT][R_COUNT], total;
  void add(Tr op, uint16_t cw, Range r, const TrOut& h, const TrOut& s) {
    byRc[op][(cw >> 10) & 3].add(h, s);
    byRange[op][r].add(h, s);
    total.add(h, s);
  }
  void print() const {
    std::printf("%-8s %-9s %7s %8s %8s %8s %8s %8s\n", "op", "round", "cases", "exact", "1 ulp", ">1 ulp", "flags",
                "C1");
    for (int op = 0; op < T_COUNT; ++op)
      for (int rc = 0; rc < 4; ++rc) byRc[op][rc].print(kTrNames[op], kRcNames[rc]);
    std::printf("by range (all rounding controls):\n");
    for (int op = 0; op < T_COUNT; ++op)
      for (int r = 0; r < R_COUNT; ++r)
        if (byRange[op][r].n) {
          byRange[op][r].print(kTrNames[op], kRangeNames[r]);
          if (std::getenv("FPU_ORACLE_RANGES")) std::printf("    (%s)\n", rangeMeaning(Tr(op), Range(r)));
        }
    const double k = total.n ? 100.0 / double(total.n) : 0;
    std::printf(
        "transcendental total %ld cases, %ld bit-identical (%.2f%%), %ld more than 1 ulp apart, flags "
        "differ on %ld, C1 on %ld\n",
        total.n, total.exact, k * double(total.exact), total.more, total.n - total.flags, total.n - total.c1);
  }
};

// ---- operands by instruction and range, from a seeded generator of their own.

struct Gen {
  uint64_t s = 0x9E3779B97F4A7C15ull;
  uint64_t next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
  unsigned below(unsigned n) { return unsigned(next() % n); }
  F80 special() {
    const bool sg = next() & 1;
    switch (below(6)) {
      case 0: return zero(sg);
      case 1: return infinity(sg);
      case 2: return make(sg, kExpMax, (1ull << 63) | (1ull << 62) | (next() >> 2));  // QNaN
      case 3: return make(sg, kExpMax, (1ull << 63) | ((next() >> 2) | 1));           // SNaN
      case 4: return make(sg, 1 + below(kExpMax - 1), next() & ~(1ull << 63));        // unnormal
      default: return make(sg, kBias + 63 + below(300), next() | (1ull << 63));       // large
    }
  }
  F80 denormal() { return make(next() & 1, 0, next() >> below(64)); }
  F80 num(int lo, int hi) {  // |x| in [2^lo, 2^hi), random sign
    return make(next() & 1, kBias + lo + int(below(unsigned(hi - lo))), next() | (1ull << 63));
  }
  // One operand pair (a = ST(0), b = ST(1)) of the range.
  void operands(Tr op, Range r, F80& a, F80& b) {
    b = num(-20, 20);
    switch (op) {
      case T_SIN:
      case T_COS:
      case T_TAN:
      case T_SINCOS:
        a = r == R_TINY       ? num(-200, -32)
            : r == R_SMALL    ? num(-32, 0)
            : r == R_MID      ? num(0, 20)
            : r == R_LARGE    ? num(20, 63)
            : r == R_DENORMAL ? denormal()
                              : special();
        if (r == R_SMALL && expOf(a) == kBias - 1 && a.sig > 0xC90FDAA22168C234ull) a.se = uint16_t(a.se - 1);
        if (r == R_MID && expOf(a) == kBias - 1) a.sig = std::max<uint64_t>(a.sig, 0xC90FDAA22168C235ull);
        if (r == R_MID && expOf(a) < kBias - 1) a.se = uint16_t(a.se + 1);
        return;
      case T_ATAN:
        a = num(-60, 60);
        b = r == R_TINY       ? num(-60, 60)
            : r == R_SMALL    ? num(-60, 60)
            : r == R_MID      ? num(-60, 60)
            : r == R_LARGE    ? num(-16000, 16000)
            : r == R_DENORMAL ? denormal()
                              : special();
        if (r == R_TINY) b.se = uint16_t((b.se & 0x8000) | std::max(1, expOf(a) - 32 - int(below(200))));
        if (r == R_SMALL) b.se = uint16_t((b.se & 0x8000) | (expOf(a) + int(below(64)) - 32));
        if (r == R_MID) b.se = uint16_t((b.se & 0x8000) | (expOf(a) + 32 + int(below(200))));
        if (r == R_LARGE) a = num(-16000, 16000);
        if (r == R_DENORMAL && (next() & 1)) std::swap(a, b);
        if (r == R_SPECIAL && (next() & 1)) a = special();
        return;
      case T_2XM1:
        a = r == R_TINY       ? num(-200, -32)
            : r == R_SMALL    ? num(-32, 0)
            : r == R_MID      ? make(next() & 1, kBias - 1 + below(2), (1ull << 63) | (below(2) ? ~0ull : 0))
            : r == R_LARGE    ? num(0, 20)
            : r == R_DENORMAL ? denormal()
                              : special();
        return;
      case T_YL2X: {
        a = make(false, kBias + int(below(400)) - 200, next() | (1ull << 63));
        if (r == R_TINY) {
          const bool below1 = next() & 1;
          a = make(false, below1 ? kBias - 1 : kBias, below1 ? ~(next() >> 33) : (1ull << 63) | (next() >> 33));
        }
        if (r == R_MID) a = make(false, kBias + int(below(64)) - 32, (1ull << 63) | ((next() & 1) ? next() >> 50 : 0));
        if (r == R_LARGE) a = make(false, 1 + below(kExpMax - 2), next() | (1ull << 63));
        if (r == R_LARGE) b = make(next() & 1, 1 + below(kExpMax - 2), next() | (1ull << 63));
        if (r == R_DENORMAL) {
          if (next() & 1) a = make(false, 0, next() >> below(64));
          else b = denormal();
        }
        if (r == R_SPECIAL) {
          if (next() & 1) a = special();
          else b = special();
          if (next() & 1) a = make(next() & 1, kBias + int(below(10)) - 5, next() | (1ull << 63));
        }
        return;
      }
      case T_YL2XP1:
        a = r == R_TINY       ? num(-200, -32)
            : r == R_SMALL    ? make(next() & 1, kBias - 2 - int(below(30)), next() | (1ull << 63))
            : r == R_MID      ? make(next() & 1, kBias - 2, (1ull << 63) | (next() >> 3))
            : r == R_LARGE    ? num(-1, 20)
            : r == R_DENORMAL ? denormal()
                              : special();
        if (r == R_MID && signOf(a)) a.sig = std::min<uint64_t>(a.sig, 0x95F619980C4336F7ull);  // > -(1 - sqrt(2)/2)
        if (r == R_DENORMAL && (next() & 1)) std::swap(a, b);
        if (r == R_SPECIAL && (next() & 1)) std::swap(a, b);
        return;
      default: a = b = zero(false); return;
    }
  }
  // A control word: every rounding control, the three precision controls (the transcendentals ignore them),
  // every exception masked.
  uint16_t control() { return uint16_t(0x7F | ((below(3) == 0 ? 0 : below(2) ? 2 : 3) << 8) | (below(4) << 10)); }
};

// ---- the recorded silicon results, checked on any host.

inline int runCheck(const char* file, bool verbose) {
  FILE* fp = std::fopen(file, "r");
  if (!fp) {
    std::fprintf(stderr, "cannot open %s\n", file);
    return 2;
  }
  Report rep;
  char line[512];
  long bad = 0, lines = 0;
  while (std::fgets(line, sizeof line, fp)) {
    if (line[0] == '#' || line[0] == '\n') continue;
    char op[16], a[32], b[32], r[32], r2[32], range[16];
    unsigned cw, sw;
    if (std::sscanf(line, "%15s %x %31s %31s %31s %31s %x %15s", op, &cw, a, b, r, r2, &sw, range) != 8) {
      std::fprintf(stderr, "bad line: %s", line);
      std::fclose(fp);
      return 2;
    }
    int o = 0, rg = 0;
    while (o < T_COUNT && std::strcmp(kTrNames[o], op) != 0) ++o;
    while (rg < R_COUNT && std::strcmp(kRangeNames[rg], range) != 0) ++rg;
    TrOut h;
    F80 fa, fb;
    if (o == T_COUNT || rg == R_COUNT || !parseF(a, fa) || !parseF(b, fb) || !parseF(r, h.r) || !parseF(r2, h.r2)) {
      std::fprintf(stderr, "bad line: %s", line);
      std::fclose(fp);
      return 2;
    }
    h.sw = uint16_t(sw);
    const TrOut s = softTr(Tr(o), uint16_t(cw), fa, fb);
    rep.add(Tr(o), uint16_t(cw), Range(rg), h, s);
    ++lines;
    const long long u = std::max(ulps(h.r, s.r), ulps(h.r2, s.r2));
    const bool far = ulps(h.r, s.r) < 0 || ulps(h.r2, s.r2) < 0 || u > 1 || (h.sw & ~kC1) != (s.sw & ~kC1);
    if (far) ++bad;
    if (verbose && (far || !(h.r == s.r && h.r2 == s.r2 && h.sw == s.sw)))
      std::printf("  %s %04X %s %s: silicon %s %s %04X, software %s %s %04X\n", op, cw, a, b, r, r2, sw,
                  hexF(s.r).c_str(), hexF(s.r2).c_str(), s.sw);
  }
  std::fclose(fp);
  rep.print();
  std::printf("checked %ld recorded cases: %ld more than 1 ulp from the silicon or with other flags\n", lines, bad);
  return 0;
}

}  // namespace trans
