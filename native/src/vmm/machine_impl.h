// The Machine's insides, shared by the files of vmm/ (machine.cpp: creation and the public calls;
// run_loop.cpp: running and serving exits; snapshots.cpp; translate.cpp). Port numbers and IRQ lines of the
// PC live here and nowhere else.
#pragma once
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "base/disk_image.h"
#include "bootvisor/machine.h"
#include "pc/a20.h"
#include "pc/bios/bios.h"
#include "pc/cmos.h"
#include "pc/debugcon.h"
#include "pc/exitport.h"
#include "pc/fpu_error.h"
#include "pc/kbc.h"
#include "pc/pic.h"
#include "pc/pit.h"
#include "pc/speaker.h"
#include "pc/uart.h"
#include "pc/vbe.h"
#include "pc/vga.h"
#include "vmm/input_log.h"
#include "vmm/io_bus.h"
#include "vmm/kbc_poll.h"
#include "vmm/pacer.h"
#include "vmm/pit_poll.h"
#include "vmm/poll_detector.h"
#include "vmm/snapshot_store.h"
#include "vmm/spin_probe.h"

namespace bv {

// The PC/AT's wiring.
namespace wiring {
constexpr uint16_t kPicMaster = 0x20, kPicSlave = 0xA0, kPit = 0x40, kKbc = 0x60, kPort61 = 0x61, kCmos = 0x70,
                   kPort92 = 0x92, kVga = 0x3B0, kVgaLength = 0x30, kCom1 = 0x3F8, kDebugCon = 0xE9, kExitPort = 0xF4,
                   kPostCode = 0x80, kFpuError = 0xF0;
constexpr int kIrqPit = 0, kIrqKbd = 1, kIrqCom1 = 4, kIrqRtc = 8, kIrqMouse = 12, kIrqFpu = 13;
// The lines some device can raise: a HLT with all of them shut out at the PIC never wakes.
constexpr uint16_t kWiredIrqs =
    (1u << kIrqPit) | (1u << kIrqKbd) | (1u << kIrqCom1) | (1u << kIrqRtc) | (1u << kIrqMouse) | (1u << kIrqFpu);
// The lines the host's input raises (keys, serial bytes, the mouse): while one is open, a sleeper may wake.
constexpr uint16_t kHostIrqs = (1u << kIrqKbd) | (1u << kIrqCom1) | (1u << kIrqMouse);
}  // namespace wiring

struct Machine::Impl : public ExitHandler {
  explicit Impl(const MachineConfig& cfg);
  ~Impl() override;

  // ExitHandler: called by the vCPU in the middle of run().
  IoAction portIn(uint16_t port, unsigned size, uint32_t& value, uint64_t rip) override;
  IoAction portOut(uint16_t port, unsigned size, uint32_t value, uint64_t rip) override;
  IoAction mmioRead(uint64_t gpa, unsigned size, uint64_t& value, uint64_t rip) override;
  IoAction mmioWrite(uint64_t gpa, unsigned size, uint64_t value, uint64_t rip) override;
  // Device memory (device_memory.cpp): the VGA's window, the VBE's banked window and linear framebuffer.
  bool deviceRead(uint64_t gpa, unsigned size, uint64_t& value);
  bool deviceWrite(uint64_t gpa, unsigned size, uint64_t value);
  IoAction fpuError(bool asserted) override;  // FERR# -> IRQ13 (cleared again by a write to port F0h)

  // machine.cpp
  bool init(std::string& error);
  void wireDevices();
  void powerOn();
  // A reset pulse (8042 0xFE, port 0x92 bit 0): reboots; true when it was one too many (a reset loop) and
  // `stop` says so, placed at the instruction that pulsed it.
  bool warmReset(const char* how, StopRecord& stop);
  void setA20(bool on);
  class SoftwareVcpu* soft();
  uint64_t instructions() const;
  void resyncCount();  // after the vCPU's counter moved without us (restore, vCPU swap)
  // RDTSC follows guest time: 1 tick per kNsPerInstruction, so skipped idle time moves it too. The skipped
  // ticks (now / kNsPerInstruction - instructions) are folded into the vCPU's TSC before it runs.
  uint64_t skippedTicks() const { return clock->now() / kNsPerInstruction - instructions(); }
  void syncTsc();
  uint64_t tscSkipped = 0;  // skippedTicks() as last folded in

  // run_loop.cpp
  StopRecord run(const RunLimits& limits, bool step);
  // True, with the stop in s, when nothing can end a HLT: interrupts off, or every wired line masked or shut
  // out by one in service, or the only open lines are timers' and none of those timers runs.
  bool sleepsForever(StopRecord& s);
  // The lines a timer could wake a sleeper through: open at the PIC, and low (the RTC's is a level: once
  // high, it makes no new edge until the guest reads register C, which it cannot do asleep).
  uint16_t wakeIrqs();
  StopRecord makeStop(StopReason r);
  void injectPending();
  bool waitWhileHalted(bool step, bool returnWhenIdle = false);  // false: idle, and asked to return then
  // Input: replayed events due at this point, then live ones from the inbox (stamped and logged).
  void applyInputs();
  void deliver(const InputEvent& e);
  // Waits on the host (for input, a stop, or `ns`); true when woken by input or a stop.
  bool hostWait(uint64_t ns);
  // Paced clock: sleeps while the guest is ahead of the wall clock.
  void pace();
  void notifyIdle();
  bool virtualTime() const { return clockMode != ClockMode::Real; }
  void flushOutput(bool force);
  void unhandledPort(uint16_t port, bool write, uint64_t rip);
  void chargeBiosCallToCaller(const CpuState& st);
  // Guest time a BIOS service took, and the skip to the next timer event when the guest only polls.
  void timeBiosCall(BiosService s, uint8_t ah, const CpuState& st);
  // The spin probe (vmm/spin_probe.h): true when the next slice is one probed instruction.
  bool probeSpin();
  void probed(const Exit& e, uint64_t before);
  void checkStack(const CpuState& st);
  void biosFailed(const CpuState& st, const std::string& message);  // a failed BIOS call as a run event
  bool unhandledException(BiosService svc, CpuState& st, StopRecord& stop);
  void emitEvent(RunEvent e);

