// Which vCPU backend to use: "software", "kvm", "nvmm", or "auto" (nvmm, then kvm, then software). A hardware
// backend comes wrapped in the hybrid (vmm/hybrid.h), so stepping, breakpoints, watchpoints and triple-fault
// explanations work on it. An explicitly requested backend that cannot be used is an error that says why,
// never a silent fallback.
#pragma once
#include <memory>
#include <string>

#include "bootvisor/memory.h"
#include "bootvisor/vcpu.h"

namespace bv {

// Empty when the backend can be used here, otherwise why not and what to do (join a group, load a module...).
std::string backendUnavailableReason(const std::string& backend);

// nullptr and whyNot (the explanation) when the backend cannot be used. On success note says what was chosen
// and why the others were not.
std::unique_ptr<Vcpu> selectBackendVcpu(const std::string& backend, GuestMemory& memory, ExitHandler& handler,
                                        std::string& note);

}  // namespace bv
