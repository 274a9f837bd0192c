#include "pc/speaker.h"

#include "bootvisor/snapshot.h"

namespace bv {

namespace {
constexpr uint8_t kGate2 = 0x01;
constexpr uint8_t kRefreshToggle = 0x10;
constexpr uint8_t kOut2 = 0x20;
constexpr uint64_t kRefreshNs = 15085;
}  // namespace

uint32_t SpeakerPort::portRead(uint16_t, unsigned) {
  uint8_t v = value_ & 0x0F;
  if ((clock_.now() / kRefreshNs) & 1) v |= kRefreshToggle;
  if (pit_.output(2)) v |= kOut2;
  return v;
}

void SpeakerPort::portWrite(uint16_t, unsigned, uint32_t value) {
  value_ = uint8_t(value & 0x0F);
  pit_.setGate(2, value_ & kGate2);
}

void SpeakerPort::save(SnapshotWriter& w) const {
  w.section("port61");
  w.u8(value_);
}

bool SpeakerPort::load(SnapshotReader& r) {
  r.section("port61");
  value_ = r.u8();
  return r.ok();
}

}  // namespace bv
