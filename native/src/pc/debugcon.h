// Bochs/QEMU debug console (port 0xE9): every byte written goes to the host; reads return 0xE9 so a guest
// can detect it.
#pragma once
#include <functional>

#include "bootvisor/device.h"

namespace bv {

class DebugCon : public PortDevice {
 public:
  explicit DebugCon(std::function<void(uint8_t)> out) : out_(std::move(out)) {}
  const char* deviceName() const override { return "debugcon"; }
  uint32_t portRead(uint16_t, unsigned) override { return 0xE9; }
  void portWrite(uint16_t, unsigned, uint32_t value) override { out_(uint8_t(value)); }

 private:
  std::function<void(uint8_t)> out_;
};

}  // namespace bv
