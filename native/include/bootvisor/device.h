// What a PC device sees of the machine: its own port offsets, interrupt lines and virtual time.
// A device knows nothing of a backend, and a backend knows nothing of a device.
#pragma once
#include <cstdint>
#include <vector>

namespace bv {

class SnapshotWriter;
class SnapshotReader;

// A device on the I/O bus. It is handed the offset from the base it was mapped at, never its address.
class PortDevice {
 public:
  virtual ~PortDevice() = default;
  virtual const char* deviceName() const = 0;
  virtual uint32_t portRead(uint16_t offset, unsigned size) = 0;
  virtual void portWrite(uint16_t offset, unsigned size, uint32_t value) = 0;
};

// The interrupt lines a device can drive (the PIC implements it).
class IrqSink {
 public:
  virtual ~IrqSink() = default;
  virtual void setIrq(int irq, bool level) = 0;
};

// Every device and the vCPU save and restore themselves for snapshots.
class Snapshottable {
 public:
  virtual ~Snapshottable() = default;
  virtual void save(SnapshotWriter& w) const = 0;
  virtual bool load(SnapshotReader& r) = 0;
};

}  // namespace bv
