// The NVMM backend (NetBSD, DragonFly BSD, Haiku): libnvmm's machine with one vCPU, RAM mapped from the
// shared GuestMemory (ROM and protected pages without PROT_WRITE, hidden breakpoint pages execute-only), exits
// translated into the Exit vocabulary, port and MMIO accesses completed by libnvmm's assists through the
// ExitHandler. NVMM cannot trap #DB/#BP: single-step, breakpoints and watchpoints come from the hybrid.
// Built only where <nvmm.h> exists (BV_HAVE_NVMM).
#pragma once
#include <memory>
#include <string>

#include "backends/backend.h"
#include "bootvisor/memory.h"
#include "bootvisor/vcpu.h"

namespace bv {

// Empty when NVMM can be used, otherwise why not and what to do about it.
std::string nvmmUnavailableReason();

std::unique_ptr<HardwareVcpu> createNvmmVcpu(GuestMemory& memory, ExitHandler& handler, std::string& whyNot);

}  // namespace bv
