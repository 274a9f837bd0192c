// The paced clock's tie to the wall clock. Guest time stays a function of the instruction count (and of the
// deterministic idle skips); pacing only decides how long the host sleeps, so a paced run and a fast run of
// the same input log execute the same instructions. The tie is re-made whenever the host stops running the
// guest (a pause, an inspection, waiting for input), so time spent there is neither made up nor raced through.
#pragma once
#include <cstdint>

#include "base/clock.h"

namespace bv {

class Pacer {
 public:
  void anchor(uint64_t guestNs) {
    guestBase_ = guestNs;
    hostBase_ = Clock::hostNs();
  }
  // The guest time the wall clock stands at now.
  uint64_t wallGuestNs() const { return guestBase_ + (Clock::hostNs() - hostBase_); }
  // How far the guest is ahead of the wall clock (negative: behind).
  int64_t aheadNs(uint64_t guestNs) const { return int64_t(guestNs - wallGuestNs()); }

  // Keeping up: the guest more than kLagNs behind means the host cannot run it at a PC's pace. The tie is
  // then re-made at the guest's time (rather than racing to catch up). True when the state changed.
  static constexpr int64_t kLagNs = 250000000;
  bool noteBehind(uint64_t guestNs) {
    int64_t ahead = aheadNs(guestNs);
    if (ahead < -kLagNs) {
      anchor(guestNs);
      if (keepingUp_) return (keepingUp_ = false, true);
    } else if (ahead >= 0 && !keepingUp_) {
      return (keepingUp_ = true, true);
    }
    return false;
  }
  bool keepingUp() const { return keepingUp_; }

 private:
  uint64_t guestBase_ = 0, hostBase_ = 0;
  bool keepingUp_ = true;
};

}  // namespace bv
