// CpuState <-> struct nvmm_x64_state. CpuState was made in NVMM's shape, so this is a copy by name; the
// FPU area, which CpuState does not carry, is left as NVMM had it. Built only where <nvmm.h> exists.
#pragma once
#include <nvmm.h>

#include "bootvisor/state.h"

namespace bv {

void stateToNvmm(const CpuState& in, nvmm_x64_state& out);
void stateFromNvmm(const nvmm_x64_state& in, CpuState& out);

}  // namespace bv
