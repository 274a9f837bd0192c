// The 32-bit page walk: 4 KiB pages through a page table, 4 MiB pages (CR4.PSE), the U/S and R/W rules with
// CR0.WP, the accessed and dirty bits, global pages (CR4.PGE), and #PF with CR2 and its error code.
#include <cstdarg>
#include <cstdio>

#include "cpu/pm/pm.h"

namespace bv::cpu::pm {

namespace {

constexpr uint32_t kP = 1, kRW = 2, kUS = 4, kA = 0x20, kD = 0x40, kPS = 0x80, kG = 0x100;
constexpr uint32_t kCr4Pse = 0x10, kCr4Pge = 0x80;
constexpr uint32_t kErrP = 1, kErrW = 2, kErrU = 4;

__attribute__((format(printf, 4, 5))) PageWalk pageFault(Cpu& cpu, uint32_t linear, uint32_t error, const char* fmt,
                                                         ...) {
  cpu.cr2 = linear;
  char reason[200];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(reason, sizeof reason, fmt, ap);
  va_end(ap);
  cpu.raise(VEC_PF, error, "%s", reason);
  return PageWalk{};
}

// The rights of the levels combined (U/S and R/W both needed); false with the fault raised.
bool allowed(Cpu& cpu, uint32_t linear, uint32_t rights, bool user, bool write, bool wp, uint32_t errBase,
             const char* level, uint32_t index) {
  if (user && !(rights & kUS)) {
    pageFault(cpu, linear, errBase | kErrP, "page 0x%08X is supervisor-only (%s %u): a CPL 3 %s faults",
              linear & ~0xFFFu, level, index, write ? "write" : "read");
    return false;
  }
  if (write && !(rights & kRW) && (user || wp)) {
    pageFault(cpu, linear, errBase | kErrP, "page 0x%08X is read-only (%s %u): a %s write faults", linear & ~0xFFFu,
              level, index, user ? "CPL 3" : "supervisor (CR0.WP set)");
    return false;
  }
  return true;
}

}  // namespace

PageWalk pageWalk(Cpu& cpu, uint32_t linear, uint8_t access, bool user) {
  const bool write = (access & ACCESS_WRITE) != 0;
  const bool wp = (cpu.cr0 & cr0::WP) != 0;
  const uint32_t errBase = (write ? kErrW : 0) | (user ? kErrU : 0);
  const uint32_t pdi = linear >> 22, pti = (linear >> 12) & 0x3FF;
  const uint32_t pdeAddr = (cpu.cr3 & 0xFFFFF000u) | (pdi << 2);
  uint32_t pde = cpu.readPhys32(pdeAddr);
  if (!(pde & kP)) return pageFault(cpu, linear, errBase, "page 0x%08X not present (PDE %u)", linear & ~0xFFFu, pdi);

  PageWalk w;
  if ((pde & kPS) && (cpu.cr4 & kCr4Pse)) {
    if (!allowed(cpu, linear, pde, user, write, wp, errBase, "4 MiB PDE", pdi)) return PageWalk{};
    uint32_t upd = pde | kA | (write ? kD : 0);
    if (upd != pde) cpu.writePhys32(pdeAddr, upd);
    w.phys = (upd & 0xFFC00000u) | (linear & 0x3FFFFFu);
    w.large = true;
    w.global = (upd & kG) && (cpu.cr4 & kCr4Pge);
    w.dirtySet = (upd & kD) != 0;
    w.user = (upd & kUS) != 0;
    w.writable = user ? ((upd & kRW) && (upd & kUS)) : ((upd & kRW) || !wp);
    w.ok = true;
    return w;
  }
  // The PDE was used for the walk: its A bit is set even when the PTE then faults (as QEMU and Bochs do).
  if (!(pde & kA)) {
    pde |= kA;
    cpu.writePhys32(pdeAddr, pde);
  }
  const uint32_t pteAddr = (pde & 0xFFFFF000u) | (pti << 2);
  uint32_t pte = cpu.readPhys32(pteAddr);
  if (!(pte & kP))
    return pageFault(cpu, linear, errBase, "page 0x%08X not present (PTE %u of PDE %u)", linear & ~0xFFFu, pti, pdi);
  const uint32_t rights = pde & pte & (kUS | kRW);
  if (!allowed(cpu, linear, rights, user, write, wp, errBase, "PTE", pti)) return PageWalk{};
  uint32_t upd = pte | kA | (write ? kD : 0);
  if (upd != pte) cpu.writePhys32(pteAddr, upd);
  w.phys = (upd & 0xFFFFF000u) | (linear & 0xFFF);
  w.global = (upd & kG) && (cpu.cr4 & kCr4Pge);
  w.dirtySet = (upd & kD) != 0;
  w.user = (rights & kUS) != 0;
  w.writable = user ? ((rights & kRW) && (rights & kUS)) : ((rights & kRW) || !wp);
  w.ok = true;
  return w;
}

}  // namespace bv::cpu::pm
