// The backend factory: backends/select.cpp chooses (software, kvm, nvmm, auto) and says why; a hardware vCPU
// it picks is wrapped here in the hybrid, which the machine and the debugger use as a software vCPU.
#include "backends/select.h"
#include "bootvisor/machine.h"
#include "bootvisor/software_vcpu.h"
#include "vmm/hybrid.h"

namespace bv {

std::unique_ptr<Vcpu> createVcpu(const std::string& backend, GuestMemory& memory, ExitHandler& handler,
                                 std::string& whyNot) {
  if (backend == "software") {
    whyNot = "software vCPU, as asked";
    return createSoftwareVcpu(memory, handler);
  }
  GuestMemory* mem = &memory;
  auto wrap = [mem, &handler](std::unique_ptr<HardwareVcpu> hw) -> std::unique_ptr<Vcpu> {
    return std::make_unique<HybridVcpu>(
        std::move(hw), [mem](ExitHandler& h) { return createSoftwareVcpu(*mem, h); }, *mem, handler);
  };
  return selectBackendVcpu(backend, memory, handler, wrap, whyNot);  // kvm, nvmm, auto
}

}  // namespace bv
