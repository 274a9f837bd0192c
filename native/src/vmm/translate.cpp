// Linear addresses as the guest sees them, for the debugger: the A20 gate, then the 32-bit page walk
// (4 KiB pages and, with CR4.PSE, 4 MiB pages), reading the tables the guest set up without changing them
// (no accessed/dirty bits are set by looking).
#include <cstdio>

#include "vmm/machine_impl.h"

namespace bv {

namespace {
constexpr uint32_t kPresent = 1, kLarge = 0x80;
constexpr uint64_t kCr4Pse = 1u << 4, kCr4Pae = 1u << 5;

std::string hex8(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%08llX", static_cast<unsigned long long>(v));
  return b;
}
}  // namespace

bool Machine::translate(uint64_t linear, uint64_t& physical, std::vector<std::string>& steps) {
  Impl& m = *impl_;
  CpuState st;
  m.vcpu->getState(st);
  linear &= 0xFFFFFFFFull;
  if (!(st.crs[CR_CR0] & cr0::PG)) {
    physical = m.a20 ? linear : (linear & ~(1ull << 20));
    steps.push_back("paging is off: physical = linear" + std::string(m.a20 ? "" : " with A20 masked"));
    return true;
  }
  if (st.crs[CR_CR4] & kCr4Pae) {
    steps.push_back("PAE paging is on; the debugger walks only 32-bit page tables");
    return false;
  }
  uint64_t cr3 = st.crs[CR_CR3] & 0xFFFFF000ull;
  uint64_t pdeAddr = cr3 + ((linear >> 22) & 0x3FF) * 4;
  uint32_t pde = 0;
  if (!m.mem.read(pdeAddr, &pde, 4)) {
    steps.push_back("the page directory entry at " + hex8(pdeAddr) + " is outside RAM");
    return false;
  }
  steps.push_back("PDE[" + std::to_string((linear >> 22) & 0x3FF) + "] at " + hex8(pdeAddr) + " = " + hex8(pde));
  if (!(pde & kPresent)) {
    steps.push_back("not present");
    return false;
  }
  if ((pde & kLarge) && (st.crs[CR_CR4] & kCr4Pse)) {
    physical = (pde & 0xFFC00000ull) | (linear & 0x3FFFFF);
    steps.push_back("4 MiB page: physical " + hex8(physical));
    return true;
  }
  uint64_t pteAddr = (pde & 0xFFFFF000ull) + ((linear >> 12) & 0x3FF) * 4;
  uint32_t pte = 0;
  if (!m.mem.read(pteAddr, &pte, 4)) {
    steps.push_back("the page table entry at " + hex8(pteAddr) + " is outside RAM");
    return false;
  }
  steps.push_back("PTE[" + std::to_string((linear >> 12) & 0x3FF) + "] at " + hex8(pteAddr) + " = " + hex8(pte));
  if (!(pte & kPresent)) {
    steps.push_back("not present");
    return false;
  }
  physical = (pte & 0xFFFFF000ull) | (linear & 0xFFF);
  steps.push_back("physical " + hex8(physical));
  return true;
}

// Byte ranges may cross pages that map anywhere: translate page by page and check all before any byte is
// copied, so a range that is only partly mapped reads or writes nothing.
bool Machine::physicalRanges(uint64_t linear, uint64_t len, std::vector<std::pair<uint64_t, uint64_t>>& parts) {
  for (uint64_t done = 0; done < len;) {
    uint64_t phys;
    std::vector<std::string> steps;
    if (!translate(linear + done, phys, steps)) return false;
    uint64_t n = PAGE_SIZE - ((linear + done) & (PAGE_SIZE - 1));
    if (n > len - done) n = len - done;
    if (!impl_->mem.contains(phys, n)) return false;
    parts.emplace_back(phys, n);
    done += n;
  }
  return true;
}

bool Machine::readLinear(uint64_t linear, void* dst, uint64_t len) {
  std::vector<std::pair<uint64_t, uint64_t>> parts;  // physical, length
  if (!physicalRanges(linear, len, parts)) return false;
  auto* out = static_cast<uint8_t*>(dst);
  for (const auto& p : parts) {
    impl_->mem.read(p.first, out, p.second);
    out += p.second;
  }
  return true;
}

bool Machine::writeLinear(uint64_t linear, const void* src, uint64_t len) {
  std::vector<std::pair<uint64_t, uint64_t>> parts;
  if (!physicalRanges(linear, len, parts)) return false;
  auto* in = static_cast<const uint8_t*>(src);
  for (const auto& p : parts) {
    impl_->mem.write(p.first, in, p.second);
    in += p.second;
  }
  return true;
}

}  // namespace bv
