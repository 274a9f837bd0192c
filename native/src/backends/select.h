// Which vCPU backend to use: "software", "kvm", "nvmm", or "auto" (nvmm, then kvm, then software). A hardware
// backend is handed to the caller's wrap (the machine wraps it in vmm/hybrid.h's HybridVcpu, so stepping,
// breakpoints, watchpoints and triple-fault explanations work on it; a backend knows nothing of the hybrid). An
// explicitly requested backend that cannot be used is an error that says why, never a silent fallback.
#pragma once
#include <functional>
#include <memory>
#include <string>

#include "backends/backend.h"
#include "bootvisor/memory.h"
#include "bootvisor/vcpu.h"

namespace bv {

// Empty when the backend can be used here, otherwise why not and what to do (join a group, load a module...).
std::string backendUnavailableReason(const std::string& backend);

// nullptr and whyNot (the explanation) when the backend cannot be used. On success note says what was chosen
// and why the others were not.
using WrapHardware = std::function<std::unique_ptr<Vcpu>(std::unique_ptr<HardwareVcpu>)>;
std::unique_ptr<Vcpu> selectBackendVcpu(const std::string& backend, GuestMemory& memory, ExitHandler& handler,
                                        const WrapHardware& wrap, std::string& note);

}  // namespace bv
