// Interrupt and exception delivery through the IDT in protected mode: gate checks, the stack switch through
// the TSS on a privilege change, the frame (with the error code), task gates.
#include "cpu/pm/pm.h"

namespace bv::cpu::pm {

bool deliverInterrupt(Cpu& cpu, uint8_t vector, IntKind kind, bool hasError, uint32_t error) {
  // EXT: set in error codes of faults met while delivering an event the program did not ask for.
  const uint32_t ext = (kind == IntKind::Exception || kind == IntKind::External || kind == IntKind::Icebp) ? 1 : 0;
  const bool software = kind == IntKind::Software || kind == IntKind::Int3 || kind == IntKind::Into;
  const uint32_t idtErr = uint32_t(vector) * 8 + 2 + ext;
  const bool v86 = (cpu.eflags() & flags::VM) != 0;

  if (v86 && software && ((cpu.eflags() >> 12) & 3) < 3)
    return cpu.raise(VEC_GP, 0, "INT 0x%02X in virtual-8086 mode with IOPL %u (below 3) goes to the #GP handler",
                     vector, (cpu.eflags() >> 12) & 3);
  if (uint32_t(vector) * 8 + 7 > cpu.idtr.limit)
    return cpu.raise(VEC_GP, idtErr, "IDT limit 0x%04X is below vector 0x%02X's descriptor (at 0x%03X)", cpu.idtr.limit,
                     vector, vector * 8);
  Descriptor gate;
  if (!cpu.readLin(cpu.idtr.base + vector * 8u, 4, gate.lo, true) ||
      !cpu.readLin(cpu.idtr.base + vector * 8u + 4, 4, gate.hi, true))
    return false;
  const uint8_t gt = gate.type();
  if (gate.segment() ||
      !(gt == kTaskGate || gt == kIntGate16 || gt == kTrapGate16 || gt == kIntGate32 || gt == kTrapGate32))
    return cpu.raise(VEC_GP, idtErr, "IDT entry of vector 0x%02X is not an interrupt, trap or task gate (%s)", vector,
                     gate.segment() ? "a code/data descriptor" : sysTypeName(gt));
  if (software && gate.dpl() < cpu.cpl)
    return cpu.raise(VEC_GP, idtErr, "INT 0x%02X from CPL %u through a gate of DPL %u", vector, cpu.cpl, gate.dpl());
  if (!gate.present()) return cpu.raise(VEC_NP, idtErr, "the IDT gate of vector 0x%02X is not present", vector);

  if (gt == kTaskGate) {
    if (!taskSwitch(cpu, gate.gateSelector(), TaskSwitchSource::Interrupt, ext)) return false;
    if (hasError) {
      bool big = (cpu.tr.attr & 8) != 0;
      if (!cpu.push(big, error)) return false;
    }
    return true;
  }

  const uint16_t sel = gate.gateSelector();
  const uint16_t selErr = uint16_t((sel & 0xFFFC) | ext);
  if ((sel & 0xFFFC) == 0)
    return cpu.raise(VEC_GP, ext, "the IDT gate of vector 0x%02X names the null selector as its code segment", vector);
  Descriptor cs;
  if (!fetchDescriptor(cpu, sel, cs, VEC_GP, ext, "interrupt gate target")) return false;
  if (!cs.code() || cs.dpl() > cpu.cpl)
    return cpu.raise(VEC_GP, selErr, "the IDT gate of vector 0x%02X leads to %s, which is %s", vector, selText(sel).s,
                     cs.code() ? "less privileged than the interrupted code" : "not a code segment");
  if (!cs.present())
    return cpu.raise(VEC_NP, selErr, "the code segment of vector 0x%02X's handler, %s, is not present", vector,
                     selText(sel).s);
  const bool gate32 = (gt & 8) != 0;
  const unsigned sz = gate32 ? 4 : 2;
  uint32_t offset = gate32 ? gate.gateOffset() : (gate.gateOffset() & 0xFFFF);
  if (offset > cs.limit())
    return cpu.raise(VEC_GP, ext, "vector 0x%02X's handler offset 0x%X is beyond its code segment limit 0x%X", vector,
                     offset, cs.limit());

  const uint32_t oldFlags = cpu.eflags();
  const uint16_t oldCs = cpu.seg[SEG_CS].sel;
  const uint32_t oldEip = cpu.eip;
  const bool inner = !cs.conforming() && cs.dpl() < cpu.cpl;
  uint8_t newCpl = cpu.cpl;
  NewStack st;
  if (inner || v86) {
    if (v86 && cs.dpl() != 0)
      return cpu.raise(VEC_GP, selErr,
                       "an interrupt from virtual-8086 mode must go to a ring-0 non-conforming handler (%s has DPL %u)",
                       selText(sel).s, cs.dpl());
    newCpl = cs.dpl();
    if (!stackFromTss(cpu, newCpl, ext, st)) return false;
    if (v86) {
      if (!st.push(cpu, sz, cpu.seg[SEG_GS].sel) || !st.push(cpu, sz, cpu.seg[SEG_FS].sel) ||
          !st.push(cpu, sz, cpu.seg[SEG_DS].sel) || !st.push(cpu, sz, cpu.seg[SEG_ES].sel))
        return false;
    }
    if (!st.push(cpu, sz, cpu.seg[SEG_SS].sel) || !st.push(cpu, sz, cpu.gpr[4])) return false;
  } else {
    st.ss = cpu.seg[SEG_SS];
    st.esp = cpu.gpr[4];
    st.supervisor = cpu.cpl < 3;
    st.faultError = ext;
  }
  if (!st.push(cpu, sz, oldFlags) || !st.push(cpu, sz, oldCs) || !st.push(cpu, sz, oldEip)) return false;
  if (hasError && !st.push(cpu, sz, error)) return false;

  // Committed: nothing below can fault. EFLAGS first: the caches below are loaded as protected-mode ones
  // only once VM is clear.
  uint32_t f = oldFlags & ~(flags::TF | flags::NT | flags::RF | flags::VM);
  if (!(gt & 1)) f &= ~flags::IF;  // interrupt gate (trap gates leave IF alone)
  cpu.setEflags(f);
  if (inner || v86) {
    cpu.setSeg(SEG_SS, st.ss);
    cpu.gpr[4] = st.esp;
  } else {
    cpu.setSp(st.esp);
  }
  if (v86) {
    for (int s : {SEG_ES, SEG_DS, SEG_FS, SEG_GS}) cpu.setSeg(s, nullSeg(0));
  }
  loadCs(cpu, sel, cs, newCpl);
  cpu.eip = offset;
  return true;
}

}  // namespace bv::cpu::pm
