// Stacks of privilege changes: the inner stack taken from the TSS, frames built on a stack that is not loaded
// yet, the CS load that changes CPL, and the data segments an outer privilege may no longer use.
#include "cpu/pm/pm.h"

namespace bv::cpu::pm {

bool NewStack::push(Cpu& cpu, unsigned size, uint32_t v) {
  uint32_t nsp = (esp - size) & (ss.big() ? 0xFFFFFFFFu : 0xFFFFu);
  if (!withinLimit(ss, nsp, size))
    return cpu.raise(VEC_SS, faultError, "pushing to SS:0x%X leaves the stack segment %s (limit 0x%X)", nsp,
                     selText(ss.sel).s, ss.limit);
  if (!cpu.writeLin(ss.base + nsp, size, v, supervisor)) return false;
  esp = nsp;
  return true;
}

bool NewStack::read(Cpu& cpu, uint32_t off, unsigned size, uint32_t& v) const {
  uint32_t at = (esp + off) & (ss.big() ? 0xFFFFFFFFu : 0xFFFFu);
  if (!withinLimit(ss, at, size))
    return cpu.raise(VEC_SS, faultError, "reading SS:0x%X is outside the stack segment %s (limit 0x%X)", at,
                     selText(ss.sel).s, ss.limit);
  if (!cpu.readLin(ss.base + at, size, v, supervisor)) return false;
  if (size == 2) v &= 0xFFFF;
  return true;
}

void loadCs(Cpu& cpu, uint16_t sel, const Descriptor& d, uint8_t newCpl) {
  uint16_t s = uint16_t((sel & 0xFFFC) | newCpl);
  cpu.setCpl(newCpl);
  cpu.setSeg(SEG_CS, toSeg(s, d));
}

void nullInaccessibleSegments(Cpu& cpu) {
  static const int segs[4] = {SEG_ES, SEG_DS, SEG_FS, SEG_GS};
  for (int s : segs) {
    const Seg& g = cpu.seg[s];
    bool dataOrNonConforming = !(g.attr & attr::T_CODE) || !(g.attr & attr::T_CONF_EXPDOWN);
    if (g.present() && (g.attr & attr::S) && dataOrNonConforming && g.dpl() < cpu.cpl) cpu.setSeg(s, nullSeg(0));
  }
}

bool stackFromTss(Cpu& cpu, uint8_t dpl, uint32_t ext, NewStack& out) {
  const Seg& tr = cpu.tr;
  const uint16_t trErr = uint16_t((tr.sel & 0xFFFC) | ext);
  if (!tr.present() || (tr.sel & 0xFFFC) == 0)
    return cpu.raise(VEC_TS, trErr,
                     "a privilege change to ring %u needs the inner stack from the TSS, but no TSS is loaded (LTR)",
                     dpl);
  const bool tss32 = (tr.attr & 8) != 0;
  uint32_t espOff = tss32 ? 4 + 8u * dpl : 2 + 4u * dpl;
  uint32_t ssOff = tss32 ? espOff + 4 : espOff + 2;
  if (ssOff + 1 > tr.limit)
    return cpu.raise(VEC_TS, trErr, "the TSS limit 0x%X is below its ring-%u stack fields at 0x%X", tr.limit, dpl,
                     espOff);
  uint32_t esp, ss;
  if (!cpu.readLin(tr.base + espOff, tss32 ? 4 : 2, esp, true) || !cpu.readLin(tr.base + ssOff, 2, ss, true))
    return false;
  if (!tss32) esp &= 0xFFFF;
  ss &= 0xFFFF;
  const uint16_t ssErr = uint16_t((ss & 0xFFFC) | ext);
  if ((ss & 0xFFFC) == 0) return cpu.raise(VEC_TS, ext, "the TSS's SS for ring %u is the null selector", dpl);
  Descriptor d;
  if (!fetchDescriptor(cpu, uint16_t(ss), d, VEC_TS, ext, "the TSS's ring stack")) return false;
  if ((ss & 3) != dpl) return cpu.raise(VEC_TS, ssErr, "the TSS's SS 0x%04X for ring %u has RPL %u", ss, dpl, ss & 3);
  if (d.dpl() != dpl || !d.writable())
    return cpu.raise(VEC_TS, ssErr, "the TSS's SS for ring %u, %s, is not a writable data segment of DPL %u", dpl,
                     selText(uint16_t(ss)).s, dpl);
  if (!d.present())
    return cpu.raise(VEC_SS, ssErr, "the TSS's SS for ring %u, %s, is not present", dpl, selText(uint16_t(ss)).s);
  if (!markAccessed(cpu, uint16_t(ss), d)) return false;
  out.ss = toSeg(uint16_t(ss), d);
  out.esp = esp;
  out.supervisor = dpl < 3;
  out.faultError = ssErr;
  return true;
}

}  // namespace bv::cpu::pm
