// The KVM backend: one VM with one vCPU on /dev/kvm, RAM mapped from the shared GuestMemory (ROM and
// protected pages read-only, so writes come back as MMIO exits), exits translated into the Exit vocabulary
// and ExitHandler calls. Linux only; built where <linux/kvm.h> exists (BV_HAVE_KVM).
#pragma once
#include <memory>
#include <string>

#include "backends/backend.h"
#include "bootvisor/memory.h"
#include "bootvisor/vcpu.h"

namespace bv {

// Empty when /dev/kvm can be used, otherwise why not and what to do about it.
std::string kvmUnavailableReason();

std::unique_ptr<HardwareVcpu> createKvmVcpu(GuestMemory& memory, ExitHandler& handler, std::string& whyNot);

}  // namespace bv
