#include "pc/ps2_mouse.h"

#include "bootvisor/snapshot.h"

namespace bv {

namespace {
constexpr uint8_t kAck = 0xFA, kResend = 0xFE;
constexpr int kMaxDelta = 255;
}  // namespace

void Ps2Mouse::defaults() {
  reporting_ = false;
  scaling21_ = false;
  rate_ = 100;
  resolution_ = 2;
  dx_ = dy_ = 0;
}

std::vector<uint8_t> Ps2Mouse::command(uint8_t byte) {
  if (pending_) {
    uint8_t cmd = pending_;
    pending_ = 0;
    if (cmd == 0xF3) rate_ = byte;
    if (cmd == 0xE8) resolution_ = byte & 3;
    return {kAck};
  }
  // Wrap mode echoes everything but its own reset and end.
  if (wrap_ && byte != 0xEC && byte != 0xFF) return {byte};
  switch (byte) {
    case 0xFF:  // reset: acknowledge, self-test passed, device ID 0
      defaults();
      remote_ = wrap_ = false;
      return {kAck, 0xAA, 0x00};
    case 0xF6: defaults(); return {kAck};
    case 0xF5: reporting_ = false; return {kAck};
    case 0xF4:
      reporting_ = true;
      dx_ = dy_ = 0;
      return {kAck};
    case 0xF3:
    case 0xE8: pending_ = byte; return {kAck};
    case 0xF2: return {kAck, 0x00};  // a standard mouse, no wheel
    case 0xF0: remote_ = true; return {kAck};
    case 0xEA: remote_ = false; return {kAck};
    case 0xEE: wrap_ = true; return {kAck};
    case 0xEC: wrap_ = false; return {kAck};
    case 0xE6: scaling21_ = false; return {kAck};
    case 0xE7: scaling21_ = true; return {kAck};
    case 0xE9: {  // status: mode, reporting, scaling and buttons (left bit 2, middle 1, right 0); resolution; rate
      uint8_t b = uint8_t((remote_ ? 0x40 : 0) | (reporting_ ? 0x20 : 0) | (scaling21_ ? 0x10 : 0) |
                          ((buttons_ & 1) << 2) | ((buttons_ & 4) >> 1) | ((buttons_ & 2) >> 1));
      return {kAck, b, resolution_, rate_};
    }
    case 0xEB: {  // read data (remote mode): one packet of what moved since
      std::vector<uint8_t> out{kAck};
      packet(out);
      return out;
    }
    default: return {kResend};
  }
}

void Ps2Mouse::packet(std::vector<uint8_t>& out) {
  int x = dx_ < -kMaxDelta ? -kMaxDelta : dx_ > kMaxDelta ? kMaxDelta : dx_;
  int y = dy_ < -kMaxDelta ? -kMaxDelta : dy_ > kMaxDelta ? kMaxDelta : dy_;
  dx_ -= x;
  dy_ -= y;
  out.push_back(uint8_t(0x08 | (buttons_ & 7) | (x < 0 ? 0x10 : 0) | (y < 0 ? 0x20 : 0)));
  out.push_back(uint8_t(x));
  out.push_back(uint8_t(y));
}

std::vector<uint8_t> Ps2Mouse::move(int dx, int dy, uint8_t buttons) {
  std::vector<uint8_t> out;
  bool changed = (buttons & 7) != buttons_;
  buttons_ = buttons & 7;
  // Bounded: a runaway host cannot make one move into thousands of packets.
  constexpr int kMaxMove = 16 * kMaxDelta;
  dx_ += dx < -kMaxMove ? -kMaxMove : dx > kMaxMove ? kMaxMove : dx;
  dy_ -= dy < -kMaxMove ? -kMaxMove : dy > kMaxMove ? kMaxMove : dy;
  if (!reporting_ || remote_ || wrap_) return out;
  if (!changed && dx_ == 0 && dy_ == 0) return out;
  do packet(out);
  while (dx_ != 0 || dy_ != 0);
  return out;
}

void Ps2Mouse::save(SnapshotWriter& w) const {
  w.section("ps2mouse");
  uint8_t b[] = {pending_, uint8_t(reporting_), uint8_t(remote_), uint8_t(wrap_), uint8_t(scaling21_),
                 rate_,    resolution_,         buttons_};
  w.bytes(b, sizeof b);
  w.u32(uint32_t(dx_));
  w.u32(uint32_t(dy_));
}

bool Ps2Mouse::load(SnapshotReader& r) {
  r.section("ps2mouse");
  uint8_t b[8];
  r.bytes(b, sizeof b);
  pending_ = b[0], reporting_ = b[1], remote_ = b[2], wrap_ = b[3], scaling21_ = b[4], rate_ = b[5];
  resolution_ = b[6], buttons_ = b[7];
  dx_ = int32_t(r.u32());
  dy_ = int32_t(r.u32());
  return r.ok();
}

}  // namespace bv
