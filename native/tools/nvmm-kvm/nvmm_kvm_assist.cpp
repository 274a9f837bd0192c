// nvmm_assist_io and nvmm_assist_mem over KVM. KVM has already decoded the instruction behind an IO or MMIO
// exit and finishes it when entered again; the shim hands each access to libnvmm's callbacks (one call per
// element, as libnvmm does), then lets KVM finish with immediate_exit set so that nothing after the
// instruction runs. libnvmm's own decoder knows fewer instructions than KVM's emulator: assist_mem refuses
// the ones libnvmm would refuse (ENODEV), so a backend that works here does not rely on KVM's wider set.
#include <errno.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <cstring>

#include "nvmm_kvm.h"

namespace nvmmkvm {

namespace {

struct Prefixes {
  size_t len = 0;
  int seg = -1;  // NVMM_X64_SEG_* of a segment override
  bool rep = false;
  bool addressSize = false;
};

Prefixes scanPrefixes(const uint8_t* b, size_t n, bool longMode) {
  Prefixes p;
  for (; p.len < n; ++p.len) {
    switch (b[p.len]) {
      case 0x26: p.seg = NVMM_X64_SEG_ES; continue;
      case 0x2E: p.seg = NVMM_X64_SEG_CS; continue;
      case 0x36: p.seg = NVMM_X64_SEG_SS; continue;
      case 0x3E: p.seg = NVMM_X64_SEG_DS; continue;
      case 0x64: p.seg = NVMM_X64_SEG_FS; continue;
      case 0x65: p.seg = NVMM_X64_SEG_GS; continue;
      case 0xF2:
      case 0xF3: p.rep = true; continue;
      case 0x67: p.addressSize = true; continue;
      case 0x66:
      case 0xF0: continue;
      default: break;
    }
    if (longMode && (b[p.len] & 0xF0) == 0x40) continue;  // REX
    break;
  }
  return p;
}

bool longModeOf(const kvm_sregs& s) { return s.cs.l && (s.efer & 0x400); }

// The instructions libnvmm's decoder emulates (libnvmm_x86.c: its primary and secondary opcode tables, and
// the members of groups 1, 3 and 11 it fills in). ADD, ADC, SBB, CMP r/m, TEST r/m, MOVSX, CMPS, SCAS...
// make libnvmm fail with ENODEV.
bool libnvmmDecodes(const uint8_t* b, size_t n, bool longMode) {
  const Prefixes p = scanPrefixes(b, n, longMode);
  if (p.len >= n) return false;
  const uint8_t op = b[p.len];
  const int reg = p.len + 1 < n ? (b[p.len + 1] >> 3) & 7 : -1;
  switch (op) {
    case 0x80:
    case 0x81:
    case 0x83: return reg == 1 || reg == 4 || reg == 6 || reg == 7;  // OR AND XOR CMP
    case 0xF6:
    case 0xF7: return reg == 0 || reg == 1;  // TEST
    case 0xC6:
    case 0xC7: return reg == 0;                                                         // MOV
    case 0x0F: return p.len + 1 < n && (b[p.len + 1] == 0xB6 || b[p.len + 1] == 0xB7);  // MOVZX
    default: break;
  }
  return (op >= 0x08 && op <= 0x0B) || (op >= 0x20 && op <= 0x23) || (op >= 0x28 && op <= 0x2B) ||
         (op >= 0x30 && op <= 0x33) || (op >= 0x86 && op <= 0x8B) || (op >= 0xA0 && op <= 0xA5) ||
         (op >= 0xAA && op <= 0xAD);
}

constexpr int kMaxRounds = 1 << 20;  // accesses of one instruction (a REP string op with a huge count)

}  // namespace

// The IO exit NVMM would give: what KVM said, plus what NVMM's kernel decodes (rep, str, segment, address
// size, next RIP).
void describeIo(Vcpu& v, const kvm_regs& r, const kvm_sregs& s, nvmm_x86_exit_io& io) {
  io.in = v.run->io.direction == KVM_EXIT_IO_IN;
  io.port = v.run->io.port;
  io.operand_size = v.run->io.size;
  io.seg = -1;
  io.rep = false;
  io.str = false;
  uint8_t b[15];
  const size_t n = fetchInstruction(v, r, s, b, sizeof b);
  const bool lm = longModeOf(s);
  const Prefixes p = scanPrefixes(b, n, lm);
  io.address_size = lm ? (p.addressSize ? 4 : 8) : (s.cs.db ? (p.addressSize ? 2 : 4) : (p.addressSize ? 4 : 2));
  size_t len = p.len + 1;
  if (p.len < n) {
    const uint8_t op = b[p.len];
    if (op >= 0xE4 && op <= 0xE7) len += 1;  // imm8 port
    if (op >= 0x6C && op <= 0x6F) {
      io.str = true;
      io.rep = p.rep;
      io.seg = op <= 0x6D ? NVMM_X64_SEG_ES : (p.seg >= 0 ? p.seg : NVMM_X64_SEG_DS);
    }
  }
  io.npc = r.rip + len;
}

bool finishPending(Vcpu& v, nvmm_machine* mach, nvmm_vcpu* vcpu, bool withCallbacks) {
  kvm_run* run = v.run;
  if (v.pending == Pending::Write) {
    // KVM is already back before the instruction: assisting means the write and the state after it.
    v.pending = Pending::None;
    if (!withCallbacks) return true;
    nvmm_mem m{};
    m.mach = mach;
    m.vcpu = vcpu;
    m.gpa = v.writeGpa;
    m.write = true;
    m.size = v.writeLen;
    m.data = v.writeData;
    vcpu->cbs.mem(&m);
    return ioctl(v.fd, KVM_SET_REGS, &v.postRegs) == 0 && ioctl(v.fd, KVM_SET_SREGS, &v.postSregs) == 0;
  }
  bool ok = true;
  for (int round = 0; v.pending != Pending::None; ++round) {
    if (round >= kMaxRounds) {
      ok = false;
      break;
    }
    if (v.pending == Pending::Io) {
      uint8_t* data = reinterpret_cast<uint8_t*>(run) + run->io.data_offset;
      const bool in = run->io.direction == KVM_EXIT_IO_IN;
      for (uint32_t i = 0; i < run->io.count; ++i) {
        if (!withCallbacks) {
          if (in) std::memset(data + i * run->io.size, 0, run->io.size);
          continue;
        }
        nvmm_io io{};
        io.mach = mach;
        io.vcpu = vcpu;
        io.port = run->io.port;
        io.in = in;
        io.size = run->io.size;
        io.data = data + i * run->io.size;
        vcpu->cbs.io(&io);
      }
    } else if (v.pending == Pending::Mmio) {
      if (withCallbacks) {
        nvmm_mem m{};
        m.mach = mach;
        m.vcpu = vcpu;
        m.gpa = run->mmio.phys_addr;
        m.write = run->mmio.is_write;
        m.size = run->mmio.len;
        m.data = run->mmio.data;
        vcpu->cbs.mem(&m);
      } else if (!run->mmio.is_write) {
        // Undoing: KVM still writes what it read to the instruction's destination (a MOVS into RAM), so it
        // gets the page's real bytes where there are some.
        std::memset(run->mmio.data, 0, sizeof run->mmio.data);
        const Area* a = areaAt(*v.mach, run->mmio.phys_addr);
        const uint32_t len = run->mmio.len > 8 ? 8 : run->mmio.len;
        if (a && run->mmio.phys_addr + len <= a->gpa + a->size) {
          std::memcpy(run->mmio.data, reinterpret_cast<const void*>(a->hva + (run->mmio.phys_addr - a->gpa)), len);
        }
      }
    } else {
      run->msr.error = 0;
      run->msr.data = 0;
    }
    run->immediate_exit = 1;
    const int r = ioctl(v.fd, KVM_RUN, 0);
    const int err = errno;
    v.pending = Pending::None;
    if (r == 0 && run->exit_reason == KVM_EXIT_IO) v.pending = Pending::Io;  // the same instruction goes on
    else if (r == 0 && run->exit_reason == KVM_EXIT_MMIO) v.pending = Pending::Mmio;
    else if (r != 0 && err != EINTR && err != EAGAIN) ok = false;
    // Otherwise finished: -EINTR, or KVM_EXIT_DEBUG when the instruction was being single-stepped.
  }
  run->immediate_exit = v.comm->stop ? 1 : 0;
  return ok;
}

}  // namespace nvmmkvm

