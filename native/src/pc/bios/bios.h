// The paravirtual BIOS. Tiny stubs in the ROM at F000:E000 hand each service to the monitor: the stub does
// `out kBiosCallPort, al`, the port's handler yields, run() returns with an Io exit, and the machine calls
// Bios::service() between runs with the vCPU's state (the same on software, KVM and NVMM). Results go back in
// registers and in the FLAGS image the INT pushed. A service that must wait (INT 16h read key, INT 15h 86h)
// moves IP to the stub's `sti; hlt; jmp back` loop, so the guest sleeps until an interrupt and asks again.
//
// The IRQ handlers for IRQ0 (tick count at 0040:006C, then INT 1Ch, then EOI) and IRQ1 (scan code into the
// BDA's keyboard buffer, then EOI) are in the ROM too, so guests that hook INT 8/9 and chain still work.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/disk_image.h"
#include "bootvisor/device.h"
#include "bootvisor/memory.h"
#include "bootvisor/state.h"
#include "pc/cmos.h"
#include "pc/kbc.h"
#include "pc/pic.h"
#include "pc/pit.h"
#include "pc/uart.h"
#include "pc/vbe.h"
#include "pc/vga.h"

namespace bv {

constexpr uint16_t kBiosCallPort = 0xEF;  // unused on the PC/AT; only a ROM stub's write to it is a call
constexpr uint32_t kBiosSegment = 0xF000;
constexpr uint32_t kRomBase = 0xF0000;
constexpr uint32_t kEbdaSegment = 0x9FC0;

// The machine's parts the BIOS works with.
struct BiosEnv {
  GuestMemory& mem;
  DiskImage& disk;
  Vga& vga;
  Vbe& vbe;
  Uart& uart;
  Cmos& cmos;
  Kbc& kbc;
  DualPic& pic;
  Pit& pit;
  Clock& clock;
  std::function<uint32_t(uint16_t port)> inb;  // through the I/O bus, as the guest would
  std::function<void(uint16_t port, uint8_t v)> outb;
  std::function<bool()> a20;
  std::function<void(bool)> setA20;
  // A service failed in a way the user should hear about (INT 13h errors): st is the caller's state inside
  // the stub, with the `int`'s IRET frame on its stack.
  std::function<void(const CpuState& st, const std::string& message)> failed;
};

enum class BiosService : uint8_t {
  Int10,
  Int11,
  Int12,
  Int13,
  Int14,
  Int15,
  Int16,
  Int17,
  Int18,
  Int19,
  Int1A,
  Irq0,
  Irq1,
  // Default handlers of the CPU exception vectors 0-7 (Exc0 + vector): a guest that never hooked them
  // would IRET back onto the faulting instruction forever, so the monitor stops the run instead.
  Exc0,
  Exc1,
  Exc2,
  Exc3,
  Exc4,
  Exc5,
  Exc6,
  Exc7,
  Irq12,  // called (near) from the ROM's IRQ12 routine, which then calls the program's mouse handler
  Count
};
constexpr bool isExceptionService(BiosService s) { return s >= BiosService::Exc0 && s <= BiosService::Exc7; }
constexpr uint8_t exceptionVectorOf(BiosService s) { return uint8_t(unsigned(s) - unsigned(BiosService::Exc0)); }

// An unhandled real-mode exception that reached its default handler, seen from the IRET frame.
struct UnhandledException {
  uint8_t vector = 0;
  uint16_t cs = 0, ip = 0;  // the CS:IP the CPU pushed (the faulting instruction, or the next for INT3/INTO)
  uint16_t flags = 0;
  uint16_t insnIp = 0;         // where the instruction that raised it starts
  std::vector<uint8_t> bytes;  // that instruction
  std::string name;            // "#UD"
  std::string reason;          // in words, with the bytes and the address
};
// Reads the frame of an Exc stub's call; false when the monitor should let the stub IRET (the vector is one the
// PC also uses for a software service, e.g. INT 5 print screen, and the frame says it was an `int 5`).
bool describeUnhandledException(const GuestMemory& mem, const CpuState& st, uint8_t vector, UnhandledException& out);
// Where an Exc stub is, to tell whether the IVT still points at it.
uint16_t biosStubOffset(BiosService s);

// One call in progress: the vCPU state and helpers to read arguments and set results.
class BiosCall {
 public:
  BiosCall(BiosEnv& env, CpuState& st) : env(env), st(st) {}
  BiosEnv& env;
  CpuState& st;

