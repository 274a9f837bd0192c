// Virtual time and the timer queue. Nothing ticks per instruction: a device computes its state from now()
// when it is read, and arms a timer only for its next edge (as QEMU's PIT does). The machine runs the vCPU
// for a budget that ends at the earliest deadline, then fires what is due.
//
// Virtual mode: now() = base + (instructions retired since the base) * kNsPerInstruction, plus the time a
// halted vCPU skipped. Real mode: the host's monotonic clock since power-on.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

namespace bv {

class SnapshotWriter;
class SnapshotReader;

constexpr uint64_t kNsPerInstruction = 10;  // a 100 MIPS guest: PIT ticks, RTC and retrace follow this
constexpr uint64_t kNever = ~uint64_t(0);

class Clock {
 public:
  using Counter = std::function<uint64_t()>;
  using Callback = std::function<void()>;

  // counter: instructions retired (virtual mode); empty for real mode.
  explicit Clock(Counter counter);

  bool isVirtual() const { return bool(counter_); }
  uint64_t now() const;
  // Moves virtual time forward (HLT skipping ahead, device tests); in real mode only an offset.
  void advanceTo(uint64_t t);
  // Another vCPU took the guest (its counter starts elsewhere), or the mode changed: now() stays continuous.
  void rebase(Counter counter);

  int addTimer(Callback cb);  // once per device, at machine creation (order matters for snapshots)
  void arm(int id, uint64_t deadline);
  void disarm(int id);
  bool armed(int id) const { return timers_[id].deadline != kNever; }
  uint64_t nextDeadline() const;
  // The IRQ line a timer's device raises (set by the machine, which owns the wiring); untagged timers may
  // wake the guest through any line.
  void setWakeLine(int id, int irq) { timers_[id].wakeIrq = irq; }
  // The earliest deadline among timers that could wake a sleeping guest: untagged ones, and those whose line
  // is set in openIrqs (bit n = IRQ n). kNever when none is armed.
  uint64_t nextWakeDeadline(uint16_t openIrqs) const;
  // Fires every timer whose deadline has passed, earliest first. Returns how many fired.
  int fireDue();

  void save(SnapshotWriter& w) const;
  bool load(SnapshotReader& r);

  static uint64_t hostNs();  // the host's monotonic clock

 private:
  struct Timer {
    uint64_t deadline = kNever;
    Callback cb;
    int wakeIrq = -1;
  };
  Counter counter_;
  uint64_t base_ = 0;  // now() at the moment countBase_ / hostBase_ were taken
  uint64_t countBase_ = 0;
  uint64_t hostBase_ = 0;
  std::vector<Timer> timers_;
};

}  // namespace bv
