// SystemOps for real mode (and the fallback when pm/ has not registered): IVT delivery, real-mode far
// transfers; what needs descriptors raises #UD (real mode) or #GP (protected mode without pm/).
#include "cpu/system_ops.h"

namespace bv::cpu {

namespace {

class RealModeOps final : public SystemOps {
 public:
  bool loadSegment(Cpu& cpu, int seg, uint16_t sel) override {
    if (cpu.protectedMode() && !(cpu.eflags() & flags::VM))
      return cpu.raise(VEC_GP, sel & 0xFFFC, "protected-mode segment load of 0x%04X without protected-mode support",
                       sel);
    cpu.setSegReal(seg, sel);
    return true;
  }

  bool deliverInterrupt(Cpu& cpu, uint8_t vector, IntKind kind, bool, uint32_t) override {
    if (cpu.protectedMode())
      return cpu.raise(VEC_GP, vector * 8 + 2, "protected-mode interrupt delivery of vector 0x%02X is not available",
                       vector);
    uint32_t entry = uint32_t(vector) * 4;
    if (entry + 3 > cpu.idtr.limit)
      return cpu.raise(VEC_GP, 0, "IVT limit 0x%04X is below vector 0x%02X's entry at 0x%03X", cpu.idtr.limit, vector,
                       entry);
    uint32_t vec;
    if (!cpu.readLin(cpu.idtr.base + entry, 4, vec, true)) return false;
    uint32_t fl = cpu.eflags();
    if (!cpu.push16(uint16_t(fl)) || !cpu.push16(cpu.seg[SEG_CS].sel) || !cpu.push16(uint16_t(cpu.eip))) return false;
    cpu.setEflags(fl & ~(flags::IF | flags::TF | flags::AC | flags::RF));
    cpu.setSegReal(SEG_CS, uint16_t(vec >> 16));
    cpu.eip = vec & 0xFFFF;
    (void)kind;
    return true;
  }

  bool farJump(Cpu& cpu, uint16_t sel, uint32_t offset, bool op32) override {
    if (cpu.protectedMode() && !(cpu.eflags() & flags::VM)) return noPm(cpu, "far JMP");
    cpu.setSegReal(SEG_CS, sel);
    cpu.eip = op32 ? offset : (offset & 0xFFFF);
    return true;
  }

  bool farCall(Cpu& cpu, uint16_t sel, uint32_t offset, bool op32, uint32_t returnEip) override {
    if (cpu.protectedMode() && !(cpu.eflags() & flags::VM)) return noPm(cpu, "far CALL");
    // Both pushes are checked before either is made visible: SP is restored by the run loop on a fault.
    if (!cpu.push(op32, cpu.seg[SEG_CS].sel) || !cpu.push(op32, returnEip)) return false;
    cpu.setSegReal(SEG_CS, sel);
    cpu.eip = op32 ? offset : (offset & 0xFFFF);
    return true;
  }

  bool farReturn(Cpu& cpu, bool op32, uint16_t popBytes) override {
    if (cpu.protectedMode() && !(cpu.eflags() & flags::VM)) return noPm(cpu, "far RET");
    uint32_t ip, cs;
    if (!cpu.pop(op32, ip) || !cpu.pop(op32, cs)) return false;
    cpu.setSp(cpu.sp() + popBytes);
    cpu.setSegReal(SEG_CS, uint16_t(cs));
    cpu.eip = op32 ? ip : (ip & 0xFFFF);
    return true;
  }

  bool iret(Cpu& cpu, bool op32) override {
    if (cpu.protectedMode() && !(cpu.eflags() & flags::VM)) return noPm(cpu, "IRET");
    uint32_t ip, cs, fl;
    if (!cpu.pop(op32, ip) || !cpu.pop(op32, cs) || !cpu.pop(op32, fl)) return false;
    cpu.setSegReal(SEG_CS, uint16_t(cs));
    cpu.eip = op32 ? ip : (ip & 0xFFFF);
    uint32_t old = cpu.eflags();
    if (op32) {
      // VM, VIP, VIF are not changed by a real-mode IRETD; RF is.
      uint32_t keep = flags::VM | (1u << 19) | (1u << 20);
      cpu.setEflags((fl & ~keep) | (old & keep));
    } else {
      cpu.setEflags((old & 0xFFFF0000u) | (fl & 0xFFFF));
    }
    return true;
  }

  bool taskSwitch(Cpu& cpu, uint16_t sel, TaskSwitchSource) override { return noPm(cpu, "task switch"); }

  PageWalk pageWalk(Cpu& cpu, uint32_t linear, uint8_t, bool) override {
    // CR0.PG cannot be set without pm/ (MOV CR0 refuses PG then); identity is the only sane answer.
    PageWalk w;
    w.ok = true;
    w.phys = linear;
    w.writable = w.user = w.dirtySet = true;
    return w;
  }

  bool lldt(Cpu& cpu, uint16_t) override { return noDesc(cpu, "LLDT"); }
  bool ltr(Cpu& cpu, uint16_t) override { return noDesc(cpu, "LTR"); }
  bool verr(Cpu& cpu, uint16_t, bool&) override { return noDesc(cpu, "VERR"); }
  bool verw(Cpu& cpu, uint16_t, bool&) override { return noDesc(cpu, "VERW"); }
  bool lar(Cpu& cpu, uint16_t, uint32_t&, bool&) override { return noDesc(cpu, "LAR"); }
  bool lsl(Cpu& cpu, uint16_t, uint32_t&, bool&) override { return noDesc(cpu, "LSL"); }
  bool ioPermitted(Cpu&, uint16_t, unsigned) override { return true; }

 private:
  static bool noPm(Cpu& cpu, const char* what) {
    return cpu.raise(VEC_GP, 0, "%s in protected mode needs protected-mode support, which is not built in", what);
  }
  static bool noDesc(Cpu& cpu, const char* what) {
    if (!cpu.protectedMode() || (cpu.eflags() & flags::VM))
      return cpu.raise(VEC_UD, 0, "%s is not recognised in real or virtual-8086 mode", what);
    return noPm(cpu, what);
  }
};

}  // namespace

SystemOps& realModeOps() {
  static RealModeOps ops;
  return ops;
}

}  // namespace bv::cpu