  uint16_t ax() const { return uint16_t(st.gprs[GPR_RAX]); }
  uint16_t bx() const { return uint16_t(st.gprs[GPR_RBX]); }
  uint16_t cx() const { return uint16_t(st.gprs[GPR_RCX]); }
  uint16_t dx() const { return uint16_t(st.gprs[GPR_RDX]); }
  uint16_t si() const { return uint16_t(st.gprs[GPR_RSI]); }
  uint16_t di() const { return uint16_t(st.gprs[GPR_RDI]); }
  uint16_t bp() const { return uint16_t(st.gprs[GPR_RBP]); }
  uint8_t ah() const { return uint8_t(ax() >> 8); }
  uint8_t al() const { return uint8_t(ax()); }
  uint8_t bh() const { return uint8_t(bx() >> 8); }
  uint8_t bl() const { return uint8_t(bx()); }
  uint8_t ch() const { return uint8_t(cx() >> 8); }
  uint8_t cl() const { return uint8_t(cx()); }
  uint8_t dh() const { return uint8_t(dx() >> 8); }
  uint8_t dl() const { return uint8_t(dx()); }
  uint32_t eax() const { return uint32_t(st.gprs[GPR_RAX]); }
  uint32_t ebx() const { return uint32_t(st.gprs[GPR_RBX]); }
  uint32_t ecx() const { return uint32_t(st.gprs[GPR_RCX]); }
  uint32_t edx() const { return uint32_t(st.gprs[GPR_RDX]); }

  void set16(int r, uint16_t v) { st.gprs[r] = (st.gprs[r] & ~0xFFFFull) | v; }
  void set32(int r, uint32_t v) { st.gprs[r] = (st.gprs[r] & ~0xFFFFFFFFull) | v; }
  void setLow(int r, uint8_t v) { st.gprs[r] = (st.gprs[r] & ~0xFFull) | v; }
  void setHigh(int r, uint8_t v) { st.gprs[r] = (st.gprs[r] & ~0xFF00ull) | (uint64_t(v) << 8); }
  void setAx(uint16_t v) { set16(GPR_RAX, v); }
  void setAh(uint8_t v) { setHigh(GPR_RAX, v); }
  void setAl(uint8_t v) { setLow(GPR_RAX, v); }
  void setSeg(int s, uint16_t sel) {
    st.segs[s].selector = sel;
    st.segs[s].base = uint64_t(sel) << 4;
  }

  // A segment:offset of the caller, as a physical address.
  uint64_t addr(int seg, uint16_t off) const { return uint32_t(st.segs[seg].base) + off; }

  // The FLAGS image the INT pushed (IP, CS, FLAGS at SS:SP): where results such as CF and ZF go.
  uint64_t flagsAddr() const { return uint32_t(st.segs[SEG_SS].base) + uint16_t(uint16_t(st.gprs[GPR_RSP]) + 4); }
  void setFlag(uint32_t bit, bool on) {
    uint16_t f = env.mem.read16(flagsAddr());
    f = uint16_t(on ? (f | bit) : (f & ~bit));
    env.mem.write16(flagsAddr(), f);
  }
  void setCarry(bool on) { setFlag(flags::CF, on); }
  // The common result of a service: AH = status, CF = status != 0.
  void status(uint8_t s) {
    setAh(s);
    setCarry(s != 0);
  }
  // Why the call failed, in words, for the run event a failed call becomes (empty: the status says it).
  std::string failure;
  // Wait in the stub's `sti; hlt` loop and ask again after the next interrupt.
  void block() { blocked = true; }
  bool blocked = false;
};

void biosVideo(BiosCall& c);
void biosDisk(BiosCall& c);
void biosSerial(BiosCall& c);
void biosKeyboard(BiosCall& c);
void biosKeyboardIrq(BiosCall& c);
void biosTime(BiosCall& c);
void biosTimerIrq(BiosCall& c);
void biosSystem(BiosCall& c);  // INT 15h
void biosMouse(BiosCall& c);   // INT 15h AH=C2h (pointing device)
void biosMouseIrq(BiosCall& c);
// The memory map INT 15h E820h reports, also handed to multiboot kernels (one source for both).
struct E820Entry {
  uint64_t base, length;
  uint32_t type;  // 1 usable, 2 reserved
};
std::vector<E820Entry> memoryMap(const GuestMemory& m);
void biosEquipment(BiosCall& c);          // INT 11h
void biosMemorySize(BiosCall& c);         // INT 12h
void biosBoot(BiosCall& c, bool failed);  // INT 19h (boot again) / INT 18h (no bootable disk)

// Video helpers the other services use (teletype for INT 18h messages).
void videoTeletype(BiosCall& c, uint8_t ch, uint8_t page, uint8_t color);
// Sets a mode as INT 10h AH=00h does (BDA included). False for modes we do not emulate.
bool videoSetMode(BiosEnv& env, uint8_t mode);
// INT 10h AH=4Fh (bios/vbe.cpp), and the VBE modes for the Multiboot loader: the best mode for a request
// (0 when none), and setting one (bits 14 and 15 as in AX=4F02h).
void biosVbe(BiosCall& c);
uint16_t vbeFindMode(int width, int height, int depth);
bool vbeSetMode(BiosEnv& env, uint16_t number);
// The colour fields of a direct-colour mode of `bpp` bits, as the mode information block keeps them: red,
// green, blue, reserved as (size, position) pairs; zeros for a depth that has none.
void vbeColourFields(int bpp, uint8_t out[8]);

class Bios : public Snapshottable {
 public:
  explicit Bios(BiosEnv env) : env_(env) {}
  // Power-on: ROM stubs and tables, IVT, BDA, EBDA, CMOS configuration, video mode 3.
  void install(uint64_t ramBytes);
  // The ip after an `out kBiosCallPort` that came from a stub (CS = F000), or Count.
  static BiosService serviceAt(uint64_t linearAfterOut);
  // Performs the service; the state is changed in place.
  void service(BiosService s, CpuState& st);
  // The guest time a service takes on a PC's BIOS (the stub itself is only three instructions here).
  static uint64_t costNs(BiosService s);
  // The guest is asleep in INT 16h waiting for a key: the run loop may wait for the host to type.
  bool waitingForKey() const { return waitingForKey_; }
  // A pending INT 15h AH=86h wait: the virtual time it ends (kNever when none).
  uint64_t waitDeadline() const { return waitUntil_; }
  // A CPU reset: no service is in progress any more.
  void forgetPendingCalls() {
    waitingForKey_ = false;
    waitUntil_ = kNever;
  }
  // The machine's parts, for a loader that sets the video mode as the BIOS would (Multiboot).
  BiosEnv& env() { return env_; }
  void save(SnapshotWriter& w) const override;
  bool load(SnapshotReader& r) override;

