// The PC around one vCPU: RAM, the paravirtual BIOS, the devices, virtual time, snapshots, and the run loop
// that serves the vCPU's exits. Synchronous and single-threaded: one thread calls everything here, except
// requestStop(), which any thread may call. Listener callbacks arrive on the thread that called run()/step().
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bootvisor/exit.h"
#include "bootvisor/input.h"
#include "bootvisor/memory.h"
#include "bootvisor/state.h"
#include "bootvisor/vcpu.h"

namespace bv {

enum class ClockMode : uint8_t {
  // Guest time derived from the instruction count (10 ns per instruction), idle time skipped
  // deterministically (HLT, BIOS waits, a guest polling the clock): runs are deterministic.
  Fast,            // as fast as the host can
  Paced,           // the same guest time, slept to the wall clock (a PC's pace)
  Real,            // the host's monotonic clock (also used whenever the backend cannot count instructions)
  Virtual = Fast,  // the former name
};

struct MachineConfig {
  std::vector<uint8_t> image;          // a bare sector, a floppy image or a hard-disk image
  std::string imagePath;               // instead of `image`: its file, mapped rather than read when large
  uint64_t memoryBytes = 32ull << 20;  // guest RAM; at least 1 MiB, at most 3 GiB
  int bootDrive = -1;                  // 0x00 floppy, 0x80 hard disk; -1 picks from what the image is
  bool requireSignature = true;        // refuse a boot sector without 0x55AA
  ClockMode clock = ClockMode::Fast;
  bool stopOnUnhandledPort = false;       // stop with UnhandledPort instead of reading 0xFF
  std::string backend = "software";       // "software", "kvm", "nvmm" or "auto" (see createVcpu)
  uint64_t rtcEpochSeconds = 1767225600;  // the RTC's time at power-on in Virtual mode (2026-01-01 00:00 UTC)
};

enum class StopReason : uint8_t {
  Step,  // step() finished its instruction
  Breakpoint,
  Watchpoint,
  Pause,             // requestStop()
  Exception,         // a vector the debugger asked to catch, before delivery
  TripleFault,       // shutdown
  HltCli,            // HLT with interrupts disabled: the guest can never wake
  GuestExit,         // a write to the isa-debug-exit port 0xF4
  InstructionLimit,  // RunLimits::maxInstructions retired
  UnhandledPort,     // MachineConfig::stopOnUnhandledPort and a port nobody serves
  SystemEvent,       // a system event Machine::setSystemBreaks armed, just after it happened
  Error,             // the backend could not go on (message says why)
};
const char* stopReasonName(StopReason r);  // the facade's names: "step", "triple-fault", "hlt-cli", ...

// One step in the chain of events that led to a fault, e.g. #GP -> #DF -> shutdown.
struct FaultStep {
  uint8_t vector = 0;
  std::string name;  // "#GP", "#DF", "shutdown"
  bool hasErrorCode = false;
  uint32_t errorCode = 0;
  uint16_t cs = 0;
  uint32_t eip = 0;
  uint64_t linear = 0;
  std::vector<uint8_t> bytes;  // the instruction that was executing
  std::string reason;          // in words
};

struct StopRecord {
  StopReason reason = StopReason::Pause;
  uint16_t cs = 0;
  uint32_t eip = 0;
  uint64_t linear = 0;        // CS base + EIP
  uint64_t instructions = 0;  // retired since boot (the machine's count: rewinds with snapshots)
  int breakpointId = -1;
  struct {
    uint64_t address = 0;
    uint32_t size = 0;
    uint8_t access = 0;  // AccessKind bits
  } watch;
  struct {
    uint8_t vector = 0;
    bool hasErrorCode = false;
    uint32_t errorCode = 0;
    uint64_t cr2 = 0;
    std::vector<FaultStep> chain;
    std::string explanation;
  } exception;
  int exitCode = 0;   // GuestExit: (value << 1) | 1, as QEMU's isa-debug-exit
  uint16_t port = 0;  // UnhandledPort
  // SystemEvent: "control-register", "descriptor-table", "mode-switch", "task-switch", "interrupt", "irq" or
  // "port"; the message says what happened ("CR0 0x00000010 -> 0x00000011 (set PE)").
  std::string systemEvent;
  std::string message;  // Error, HltCli, UnhandledPort, TripleFault: what happened in words
  // Pause only: the guest waits for something only the host can bring (a key, serial bytes) and the run was
  // asked to return then (RunLimits::returnWhenIdle, every step()); no instruction ran since.
  bool idle = false;
};

// What the debugger's system-event breaks stop on. The vCPU reports the kinds armed (one flag test in the
// handlers concerned when none is); the machine applies the rest (which CR, vector and AH, IRQ line, port).
struct SystemBreaks {
  uint8_t controlRegisters = 0;   // bit n: writes to CRn (n = 0, 3, 4; LMSW and CLTS write CR0)
  bool gdt = false, idt = false;  // LGDT, LIDT
  bool modeSwitch = false;        // a CS load that changes real / virtual-8086 / 16-bit / 32-bit protected
  bool taskSwitch = false;
  struct Interrupt {
    int vector = -1;  // -1: every INT n
    int ah = -1;      // -1: any AH
  };
  std::vector<Interrupt> interrupts;  // INT n instructions, after the CPU delivered them
  uint16_t irqLines = 0;              // bit n: IRQ n delivered to the CPU (stops at the handler)
  struct PortRange {
    uint16_t first = 0, last = 0;
  };
  std::vector<PortRange> ports;  // IN/OUT (and string forms), after the access
};

struct RunLimits {
  uint64_t maxInstructions = 0;  // 0: no limit
  // Guest time (virtualTimeNs) to stop at, with InstructionLimit, at the first instruction boundary at or past
  // it (0: none). Deterministic: drivers that act at guest times (a key script's waits) use it.
  uint64_t untilNs = 0;
  // When only the host can wake the guest (a key for INT 16h, nothing else scheduled): return a Pause stop
  // ("idle") instead of waiting for input. For drivers with no host on the other side (the fuzzer).
  bool returnWhenIdle = false;
  // Never wait for the host's clock (pacing, a halted guest under the paced or real clock): return a Pause
  // stop instead, before the wait. For a short run on a thread that must not block (runSync).
  bool neverWait = false;
};

struct ScreenText {
  uint8_t mode = 3;
  int columns = 80;
  int rows = 25;
  std::vector<std::string> lines;  // one per row, trailing spaces kept; CP437 mapped to UTF-8
  int cursorRow = 0;
  int cursorColumn = 0;
  bool cursorVisible = true;
  bool graphics = false;  // a graphics mode: lines are empty
};

// The screen as the display shows it, before colours become RGB (ScreenFrame in common/api.ts; the one
// renderer is common/screen-render.ts).
struct ScreenFrame {
  uint64_t generation = 0;  // grows whenever anything below changes
  uint16_t mode = 3;  // the BIOS mode: 0x00-0x13, a VBE mode (0x100 up), or 0xFFFF for one set through the VBE ports
  bool graphics = false;
  int width = 0, height = 0;  // pixels as rendered
  // Text.
  int columns = 0, rows = 0, cellWidth = 0, cellHeight = 0;
  std::vector<uint16_t> cells;  // char | attr << 8
  int cursorRow = 0, cursorColumn = 0, cursorStart = 0, cursorEnd = 0;
  bool cursorVisible = false;
  bool blink = false;         // attribute bit 7 blinks (else it is a bright background)
  bool lineGraphics = false;  // the 9th column repeats the 8th for 0xC0-0xDF
  bool hasFont = true;
  std::vector<uint8_t> font;  // 256 * cellHeight; 512 * cellHeight when attribute bit 3 picks a second font
  // Graphics: one palette index per pixel, or (bytesPerPixel 3: VBE direct-colour modes) R, G, B per pixel.
  std::vector<uint8_t> pixels;
  int bytesPerPixel = 1;
  bool hasPalette = true;
  std::vector<uint8_t>
      palette;            // RGB, 8 bits per channel: 16 entries (text, <= 16 colours) or 256; none with RGB pixels
  bool hasDirty = false;  // the rectangle that changed since the generation asked about
  int dirtyX = 0, dirtyY = 0, dirtyWidth = 0, dirtyHeight = 0;
};

enum class RunEventKind : uint8_t { UnhandledPort, UnmappedMemory, StackOverflow, Exception, InvalidOpcode, DiskError };
const char* runEventKindName(RunEventKind k);  // "unhandled-port", "unmapped-memory", ...

// A non-fatal happening worth telling the user about.
struct RunEvent {
  RunEventKind kind = RunEventKind::UnhandledPort;
  uint64_t linear = 0;
  uint16_t cs = 0;
  uint32_t eip = 0;
  std::string message;
  int port = -1;
  int64_t address = -1;
  int vector = -1;
};

// Output of the running guest. Called on the run()/step() thread; keep it short (queue and return).
class MachineListener {
 public:
  virtual ~MachineListener() = default;
  virtual void onSerial(const uint8_t* bytes, size_t n) {}
  virtual void onDebugcon(const uint8_t* bytes, size_t n) {}
  virtual void onScreenDirty() {}  // coalesced: at most one per ~16 ms of host time
  virtual void onEvent(const RunEvent& e) {}
  // The guest went idle (waiting for a key, or for nothing the machine can bring): output was just flushed,
  // so the screen and serial seen now are the latest. Once per idle period.
  virtual void onIdle() {}
  // Paced clock: the host could not keep the guest at a PC's pace (false), or caught up again (true).
  virtual void onPacing(bool keepingUp) {}
};

// io + mmio exits of one instruction, for the exit profile.
struct ExitCount {
  uint64_t rip = 0;  // the instruction pointer the backend reported (CS base not added)
                     // (a BIOS service stub's exit is moved to the guest's `int`, keyed by its linear address)
  uint64_t io = 0;
  uint64_t mmio = 0;
  uint16_t ports[4] = {};  // the first distinct ports it accessed (for the exit report's profile)
  uint8_t portCount = 0;
};

class Machine {
 public:
  // nullptr and a message for the user (what was wrong, what to do) when the image or config is bad.
  static std::unique_ptr<Machine> create(const MachineConfig& config, std::string& error);
  ~Machine();
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  const std::string& backendName() const;
  const std::string& backendNote() const;  // why this backend, and why not the others
  uint8_t bootDrive() const;
  // Why that drive ("it has a partition table", ..., or "asked for" when the config forced it).
  const std::string& bootDriveReason() const;

