// The backend factory. Software always works; the hardware backends register here when built (the backends'
// owner fills in kvm/nvmm and "auto").
#include "bootvisor/machine.h"
#include "bootvisor/software_vcpu.h"
#include "backends/select.h"

namespace bv {

std::unique_ptr<Vcpu> createVcpu(const std::string& backend, GuestMemory& memory, ExitHandler& handler,
                                 std::string& whyNot) {
  if (backend != "software") return selectBackendVcpu(backend, memory, handler, whyNot);  // kvm, nvmm, auto
  if (backend == "software" || backend == "auto" || backend.empty()) {
    whyNot = backend == "software" ? "software vCPU, as asked" : "software vCPU (no hardware backend is built in)";
    return createSoftwareVcpu(memory, handler);
  }
  if (backend == "kvm" || backend == "nvmm") {
    whyNot = "the " + backend + " backend is not available in this build";
    return nullptr;
  }
  whyNot = "unknown backend '" + backend + "': use auto, software, kvm or nvmm";
  return nullptr;
}

}  // namespace bv
