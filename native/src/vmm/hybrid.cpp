#include "vmm/hybrid.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace bv {

// The software vCPU's door to the machine. While a triple fault is re-run from a checkpoint the guest's
// writes to ports and MMIO are dropped (the devices already saw them once); reads still reach the devices.
class HybridVcpu::ReplayHandler final : public ExitHandler {
 public:
  explicit ReplayHandler(ExitHandler& inner) : inner_(inner) {}
  bool replaying = false;
  IoAction portIn(uint16_t port, unsigned size, uint32_t& value, uint64_t rip) override {
    return inner_.portIn(port, size, value, rip);
  }
  IoAction portOut(uint16_t port, unsigned size, uint32_t value, uint64_t rip) override {
    return replaying ? IoAction::Continue : inner_.portOut(port, size, value, rip);
  }
  IoAction mmioRead(uint64_t gpa, unsigned size, uint64_t& value, uint64_t rip) override {
    return inner_.mmioRead(gpa, size, value, rip);
  }
  IoAction mmioWrite(uint64_t gpa, unsigned size, uint64_t value, uint64_t rip) override {
    return replaying ? IoAction::Continue : inner_.mmioWrite(gpa, size, value, rip);
  }
  IoAction fpuError(bool asserted) override { return replaying ? IoAction::Continue : inner_.fpuError(asserted); }

 private:
  ExitHandler& inner_;
};

HybridVcpu::HybridVcpu(std::unique_ptr<HardwareVcpu> hardware, const SoftwareFactory& software, GuestMemory& memory,
                       ExitHandler& handler)
    : hw_(std::move(hardware)),
      replayHandler_(std::make_unique<ReplayHandler>(handler)),
      sw_(software ? software(*replayHandler_) : nullptr),
      mem_(memory) {}

HybridVcpu::~HybridVcpu() = default;

VcpuCaps HybridVcpu::caps() const {
  VcpuCaps c;
  c.singleStep = sw_ != nullptr;
  c.breakpoints = true;
  c.watchpoints = true;
  c.catchExceptions = sw_ != nullptr;  // by running on the software vCPU
  return c;
}

void HybridVcpu::getState(CpuState& out) { active().getState(out); }
void HybridVcpu::setState(const CpuState& in) { active().setState(in); }

void HybridVcpu::requestStop() {
  stop_.store(true);
  hw_->requestStop();
  if (sw_) sw_->requestStop();
}

int HybridVcpu::addBreakpoint(uint64_t address, bool physical) {
  int swId = sw_ ? sw_->addBreakpoint(address, physical) : -1;
  bps_.push_back({nextId_, address, physical, swId});
  needReprogram_ = true;
  return nextId_++;
}

bool HybridVcpu::removeBreakpoint(int id) {
  for (auto it = bps_.begin(); it != bps_.end(); ++it) {
    if (it->id != id) continue;
    if (sw_ && it->swId >= 0) sw_->removeBreakpoint(it->swId);
    bps_.erase(it);
    needReprogram_ = true;
    return true;
  }
  return false;
}

void HybridVcpu::clearBreakpoints() {
  if (sw_) sw_->clearBreakpoints();
  bps_.clear();
  needReprogram_ = true;
}

int HybridVcpu::addWatchpoint(uint64_t address, uint64_t length, uint8_t access, bool physical) {
  if (length == 0 || !(access & (ACCESS_READ | ACCESS_WRITE))) return -1;
  int swId = sw_ ? sw_->addWatchpoint(address, length, access, physical) : -1;
  watches_.push_back({nextId_, address, length, access, physical, swId});
  needReprogram_ = true;
  return nextId_++;
}

bool HybridVcpu::removeWatchpoint(int id) {
  for (auto it = watches_.begin(); it != watches_.end(); ++it) {
    if (it->id != id) continue;
    if (sw_ && it->swId >= 0) sw_->removeWatchpoint(it->swId);
    watches_.erase(it);
    needReprogram_ = true;
    return true;
  }
  return false;
}

void HybridVcpu::clearWatchpoints() {
  if (sw_) sw_->clearWatchpoints();
  watches_.clear();
  needReprogram_ = true;
}

