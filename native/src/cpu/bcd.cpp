// Decimal adjust (DAA DAS AAA AAS AAM AAD) and the undocumented SALC, per the SDM's pseudo-code.
#include "cpu/exec.h"

namespace bv::cpu {

namespace {

void daa(Cpu& c, const Insn&) {
  uint32_t al = c.gpr[0] & 0xFF, old = al;
  uint32_t f = c.eflags();
  bool oldCf = f & CF, cf = false, af = false;
  if ((al & 0xF) > 9 || (f & AF)) {
    cf = oldCf || (al + 6 > 0xFF);
    al = (al + 6) & 0xFF;
    af = true;
  }
  if (old > 0x99 || oldCf) {
    al = (al + 0x60) & 0xFF;
    cf = true;
  }
  setReg<1>(c, 0, al);
  setFlagsOSZAPC(c, szp<1>(al) | (cf ? CF : 0) | (af ? AF : 0));
}

void das(Cpu& c, const Insn&) {
  uint32_t al = c.gpr[0] & 0xFF, old = al;
  uint32_t f = c.eflags();
  bool oldCf = f & CF, cf = false, af = false;
  if ((al & 0xF) > 9 || (f & AF)) {
    cf = oldCf || al < 6;
    al = (al - 6) & 0xFF;
    af = true;
  }
  if (old > 0x99 || oldCf) {
    al = (al - 0x60) & 0xFF;
    cf = true;
  }
  setReg<1>(c, 0, al);
  setFlagsOSZAPC(c, szp<1>(al) | (cf ? CF : 0) | (af ? AF : 0));
}

void aaa(Cpu& c, const Insn&) {
  uint32_t ax = c.gpr[0] & 0xFFFF;
  bool adj = (ax & 0xF) > 9 || (c.eflags() & AF);
  if (adj) ax = (ax + 0x106) & 0xFFFF;
  ax &= 0xFF0F;
  setReg<2>(c, 0, ax);
  setFlagsOSZAPC(c, szp<1>(ax & 0xFF) | (adj ? (CF | AF) : 0));
}

void aas(Cpu& c, const Insn&) {
  uint32_t ax = c.gpr[0] & 0xFFFF;
  bool adj = (ax & 0xF) > 9 || (c.eflags() & AF);
  if (adj) {
    uint32_t al = (ax - 6) & 0xFF;
    uint32_t ah = ((ax >> 8) - 1 - ((ax & 0xFF) < 6 ? 1 : 0)) & 0xFF;
    ax = (ah << 8) | al;
  }
  ax &= 0xFF0F;
  setReg<2>(c, 0, ax);
  setFlagsOSZAPC(c, szp<1>(ax & 0xFF) | (adj ? (CF | AF) : 0));
}

void aam(Cpu& c, const Insn& i) {
  uint32_t base = i.imm & 0xFF;
  if (base == 0) {
    c.raise(VEC_DE, 0, "AAM with base 0");
    return;
  }
  uint32_t al = c.gpr[0] & 0xFF;
  uint32_t ax = ((al / base) << 8) | (al % base);
  setReg<2>(c, 0, ax);
  setFlagsOSZAPC(c, szp<1>(ax & 0xFF));
}

void aad(Cpu& c, const Insn& i) {
  uint32_t al = c.gpr[0] & 0xFF, ah = (c.gpr[0] >> 8) & 0xFF;
  uint32_t f;
  // The adder's carry/overflow are what real parts leave in the undefined flags.
  uint32_t r = addFlags<1>(al, (ah * (i.imm & 0xFF)) & 0xFF, 0, f);
  setReg<2>(c, 0, r);
  setFlagsOSZAPC(c, f);
}

void salc(Cpu& c, const Insn&) { setReg<1>(c, 0, (c.eflags() & CF) ? 0xFF : 0); }

}  // namespace

bool selectBcd(Insn& i) {
  switch (i.op) {
    case 0x27: i.fn = daa; return true;
    case 0x2F: i.fn = das; return true;
    case 0x37: i.fn = aaa; return true;
    case 0x3F: i.fn = aas; return true;
    case 0xD4: i.fn = aam; return true;
    case 0xD5: i.fn = aad; return true;
    case 0xD6: i.fn = salc; return true;
    default: return false;
  }
}

}  // namespace bv::cpu
