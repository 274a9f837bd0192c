// Far JMP, CALL, RET and IRET in protected mode: code-segment privilege rules, call gates (with the stack
// switch and parameter copy of a call to an inner ring), returns to an outer ring, and task transfers.
#include "cpu/pm/pm.h"

namespace bv::cpu::pm {

namespace {

// Checks for a direct transfer to a code segment (JMP/CALL without a gate).
bool checkDirectCode(Cpu& cpu, uint16_t sel, const Descriptor& d, const char* what) {
  const uint16_t err = sel & 0xFFFC;
  if (d.conforming()) {
    if (d.dpl() > cpu.cpl)
      return cpu.raise(VEC_GP, err, "%s to conforming %s of DPL %u from CPL %u", what, selText(sel).s, d.dpl(), cpu.cpl);
  } else if ((sel & 3) > cpu.cpl || d.dpl() != cpu.cpl) {
    return cpu.raise(VEC_GP, err, "%s to %s: DPL %u / RPL %u do not match CPL %u (use a call gate to change privilege)",
                     what, selText(sel).s, d.dpl(), sel & 3, cpu.cpl);
  }
  if (!d.present()) return cpu.raise(VEC_NP, err, "%s to %s: the code segment is not present", what, selText(sel).s);
  return true;
}

bool checkOffset(Cpu& cpu, uint32_t offset, const Descriptor& d, const char* what) {
  if (offset > d.limit())
    return cpu.raise(VEC_GP, 0, "%s target offset 0x%X is beyond the code segment limit 0x%X", what, offset, d.limit());
  return true;
}

// A call gate's checks and its target code descriptor.
bool openCallGate(Cpu& cpu, uint16_t gateSel, const Descriptor& gate, Descriptor& cs, const char* what) {
  const uint16_t err = gateSel & 0xFFFC;
  if (gate.dpl() < cpu.cpl || gate.dpl() < (gateSel & 3))
    return cpu.raise(VEC_GP, err, "%s through call gate %s of DPL %u from CPL %u / RPL %u", what, selText(gateSel).s,
                     gate.dpl(), cpu.cpl, gateSel & 3);
  if (!gate.present()) return cpu.raise(VEC_NP, err, "%s through call gate %s, which is not present", what, selText(gateSel).s);
  const uint16_t sel = gate.gateSelector();
  if ((sel & 0xFFFC) == 0) return cpu.raise(VEC_GP, 0, "call gate %s names the null selector", selText(gateSel).s);
  if (!fetchDescriptor(cpu, sel, cs, VEC_GP, 0, "call gate target")) return false;
  if (!cs.code() || cs.dpl() > cpu.cpl)
    return cpu.raise(VEC_GP, sel & 0xFFFC, "call gate %s leads to %s, which is %s", selText(gateSel).s, selText(sel).s,
                     cs.code() ? "less privileged than the caller" : "not a code segment");
  if (!cs.present())
    return cpu.raise(VEC_NP, sel & 0xFFFC, "call gate %s leads to %s, which is not present", selText(gateSel).s, selText(sel).s);
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
    if (!checkDirectCode(cpu, sel, d, "far JMP") || !checkOffset(cpu, offset, d, "far JMP")) return false;
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
          return cpu.raise(VEC_GP, target & 0xFFFC, "far JMP through call gate %s cannot change privilege (target DPL %u, CPL %u)",
                           selText(sel).s, cs.dpl(), cpu.cpl);
        uint32_t off = d.type() == kCallGate32 ? d.gateOffset() : (d.gateOffset() & 0xFFFF);
        if (!checkOffset(cpu, off, cs, "far JMP") || !markAccessed(cpu, target, cs)) return false;
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
          return cpu.raise(VEC_NP, sel & 0xFFFC, "far JMP to %s (%s), which is not present", selText(sel).s, sysTypeName(d.type()));
        return taskSwitch(cpu, d.type() == kTaskGate ? d.gateSelector() : sel, TaskSwitchSource::Jmp);
      default:
        break;
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
    if (!checkOffset(cpu, offset, d, "far CALL") || !markAccessed(cpu, sel, d)) return false;
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
      if (!checkOffset(cpu, off, cs, "far CALL") || !markAccessed(cpu, target, cs)) return false;
      cpu.setSeg(SEG_SS, st.ss);
      cpu.gpr[4] = st.esp;
      loadCs(cpu, target, cs, newCpl);
      cpu.eip = off;
      return true;
    }
    NewStack st{cpu.seg[SEG_SS], cpu.gpr[4], cpu.cpl < 3, 0};
    if (!st.push(cpu, sz, oldCs) || !st.push(cpu, sz, returnEip)) return false;
    if (!checkOffset(cpu, off, cs, "far CALL") || !markAccessed(cpu, target, cs)) return false;
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
      return cpu.raise(VEC_NP, sel & 0xFFFC, "far CALL to %s (%s), which is not present", selText(sel).s, sysTypeName(d.type()));
    cpu.eip = returnEip;  // the outgoing task resumes after the CALL
    return taskSwitch(cpu, d.type() == kTaskGate ? d.gateSelector() : sel, TaskSwitchSource::Call);
  }
  return cpu.raise(VEC_GP, sel & 0xFFFC, "far CALL to %s: a %s is not a valid target", selText(sel).s,
                   d.segment() ? "data segment" : sysTypeName(d.type()));
}