void HybridVcpu::setCatchException(uint8_t vector, bool on) {
  if (vector >= 32) return;
  if (sw_) sw_->setCatchException(vector, on);
  if (on) caughtVectors_ |= 1u << vector;
  else caughtVectors_ &= ~(1u << vector);
  needReprogram_ = true;
}

void HybridVcpu::setSystemBreaks(uint8_t kinds) {
  if (sw_) sw_->setSystemBreaks(kinds);
  systemBreaks_ = kinds;
  needReprogram_ = true;
}

void HybridVcpu::setA20(bool on) {
  a20_ = on;
  if (sw_) sw_->setA20(on);
  needReprogram_ = true;
}

std::vector<FaultLink> HybridVcpu::faultChain() const {
  if (shutdown_.valid && !shutdown_.reproduced) {
    FaultLink l;
    l.name = "shutdown";
    l.reason = shutdown_.text;
    l.shutdown = true;
    return {l};
  }
  return sw_ ? sw_->faultChain() : std::vector<FaultLink>{};
}

std::string HybridVcpu::mode() const { return softwareReason_.empty() ? "hardware" : "software: " + softwareReason_; }

int HybridVcpu::breakpointAt(uint64_t linear) const {
  for (const Breakpoint& b : bps_) {
    if (b.address == linear) return b.id;
  }
  return -1;
}

void HybridVcpu::mapSoftwareIds(Exit& e) const {
  if (e.reason != ExitReason::Debug) return;
  if (e.u.debug.kind == DebugKind::Breakpoint) {
    for (const Breakpoint& b : bps_) {
      if (b.swId == e.u.debug.id) {
        e.u.debug.id = b.id;
        return;
      }
    }
  } else if (e.u.debug.kind == DebugKind::Watchpoint) {
    for (const Watchpoint& w : watches_) {
      if (w.swId == e.u.debug.id) {
        e.u.debug.id = w.id;
        return;
      }
    }
  }
}

void HybridVcpu::reprogram() {
  needReprogram_ = false;
  softwareReason_.clear();
  CpuState s;
  active().getState(s);
  const bool paging = s.crs[CR_CR0] & cr0::PG;

  // What the hardware cannot do at all.
  if (caughtVectors_) softwareReason_ = "exceptions are caught before delivery";
  if (systemBreaks_)
    softwareReason_ = "system-event breakpoints are armed (CR writes, LGDT/LIDT, INT n, mode and task switches, IRQs)";
  for (const Watchpoint& w : watches_) {
    if (w.access & ACCESS_READ) softwareReason_ = "a read watchpoint (reads of RAM never exit on hardware)";
    else if (paging) softwareReason_ = "a watchpoint while the guest has paging on";
    else if (!mem_.contains(w.address, w.length)) softwareReason_ = "a watchpoint outside RAM";
  }
  if (!a20_) softwareReason_ = "the A20 gate is off (hardware always sees all address lines)";

  std::vector<uint64_t> linear;
  for (const Breakpoint& b : bps_) {
    if (b.physical && paging) softwareReason_ = "a physical breakpoint while the guest has paging on";
    linear.push_back(b.address);
  }
  std::sort(linear.begin(), linear.end());
  linear.erase(std::unique(linear.begin(), linear.end()), linear.end());
  const bool inRegisters =
      static_cast<int>(linear.size()) <= hw_->hardwareBreakpointSlots() && hw_->setGuestDebug(false, linear);
  patcher_.set({});
  if (inRegisters || linear.empty()) {
    hw_->enableSoftwareBreakpoints(false);
  } else if (paging) {
    softwareReason_ = "more breakpoints than debug registers while the guest has paging on";
  } else {
    hw_->setGuestDebug(false, {});
    patcher_.set(linear);  // paging off: linear addresses are physical
    hw_->enableSoftwareBreakpoints(true);
  }
  if (!softwareReason_.empty() && !sw_) softwareReason_.clear();  // nothing better to fall back on

  // Page protection: watched pages lose write; NVMM's HLT patches (no trap of their own) live on
  // execute-only pages so that the guest's reads of them exit and see the original bytes.
  std::vector<std::pair<uint64_t, uint8_t>> want;
  auto restrict = [&](uint64_t page, uint8_t allowed) {
    for (auto& w : want) {
      if (w.first == page) {
        w.second &= allowed;
        return;
      }
    }
    want.push_back({page, static_cast<uint8_t>((ACCESS_READ | ACCESS_WRITE | ACCESS_EXEC) & allowed)});
  };
  for (const Watchpoint& w : watches_) {
    if (!mem_.contains(w.address, w.length)) continue;
    for (uint64_t p = w.address >> PAGE_SHIFT; p <= (w.address + w.length - 1) >> PAGE_SHIFT; ++p) {
      restrict(p, ACCESS_READ | ACCESS_EXEC);
    }
  }
  for (uint64_t p : protectedPages_) hw_->protectPage(p << PAGE_SHIFT, ACCESS_READ | ACCESS_WRITE | ACCESS_EXEC);
  protectedPages_.clear();
  for (auto& w : want) {
    if (!hw_->protectPage(w.first << PAGE_SHIFT, w.second)) {
      char buf[96];
      std::snprintf(buf, sizeof buf, "the hypervisor cannot protect page 0x%llx as needed",
                    static_cast<unsigned long long>(w.first) << PAGE_SHIFT);
      if (sw_) softwareReason_ = buf;
      continue;
    }
    protectedPages_.push_back(w.first);
  }
  // HLT patches (NVMM; KVM where INT3 does not trap) go on execute-only pages where the hypervisor can do
  // that, so the guest's own reads of them exit and see the original bytes. KVM cannot: there the running
  // guest could read a patched byte (the debugger and the devices never do).
  if (hw_->breakpointOpcode() == 0xF4) {
    for (uint64_t p : patcher_.pages()) {
      if (std::find(protectedPages_.begin(), protectedPages_.end(), p) != protectedPages_.end()) continue;
      if (hw_->protectPage(p << PAGE_SHIFT, ACCESS_EXEC)) protectedPages_.push_back(p);
    }
  }
}