  // Runs until a stop. Thread: the caller's. requestStop() from any thread ends it with Pause.
  StopRecord run(const RunLimits& limits = {});
  // One instruction. Always returns in bounded time: a guest that only the host can wake (waiting in INT 16h
  // for a key, or with no timer running) gives a Pause stop with `idle` set and runs nothing.
  StopRecord step();
  void requestStop();

  uint64_t instructionCount() const;
  uint64_t virtualTimeNs() const;

  void getState(CpuState& out);
  void setState(const CpuState& in);

  // Memory by physical or linear address (linear: through the guest's paging when CR0.PG is on).
  // false when any byte is unreadable / unwritable; nothing partial is written.
  bool readPhysical(uint64_t gpa, void* dst, uint64_t len) const;
  bool writePhysical(uint64_t gpa, const void* src, uint64_t len);
  bool readLinear(uint64_t linear, void* dst, uint64_t len);
  bool writeLinear(uint64_t linear, const void* src, uint64_t len);
  // Page walk of a linear address: true and the physical address, or false; steps says what was read.
  bool translate(uint64_t linear, uint64_t& physical, std::vector<std::string>& steps);

  ScreenText screenText() const;
  // A graphics mode set for a loader (Multiboot's video request): the VBE mode that best fits width x height
  // at depth bits (0 = no preference), set with the linear framebuffer; false when no mode fits.
  struct VideoMode {
    uint16_t mode = 0;
    uint64_t address = 0;
    uint32_t pitch = 0, width = 0, height = 0;
    uint8_t bpp = 0;
    // Red position, red size, green position, green size, blue position, blue size (Multiboot's order).
    uint8_t fields[6] = {};
  };
  bool setVideoMode(int width, int height, int depth, VideoMode& out);
  // The screen frame. With since >= 0 (a generation the caller has), the font and the palette are left out
  // when unchanged since then, and the dirty rectangle is given when it is known (since is the latest or the
  // one before it).
  ScreenFrame screenFrame(int64_t since = -1);

