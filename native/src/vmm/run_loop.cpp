// The run loop: give the vCPU a budget that ends at the next timer deadline, serve its exits, deliver
// interrupts through the window protocol, skip halted time, and turn exits into stops. Exits are handled
// between runs, never inside the vCPU's loop: an exit handler that needs the monitor only yields.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>

#include "bootvisor/exceptions.h"
#include "bootvisor/software_vcpu.h"
#include "vmm/machine_impl.h"

namespace bv {

namespace {
constexpr uint64_t kSliceInstructions = 2000000;    // virtual time: flush output at least every 20 ms of guest time
constexpr uint64_t kRealSliceInstructions = 50000;  // host time: look at the clock often
constexpr uint64_t kScreenNotifyNs = 16000000;      // at most one screen event per 16 ms of host time
constexpr size_t kMaxReportedEvents = 256;
constexpr uint64_t kIdleWaitNs = 20000000;       // host waits: look at stops and input this often
constexpr uint64_t kPaceSlackNs = 2000000;       // paced: sleep once the guest is this far ahead
constexpr uint64_t kStepRealWaitNs = 100000000;  // the real clock: how long a step waits for a halted guest
constexpr uint16_t kKbcData = wiring::kKbc, kKbcStatus = wiring::kKbc + 4;

std::string hex(uint64_t v, int width) {
  char b[32];
  std::snprintf(b, sizeof b, "%0*llX", width, static_cast<unsigned long long>(v));
  return b;
}

std::vector<FaultStep> chainOf(SoftwareVcpu* s) {
  std::vector<FaultStep> out;
  if (!s) return out;
  for (const FaultLink& l : s->faultChain()) {
    FaultStep f;
    f.vector = l.vector;
    f.name = l.name;
    f.hasErrorCode = l.hasError;
    f.errorCode = l.error;
    f.cs = l.cs;
    f.eip = l.eip;
    f.linear = l.linear;
    f.bytes = l.bytes;
    f.reason = l.reason;
    out.push_back(std::move(f));
  }
  return out;
}
}  // namespace

StopRecord Machine::Impl::makeStop(StopReason r) {
  StopRecord s;
  s.reason = r;
  return s;
}

// Where the guest is, for a stop about to be returned.
static void locate(Machine::Impl& m, StopRecord& s) {
  CpuState st;
  m.vcpu->getState(st);
  s.cs = st.segs[SEG_CS].selector;
  s.eip = uint32_t(st.gprs[GPR_RIP]);
  s.linear = (st.segs[SEG_CS].base + s.eip) & 0xFFFFFFFFull;
  s.instructions = m.instructions();
}

void Machine::Impl::emitEvent(RunEvent e) {
  if (listener) listener->onEvent(e);
}

// Each kind of event is told once per (what, where), and at most kMaxReportedEvents in all, so a loop that
// keeps doing the same wrong thing says it once.
bool Machine::Impl::firstReport(RunEventKind kind, int64_t what, uint64_t where) {
  if (reported.size() >= kMaxReportedEvents) return false;
  return reported.insert({int(kind), what, where}).second;
}

void Machine::Impl::unhandledPort(uint16_t port, bool write, uint64_t rip) {
  if (cfg.stopOnUnhandledPort && !stopPending) {
    stopPending = true;
    pendingStop = makeStop(StopReason::UnhandledPort);
    pendingStop.port = port;
    pendingStop.message =
        std::string(write ? "write to" : "read from") + " port 0x" + hex(port, 4) + ", which no device serves";
  }
  if (!firstReport(RunEventKind::UnhandledPort, port, rip)) return;
  RunEvent e;
  e.kind = RunEventKind::UnhandledPort;
  e.eip = uint32_t(rip);
  e.port = port;
  e.message = std::string(write ? "write to" : "read from") + " port 0x" + hex(port, 4) + ", which no device serves (" +
              (write ? "ignored" : "read as 0xFF") + ")";
  pendingEvents.push_back(std::move(e));
}

// The exit profile keeps the first few distinct ports of each instruction.
static void notePort(ExitCount& pc, uint16_t port) {
  for (uint8_t i = 0; i < pc.portCount; ++i)
    if (pc.ports[i] == port) return;
  if (pc.portCount < 4) pc.ports[pc.portCount++] = port;
}

IoAction Machine::Impl::portIn(uint16_t port, unsigned size, uint32_t& value, uint64_t rip) {
  ExitCount& pc = profile[rip];
  pc.rip = rip;
  ++pc.io;
  notePort(pc, port);
  bool before = pic.pending();
  // The 8042's status, or its data port with nothing to take: a read that changes nothing (vmm/kbc_poll.h).
  const bool kbcPort = (port == kKbcData || port == kKbcStatus) && size == 1 && virtualTime();
  const bool kbcQuiet = port == kKbcStatus || !kbc->outputFull();
  if (!bus.read(port, size, value)) {
    value = size >= 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
    unhandledPort(port, false, rip);
  }
  if (__builtin_expect(portBreaks, 0)) portBreak(port, size, value, false);
  if (port >= wiring::kPit && port <= wiring::kPit + 2 && pitPoll.active() && virtualTime() &&
      pit->readDone(port - wiring::kPit)) {
    uint64_t now = clock->now(), to = pitPoll.skipAfterRead(instructions(), now);
    if (to > now) {
      pitSkipTo = to;
      return IoAction::Yield;  // the clock moves between slices, where the budget is recomputed
    }
  }
  // A guest polling the VGA's status for the retrace (or blanking) asks the same question and gets the same
  // answer until the next edge: once the poll detector sees that, guest time moves to the edge (the answer
  // cannot change before it), so waiting for a 70 Hz frame costs a few thousand instructions, not 1.4 million.
  if ((port == 0x3DA || port == 0x3BA) && virtualTime() && polls.note(0x10000u | port, value, instructions())) {
    pitSkipTo = vga->nextStatusChange(clock->now());
    return IoAction::Yield;
  }
  if (kbcPort && kbcPollRead(port, uint8_t(value), kbcQuiet, rip)) return IoAction::Yield;
  // Yield after a new event too, so that it is located with the CS of the instruction that caused it.
  if (stopPending || !pendingEvents.empty()) return IoAction::Yield;
  if (!before && pic.pending()) return IoAction::Yield;  // deliver the new interrupt promptly
  return IoAction::Continue;
}

IoAction Machine::Impl::fpuError(bool asserted) {
  const bool before = pic.pending();
  pic.setIrq(wiring::kIrqFpu, asserted);
  return !before && pic.pending() ? IoAction::Yield : IoAction::Continue;  // deliver IRQ13 promptly
}

IoAction Machine::Impl::portOut(uint16_t port, unsigned size, uint32_t value, uint64_t rip) {
  ExitCount& pc = profile[rip];
  pc.rip = rip;
  ++pc.io;
  notePort(pc, port);
  if (port == kBiosCallPort && rip >= rom::kStubs && rip < rom::kStubs + 16u * unsigned(BiosService::Count)) {
    biosCall = true;  // confirmed against CS after the run
    return IoAction::Yield;
  }
  bool before = pic.pending();
  const uint32_t devices = mem.deviceGeneration();
  if (!bus.write(port, size, value)) unhandledPort(port, true, rip);
  if (__builtin_expect(portBreaks, 0)) portBreak(port, size, value, true);
  if (resetPending) resetRip = rip;
  if (stopPending || resetPending || !pendingEvents.empty()) return IoAction::Yield;
  // Memory became device memory or RAM (the VGA's chain-4 bit): the vCPU must drop cached translations first.
  if (mem.deviceGeneration() != devices) return IoAction::Yield;
  if (!before && pic.pending()) return IoAction::Yield;
  return IoAction::Continue;
}

IoAction Machine::Impl::mmioRead(uint64_t gpa, unsigned size, uint64_t& value, uint64_t rip) {
  if (deviceRead(gpa, size, value)) return IoAction::Continue;
  value = size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
  if (repeatedUnmapped(gpa, rip)) return IoAction::Continue;
  ExitCount& pc = profile[rip];
  pc.rip = rip;
  ++pc.mmio;
  lastUnmapped = {rip, gpa >> PAGE_SHIFT, &pc};
  if (firstReport(RunEventKind::UnmappedMemory, int64_t(gpa >> PAGE_SHIFT), rip)) {
    RunEvent e;
    e.kind = RunEventKind::UnmappedMemory;
    e.eip = uint32_t(rip);
    e.address = int64_t(gpa);
    e.message = "read of physical address 0x" + hex(gpa, 8) + ", beyond the guest's RAM (read as all ones)";
    pendingEvents.push_back(std::move(e));
    return IoAction::Yield;
  }
  return IoAction::Continue;
}

IoAction Machine::Impl::mmioWrite(uint64_t gpa, unsigned size, uint64_t value, uint64_t rip) {
  if (deviceWrite(gpa, size, value)) return IoAction::Continue;
  if (repeatedUnmapped(gpa, rip)) return IoAction::Continue;
  ExitCount& pc = profile[rip];
  pc.rip = rip;
  ++pc.mmio;
  lastUnmapped = {rip, gpa >> PAGE_SHIFT, &pc};
  if (firstReport(RunEventKind::UnmappedMemory, int64_t(gpa >> PAGE_SHIFT), rip)) {
    RunEvent e;
    e.kind = RunEventKind::UnmappedMemory;
    e.eip = uint32_t(rip);
    e.address = int64_t(gpa);
    e.message = "write to physical address 0x" + hex(gpa, 8) + ", beyond the guest's RAM (ignored)";
    pendingEvents.push_back(std::move(e));
    return IoAction::Yield;
  }
  return IoAction::Continue;
}

// A real-mode stack that has run into the IVT and BIOS data area, or into the boot sector it was loaded
// beside. Checked where the guest's state is at hand anyway (every BIOS call and every time slice), so it
// costs nothing per instruction; a runaway recursion stays there long enough to be seen.
void Machine::Impl::checkStack(const CpuState& st) {
  if (st.crs[CR_CR0] & cr0::PE) return;
  uint32_t sp = uint32_t(st.gprs[GPR_RSP]) & 0xFFFF;
  if (sp == 0) return;  // SS:0000: the first push wraps to the top of the segment
  uint64_t top = st.segs[SEG_SS].base + sp;
  const char* what = nullptr;
  if (top <= 0x500) what = "the interrupt vector table and BIOS data area (below 0x500)";
  else if (top > 0x7C00 && top <= 0x7E00) what = "the boot sector loaded at 0x7C00-0x7DFF";
  if (!what) return;
  if (!firstReport(RunEventKind::StackOverflow, int64_t(top > 0x500), 0)) return;
  RunEvent e;
  e.kind = RunEventKind::StackOverflow;
  e.cs = st.segs[SEG_CS].selector;
  e.eip = uint32_t(st.gprs[GPR_RIP]);
  if (st.segs[SEG_CS].base == kRomBase) {
    // Inside a BIOS service: the guest's place is the `int` whose frame is on top of the stack.
    e.eip = uint16_t(mem.read16(top) - 2);
    e.cs = mem.read16(st.segs[SEG_SS].base + uint16_t(sp + 2));
  }
  e.linear = ((uint64_t(e.cs) << 4) + e.eip) & 0xFFFFFull;
  e.address = int64_t(top);
  e.message = "the stack (SS:SP = " + hex(st.segs[SEG_SS].selector, 4) + ":" + hex(sp, 4) + ", linear 0x" +
              hex(top, 5) + ") has run into " + what + ": pushes overwrite it";
  emitEvent(std::move(e));
}

// Placed at the guest's `int` (the IRET frame's return address minus the two bytes of `int n`); one event per
// call site and message, so a retry loop says it once.
void Machine::Impl::biosFailed(const CpuState& st, const std::string& message) {
  uint64_t frame = st.segs[SEG_SS].base + uint16_t(st.gprs[GPR_RSP]);
  RunEvent e;
  e.kind = RunEventKind::DiskError;
  e.eip = uint16_t(mem.read16(frame) - 2);
  e.cs = mem.read16(frame + 2);
  e.linear = ((uint64_t(e.cs) << 4) + e.eip) & 0xFFFFFull;
  e.message = message;
  if (!firstReport(RunEventKind::DiskError, int64_t(std::hash<std::string>()(message)), e.linear)) return;
  emitEvent(std::move(e));
}

void Machine::Impl::deliver(const InputEvent& e) {
  idleSent = false;
  switch (e.kind) {
    case InputKind::Keys: kbc->pushScanCodes(e.data.data(), e.data.size()); break;
    case InputKind::Serial: uart->receive(e.data.data(), e.data.size()); break;
    case InputKind::Reset:
      bios->forgetPendingCalls();
      vcpu->requestInterruptWindow(false);
      powerOn();
      break;
    case InputKind::Pace: clock->advanceTo(e.timeNs); break;
    case InputKind::Mouse:  // moves posted together arrive as one event: 5 bytes each
      for (size_t i = 0; i + 5 <= e.data.size(); i += 5) {
        const uint8_t* d = e.data.data() + i;
        kbc->mouseMove(int16_t(d[0] | d[1] << 8), int16_t(d[2] | d[3] << 8), d[4]);
      }
      break;
  }
}

void Machine::Impl::applyInputs() {
  while (input.due(instructions(), clock->now())) {
    InputEvent e = *input.next();
    input.advance();
    deliver(e);
  }
  if (!inboxReady.load()) return;
  std::vector<InputEvent> live;
  {
    std::lock_guard<std::mutex> lock(inboxMu);
    live.swap(inbox);
    inboxReady = false;
  }
  for (InputEvent& e : live) {
    e.at = instructions();
    e.timeNs = clock->now();
    deliver(e);
    input.record(std::move(e));
  }
}

bool Machine::Impl::hostWait(uint64_t ns) {
  std::unique_lock<std::mutex> lock(inboxMu);
  return inboxCv.wait_for(lock, std::chrono::nanoseconds(ns),
                          [&] { return inboxReady.load() || stopRequested.load(); });
}

void Machine::Impl::pace() {
  uint64_t now = clock->now();
  if (pacer.noteBehind(now) && listener) listener->onPacing(pacer.keepingUp());
  int64_t ahead = pacer.aheadNs(now);
  if (ahead > int64_t(kPaceSlackNs)) {
    flushOutput(false);
    hostWait(uint64_t(ahead) < kIdleWaitNs ? uint64_t(ahead) : kIdleWaitNs);
  }
}

void Machine::Impl::notifyIdle() {
  if (idleSent) return;
  idleSent = true;
  flushOutput(true);
  if (listener) listener->onIdle();
}

void Machine::Impl::flushOutput(bool force) {
  if (!pendingEvents.empty()) {
    CpuState st;
    vcpu->getState(st);
    for (RunEvent& e : pendingEvents) {
      e.cs = st.segs[SEG_CS].selector;
      e.linear = (st.segs[SEG_CS].base + e.eip) & 0xFFFFFFFFull;
      emitEvent(std::move(e));
    }
    pendingEvents.clear();
  }
  if (!listener) {
    outSerial.clear();
    outDebugcon.clear();
    return;
  }
  if (!outSerial.empty()) {
    listener->onSerial(outSerial.data(), outSerial.size());
    outSerial.clear();
  }
  if (!outDebugcon.empty()) {
    listener->onDebugcon(outDebugcon.data(), outDebugcon.size());
    outDebugcon.clear();
  }
  // Screen: any write to the VGA window (0xA0000-0xBFFFF) or a register change since the last event. Looked
  // at after every exit (every BIOS call), so the 32 page flags are tested eight at a time.
  uint8_t* f = mem.pageFlags();
  bool dirty = false;
  constexpr uint64_t kFirst = 0xA0000 >> PAGE_SHIFT, kEnd = 0xC0000 >> PAGE_SHIFT;
  if (mem.size() >> PAGE_SHIFT >= kEnd) {
    constexpr uint64_t kDisplayBits = 0x0101010101010101ull * PAGE_DIRTY_DISPLAY;
    for (uint64_t p = kFirst; p < kEnd; p += 8) {
      uint64_t w;
      std::memcpy(&w, f + p, 8);
      dirty |= (w & kDisplayBits) != 0;
    }
  } else {
    for (uint64_t p = kFirst; p < kEnd && p < mem.size() >> PAGE_SHIFT; ++p) dirty |= (f[p] & PAGE_DIRTY_DISPLAY) != 0;
  }
  if (!dirty) return;
  uint64_t now = Clock::hostNs();
  if (!force && now - lastScreenNotifyNs < kScreenNotifyNs) return;
  for (uint64_t p = 0xA0000 >> PAGE_SHIFT; p < (0xC0000 >> PAGE_SHIFT) && p < mem.size() >> PAGE_SHIFT; ++p)
    f[p] &= ~PAGE_DIRTY_DISPLAY;
  lastScreenNotifyNs = now;
  listener->onScreenDirty();
}

// Delivers the PIC's pending interrupt if the vCPU can take it now, or asks to be told when it can.
void Machine::Impl::injectPending() {
  if (!pic.pending()) {
    vcpu->requestInterruptWindow(false);
    return;
  }
  if (vcpu->canInjectInterrupt()) {
    uint8_t vector = pic.acknowledge();
    vcpu->injectInterrupt(vector);
    vcpu->requestInterruptWindow(false);
    halted = false;
  } else {
    vcpu->requestInterruptWindow(true);
  }
}

// The guest sleeps in HLT with interrupts on: move time to the next thing that can wake it. Fast and paced
// clocks make the same decisions (so either replays the other's log); paced only waits for the wall clock
// first, and when an input cuts that wait short, how far guest time got is logged as a pace event.
bool Machine::Impl::waitWhileHalted(bool step, bool returnWhenIdle) {
  uint64_t wait = bios->waitDeadline();
  bool keyWait = bios->waitingForKey() && kbc->queued() == 0 && !kbc->outputFull();
  // Only timers that can wake it count: skipping from one masked timer edge to the next would run guest time
  // on forever (days of it per host second) while the guest waits for a key, and never report idle.
  uint64_t next = clock->nextWakeDeadline(wakeIrqs());
  if (wait < next) next = wait;
  if (clockMode == ClockMode::Real) {
    if (keyWait || next == kNever) {
      if (returnWhenIdle) return false;
      notifyIdle();
    }
    uint64_t now = clock->now();
    if (next > now) hostWait(next - now < kIdleWaitNs ? next - now : kIdleWaitNs);
  } else {
    const InputEvent* e = input.next();
    if (e && e->kind == InputKind::Pace && e->at <= instructions()) {
      // Replay of a paced wait that an input cut short.
      input.advance();
      clock->advanceTo(e->timeNs);
    } else if (next == kNever || (keyWait && clockMode == ClockMode::Fast && !input.replaying())) {
      // Only the host can wake it (a key, serial input, a stop): guest time stands still meanwhile, so a
      // headless run waiting for input does not race through days of ticks.
      if (returnWhenIdle) return false;
      notifyIdle();
      hostWait(kIdleWaitNs);
      if (clockMode == ClockMode::Paced) pacer.anchor(clock->now());
      return true;
    } else if (clockMode == ClockMode::Paced && !step) {
      // (A step skips the wall-clock wait: it must come back at once, and it reaches the same state.)
      if (keyWait) notifyIdle();
      if (input.replaying() && e->at == instructions() && e->timeNs < next) next = e->timeNs;
      uint64_t wall = pacer.wallGuestNs();
      if (wall < next) {
        flushOutput(false);
        hostWait(next - wall < kIdleWaitNs ? next - wall : kIdleWaitNs);
        wall = pacer.wallGuestNs();
        if (wall < next) {
          if (inboxReady.load()) {
            InputEvent p;
            p.kind = InputKind::Pace;
            p.at = instructions();
            p.timeNs = wall > clock->now() ? wall : clock->now();
            clock->advanceTo(p.timeNs);
            input.record(std::move(p));
          }
          return true;  // the loop looks at stops and input, then waits on
        }
      }
      clock->advanceTo(next);
    } else {
      if (input.replaying() && e->at == instructions() && e->timeNs < next) next = e->timeNs;
      clock->advanceTo(next);
    }
  }
  if (bios->waitDeadline() <= clock->now()) {  // INT 15h AH=86h: time to look again
    halted = false;
    // The vCPU leaves its HLT too; otherwise it reports Halted again at once and time never moves.
    CpuState st;
    vcpu->getState(st);
    st.halted = false;
    vcpu->setState(st);
  }
  return true;
}

void Machine::Impl::syncTsc() {
  uint64_t skipped = skippedTicks();
  if (skipped == tscSkipped) return;
  if (SoftwareVcpu* s = soft()) s->advanceTsc(skipped - tscSkipped);
  tscSkipped = skipped;
}

void Machine::Impl::timeBiosCall(BiosService s, uint8_t ah, const CpuState& st) {
  uint64_t next = clock->nextDeadline(), now = clock->now();
  uint64_t done = now + Bios::costNs(s);
  clock->advanceTo(done < next ? done : next);  // a timer due meanwhile fires at its own time
  uint64_t answer;
  if (s == BiosService::Int1A && ah == 0x00) {
    answer = (uint64_t(uint16_t(st.gprs[GPR_RCX])) << 16) | uint16_t(st.gprs[GPR_RDX]);
  } else if (s == BiosService::Int16 && (ah == 0x01 || ah == 0x11)) {
    uint16_t flagsImage = mem.read16(uint32_t(st.segs[SEG_SS].base) + uint16_t(uint16_t(st.gprs[GPR_RSP]) + 4));
    answer = (uint64_t(flagsImage & flags::ZF) << 16) | uint16_t(st.gprs[GPR_RAX]);
  } else {
    return;
  }
  if (polls.note((uint32_t(s) << 8) | ah, answer, instructions()) && next != kNever) clock->advanceTo(next);
}

bool Machine::Impl::probeSpin() {
  uint64_t count = instructions();
  if (!spin.active() && count < spin.nextAt()) return false;
  CpuState st;
  vcpu->getState(st);
  if (!spin.active()) {
    // Paging would need a walk for the bytes. A spin is worth skipping only when an interrupt can end it; a
    // PIT poll ends by itself.
    if (st.crs[CR_CR0] & cr0::PG) {
      spin.stop(count);
      return false;
    }
    spin.start(st, (st.gprs[GPR_RFLAGS] & flags::IF) && !pic.pending());
  }
  uint8_t bytes[15];
  uint64_t at = (st.segs[SEG_CS].base + st.gprs[GPR_RIP]) & 0xFFFFFFFFull;
  SpinProbe::Effect effect = SpinProbe::Effect::Other;
  if (mem.read(at, bytes, sizeof bytes)) effect = SpinProbe::effectOf(bytes, sizeof bytes, st, !kbc->outputFull());
  if (effect == SpinProbe::Effect::Other) {
    spin.stop(count);
    return false;
  }
  spin.note(effect);
  return true;
}

void Machine::Impl::probed(const Exit& e, uint64_t before) {
  uint64_t count = instructions();
  if (count == before) {
    if (e.reason != ExitReason::Stopped) spin.stop(count);  // a stop request: probe on at the next run
    return;
  }
  if (e.reason != ExitReason::None && e.reason != ExitReason::Stopped) {
    spin.stop(count);
    return;
  }
  CpuState after;
  vcpu->getState(after);
  switch (spin.stepped(after)) {
    case SpinProbe::Verdict::Continue: return;
    case SpinProbe::Verdict::Spin: {
      uint64_t next = clock->nextDeadline();
      if (next != kNever) clock->advanceTo(next);
      break;
    }
    case SpinProbe::Verdict::PitPoll: pitPoll.confirm(count, spin.steps()); break;
    case SpinProbe::Verdict::KbcPoll: kbcPoll.confirm(count, spin.steps()); break;
    case SpinProbe::Verdict::NoSpin: break;
  }
  spin.stop(count);
}

// The `out kBiosCallPort` of a service stub is the cost of the guest's `int` that called it: count it at that
// `int` (the return address in the IRET frame, minus the two bytes of `int n`), keyed by its linear address.
void Machine::Impl::chargeBiosCallToCaller(const CpuState& st) {
  uint64_t stubIp = uint16_t(st.gprs[GPR_RIP] - 2);
  auto it = profile.find(stubIp);
  if (it == profile.end() || it->second.io == 0) return;
  uint32_t ssBase = uint32_t(st.segs[SEG_SS].base);
  uint16_t sp = uint16_t(st.gprs[GPR_RSP]);
  uint16_t ip = mem.read16(ssBase + sp), cs = mem.read16(ssBase + uint16_t(sp + 2));
  uint64_t caller = ((uint64_t(cs) << 4) + uint16_t(ip - 2)) & 0xFFFFFull;
  if (--it->second.io == 0 && it->second.mmio == 0) profile.erase(it);
  ExitCount& pc = profile[caller];
  pc.rip = caller;
  ++pc.io;
  notePort(pc, kBiosCallPort);
}

// An exception vector the guest left at the BIOS's default handler: stop at the faulting instruction (the
// IRET frame popped, so that continuing raises it again) rather than IRET back onto it forever.
bool Machine::Impl::unhandledException(BiosService svc, CpuState& st, StopRecord& stop) {
  uint8_t vector = exceptionVectorOf(svc);
  UnhandledException u;
  if (!describeUnhandledException(mem, st, vector, u)) return false;
  uint16_t ivtOff = mem.read16(uint64_t(vector) * 4), ivtSeg = mem.read16(uint64_t(vector) * 4 + 2);
  bool stillDefault = ivtSeg == kBiosSegment && ivtOff == biosStubOffset(svc);
  std::string why = stillDefault ? "vector " + std::to_string(vector) + " still points at the BIOS's default handler"
                                 : "the guest's handler for vector " + std::to_string(vector) +
                                       " passed it on to the BIOS's default handler";
  stop = makeStop(StopReason::Exception);
  stop.exception.vector = vector;
  FaultStep f;
  f.vector = vector;
  f.name = u.name;
  f.cs = u.cs;
  f.eip = u.insnIp;
  f.linear = (uint64_t(u.cs) << 4) + u.insnIp;
  f.bytes = u.bytes;
  f.reason = u.reason + "; " + why;
  stop.exception.chain.push_back(f);
  stop.exception.explanation = f.reason;
  stop.message = f.reason;
  stop.cs = u.cs;
  stop.eip = u.ip;
  stop.linear = (uint64_t(u.cs) << 4) + u.ip;
  // Back to the guest's view: the frame popped, CS:IP and FLAGS as they were when the CPU raised it.
  st.gprs[GPR_RIP] = u.ip;
  st.segs[SEG_CS].selector = u.cs;
  st.segs[SEG_CS].base = uint64_t(u.cs) << 4;
  st.gprs[GPR_RFLAGS] = (st.gprs[GPR_RFLAGS] & ~0xFFFFull) | u.flags;
  st.gprs[GPR_RSP] = (st.gprs[GPR_RSP] & ~0xFFFFull) | uint16_t(uint16_t(st.gprs[GPR_RSP]) + 6);
  vcpu->setState(st);
  return true;
}

uint16_t Machine::Impl::wakeIrqs() {
  uint16_t open = pic.openIrqs();
  if (pic.line(wiring::kIrqRtc)) open &= uint16_t(~(1u << wiring::kIrqRtc));
  return open;
}

// Asked at the HLT and at every turn of the halted wait (the host may mask the PIC or clear IF between runs,
// a snapshot may be restored), so it reads IF alone instead of the whole state.
bool Machine::Impl::sleepsForever(StopRecord& s) {
  if (!vcpu->interruptsEnabled()) {
    s = makeStop(StopReason::HltCli);
    s.message = "HLT with interrupts disabled: the guest can never wake up";
    return true;
  }
  if (pic.pending()) return false;
  const uint16_t open = pic.openIrqs();
  if (open & wiring::kHostIrqs) return false;                       // a key or a serial byte may come
  if (clock->nextWakeDeadline(wakeIrqs()) != kNever) return false;  // a timer will raise an open line
  if (bios->waitDeadline() != kNever || bios->waitingForKey()) return false;
  s = makeStop(StopReason::HltCli);
  bool inService = pic.master().isr() || pic.slave().isr();
  const std::string state = "masks " + hex(pic.master().imr(), 2) + "h/" + hex(pic.slave().imr(), 2) +
                            "h, in service " + hex(pic.master().isr(), 2) + "h/" + hex(pic.slave().isr(), 2) + "h";
  if (open & wiring::kWiredIrqs)
    s.message =
        "HLT with interrupts enabled, but only timer IRQs get through the PIC and no timer that raises "
        "them runs (" +
        state + "): the guest can never wake up";
  else
    s.message = "HLT with interrupts enabled, but the PIC lets no IRQ through (" + state +
                (inService ? ": an IRQ handler that never sent EOI shuts out the lines below it" : "") +
                "): the guest can never wake up";
  return true;
}

StopRecord Machine::Impl::run(const RunLimits& limits, bool step) {
  const uint64_t start = instructions();
  const uint64_t hostStart = Clock::hostNs();
  auto finish = [&](StopRecord s) {
    flushOutput(true);
    locate(*this, s);
    return s;
  };
  // A stop placed by its maker (the faulting instruction of an unhandled exception), not where the vCPU is.
  auto finishAt = [&](StopRecord s) {
    StopRecord where = finish(s);
    where.cs = s.cs;
    where.eip = s.eip;
    where.linear = s.linear;
    return where;
  };
  // A guest behind the wall clock (the host held it: a pause, an inspection) is tied to it anew, so that time
  // is not raced through; one still ahead, or parked by the host in the middle of a paced skip whose end the
  // wall clock has not reached, keeps its tie, or each look would add the part of the wait already slept.
  if (clockMode == ClockMode::Paced) {
    uint64_t at = clock->now();
    if (kbcSkip && clock->nextDeadline() != kNever) at = clock->nextDeadline();
    if (pacer.aheadNs(at) <= 0) pacer.anchor(at);
  }
  for (;;) {
    applyInputs();
    clock->fireDue();
    if (resetPending) {
      const char* how = resetPending;
      resetPending = nullptr;
      StopRecord loop;
      if (warmReset(how, loop)) return finishAt(loop);
    }
    if (stopPending) {
      stopPending = false;
      return finish(pendingStop);
    }
    if (stopRequested.exchange(false)) return finish(makeStop(StopReason::Pause));
    injectPending();
    // Before the halted wait: a replay to a count where the guest sleeps ends there, not at its next wake.
    uint64_t done = instructions() - start;
    if (limits.maxInstructions && done >= limits.maxInstructions)
      return finish(makeStop(step ? StopReason::Step : StopReason::InstructionLimit));
    if (limits.untilNs && clock->now() >= limits.untilNs) return finish(makeStop(StopReason::InstructionLimit));
    if (halted) {
      // What was checked at the HLT can change while the guest sleeps (the host writes a port or the flags
      // between runs, a snapshot is restored). Asked at every turn, as it is cheap (IF alone, the PIC's
      // masks, three timers); the hang fuzz_pc found was not this but the wait itself, which skipped from
      // one masked timer edge to the next forever (waitWhileHalted now counts only timers that can wake).
      StopRecord never;
      if (sleepsForever(never)) return finish(never);
      if (limits.neverWait && clockMode != ClockMode::Fast) return finish(makeStop(StopReason::Pause));
      // A step under the real clock waits for the host's time, but not for long: it is a synchronous call.
      bool stepWaited = step && clockMode == ClockMode::Real && Clock::hostNs() - hostStart > kStepRealWaitNs;
      if (stepWaited || !waitWhileHalted(step, limits.returnWhenIdle)) {
        StopRecord idle = makeStop(StopReason::Pause);
        idle.idle = true;
        idle.message =
            stepWaited ? "idle: the guest sleeps until a timer fires in real time" : "idle: the guest waits for input";
        return finish(idle);
      }
      continue;
    }

    if (kbcSkip) {  // a paced skip a stop cut short (kbc_poll_skip.cpp)
      kbcPollSkip(step || limits.neverWait);
      continue;
    }
    uint64_t budget = virtualTime() ? kSliceInstructions : kRealSliceInstructions;
    if (virtualTime()) {
      if (clockMode == ClockMode::Paced && !limits.neverWait) pace();
      uint64_t now = clock->now(), d = clock->nextDeadline();
      if (d != kNever) {
        uint64_t n = d > now ? (d - now + kNsPerInstruction - 1) / kNsPerInstruction : 1;
        if (n < budget) budget = n;
      }
    }
    // A replayed input lands on its instruction exactly.
    if (const InputEvent* e = input.next()) {
      uint64_t count = instructions();
      if (e->at > count && e->at - count < budget) budget = e->at - count;
    }
    if (limits.maxInstructions && limits.maxInstructions - done < budget) budget = limits.maxInstructions - done;
    if (limits.untilNs && virtualTime()) {
      uint64_t n = (limits.untilNs - clock->now() + kNsPerInstruction - 1) / kNsPerInstruction;
      if (n < budget) budget = n;
    }
    bool probing = virtualTime() && probeSpin();
    if (probing) {
      budget = 1;
    } else if (virtualTime()) {
      uint64_t count = instructions();
      if (spin.nextAt() > count && spin.nextAt() - count < budget) budget = spin.nextAt() - count;
    }
    if (budget == 0) budget = 1;

    if (virtualTime()) syncTsc();
    const uint64_t before = instructions();
    Exit e = vcpu->run(budget);
    if (probing) probed(e, before);
    if (pitSkipTo) {
      uint64_t next = clock->nextDeadline();
      clock->advanceTo(pitSkipTo < next ? pitSkipTo : next);  // a timer due meanwhile fires at its own time
      pitSkipTo = 0;
    }
    if (kbcSkip) kbcPollSkip(step || limits.neverWait);
    flushOutput(false);

    switch (e.reason) {
      case ExitReason::None: {
        CpuState st;
        vcpu->getState(st);
        checkStack(st);
        break;
      }
      case ExitReason::Memory:
      case ExitReason::InterruptWindow: break;
      case ExitReason::Io:
        if (biosCall) {
          biosCall = false;
          CpuState st;
          vcpu->getState(st);
          checkStack(st);
          BiosService s = Bios::serviceAt(st.segs[SEG_CS].base + st.gprs[GPR_RIP]);
          if (s != BiosService::Count && st.segs[SEG_CS].base == kRomBase) {
            if (isExceptionService(s)) {
              StopRecord stop;
              if (unhandledException(s, st, stop)) return finishAt(stop);
            } else {
              if (s != BiosService::Irq0 && s != BiosService::Irq1 && s != BiosService::Irq12)
                chargeBiosCallToCaller(st);
              uint8_t ah = uint8_t(st.gprs[GPR_RAX] >> 8);
              bios->service(s, st);
              if (virtualTime()) timeBiosCall(s, ah, st);
            }
            vcpu->setState(st);
          }
        }
        break;
      case ExitReason::Halted: {
        StopRecord never;
        if (sleepsForever(never)) return finish(never);
        halted = true;
        break;
      }
      case ExitReason::Shutdown: {
        StopRecord s = makeStop(StopReason::TripleFault);
        s.exception.chain = chainOf(soft());
        std::string words;
        for (const FaultStep& f : s.exception.chain) {
          if (!words.empty()) words += " -> ";
          words += f.name;
          if (!f.reason.empty()) words += " (" + f.reason + ")";
        }
        s.exception.explanation = words;
        if (!s.exception.chain.empty()) s.exception.vector = s.exception.chain.front().vector;
        s.message = "triple fault: the CPU shut down" + (words.empty() ? std::string() : ": " + words);
        return finish(s);
      }
      case ExitReason::Invalid: {
        StopRecord s = makeStop(StopReason::Error);
        s.message =
            std::string("the ") + vcpu->name() + " vCPU could not go on (code 0x" + hex(e.u.invalid.hwcode, 1) + ")";
        return finish(s);
      }
      case ExitReason::Stopped:
        if (stopRequested.exchange(false)) return finish(makeStop(StopReason::Pause));
        break;
      case ExitReason::Exception: {
        StopRecord s = makeStop(StopReason::Exception);
        s.exception.vector = e.u.exception.vector;
        s.exception.hasErrorCode = e.u.exception.has_error;
        s.exception.errorCode = e.u.exception.error;
        s.exception.cr2 = e.u.exception.cr2;
        s.exception.chain = chainOf(soft());
        s.exception.explanation = std::string(exceptionInfo(e.u.exception.vector).mnemonic) + " caught before delivery";
        s.message = s.exception.explanation;
        return finish(s);
      }
      case ExitReason::SystemEvent: {
        StopRecord s;
        if (systemEventStop(e, s)) return finish(s);
        break;
      }
      case ExitReason::Debug: {
        StopRecord s;
        switch (e.u.debug.kind) {
          case DebugKind::Breakpoint:
            s = makeStop(StopReason::Breakpoint);
            s.breakpointId = e.u.debug.id;
            break;
          case DebugKind::Watchpoint:
            s = makeStop(StopReason::Watchpoint);
            s.breakpointId = e.u.debug.id;
            s.watch.address = e.u.debug.address;
            s.watch.access = e.u.debug.access;
            s.watch.size = e.u.debug.size;
            break;
          case DebugKind::Step: s = makeStop(StopReason::Step); break;
        }
        return finish(s);
      }
    }
  }
}

}  // namespace bv