void HybridVcpu::syncDirty() {
  std::vector<uint64_t> pages;
  if (!hw_->takeDirtyPages(pages)) {
    mem_.noteWrite(0, mem_.size());
    return;
  }
  for (uint64_t p : pages) mem_.noteWrite(p << PAGE_SHIFT, PAGE_SIZE);
}

// An interrupt the machine handed over and no vCPU has delivered yet moves with the state (CpuState's
// irq_vector) where the backend holds it until a run starts where the guest can take it (kvm). Left in the
// hypervisor, it came only when the hardware next ran, after the software vCPU had stepped a CLI, with IF clear.
void HybridVcpu::toSoftware() {
  if (onSoftware_ || !sw_) return;
  syncDirty();
  CpuState s;
  hw_->getState(s);
  hw_->takePendingInterrupt();  // it is in s
  sw_->setState(s);
  onSoftware_ = true;
}

void HybridVcpu::toHardware() {
  if (!onSoftware_) return;
  CpuState s;
  sw_->getState(s);
  hw_->setState(s);  // with the interrupt the software vCPU has not delivered, if any
  onSoftware_ = false;
}

// The software vCPU holding the state, with any interrupt not yet delivered and any interrupt window the
// caller asked for taken out of it and returned: with the window left in, the software vCPU reported it
// instead of running the instruction (IF is set at a breakpoint before a CLI), and the next run stopped at the
// same breakpoint again.
HybridVcpu::HeldInterrupt HybridVcpu::holdInterrupt() {
  HeldInterrupt held;
  if (!sw_) return held;
  toSoftware();
  CpuState s;
  sw_->getState(s);
  held.irq = s.intr.irq_vector;
  held.window = s.intr.int_window_exiting;
  if (held.irq < 0 && !held.window) return held;
  s.intr.irq_vector = -1;
  s.intr.int_window_exiting = false;
  sw_->setState(s);
  return held;
}

