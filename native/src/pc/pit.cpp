#include "pc/pit.h"

#include "bootvisor/snapshot.h"

namespace bv {

namespace {
constexpr uint8_t kCmdReadBack = 3;  // select-counter field value 3
constexpr uint8_t kReadBackNoCount = 0x20;
constexpr uint8_t kReadBackNoStatus = 0x10;

// ticks <-> ns without overflowing for centuries of guest time
uint64_t nsToTicks(uint64_t ns) { return ns / 1000000000ull * kPitHz + (ns % 1000000000ull) * kPitHz / 1000000000ull; }
uint64_t ticksToNs(uint64_t t) {
  return t / kPitHz * 1000000000ull + ((t % kPitHz) * 1000000000ull + kPitHz - 1) / kPitHz;
}
}  // namespace

Pit::Pit(Clock& clock, std::function<void(bool)> irq0) : clock_(clock), irq0_(std::move(irq0)) {
  // The timer evaluates the output at the edge it was armed for, not at "now": with the host clock the
  // callback runs late, and a one-tick pulse (mode 2) would otherwise be missed.
  timer_ = clock_.addTimer([this] { updateIrq(edgeTime_); });
  // Channel 2's gate is off until port 0x61 turns it on; the BIOS programs channel 0 (see machine setup).
  ch_[2].gate = false;
}

uint64_t Pit::ticksSince(const Channel& c, uint64_t now) const {
  return now > c.loadTime ? nsToTicks(now - c.loadTime) : 0;
}

uint32_t Pit::currentCount(const Channel& c) const {
  uint64_t d = ticksSince(c, clock_.now());
  uint32_t n = c.count;
  switch (c.mode) {
    case 0:
    case 1:
    case 4:
    case 5: return uint32_t((n - d) & 0xFFFF);
    case 3: return uint32_t(n - ((2 * d) % n));  // counts down by two, twice per period
    default: return uint32_t(n - (d % n));
  }
}

bool Pit::outAt(const Channel& c, uint64_t d) {
  uint64_t n = c.count;
  switch (c.mode) {
    case 0: return d >= n;
    case 1: return d < n;
    case 2: return (d % n) == 0 && d != 0;
    case 3: return (d % n) < ((n + 1) >> 1);
    case 4:
    case 5: return d == n;
    default: return false;
  }
}

int64_t Pit::nextEdge(const Channel& c, uint64_t d) {
  uint64_t n = c.count;
  switch (c.mode) {
    case 0:
    case 1: return d < n ? int64_t(n) : -1;
    case 2: {
      uint64_t base = (d / n) * n;
      return int64_t((d - base) == 0 && d != 0 ? base + 1 : base + n);
    }
    case 3: {
      uint64_t base = (d / n) * n, half = (n + 1) >> 1;
      return int64_t((d - base) < half ? base + half : base + n);
    }
    case 4:
    case 5:
      if (d < n) return int64_t(n);
      if (d == n) return int64_t(n + 1);
      return -1;
    default: return -1;
  }
}

bool Pit::output(int channel) const {
  const Channel& c = ch_[channel];
  if (!c.gate && (c.mode == 2 || c.mode == 3)) return true;  // gate low forces the output high
  return outAt(c, ticksSince(c, clock_.now()));
}

uint64_t Pit::periodNs(int channel) const {
  const Channel& c = ch_[channel];
  if (c.mode != 2 && c.mode != 3) return 0;
  return ticksToNs(c.count);
}

void Pit::updateIrq(uint64_t t) {
  Channel& c = ch_[0];
  uint64_t d = ticksSince(c, t);
  irq0_(outAt(c, d));
  int64_t next = nextEdge(c, d);
  if (next < 0 || !c.gate) {
    clock_.disarm(timer_);
    return;
  }
  edgeTime_ = c.loadTime + ticksToNs(uint64_t(next));
  clock_.arm(timer_, edgeTime_);
}

void Pit::loadCount(int n, uint32_t v) {
  Channel& c = ch_[n];
  c.count = v == 0 ? 0x10000 : v;
  c.loadTime = clock_.now();
  if (n == 0) updateIrq();
}

void Pit::setGate(int n, bool g) {
  Channel& c = ch_[n];
  if (g && !c.gate && (c.mode == 1 || c.mode == 2 || c.mode == 3 || c.mode == 5)) c.loadTime = clock_.now();
  c.gate = g;
  if (n == 0) updateIrq();
}

uint32_t Pit::portRead(uint16_t offset, unsigned size) {
  if (offset > 2) return 0xFF;  // the control word register is write-only
  Channel& c = ch_[offset];
  if (c.statusLatched) {
    c.statusLatched = false;
    return c.status;
  }
  auto byteOf = [](uint16_t v, uint8_t state) { return state == 2 ? uint8_t(v >> 8) : uint8_t(v); };
  if (c.countLatched) {
    uint8_t v;
    if (c.countLatched == 3) {  // LSB then MSB
      v = byteOf(c.latchedCount, 1);
      c.countLatched = 2;
      return v;
    }
    v = byteOf(c.latchedCount, c.countLatched);
    c.countLatched = 0;
    return v;
  }
  uint16_t cnt = uint16_t(currentCount(c));
  switch (c.readState) {
    case 1: return uint8_t(cnt);
    case 2: return uint8_t(cnt >> 8);
    case 3: c.readState = 4; return uint8_t(cnt);  // LSB now, MSB next
    default: c.readState = 3; return uint8_t(cnt >> 8);
  }
}

void Pit::portWrite(uint16_t offset, unsigned size, uint32_t value) {
  uint8_t v = uint8_t(value);
  if (offset == 3) {
    int sel = v >> 6;
    if (sel == kCmdReadBack) {
      for (int n = 0; n < 3; ++n) {
        if (!(v & (2 << n))) continue;
        Channel& c = ch_[n];
        if (!(v & kReadBackNoCount) && !c.countLatched) {
          c.latchedCount = uint16_t(currentCount(c));
          c.countLatched = c.rwMode;
        }
        if (!(v & kReadBackNoStatus) && !c.statusLatched) {
          c.status = uint8_t((output(n) ? 0x80 : 0) | (c.rwMode << 4) | (c.mode << 1) | (c.bcd ? 1 : 0));
          c.statusLatched = true;
        }
      }
      return;
    }
    Channel& c = ch_[sel];
    int access = (v >> 4) & 3;
    if (access == 0) {  // counter latch
      if (!c.countLatched) {
        c.latchedCount = uint16_t(currentCount(c));
        c.countLatched = c.rwMode;
      }
      return;
    }
    c.rwMode = uint8_t(access);
    c.readState = c.writeState = uint8_t(access);
    c.mode = (v >> 1) & 7;
    if (c.mode > 5) c.mode -= 4;  // 6 and 7 are aliases of 2 and 3
    c.bcd = v & 1;
    if (sel == 0) updateIrq();
    return;
  }
  if (offset > 2) return;
  Channel& c = ch_[offset];
  switch (c.writeState) {
    case 1: loadCount(offset, v); break;
    case 2: loadCount(offset, uint32_t(v) << 8); break;
    case 3:
      c.writeLatch = v;
      c.writeState = 4;
      break;
    default:
      loadCount(offset, c.writeLatch | (uint32_t(v) << 8));
      c.writeState = 3;
      break;
  }
}

void Pit::save(SnapshotWriter& w) const {
  w.section("pit");
  for (const Channel& c : ch_) w.pod(c);
  w.u64(edgeTime_);
}

bool Pit::load(SnapshotReader& r) {
  r.section("pit");
  for (Channel& c : ch_) r.pod(c);
  edgeTime_ = r.u64();
  return r.ok();
}

}  // namespace bv
