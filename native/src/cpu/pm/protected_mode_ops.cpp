// pm/'s SystemOps: each operation is a free function in its own file; this class only forwards to them. The
// core reaches it through protectedModeOps() (system_ops.h).
#include "cpu/pm/pm.h"

namespace bv::cpu::pm {

namespace {

class ProtectedModeOps final : public SystemOps {
 public:
  bool loadSegment(Cpu& c, int s, uint16_t sel) override { return pm::loadSegment(c, s, sel); }
  bool deliverInterrupt(Cpu& c, uint8_t v, IntKind k, bool he, uint32_t e) override {
    return pm::deliverInterrupt(c, v, k, he, e);
  }
  bool farJump(Cpu& c, uint16_t sel, uint32_t off, bool op32) override { return pm::farJump(c, sel, off, op32); }
  bool farCall(Cpu& c, uint16_t sel, uint32_t off, bool op32, uint32_t ret) override {
    return pm::farCall(c, sel, off, op32, ret);
  }
  bool farReturn(Cpu& c, bool op32, uint16_t popBytes) override { return pm::farReturn(c, op32, popBytes); }
  bool iret(Cpu& c, bool op32) override { return pm::iret(c, op32); }
  bool taskSwitch(Cpu& c, uint16_t sel, TaskSwitchSource src) override { return pm::taskSwitch(c, sel, src); }
  PageWalk pageWalk(Cpu& c, uint32_t lin, uint8_t access, bool user) override {
    return pm::pageWalk(c, lin, access, user);
  }
  bool lldt(Cpu& c, uint16_t sel) override { return pm::lldt(c, sel); }
  bool ltr(Cpu& c, uint16_t sel) override { return pm::ltr(c, sel); }
  bool verr(Cpu& c, uint16_t sel, bool& ok) override { return pm::verify(c, sel, false, ok); }
  bool verw(Cpu& c, uint16_t sel, bool& ok) override { return pm::verify(c, sel, true, ok); }
  bool lar(Cpu& c, uint16_t sel, uint32_t& rights, bool& ok) override { return pm::lar(c, sel, rights, ok); }
  bool lsl(Cpu& c, uint16_t sel, uint32_t& limit, bool& ok) override { return pm::lsl(c, sel, limit, ok); }
  bool ioPermitted(Cpu& c, uint16_t port, unsigned size) override { return pm::ioPermitted(c, port, size); }
};

}  // namespace

}  // namespace bv::cpu::pm

namespace bv::cpu {

SystemOps& protectedModeOps() {
  static pm::ProtectedModeOps ops;
  return ops;
}

}  // namespace bv::cpu

namespace bv::cpu::pm {

// The I/O permission bitmap of a 32-bit TSS: every bit for [port, port+size) must be clear and inside the
// TSS limit.
bool ioPermitted(Cpu& cpu, uint16_t port, unsigned size) {
  const Seg& tr = cpu.tr;
  if (!tr.present() || !(tr.attr & 8) || tr.limit < 0x67) return false;
  uint32_t base;
  if (!cpu.readLin(tr.base + 0x66, 2, base, true)) return false;
  base &= 0xFFFF;
  uint32_t at = base + port / 8;
  if (at + 1 > tr.limit) return false;
  uint32_t bits;
  if (!cpu.readLin(tr.base + at, 2, bits, true)) return false;
  uint32_t mask = ((1u << size) - 1) << (port & 7);
  return (bits & mask) == 0;
}

}  // namespace bv::cpu::pm
