// The keyboard-controller poll (vmm/kbc_poll.h) in the run loop: its reads, seen by portIn, and the skip of
// guest time they ask for, taken after the slice.
#include "vmm/machine_impl.h"

namespace bv {

namespace {
constexpr uint64_t kWallWaitNs = 20000000;  // a paced wait looks at stops and input this often
}

bool Machine::Impl::kbcPollRead(uint16_t port, uint8_t value, bool quiet, uint64_t rip) {
  switch (kbcPoll.read(instructions(), rip, port, value, quiet)) {
    case KbcPoll::Read::Keep: return false;
    case KbcPoll::Read::Skip: kbcSkip = true; return true;
    case KbcPoll::Read::Probe: spin.probeSoon(instructions()); return true;
  }
  return false;
}

// To the next timer event, where the answer can change, never past it; and not while an input waits to be
// delivered at this instruction, the host's (live) or the log's (replayed). A live input that arrives after
// this look is stamped with the time after the skip, so its replay, which finds it not yet due here, skips
// the same way. A paced clock first waits for the wall clock to get there (the skip would otherwise run the
// guest ahead of it by up to a tick each slice); a wait that an input cuts short moves guest time only as far
// as the wall clock got and logs that as a pace event, which a replay takes instead of the skip (the input
// starts a new timeline anyway). A stop (a pause, the host parking the guest to look at it) leaves the skip
// pending, in snapshots too: the next run takes it up before any instruction, so it happens at the same
// instruction whatever the host did meanwhile. A step does not wait: it reaches the same state at once.
void Machine::Impl::kbcPollSkip(bool step) {
  kbcSkip = false;
  if (inboxReady.load() || input.due(instructions(), clock->now())) return;
  // Taken up after a stop: an input the host sent meanwhile went in at this instruction, before the skip (its
  // replay, due here, finds the skip not taken, as the first look above does).
  const size_t c = input.cursor();
  if (c > 0 && input.events()[c - 1].at == instructions() && input.events()[c - 1].kind != InputKind::Pace) return;
  uint64_t next = clock->nextDeadline();
  if (next == kNever) return;
  const InputEvent* e = input.next();
  if (e && e->kind == InputKind::Pace && e->at == instructions()) {
    input.advance();
    if (e->timeNs < next) next = e->timeNs;
  } else if (clockMode == ClockMode::Paced && !step) {
    flushOutput(false);
    uint64_t wall = pacer.wallGuestNs();
    bool cut = false;
    while (wall < next && !cut) {
      cut = hostWait(next - wall < kWallWaitNs ? next - wall : kWallWaitNs);
      wall = pacer.wallGuestNs();
    }
    if (cut && wall < next && !inboxReady.load()) {
      kbcSkip = true;  // stopped: taken up again by the next run
      return;
    }
    if (cut && wall < next) {
      InputEvent p;
      p.kind = InputKind::Pace;
      p.at = instructions();
      p.timeNs = wall > clock->now() ? wall : clock->now();
      next = p.timeNs;
      input.record(std::move(p));
    }
  }
  clock->advanceTo(next);
}

}  // namespace bv
