// Hardware task switches (JMP/CALL to a TSS or task gate, a task gate in the IDT, IRET with NT) between
// 32-bit TSSs: save the outgoing state, the busy bits and back link, load the incoming state with the checks
// the SDM makes in the new task's context (#TS on a bad selector).
#include <cstdio>

#include "cpu/pm/pm.h"

namespace bv::cpu::pm {

namespace {

constexpr uint32_t kTssEip = 0x20, kTssEflags = 0x24, kTssGpr = 0x28, kTssSeg = 0x48, kTssLdt = 0x60, kTssCr3 = 0x1C;
constexpr uint32_t kTss32MinLimit = 0x67;

// Segment caches of the incoming task, checked as the SDM requires.
bool loadTaskSegment(Cpu& cpu, int s, uint16_t sel, uint32_t ext) {
  static const char* const names[6] = {"ES", "CS", "SS", "DS", "FS", "GS"};
  const uint16_t err = uint16_t((sel & 0xFFFC) | ext);
  char what[32];
  std::snprintf(what, sizeof what, "the new task's %s", names[s]);
  if ((sel & 0xFFFC) == 0) {
    if (s == SEG_CS || s == SEG_SS) return cpu.raise(VEC_TS, ext, "%s is the null selector", what);
    cpu.setSeg(s, nullSeg(sel));
    return true;
  }
  Descriptor d;
  if (!fetchDescriptor(cpu, sel, d, VEC_TS, ext, what)) return false;
  const uint8_t rpl = sel & 3;
  bool ok;
  if (s == SEG_CS) ok = d.code() && (d.conforming() ? d.dpl() <= rpl : d.dpl() == rpl);
  else if (s == SEG_SS) ok = d.writable() && d.dpl() == cpu.cpl && rpl == cpu.cpl;
  else ok = d.segment() && d.readable() && (d.conforming() || (d.dpl() >= cpu.cpl && d.dpl() >= rpl));
  if (!ok) return cpu.raise(VEC_TS, err, "%s, %s, has the wrong type or privilege", what, selText(sel).s);
  if (!d.present())
    return cpu.raise(s == SEG_SS ? VEC_SS : VEC_NP, err, "%s, %s, is not present", what, selText(sel).s);
  if (!markAccessed(cpu, sel, d)) return false;
  cpu.setSeg(s, toSeg(sel, d));
  return true;
}

bool switchTask(Cpu& cpu, uint16_t sel, TaskSwitchSource src, uint32_t ext);

}  // namespace

bool taskSwitch(Cpu& cpu, uint16_t sel, TaskSwitchSource src, uint32_t ext) {
  const uint16_t from = cpu.tr.sel;
  if (!switchTask(cpu, sel, src, ext)) return false;
  if (__builtin_expect(cpu.sysBreaks & SB_TASK_SWITCH, 0))
    cpu.systemEvent(SystemEvent::TaskSwitch, uint8_t(src), from, sel);
  return true;
}

namespace {

bool switchTask(Cpu& cpu, uint16_t sel, TaskSwitchSource src, uint32_t ext) {
  const uint16_t err = uint16_t((sel & 0xFFFC) | ext);
  const bool nesting = src == TaskSwitchSource::Call || src == TaskSwitchSource::Interrupt;
  if (sel & 4)
    return cpu.raise(src == TaskSwitchSource::Iret ? VEC_TS : VEC_GP, err,
                     "task switch to %s: a TSS must be in the GDT", selText(sel).s);
  Descriptor nd;
  if (!fetchDescriptor(cpu, sel, nd, src == TaskSwitchSource::Iret ? VEC_TS : VEC_GP, ext, "task switch")) return false;
  const uint8_t want = src == TaskSwitchSource::Iret ? kTss32Busy : kTss32Avail;
  if (nd.segment() || nd.type() != want) {
    if (!nd.segment() && (nd.type() == kTss16Avail || nd.type() == kTss16Busy))
      return cpu.raise(VEC_TS, err, "task switch to %s: 16-bit TSSs are not supported", selText(sel).s);
    return cpu.raise(src == TaskSwitchSource::Iret ? VEC_TS : VEC_GP, err, "task switch to %s: it is a %s, not %s",
                     selText(sel).s, nd.segment() ? "code/data segment" : sysTypeName(nd.type()),
                     src == TaskSwitchSource::Iret ? "a busy 32-bit TSS (the back link)" : "an available 32-bit TSS");
  }
  if (!nd.present()) return cpu.raise(VEC_NP, err, "task switch to %s: the TSS is not present", selText(sel).s);
  if (nd.limit() < kTss32MinLimit)
    return cpu.raise(VEC_TS, err, "task switch to %s: TSS limit 0x%X is below 0x67", selText(sel).s, nd.limit());
  if (!cpu.tr.present() || cpu.tr.limit < kTss32MinLimit || !(cpu.tr.attr & 8))
    return cpu.raise(VEC_TS, (cpu.tr.sel & 0xFFFC) | ext, "task switch from a missing or 16-bit TSS (TR = 0x%04X)",
                     cpu.tr.sel);

  // Read the whole incoming TSS first: a page fault here leaves everything untouched.
  const uint32_t nb = nd.base();
  uint32_t in[26];
  for (int i = 0; i < 26; ++i)
    if (!cpu.readLin(nb + 4u * i, 4, in[i], true)) return false;

  // Save the outgoing task.
  const uint32_t ob = cpu.tr.base;
  uint32_t oflags = cpu.eflags();
  if (src == TaskSwitchSource::Iret) oflags &= ~flags::NT;
  bool ok = cpu.writeLin(ob + kTssEip, 4, cpu.eip, true) && cpu.writeLin(ob + kTssEflags, 4, oflags, true);
  for (int i = 0; ok && i < 8; ++i) ok = cpu.writeLin(ob + kTssGpr + 4u * i, 4, cpu.gpr[i], true);
  for (int s = 0; ok && s < 6; ++s) ok = cpu.writeLin(ob + kTssSeg + 4u * s, 2, cpu.seg[s].sel, true);
  if (!ok) return false;

  const uint16_t oldTr = cpu.tr.sel;
  if (src == TaskSwitchSource::Jmp || src == TaskSwitchSource::Iret) {
    Descriptor od;
    if (!fetchDescriptor(cpu, oldTr, od, VEC_TS, ext, "the outgoing TSS")) return false;
    od.hi &= ~(2u << 8);
    if (!writeDescriptorHigh(cpu, oldTr, od)) return false;
  }
  uint32_t nflags = in[kTssEflags / 4];
  if (nesting) {
    if (!cpu.writeLin(nb, 2, oldTr, true)) return false;
    nflags |= flags::NT;
  }
  if (src != TaskSwitchSource::Iret) {
    nd.hi |= 2u << 8;
    if (!writeDescriptorHigh(cpu, sel, nd)) return false;
  }

  // Load the incoming task. From here on faults belong to the new task.
  cpu.tr = toSeg(sel, nd);
  cpu.setCr0(cpu.cr0 | cr0::TS);
  if (cpu.paging()) cpu.setCr3(in[kTssCr3 / 4]);
  cpu.eip = in[kTssEip / 4];
  cpu.setEflags(nflags | 2);
  for (int i = 0; i < 8; ++i) cpu.gpr[i] = in[kTssGpr / 4 + i];
  uint16_t sels[6];
  for (int s = 0; s < 6; ++s) sels[s] = uint16_t(in[kTssSeg / 4 + s]);
  const uint16_t ldt = uint16_t(in[kTssLdt / 4]);

  if (nflags & flags::VM) {
    cpu.setCpl(3);
    for (int s = 0; s < 6; ++s) cpu.setSegReal(s, sels[s]);
  } else {
    cpu.setCpl(sels[SEG_CS] & 3);
  }
  if ((ldt & 0xFFFC) == 0) {
    cpu.ldtr = nullSeg(ldt);
  } else {
    Descriptor ld;
    if (ldt & 4)
      return cpu.raise(VEC_TS, (ldt & 0xFFFC) | ext, "the new task's LDT selector 0x%04X points into an LDT", ldt);
    if (!fetchDescriptor(cpu, ldt, ld, VEC_TS, ext, "the new task's LDT")) return false;
    if (ld.segment() || ld.type() != kLdt || !ld.present())
      return cpu.raise(VEC_TS, (ldt & 0xFFFC) | ext, "the new task's LDT, %s, is not a present LDT descriptor",
                       selText(ldt).s);
    cpu.ldtr = toSeg(ldt, ld);
  }
  if (nflags & flags::VM) return true;
  for (int s : {SEG_CS, SEG_SS, SEG_ES, SEG_DS, SEG_FS, SEG_GS})
    if (!loadTaskSegment(cpu, s, sels[s], ext)) return false;
  if (cpu.eip > cpu.seg[SEG_CS].limit)
    return cpu.raise(VEC_GP, 0, "the new task's EIP 0x%X is beyond its CS limit 0x%X", cpu.eip, cpu.seg[SEG_CS].limit);
  return true;
}

}  // namespace

}  // namespace bv::cpu::pm
