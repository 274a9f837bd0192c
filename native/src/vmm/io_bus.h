// The port I/O bus: which device answers which port range. Devices are handed the offset from the base
// they were mapped at (Firecracker's BusDevice); only the machine's wiring knows port numbers.
#pragma once
#include <cstdint>
#include <vector>

#include "bootvisor/device.h"

namespace bv {

class IoBus {
 public:
  IoBus();
  // Maps [base, base + length) to dev. Later mappings win over earlier ones for overlapping ports.
  // `wide`: the device takes 16- and 32-bit accesses whole at the port they start at (the VBE's 16-bit
  // registers), instead of a byte on each port.
  void map(uint16_t base, uint16_t length, PortDevice* dev, bool wide = false);
  // Ports no device serves but which guests use for delays (0x80 POST codes): silent, reads 0xFF.
  void ignore(uint16_t port);

  // false when no device serves the port: the value read is all ones.
  bool read(uint16_t port, unsigned size, uint32_t& value);
  bool write(uint16_t port, unsigned size, uint32_t value);
  bool served(uint16_t port) const { return slot_[port] != 0; }

 private:
  struct Mapping {
    PortDevice* dev;
    uint16_t base;
    bool wide;
  };
  const Mapping* wideAt(uint16_t port) const {
    const uint8_t s = slot_[port];
    return s != 0 && s != kIgnored && maps_[s - 1].wide ? &maps_[s - 1] : nullptr;
  }
  static constexpr uint8_t kIgnored = 0xFF;
  std::vector<Mapping> maps_;  // index + 1 stored in slot_
  std::vector<uint8_t> slot_;  // one per port: 0 unserved, kIgnored, else mapping index + 1
};

}  // namespace bv
