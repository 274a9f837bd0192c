// GDT/LDT descriptors: where they live, reading them with the table-limit checks, the accessed and busy
// bits, and turning them into the hidden segment caches.
#include <cstdio>

#include "cpu/pm/pm.h"

namespace bv::cpu::pm {

SelText selText(uint16_t sel) {
  SelText t;
  if ((sel & 0xFFFC) == 0) std::snprintf(t.s, sizeof t.s, "the null selector 0x%04X", sel);
  else if ((sel & 3) == 0 && !(sel & 4)) std::snprintf(t.s, sizeof t.s, "GDT entry 0x%02X", sel & 0xFFF8);
  else
    std::snprintf(t.s, sizeof t.s, "%s entry 0x%02X (selector 0x%04X)", (sel & 4) ? "LDT" : "GDT", sel & 0xFFF8, sel);
  return t;
}

const char* sysTypeName(uint8_t type) {
  static const char* const names[16] = {"reserved system type 0",
                                        "16-bit TSS",
                                        "LDT",
                                        "busy 16-bit TSS",
                                        "16-bit call gate",
                                        "task gate",
                                        "16-bit interrupt gate",
                                        "16-bit trap gate",
                                        "reserved system type 8",
                                        "32-bit TSS",
                                        "reserved system type 10",
                                        "busy 32-bit TSS",
                                        "32-bit call gate",
                                        "reserved system type 13",
                                        "32-bit interrupt gate",
                                        "32-bit trap gate"};
  return names[type & 0xF];
}

bool descriptorAddress(const Cpu& cpu, uint16_t sel, uint32_t& lin) {
  uint32_t index = sel & 0xFFF8u;
  if (sel & 4) {
    if (!cpu.ldtr.present() || index + 7 > cpu.ldtr.limit) return false;
    lin = cpu.ldtr.base + index;
  } else {
    if (index + 7 > cpu.gdtr.limit) return false;
    lin = cpu.gdtr.base + index;
  }
  return true;
}

bool fetchDescriptor(Cpu& cpu, uint16_t sel, Descriptor& d, uint8_t vec, uint32_t ext, const char* purpose) {
  uint32_t lin;
  if (!descriptorAddress(cpu, sel, lin)) {
    if ((sel & 4) && !cpu.ldtr.present())
      return cpu.raise(vec, (sel & 0xFFFC) | ext, "%s: %s refers to the LDT, but no LDT is loaded", purpose,
                       selText(sel).s);
    return cpu.raise(vec, (sel & 0xFFFC) | ext, "%s: %s is beyond the %s limit 0x%04X", purpose, selText(sel).s,
                     (sel & 4) ? "LDT" : "GDT", (sel & 4) ? cpu.ldtr.limit : cpu.gdtr.limit);
  }
  return cpu.readLin(lin, 4, d.lo, true) && cpu.readLin(lin + 4, 4, d.hi, true);
}

bool markAccessed(Cpu& cpu, uint16_t sel, Descriptor& d) {
  if (!d.segment() || (d.hi & (1u << 8))) return true;
  d.hi |= 1u << 8;
  uint32_t lin;
  if (!descriptorAddress(cpu, sel, lin)) return true;
  return cpu.writeLin(lin + 5, 1, (d.hi >> 8) & 0xFF, true);
}

bool writeDescriptorHigh(Cpu& cpu, uint16_t sel, const Descriptor& d) {
  uint32_t lin;
  if (!descriptorAddress(cpu, sel, lin)) return true;
  return cpu.writeLin(lin + 4, 4, d.hi, true);
}

Seg toSeg(uint16_t sel, const Descriptor& d) {
  Seg s;
  s.sel = sel;
  s.attr = d.attr();
  s.base = d.base();
  s.limit = d.limit();
  return s;
}

Seg nullSeg(uint16_t sel) {
  Seg s;
  s.sel = sel;
  s.attr = 0;  // P = 0: every access through it faults
  s.base = 0;
  s.limit = 0;
  return s;
}

bool checkCodeOffset(Cpu& cpu, uint32_t offset, const Descriptor& d, const char* what) {
  if (offset > d.limit())
    return cpu.raise(VEC_GP, 0, "%s target offset 0x%X is beyond the code segment limit 0x%X", what, offset, d.limit());
  return true;
}

bool withinLimit(const Seg& s, uint32_t off, unsigned size) {
  uint32_t end = off + size - 1;
  if (end < off) return false;  // wraps
  const bool expandDown = (s.attr & attr::S) && !(s.attr & attr::T_CODE) && (s.attr & attr::T_CONF_EXPDOWN);
  if (expandDown) {
    uint32_t top = s.big() ? 0xFFFFFFFFu : 0xFFFFu;
    return off > s.limit && end <= top;
  }
  return end <= s.limit;
}

}  // namespace bv::cpu::pm