namespace {

// The common part of RETF and IRET once CS:EIP (and EFLAGS) are known: privilege checks on the returned-to
// code segment, then either a same-privilege return or one to an outer ring with SS:ESP from the stack.
// frameBytes: bytes of the frame below SS:ESP (EIP, CS [, EFLAGS]) plus parameters released.
bool returnTo(Cpu& cpu, uint16_t sel, uint32_t eip, const NewStack& cur, unsigned sz, uint32_t frameBytes,
              uint16_t popBytes, const char* what, const uint32_t* newFlags) {
  const uint16_t err = sel & 0xFFFC;
  const uint8_t rpl = sel & 3;
  if ((sel & 0xFFFC) == 0) return cpu.raise(VEC_GP, 0, "%s to the null selector 0x%04X", what, sel);
  Descriptor d;
  if (!fetchDescriptor(cpu, sel, d, VEC_GP, 0, what)) return false;
  if (!d.code()) return cpu.raise(VEC_GP, err, "%s to %s, which is not a code segment", what, selText(sel).s);
  if (rpl < cpu.cpl)
    return cpu.raise(VEC_GP, err, "%s to %s with RPL %u, more privileged than CPL %u", what, selText(sel).s, rpl, cpu.cpl);
  if (d.conforming() ? d.dpl() > rpl : d.dpl() != rpl)
    return cpu.raise(VEC_GP, err, "%s to %s: its DPL %u does not fit RPL %u", what, selText(sel).s, d.dpl(), rpl);
  if (!d.present()) return cpu.raise(VEC_NP, err, "%s to %s, which is not present", what, selText(sel).s);
  if (!checkOffset(cpu, eip, d, what)) return false;
  if (rpl == cpu.cpl) {
    if (newFlags) cpu.setEflags(*newFlags);
    cpu.setSp(cur.esp + frameBytes + popBytes);
    loadCs(cpu, sel, d, rpl);
    cpu.eip = eip;
    return true;
  }
  // Outer privilege: SS:ESP follow the frame (and the released parameters, for RETF).
  uint32_t esp, ss;
  if (!cur.read(cpu, frameBytes + popBytes, sz, esp) || !cur.read(cpu, frameBytes + popBytes + sz, sz, ss)) return false;
  ss &= 0xFFFF;
  const uint16_t ssErr = ss & 0xFFFC;
  if ((ss & 0xFFFC) == 0) return cpu.raise(VEC_GP, 0, "%s to ring %u with the null selector as SS", what, rpl);
  Descriptor sd;
  if (!fetchDescriptor(cpu, uint16_t(ss), sd, VEC_GP, 0, "the returned-to SS")) return false;
  if ((ss & 3) != rpl || sd.dpl() != rpl || !sd.writable())
    return cpu.raise(VEC_GP, ssErr, "%s to ring %u: the stack %s is not a writable data segment of that privilege",
                     what, rpl, selText(uint16_t(ss)).s);
  if (!sd.present()) return cpu.raise(VEC_SS, ssErr, "%s to ring %u: the stack %s is not present", what, rpl, selText(uint16_t(ss)).s);
  if (!markAccessed(cpu, uint16_t(ss), sd)) return false;
  if (newFlags) cpu.setEflags(*newFlags);
  loadCs(cpu, sel, d, rpl);
  cpu.setSeg(SEG_SS, toSeg(uint16_t(ss), sd));
  if (sd.big()) cpu.gpr[4] = esp + popBytes;
  else cpu.gpr[4] = (cpu.gpr[4] & 0xFFFF0000u) | ((esp + popBytes) & 0xFFFF);
  cpu.eip = eip;
  nullInaccessibleSegments(cpu);
  return true;
}

}  // namespace

