// The host's own x87 as the oracle for Bootvisor's 80-bit arithmetic (native/src/cpu/fpu_*.cpp): generated
// operands (random values, values at the edges of the exponent range, denormals, pseudo-denormals,
// unnormals, zeros, infinities, quiet and signalling NaNs, ties for round-to-nearest) go through every
// operation under every rounding and precision control, once on the host's FPU (inline assembly with the same
// control word, every exception masked) and once in software; the result bits and the status word's
// exception flags, C1 and (for compares and remainders) C0 C2 C3 must agree bit for bit.
//
//   fpu_oracle [count] [seed]   count operand pairs per operation and control word (default 2000)
//   fpu_oracle --table FILE     runs a table of test/cpu/fpu-diff-gen.ts on the host x87 and prints its lines
//   fpu_oracle --transcendental [count] [seed]   the transcendental instructions by range: ulps, flags, C1
//   fpu_oracle --record FILE [count] [seed]      the same, writing the host's results to FILE
//   fpu_oracle --check FILE [-v]                 recorded host results against the software (any host)
//   fpu_oracle --trtable FILE                    runs a table of test/cpu/fpu-trans-gen.ts on the host x87
//   fpu_oracle --trunmasked [count] [seed]       the transcendentals with OE, UE or PE unmasked
//   fpu_oracle --trany [count] [seed]            the transcendentals on operands of every class
//   fpu_oracle --unmasked       what the x87 leaves after each unmasked exception (test/cpu/fpu-env-diff.test.ts)
// Prints one line per operation with its count and mismatches, the first few mismatches in full, and exits
// non-zero on any mismatch. x86-64 hosts only (elsewhere it says so and exits 0 with "skipped").
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "cpu/fpu_float80.h"
#include "fpu_trans_oracle.h"

using namespace bv::fpu;

#if defined(__x86_64__) || defined(__i386__)

