// Far RET and IRET in protected mode: privilege checks on the returned-to code segment, returns to an outer
// ring (SS:ESP from the stack, data segments the outer ring may not use nulled), IRET's EFLAGS rules, the
// return from a nested task (NT) and the return to virtual-8086 mode.
#include "cpu/pm/pm.h"

namespace bv::cpu::pm {

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
    return cpu.raise(VEC_GP, err, "%s to %s with RPL %u, more privileged than CPL %u", what, selText(sel).s, rpl,
                     cpu.cpl);
  if (d.conforming() ? d.dpl() > rpl : d.dpl() != rpl)
    return cpu.raise(VEC_GP, err, "%s to %s: its DPL %u does not fit RPL %u", what, selText(sel).s, d.dpl(), rpl);
  if (!d.present()) return cpu.raise(VEC_NP, err, "%s to %s, which is not present", what, selText(sel).s);
  if (!checkCodeOffset(cpu, eip, d, what)) return false;
  if (rpl == cpu.cpl) {
    if (newFlags) cpu.setEflags(*newFlags);
    cpu.setSp(cur.esp + frameBytes + popBytes);
    loadCs(cpu, sel, d, rpl);
    cpu.eip = eip;
    return true;
  }
  // Outer privilege: SS:ESP follow the frame (and the released parameters, for RETF).
  uint32_t esp, ss;
  if (!cur.read(cpu, frameBytes + popBytes, sz, esp) || !cur.read(cpu, frameBytes + popBytes + sz, sz, ss))
    return false;
  ss &= 0xFFFF;
  const uint16_t ssErr = ss & 0xFFFC;
  if ((ss & 0xFFFC) == 0) return cpu.raise(VEC_GP, 0, "%s to ring %u with the null selector as SS", what, rpl);
  Descriptor sd;
  if (!fetchDescriptor(cpu, uint16_t(ss), sd, VEC_GP, 0, "the returned-to SS")) return false;
  if ((ss & 3) != rpl || sd.dpl() != rpl || !sd.writable())
    return cpu.raise(VEC_GP, ssErr, "%s to ring %u: the stack %s is not a writable data segment of that privilege",
                     what, rpl, selText(uint16_t(ss)).s);
  if (!sd.present())
    return cpu.raise(VEC_SS, ssErr, "%s to ring %u: the stack %s is not present", what, rpl, selText(uint16_t(ss)).s);
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
    if (cpu.tr.limit < 1)
      return cpu.raise(VEC_TS, cpu.tr.sel & 0xFFFC, "IRET with NT set, but the TSS has no back link");
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
