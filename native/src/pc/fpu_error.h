// Ports F0h-F1h of the PC/AT: the x87's error latch. The FPU's FERR# raises IRQ13 (through the slave PIC)
// when an unmasked x87 exception is flagged with CR0.NE = 0; the guest's IRQ13 handler writes port F0h to
// clear the latch (the line drops, so the next error is a new edge). F1h (reset the coprocessor) does the
// same here. Reads give 0xFF.
#pragma once
#include <functional>

#include "bootvisor/device.h"

namespace bv {

class FpuErrorPort : public PortDevice {
 public:
  explicit FpuErrorPort(std::function<void()> clear) : clear_(std::move(clear)) {}
  const char* deviceName() const override { return "x87 error latch"; }
  uint32_t portRead(uint16_t, unsigned) override { return 0xFF; }
  void portWrite(uint16_t, unsigned, uint32_t) override { clear_(); }

 private:
  std::function<void()> clear_;
};

}  // namespace bv
