#include "scripted_vcpu.h"

#include <algorithm>

namespace bv {

ScriptedVcpu::ScriptedVcpu(GuestMemory& mem, ExitHandler& h, ScriptedProfile p)
    : mem_(mem),
      h_(h),
      profile_(p),
      st_(bootState(0x80)),
      pageAllowed_(mem.size() >> PAGE_SHIFT, ACCESS_READ | ACCESS_WRITE | ACCESS_EXEC) {}

bool ScriptedVcpu::setGuestDebug(bool singleStep, const std::vector<uint64_t>& bps) {
  if (singleStep || static_cast<int>(bps.size()) > profile_.debugRegisters) return false;
  drs_ = bps;
  return true;
}

bool ScriptedVcpu::protectPage(uint64_t gpa, uint8_t allowed) {
  if ((gpa >> PAGE_SHIFT) >= pageAllowed_.size()) return false;
  if (!profile_.executeOnlyPages && (!(allowed & ACCESS_READ) || !(allowed & ACCESS_EXEC))) return false;
  pageAllowed_[gpa >> PAGE_SHIFT] = allowed;
  return true;
}

bool ScriptedVcpu::takeDirtyPages(std::vector<uint64_t>& pages) {
  pages.assign(dirty_.begin(), dirty_.end());
  dirty_.clear();
  return true;
}

uint8_t ScriptedVcpu::allowed(uint64_t gpa) const {
  const uint64_t p = gpa >> PAGE_SHIFT;
  return p < pageAllowed_.size() ? pageAllowed_[p] : 0;
}

bool ScriptedVcpu::fetch(uint64_t lin, uint8_t& b) {
  if (!mem_.contains(lin, 1)) return false;
  b = mem_.data()[lin];
  return true;
}

Exit ScriptedVcpu::run(uint64_t maxInstructions) {
  Exit e;
  auto memExit = [&](uint8_t access, uint64_t gpa, uint64_t value) {
    e.reason = ExitReason::Memory;
    e.u.mem.access = access;
    e.u.mem.size = 1;
    e.u.mem.gpa = gpa;
    e.u.mem.value = value;
    return e;
  };
  for (uint64_t n = 0; n < maxInstructions; ++n) {
    if (stop_.exchange(false)) {
      e.reason = ExitReason::Stopped;
      return e;
    }
    uint64_t& rip = st_.gprs[GPR_RIP];
    const uint64_t lin = st_.segs[SEG_CS].base + rip;
    if (std::find(drs_.begin(), drs_.end(), lin) != drs_.end()) {  // a debug register fires before execution
      e.reason = ExitReason::Debug;
      e.u.debug.kind = DebugKind::Breakpoint;
      e.u.debug.address = lin;
      e.u.debug.id = -1;
      return e;
    }
    uint8_t op = 0, b1 = 0, b2 = 0;
    if (!fetch(lin, op) || !(allowed(lin) & ACCESS_EXEC)) {
      e.reason = ExitReason::Invalid;
      error_ = "fetch outside RAM";
      return e;
    }
    fetch(lin + 1, b1);
    fetch(lin + 2, b2);
    const uint16_t imm16 = uint16_t(b1 | (b2 << 8));
    uint64_t& ax = st_.gprs[GPR_RAX];
    ++executed;
    switch (op) {
      case 0x90: rip += 1; break;
      case 0x40:
        ax = (ax & ~0xFFFFull) | uint16_t(ax + 1);
        rip += 1;
        break;
      case 0xEB: rip += 2 + int8_t(b1); break;
      case 0xF4:
        rip += 1;
        e.reason = ExitReason::Halted;
        return e;
      case 0xCC:
        if (swBp_) {
          e.reason = ExitReason::Debug;
          e.u.debug.kind = DebugKind::Breakpoint;
          e.u.debug.address = lin;
          e.u.debug.id = -1;
          return e;
        }
        error_ = "INT3 without guest debug";
        e.reason = ExitReason::Invalid;
        return e;
      case 0xE6: {  // out imm8, al
        IoAction a = h_.portOut(b1, 1, uint32_t(ax & 0xFF), rip);
        rip += 2;
        if (a == IoAction::Yield) {
          e.reason = ExitReason::Io;
          e.u.io.in = false;
          e.u.io.port = b1;
          e.u.io.size = 1;
          e.u.io.value = uint32_t(ax & 0xFF);
          return e;
        }
        break;
      }
      case 0xA0: {  // mov al, [imm16]
        const uint64_t gpa = st_.segs[SEG_DS].base + imm16;
        if (!(allowed(gpa) & ACCESS_READ)) return memExit(ACCESS_READ, gpa, 0);  // NVMM-like: not executed
        const uint8_t v = mem_.read8(gpa);
        if (v == profile_.breakpointOpcode) ++patchedBytesSeen;
        ax = (ax & ~0xFFull) | v;
        rip += 3;
        break;
      }
      case 0xA2: {  // mov [imm16], al
        const uint64_t gpa = st_.segs[SEG_DS].base + imm16;
        const uint8_t v = uint8_t(ax);
        if (!(allowed(gpa) & ACCESS_WRITE)) {
          if (!profile_.completesMemoryExits) return memExit(ACCESS_WRITE, gpa, v);
          mem_.data()[gpa] = v;  // KVM-like: the hypervisor completed it
          dirty_.insert(gpa >> PAGE_SHIFT);
          rip += 3;
          return memExit(ACCESS_WRITE, gpa, v);
        }
        mem_.data()[gpa] = v;
        dirty_.insert(gpa >> PAGE_SHIFT);
        rip += 3;
        break;
      }
      case 0xB0:
        ax = (ax & ~0xFFull) | b1;
        rip += 2;
        break;    // mov al, imm8
      case 0xF1:  // stands for a fault only the hardware sees (the software vCPU runs ICEBP through the IVT)
        e.reason = ExitReason::Shutdown;
        return e;
      case 0x0F:
        if (b1 == 0x01 && b2 == 0x1E) {  // lidt [imm16]
          uint8_t m3 = 0, m4 = 0;
          fetch(lin + 3, m3);
          fetch(lin + 4, m4);
          const uint64_t at = st_.segs[SEG_DS].base + uint16_t(m3 | (m4 << 8));
          st_.segs[SEG_IDT].limit = mem_.read16(at);
          st_.segs[SEG_IDT].base = mem_.read32(at + 2) & 0xFFFFFF;
          rip += 5;
          break;
        }
        [[fallthrough]];
      case 0xCD:
        if (op == 0xCD && st_.segs[SEG_IDT].limit < uint32_t(b1) * 4 + 3) {
          e.reason = failOnUnknown ? ExitReason::Invalid : ExitReason::Shutdown;
          if (failOnUnknown) error_ = "scripted hardware gave up on an event delivery";
          return e;
        }
        [[fallthrough]];
      default:
        e.reason = ExitReason::Invalid;
        error_ = "scripted hardware: unsupported opcode";
        return e;
    }
  }
  e.reason = ExitReason::None;
  return e;
}

}  // namespace bv
