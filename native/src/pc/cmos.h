// Motorola MC146818A real-time clock and CMOS RAM (datasheet; IBM PC/AT layout of the RAM bytes).
// Offsets: 0 = index (port 0x70, bit 7 masks NMI), 1 = data (port 0x71). The time is the epoch the machine
// was given plus virtual time (deterministic), or the host's clock; guest writes to the time registers
// shift it. The periodic interrupt (register A's rate, register B's PIE) drives IRQ8.
#pragma once
#include <cstdint>
#include <functional>

#include "base/clock.h"
#include "bootvisor/device.h"

namespace bv {

class Cmos : public PortDevice, public Snapshottable {
 public:
  // epochSeconds: wall time at virtual time 0; realTime: follow the host's clock instead.
  Cmos(Clock& clock, std::function<void(bool)> irq8, uint64_t epochSeconds, bool realTime);
  const char* deviceName() const override { return "rtc"; }
  uint32_t portRead(uint16_t offset, unsigned size) override;
  void portWrite(uint16_t offset, unsigned size, uint32_t value) override;
  void save(SnapshotWriter& w) const override;
  bool load(SnapshotReader& r) override;

  // The machine fills the configuration bytes (memory sizes, drives) at power-on.
  void setByte(uint8_t index, uint8_t v) { ram_[index & 0x7F] = v; }
  uint8_t byte(uint8_t index) const { return ram_[index & 0x7F]; }
  // Seconds since 1970 as the guest sees the clock now.
  int64_t wallSeconds() const;
  uint64_t periodicNs() const;  // 0 when the rate selects no periodic interrupt
  int timerId() const { return timer_; }

 private:
  uint8_t readRegister(uint8_t index);
  uint8_t encode(int v) const;  // BCD or binary, per register B
  int decode(uint8_t v) const;
  void writeTime(uint8_t index, uint8_t v);
  void schedule();
  bool alarmCanMatch() const;  // whether some time of day reads back as the alarm (0xC0-0xFF: any)
  void onTimer();
  void updateIrq();

  Clock& clock_;
  std::function<void(bool)> irq8_;
  uint64_t epoch_;
  bool realTime_;
  int timer_;
  uint8_t ram_[128] = {};
  uint8_t index_ = 0;
  int64_t offset_ = 0;         // seconds the guest moved the clock by
  uint64_t nextPeriodic_ = 0;  // virtual ns of the next periodic flag
  int64_t lastSecond_ = 0;     // for the update-ended flag
};

}  // namespace bv
