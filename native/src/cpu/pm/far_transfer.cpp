// Far JMP and CALL in protected mode: code-segment privilege rules, call gates (with the stack switch and
// parameter copy of a call to an inner ring), and JMP/CALL to a TSS or task gate. Returns: far_return.cpp.
#include "cpu/pm/pm.h"

namespace bv::cpu::pm {

namespace {

// Checks for a direct transfer to a code segment (JMP/CALL without a gate).
bool checkDirectCode(Cpu& cpu, uint16_t sel, const Descriptor& d, const char* what) {
  const uint16_t err = sel & 0xFFFC;
  if (d.conforming()) {
    if (d.dpl() > cpu.cpl)
      return cpu.raise(VEC_GP, err, "%s to conforming %s of DPL %u from CPL %u", what, selText(sel).s, d.dpl(),
                       cpu.cpl);
  } else if ((sel & 3) > cpu.cpl || d.dpl() != cpu.cpl) {
    return cpu.raise(VEC_GP, err, "%s to %s: DPL %u / RPL %u do not match CPL %u (use a call gate to change privilege)",
                     what, selText(sel).s, d.dpl(), sel & 3, cpu.cpl);
  }
  if (!d.present()) return cpu.raise(VEC_NP, err, "%s to %s: the code segment is not present", what, selText(sel).s);
  return true;
}

// A call gate's checks and its target code descriptor.
bool openCallGate(Cpu& cpu, uint16_t gateSel, const Descriptor& gate, Descriptor& cs, const char* what) {
  const uint16_t err = gateSel & 0xFFFC;
  if (gate.dpl() < cpu.cpl || gate.dpl() < (gateSel & 3))
    return cpu.raise(VEC_GP, err, "%s through call gate %s of DPL %u from CPL %u / RPL %u", what, selText(gateSel).s,
                     gate.dpl(), cpu.cpl, gateSel & 3);
  if (!gate.present())
    return cpu.raise(VEC_NP, err, "%s through call gate %s, which is not present", what, selText(gateSel).s);
  const uint16_t sel = gate.gateSelector();
  if ((sel & 0xFFFC) == 0) return cpu.raise(VEC_GP, 0, "call gate %s names the null selector", selText(gateSel).s);
  if (!fetchDescriptor(cpu, sel, cs, VEC_GP, 0, "call gate target")) return false;
  if (!cs.code() || cs.dpl() > cpu.cpl)
    return cpu.raise(VEC_GP, sel & 0xFFFC, "call gate %s leads to %s, which is %s", selText(gateSel).s, selText(sel).s,
                     cs.code() ? "less privileged than the caller" : "not a code segment");
  if (!cs.present())
    return cpu.raise(VEC_NP, sel & 0xFFFC, "call gate %s leads to %s, which is not present", selText(gateSel).s,
                     selText(sel).s);
  return true;
}

}  // namespace

bool farJump(Cpu& cpu, uint16_t sel, uint32_t offset, bool op32) {
  if (cpu.eflags() & flags::VM) return realModeOps().farJump(cpu, sel, offset, op32);
  if ((sel & 0xFFFC) == 0) return cpu.raise(VEC_GP, 0, "far JMP to the null selector 0x%04X", sel);
  Descriptor d;
  if (!fetchDescriptor(cpu, sel, d, VEC_GP, 0, "far JMP")) return false;
  if (d.code()) {
    if (!op32) offset &= 0xFFFF;
    if (!checkDirectCode(cpu, sel, d, "far JMP") || !checkCodeOffset(cpu, offset, d, "far JMP")) return false;
    if (!markAccessed(cpu, sel, d)) return false;
    loadCs(cpu, sel, d, cpu.cpl);
    cpu.eip = offset;
    return true;
  }
  if (!d.segment()) {
    switch (d.type()) {
      case kCallGate16:
      case kCallGate32: {
        Descriptor cs;
        if (!openCallGate(cpu, sel, d, cs, "far JMP")) return false;
        const uint16_t target = d.gateSelector();
        if (!cs.conforming() && cs.dpl() != cpu.cpl)
          return cpu.raise(VEC_GP, target & 0xFFFC,
                           "far JMP through call gate %s cannot change privilege (target DPL %u, CPL %u)",
                           selText(sel).s, cs.dpl(), cpu.cpl);
        uint32_t off = d.type() == kCallGate32 ? d.gateOffset() : (d.gateOffset() & 0xFFFF);
        if (!checkCodeOffset(cpu, off, cs, "far JMP") || !markAccessed(cpu, target, cs)) return false;
        loadCs(cpu, target, cs, cpu.cpl);
        cpu.eip = off;
        return true;
      }
      case kTaskGate:
      case kTss16Avail:
      case kTss32Avail:
        if (d.dpl() < cpu.cpl || d.dpl() < (sel & 3))
          return cpu.raise(VEC_GP, sel & 0xFFFC, "far JMP to %s (%s) of DPL %u from CPL %u", selText(sel).s,
                           sysTypeName(d.type()), d.dpl(), cpu.cpl);
        if (!d.present())
          return cpu.raise(VEC_NP, sel & 0xFFFC, "far JMP to %s (%s), which is not present", selText(sel).s,
                           sysTypeName(d.type()));
        return taskSwitch(cpu, d.type() == kTaskGate ? d.gateSelector() : sel, TaskSwitchSource::Jmp);
      default: break;
    }
  }
  return cpu.raise(VEC_GP, sel & 0xFFFC, "far JMP to %s: a %s is not a valid target", selText(sel).s,
                   d.segment() ? "data segment" : sysTypeName(d.type()));
}

bool farCall(Cpu& cpu, uint16_t sel, uint32_t offset, bool op32, uint32_t returnEip) {
  if (cpu.eflags() & flags::VM) return realModeOps().farCall(cpu, sel, offset, op32, returnEip);
  if ((sel & 0xFFFC) == 0) return cpu.raise(VEC_GP, 0, "far CALL to the null selector 0x%04X", sel);
  Descriptor d;
  if (!fetchDescriptor(cpu, sel, d, VEC_GP, 0, "far CALL")) return false;
  const uint16_t oldCs = cpu.seg[SEG_CS].sel;
  if (d.code()) {
    if (!op32) offset &= 0xFFFF;
    if (!checkDirectCode(cpu, sel, d, "far CALL")) return false;
    NewStack st{cpu.seg[SEG_SS], cpu.gpr[4], cpu.cpl < 3, 0};
    const unsigned sz = op32 ? 4 : 2;
    if (!st.push(cpu, sz, oldCs) || !st.push(cpu, sz, returnEip)) return false;
    if (!checkCodeOffset(cpu, offset, d, "far CALL") || !markAccessed(cpu, sel, d)) return false;
    cpu.setSp(st.esp);
    loadCs(cpu, sel, d, cpu.cpl);
    cpu.eip = offset;
    return true;
  }
  if (!d.segment() && (d.type() == kCallGate16 || d.type() == kCallGate32)) {
    Descriptor cs;
    if (!openCallGate(cpu, sel, d, cs, "far CALL")) return false;
    const uint16_t target = d.gateSelector();
    const bool gate32 = d.type() == kCallGate32;
    const unsigned sz = gate32 ? 4 : 2;
    const uint32_t off = gate32 ? d.gateOffset() : (d.gateOffset() & 0xFFFF);
    if (!cs.conforming() && cs.dpl() < cpu.cpl) {
      // To an inner ring: new stack from the TSS, then the caller's SS:ESP, the parameters, CS:EIP.
      const uint8_t newCpl = cs.dpl();
      NewStack st;
      if (!stackFromTss(cpu, newCpl, 0, st)) return false;
      NewStack old{cpu.seg[SEG_SS], cpu.gpr[4], false, 0};
      if (!st.push(cpu, sz, cpu.seg[SEG_SS].sel) || !st.push(cpu, sz, cpu.gpr[4])) return false;
      for (int i = d.gateParams() - 1; i >= 0; --i) {
        uint32_t v;
        if (!old.read(cpu, uint32_t(i) * sz, sz, v) || !st.push(cpu, sz, v)) return false;
      }
      if (!st.push(cpu, sz, oldCs) || !st.push(cpu, sz, returnEip)) return false;
      if (!checkCodeOffset(cpu, off, cs, "far CALL") || !markAccessed(cpu, target, cs)) return false;
      cpu.setSeg(SEG_SS, st.ss);
      cpu.gpr[4] = st.esp;
      loadCs(cpu, target, cs, newCpl);
      cpu.eip = off;
      return true;
    }
    NewStack st{cpu.seg[SEG_SS], cpu.gpr[4], cpu.cpl < 3, 0};
    if (!st.push(cpu, sz, oldCs) || !st.push(cpu, sz, returnEip)) return false;
    if (!checkCodeOffset(cpu, off, cs, "far CALL") || !markAccessed(cpu, target, cs)) return false;
    cpu.setSp(st.esp);
    loadCs(cpu, target, cs, cpu.cpl);
    cpu.eip = off;
    return true;
  }
  if (!d.segment() && (d.type() == kTaskGate || d.type() == kTss16Avail || d.type() == kTss32Avail)) {
    if (d.dpl() < cpu.cpl || d.dpl() < (sel & 3))
      return cpu.raise(VEC_GP, sel & 0xFFFC, "far CALL to %s (%s) of DPL %u from CPL %u", selText(sel).s,
                       sysTypeName(d.type()), d.dpl(), cpu.cpl);
    if (!d.present())
      return cpu.raise(VEC_NP, sel & 0xFFFC, "far CALL to %s (%s), which is not present", selText(sel).s,
                       sysTypeName(d.type()));
    cpu.eip = returnEip;  // the outgoing task resumes after the CALL
    return taskSwitch(cpu, d.type() == kTaskGate ? d.gateSelector() : sel, TaskSwitchSource::Call);
  }
  return cpu.raise(VEC_GP, sel & 0xFFFC, "far CALL to %s: a %s is not a valid target", selText(sel).s,
                   d.segment() ? "data segment" : sysTypeName(d.type()));
}

}  // namespace bv::cpu::pm
