#include "backends/select.h"

#include <fstream>

#include "bootvisor/software_vcpu.h"

#if defined(BV_HAVE_KVM)
#include "backends/kvm_vcpu.h"
#endif
#if defined(BV_HAVE_NVMM)
#include "backends/nvmm_vcpu.h"
#endif

namespace bv {

namespace {

#if defined(BV_HAVE_KVM)
// /dev/kvm can exist without VMX/SVM behind it (paravirtual KVMs such as kvm_pvm inside cloud VMs): it runs
// long-mode guests, but emulates real mode and 16/32-bit code one instruction at a time.
bool kvmHasHardware() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("flags", 0) == 0)
      return line.find(" vmx") != std::string::npos || line.find(" svm") != std::string::npos;
  }
  return true;
}
#endif

std::string notBuilt(const std::string& backend) {
  if (backend == "kvm") return "kvm: not built in (KVM exists on Linux only)";
  return "nvmm: not built in (NVMM needs <nvmm.h>: NetBSD, DragonFly BSD or Haiku)";
}

std::unique_ptr<HardwareVcpu> createHardware(const std::string& backend, GuestMemory& memory, ExitHandler& handler,
                                             std::string& whyNot) {
#if defined(BV_HAVE_KVM)
  if (backend == "kvm") return createKvmVcpu(memory, handler, whyNot);
#endif
#if defined(BV_HAVE_NVMM)
  if (backend == "nvmm") return createNvmmVcpu(memory, handler, whyNot);
#endif
  whyNot = notBuilt(backend);
  return nullptr;
}

}  // namespace

std::string backendUnavailableReason(const std::string& backend) {
  if (backend == "software") return {};
#if defined(BV_HAVE_KVM)
  if (backend == "kvm") {
    std::string why = kvmUnavailableReason();
    return why.empty() ? why : "kvm: " + why;
  }
#endif
#if defined(BV_HAVE_NVMM)
  if (backend == "nvmm") {
    std::string why = nvmmUnavailableReason();
    return why.empty() ? why : "nvmm: " + why;
  }
#endif
  if (backend == "kvm" || backend == "nvmm") return notBuilt(backend);
  return "unknown backend '" + backend + "': use auto, software, kvm or nvmm";
}

std::unique_ptr<Vcpu> selectBackendVcpu(const std::string& backend, GuestMemory& memory, ExitHandler& handler,
                                        const WrapHardware& wrap, std::string& note) {
  if (backend == "software") {
    note = "software vCPU, as asked";
    return createSoftwareVcpu(memory, handler);
  }
  if (backend == "kvm" || backend == "nvmm") {
    std::string why = backendUnavailableReason(backend);
    std::unique_ptr<HardwareVcpu> hw = why.empty() ? createHardware(backend, memory, handler, why) : nullptr;
    if (!hw) {
      note = "the " + backend + " backend was asked for but cannot be used: " + why;
      return nullptr;
    }
    note = backend +
           ", as asked (the software vCPU steps, explains triple faults, and takes over what the "
           "hardware cannot do)";
#if defined(BV_HAVE_KVM)
    if (backend == "kvm" && !kvmHasHardware()) {
      note +=
          "; note: this /dev/kvm has no VMX/SVM behind it, so 16- and 32-bit code is emulated by KVM and may "
          "run slower than the software vCPU";
    }
#endif
    return wrap(std::move(hw));
  }
  if (backend != "auto" && !backend.empty()) {
    note = backendUnavailableReason(backend);
    return nullptr;
  }
  std::string others;
  for (const char* name : {"nvmm", "kvm"}) {
    std::string why = backendUnavailableReason(name);
#if defined(BV_HAVE_KVM)
    if (why.empty() && std::string(name) == "kvm" && !kvmHasHardware()) {
      why =
          "kvm: /dev/kvm has no VMX/SVM behind it (a paravirtual KVM): real-mode code would be emulated, "
          "slower than the software vCPU";
    }
#endif
    std::unique_ptr<HardwareVcpu> hw = why.empty() ? createHardware(name, memory, handler, why) : nullptr;
    if (hw) {
      note = std::string(name) + " (auto)" + (others.empty() ? "" : "; unused: " + others);
      return wrap(std::move(hw));
    }
    if (why.rfind(name, 0) != 0) why = std::string(name) + ": " + why;
    others += (others.empty() ? "" : "; ") + why;
  }
  note = "software vCPU (auto); unused: " + others;
  return createSoftwareVcpu(memory, handler);
}

}  // namespace bv