  void sendScanCodes(const std::vector<uint8_t>& codes);
  // Typed text as make/break set-1 scan codes (shift pressed around upper-case and symbols; \n and \r are
  // Enter). Characters with no key on a US keyboard are skipped; returns how many.
  size_t typeText(const std::string& utf8);
  void sendSerial(const std::vector<uint8_t>& bytes);
  // The host presses reset (an input, logged like the others).
  void sendReset();
  // The PS/2 mouse moves by dx, dy (right and down, clamped to ±32767) with these buttons held (bit 0 left,
  // 1 right, 2 middle): an input, logged like the others.
  void sendMouse(int dx, int dy, uint8_t buttons);

  // The input log (see vmm/input_log.h): everything sent above, stamped where it took effect. restore()
  // keeps it and re-delivers later events at their stamps. loadInputLog replaces it (a recording); events
  // not yet reached are delivered as execution reaches them. Not while running.
  const std::vector<InputEvent>& inputLog() const;
  void loadInputLog(std::vector<InputEvent> events);

  void setListener(MachineListener* listener);  // nullptr to detach; not owned

  // Snapshots of the whole machine (vCPU, memory, devices, clock), kept in memory. Only pages written since
  // the previous snapshot are copied. Ids are never reused; restore() fails (false, error) on unknown ids.
  uint32_t snapshot();
  bool restore(uint32_t id, std::string& error);
  void dropSnapshot(uint32_t id);
  size_t snapshotBytes() const;  // host memory the snapshots hold
  // Counts, for tests that bound the snapshot store without timing it: live snapshots, page versions held,
  // and the pages the last restore looked at.
  struct SnapshotCounts {
    size_t snapshots = 0, pageVersions = 0, lastRestorePages = 0;
  };
  SnapshotCounts snapshotCounts() const;