namespace {

// The operand generator of the basic arithmetic (gen, near), seeded by the command line.
trans::Gen rng;
uint64_t rnd() { return rng.next(); }

struct Raw {
  uint8_t b[10];
};
Raw toRaw(F80 a) {
  Raw r;
  std::memcpy(r.b, &a.sig, 8);
  std::memcpy(r.b + 8, &a.se, 2);
  return r;
}
F80 fromRaw(const Raw& r) {
  F80 a;
  std::memcpy(&a.sig, r.b, 8);
  std::memcpy(&a.se, r.b + 8, 2);
  return a;
}

// One operand of a random class.
F80 gen() {
  const bool s = rnd() & 1;
  uint64_t m = rnd() | (1ull << 63);
  switch (rnd() % 24) {
    case 0: return zero(s);
    case 1: return infinity(s);
    case 2: return make(s, kExpMax, (1ull << 63) | (1ull << 62) | (rnd() >> 2));    // QNaN
    case 3: return make(s, kExpMax, (1ull << 63) | ((rnd() >> 2) | 1));             // SNaN
    case 4: return make(s, 0, rnd() >> (rnd() % 64));                               // denormal
    case 5: return make(s, 0, m);                                                   // pseudo-denormal
    case 6: return make(s, 1 + rnd() % 70, m);                                      // near the bottom
    case 7: return make(s, kExpMax - 1 - rnd() % 70, m);                            // near the top
    case 8: return make(s, kBias + rnd() % 64, m & ~((1ull << (rnd() % 64)) - 1));  // integers and halves
    case 9: return make(s, kBias - 1 + rnd() % 4, (1ull << 63) | (rnd() & 0xFF) << (rnd() % 40));
    case 10: return make(s, kBias + int(rnd() % 40) - 20, m | ((1ull << 40) - 1));  // long runs of ones
    case 11: return make(s, kBias + int(rnd() % 40) - 20, (1ull << 63) | (1ull << (rnd() % 63)));
    case 12: return make(s, 1 + rnd() % 8, m);
    case 13: {
      if (rnd() % 4) return make(s, kBias + int(rnd() % 200) - 100, m);
      return make(s, 1 + rnd() % (kExpMax - 1), m & 0x7FFFFFFFFFFFFFFFull);  // unnormal
    }
    default: return make(s, kBias + int(rnd() % 128) - 64, m);
  }
}

// A second operand near the first (cancellation, equal exponents, remainders with small quotients).
F80 genNear(F80 a) {
  if (rnd() % 3 == 0 || expOf(a) == 0 || expOf(a) >= kExpMax - 70) return gen();
  F80 b = a;
  b.se = uint16_t((a.se & 0x8000) ^ ((rnd() & 1) << 15)) | uint16_t(expOf(a) - int(rnd() % 70) + 2);
  if (rnd() & 1) b.sig ^= rnd() >> (rnd() % 64);
  b.sig |= 1ull << 63;
  return b;
}

enum Op {
  ADD,
  SUB,
  MUL,
  DIV,
  SQRT,
  PREM,
  PREM1,
  RNDINT,
  SCALE,
  XTRACT,
  COM,
  UCOM,
  TO_F32,
  TO_F64,
  FROM_F32,
  FROM_F64,
  TO_I16,
  TO_I32,
  TO_I64,
  TO_BCD,
  OP_COUNT
};
const char* const kNames[] = {"fadd",    "fsub",    "fmul",     "fdiv",     "fsqrt",     "fprem",   "fprem1",
                              "frndint", "fscale",  "fxtract",  "fcom",     "fucom",     "fst m32", "fst m64",
                              "fld m32", "fld m64", "fist m16", "fist m32", "fistp m64", "fbstp"};

struct Out {
  Raw r{}, r2{};
  uint64_t mem = 0;
  uint8_t bcd[10] = {};
  uint16_t sw = 0;
};

#define BIN(insn)                                                     \
  asm volatile("fninit\n fldcw %[cw]\n fldt %[b]\n fldt %[a]\n " insn \
               "\n fnstsw %[sw]\n fstpt %[r]\n fstp %%st(0)\n fninit" \
               : [r] "=m"(o.r), [sw] "=m"(o.sw)                       \
               : [a] "m"(ra), [b] "m"(rb), [cw] "m"(cw))
#define UN(insn)                                                                                  \
  asm volatile("fninit\n fldcw %[cw]\n fldt %[a]\n " insn "\n fnstsw %[sw]\n fstpt %[r]\n fninit" \
               : [r] "=m"(o.r), [sw] "=m"(o.sw)                                                   \
               : [a] "m"(ra), [cw] "m"(cw))
#define STORE(insn, dst)                                                                  \
  asm volatile("fninit\n fldcw %[cw]\n fldt %[a]\n " insn " %[d]\n fnstsw %[sw]\n fninit" \
               : [d] "=m"(dst), [sw] "=m"(o.sw)                                           \
               : [a] "m"(ra), [cw] "m"(cw))

Out host(Op op, uint16_t cw, F80 a, F80 b, uint64_t bits) {
  Out o;
  const Raw ra = toRaw(a), rb = toRaw(b);
  uint16_t m16 = 0;
  uint32_t m32 = 0;
  switch (op) {
    case ADD: BIN("fadd %%st(1), %%st"); break;
    case SUB: BIN("fsub %%st(1), %%st"); break;
    case MUL: BIN("fmul %%st(1), %%st"); break;
    case DIV: BIN("fdiv %%st(1), %%st"); break;
    case PREM: BIN("fprem"); break;
    case PREM1: BIN("fprem1"); break;
    case SCALE: BIN("fscale"); break;
    case COM: BIN("fcom %%st(1)"); break;
    case UCOM: BIN("fucom %%st(1)"); break;
    case SQRT: UN("fsqrt"); break;
    case RNDINT: UN("frndint"); break;
    case XTRACT:
      asm volatile("fninit\n fldcw %[cw]\n fldt %[a]\n fxtract\n fnstsw %[sw]\n fstpt %[r]\n fstpt %[r2]\n fninit"
                   : [r] "=m"(o.r), [r2] "=m"(o.r2), [sw] "=m"(o.sw)
                   : [a] "m"(ra), [cw] "m"(cw));
      break;
    case TO_F32:
      STORE("fsts", m32);
      o.mem = m32;
      break;
    case TO_F64: STORE("fstl", o.mem); break;
    case TO_I16:
      STORE("fists", m16);
      o.mem = m16;
      break;
    case TO_I32:
      STORE("fistl", m32);
      o.mem = m32;
      break;
    case TO_I64: STORE("fistpll", o.mem); break;
    case TO_BCD: STORE("fbstp", o.bcd); break;
    case FROM_F32: {
      const uint32_t v = uint32_t(bits);
      asm volatile("fninit\n fldcw %[cw]\n flds %[v]\n fnstsw %[sw]\n fstpt %[r]\n fninit"
                   : [r] "=m"(o.r), [sw] "=m"(o.sw)
                   : [v] "m"(v), [cw] "m"(cw));
      break;
    }
    case FROM_F64:
      asm volatile("fninit\n fldcw %[cw]\n fldl %[v]\n fnstsw %[sw]\n fstpt %[r]\n fninit"
                   : [r] "=m"(o.r), [sw] "=m"(o.sw)
                   : [v] "m"(bits), [cw] "m"(cw));
      break;
    default: break;
  }
  return o;
}

Out soft(Op op, uint16_t cw, F80 a, F80 b, uint64_t bits) {
  Out o;
  Ctx c = Ctx::fromControl(cw);
  F80 r, r2;
  uint16_t cc = 0;
  switch (op) {
    case ADD: r = add(c, a, b); break;
    case SUB: r = sub(c, a, b); break;
    case MUL: r = mul(c, a, b); break;
    case DIV: r = div(c, a, b); break;
    case SQRT: r = bv::fpu::sqrt(c, a); break;
    case PREM:
    case PREM1: {
      unsigned q;
      bool partial;
      r = rem(c, a, b, op == PREM1, q, partial);
      c.flags &= ~C1;
      if (!(c.flags & IE)) {
        cc = uint16_t((partial ? 0x400 : 0) | ((q & 4) ? 0x100 : 0) | ((q & 2) ? 0x4000 : 0) | ((q & 1) ? 0x200 : 0));
      }
      break;
    }
    case RNDINT: r = roundToInt(c, a); break;
    case SCALE: r = scale(c, a, b); break;
    case XTRACT: {
      extract(c, a, r2, r);
      o.r2 = toRaw(r2);
      break;
    }
    case COM:
    case UCOM: {
      const unsigned k = compare(c, a, b, op == UCOM);
      static const uint16_t kCc[4] = {0x100, 0x4000, 0, 0x4500};
      cc = kCc[k];
      break;
    }
    case TO_F32: o.mem = toF32(c, a); break;
    case TO_F64: o.mem = toF64(c, a); break;
    case TO_I16: o.mem = uint16_t(toInt(c, a, 16)); break;
    case TO_I32: o.mem = uint32_t(toInt(c, a, 32)); break;
    case TO_I64: o.mem = uint64_t(toInt(c, a, 64)); break;
    case TO_BCD: toBcd(c, a, o.bcd); break;
    case FROM_F32: r = fromF32(c, uint32_t(bits)); break;
    case FROM_F64: r = fromF64(c, bits); break;
    default: break;
  }
  o.r = toRaw(r);
  o.sw = uint16_t((c.flags & 0x3F) | (c.flags & C1) | cc);
  return o;
}

bool same(Op op, const Out& h, const Out& s, uint16_t swMask) {
  if ((h.sw & swMask) != (s.sw & swMask)) return false;
  switch (op) {
    case TO_F32:
    case TO_F64:
    case TO_I16:
    case TO_I32:
    case TO_I64: return h.mem == s.mem;
    case TO_BCD: return std::memcmp(h.bcd, s.bcd, 10) == 0;
    case COM:
    case UCOM: return true;
    case XTRACT: return std::memcmp(&h.r, &s.r, 10) == 0 && std::memcmp(&h.r2, &s.r2, 10) == 0;
    default: return std::memcmp(&h.r, &s.r, 10) == 0;
  }
}

std::string hex(F80 a) {
  char b[40];
  std::snprintf(b, sizeof b, "%04X:%016llX", a.se, (unsigned long long)a.sig);
  return b;
}

// A whole binary file (a table of the generators in test/cpu).
bool readFile(const char* file, std::vector<uint8_t>& t) {
  FILE* fp = std::fopen(file, "rb");
  if (!fp) {
    std::fprintf(stderr, "cannot open %s\n", file);
    return false;
  }
  int ch;
  while ((ch = std::fgetc(fp)) != EOF) t.push_back(uint8_t(ch));
  std::fclose(fp);
  return true;
}

// The table format of test/cpu/fpu-diff-gen.ts: op, control word, a, b; 0xFF ends it. One line per entry:
// the ten result bytes most significant first, the status word's C3-C0 and exception bits.
int runTable(const char* file) {
  std::vector<uint8_t> t;
  if (!readFile(file, t)) return 2;
  for (size_t o = 0; o + 23 <= t.size() && t[o] != 0xFF; o += 23) {
    const Op op = Op(t[o]);
    if (op >= OP_COUNT) return 2;
    const uint16_t cw = uint16_t(t[o + 1] | (t[o + 2] << 8));
    Raw ra, rb;
    std::memcpy(ra.b, &t[o + 3], 10);
    std::memcpy(rb.b, &t[o + 13], 10);
    uint64_t bits;
    std::memcpy(&bits, &t[o + 3], 8);
    if (op == FROM_F32) bits &= 0xFFFFFFFFull;
    const Out h = host(op, cw, fromRaw(ra), fromRaw(rb), bits);
    uint8_t res[10] = {};
    switch (op) {
      case TO_F32: std::memcpy(res, &h.mem, 4); break;
      case TO_I16: std::memcpy(res, &h.mem, 2); break;
      case TO_I32: std::memcpy(res, &h.mem, 4); break;
      case TO_F64:
      case TO_I64: std::memcpy(res, &h.mem, 8); break;
      case TO_BCD: std::memcpy(res, h.bcd, 10); break;
      case COM:
      case UCOM: break;
      default: std::memcpy(res, h.r.b, 10); break;
    }
    for (int k = 9; k >= 0; --k) std::printf("%02X", res[k]);
    std::printf(" %04X\n", h.sw & 0x473F);
  }
  return 0;
}

// ---- the transcendental instructions: the host's FSIN, FCOS, FPTAN, FSINCOS, FPATAN, F2XM1, FYL2X and FYL2XP1
// against fpu_trig.cpp's and fpu_elementary.cpp's values (fpu_trans_oracle.h), operand by operand, by range.

using trans::Tr;
using trans::TrOut;

TrOut hostTr(Tr op, uint16_t cw, F80 a, F80 b) {
  Raw r{}, r2{};
  uint16_t sw = 0;
  const Raw ra = toRaw(a), rb = toRaw(b);
#define TR1(insn)                                                                                 \
  asm volatile("fninit\n fldcw %[cw]\n fldt %[a]\n " insn "\n fnstsw %[sw]\n fstpt %[r]\n fninit" \
               : [r] "=m"(r), [sw] "=m"(sw)                                                       \
               : [a] "m"(ra), [cw] "m"(cw))
#define TR2(insn)                                                                                               \
  asm volatile("fninit\n fldcw %[cw]\n fldt %[a]\n " insn "\n fnstsw %[sw]\n fstpt %[r2]\n fstpt %[r]\n fninit" \
               : [r] "=m"(r), [r2] "=m"(r2), [sw] "=m"(sw)                                                      \
               : [a] "m"(ra), [cw] "m"(cw))
// ST(0) = a, ST(1) = b; the result replaces ST(1) and ST(0) is popped.
#define TRB(insn)                                                                                             \
  asm volatile("fninit\n fldcw %[cw]\n fldt %[b]\n fldt %[a]\n " insn "\n fnstsw %[sw]\n fstpt %[r]\n fninit" \
               : [r] "=m"(r), [sw] "=m"(sw)                                                                   \
               : [a] "m"(ra), [b] "m"(rb), [cw] "m"(cw))
  switch (op) {
    case trans::T_SIN: TR1("fsin"); break;
    case trans::T_COS: TR1("fcos"); break;
    case trans::T_TAN: TR2("fptan"); break;
    case trans::T_SINCOS: TR2("fsincos"); break;
    case trans::T_ATAN: TRB("fpatan"); break;
    case trans::T_2XM1: TR1("f2xm1"); break;
    case trans::T_YL2X: TRB("fyl2x"); break;
    case trans::T_YL2XP1: TRB("fyl2xp1"); break;
    default: break;
  }
#undef TR1
#undef TR2
#undef TRB
  TrOut o;
  o.sw = uint16_t(sw & trans::kSwMask);
  // FPTAN and FSINCOS push a second value: r is ST(1), r2 ST(0) (1.0, or the cosine). Out of range (C2) they
  // push nothing and ST(0) is the operand.
  if (op == trans::T_TAN || op == trans::T_SINCOS) {
    if (sw & trans::kC2) {
      o.r = fromRaw(r2);
    } else {
      o.r = fromRaw(r);
      o.r2 = fromRaw(r2);
    }
  } else {
    o.r = fromRaw(r);
  }
  return o;
}

std::string hostCpu() {
  FILE* fp = std::fopen("/proc/cpuinfo", "r");
  std::string name = "unknown x86 CPU", family, model;
  if (!fp) return name;
  char line[256];
  while (std::fgets(line, sizeof line, fp)) {
    const char* colon = std::strchr(line, ':');
    if (!colon) continue;
    std::string v = colon + 1;
    while (!v.empty() && (v.back() == '\n' || v.back() == ' ')) v.pop_back();
    while (!v.empty() && v.front() == ' ') v.erase(0, 1);
    if (!std::strncmp(line, "model name", 10) && name == "unknown x86 CPU") name = v;
    else if (!std::strncmp(line, "cpu family", 10) && family.empty()) family = v;
    else if (!std::strncmp(line, "model\t", 6) && model.empty()) model = v;
  }
  std::fclose(fp);
  return name + " (family " + family + ", model " + model + ")";
}

// count operand pairs per instruction, spread over the ranges, random control words. record: the host's
// results are written to that file (the record format of fpu_trans_oracle.h) besides being compared.
int runTranscendental(long count, uint64_t seed, const char* record) {
  trans::Gen g;
  g.s = seed | 1;
  trans::Report rep;
  FILE* out = nullptr;
  if (record) {
    out = std::fopen(record, "w");
    if (!out) {
      std::fprintf(stderr, "cannot write %s\n", record);
      return 2;
    }
    std::fprintf(out,
                 "# The host x87's own results for FSIN FCOS FPTAN FSINCOS FPATAN F2XM1 FYL2X FYL2XP1, recorded by\n"
                 "# native/tools/fpu_oracle --record (seed %llu, %ld operand pairs per instruction) on\n"
                 "# %s.\n"
                 "# Checked on any host by fpu_oracle --check (test/cpu/fpu-trans-recorded.test.ts).\n"
                 "# op cw a b r r2 sw range: a = ST(0), b = ST(1); r the result (FPTAN's tangent, FSINCOS's sine),\n"
                 "# r2 the value pushed (FPTAN's 1, FSINCOS's cosine); sw the status word's C2 C1 and flags.\n",
                 static_cast<unsigned long long>(seed), count, hostCpu().c_str());
  }
  for (int op = 0; op < trans::T_COUNT; ++op) {
    for (long k = 0; k < count; ++k) {
      const trans::Range range = trans::Range(k % trans::R_COUNT);
      F80 a, b;
      g.operands(Tr(op), range, a, b);
      const uint16_t cw = g.control();
      const TrOut h = hostTr(Tr(op), cw, a, b), s = trans::softTr(Tr(op), cw, a, b);
      rep.add(Tr(op), cw, range, h, s);
      if (out)
        std::fprintf(out, "%s %04X %s %s %s %s %04X %s\n", trans::kTrNames[op], cw, hex(a).c_str(), hex(b).c_str(),
                     hex(h.r).c_str(), hex(h.r2).c_str(), h.sw, trans::kRangeNames[range]);
      const char* dump = std::getenv("FPU_ORACLE_DUMP");  // "all": every case, else the differing ones
      if (dump && (std::strcmp(dump, "all") == 0 || !(h.r == s.r && h.r2 == s.r2 && h.sw == s.sw)))
        std::printf("D %d %04X %s %s %s %s %04X %s %s %04X\n", op, cw, hex(a).c_str(), hex(b).c_str(), hex(h.r).c_str(),
                    hex(h.r2).c_str(), h.sw, hex(s.r).c_str(), hex(s.r2).c_str(), s.sw);
    }
  }
  if (out) std::fclose(out);
  std::printf("host: %s\n", hostCpu().c_str());
  rep.print();
  return 0;
}

// The same instructions with OE, UE or PE unmasked (the ones that still deliver a result: with OE/UE the
// exponent wrapped by 24576): read back with FNSAVE, a non-waiting store, so no #MF is raised.
TrOut hostTrSaved(Tr op, uint16_t cw, F80 a, F80 b) {
  uint8_t img[108] = {};
  uint16_t sw = 0;
  const Raw ra = toRaw(a), rb = toRaw(b);
#define TRS1(insn)                                                                                   \
  asm volatile("fninit\n fldcw %[cw]\n fldt %[a]\n " insn "\n fnstsw %[sw]\n fnsave %[img]\n fninit" \
               : [img] "=m"(img), [sw] "=m"(sw)                                                      \
               : [a] "m"(ra), [cw] "m"(cw))
#define TRSB(insn)                                                                                               \
  asm volatile("fninit\n fldcw %[cw]\n fldt %[b]\n fldt %[a]\n " insn "\n fnstsw %[sw]\n fnsave %[img]\n fninit" \
               : [img] "=m"(img), [sw] "=m"(sw)                                                                  \
               : [a] "m"(ra), [b] "m"(rb), [cw] "m"(cw))
  switch (op) {
    case trans::T_SIN: TRS1("fsin"); break;
    case trans::T_COS: TRS1("fcos"); break;
    case trans::T_TAN: TRS1("fptan"); break;
    case trans::T_SINCOS: TRS1("fsincos"); break;
    case trans::T_ATAN: TRSB("fpatan"); break;
    case trans::T_2XM1: TRS1("f2xm1"); break;
    case trans::T_YL2X: TRSB("fyl2x"); break;
    case trans::T_YL2XP1: TRSB("fyl2xp1"); break;
    default: break;
  }
#undef TRS1
#undef TRSB
  auto reg = [&](int i) {
    F80 v;
    std::memcpy(&v.sig, img + 28 + 10 * i, 8);
    std::memcpy(&v.se, img + 36 + 10 * i, 2);
    return v;
  };
  TrOut o;
  o.sw = uint16_t(sw & trans::kSwMask);
  const bool pushed = (op == trans::T_TAN || op == trans::T_SINCOS) && !(sw & trans::kC2);
  o.r = pushed ? reg(1) : reg(0);
  if (pushed) o.r2 = reg(0);
  return o;
}

// count cases per instruction, compared as --transcendental does. unmasked: a random choice of OE, UE and PE
// unmasked, operands from the ranges where results underflow or are inexact (tiny, denormal, large, small);
// otherwise every exception masked and both operands of any class of the arithmetic oracle's gen()
// (pseudo-denormals, unnormals, pseudo-NaNs, NaNs, infinities, denormals, the ends of the exponent range).
int runTransMore(long count, uint64_t seed, bool unmasked) {
  trans::Gen g;
  g.s = seed | 1;
  rng.s = seed | 1;
  trans::Report rep;
  static const trans::Range kRanges[] = {trans::R_TINY, trans::R_DENORMAL, trans::R_LARGE, trans::R_SMALL};
  for (int op = 0; op < trans::T_COUNT; ++op) {
    for (long k = 0; k < count; ++k) {
      trans::Range range = kRanges[k % 4];
      F80 a, b;
      uint16_t cw = g.control();
      if (unmasked) {
        g.operands(Tr(op), range, a, b);
        // At least one of OE UE PE; IE, DE and ZE stay masked (they forbid the result).
        const unsigned unmask = 1 + g.below(7);
        cw = uint16_t(cw & ~(((unmask & 1) ? 0x08 : 0) | ((unmask & 2) ? 0x10 : 0) | ((unmask & 4) ? 0x20 : 0)));
      } else {
        a = gen();
        b = gen();
        range = trans::R_SPECIAL;
      }
      const TrOut h = hostTrSaved(Tr(op), cw, a, b), s = trans::softTr(Tr(op), cw, a, b);
      rep.add(Tr(op), cw, range, h, s);
      if (std::getenv("FPU_ORACLE_DUMP") && !(h.r == s.r && h.r2 == s.r2 && h.sw == s.sw))
        std::printf("U %d %04X %s %s %s %s %04X %s %s %04X\n", op, cw, hex(a).c_str(), hex(b).c_str(), hex(h.r).c_str(),
                    hex(h.r2).c_str(), h.sw, hex(s.r).c_str(), hex(s.r2).c_str(), s.sw);
    }
  }
  std::printf("host: %s\n%s:\n", hostCpu().c_str(),
              unmasked ? "OE, UE or PE unmasked" : "operands of every class (reported as the special range)");
  rep.print();
  return 0;
}

// A table of test/cpu/fpu-trans-gen.ts on the host x87, in the guest program's line format: the result and
// the pushed value (20 hex digits each, most significant first) and the status word's C2 C1 and flags.
int runTransTable(const char* file) {
  std::vector<uint8_t> t;
  if (!readFile(file, t)) return 2;
  for (size_t o = 0; o + 23 <= t.size() && t[o] != 0xFF; o += 23) {
    if (t[o] >= trans::T_COUNT) return 2;
    const uint16_t cw = uint16_t(t[o + 1] | (t[o + 2] << 8));
    Raw ra, rb;
    std::memcpy(ra.b, &t[o + 3], 10);
    std::memcpy(rb.b, &t[o + 13], 10);
    const TrOut h = hostTr(Tr(t[o]), cw, fromRaw(ra), fromRaw(rb));
    std::printf("%04X%016llX %04X%016llX %04X\n", h.r.se, static_cast<unsigned long long>(h.r.sig), h.r2.se,
                static_cast<unsigned long long>(h.r2.sig), h.sw);
  }
  return 0;
}

// ---- unmasked exceptions: what the host's x87 leaves when an exception is unmasked (the result, or none; the
// status word), read with non-waiting instructions only (FNSTSW, FNSAVE) so that no #MF/SIGFPE is raised. The
// lines have the format test/cpu/programs/x87-env16.asm prints (C1 cleared), for the differential test. FDIVP
// ST(1), ST(0) is written as its bytes: AT&T syntax swaps the operands of the reversed forms.
int runUnmasked() {
  static const uint8_t kHuge[10] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE, 0x7F};
  static const uint8_t kTiny[10] = {0, 0, 0, 0, 0, 0, 0, 0x80, 0x01, 0x00};
  static const uint8_t kDenormal[10] = {0x34, 0x12, 0, 0, 0, 0, 0, 0, 0, 0};
  static const double kThree = 3.0;
  struct Case {
    const char* title;
    uint16_t cw;
  };
  static const Case kCases[] = {{"ZE: 1/0", 0x037B},          {"IE: sqrt(-1)", 0x037E},
                                {"DE: denormal + 1", 0x037D}, {"OE: max * max into ST0", 0x0377},
                                {"OE: max into m32", 0x0377}, {"UE: min * min into ST0", 0x036F},
                                {"PE: 1/3", 0x035F}};
  // The 28-byte environment's reserved upper halves (control, status and tag dwords, and the one that holds
  // the data selector): what the x87 writes there.
  uint32_t env[7];
  asm volatile("fninit\n fld1\n fnstenv %[e]\n fninit" : [e] "=m"(env));
  std::printf("env32 reserved=%04X %04X %04X %04X\n", env[0] >> 16, env[1] >> 16, env[2] >> 16, env[6] >> 16);
  for (int k = 0; k < 7; ++k) {
    const uint16_t cw = kCases[k].cw;
    uint16_t sw = 0;
    uint8_t img[108] = {};
    uint32_t m32 = 0x12345678;
    switch (k) {
      case 0:
        asm volatile("fninit\n fldcw %[cw]\n fld1\n fldz\n .byte 0xDE, 0xF9\n fnstsw %[sw]\n fnsave %[img]"
                     : [sw] "=m"(sw), [img] "=m"(img)
                     : [cw] "m"(cw));
        break;
      case 1:
        asm volatile("fninit\n fldcw %[cw]\n fld1\n fchs\n fsqrt\n fnstsw %[sw]\n fnsave %[img]"
                     : [sw] "=m"(sw), [img] "=m"(img)
                     : [cw] "m"(cw));
        break;
      case 2:
        asm volatile("fninit\n fldcw %[cw]\n fld1\n fldt %[d]\n fadd %%st(1), %%st\n fnstsw %[sw]\n fnsave %[img]"
                     : [sw] "=m"(sw), [img] "=m"(img)
                     : [cw] "m"(cw), [d] "m"(kDenormal));
        break;
      case 3:
        asm volatile("fninit\n fldcw %[cw]\n fldt %[h]\n fmul %%st(0), %%st\n fnstsw %[sw]\n fnsave %[img]"
                     : [sw] "=m"(sw), [img] "=m"(img)
                     : [cw] "m"(cw), [h] "m"(kHuge));
        break;
      case 4:
        asm volatile("fninit\n fldcw %[cw]\n fldt %[h]\n fsts %[m]\n fnstsw %[sw]\n fnsave %[img]"
                     : [sw] "=m"(sw), [img] "=m"(img), [m] "+m"(m32)
                     : [cw] "m"(cw), [h] "m"(kHuge));
        break;
      case 5:
        asm volatile("fninit\n fldcw %[cw]\n fldt %[t]\n fmul %%st(0), %%st\n fnstsw %[sw]\n fnsave %[img]"
                     : [sw] "=m"(sw), [img] "=m"(img)
                     : [cw] "m"(cw), [t] "m"(kTiny));
        break;
      default:
        asm volatile("fninit\n fldcw %[cw]\n fldl %[three]\n fld1\n fdiv %%st(1), %%st\n fnstsw %[sw]\n fnsave %[img]"
                     : [sw] "=m"(sw), [img] "=m"(img)
                     : [cw] "m"(cw), [three] "m"(kThree));
        break;
    }
    asm volatile("fninit");
    uint32_t lo, hi;
    uint16_t se;
    std::memcpy(&lo, img + 28, 4);
    std::memcpy(&hi, img + 32, 4);
    std::memcpy(&se, img + 36, 2);
    std::printf("%s\nsw=%08X\nst0.se=%08X\nst0.hi=%08X\nst0.lo=%08X\n", kCases[k].title, sw & 0xFDFF, se, hi, lo);
    if (k == 4) std::printf("m32=%08X\n", m32);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 2 && std::strcmp(argv[1], "--table") == 0) return runTable(argv[2]);
  if (argc > 1 && std::strcmp(argv[1], "--unmasked") == 0) return runUnmasked();
  if (argc > 1 && std::strcmp(argv[1], "--transcendental") == 0)
    return runTranscendental(argc > 2 ? std::atol(argv[2]) : 20000, argc > 3 ? std::strtoull(argv[3], nullptr, 0) : 1,
                             nullptr);
  if (argc > 2 && std::strcmp(argv[1], "--record") == 0)
    return runTranscendental(argc > 3 ? std::atol(argv[3]) : 600, argc > 4 ? std::strtoull(argv[4], nullptr, 0) : 1,
                             argv[2]);
  if (argc > 2 && std::strcmp(argv[1], "--trtable") == 0) return runTransTable(argv[2]);
  if (argc > 1 && std::strcmp(argv[1], "--trunmasked") == 0)
    return runTransMore(argc > 2 ? std::atol(argv[2]) : 4000, argc > 3 ? std::strtoull(argv[3], nullptr, 0) : 1, true);
  if (argc > 1 && std::strcmp(argv[1], "--trany") == 0)
    return runTransMore(argc > 2 ? std::atol(argv[2]) : 4000, argc > 3 ? std::strtoull(argv[3], nullptr, 0) : 1, false);
  if (argc > 2 && std::strcmp(argv[1], "--check") == 0) return trans::runCheck(argv[2], argc > 3);
  const long count = argc > 1 ? std::atol(argv[1]) : 2000;
  if (argc > 2) rng.s = std::strtoull(argv[2], nullptr, 0) | 1;
  const char* only = std::getenv("FPU_ORACLE_OP");
  long total = 0, bad = 0;
  for (int op = 0; op < OP_COUNT; ++op) {
    if (only && std::strcmp(only, kNames[op]) != 0) continue;
    long n = 0, wrong = 0;
    int shown = 0;
    for (unsigned rc = 0; rc < 4; ++rc) {
      for (unsigned pc : {0u, 2u, 3u}) {
        const uint16_t cw = uint16_t(0x3F | (pc << 8) | (rc << 10) | 0x40);
        for (long k = 0; k < count; ++k) {
          const F80 a = gen(),
                    b = (op == SUB || op == ADD || op == PREM || op == PREM1 || op == COM) ? genNear(a) : gen();
          uint64_t bits = rnd();
          if (op == FROM_F32 || op == FROM_F64) {
            const unsigned r = unsigned(rnd() % 6);
            if (op == FROM_F32) bits = r == 0 ? (bits & 0x807FFFFF) : r == 1 ? (bits | 0x7F800000) : bits;
            else bits = r == 0 ? (bits & 0x800FFFFFFFFFFFFFull) : r == 1 ? (bits | 0x7FF0000000000000ull) : bits;
            if (r == 2) bits &= 0xFFFFFFFF00000000ull;
          }
          const Out h = host(Op(op), cw, a, b, bits), s = soft(Op(op), cw, a, b, bits);
          uint16_t mask = 0x023F;
          if (op == COM || op == UCOM || op == PREM || op == PREM1) mask |= 0x4500;
          ++n;
          if (!same(Op(op), h, s, mask)) {
            ++wrong;
            if (shown++ < 6) {
              std::printf("  %s cw=%04X a=%s b=%s bits=%016llX: host %s/%016llX sw=%04X, soft %s/%016llX sw=%04X\n",
                          kNames[op], cw, hex(a).c_str(), hex(b).c_str(), (unsigned long long)bits,
                          hex(fromRaw(h.r)).c_str(), (unsigned long long)h.mem, h.sw & mask, hex(fromRaw(s.r)).c_str(),
                          (unsigned long long)s.mem, s.sw & mask);
            }
          }
        }
      }
    }
    std::printf("%-10s %8ld cases %6ld mismatches\n", kNames[op], n, wrong);
    total += n;
    bad += wrong;
  }
  std::printf("total %ld cases, %ld mismatches\n", total, bad);
  return bad ? 1 : 0;
}

#else
int main(int argc, char** argv) {
  if (argc > 2 && std::strcmp(argv[1], "--check") == 0) return trans::runCheck(argv[2], argc > 3);
  std::printf("skipped: the host has no x87\n");
  return 0;
}
#endif
