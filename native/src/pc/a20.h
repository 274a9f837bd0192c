// System control port A (port 0x92, "fast A20"): bit 1 gates address line 20, bit 0 pulses a CPU reset.
// The A20 state itself is the machine's (the 8042 output port and INT 15h 24xx change it too).
#pragma once
#include <functional>

#include "bootvisor/device.h"

namespace bv {

class FastA20 : public PortDevice {
 public:
  FastA20(std::function<bool()> get, std::function<void(bool)> set, std::function<void()> reset)
      : get_(std::move(get)), set_(std::move(set)), reset_(std::move(reset)) {}
  const char* deviceName() const override { return "port92"; }
  uint32_t portRead(uint16_t, unsigned) override { return get_() ? 0x02 : 0x00; }
  void portWrite(uint16_t, unsigned, uint32_t value) override {
    set_(value & 0x02);
    if (value & 0x01) reset_();
  }

 private:
  std::function<bool()> get_;
  std::function<void(bool)> set_;
  std::function<void()> reset_;
};

}  // namespace bv
