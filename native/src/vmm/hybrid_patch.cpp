#include "vmm/hybrid_patch.h"

#include <algorithm>

namespace bv {

bool BreakpointPatcher::contains(uint64_t gpa) const {
  return std::any_of(patches_.begin(), patches_.end(), [&](const Patch& p) { return p.gpa == gpa; });
}

const std::vector<uint64_t> BreakpointPatcher::pages() const {
  std::vector<uint64_t> out;
  for (const Patch& p : patches_) out.push_back(p.gpa >> PAGE_SHIFT);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void BreakpointPatcher::arm(GuestMemory& mem, uint8_t opcode) {
  if (armed_) return;
  for (Patch& p : patches_) {
    p.written = false;
    if (!mem.contains(p.gpa, 1)) continue;
    // Two breakpoints on one byte: the second must not take the first one's opcode as the original.
    bool dup = false;
    for (const Patch& q : patches_) dup |= (&q != &p && q.gpa == p.gpa && q.written);
    if (dup) continue;
    p.original = mem.data()[p.gpa];
    mem.data()[p.gpa] = opcode;
    p.written = true;
  }
  armed_ = true;
}

void BreakpointPatcher::disarm(GuestMemory& mem, uint8_t opcode) {
  if (!armed_) return;
  for (Patch& p : patches_) {
    if (!p.written) continue;
    // Anything but our opcode means the guest or a device wrote the byte since: keep theirs.
    if (mem.data()[p.gpa] == opcode) mem.data()[p.gpa] = p.original;
    p.written = false;
  }
  armed_ = false;
}

}  // namespace bv
