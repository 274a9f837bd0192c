// CpuState (NVMM-shaped) <-> KVM's register structures. Pure functions, so the round trips are tested on
// machines without /dev/kvm. What KVM keeps that CpuState has no field for (apic_base, pending exception
// details, FPU) is left as KVM had it: toKvm() edits the structures it is given instead of building new ones.
#pragma once
#include <linux/kvm.h>

#include <cstddef>
#include <cstdint>

#include "backends/fpu_image.h"
#include "bootvisor/state.h"

namespace bv {

// The MSRs CpuState carries besides EFER (which lives in kvm_sregs), in MsrIndex order from MSR_STAR.
constexpr uint32_t kKvmMsrNumbers[] = {
    0xC0000081,  // STAR
    0xC0000082,  // LSTAR
    0xC0000083,  // CSTAR
    0xC0000084,  // SFMASK
    0xC0000102,  // KERNEL_GS_BASE
    0x174,       // SYSENTER_CS
    0x175,       // SYSENTER_ESP
    0x176,       // SYSENTER_EIP
    0x277,       // PAT
    0x10,        // TSC
};
constexpr int kKvmMsrCount = sizeof(kKvmMsrNumbers) / sizeof(kKvmMsrNumbers[0]);

// Laid out as struct kvm_msrs followed by its entries (kvm_msrs ends in a flexible array, which C++ cannot
// embed), so its address can be handed to KVM_GET_MSRS / KVM_SET_MSRS.
struct KvmMsrBuffer {
  uint32_t nmsrs;
  uint32_t pad;
  kvm_msr_entry entries[kKvmMsrCount];
};
// The kernel (C) puts the entries at offset 8; in C++ the header's __DECLARE_FLEX_ARRAY moves them, so never
// use kvm_msrs itself.
static_assert(offsetof(KvmMsrBuffer, entries) == 8, "kvm_msrs layout as the kernel sees it");

// The same trap for the ioctl numbers, which encode sizeof(argument): in C++ sizeof(kvm_msrs) is 16 and
// sizeof(kvm_cpuid2) 12, so <linux/kvm.h>'s KVM_GET_MSRS etc. name ioctls the kernel does not know.
struct KvmFlexHeader {
  uint32_t count;
  uint32_t pad;
};
constexpr unsigned long kKvmGetMsrs = _IOWR(KVMIO, 0x88, KvmFlexHeader);
constexpr unsigned long kKvmSetMsrs = _IOW(KVMIO, 0x89, KvmFlexHeader);
constexpr unsigned long kKvmGetSupportedCpuid = _IOWR(KVMIO, 0x05, KvmFlexHeader);
constexpr unsigned long kKvmSetCpuid2 = _IOW(KVMIO, 0x90, KvmFlexHeader);
struct KvmSignalMaskHeader {
  uint32_t len;
};
constexpr unsigned long kKvmSetSignalMask = _IOW(KVMIO, 0x8b, KvmSignalMaskHeader);
// kvm_xsave too: its 4096-byte region is followed by a flexible array, 4 more bytes in C++, so KVM_GET_XSAVE
// and KVM_SET_XSAVE failed with EINVAL and the x87 state set before a guest's first x87 instruction was lost.
struct KvmXsave {
  uint32_t region[1024];
};
constexpr unsigned long kKvmGetXsave = _IOR(KVMIO, 0xa4, KvmXsave);
constexpr unsigned long kKvmSetXsave = _IOW(KVMIO, 0xa5, KvmXsave);

// Everything one handover reads or writes.
struct KvmRegisterSet {
  kvm_regs regs{};
  kvm_sregs sregs{};
  kvm_debugregs debugregs{};
  kvm_vcpu_events events{};
  KvmMsrBuffer msrs{};
  uint64_t xcr0 = 1;
  kvm_fpu fpu{};  // the x87 (FXSAVE layout: abridged tag word, registers in ST(i) order); SSE left as it was
};

// The x87 state both ways (KVM_GET_FPU / KVM_SET_FPU). KVM's layout has no code and data selectors: they are
// lost in a hand-over to KVM (the offsets travel). The abridged tag word is widened from the registers.
void fpuToKvm(const FpuState& in, kvm_fpu& out);
void fpuFromKvm(const kvm_fpu& in, FpuState& out);
// kvm_fpu's x87 fields as an FXSAVE image's (fpu_image.h) and back; mxcsr and xmm are not touched.
FxsaveX87 x87FromKvm(const kvm_fpu& f);
void x87ToKvm(const FxsaveX87& x, kvm_fpu& f);
// KVM_SET_FPU on a vCPU, made to stick: KVM_SET_FPU writes the x87 area of the guest's XSAVE buffer but not
// its header, so while the guest has not used the x87 yet (XSTATE_BV bit 0 clear) the next XRSTOR loads the
// x87's init state over it (seen on Linux 6.1: a state set before the guest's first x87 instruction read back
// as FNINIT's). Where KVM_GET_XSAVE works the x87 area is written there too, marked in use, and set with
// KVM_SET_XSAVE. False when KVM refused KVM_SET_FPU or KVM_SET_XSAVE.
bool setKvmFpu(int vcpuFd, const kvm_fpu& f);

// For any segment in NVMM's shape (CpuState's SegState, libnvmm's nvmm_x64_state_seg): same field names.
template <class Seg>
void segmentFieldsToKvm(const Seg& in, kvm_segment& out) {
  out.base = in.base;
  out.limit = in.limit;
  out.selector = in.selector;
  out.type = in.attrib.type;
  out.s = in.attrib.s;
  out.dpl = in.attrib.dpl;
  out.present = in.attrib.p;
  out.avl = in.attrib.avl;
  out.l = in.attrib.l;
  out.db = in.attrib.def;
  out.g = in.attrib.g;
  // NVMM's VMX backend turns p=0 into "unusable"; KVM wants it said explicitly or VM entry fails on
  // null data selectors in protected mode.
  out.unusable = in.attrib.p ? 0 : 1;
  out.padding = 0;
}

// Sets the fields of a zeroed Seg.
template <class Seg>
void segmentFieldsFromKvm(const kvm_segment& in, Seg& out) {
  out.base = in.base;
  out.limit = in.limit;
  out.selector = in.selector;
  out.attrib.type = in.type & 0xF;
  out.attrib.s = in.s & 1;
  out.attrib.dpl = in.dpl & 3;
  out.attrib.p = (in.present && !in.unusable) ? 1 : 0;
  out.attrib.avl = in.avl & 1;
  out.attrib.l = in.l & 1;
  out.attrib.def = in.db & 1;
  out.attrib.g = in.g & 1;
}

void segmentToKvm(const SegState& in, kvm_segment& out);
void segmentFromKvm(const kvm_segment& in, SegState& out);

void stateToKvm(const CpuState& in, KvmRegisterSet& out);
void stateFromKvm(const KvmRegisterSet& in, CpuState& out);

// Fills the MSR index list (values untouched) so the buffer can be handed to KVM_GET_MSRS.
void prepareKvmMsrs(KvmMsrBuffer& b);

}  // namespace bv
