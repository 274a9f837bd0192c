// A guest spinning on memory that only an interrupt can change (`wait: mov ax,[0x46c] / cmp ax,bx / je wait`)
// is waiting for time to pass. Every kPeriod instructions the run loop single-steps up to kSteps instructions;
// if they only read memory and compute in registers (calls, pushes and pops included, as long as the stack
// comes back) and the registers come back to where they started, nothing but an interrupt can end the loop,
// so guest time skips to the next timer event. A loop that also reads the PIT's counters (a delay timed with
// the 8254) is a PIT poll instead (vmm/pit_poll.h), and one that reads the 8042 without taking a byte (its
// status, or its data port with nothing in the output buffer) and comes back to where it started is a
// keyboard-controller poll (vmm/kbc_poll.h). Decided from the instruction stream alone (the probe
// points are instruction counts, its state is in snapshots), so replays skip at the same points.
#pragma once
#include <array>
#include <cstdint>

#include "bootvisor/snapshot.h"
#include "bootvisor/state.h"

namespace bv {

class SpinProbe {
 public:
  static constexpr uint64_t kPeriod = 1u << 16;
  static constexpr uint32_t kSteps = 32;
  enum class Verdict { Continue, Spin, PitPoll, KbcPoll, NoSpin };
  // What one instruction can change: nothing but flags (Reads), registers, the stack below SP, the PIT's
  // latches and read position (PitIo: a counter read or a latch command), a register from the 8042 without
  // taking a byte (KbcIo), or anything (Other).
  enum class Effect { Reads, Registers, Stack, PitIo, KbcIo, Other };

  bool active() const { return active_; }
  uint64_t nextAt() const { return nextAt_; }
  // `spinnable`: an interrupt can end the loop (IF set, none pending), so a spin may skip to it.
  void start(const CpuState& st, bool spinnable) {
    active_ = true;
    steps_ = 0;
    sawPit_ = false;
    sawKbc_ = false;
    recaptured_ = false;
    spinnable_ = spinnable;
    start_ = capture(st);
  }
  void stop(uint64_t count) {
    active_ = false;
    nextAt_ = count + kPeriod;
  }
  // Probe at the next slice: a keyboard-controller poll was interrupted and its loop read the 8042 again.
  void probeSoon(uint64_t count) {
    if (!active_) nextAt_ = count;
  }
  void note(Effect e) {
    sawPit_ |= e == Effect::PitIo;
    sawKbc_ |= e == Effect::KbcIo;
  }
  uint32_t steps() const { return steps_; }
  // After one more instruction: the state it left.
  Verdict stepped(const CpuState& after) {
    ++steps_;
    Regs now = capture(after);
    // Back at the loop's head with the same stack: one whole turn of the loop has been seen.
    bool head = now[8] == start_[8] && now[4] == start_[4] && now[11] == start_[11] &&
                now[12] == start_[12];  // RIP, RSP, CS, SS
    if (head && sawPit_) return Verdict::PitPoll;
    // A loop that reads the 8042 waits for a byte, which a timer or the host brings, with or without IF.
    if (now == start_) return sawKbc_ ? Verdict::KbcPoll : spinnable_ ? Verdict::Spin : Verdict::NoSpin;
    if (head && sawKbc_ && !recaptured_) {
      // Entered from elsewhere, the first turn of an 8042 wait starts with the flags or AL of the code before
      // it: compare the next turn with this one instead (the loop only reads, so equal turns repeat).
      start_ = now;
      sawKbc_ = false;
      recaptured_ = true;
    }
    return steps_ >= kSteps ? Verdict::NoSpin : Verdict::Continue;
  }
  // The instruction at `bytes` (up to 15), about to run in state `st`; `kbcDataQuiet`: reading the 8042's
  // data port now would take no byte (its output buffer is empty).
  static Effect effectOf(const uint8_t* bytes, size_t n, const CpuState& st, bool kbcDataQuiet = false);

  void save(SnapshotWriter& w) const {
    w.boolean(active_);
    w.boolean(sawPit_);
    w.boolean(sawKbc_);
    w.boolean(recaptured_);
    w.boolean(spinnable_);
    w.u32(steps_);
    w.u64(nextAt_);
    for (uint64_t v : start_) w.u64(v);
  }
  void load(SnapshotReader& r) {
    active_ = r.boolean();
    sawPit_ = r.boolean();
    sawKbc_ = r.boolean();
    recaptured_ = r.boolean();
    spinnable_ = r.boolean();
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
  bool active_ = false, sawPit_ = false, sawKbc_ = false, recaptured_ = false, spinnable_ = false;
  uint32_t steps_ = 0;
  uint64_t nextAt_ = kPeriod;
  Regs start_{};
};

}  // namespace bv
