// A guest spinning on memory that only an interrupt can change (`wait: mov ax,[0x46c] / cmp ax,bx / je wait`)
// is waiting for time to pass. Every kPeriod instructions the run loop single-steps up to kSteps instructions;
// if they only read (moves into registers, compares, tests, jumps) and the registers come back to where they
// started, nothing but an interrupt can end the loop, so guest time skips to the next timer event. Decided from
// the instruction stream alone (the probe points are instruction counts, its state is in snapshots), so replays
// skip at the same points.
#pragma once
#include <array>
#include <cstdint>

#include "bootvisor/snapshot.h"
#include "bootvisor/state.h"

namespace bv {

class SpinProbe {
 public:
  static constexpr uint64_t kPeriod = 1u << 16;
  static constexpr uint32_t kSteps = 24;
  enum class Verdict { Continue, Spin, NoSpin };

  bool active() const { return active_; }
  uint64_t nextAt() const { return nextAt_; }
  void start(const CpuState& st) {
    active_ = true;
    steps_ = 0;
    start_ = capture(st);
  }
  void stop(uint64_t count) {
    active_ = false;
    nextAt_ = count + kPeriod;
  }
  // After one more instruction: the state it left.
  Verdict stepped(const CpuState& after) {
    if (capture(after) == start_) return Verdict::Spin;
    return ++steps_ >= kSteps ? Verdict::NoSpin : Verdict::Continue;
  }
  // The instruction at `bytes` (up to 15) reads at most: it cannot change memory, ports or the stack.
  static bool readsOnly(const uint8_t* bytes, size_t n);

  void save(SnapshotWriter& w) const {
    w.boolean(active_);
    w.u32(steps_);
    w.u64(nextAt_);
    for (uint64_t v : start_) w.u64(v);
  }
  void load(SnapshotReader& r) {
    active_ = r.boolean();
    steps_ = r.u32();
    nextAt_ = r.u64();
    for (uint64_t& v : start_) v = r.u64();
  }

 private:
  using Regs = std::array<uint64_t, 16>;
  static Regs capture(const CpuState& st) {
    Regs r{};
    for (int i = 0; i < 8; ++i) r[i] = st.gprs[i];
    r[8] = st.gprs[GPR_RIP];
    r[9] = st.gprs[GPR_RFLAGS];
    for (int s = 0; s < 6; ++s) r[10 + s] = st.segs[s].selector;
    return r;
  }
  bool active_ = false;
  uint32_t steps_ = 0;
  uint64_t nextAt_ = kPeriod;
  Regs start_{};
};

}  // namespace bv
