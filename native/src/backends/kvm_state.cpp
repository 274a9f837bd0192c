#include "backends/kvm_state.h"

#include <sys/ioctl.h>

#include <cstring>

#include "backends/fpu_image.h"

namespace bv {

void segmentToKvm(const SegState& in, kvm_segment& out) { segmentFieldsToKvm(in, out); }

void segmentFromKvm(const kvm_segment& in, SegState& out) {
  out = SegState{};
  segmentFieldsFromKvm(in, out);
}

namespace {

void tableToKvm(const SegState& in, kvm_dtable& out) {
  out.base = in.base;
  out.limit = static_cast<uint16_t>(in.limit);
  std::memset(out.padding, 0, sizeof(out.padding));
}

void tableFromKvm(const kvm_dtable& in, SegState& out) {
  out = SegState{};
  out.base = in.base;
  out.limit = in.limit;
}

}  // namespace

void prepareKvmMsrs(KvmMsrBuffer& b) {
  b.nmsrs = kKvmMsrCount;
  b.pad = 0;
  for (int i = 0; i < kKvmMsrCount; ++i) {
    b.entries[i].index = kKvmMsrNumbers[i];
    b.entries[i].reserved = 0;
  }
}

void stateToKvm(const CpuState& in, KvmRegisterSet& out) {
  // kvm_regs has the GPRs in x86 encoding order except RBX/RDX swap places relative to NVMM's numbering
  // (NVMM: RAX RCX RDX RBX; kvm_regs: rax rbx rcx rdx), so every field is named.
  kvm_regs& r = out.regs;
  const uint64_t* g = in.gprs;
  r.rax = g[GPR_RAX];
  r.rbx = g[GPR_RBX];
  r.rcx = g[GPR_RCX];
  r.rdx = g[GPR_RDX];
  r.rsi = g[GPR_RSI];
  r.rdi = g[GPR_RDI];
  r.rsp = g[GPR_RSP];
  r.rbp = g[GPR_RBP];
  r.r8 = g[GPR_R8];
  r.r9 = g[GPR_R9];
  r.r10 = g[GPR_R10];
  r.r11 = g[GPR_R11];
  r.r12 = g[GPR_R12];
  r.r13 = g[GPR_R13];
  r.r14 = g[GPR_R14];
  r.r15 = g[GPR_R15];
  r.rip = g[GPR_RIP];
  r.rflags = g[GPR_RFLAGS] | 2;  // bit 1 is always one; KVM refuses entry otherwise

  kvm_sregs& s = out.sregs;
  segmentToKvm(in.segs[SEG_ES], s.es);
  segmentToKvm(in.segs[SEG_CS], s.cs);
  segmentToKvm(in.segs[SEG_SS], s.ss);
  segmentToKvm(in.segs[SEG_DS], s.ds);
  segmentToKvm(in.segs[SEG_FS], s.fs);
  segmentToKvm(in.segs[SEG_GS], s.gs);
  segmentToKvm(in.segs[SEG_LDT], s.ldt);
  segmentToKvm(in.segs[SEG_TR], s.tr);
  // TR and CS are never "unusable" on VMX; a busy TSS with p=0 would be an invalid guest state anyway.
  s.tr.unusable = 0;
  s.cs.unusable = 0;
  tableToKvm(in.segs[SEG_GDT], s.gdt);
  tableToKvm(in.segs[SEG_IDT], s.idt);
  s.cr0 = in.crs[CR_CR0];
  s.cr2 = in.crs[CR_CR2];
  s.cr3 = in.crs[CR_CR3];
  s.cr4 = in.crs[CR_CR4];
  s.cr8 = in.crs[CR_CR8];
  s.efer = in.msrs[MSR_EFER];
  // interrupt_bitmap: a pending external interrupt is the monitor's business (it injects through the
  // window), so nothing is left queued across a handover.
  std::memset(s.interrupt_bitmap, 0, sizeof(s.interrupt_bitmap));

  kvm_debugregs& d = out.debugregs;
  for (int i = 0; i < 4; ++i) d.db[i] = in.drs[DR_DR0 + i];
  d.dr6 = in.drs[DR_DR6];
  d.dr7 = in.drs[DR_DR7];
  d.flags = 0;

  kvm_vcpu_events& e = out.events;
  e.interrupt.shadow = in.intr.int_shadow ? KVM_X86_SHADOW_INT_STI : 0;
  // Only the shadow is ours to set; KVM_VCPUEVENT_VALID_SHADOW tells KVM to leave the rest alone.
  e.flags = KVM_VCPUEVENT_VALID_SHADOW;

  prepareKvmMsrs(out.msrs);
  for (int i = 0; i < kKvmMsrCount; ++i) out.msrs.entries[i].data = in.msrs[MSR_STAR + i];
  out.xcr0 = in.crs[CR_XCR0] ? in.crs[CR_XCR0] : 1;  // x87 state can never be disabled
  fpuToKvm(in.fpu, out.fpu);
}

namespace {
// kvm_fpu's x87 fields beside FxsaveX87's, for either direction of `copy(kvm field, image field)`.
template <class Kvm, class Image, class Copy>
void pairX87(Kvm& k, Image& x, Copy copy) {
  copy(k.fcw, x.fcw);
  copy(k.fsw, x.fsw);
  copy(k.ftwx, x.ftwx);
  copy(k.last_opcode, x.fop);
  copy(k.last_ip, x.fip);
  copy(k.last_dp, x.fdp);
  for (int i = 0; i < 8; ++i)
    for (int b = 0; b < 16; ++b) copy(k.fpr[i][b], x.st[i][b]);
}
}  // namespace

FxsaveX87 x87FromKvm(const kvm_fpu& f) {
  FxsaveX87 x;
  pairX87(f, x, [](const auto& from, auto& to) { to = from; });
  return x;
}

void x87ToKvm(const FxsaveX87& x, kvm_fpu& f) {
  pairX87(f, x, [](auto& to, const auto& from) { to = from; });
}

void fpuToKvm(const FpuState& in, kvm_fpu& out) { x87ToKvm(x87FromFpu(in), out); }

void fpuFromKvm(const kvm_fpu& in, FpuState& out) { fpuFromX87(x87FromKvm(in), out); }

bool setKvmFpu(int vcpuFd, const kvm_fpu& f) {
  if (ioctl(vcpuFd, KVM_SET_FPU, &f) != 0) return false;
  KvmXsave x{};
  if (ioctl(vcpuFd, kKvmGetXsave, &x) != 0) return true;  // no XSAVE: KVM_SET_FPU is all there is
  auto* area = reinterpret_cast<uint8_t*>(x.region);
  writeFxsaveX87(x87FromKvm(f), area);  // the XSAVE area opens with the FXSAVE image
  uint64_t bv;
  std::memcpy(&bv, area + kFxsaveSize, 8);  // XSTATE_BV, the first field of the XSAVE header
  bv |= 1;
  std::memcpy(area + kFxsaveSize, &bv, 8);
  // A refusal here would lose the state without a word (the guest would start from FNINIT's), so it fails the
  // hand-over like KVM_SET_FPU's.
  return ioctl(vcpuFd, kKvmSetXsave, &x) == 0;
}

void stateFromKvm(const KvmRegisterSet& in, CpuState& out) {
  fpuFromKvm(in.fpu, out.fpu);
  const kvm_regs& r = in.regs;
  uint64_t* g = out.gprs;
  g[GPR_RAX] = r.rax;
  g[GPR_RBX] = r.rbx;
  g[GPR_RCX] = r.rcx;
  g[GPR_RDX] = r.rdx;
  g[GPR_RSI] = r.rsi;
  g[GPR_RDI] = r.rdi;
  g[GPR_RSP] = r.rsp;
  g[GPR_RBP] = r.rbp;
  g[GPR_R8] = r.r8;
  g[GPR_R9] = r.r9;
  g[GPR_R10] = r.r10;
  g[GPR_R11] = r.r11;
  g[GPR_R12] = r.r12;
  g[GPR_R13] = r.r13;
  g[GPR_R14] = r.r14;
  g[GPR_R15] = r.r15;
  g[GPR_RIP] = r.rip;
  g[GPR_RFLAGS] = r.rflags;

  const kvm_sregs& s = in.sregs;
  segmentFromKvm(s.es, out.segs[SEG_ES]);
  segmentFromKvm(s.cs, out.segs[SEG_CS]);
  segmentFromKvm(s.ss, out.segs[SEG_SS]);
  segmentFromKvm(s.ds, out.segs[SEG_DS]);
  segmentFromKvm(s.fs, out.segs[SEG_FS]);
  segmentFromKvm(s.gs, out.segs[SEG_GS]);
  segmentFromKvm(s.ldt, out.segs[SEG_LDT]);
  segmentFromKvm(s.tr, out.segs[SEG_TR]);
  // TR/CS are always usable (see stateToKvm); keep p from the descriptor so a round trip is exact.
  out.segs[SEG_TR].attrib.p = s.tr.present;
  out.segs[SEG_CS].attrib.p = s.cs.present;
  tableFromKvm(s.gdt, out.segs[SEG_GDT]);
  tableFromKvm(s.idt, out.segs[SEG_IDT]);
  out.crs[CR_CR0] = s.cr0;
  out.crs[CR_CR2] = s.cr2;
  out.crs[CR_CR3] = s.cr3;
  out.crs[CR_CR4] = s.cr4;
  out.crs[CR_CR8] = s.cr8;
  out.crs[CR_XCR0] = in.xcr0;
  out.msrs[MSR_EFER] = s.efer;

  for (int i = 0; i < 4; ++i) out.drs[DR_DR0 + i] = in.debugregs.db[i];
  out.drs[DR_DR6] = in.debugregs.dr6;
  out.drs[DR_DR7] = in.debugregs.dr7;

  const kvm_vcpu_events& e = in.events;
  out.intr.int_shadow = e.interrupt.shadow != 0;
  out.intr.evt_pending = e.exception.injected || e.exception.pending || e.interrupt.injected || e.nmi.injected;
  for (int i = 0; i < kKvmMsrCount && i < static_cast<int>(in.msrs.nmsrs); ++i) {
    out.msrs[MSR_STAR + i] = in.msrs.entries[i].data;
  }
}

}  // namespace bv