using namespace nvmmkvm;

namespace {

Vcpu* pendingVcpu(nvmm_machine* mach, nvmm_vcpu* vcpu, Pending want, Pending orWant = Pending::None) {
  if (!mach || !vcpu || !vcpu->state) return nullptr;
  Machine* m = static_cast<Machine*>(mach->areas);
  if (!m || vcpu->cpuid >= m->vcpus.size() || !m->vcpus[vcpu->cpuid]) return nullptr;
  Vcpu* v = m->vcpus[vcpu->cpuid];
  if (&v->comm->state != vcpu->state || (v->pending != want && v->pending != orWant)) return nullptr;
  return v;
}

int afterAssist(Vcpu& v, nvmm_machine* mach, nvmm_vcpu* vcpu) {
  if (!finishPending(v, mach, vcpu, true)) {
    errno = EFAULT;
    return -1;
  }
  // As libnvmm's setstate(GPRS) after its emulation: the new RIP and registers are the vCPU's.
  if (!readState(v, NVMM_X64_STATE_GPRS, v.comm->state)) {
    errno = EFAULT;
    return -1;
  }
  v.comm->state_cached |= NVMM_X64_STATE_GPRS;
  return 0;
}

}  // namespace

extern "C" int nvmm_assist_io(nvmm_machine* mach, nvmm_vcpu* vcpu) {
  Vcpu* v = pendingVcpu(mach, vcpu, Pending::Io);
  // Strict: only right after an IO exit, with an io callback, and before any setstate (libnvmm would emulate
  // from the committed state, which KVM's half-done instruction cannot take).
  if (!v || vcpu->exit->reason != NVMM_VCPU_EXIT_IO || !vcpu->cbs.io || v->comm->state_commit) {
    errno = EINVAL;
    return -1;
  }
  return afterAssist(*v, mach, vcpu);
}

extern "C" int nvmm_assist_mem(nvmm_machine* mach, nvmm_vcpu* vcpu) {
  Vcpu* v = pendingVcpu(mach, vcpu, Pending::Mmio, Pending::Write);
  if (!v || vcpu->exit->reason != NVMM_VCPU_EXIT_MEMORY || !vcpu->cbs.mem || v->comm->state_commit ||
      (vcpu->exit->u.mem.prot & PROT_EXEC)) {
    errno = EINVAL;  // an execute fault is not a data access: libnvmm(3) says not to assist it
    return -1;
  }
  uint8_t b[15];
  const size_t n = fetchInstruction(*v, v->preRegs, v->preSregs, b, sizeof b);
  if (n == 0) {
    errno = EFAULT;
    return -1;
  }
  if (!libnvmmDecodes(b, n, longModeOf(v->preSregs))) {
    errno = ENODEV;
    return -1;
  }
  return afterAssist(*v, mach, vcpu);
}
