// Guest memory as libnvmm sees it: the gpa_map'ed areas (whatever their protection) and, for the assists
// and instruction fetches, linear addresses translated the way the vCPU would.
#include <sys/ioctl.h>

#include <cstring>

#include "nvmm_kvm.h"

namespace nvmmkvm {

const Area* areaAt(const Machine& m, uint64_t gpa) {
  for (const Area& a : m.areas) {
    if (gpa >= a.gpa && gpa - a.gpa < a.size) return &a;
  }
  return nullptr;
}

bool linearToPhysical(Vcpu& v, uint64_t linear, uint64_t& gpa) {
  kvm_sregs s{};
  if (ioctl(v.fd, KVM_GET_SREGS, &s) != 0) return false;
  if (!(s.cr0 & 0x80000000u)) {  // paging off: linear is physical
    gpa = linear;
    return true;
  }
  kvm_translation t{};
  t.linear_address = linear;
  if (ioctl(v.fd, KVM_TRANSLATE, &t) != 0 || !t.valid) return false;
  gpa = t.physical_address;
  return true;
}

size_t fetchInstruction(Vcpu& v, const kvm_regs& r, const kvm_sregs& s, uint8_t* out, size_t n) {
  const bool longMode = s.cs.l && (s.efer & 0x400);
  const uint64_t linear = (longMode ? 0 : s.cs.base) + r.rip;
  size_t got = 0;
  while (got < n) {
    uint64_t gpa;
    if (!linearToPhysical(v, linear + got, gpa)) break;
    const Area* a = areaAt(*v.mach, gpa);
    if (!a) break;
    const uint64_t inPage = 4096 - (gpa & 4095);
    const uint64_t inArea = a->size - (gpa - a->gpa);
    size_t chunk = n - got;
    if (chunk > inPage) chunk = inPage;
    if (chunk > inArea) chunk = inArea;
    std::memcpy(out + got, reinterpret_cast<const void*>(a->hva + (gpa - a->gpa)), chunk);
    got += chunk;
  }
  return got;
}

}  // namespace nvmmkvm
