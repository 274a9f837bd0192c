// The x87 environment and whole state in memory (FLDENV, FNSTENV, FRSTOR, FNSAVE) in the four layouts the
// 387 has: 14 bytes (16-bit operand size) or 28 bytes (32-bit), each in a real-mode form (20- or 32-bit
// linear instruction and data pointers, the opcode beside them) and a protected-mode form (offsets and
// selectors); FNSAVE/FRSTOR add the eight registers in ST(i) order. And the state's copy in CpuState.
#include <cstring>

#include "cpu/fpu.h"

namespace bv::cpu {

using namespace fpu;

namespace {

// The tag word with every non-empty register's tag recomputed from its contents, as FNSTENV stores it.
uint16_t fullTags(const Fpu& f) {
  uint16_t t = 0;
  for (unsigned r = 0; r < 8; ++r) {
    const unsigned old = (f.tags >> (2 * r)) & 3;
    t |= uint16_t((old == 3 ? 3 : tagOf(f.reg[r])) << (2 * r));
  }
  return t;
}

void put16(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v);
  p[1] = uint8_t(v >> 8);
}
void put32(uint8_t* p, uint32_t v) {
  put16(p, v);
  put16(p + 2, v >> 16);
}
uint32_t get16(const uint8_t* p) { return p[0] | (uint32_t(p[1]) << 8); }
uint32_t get32(const uint8_t* p) { return get16(p) | (get16(p + 2) << 16); }

bool realLayout(const Cpu& c) { return !c.protectedMode() || (c.eflags() & VM); }

// Writes the environment into b (14 or 28 bytes); returns its size.
unsigned packEnv(const Cpu& c, bool op32, uint8_t* b) {
  const Fpu& f = c.fpu;
  const bool real = realLayout(c);
  const uint32_t ip = real ? (uint32_t(f.fcs) << 4) + f.fip : f.fip;
  const uint32_t dp = real ? (uint32_t(f.fds) << 4) + f.fdp : f.fdp;
  const uint16_t tw = fullTags(f);
  if (op32) {
    std::memset(b, 0, 28);
    put32(b, 0xFFFF0000u | f.cw);
    put32(b + 4, 0xFFFF0000u | f.sw);
    put32(b + 8, 0xFFFF0000u | tw);
    if (real) {
      put32(b + 12, 0xFFFF0000u | (ip & 0xFFFF));
      put32(b + 16, ((ip >> 16) << 12) | (f.fop & 0x7FF));
      put32(b + 20, 0xFFFF0000u | (dp & 0xFFFF));
      put32(b + 24, (dp >> 16) << 12);
    } else {
      put32(b + 12, ip);
      put32(b + 16, f.fcs | (uint32_t(f.fop & 0x7FF) << 16));
      put32(b + 20, dp);
      put32(b + 24, 0xFFFF0000u | f.fds);
    }
    return 28;
  }
  put16(b, f.cw);
  put16(b + 2, f.sw);
  put16(b + 4, tw);
  if (real) {
    put16(b + 6, ip);
    put16(b + 8, ((ip >> 16) << 12) | (f.fop & 0x7FF));
    put16(b + 10, dp);
    put16(b + 12, (dp >> 16) << 12);
  } else {
    put16(b + 6, ip);
    put16(b + 8, f.fcs);
    put16(b + 10, dp);
    put16(b + 12, f.fds);
  }
  return 14;
}

void unpackEnv(Cpu& c, bool op32, const uint8_t* b) {
  Fpu& f = c.fpu;
  const bool real = realLayout(c);
  uint16_t tw;
  if (op32) {
    f.cw = uint16_t((get16(b) & 0x1F3F) | 0x40);
    f.sw = uint16_t(get16(b + 4));
    tw = uint16_t(get16(b + 8));
    if (real) {
      const uint32_t ip = get16(b + 12) | ((get32(b + 16) >> 12) << 16);
      f.fop = uint16_t(get32(b + 16) & 0x7FF);
      f.fcs = 0;
      f.fip = ip;
      f.fds = 0;
      f.fdp = get16(b + 20) | ((get32(b + 24) >> 12) << 16);
    } else {
      f.fip = get32(b + 12);
      f.fcs = uint16_t(get16(b + 16));
      f.fop = uint16_t((get32(b + 16) >> 16) & 0x7FF);
      f.fdp = get32(b + 20);
      f.fds = uint16_t(get16(b + 24));
    }
  } else {
    f.cw = uint16_t((get16(b) & 0x1F3F) | 0x40);
    f.sw = uint16_t(get16(b + 2));
    tw = uint16_t(get16(b + 4));
    if (real) {
      f.fip = get16(b + 6) | ((get16(b + 8) >> 12) << 16);
      f.fop = uint16_t(get16(b + 8) & 0x7FF);
      f.fcs = 0;
      f.fdp = get16(b + 10) | ((get16(b + 12) >> 12) << 16);
      f.fds = 0;
    } else {
      f.fip = get16(b + 6);
      f.fcs = uint16_t(get16(b + 8));
      f.fdp = get16(b + 10);
      f.fds = uint16_t(get16(b + 12));
    }
  }
  f.tags = tw;  // only "empty or not" counts; the rest is recomputed once the registers are in
}

void retag(Fpu& f) {
  for (unsigned r = 0; r < 8; ++r)
    if (((f.tags >> (2 * r)) & 3) != 3) f.setTag(r, tagOf(f.reg[r]));
}

}  // namespace

namespace x87 {

void storeEnv(Cpu& c, const Insn& i, bool save) {
  Fpu& f = c.fpu;
  uint8_t b[108];
  unsigned n = packEnv(c, i.op32, b);
  if (save) {
    for (unsigned k = 0; k < 8; ++k) storeRaw(f.st(k), b + n + 10 * k);
    n += 80;
  }
  if (!writeMem(c, i, ea(c, i), b, n)) return;
  const bool was = (f.sw & Fpu::ES) != 0;
  if (save) f.init();
  else f.cw |= 0x3F;  // FNSTENV masks every exception after storing
  f.updateSummary();
  errorSignal(c, was);
}

void loadEnv(Cpu& c, const Insn& i, bool restore) {
  Fpu& f = c.fpu;
  const unsigned envSize = i.op32 ? 28 : 14;
  uint8_t b[108];
  if (!readMem(c, i, ea(c, i), b, envSize + (restore ? 80 : 0))) return;
  const bool was = (f.sw & Fpu::ES) != 0;
  unpackEnv(c, i.op32, b);
  if (restore)
    for (unsigned k = 0; k < 8; ++k) f.reg[f.phys(k)] = loadRaw(b + envSize + 10 * k);
  retag(f);
  f.updateSummary();
  errorSignal(c, was);
}

}  // namespace x87

void Fpu::save(FpuState& s) const {
  s.fcw = cw;
  s.fsw = sw;
  s.ftw = fullTags(*this);
  s.fop = fop;
  s.fip = fip;
  s.fdp = fdp;
  s.fcs = fcs;
  s.fds = fds;
  for (unsigned k = 0; k < 8; ++k) x87::storeRaw(reg[phys(k)], s.st[k]);
}

void Fpu::load(const FpuState& s) {
  cw = s.fcw;
  sw = s.fsw;
  tags = s.ftw;
  fop = s.fop;
  fip = s.fip;
  fdp = s.fdp;
  fcs = s.fcs;
  fds = s.fds;
  for (unsigned k = 0; k < 8; ++k) reg[phys(k)] = x87::loadRaw(s.st[k]);
  retag(*this);
}

}  // namespace bv::cpu
