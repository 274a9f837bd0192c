// System control port B (port 0x61 on the PC/AT): PIT channel 2's gate and the speaker data enable, and on
// reads channel 2's output and the DRAM refresh toggle that delay loops poll (every 15.085 us).
#pragma once
#include "bootvisor/device.h"
#include "pc/pit.h"

namespace bv {

class SpeakerPort : public PortDevice, public Snapshottable {
 public:
  SpeakerPort(Pit& pit, Clock& clock) : pit_(pit), clock_(clock) {}
  const char* deviceName() const override { return "port61"; }
  uint32_t portRead(uint16_t offset, unsigned size) override;
  void portWrite(uint16_t offset, unsigned size, uint32_t value) override;
  void save(SnapshotWriter& w) const override;
  bool load(SnapshotReader& r) override;
  bool speakerOn() const { return (value_ & 3) == 3; }

 private:
  Pit& pit_;
  Clock& clock_;
  uint8_t value_ = 0;  // bits 0-3 as last written
};

}  // namespace bv
