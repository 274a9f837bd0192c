// Every input the guest receives from outside (keys, serial bytes, a host reset, the pacing decisions of a
// paced clock) is an event stamped with where it took effect: the instruction count and the guest time. The
// log outlives snapshots: restoring an earlier state moves the cursor back, and the run loop re-delivers the
// later events at exactly their stamps, so a run is reproduced to the instruction. A live input arriving
// while replayed events are still pending starts a new timeline: the pending ones are dropped.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "bootvisor/input.h"

namespace bv {

class InputLog {
 public:
  const std::vector<InputEvent>& events() const { return events_; }
  // Events before the cursor have been delivered; those from it on are replayed as execution reaches them.
  size_t cursor() const { return cursor_; }
  bool replaying() const { return cursor_ < events_.size(); }
  const InputEvent* next() const { return replaying() ? &events_[cursor_] : nullptr; }
  // The next event was delivered.
  void advance() {
    if (replaying()) ++cursor_;
  }
  // A live input, delivered now: drops what was still to be replayed (a new timeline), then appends.
  void record(InputEvent e);
  // Back to a snapshot's place in the log (clamped: a later timeline may have dropped events since).
  void seek(size_t cursor) { cursor_ = cursor < events_.size() ? cursor : events_.size(); }
  // Replaces the log (a recording); events at or after (count, timeNs) are still to be delivered.
  void load(std::vector<InputEvent> events, uint64_t count, uint64_t timeNs);
  // The next event is due at this point of execution (pacing decisions are taken where the wait is).
  bool due(uint64_t count, uint64_t timeNs) const;

 private:
  std::vector<InputEvent> events_;
  size_t cursor_ = 0;
};

}  // namespace bv
