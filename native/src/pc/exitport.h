// QEMU's isa-debug-exit (port 0xF4, iosize 1): a write ends the run; the process exit status is
// (value << 1) | 1, so a guest can never report plain success by accident.
#pragma once
#include <functional>

#include "bootvisor/device.h"

namespace bv {

class ExitPort : public PortDevice {
 public:
  explicit ExitPort(std::function<void(int status)> onExit) : onExit_(std::move(onExit)) {}
  const char* deviceName() const override { return "isa-debug-exit"; }
  uint32_t portRead(uint16_t, unsigned) override { return 0xFF; }
  void portWrite(uint16_t, unsigned, uint32_t value) override { onExit_(int(((value & 0xFF) << 1) | 1)); }

 private:
  std::function<void(int)> onExit_;
};

}  // namespace bv