  std::vector<ExitCount> exitProfile() const;

  // The vCPU, for backend-specific extras.
  Vcpu& vcpu();
  // The software vCPU's debug API (breakpoints, watchpoints, history...), or nullptr on another backend.
  // (The addon is built without RTTI: use this rather than dynamic_cast.)
  class SoftwareVcpu* softwareVcpu();
  // Arms system-event breaks (an empty SystemBreaks disarms). False with the reason when the backend cannot:
  // CR/LGDT/INT n/mode/task/IRQ breaks need the software vCPU (the hybrid moves the guest to it while armed);
  // port breaks work on every backend.
  bool setSystemBreaks(const SystemBreaks& breaks, std::string& error);
  GuestMemory& memory();
  // The firmware's memory map (what INT 15h E820h reports), for loaders that hand it on (multiboot).
  struct MemoryRange {
    uint64_t base, length;
    uint32_t type;  // 1 usable, 2 reserved
  };
  std::vector<MemoryRange> memoryMap() const;
  // The machine as its vCPU sees it; a replacement vCPU (the hybrid) is created with this handler.
  ExitHandler& exitHandler();
  // Hands the guest to another vCPU (state moves across); the old one is returned.
  std::unique_ptr<Vcpu> replaceVcpu(std::unique_ptr<Vcpu> next);

  // A qtest-like harness for device tests: port access as the guest would see it, virtual time, IRQ lines.
  uint32_t portRead(uint16_t port, unsigned size);
  void portWrite(uint16_t port, unsigned size, uint32_t value);
  void clockStep(uint64_t ns);   // advance virtual time (fires due timers)
  bool irqLevel(int irq) const;  // the line into the PIC (0-15)
  // An 8259's registers as the debugger reads them, without the side effects of the guest's OCW3 reads.
  struct PicRegisters {
    uint8_t irr, isr, imr, vectorBase;
  };
  PicRegisters picRegisters(bool slave) const;

  struct Impl;

 private:
  explicit Machine(std::unique_ptr<Impl> impl);
  // The physical pieces (address, length) of a linear range; false when any byte does not translate to RAM.
  bool physicalRanges(uint64_t linear, uint64_t len, std::vector<std::pair<uint64_t, uint64_t>>& parts);
  std::unique_ptr<Impl> impl_;
};

// The backend factory: "software" always; "kvm" / "nvmm" when built and usable; "auto" picks the best usable
// one. nullptr and whyNot when the backend cannot be used. Filled in by the backends (vmm/vcpu_factory.cpp).
std::unique_ptr<Vcpu> createVcpu(const std::string& backend, GuestMemory& memory, ExitHandler& handler,
                                 std::string& whyNot);

}  // namespace bv