  // system_breaks.cpp: the debugger's system-event breaks. The vCPU reports the kinds armed; these filter
  // them (which CR, vector and AH, IRQ line) and say what happened; port ranges are checked here alone.
  SystemBreaks systemBreaks;
  uint8_t systemBreakBits = 0;  // what the vCPU was asked to report (SB_* of exit.h)
  bool portBreaks = false;      // systemBreaks.ports is not empty
  bool systemEventStop(const Exit& e, StopRecord& stop);
  void portBreak(uint16_t port, unsigned size, uint32_t value, bool write);

  MachineConfig cfg;
  GuestMemory mem;
  DiskImage disk;
  std::unique_ptr<Vcpu> vcpu;
  std::string backendName, backendNote;
  ClockMode clockMode = ClockMode::Fast;
  std::unique_ptr<Clock> clock;

  IoBus bus;
  DualPic pic;
  std::unique_ptr<Pit> pit;
  std::unique_ptr<SpeakerPort> port61;
  std::unique_ptr<Kbc> kbc;
  std::unique_ptr<Cmos> cmos;
  std::unique_ptr<Vga> vga;
  std::unique_ptr<Vbe> vbe;
  // The last screen frame handed out and the generations at which it, its font and its palette last changed.
  ScreenFrame lastFrame;
  uint64_t frameGeneration = 0, fontGeneration = 0, paletteGeneration = 0;
  std::unique_ptr<Uart> uart;
  std::unique_ptr<DebugCon> debugcon;
  std::unique_ptr<ExitPort> exitPort;
  std::unique_ptr<FpuErrorPort> fpuErrorPort;
  std::unique_ptr<FastA20> port92;
  std::unique_ptr<Bios> bios;

  // Instruction count: the machine's own (it rewinds with snapshots), from the vCPU's counter.
  uint64_t countBase = 0;  // machine count at vcpuBase
  uint64_t vcpuBase = 0;
  bool a20 = true;      // SeaBIOS leaves A20 on when it boots the guest
  bool halted = false;  // the guest is in HLT with IF=1, waiting for an interrupt

  // Requests from inside an exit handler, acted on when run() returns to the loop.
  bool biosCall = false;
  bool stopPending = false;
  StopRecord pendingStop;
  const char* resetPending = nullptr;  // through which port the guest pulsed the reset line
  std::vector<uint64_t> resetTimes;    // virtual times of the recent resets, to stop a reset loop
  uint64_t resetRip = 0;               // the instruction that pulsed it (the vCPU has moved past it)

  std::atomic<bool> stopRequested{false};

  // Input from other threads (the binding may type while the guest runs), in the order it was sent; stamped
  // and logged when the run loop takes it.
  std::mutex inboxMu;
  std::condition_variable inboxCv;
  std::vector<InputEvent> inbox;
  std::atomic<bool> inboxReady{false};
  InputLog input;
  Pacer pacer;
  bool idleSent = false;  // onIdle went out and nothing has happened since
  PollDetector polls;
  SpinProbe spin;
  PitPoll pitPoll;
  uint64_t pitSkipTo = 0;  // a PIT or VGA status poll's read asked to move guest time here (done after the slice)
  KbcPoll kbcPoll;
  bool kbcSkip = false;  // a keyboard-controller poll's read asked to move guest time on (done after the slice)
  // The keyboard-controller poll's part of portIn (vmm/kbc_poll_skip.cpp): true when the slice should end.
  bool kbcPollRead(uint16_t port, uint8_t value, bool quiet, uint64_t rip);
  // After the slice: the skip kbcPollRead asked for, unless an input is due at this instruction; paced, after
  // the wall clock (unless `step`).
  void kbcPollSkip(bool step);

  // Output, batched per run slice.
  MachineListener* listener = nullptr;
  std::vector<uint8_t> outSerial, outDebugcon;
  uint64_t lastScreenNotifyNs = 0;
  std::vector<RunEvent> pendingEvents;                    // from inside handlers: CS filled in after the slice
  std::set<std::tuple<int, int64_t, uint64_t>> reported;  // (event kind, port/page/..., where) already told about
  bool firstReport(RunEventKind kind, int64_t what, uint64_t where);
  size_t eventsSent = 0;

  std::unordered_map<uint64_t, ExitCount> profile;
  // The last access past RAM or to the ROM (a string instruction makes one per byte): its instruction, page
  // and tally. An entry with mmio accesses is never erased, and a map's elements stay put when it grows.
  struct {
    uint64_t rip = ~0ull, page = ~0ull;
    ExitCount* count = nullptr;
  } lastUnmapped;
  // The same instruction on the same page again: counted, and reported already (firstReport saw the pair).
  bool repeatedUnmapped(uint64_t gpa, uint64_t rip) {
    if (rip != lastUnmapped.rip || (gpa >> PAGE_SHIFT) != lastUnmapped.page) return false;
    ++lastUnmapped.count->mmio;
    return true;
  }

  SnapshotStore snapshots;
};

}  // namespace bv
