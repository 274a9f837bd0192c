// A guest waiting on the 8042 by polling it (`wait: in al,0x64 / test al,1 / jz wait` for a key, or
// `in al,0x60 / cmp al,0x1C / jne` for Enter) asks the same question and gets the same answer until a timer
// event (the controller moving its next byte into the output buffer, a PIT tick) or an input from the host
// changes it; interpreted at 10 ns per instruction, a second of waiting is 100 M instructions. Once the spin
// probe has seen one whole turn of such a loop leave every register as it was (it only reads the controller
// and computes), each read that repeats the previous answer moves guest time to the next timer event. The
// poll ends when a read takes a byte, or when two reads are further apart than two turns of the loop (the
// loop ended, or an interrupt handler ran in between); a quiet read from the same instruction after that asks
// the probe to look again at once, so an IRQ0 costs one probed turn, not the probe's period. Decided from the
// instruction count and the answers alone, so replays skip at the same points; saved in snapshots.
#pragma once
#include <cstdint>

#include "bootvisor/snapshot.h"

namespace bv {

class KbcPoll {
 public:
  enum class Read { Keep, Skip, Probe };

  bool active() const { return active_; }
  // The probe saw a turn of `turn` instructions ending at `count`.
  void confirm(uint64_t count, uint32_t turn) {
    active_ = true;
    rearm_ = false;
    last_ = count;
    gap_ = 2 * uint64_t(turn) + 16;
    port_ = 0;
  }
  // A read of the controller at `count` by the instruction at `rip`, which answered `value`; `quiet`: the read
  // changed nothing (the status port, or the data port with the output buffer empty).
  Read read(uint64_t count, uint64_t rip, uint16_t port, uint8_t value, bool quiet) {
    if (!active_) {
      if (!rearm_ || !quiet || rip != rip_) return Read::Keep;
      rearm_ = false;
      return Read::Probe;
    }
    if (!quiet || count - last_ > gap_) {
      active_ = false;
      rearm_ = true;
      if (quiet && rip == rip_) {
        rearm_ = false;
        return Read::Probe;
      }
      return Read::Keep;
    }
    bool same = port == port_ && value == value_;
    last_ = count;
    rip_ = rip;
    port_ = port;
    value_ = value;
    return same ? Read::Skip : Read::Keep;
  }
  void save(SnapshotWriter& w) const {
    w.boolean(active_);
    w.boolean(rearm_);
    w.u64(last_);
    w.u64(gap_);
    w.u64(rip_);
    w.u16(port_);
    w.u8(value_);
  }
  void load(SnapshotReader& r) {
    active_ = r.boolean();
    rearm_ = r.boolean();
    last_ = r.u64();
    gap_ = r.u64();
    rip_ = r.u64();
    port_ = r.u16();
    value_ = r.u8();
  }

 private:
  bool active_ = false, rearm_ = false;
  uint64_t last_ = 0, gap_ = 0, rip_ = ~0ull;
  uint16_t port_ = 0;
  uint8_t value_ = 0;
};

}  // namespace bv
