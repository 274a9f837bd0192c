// struct nvmm_x64_state, one NVMM_X64_STATE_* group at a time, to and from KVM's register ioctls. Written
// against NVMM's layout directly (not through the NVMM backend's CpuState conversion), so a mistake in the
// backend's own conversion is not mirrored here; only the KVM side (segment fields, MSR list, kvm_fpu as an
// FXSAVE image) is shared with the KVM backend, whose KVM_SET_XSAVE puts that image before the hardware.
#include <sys/ioctl.h>

#include <cstring>

#include "backends/kvm_state.h"  // the ioctl numbers and buffers C++ needs for KVM's flexible arrays
#include "nvmm_kvm.h"

namespace nvmmkvm {

namespace {

void segTo(const nvmm_x64_state_seg& in, kvm_segment& out) { bv::segmentFieldsToKvm(in, out); }

void segFrom(const kvm_segment& in, nvmm_x64_state_seg& out) {
  std::memset(&out, 0, sizeof out);
  bv::segmentFieldsFromKvm(in, out);
}

kvm_segment* kvmSeg(kvm_sregs& s, int i) {
  switch (i) {
    case NVMM_X64_SEG_ES: return &s.es;
    case NVMM_X64_SEG_CS: return &s.cs;
    case NVMM_X64_SEG_SS: return &s.ss;
    case NVMM_X64_SEG_DS: return &s.ds;
    case NVMM_X64_SEG_FS: return &s.fs;
    case NVMM_X64_SEG_GS: return &s.gs;
    case NVMM_X64_SEG_LDT: return &s.ldt;
    case NVMM_X64_SEG_TR: return &s.tr;
    default: return nullptr;
  }
}

__u64* gprSlot(kvm_regs& r, int i) {
  __u64* order[NVMM_X64_NGPR] = {&r.rax, &r.rcx, &r.rdx, &r.rbx, &r.rsp, &r.rbp, &r.rsi, &r.rdi, &r.r8,
                                 &r.r9,  &r.r10, &r.r11, &r.r12, &r.r13, &r.r14, &r.r15, &r.rip, &r.rflags};
  return order[i];
}

// The 512-byte FXSAVE image NVMM uses, from KVM's kvm_fpu (same fields, different packing).
void fpuFrom(const kvm_fpu& f, uint8_t* fx) {
  std::memset(fx, 0, bv::kFxsaveSize);
  bv::writeFxsaveX87(bv::x87FromKvm(f), fx);
  std::memcpy(fx + bv::kFxsaveMxcsr, &f.mxcsr, 4);
  const uint32_t mask = 0xFFFF;
  std::memcpy(fx + bv::kFxsaveMxcsrMask, &mask, 4);
  std::memcpy(fx + bv::kFxsaveXmm, f.xmm, sizeof f.xmm);
}

void fpuTo(const uint8_t* fx, kvm_fpu& f) {
  std::memset(&f, 0, sizeof f);
  bv::x87ToKvm(bv::readFxsaveX87(fx), f);
  std::memcpy(&f.mxcsr, fx + bv::kFxsaveMxcsr, 4);
  std::memcpy(f.xmm, fx + bv::kFxsaveXmm, sizeof f.xmm);
}

// NVMM's MSR indices from STAR on are kvm_state.h's list, in the same order.
static_assert(NVMM_X64_MSR_TSC - NVMM_X64_MSR_STAR + 1 == bv::kKvmMsrCount, "MSR list");

}  // namespace

void stateFromKvmRegs(const kvm_regs& r, nvmm_x64_state& s) {
  kvm_regs copy = r;
  for (int i = 0; i < NVMM_X64_NGPR; ++i) s.gprs[i] = *gprSlot(copy, i);
}

void stateFromKvmSregs(const kvm_sregs& r, nvmm_x64_state& s) {
  kvm_sregs copy = r;
  for (int i = 0; i < NVMM_X64_NSEG; ++i) {
    if (kvm_segment* k = kvmSeg(copy, i)) segFrom(*k, s.segs[i]);
  }
  std::memset(&s.segs[NVMM_X64_SEG_GDT], 0, sizeof s.segs[0]);
  s.segs[NVMM_X64_SEG_GDT].base = r.gdt.base;
  s.segs[NVMM_X64_SEG_GDT].limit = r.gdt.limit;
  std::memset(&s.segs[NVMM_X64_SEG_IDT], 0, sizeof s.segs[0]);
  s.segs[NVMM_X64_SEG_IDT].base = r.idt.base;
  s.segs[NVMM_X64_SEG_IDT].limit = r.idt.limit;
  s.crs[NVMM_X64_CR_CR0] = r.cr0;
  s.crs[NVMM_X64_CR_CR2] = r.cr2;
  s.crs[NVMM_X64_CR_CR3] = r.cr3;
  s.crs[NVMM_X64_CR_CR4] = r.cr4;
  s.crs[NVMM_X64_CR_CR8] = r.cr8;
  s.msrs[NVMM_X64_MSR_EFER] = r.efer;
}

bool readState(Vcpu& v, uint64_t flags, nvmm_x64_state& s) {
  if (flags & NVMM_X64_STATE_GPRS) {
    kvm_regs r{};
    if (ioctl(v.fd, KVM_GET_REGS, &r) != 0) return false;
    stateFromKvmRegs(r, s);
  }
  if (flags & (NVMM_X64_STATE_SEGS | NVMM_X64_STATE_CRS | NVMM_X64_STATE_MSRS)) {
    kvm_sregs r{};
    if (ioctl(v.fd, KVM_GET_SREGS, &r) != 0) return false;
    nvmm_x64_state t = s;
    stateFromKvmSregs(r, t);
    if (flags & NVMM_X64_STATE_SEGS) std::memcpy(s.segs, t.segs, sizeof s.segs);
    if (flags & NVMM_X64_STATE_CRS) std::memcpy(s.crs, t.crs, sizeof s.crs);
    if (flags & NVMM_X64_STATE_MSRS) s.msrs[NVMM_X64_MSR_EFER] = t.msrs[NVMM_X64_MSR_EFER];
  }
  if (flags & NVMM_X64_STATE_CRS) {
    kvm_xcrs x{};
    s.crs[NVMM_X64_CR_XCR0] = 1;
    if (ioctl(v.fd, KVM_GET_XCRS, &x) == 0) {
      for (uint32_t i = 0; i < x.nr_xcrs; ++i) {
        if (x.xcrs[i].xcr == 0) s.crs[NVMM_X64_CR_XCR0] = x.xcrs[i].value;
      }
    }
  }
  if (flags & NVMM_X64_STATE_DRS) {
    kvm_debugregs d{};
    if (ioctl(v.fd, KVM_GET_DEBUGREGS, &d) != 0) return false;
    for (int i = 0; i < 4; ++i) s.drs[NVMM_X64_DR_DR0 + i] = d.db[i];
    s.drs[NVMM_X64_DR_DR6] = d.dr6;
    s.drs[NVMM_X64_DR_DR7] = d.dr7;
  }
  if (flags & NVMM_X64_STATE_MSRS) {
    bv::KvmMsrBuffer b{};
    bv::prepareKvmMsrs(b);
    // KVM stops at the first MSR it does not have; the ones before it are read.
    const int n = ioctl(v.fd, bv::kKvmGetMsrs, &b);
    if (n < 0) return false;
    for (int i = 0; i < n && i < bv::kKvmMsrCount; ++i) s.msrs[NVMM_X64_MSR_STAR + i] = b.entries[i].data;
  }
  if (flags & NVMM_X64_STATE_INTR) {
    kvm_vcpu_events e{};
    if (ioctl(v.fd, KVM_GET_VCPU_EVENTS, &e) != 0) return false;
    s.intr.int_shadow = e.interrupt.shadow ? 1 : 0;
    s.intr.int_window_exiting = v.windowExiting ? 1 : 0;
    s.intr.nmi_window_exiting = 0;
    s.intr.evt_pending =
        (e.exception.injected || e.exception.pending || e.interrupt.injected || e.nmi.injected) ? 1 : 0;
  }
  if (flags & NVMM_X64_STATE_FPU) {
    kvm_fpu f{};
    if (ioctl(v.fd, KVM_GET_FPU, &f) != 0) return false;
    fpuFrom(f, reinterpret_cast<uint8_t*>(&s.fpu));
  }
  return true;
}

bool writeState(Vcpu& v, uint64_t flags, const nvmm_x64_state& s) {
  if (flags & NVMM_X64_STATE_GPRS) {
    kvm_regs r{};
    for (int i = 0; i < NVMM_X64_NGPR; ++i) *gprSlot(r, i) = s.gprs[i];
    if (ioctl(v.fd, KVM_SET_REGS, &r) != 0) return false;
  }
  if (flags & (NVMM_X64_STATE_SEGS | NVMM_X64_STATE_CRS | NVMM_X64_STATE_MSRS)) {
    kvm_sregs r{};
    if (ioctl(v.fd, KVM_GET_SREGS, &r) != 0) return false;  // keeps apic_base and the interrupt bitmap
    if (flags & NVMM_X64_STATE_SEGS) {
      for (int i = 0; i < NVMM_X64_NSEG; ++i) {
        if (kvm_segment* k = kvmSeg(r, i)) segTo(s.segs[i], *k);
      }
      r.gdt.base = s.segs[NVMM_X64_SEG_GDT].base;
      r.gdt.limit = static_cast<uint16_t>(s.segs[NVMM_X64_SEG_GDT].limit);
      r.idt.base = s.segs[NVMM_X64_SEG_IDT].base;
      r.idt.limit = static_cast<uint16_t>(s.segs[NVMM_X64_SEG_IDT].limit);
    }
    if (flags & NVMM_X64_STATE_CRS) {
      r.cr0 = s.crs[NVMM_X64_CR_CR0];
      r.cr2 = s.crs[NVMM_X64_CR_CR2];
      r.cr3 = s.crs[NVMM_X64_CR_CR3];
      r.cr4 = s.crs[NVMM_X64_CR_CR4];
      r.cr8 = s.crs[NVMM_X64_CR_CR8];
    }
    if (flags & NVMM_X64_STATE_MSRS) r.efer = s.msrs[NVMM_X64_MSR_EFER];
    if (ioctl(v.fd, KVM_SET_SREGS, &r) != 0) return false;
  }
  if (flags & NVMM_X64_STATE_CRS) {
    kvm_xcrs x{};
    x.nr_xcrs = 1;
    x.xcrs[0].xcr = 0;
    x.xcrs[0].value = s.crs[NVMM_X64_CR_XCR0];
    if (ioctl(v.fd, KVM_SET_XCRS, &x) != 0) return false;
  }
  if (flags & NVMM_X64_STATE_DRS) {
    kvm_debugregs d{};
    for (int i = 0; i < 4; ++i) d.db[i] = s.drs[NVMM_X64_DR_DR0 + i];
    d.dr6 = s.drs[NVMM_X64_DR_DR6];
    d.dr7 = s.drs[NVMM_X64_DR_DR7];
    if (ioctl(v.fd, KVM_SET_DEBUGREGS, &d) != 0) return false;
  }
  if (flags & NVMM_X64_STATE_MSRS) {
    bv::KvmMsrBuffer b{};
    bv::prepareKvmMsrs(b);
    for (int i = 0; i < bv::kKvmMsrCount; ++i) b.entries[i].data = s.msrs[NVMM_X64_MSR_STAR + i];
    if (ioctl(v.fd, bv::kKvmSetMsrs, &b) < 0) return false;
  }
  if (flags & NVMM_X64_STATE_INTR) {
    kvm_vcpu_events e{};
    if (ioctl(v.fd, KVM_GET_VCPU_EVENTS, &e) != 0) return false;
    e.interrupt.shadow = s.intr.int_shadow ? KVM_X86_SHADOW_INT_MOV_SS : 0;
    e.flags = KVM_VCPUEVENT_VALID_SHADOW;
    if (ioctl(v.fd, KVM_SET_VCPU_EVENTS, &e) != 0) return false;
    v.windowExiting = s.intr.int_window_exiting;
  }
  if (flags & NVMM_X64_STATE_FPU) {
    kvm_fpu f{};
    fpuTo(reinterpret_cast<const uint8_t*>(&s.fpu), f);
    if (!bv::setKvmFpu(v.fd, f)) return false;  // NVMM marks the x87 state in use (XSTATE_BV) on setstate too
  }
  return true;
}

// The x86 RESET state, which NVMM installs in a new vCPU (and KVM's differs in details such as RDX).
void resetState(nvmm_x64_state& s) {
  std::memset(&s, 0, sizeof s);
  for (int i = 0; i < NVMM_X64_NSEG; ++i) {
    s.segs[i].limit = 0xFFFF;
    s.segs[i].attrib.p = 1;
    s.segs[i].attrib.s = 1;
    s.segs[i].attrib.type = 3;  // data, read/write, accessed
  }
  s.segs[NVMM_X64_SEG_CS].selector = 0xF000;
  s.segs[NVMM_X64_SEG_CS].base = 0xFFFF0000;
  s.segs[NVMM_X64_SEG_CS].attrib.type = 0xB;  // code, read, accessed
  for (int i : {NVMM_X64_SEG_GDT, NVMM_X64_SEG_IDT}) std::memset(&s.segs[i].attrib, 0, sizeof s.segs[i].attrib);
  s.segs[NVMM_X64_SEG_LDT].attrib.s = 0;
  s.segs[NVMM_X64_SEG_LDT].attrib.type = 2;
  s.segs[NVMM_X64_SEG_TR].attrib.s = 0;
  s.segs[NVMM_X64_SEG_TR].attrib.type = 3;  // busy 16-bit TSS
  s.gprs[NVMM_X64_GPR_RIP] = 0xFFF0;
  s.gprs[NVMM_X64_GPR_RFLAGS] = 0x2;
  s.gprs[NVMM_X64_GPR_RDX] = 0x600;
  s.crs[NVMM_X64_CR_CR0] = 0x60000010;
  s.crs[NVMM_X64_CR_XCR0] = 1;
  s.drs[NVMM_X64_DR_DR6] = 0xFFFF0FF0;
  s.drs[NVMM_X64_DR_DR7] = 0x400;
  s.msrs[NVMM_X64_MSR_PAT] = 0x0007040600070406ull;
  uint8_t* fx = reinterpret_cast<uint8_t*>(&s.fpu);
  const uint16_t fcw = 0x40;
  const uint32_t mxcsr = 0x1F80;
  std::memcpy(fx, &fcw, 2);
  std::memcpy(fx + 24, &mxcsr, 4);
}

}  // namespace nvmmkvm
