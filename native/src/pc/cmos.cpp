#include "pc/cmos.h"

#include <ctime>

#include "bootvisor/snapshot.h"

namespace bv {

namespace {
constexpr uint8_t kRegSeconds = 0x00, kRegSecondsAlarm = 0x01, kRegMinutes = 0x02, kRegMinutesAlarm = 0x03,
                  kRegHours = 0x04, kRegHoursAlarm = 0x05, kRegWeekday = 0x06, kRegDay = 0x07, kRegMonth = 0x08,
                  kRegYear = 0x09, kRegA = 0x0A, kRegB = 0x0B, kRegC = 0x0C, kRegD = 0x0D, kRegCentury = 0x32;
constexpr uint8_t kAUip = 0x80;
constexpr uint8_t kBSet = 0x80, kBPie = 0x40, kBAie = 0x20, kBUie = 0x10, kBBinary = 0x04, kB24h = 0x02;
constexpr uint8_t kCIrqf = 0x80, kCPf = 0x40, kCAf = 0x20, kCUf = 0x10;
constexpr uint8_t kDVrt = 0x80;
constexpr uint64_t kUipNs = 244000;  // the update cycle's "in progress" window before each second

int64_t daysFromCivil(int64_t y, unsigned m, unsigned d) {  // days since 1970-01-01 (proleptic Gregorian)
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = unsigned(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + int64_t(doe) - 719468;
}
}  // namespace

Cmos::Cmos(Clock& clock, std::function<void(bool)> irq8, uint64_t epochSeconds, bool realTime)
    : clock_(clock), irq8_(std::move(irq8)), epoch_(epochSeconds), realTime_(realTime) {
  timer_ = clock_.addTimer([this] { onTimer(); });
  ram_[kRegA] = 0x26;  // 32.768 kHz time base, 1024 Hz periodic rate
  ram_[kRegB] = kB24h;
  ram_[kRegD] = kDVrt;
}

int64_t Cmos::wallSeconds() const {
  int64_t base = realTime_ ? int64_t(std::time(nullptr)) : int64_t(epoch_ + clock_.now() / 1000000000ull);
  return base + offset_;
}

uint8_t Cmos::encode(int v) const {
  if (ram_[kRegB] & kBBinary) return uint8_t(v);
  return uint8_t(((v / 10) << 4) | (v % 10));
}

int Cmos::decode(uint8_t v) const {
  if (ram_[kRegB] & kBBinary) return v;
  return (v >> 4) * 10 + (v & 0x0F);
}

uint8_t Cmos::readRegister(uint8_t i) {
  if (i <= kRegYear || i == kRegCentury) {
    time_t t = time_t(wallSeconds());
    struct tm tm;
    gmtime_r(&t, &tm);
    switch (i) {
      case kRegSeconds: return encode(tm.tm_sec);
      case kRegMinutes: return encode(tm.tm_min);
      case kRegHours: {
        if (ram_[kRegB] & kB24h) return encode(tm.tm_hour);
        int h = tm.tm_hour % 12;
        return uint8_t(encode(h == 0 ? 12 : h) | (tm.tm_hour >= 12 ? 0x80 : 0));
      }
      case kRegWeekday: return encode(tm.tm_wday + 1);
      case kRegDay: return encode(tm.tm_mday);
      case kRegMonth: return encode(tm.tm_mon + 1);
      case kRegYear: return encode((tm.tm_year + 1900) % 100);
      case kRegCentury: return encode((tm.tm_year + 1900) / 100);
      default: return ram_[i];  // the alarm registers
    }
  }
  switch (i) {
    case kRegA: {
      uint64_t intoSecond = clock_.now() % 1000000000ull;
      bool uip = !realTime_ && intoSecond >= 1000000000ull - kUipNs;
      return uint8_t((ram_[kRegA] & ~kAUip) | (uip ? kAUip : 0));
    }
    case kRegC: {
      onTimer();  // bring the flags up to date before they are read and cleared
      uint8_t v = ram_[kRegC];
      ram_[kRegC] = 0;
      updateIrq();
      return v;
    }
    case kRegD: return kDVrt;
    default: return ram_[i];
  }
}

void Cmos::writeTime(uint8_t i, uint8_t v) {
  time_t t = time_t(wallSeconds());
  struct tm tm;
  gmtime_r(&t, &tm);
  int64_t year = tm.tm_year + 1900;
  int mon = tm.tm_mon + 1, day = tm.tm_mday, h = tm.tm_hour, m = tm.tm_min, s = tm.tm_sec;
  int val = decode(uint8_t(i == kRegHours ? (v & 0x7F) : v));
  switch (i) {
    case kRegSeconds: s = val; break;
    case kRegMinutes: m = val; break;
    case kRegHours:
      h = val;
      if (!(ram_[kRegB] & kB24h)) h = (h % 12) + ((v & 0x80) ? 12 : 0);
      break;
    case kRegDay: day = val; break;
    case kRegMonth: mon = val; break;
    case kRegYear: year = (year / 100) * 100 + val; break;
    case kRegCentury: year = val * 100 + year % 100; break;
    default: return;  // weekday follows from the date
  }
  if (mon < 1 || mon > 12 || day < 1 || day > 31 || h > 23 || m > 59 || s > 59) return;
  int64_t wanted = daysFromCivil(year, unsigned(mon), unsigned(day)) * 86400 + h * 3600 + m * 60 + s;
  offset_ += wanted - int64_t(t);
}

uint64_t Cmos::periodicNs() const {
  int rate = ram_[kRegA] & 0x0F;
  if (rate == 0) return 0;
  if (rate <= 2) rate += 7;  // rates 1 and 2 alias 8 and 9 on the 32.768 kHz time base
  return 1000000000ull * (1u << (rate - 1)) / 32768;
}

void Cmos::updateIrq() {
  uint8_t b = ram_[kRegB];
  uint8_t c = ram_[kRegC] & (kCPf | kCAf | kCUf);
  bool irq = (c & kCPf && b & kBPie) || (c & kCAf && b & kBAie) || (c & kCUf && b & kBUie);
  ram_[kRegC] = uint8_t(c | (irq ? kCIrqf : 0));
  irq8_(irq);
}

void Cmos::onTimer() {
  uint64_t now = clock_.now();
  uint64_t p = periodicNs();
  if (p && (ram_[kRegB] & kBPie)) {
    if (nextPeriodic_ <= now) {
      ram_[kRegC] |= kCPf;
      nextPeriodic_ = (now / p + 1) * p;
    }
  }
  int64_t sec = int64_t(now / 1000000000ull);
  if (sec != lastSecond_) {
    lastSecond_ = sec;
    if (!(ram_[kRegB] & kBSet)) ram_[kRegC] |= kCUf;
    // Alarm: the "don't care" value 0xC0-0xFF matches anything.
    auto match = [&](uint8_t alarm, uint8_t reg) { return alarm >= 0xC0 || alarm == readRegister(reg); };
    if (match(ram_[kRegSecondsAlarm], kRegSeconds) && match(ram_[kRegMinutesAlarm], kRegMinutes) &&
        match(ram_[kRegHoursAlarm], kRegHours))
      ram_[kRegC] |= kCAf;
  }
  updateIrq();
  schedule();
}

void Cmos::schedule() {
  uint64_t now = clock_.now();
  uint64_t next = kNever;
  uint64_t p = periodicNs();
  if (p && (ram_[kRegB] & kBPie)) {
    if (nextPeriodic_ <= now) nextPeriodic_ = (now / p + 1) * p;
    next = nextPeriodic_;
  }
  // Only an interrupt that can come arms the timer: a sleeping guest's wait skips from deadline to deadline,
  // and a deadline that never raises IRQ8 (the update-ended interrupt while SET stops updates, an alarm no
  // time of day matches) would run guest time on forever instead of being seen as a sleep nothing can end.
  const uint8_t b = ram_[kRegB];
  if (((b & kBUie) && !(b & kBSet)) || ((b & kBAie) && alarmCanMatch())) {
    uint64_t s = (now / 1000000000ull + 1) * 1000000000ull;
    next = s < next ? s : next;
  }
  if (next == kNever) clock_.disarm(timer_);
  else clock_.arm(timer_, next);
}

bool Cmos::alarmCanMatch() const {
  auto can = [](uint8_t alarm, int values, auto read) {
    if (alarm >= 0xC0) return true;  // "don't care"
    for (int v = 0; v < values; ++v)
      if (read(v) == alarm) return true;
    return false;
  };
  auto plain = [this](int v) { return encode(v); };
  auto hour = [this](int h) {
    if (ram_[kRegB] & kB24h) return encode(h);
    return uint8_t(encode(h % 12 == 0 ? 12 : h % 12) | (h >= 12 ? 0x80 : 0));
  };
  return can(ram_[kRegSecondsAlarm], 60, plain) && can(ram_[kRegMinutesAlarm], 60, plain) &&
         can(ram_[kRegHoursAlarm], 24, hour);
}

uint32_t Cmos::portRead(uint16_t offset, unsigned size) {
  if (offset == 0) return 0xFF;  // the index register is write-only
  return readRegister(index_);
}

void Cmos::portWrite(uint16_t offset, unsigned size, uint32_t value) {
  uint8_t v = uint8_t(value);
  if (offset == 0) {
    index_ = v & 0x7F;
    return;
  }
  uint8_t i = index_;
  if (i <= kRegYear && i != kRegSecondsAlarm && i != kRegMinutesAlarm && i != kRegHoursAlarm) {
    writeTime(i, v);
    return;
  }
  if (i == kRegCentury) {
    writeTime(i, v);
    ram_[i] = v;
    return;
  }
  switch (i) {
    case kRegA:
      ram_[kRegA] = v & 0x7F;
      schedule();
      break;
    case kRegB:
      ram_[kRegB] = v;
      updateIrq();
      schedule();
      break;
    case kRegSecondsAlarm:
    case kRegMinutesAlarm:
    case kRegHoursAlarm:
      ram_[i] = v;
      schedule();  // an alarm that could not match may match now, or the other way round
      break;
    case kRegC:
    case kRegD: break;  // read-only
    default: ram_[i] = v;
  }
}

void Cmos::save(SnapshotWriter& w) const {
  w.section("rtc");
  w.bytes(ram_, sizeof ram_);
  w.u8(index_);
  w.u64(uint64_t(offset_));
  w.u64(nextPeriodic_);
  w.u64(uint64_t(lastSecond_));
}

bool Cmos::load(SnapshotReader& r) {
  r.section("rtc");
  r.bytes(ram_, sizeof ram_);
  index_ = r.u8();
  offset_ = int64_t(r.u64());
  nextPeriodic_ = r.u64();
  lastSecond_ = int64_t(r.u64());
  return r.ok();
}

}  // namespace bv
