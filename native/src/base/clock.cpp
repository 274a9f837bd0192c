#include "base/clock.h"

#include <chrono>

#include "bootvisor/snapshot.h"

namespace bv {

Clock::Clock(Counter counter) : counter_(std::move(counter)) {
  countBase_ = counter_ ? counter_() : 0;
  hostBase_ = hostNs();
}

uint64_t Clock::hostNs() {
  return uint64_t(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

uint64_t Clock::now() const {
  if (counter_) return base_ + (counter_() - countBase_) * kNsPerInstruction;
  return base_ + (hostNs() - hostBase_);
}

void Clock::rebase(Counter counter) {
  base_ = now();
  counter_ = std::move(counter);
  countBase_ = counter_ ? counter_() : 0;
  hostBase_ = hostNs();
}

void Clock::advanceTo(uint64_t t) {
  uint64_t n = now();
  if (t > n) base_ += t - n;
}

int Clock::addTimer(Callback cb) {
  timers_.push_back(Timer{kNever, std::move(cb), -1});
  return int(timers_.size() - 1);
}

void Clock::arm(int id, uint64_t deadline) { timers_[id].deadline = deadline; }
void Clock::disarm(int id) { timers_[id].deadline = kNever; }

uint64_t Clock::nextDeadline() const {
  uint64_t d = kNever;
  for (const auto& t : timers_) d = t.deadline < d ? t.deadline : d;
  return d;
}

uint64_t Clock::nextWakeDeadline(uint16_t openIrqs) const {
  uint64_t d = kNever;
  for (const auto& t : timers_)
    if (t.deadline < d && (t.wakeIrq < 0 || ((openIrqs >> t.wakeIrq) & 1))) d = t.deadline;
  return d;
}

int Clock::fireDue() {
  int fired = 0;
  // A callback may re-arm itself (or others) for a deadline that has also passed: loop, bounded so that a
  // timer re-armed at the same instant cannot spin forever.
  for (int guard = 0; guard < 10000; ++guard) {
    uint64_t n = now();
    int best = -1;
    for (size_t i = 0; i < timers_.size(); ++i)
      if (timers_[i].deadline <= n && (best < 0 || timers_[i].deadline < timers_[best].deadline)) best = int(i);
    if (best < 0) break;
    timers_[best].deadline = kNever;
    timers_[best].cb();
    ++fired;
  }
  return fired;
}

void Clock::save(SnapshotWriter& w) const {
  w.section("clock");
  w.u64(now());
  w.u32(uint32_t(timers_.size()));
  for (const auto& t : timers_) w.u64(t.deadline);
}

bool Clock::load(SnapshotReader& r) {
  r.section("clock");
  uint64_t t = r.u64();
  uint32_t n = r.u32();
  if (!r.ok() || n != timers_.size()) return false;
  for (auto& tm : timers_) tm.deadline = r.u64();
  base_ = t;
  if (counter_) countBase_ = counter_();
  hostBase_ = hostNs();
  return r.ok();
}

}  // namespace bv
