// Intel 8254 programmable interval timer (datasheet 231164). Channel 0 drives IRQ0, channel 2 the speaker
// (its gate and output are on port 0x61, see speaker.h). Counts are computed from virtual time when read;
// a timer is armed only for channel 0's next output edge (QEMU's i8254 does the same).
#pragma once
#include <cstdint>
#include <functional>

#include "base/clock.h"
#include "bootvisor/device.h"

namespace bv {

constexpr uint64_t kPitHz = 1193182;

class Pit : public PortDevice, public Snapshottable {
 public:
  // irq0: drives channel 0's output line.
  Pit(Clock& clock, std::function<void(bool)> irq0);
  const char* deviceName() const override { return "pit"; }
  // Offsets: 0-2 channel counters, 3 mode/command.
  uint32_t portRead(uint16_t offset, unsigned size) override;
  void portWrite(uint16_t offset, unsigned size, uint32_t value) override;
  void save(SnapshotWriter& w) const override;
  bool load(SnapshotReader& r) override;

  void setGate(int channel, bool gate);
  bool gate(int channel) const { return ch_[channel].gate; }
  bool output(int channel) const;
  // Channel 0's period in ns (for tests and the BIOS), 0 when not periodic.
  uint64_t periodNs(int channel) const;
  int timerId() const { return timer_; }  // channel 0's edges
  // A whole value has been read from the channel: no latched count or status is waiting, no MSB is due.
  bool readDone(int channel) const {
    const Channel& c = ch_[channel];
    return !c.countLatched && !c.statusLatched && c.readState != 4;
  }

 private:
  struct Channel {
    uint32_t count = 0x10000;   // reload value (0 written means 65536)
    uint16_t latchedCount = 0;  // counter latch command
    uint8_t countLatched = 0;   // 0 none, else access mode of the pending latched read
    bool statusLatched = false;
    uint8_t status = 0;
    uint8_t rwMode = 3;     // 1 LSB, 2 MSB, 3 LSB then MSB
    uint8_t readState = 3;  // position in a two-byte read/write
    uint8_t writeState = 3;
    uint8_t writeLatch = 0;
    uint8_t mode = 3;
    bool bcd = false;
    bool gate = true;
    uint64_t loadTime = 0;  // virtual ns when the count was loaded (or the gate triggered)
  };
  uint64_t ticksSince(const Channel& c, uint64_t now) const;
  uint32_t currentCount(const Channel& c) const;
  static bool outAt(const Channel& c, uint64_t d);
  static int64_t nextEdge(const Channel& c, uint64_t d);  // tick of the next output change, -1 if none
  void loadCount(int n, uint32_t v);
  // Channel 0's output at time t drives IRQ0; the timer is armed for the edge after t.
  void updateIrq(uint64_t t);
  void updateIrq() { updateIrq(clock_.now()); }

  Clock& clock_;
  std::function<void(bool)> irq0_;
  int timer_;
  uint64_t edgeTime_ = 0;  // the virtual time the timer was armed for
  Channel ch_[3];
};

}  // namespace bv