void HybridVcpu::releaseInterrupt(const HeldInterrupt& held) {
  if (held.irq < 0 && !held.window) return;
  CpuState s;
  sw_->getState(s);
  if (held.irq >= 0) s.intr.irq_vector = static_cast<int16_t>(held.irq);
  s.intr.int_window_exiting = s.intr.int_window_exiting || held.window;
  sw_->setState(s);
}

Vcpu& HybridVcpu::injectTarget() {
  if (sw_ && (singleStep_ || !softwareReason_.empty())) {
    toSoftware();
    return *sw_;
  }
  toHardware();
  return *hw_;
}

Exit HybridVcpu::stepSoftware() {
  if (!sw_) {
    Exit e;
    e.reason = ExitReason::Invalid;
    e.u.invalid.hwcode = ~0ull;
    return e;
  }
  toSoftware();
  ++counters_.softwareSteps;
  Exit e = sw_->run(1);
  mapSoftwareIds(e);
  return e;
}

Exit HybridVcpu::breakpointExit(int id, uint64_t linear) {
  Exit b;
  b.reason = ExitReason::Debug;
  b.u.debug.kind = DebugKind::Breakpoint;
  b.u.debug.id = id;
  b.u.debug.address = linear;
  b.u.debug.access = ACCESS_EXEC;
  return b;
}

// One instruction on the software vCPU in the middle of a hardware run (an access the hardware left to it,
// the guest's own INT3, an instruction the hypervisor gave up on), then the look at the breakpoints the
// hardware would have made: the software vCPU never stops at the one a run starts on, so a series of these
// steps went through every breakpoint it came to (55 of 95 passes of fpu.asm's loop on nvmm over KVM, where
// KVM cannot emulate the x87 store into the execute-only page of the HLT patch: an Invalid exit, and the
// hybrid walked on 64 instructions).
Exit HybridVcpu::stepWithin() {
  Exit e = stepSoftware();
  if (e.reason != ExitReason::None || bps_.empty()) return e;
  CpuState s;
  sw_->getState(s);
  const uint64_t lin = linearRip(s);
  const int id = breakpointAt(lin);
  return id >= 0 ? breakpointExit(id, lin) : e;
}

bool HybridVcpu::checkWatch(uint64_t gpa, uint32_t size, uint8_t access, Exit& out) const {
  const uint64_t end = gpa + (size ? size : 1);
  for (const Watchpoint& w : watches_) {
    if (!(w.access & access) || gpa >= w.address + w.length || end <= w.address) continue;
    out = Exit{};
    out.reason = ExitReason::Debug;
    out.u.debug.kind = DebugKind::Watchpoint;
    out.u.debug.access = access;
    out.u.debug.id = w.id;
    out.u.debug.address = gpa;
    return true;
  }
  return false;
}

Exit HybridVcpu::run(uint64_t maxInstructions) {
  shutdown_ = ShutdownReport{};
  Exit e = runOnce(maxInstructions);
  lastExitLinear_ = ~0ull;
  // Only a stop the debugger reports (breakpoint, step, watchpoint, pause) is where the guest "stopped": going
  // on from it does not re-hit a breakpoint there. A time slice, an interrupt window or a device exit can end a
  // run with RIP on a breakpoint the guest has not reached yet, and the next run must stop there.
  if (!bps_.empty() && (e.reason == ExitReason::Debug || e.reason == ExitReason::Stopped)) {
    CpuState s;
    active().getState(s);
    lastExitLinear_ = linearRip(s);
  }
  return e;
}

Exit HybridVcpu::runOnce(uint64_t maxInstructions) {
  if (stop_.exchange(false)) {
    Exit e;
    e.reason = ExitReason::Stopped;
    return e;
  }
  if (needReprogram_) reprogram();
  if (singleStep_ || maxInstructions == 1) {
    Exit e = stepSoftware();
    if (e.reason == ExitReason::None && singleStep_) {
      CpuState s;
      sw_->getState(s);
      e.reason = ExitReason::Debug;
      e.u.debug.kind = DebugKind::Step;
      e.u.debug.id = -1;
      e.u.debug.address = linearRip(s);
    }
    return e;
  }
  if (!softwareReason_.empty()) {
    // The software vCPU holds the same breakpoints and watchpoints and checks them itself.
    toSoftware();
    Exit e = sw_->run(maxInstructions);
    mapSoftwareIds(e);
    return e;
  }
  return runHardware(maxInstructions);
}

