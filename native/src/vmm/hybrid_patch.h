// Software breakpoints on a hardware backend: the opcode (INT3 for KVM, HLT for NVMM) is written over the
// first byte of the instruction only while the guest runs on hardware, and taken out again at every exit, so
// the debugger, the devices and the software vCPU never see it. A byte the guest or a device replaced while
// patched becomes the new original.
#pragma once
#include <cstdint>
#include <vector>

#include "bootvisor/memory.h"

namespace bv {

class BreakpointPatcher {
 public:
  void set(std::vector<uint64_t> gpas) {
    patches_.clear();
    for (uint64_t g : gpas) patches_.push_back({g, 0, false});
  }
  bool empty() const { return patches_.empty(); }
  bool contains(uint64_t gpa) const;
  const std::vector<uint64_t> pages() const;

  // Writes the opcode over every breakpoint; raw writes, so no page is marked dirty and no decoded code is
  // dropped (the patch is gone again before anyone could look).
  void arm(GuestMemory& mem, uint8_t opcode);
  void disarm(GuestMemory& mem, uint8_t opcode);
  bool armed() const { return armed_; }

 private:
  struct Patch {
    uint64_t gpa;
    uint8_t original;
    bool written;
  };
  std::vector<Patch> patches_;
  bool armed_ = false;
};

}  // namespace bv
