#include "vmm/io_bus.h"

namespace bv {

IoBus::IoBus() : slot_(65536, 0) {}

void IoBus::map(uint16_t base, uint16_t length, PortDevice* dev, bool wide) {
  maps_.push_back(Mapping{dev, base, wide});
  for (uint32_t p = base; p < uint32_t(base) + length && p < 65536; ++p) slot_[p] = uint8_t(maps_.size());
}

void IoBus::ignore(uint16_t port) { slot_[port] = kIgnored; }

// Wider accesses are split into bytes on consecutive ports, as ISA does: `out dx, ax` to 0x3C4 writes the
// sequencer's index and then its data. Devices therefore only ever see byte accesses, but for those mapped wide.
bool IoBus::read(uint16_t port, unsigned size, uint32_t& value) {
  if (const Mapping* w = size > 1 ? wideAt(port) : nullptr) {
    value = w->dev->portRead(uint16_t(port - w->base), size);
    return true;
  }
  if (size > 1) {
    bool any = false;
    value = 0;
    for (unsigned i = 0; i < size && i < 4; ++i) {
      uint32_t b = 0;
      any |= read(uint16_t(port + i), 1, b);
      value |= (b & 0xFF) << (8 * i);
    }
    return any;
  }
  uint8_t s = slot_[port];
  if (s == 0 || s == kIgnored) {
    value = 0xFF;
    return s != 0;
  }
  const Mapping& m = maps_[s - 1];
  value = m.dev->portRead(uint16_t(port - m.base), size);
  return true;
}

bool IoBus::write(uint16_t port, unsigned size, uint32_t value) {
  if (const Mapping* w = size > 1 ? wideAt(port) : nullptr) {
    w->dev->portWrite(uint16_t(port - w->base), size, value);
    return true;
  }
  if (size > 1) {
    bool any = false;
    for (unsigned i = 0; i < size && i < 4; ++i) any |= write(uint16_t(port + i), 1, (value >> (8 * i)) & 0xFF);
    return any;
  }
  uint8_t s = slot_[port];
  if (s == 0 || s == kIgnored) return s != 0;
  const Mapping& m = maps_[s - 1];
  m.dev->portWrite(uint16_t(port - m.base), size, value);
  return true;
}

}  // namespace bv