Exit HybridVcpu::runHardware(uint64_t maxInstructions) {
  const uint8_t opcode = hw_->breakpointOpcode();
  bool first = true;
  for (;;) {
    if (stop_.exchange(false)) {
      Exit e;
      e.reason = ExitReason::Stopped;
      return e;
    }
    if (first && !bps_.empty()) {
      // Going on from where the last run stopped never re-hits a breakpoint there (the debugger just reported
      // it, or stepped onto it): that instruction runs on the software vCPU, then the hardware takes over.
      // Arriving at a breakpoint any other way (the BIOS jumping to 0x7C00, the debugger moving RIP) stops
      // before it, as the hardware's own trap would.
      CpuState s;
      active().getState(s);
      const uint64_t lin = linearRip(s);
      const int id = breakpointAt(lin);
      if (id >= 0 && lin != lastExitLinear_) return breakpointExit(id, lin);
      if (id >= 0) {
        // Stepping off the breakpoint keeps interrupts out (as a debugger's step-over does): delivered
        // first, the handler would return to the breakpoint and stop there a second time in the same pass.
        const HeldInterrupt held = holdInterrupt();
        Exit e = stepWithin();
        releaseInterrupt(held);
        if (e.reason != ExitReason::None) return e;
      }
    }
    first = false;
    toHardware();
    maybeCheckpoint();
    patcher_.arm(mem_, opcode);
    ++counters_.hardwareRuns;
    Exit e = hw_->run(maxInstructions);
    patcher_.disarm(mem_, opcode);
    syncDirty();
    switch (e.reason) {
      case ExitReason::Debug:
        if (e.u.debug.kind == DebugKind::Breakpoint) {
          const int id = breakpointAt(e.u.debug.address);
          if (id < 0) {
            // The guest's own INT3 trapped because software breakpoints are on: it runs on the software
            // vCPU, which delivers it through the guest's IVT/IDT.
            Exit s = stepWithin();
            if (s.reason != ExitReason::None) return s;
            continue;
          }
          e.u.debug.id = id;
        }
        return e;
      case ExitReason::Halted: {
        if (opcode != 0xF4 || patcher_.empty()) return e;
        CpuState s;
        hw_->getState(s);
        const uint64_t at = linearRip(s) - 1;  // NVMM already stepped past the HLT we patched
        if (!patcher_.contains(at)) return e;
        s.gprs[GPR_RIP] -= 1;
        hw_->setState(s);
        return breakpointExit(breakpointAt(at), at);
      }
      case ExitReason::Memory: {
        if (!mem_.contains(e.u.mem.gpa, 1) || mem_.isDevice(e.u.mem.gpa)) return e;  // MMIO the handler asked to see
        ++counters_.protectionExits;
        if (!hw_->memoryExitCompleted()) {
          Exit s = stepWithin();  // patches are out: the instruction sees the original bytes
          if (s.reason != ExitReason::None) return s;
        }
        Exit hit;
        if (checkWatch(e.u.mem.gpa, e.u.mem.size, e.u.mem.access, hit)) return hit;
        continue;
      }
      case ExitReason::Stopped: stop_.store(false); return e;
      case ExitReason::Invalid: {
        // KVM gives up on some instructions it would have to emulate (event delivery through an empty IDT,
        // real mode on Intel without unrestricted guest): the software vCPU carries on from the same state.
        if (!sw_) return e;
        const std::string why = hw_->errorMessage();
        for (int i = 0; i < 64; ++i) {
          Exit s = stepWithin();
          if (s.reason == ExitReason::Shutdown) {
            shutdown_ = ShutdownReport{};
            shutdown_.valid = shutdown_.reproduced = true;
            shutdown_.instructions = uint64_t(i) + 1;
            shutdown_.text = why + "; the software vCPU went on from the same state and hit a triple fault";
            return s;
          }
          if (s.reason != ExitReason::None) return s;
        }
        continue;
      }
      case ExitReason::Shutdown: explainShutdown(); return e;
      default: return e;
    }
  }
}

