#include "backends/kvm_exits.h"

#include <cstdio>
#include <cstring>

namespace bv {

namespace {

constexpr uint64_t kDr6SingleStep = 1u << 14;

KvmExitOutcome invalid(uint64_t hwcode, std::string message) {
  KvmExitOutcome o;
  o.returnToCaller = true;
  o.exit.reason = ExitReason::Invalid;
  o.exit.u.invalid.hwcode = hwcode;
  o.error = std::move(message);
  return o;
}

KvmExitOutcome handle_io(kvm_run& run, size_t runSize, ExitHandler& h, uint64_t rip) {
  KvmExitOutcome o;
  o.needsCompletion = true;
  const auto& io = run.io;
  const size_t size = io.size;
  const uint64_t bytes = uint64_t(size) * io.count;
  if ((size != 1 && size != 2 && size != 4) || io.data_offset > runSize || bytes > runSize - io.data_offset) {
    return invalid(KVM_EXIT_IO, "KVM reported a port access with an impossible size or data area");
  }
  uint8_t* data = reinterpret_cast<uint8_t*>(&run) + io.data_offset;
  bool yield = false;
  uint32_t last = 0;
  // String and REP forms arrive as one exit with count elements packed one after another.
  for (uint32_t i = 0; i < io.count; ++i) {
    uint32_t value = 0;
    if (io.direction == KVM_EXIT_IO_IN) {
      yield |= h.portIn(io.port, size, value, rip) == IoAction::Yield;
      std::memcpy(data + i * size, &value, size);
    } else {
      std::memcpy(&value, data + i * size, size);
      yield |= h.portOut(io.port, size, value, rip) == IoAction::Yield;
    }
    last = value;
  }
  if (yield) {
    o.returnToCaller = true;
    o.exit.reason = ExitReason::Io;
    o.exit.u.io.in = io.direction == KVM_EXIT_IO_IN;
    o.exit.u.io.port = io.port;
    o.exit.u.io.size = static_cast<uint8_t>(size);
    o.exit.u.io.value = last;
  }
  return o;
}

KvmExitOutcome handle_mmio(kvm_run& run, GuestMemory& mem, const std::vector<uint8_t>& allowed, ExitHandler& h,
                           uint64_t rip) {
  KvmExitOutcome o;
  o.needsCompletion = true;
  auto& m = run.mmio;
  const unsigned len = m.len;
  if (len == 0 || len > 8) return invalid(KVM_EXIT_MMIO, "KVM reported a memory access of impossible size");
  uint64_t value = 0;
  if (mem.contains(m.phys_addr, len) && !mem.isDevice(m.phys_addr)) {
    // RAM that is mapped read-only: the BIOS ROM, or a page the hybrid protects for a watchpoint or a
    // hidden breakpoint patch. KVM decoded the instruction and completes it when we re-enter.
    const uint64_t page = m.phys_addr >> PAGE_SHIFT;
    const bool rom = (mem.pageFlag(m.phys_addr) & PAGE_ROM) && (mem.pageFlag(m.phys_addr + len - 1) & PAGE_ROM);
    const bool watched = page < allowed.size() && !(allowed[page] & ACCESS_WRITE);
    if (m.is_write) {
      std::memcpy(&value, m.data, len);
      if (!rom) mem.write(m.phys_addr, m.data, len);  // the guest's write, done on its behalf
    } else {
      mem.read(m.phys_addr, m.data, len);
      std::memcpy(&value, m.data, len);
    }
    if (watched) {
      o.returnToCaller = true;
      o.exit.reason = ExitReason::Memory;
      o.exit.u.mem.access = m.is_write ? ACCESS_WRITE : ACCESS_READ;
      o.exit.u.mem.size = static_cast<uint8_t>(len);
      o.exit.u.mem.gpa = m.phys_addr;
      o.exit.u.mem.value = value;
    }
    return o;
  }
  IoAction a;
  if (m.is_write) {
    std::memcpy(&value, m.data, len);
    a = h.mmioWrite(m.phys_addr, len, value, rip);
  } else {
    a = h.mmioRead(m.phys_addr, len, value, rip);
    std::memcpy(m.data, &value, len);
  }
  if (a == IoAction::Yield) {
    o.returnToCaller = true;
    o.exit.reason = ExitReason::Memory;
    o.exit.u.mem.access = m.is_write ? ACCESS_WRITE : ACCESS_READ;
    o.exit.u.mem.size = static_cast<uint8_t>(len);
    o.exit.u.mem.gpa = m.phys_addr;
    o.exit.u.mem.value = value;
  }
  return o;
}

KvmExitOutcome handle_debug(kvm_run& run) {
  KvmExitOutcome o;
  o.returnToCaller = true;
  o.exit.reason = ExitReason::Debug;
  const auto& d = run.debug.arch;
  o.exit.u.debug.address = d.pc;
  o.exit.u.debug.access = ACCESS_EXEC;
  o.exit.u.debug.id = -1;
  if (d.exception == 3) {
    o.exit.u.debug.kind = DebugKind::Breakpoint;  // INT3 we patched; pc is the INT3 itself
  } else if (d.dr6 & 0xF) {
    o.exit.u.debug.kind = DebugKind::Breakpoint;
    for (int i = 0; i < 4; ++i) {
      if (d.dr6 & (1u << i)) {
        o.exit.u.debug.id = i;
        break;
      }
    }
  } else if (d.dr6 & kDr6SingleStep) {
    o.exit.u.debug.kind = DebugKind::Step;
  } else {
    o.exit.u.debug.kind = DebugKind::Step;  // #DB with no cause bit: KVM's own single-step report
  }
  return o;
}

const char* internalSuberror(uint32_t s) {
  switch (s) {
    case KVM_INTERNAL_ERROR_EMULATION: return "KVM could not emulate an instruction";
    case KVM_INTERNAL_ERROR_SIMUL_EX: return "an exception occurred while KVM delivered another one";
    case KVM_INTERNAL_ERROR_DELIVERY_EV: return "KVM could not deliver an event (interrupt or exception)";
    default: return "KVM internal error";
  }
}

}  // namespace

KvmExitOutcome translateKvmExit(kvm_run& run, size_t runSize, GuestMemory& memory,
                                const std::vector<uint8_t>& pageAllowed, ExitHandler& handler, uint64_t rip) {
  char buf[160];
  switch (run.exit_reason) {
    case KVM_EXIT_IO: return handle_io(run, runSize, handler, rip);
    case KVM_EXIT_MMIO: return handle_mmio(run, memory, pageAllowed, handler, rip);
    case KVM_EXIT_DEBUG: return handle_debug(run);
    case KVM_EXIT_INTR: return {};
    case KVM_EXIT_HLT: {
      KvmExitOutcome o;
      o.returnToCaller = true;
      o.exit.reason = ExitReason::Halted;
      return o;
    }
    case KVM_EXIT_SHUTDOWN: {
      KvmExitOutcome o;
      o.returnToCaller = true;
      o.exit.reason = ExitReason::Shutdown;
      return o;
    }
    case KVM_EXIT_SYSTEM_EVENT: {
      KvmExitOutcome o;
      o.returnToCaller = true;
      o.exit.reason = ExitReason::Shutdown;
      return o;
    }
    case KVM_EXIT_IRQ_WINDOW_OPEN: {
      KvmExitOutcome o;
      o.returnToCaller = true;
      o.exit.reason = ExitReason::InterruptWindow;
      run.request_interrupt_window = 0;  // one window per request, as NVMM does
      return o;
    }
    case KVM_EXIT_FAIL_ENTRY:
      std::snprintf(buf, sizeof buf, "KVM could not enter the guest (hardware entry failure reason 0x%llx)",
                    static_cast<unsigned long long>(run.fail_entry.hardware_entry_failure_reason));
      return invalid(run.fail_entry.hardware_entry_failure_reason, buf);
    case KVM_EXIT_INTERNAL_ERROR:
      std::snprintf(buf, sizeof buf, "%s (suberror %u)", internalSuberror(run.internal.suberror),
                    run.internal.suberror);
      return invalid((uint64_t(KVM_EXIT_INTERNAL_ERROR) << 32) | run.internal.suberror, buf);
    case KVM_EXIT_UNKNOWN:
      std::snprintf(buf, sizeof buf, "KVM reported an unknown hardware exit 0x%llx",
                    static_cast<unsigned long long>(run.hw.hardware_exit_reason));
      return invalid(run.hw.hardware_exit_reason, buf);
    default:
      std::snprintf(buf, sizeof buf, "unexpected KVM exit reason 0x%x", run.exit_reason);
      return invalid(run.exit_reason, buf);
  }
}

}  // namespace bv
