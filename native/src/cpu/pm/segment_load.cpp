// MOV/POP to a segment register and LDS-family loads in protected mode, LLDT, LTR, and the descriptor
// probes LAR, LSL, VERR, VERW (which never fault on a bad selector: they clear ZF).
#include <cstdio>

#include "cpu/pm/pm.h"

namespace bv::cpu::pm {

static const char* const kSegName[6] = {"ES", "CS", "SS", "DS", "FS", "GS"};

bool loadSegment(Cpu& cpu, int seg, uint16_t sel) {
  if (cpu.eflags() & flags::VM) {
    cpu.setSegReal(seg, sel);
    return true;
  }
  char purpose[24];
  std::snprintf(purpose, sizeof purpose, "loading %s", kSegName[seg]);
  const uint8_t rpl = sel & 3;
  const uint16_t err = sel & 0xFFFC;
  if ((sel & 0xFFFC) == 0) {
    if (seg == SEG_SS) return cpu.raise(VEC_GP, 0, "loading SS with the null selector 0x%04X", sel);
    cpu.setSeg(seg, nullSeg(sel));
    return true;
  }
  Descriptor d;
  if (!fetchDescriptor(cpu, sel, d, VEC_GP, 0, purpose)) return false;
  if (seg == SEG_SS) {
    if (rpl != cpu.cpl)
      return cpu.raise(VEC_GP, err, "loading SS with %s: its RPL %u is not CPL %u", selText(sel).s, rpl, cpu.cpl);
    if (!d.writable())
      return cpu.raise(VEC_GP, err, "loading SS with %s: a %s is not a writable data segment", selText(sel).s,
                       d.segment() ? (d.code() ? "code segment" : "read-only data segment") : sysTypeName(d.type()));
    if (d.dpl() != cpu.cpl)
      return cpu.raise(VEC_GP, err, "loading SS with %s: its DPL %u is not CPL %u", selText(sel).s, d.dpl(), cpu.cpl);
    if (!d.present()) return cpu.raise(VEC_SS, err, "loading SS with %s: the segment is not present", selText(sel).s);
  } else {
    if (!d.segment() || !d.readable())
      return cpu.raise(VEC_GP, err, "loading %s with %s: a %s cannot be read through a data segment register",
                       kSegName[seg], selText(sel).s,
                       d.segment() ? "execute-only code segment" : sysTypeName(d.type()));
    if (!d.conforming() && (rpl > d.dpl() || cpu.cpl > d.dpl()))
      return cpu.raise(VEC_GP, err, "loading %s with %s: DPL %u is more privileged than CPL %u / RPL %u", kSegName[seg],
                       selText(sel).s, d.dpl(), cpu.cpl, rpl);
    if (!d.present())
      return cpu.raise(VEC_NP, err, "loading %s with %s: the segment is not present", kSegName[seg], selText(sel).s);
  }
  if (!markAccessed(cpu, sel, d)) return false;
  cpu.setSeg(seg, toSeg(sel, d));
  return true;
}

bool lldt(Cpu& cpu, uint16_t sel) {
  if (cpu.cpl != 0) return cpu.raise(VEC_GP, 0, "LLDT needs CPL 0 (CPL is %u)", cpu.cpl);
  if ((sel & 0xFFFC) == 0) {
    cpu.ldtr = nullSeg(sel);
    return true;
  }
  const uint16_t err = sel & 0xFFFC;
  if (sel & 4) return cpu.raise(VEC_GP, err, "LLDT with %s: an LDT descriptor must be in the GDT", selText(sel).s);
  Descriptor d;
  if (!fetchDescriptor(cpu, sel, d, VEC_GP, 0, "LLDT")) return false;
  if (d.segment() || d.type() != kLdt)
    return cpu.raise(VEC_GP, err, "LLDT with %s: it is a %s, not an LDT descriptor", selText(sel).s,
                     d.segment() ? "code/data segment" : sysTypeName(d.type()));
  if (!d.present()) return cpu.raise(VEC_NP, err, "LLDT with %s: the LDT descriptor is not present", selText(sel).s);
  cpu.ldtr = toSeg(sel, d);
  return true;
}

bool ltr(Cpu& cpu, uint16_t sel) {
  if (cpu.cpl != 0) return cpu.raise(VEC_GP, 0, "LTR needs CPL 0 (CPL is %u)", cpu.cpl);
  const uint16_t err = sel & 0xFFFC;
  if ((sel & 0xFFFC) == 0) return cpu.raise(VEC_GP, 0, "LTR with the null selector 0x%04X", sel);
  if (sel & 4) return cpu.raise(VEC_GP, err, "LTR with %s: a TSS descriptor must be in the GDT", selText(sel).s);
  Descriptor d;
  if (!fetchDescriptor(cpu, sel, d, VEC_GP, 0, "LTR")) return false;
  if (d.segment() || (d.type() != kTss32Avail && d.type() != kTss16Avail))
    return cpu.raise(VEC_GP, err, "LTR with %s: it is a %s, not an available TSS", selText(sel).s,
                     d.segment() ? "code/data segment" : sysTypeName(d.type()));
  if (!d.present()) return cpu.raise(VEC_NP, err, "LTR with %s: the TSS descriptor is not present", selText(sel).s);
  d.hi |= 2u << 8;  // busy
  if (!writeDescriptorHigh(cpu, sel, d)) return false;
  cpu.tr = toSeg(sel, d);
  return true;
}

// The privilege rule LAR/LSL/VERR/VERW share: conforming code is always visible, everything else needs
// DPL >= CPL and DPL >= RPL.
static bool visible(const Cpu& cpu, uint16_t sel, const Descriptor& d) {
  if (d.conforming()) return true;
  return d.dpl() >= cpu.cpl && d.dpl() >= (sel & 3);
}

// Reads the descriptor for a probe: false with ok = false for a null or out-of-table selector.
static bool probe(Cpu& cpu, uint16_t sel, Descriptor& d, bool& found) {
  found = false;
  uint32_t lin;
  if ((sel & 0xFFFC) == 0 || !descriptorAddress(cpu, sel, lin)) return true;
  if (!cpu.readLin(lin, 4, d.lo, true) || !cpu.readLin(lin + 4, 4, d.hi, true)) return false;
  found = true;
  return true;
}

bool verify(Cpu& cpu, uint16_t sel, bool write, bool& ok) {
  Descriptor d;
  bool found;
  ok = false;
  if (!probe(cpu, sel, d, found)) return false;
  if (!found || !d.segment() || !visible(cpu, sel, d)) return true;
  ok = write ? d.writable() : d.readable();
  return true;
}

bool lar(Cpu& cpu, uint16_t sel, uint32_t& rights, bool& ok) {
  Descriptor d;
  bool found;
  ok = false;
  if (!probe(cpu, sel, d, found)) return false;
  if (!found) return true;
  if (!d.segment()) {
    static const bool valid[16] = {0, 1, 1, 1, 1, 1, 0, 0, 0, 1, 0, 1, 1, 0, 0, 0};
    if (!valid[d.type()]) return true;
  }
  if (!visible(cpu, sel, d)) return true;
  rights = d.hi & 0x00F0FF00u;
  ok = true;
  return true;
}

bool lsl(Cpu& cpu, uint16_t sel, uint32_t& limit, bool& ok) {
  Descriptor d;
  bool found;
  ok = false;
  if (!probe(cpu, sel, d, found)) return false;
  if (!found) return true;
  if (!d.segment()) {
    static const bool valid[16] = {0, 1, 1, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0};
    if (!valid[d.type()]) return true;
  }
  if (!visible(cpu, sel, d)) return true;
  limit = d.limit();
  ok = true;
  return true;
}

}  // namespace bv::cpu::pm
