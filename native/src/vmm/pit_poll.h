// A delay timed with the 8254 (latch channel 0, read its count, add up how far it went down, until enough
// has gone by) is waiting for time to pass, but its answer changes on every read, so the poll detector cannot
// see it, and interpreted at 10 ns per instruction it runs at a fraction of a PC's pace (a real PIT read is an
// ISA bus cycle of about 1 us). Once the spin probe has seen one whole turn of such a loop (it only computes
// in registers and reads the PIT), each completed counter read moves guest time on by kStepNs, never past
// the next timer event: a delay ends at most kStepNs late, the counter never moves so far between two reads
// that a 16-bit difference aliases, and guest time runs ~100 times faster than the instruction count alone.
// (Steps that grew with the wait were tried: they reached the timer's edges, where mode 3 reads the same
// count every time, and the loop never saw time pass.) The poll ends as soon as two reads are further apart
// than two turns of the loop. Decided from the instruction count alone, so replays skip at the same points;
// saved in snapshots.
#pragma once
#include <cstdint>

#include "bootvisor/snapshot.h"

namespace bv {

class PitPoll {
 public:
  static constexpr uint64_t kStepNs = 10000;

  bool active() const { return active_; }
  // The probe saw a turn of `turn` instructions ending at `count`.
  void confirm(uint64_t count, uint32_t turn) {
    active_ = true;
    last_ = count;
    gap_ = 2 * uint64_t(turn) + 16;
  }
  // A completed counter read at `count`: the guest time to move to (`now` when none).
  uint64_t skipAfterRead(uint64_t count, uint64_t now) {
    if (!active_) return now;
    if (count - last_ > gap_) {
      active_ = false;
      return now;
    }
    last_ = count;
    return now + kStepNs;
  }
  void save(SnapshotWriter& w) const {
    w.boolean(active_);
    w.u64(last_);
    w.u64(gap_);
  }
  void load(SnapshotReader& r) {
    active_ = r.boolean();
    last_ = r.u64();
    gap_ = r.u64();
  }

 private:
  bool active_ = false;
  uint64_t last_ = 0, gap_ = 0;
};

}  // namespace bv
