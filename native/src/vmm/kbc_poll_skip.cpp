// The keyboard-controller poll (vmm/kbc_poll.h) in the run loop: its reads, seen by portIn, and the skip of
// guest time they ask for, taken after the slice.
#include "vmm/machine_impl.h"

namespace bv {

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
// the same way.
void Machine::Impl::kbcPollSkip() {
  kbcSkip = false;
  if (inboxReady.load() || input.due(instructions(), clock->now())) return;
  uint64_t next = clock->nextDeadline();
  if (next != kNever) clock->advanceTo(next);
}

}  // namespace bv
