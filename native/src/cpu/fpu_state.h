// The x87 register file of the software vCPU: eight 80-bit registers used as a stack, the control, status
// and tag words, and the last instruction and data pointers, with the stack and exception bookkeeping every
// x87 instruction shares.
#pragma once
#include <cstdint>

#include "bootvisor/state.h"
#include "cpu/fpu_float80.h"

namespace bv::cpu {

struct Fpu {
  fpu::F80 reg[8];         // physical registers R0-R7; ST(i) is reg[(top + i) & 7]
  uint16_t cw = 0x037F;    // control word (FNINIT's)
  uint16_t sw = 0;         // status word, TOP in bits 11-13
  uint16_t tags = 0xFFFF;  // tag word, two bits per physical register (3 = empty)
  uint16_t fop = 0;        // last non-control instruction's opcode (11 bits)
  uint32_t fip = 0, fdp = 0;
  uint16_t fcs = 0, fds = 0;
  bool ferr = false;  // FERR# asserted (CR0.NE = 0: IRQ13 raised until port F0h or FNCLEX)

  static constexpr uint16_t ES = 0x80, B = 0x8000, C0 = 0x100, C1 = 0x200, C2 = 0x400, C3 = 0x4000;
  static constexpr uint16_t kCc = C0 | C1 | C2 | C3;

  unsigned top() const { return (sw >> 11) & 7; }
  void setTop(unsigned t) { sw = uint16_t((sw & ~0x3800u) | ((t & 7) << 11)); }
  unsigned phys(unsigned i) const { return (top() + i) & 7; }
  bool empty(unsigned i) const { return ((tags >> (2 * phys(i))) & 3) == 3; }
  fpu::F80& st(unsigned i) { return reg[phys(i)]; }
  void setTag(unsigned physReg, unsigned tag) {
    tags = uint16_t((tags & ~(3u << (2 * physReg))) | ((tag & 3) << (2 * physReg)));
  }
  void write(unsigned i, fpu::F80 v) {
    reg[phys(i)] = v;
    setTag(phys(i), fpu::tagOf(v));
  }
  void push(fpu::F80 v) {
    setTop(top() - 1);
    write(0, v);
  }
  void pop() {
    setTag(phys(0), 3);
    setTop(top() + 1);
  }
  void init() {
    cw = 0x037F;
    sw = 0;
    tags = 0xFFFF;
    fop = 0;
    fip = fdp = 0;
    fcs = fds = 0;
  }
  // The status word's ES and B bits follow the unmasked exceptions flagged.
  void updateSummary() {
    if (sw & ~cw & 0x3F) sw |= ES | B;
    else sw &= uint16_t(~(ES | B));
  }

  // To and from the CPU state every backend shares (registers there in ST(i) order, as FXSAVE keeps them).
  void save(FpuState& s) const;
  void load(const FpuState& s);
};

}  // namespace bv::cpu
