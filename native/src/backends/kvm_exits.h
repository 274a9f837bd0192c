// Translation of one KVM_RUN exit (struct kvm_run) into ExitHandler calls and the Exit vocabulary. A free
// function over the exit, so it is tested with synthetic kvm_run buffers on machines without /dev/kvm.
#pragma once
#include <linux/kvm.h>

#include <cstdint>
#include <string>
#include <vector>

#include "bootvisor/exit.h"
#include "bootvisor/memory.h"
#include "bootvisor/vcpu.h"

namespace bv {

struct KvmExitOutcome {
  bool returnToCaller = false;   // false: re-enter KVM_RUN
  bool needsCompletion = false;  // an IO/MMIO exit: KVM finishes the instruction on the next KVM_RUN
  Exit exit;
  std::string error;  // Invalid: what went wrong in words
};

// pageAllowed: the ACCESS_* bits the hybrid left on each RAM page (empty: everything allowed). runSize: the
// size of the kvm_run mapping, to bounds-check the IO data area. rip: the guest's RIP at the exit.
KvmExitOutcome translateKvmExit(kvm_run& run, size_t runSize, GuestMemory& memory,
                                const std::vector<uint8_t>& pageAllowed, ExitHandler& handler, uint64_t rip);

}  // namespace bv
