// Guest debug registers: which DR0-DR3 breakpoints DR7 enables, and data-breakpoint matching. Instruction
// breakpoints are checked by the run loop (software_vcpu.cpp) only while drExec is nonzero, data breakpoints
// by the slow memory path only while drData is nonzero, so a guest that enables none pays nothing.
#include "cpu/cpu.h"

namespace bv::cpu {

void Cpu::updateDebugRegs() {
  uint8_t ex = 0, da = 0;
  const uint32_t d7 = dr[7];
  for (unsigned n = 0; n < 4; ++n) {
    if (!((d7 >> (2 * n)) & 3)) continue;  // neither Ln nor Gn (no task switches clear Ln here)
    const unsigned rw = (d7 >> (16 + 4 * n)) & 3;
    if (rw == 0) ex |= uint8_t(1u << n);
    else if (rw != 2) da |= uint8_t(1u << n);  // RW=10 (I/O, with CR4.DE) is not emulated
  }
  // TLB entries filled while no data breakpoint was on allow host-direct access: drop them when that changes.
  const bool flush = (da != 0) != (drData != 0);
  drExec = ex;
  drData = da;
  if (flush) flushTlb(true);
  events = 1;  // the run loop re-derives its slow path after this instruction
}

void Cpu::dataBreakCheck(uint32_t lin, unsigned size, bool write) {
  for (unsigned n = 0; n < 4; ++n) {
    if (!(drData & (1u << n))) continue;
    const uint32_t ctl = dr[7] >> (16 + 4 * n);
    if ((ctl & 3) == 1 && !write) continue;  // RW=01: writes only
    static constexpr uint8_t kLen[4] = {1, 2, 8, 4};
    const uint64_t len = kLen[(ctl >> 2) & 3];
    const uint64_t base = dr[n] & ~uint32_t(len - 1);  // the SDM: the address is aligned down to LEN
    if (uint64_t(lin) + size > base && uint64_t(lin) < base + len) {
      drHits |= uint8_t(1u << n);
      events = 1;
    }
  }
}

}  // namespace bv::cpu