bool farReturn(Cpu& cpu, bool op32, uint16_t popBytes) {
  if (cpu.eflags() & flags::VM) return realModeOps().farReturn(cpu, op32, popBytes);
  const unsigned sz = op32 ? 4 : 2;
  NewStack cur{cpu.seg[SEG_SS], cpu.gpr[4], cpu.cpl < 3, 0};
  if (!cpu.stack32()) cur.esp &= 0xFFFF;
  uint32_t eip, cs;
  if (!cur.read(cpu, 0, sz, eip) || !cur.read(cpu, sz, sz, cs)) return false;
  return returnTo(cpu, uint16_t(cs), eip, cur, sz, 2 * sz, popBytes, "far RET", nullptr);
}

bool iret(Cpu& cpu, bool op32) {
  const uint32_t fl = cpu.eflags();
  if (fl & flags::VM) {
    if (((fl >> 12) & 3) == 3) return realModeOps().iret(cpu, op32);
    return cpu.raise(VEC_GP, 0, "IRET in virtual-8086 mode with IOPL %u < 3", (fl >> 12) & 3);
  }
  if (fl & flags::NT) {
    // Return from a nested task: the back link in the current TSS.
    uint32_t link;
    if (cpu.tr.limit < 1) return cpu.raise(VEC_TS, cpu.tr.sel & 0xFFFC, "IRET with NT set, but the TSS has no back link");
    if (!cpu.readLin(cpu.tr.base, 2, link, true)) return false;
    return taskSwitch(cpu, uint16_t(link), TaskSwitchSource::Iret);
  }
  const unsigned sz = op32 ? 4 : 2;
  NewStack cur{cpu.seg[SEG_SS], cpu.gpr[4], cpu.cpl < 3, 0};
  if (!cpu.stack32()) cur.esp &= 0xFFFF;
  uint32_t eip, cs, nf;
  if (!cur.read(cpu, 0, sz, eip) || !cur.read(cpu, sz, sz, cs) || !cur.read(cpu, 2 * sz, sz, nf)) return false;
  if (op32 && (nf & flags::VM) && cpu.cpl == 0) {
    // Return to virtual-8086 mode: the frame also holds ESP, SS, ES, DS, FS, GS.
    uint32_t v[6];
    for (int i = 0; i < 6; ++i)
      if (!cur.read(cpu, 12 + 4u * i, 4, v[i])) return false;
    cpu.setEflags(nf);
    cpu.setCpl(3);
    cpu.setSegReal(SEG_CS, uint16_t(cs));
    cpu.setSegReal(SEG_SS, uint16_t(v[1]));
    cpu.setSegReal(SEG_ES, uint16_t(v[2]));
    cpu.setSegReal(SEG_DS, uint16_t(v[3]));
    cpu.setSegReal(SEG_FS, uint16_t(v[4]));
    cpu.setSegReal(SEG_GS, uint16_t(v[5]));
    cpu.gpr[4] = v[0];
    cpu.eip = eip & 0xFFFF;
    return true;
  }
  // Which flags the old privilege may change: IOPL only at CPL 0, IF only at CPL <= IOPL; VM/VIF/VIP only
  // from CPL 0 (VM handled above).
  uint32_t changeable = op32 ? (Cpu::kFlagsWritable & ~flags::VM) : 0xFFFFu;
  const uint32_t iopl = (fl >> 12) & 3;
  if (cpu.cpl != 0) changeable &= ~(flags::IOPL | (1u << 19) | (1u << 20));
  if (cpu.cpl > iopl) changeable &= ~flags::IF;
  uint32_t merged = (fl & ~changeable) | (nf & changeable);
  return returnTo(cpu, uint16_t(cs), eip, cur, sz, 3 * sz, 0, "IRET", &merged);
}

}  // namespace bv::cpu::pm