 private:
  BiosEnv env_;
  bool waitingForKey_ = false;
  uint64_t waitUntil_ = kNever;
};

// BDA offsets (from 0x400) the services share.
namespace bda {
constexpr uint32_t kBase = 0x400;
constexpr uint32_t kCom1 = 0x400, kEbdaSeg = 0x40E, kEquipment = 0x410, kMemKiB = 0x413, kShift = 0x417,
                   kShift2 = 0x418, kKbdHead = 0x41A, kKbdTail = 0x41C, kKbdBuf = 0x41E, kFloppyStatus = 0x441,
                   kVideoMode = 0x449, kColumns = 0x44A, kPageSize = 0x44C, kPageStart = 0x44E, kCursor = 0x450,
                   kCursorShape = 0x460, kPage = 0x462, kCrtcBase = 0x463, kModeCtl = 0x465, kPalette = 0x466,
                   kTicks = 0x46C, kMidnight = 0x470, kDiskStatus = 0x474, kHardDisks = 0x475, kComTimeout = 0x47C,
                   kKbdStart = 0x480, kKbdEnd = 0x482, kRows = 0x484, kCharHeight = 0x485, kVideoCtl = 0x487,
                   kVideoSwitches = 0x488, kVgaFlags = 0x489, kDcc = 0x48A, kKbdStatus = 0x496, kLeds = 0x497,
                   kWaitFlag = 0x4A0;
}  // namespace bda

// Fixed places in the ROM (offsets in segment F000).
namespace rom {
constexpr uint16_t kStubs = 0xE000;  // one 8-byte stub per BiosService (irq stubs are longer, after)
constexpr uint16_t kIret = 0xE200;
constexpr uint16_t kEoiMaster = 0xE210;
constexpr uint16_t kEoiSlave = 0xE220;
constexpr uint16_t kRtcIrq = 0xE230;
constexpr uint16_t kHltLoop = 0xE250;   // cli; hlt; jmp $-2 (INT 18h: nothing to boot)
constexpr uint16_t kMouseIrq = 0xE260;  // IRQ12: collect a packet, call the INT 15h C207h handler
constexpr uint16_t kConfigTable = 0xE6F5;
constexpr uint16_t kDiskParams = 0xEFC7;  // INT 1Eh: the diskette parameter table
constexpr uint16_t kHdParams = 0xE401;    // INT 41h: fixed disk parameter table
constexpr uint16_t kFont8x16 = 0xA000;
constexpr uint16_t kFont8x8 = 0xB000;  // 256 characters; INT 1Fh points at its upper half
constexpr uint16_t kFont8x14 = 0xB800;
constexpr uint16_t kEddParams = 0xE300;  // scratch for nothing; kept free
constexpr uint16_t kReset = 0xFFF0;
}  // namespace rom

}  // namespace bv
