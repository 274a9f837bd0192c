// Internal interface of native/src/cpu/pm/: protected mode (descriptors, segment loads, IDT delivery, far
// transfers, task switches) and paging for the software vCPU, behind SystemOps (cpu/system_ops.h).
// Every function that returns bool returns false after raising a fault with Cpu::raise, with the reason in
// words; state is changed only once an operation knows it will succeed (as the SDM's pseudo-code does).
#pragma once
#include <cstdint>

#include "cpu/cpu.h"
#include "cpu/system_ops.h"

namespace bv::cpu::pm {

// ---- Descriptors (descriptors.cpp) ----
struct Descriptor {
  uint32_t lo = 0, hi = 0;  // the two raw dwords
  uint32_t base() const { return (lo >> 16) | ((hi & 0xFF) << 16) | (hi & 0xFF000000u); }
  uint32_t limit() const {  // byte-granular
    uint32_t l = (lo & 0xFFFF) | (hi & 0x000F0000u);
    return (hi & (1u << 23)) ? ((l << 12) | 0xFFF) : l;
  }
  uint16_t attr() const { return uint16_t(((hi >> 8) & 0xFF) | (((hi >> 20) & 0xF) << 8)); }  // NVMM packing
  uint8_t type() const { return (hi >> 8) & 0xF; }
  bool segment() const { return (hi & (1u << 12)) != 0; }  // S: code/data (false: system)
  bool code() const { return segment() && (type() & attr::T_CODE); }
  bool data() const { return segment() && !(type() & attr::T_CODE); }
  bool conforming() const { return code() && (type() & attr::T_CONF_EXPDOWN); }
  bool readable() const { return data() || (type() & attr::T_RW); }
  bool writable() const { return data() && (type() & attr::T_RW); }
  uint8_t dpl() const { return (hi >> 13) & 3; }
  bool present() const { return (hi & (1u << 15)) != 0; }
  bool big() const { return (hi & (1u << 22)) != 0; }  // D/B
  // Gates.
  uint16_t gateSelector() const { return uint16_t(lo >> 16); }
  uint32_t gateOffset() const { return (hi & 0xFFFF0000u) | (lo & 0xFFFF); }
  uint8_t gateParams() const { return hi & 0x1F; }
};

// System descriptor types (S = 0).
enum SysType : uint8_t {
  kTss16Avail = 1,
  kLdt = 2,
  kTss16Busy = 3,
  kCallGate16 = 4,
  kTaskGate = 5,
  kIntGate16 = 6,
  kTrapGate16 = 7,
  kTss32Avail = 9,
  kTss32Busy = 11,
  kCallGate32 = 12,
  kIntGate32 = 14,
  kTrapGate32 = 15,
};

// "GDT entry 0x10", "LDT entry 0x08 (selector 0x000F)", "the null selector": for fault reasons.
struct SelText {
  char s[48];
};
SelText selText(uint16_t sel);
const char* sysTypeName(uint8_t type);

// Where the descriptor of sel lives; false when it is past the GDT/LDT limit (nothing raised).
bool descriptorAddress(const Cpu& cpu, uint16_t sel, uint32_t& lin);
// Reads sel's descriptor. Past the table limit raises vec with error (sel & 0xFFFC) | ext; purpose names the
// operation in the reason ("loading DS").
bool fetchDescriptor(Cpu& cpu, uint16_t sel, Descriptor& d, uint8_t vec, uint32_t ext, const char* purpose);
// Sets the accessed bit of a code/data descriptor in memory (and in d).
bool markAccessed(Cpu& cpu, uint16_t sel, Descriptor& d);
// Writes d's second dword back (busy bit of a TSS).
bool writeDescriptorHigh(Cpu& cpu, uint16_t sel, const Descriptor& d);
Seg toSeg(uint16_t sel, const Descriptor& d);
Seg nullSeg(uint16_t sel);
// A far transfer's target offset against the code segment limit (#GP(0) past it; what names the transfer).
bool checkCodeOffset(Cpu& cpu, uint32_t offset, const Descriptor& d, const char* what);
// Segment limit check of [off, off+size) for a cache (expand-down data aware), without cpu.setSeg's fields.
bool withinLimit(const Seg& s, uint32_t off, unsigned size);

// ---- Stacks built before they are loaded (far_transfer.cpp, interrupt_delivery.cpp) ----
struct NewStack {
  Seg ss;
  uint32_t esp = 0;
  bool supervisor = false;  // accesses at CPL 0-2 (the target privilege), not the current CPL
  uint32_t faultError = 0;  // #SS error code when a push leaves the segment
  bool push(Cpu& cpu, unsigned size, uint32_t v);
  bool read(Cpu& cpu, uint32_t off, unsigned size, uint32_t& v) const;  // at esp + off, no change
};

// Loads CS from a checked descriptor at privilege newCpl (selector RPL := newCpl).
void loadCs(Cpu& cpu, uint16_t sel, const Descriptor& d, uint8_t newCpl);
// After a return to an outer privilege: data segment registers the new CPL may not use become null.
void nullInaccessibleSegments(Cpu& cpu);
// SS:ESP for privilege dpl from the current TSS; checks the new SS as the SDM requires (#TS, #SS).
bool stackFromTss(Cpu& cpu, uint8_t dpl, uint32_t ext, NewStack& out);

// ---- Operations (one file each) ----
bool loadSegment(Cpu& cpu, int seg, uint16_t sel);
bool lldt(Cpu& cpu, uint16_t sel);
bool ltr(Cpu& cpu, uint16_t sel);
bool verify(Cpu& cpu, uint16_t sel, bool write, bool& ok);
bool lar(Cpu& cpu, uint16_t sel, uint32_t& rights, bool& ok);
bool lsl(Cpu& cpu, uint16_t sel, uint32_t& limit, bool& ok);

bool deliverInterrupt(Cpu& cpu, uint8_t vector, IntKind kind, bool hasError, uint32_t error);

bool farJump(Cpu& cpu, uint16_t sel, uint32_t offset, bool op32);
bool farCall(Cpu& cpu, uint16_t sel, uint32_t offset, bool op32, uint32_t returnEip);
bool farReturn(Cpu& cpu, bool op32, uint16_t popBytes);
bool iret(Cpu& cpu, bool op32);

bool taskSwitch(Cpu& cpu, uint16_t sel, TaskSwitchSource src, uint32_t ext = 0);

PageWalk pageWalk(Cpu& cpu, uint32_t linear, uint8_t access, bool user);

bool ioPermitted(Cpu& cpu, uint16_t port, unsigned size);

}  // namespace bv::cpu::pm
