#include "backends/nvmm_state.h"

#include "backends/fpu_image.h"

namespace bv {

namespace {

// CpuState's indices are NVMM's; these catch a header that numbers differently.
static_assert(SEG_ES == NVMM_X64_SEG_ES && SEG_CS == NVMM_X64_SEG_CS && SEG_TR == NVMM_X64_SEG_TR &&
                  SEG_GDT == NVMM_X64_SEG_GDT && SEG_COUNT == NVMM_X64_NSEG,
              "segment indices");
static_assert(GPR_RBX == NVMM_X64_GPR_RBX && GPR_RIP == NVMM_X64_GPR_RIP && GPR_COUNT == NVMM_X64_NGPR, "gprs");
static_assert(CR_CR8 == NVMM_X64_CR_CR8 && CR_XCR0 == NVMM_X64_CR_XCR0 && CR_COUNT == NVMM_X64_NCR, "crs");
static_assert(DR_DR6 == NVMM_X64_DR_DR6 && DR_COUNT == NVMM_X64_NDR, "drs");
static_assert(MSR_EFER == NVMM_X64_MSR_EFER && MSR_TSC == NVMM_X64_MSR_TSC && MSR_COUNT == NVMM_X64_NMSR, "msrs");

void segTo(const SegState& in, nvmm_x64_state_seg& out) {
  out.selector = in.selector;
  out.attrib.type = in.attrib.type;
  out.attrib.s = in.attrib.s;
  out.attrib.dpl = in.attrib.dpl;
  out.attrib.p = in.attrib.p;
  out.attrib.avl = in.attrib.avl;
  out.attrib.l = in.attrib.l;
  out.attrib.def = in.attrib.def;
  out.attrib.g = in.attrib.g;
  out.attrib.rsvd = 0;
  out.limit = in.limit;
  out.base = in.base;
}

void segFrom(const nvmm_x64_state_seg& in, SegState& out) {
  out = SegState{};
  out.selector = in.selector;
  out.attrib.type = in.attrib.type;
  out.attrib.s = in.attrib.s;
  out.attrib.dpl = in.attrib.dpl;
  out.attrib.p = in.attrib.p;
  out.attrib.avl = in.attrib.avl;
  out.attrib.l = in.attrib.l;
  out.attrib.def = in.attrib.def;
  out.attrib.g = in.attrib.g;
  out.limit = in.limit;
  out.base = in.base;
}

}  // namespace

void stateToNvmm(const CpuState& in, nvmm_x64_state& out) {
  for (int i = 0; i < SEG_COUNT; ++i) segTo(in.segs[i], out.segs[i]);
  for (int i = 0; i < GPR_COUNT; ++i) out.gprs[i] = in.gprs[i];
  out.gprs[GPR_RFLAGS] |= 2;
  for (int i = 0; i < CR_COUNT; ++i) out.crs[i] = in.crs[i];
  if (!(out.crs[CR_XCR0] & 1)) out.crs[CR_XCR0] |= 1;  // x87 state can never be disabled
  for (int i = 0; i < DR_COUNT; ++i) out.drs[i] = in.drs[i];
  for (int i = 0; i < MSR_COUNT; ++i) out.msrs[i] = in.msrs[i];
  out.intr.int_shadow = in.intr.int_shadow;
  out.intr.int_window_exiting = in.intr.int_window_exiting;
  out.intr.nmi_window_exiting = in.intr.nmi_window_exiting;
  // evt_pending is NVMM's to report, not ours to set.
  fpuToFxsave(in.fpu, reinterpret_cast<uint8_t*>(&out.fpu));
}

void stateFromNvmm(const nvmm_x64_state& in, CpuState& out) {
  for (int i = 0; i < SEG_COUNT; ++i) segFrom(in.segs[i], out.segs[i]);
  for (int i = 0; i < GPR_COUNT; ++i) out.gprs[i] = in.gprs[i];
  for (int i = 0; i < CR_COUNT; ++i) out.crs[i] = in.crs[i];
  for (int i = 0; i < DR_COUNT; ++i) out.drs[i] = in.drs[i];
  for (int i = 0; i < MSR_COUNT; ++i) out.msrs[i] = in.msrs[i];
  out.intr.int_shadow = in.intr.int_shadow;
  out.intr.int_window_exiting = in.intr.int_window_exiting;
  out.intr.nmi_window_exiting = in.intr.nmi_window_exiting;
  out.intr.evt_pending = in.intr.evt_pending;
  fpuFromFxsave(reinterpret_cast<const uint8_t*>(&in.fpu), out.fpu);
}

}  // namespace bv
