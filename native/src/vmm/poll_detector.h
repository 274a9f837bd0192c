// A guest that asks the same question over and over and gets the same answer (INT 1Ah "what tick is it?",
// INT 16h "is there a key?") is waiting for time to pass, however it is written. Interpreting its loop
// costs the host ~2.5 us per BIOS round trip but the guest only ~100 ns: a game polling INT 1Ah for the next
// tick ran at 1-5 % of a PC's speed. Once the answer has repeated within a few instructions kRepeats times,
// the machine skips guest time to the next timer event, where the answer can change. Decided from the
// instruction count and the answers only, so a replay skips at exactly the same points; saved in snapshots.
#pragma once
#include <cstdint>

#include "bootvisor/snapshot.h"

namespace bv {

class PollDetector {
 public:
  static constexpr uint64_t kWindow = 5000;  // instructions between two polls of one waiting loop
  static constexpr uint32_t kRepeats = 4;

  // `question` tells apart what is asked (service and function); true when guest time should skip ahead.
  bool note(uint32_t question, uint64_t answer, uint64_t count) {
    bool same = question == question_ && answer == answer_ && count - at_ <= kWindow;
    repeats_ = same ? repeats_ + 1 : 0;
    question_ = question;
    answer_ = answer;
    at_ = count;
    if (repeats_ < kRepeats) return false;
    repeats_ = 0;
    return true;
  }
  void save(SnapshotWriter& w) const {
    w.u32(question_);
    w.u64(answer_);
    w.u64(at_);
    w.u32(repeats_);
  }
  void load(SnapshotReader& r) {
    question_ = r.u32();
    answer_ = r.u64();
    at_ = r.u64();
    repeats_ = r.u32();
  }

 private:
  uint32_t question_ = ~0u;
  uint64_t answer_ = 0, at_ = 0;
  uint32_t repeats_ = 0;
};

}  // namespace bv