void HybridVcpu::maybeCheckpoint() {
  const auto now = std::chrono::steady_clock::now();
  if (checkpoint_.valid && now - checkpoint_.when < checkpointInterval_) return;
  hw_->getState(checkpoint_.state);
  checkpoint_.ram.assign(mem_.data(), mem_.data() + mem_.size());
  checkpoint_.when = now;
  checkpoint_.valid = true;
}

void HybridVcpu::explainShutdown() {
  shutdown_ = ShutdownReport{};
  shutdown_.valid = true;
  if (!checkpoint_.valid || !sw_) {
    shutdown_.text = "triple fault on the hardware vCPU; no checkpoint or software vCPU to re-run it on";
    return;
  }
  std::vector<uint8_t> after(mem_.data(), mem_.data() + mem_.size());
  std::memcpy(mem_.data(), checkpoint_.ram.data(), mem_.size());
  mem_.noteWrite(0, mem_.size());
  replayHandler_->replaying = true;
  // The checkpoint may carry an interrupt window the machine had asked for (an IRQ waiting for IF, as in a
  // BIOS service stub): nothing answers it in the re-run, and the software vCPU would stop for it again and
  // again without running an instruction. An interrupt held for delivery stays: the hardware delivered it next.
  CpuState start = checkpoint_.state;
  start.intr.int_window_exiting = false;
  sw_->setState(start);
  const uint64_t startCount = sw_->instructionCount();
  std::string why = "the re-run did not reach it within " + std::to_string(replayBudget_) + " instructions";
  bool reproduced = false;
  uint64_t ran = 0;
  while (ran < replayBudget_) {
    const uint64_t chunk = replayBudget_ - ran < 100000 ? replayBudget_ - ran : 100000;
    const uint64_t before = sw_->instructionCount();
    Exit e = sw_->run(chunk);
    const uint64_t did = sw_->instructionCount() - before;
    ran += did ? did : chunk;  // a vCPU that counts nothing still spends its chunk: the loop ends
    if (e.reason == ExitReason::Shutdown) {
      reproduced = true;
      break;
    }
    if (e.reason == ExitReason::Halted) {
      why = "the re-run halted instead (it depends on interrupts or device timing)";
      break;
    }
    if (e.reason == ExitReason::Invalid) {
      why = "the software vCPU could not go on";
      break;
    }
    if (e.reason == ExitReason::Stopped) {
      why = "the re-run was paused";
      break;
    }
    if (!did && e.reason != ExitReason::None) {
      why = std::string("the re-run stopped at an exit it cannot answer (") + e.reasonName() + ")";
      break;
    }
  }
  replayHandler_->replaying = false;
  const uint64_t counted = sw_->instructionCount() - startCount;
  shutdown_.instructions = counted ? counted : ran;
  char buf[256];
  const CpuState& c = checkpoint_.state;
  if (reproduced) {
    std::snprintf(buf, sizeof buf,
                  "triple fault reproduced on the software vCPU, %llu instructions after the checkpoint at "
                  "%04x:%04llx",
                  static_cast<unsigned long long>(shutdown_.instructions), c.segs[SEG_CS].selector,
                  static_cast<unsigned long long>(c.gprs[GPR_RIP]));
    shutdown_.reproduced = true;
    shutdown_.text = buf;
    onSoftware_ = true;  // the software vCPU now holds the faulting state and can explain the chain
  }
  // Memory goes back to what the hardware run left: the re-run dropped the guest's output and the BIOS's
  // services, so its memory (the screen, for one) is not the machine's.
  std::memcpy(mem_.data(), after.data(), mem_.size());
  mem_.noteWrite(0, mem_.size());
  if (reproduced) return;
  std::snprintf(buf, sizeof buf,
                "triple fault on the hardware vCPU, not reproduced on the software vCPU: %s (re-run from the "
                "checkpoint at %04x:%04llx)",
                why.c_str(), c.segs[SEG_CS].selector, static_cast<unsigned long long>(c.gprs[GPR_RIP]));
  shutdown_.text = buf;
}

}  // namespace bv
