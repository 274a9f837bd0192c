// Power-on: the ROM (service stubs, IRQ handlers, tables, fonts), the interrupt vector table, the BIOS data
// area and the EBDA, laid out where real PC BIOSes put them, and the CMOS configuration bytes.
#include <cstring>
#include <vector>

#include "bootvisor/snapshot.h"
#include "pc/bios/bios.h"

namespace bv {

namespace {
constexpr uint8_t kOutBios[] = {0xE6, uint8_t(kBiosCallPort)};  // out kBiosCallPort, al
constexpr uint32_t kStubSize = 16;

void put(GuestMemory& m, uint16_t off, std::initializer_list<uint8_t> bytes) {
  std::vector<uint8_t> b(bytes);
  m.write(kRomBase + off, b.data(), b.size());
}

void setVector(GuestMemory& m, int v, uint16_t off, uint16_t seg = kBiosSegment) {
  m.write16(uint64_t(v) * 4, off);
  m.write16(uint64_t(v) * 4 + 2, seg);
}

uint16_t stubOffset(BiosService s) { return uint16_t(rom::kStubs + kStubSize * unsigned(s)); }
}  // namespace

BiosService Bios::serviceAt(uint64_t linearAfterOut) {
  uint64_t base = kRomBase + rom::kStubs;
  if (linearAfterOut < base + 2) return BiosService::Count;
  uint64_t d = linearAfterOut - base - 2;
  if (d % kStubSize || d / kStubSize >= uint64_t(BiosService::Count)) return BiosService::Count;
  return BiosService(d / kStubSize);
}

uint16_t biosStubOffset(BiosService s) { return stubOffset(s); }

void Bios::install(uint64_t ramBytes) {
  GuestMemory& m = env_.mem;
  // Service stubs: out; iret; then the wait loop a blocking service sends IP to.
  for (unsigned i = 0; i < unsigned(BiosService::Count); ++i) {
    auto s = BiosService(i);
    uint16_t at = stubOffset(s);
    if (s == BiosService::Irq0) {
      // IRQ0: the monitor counts the tick, then INT 1Ch (user hook), then EOI, as real BIOSes do.
      put(m, at, {kOutBios[0], kOutBios[1], 0xCD, 0x1C, 0x50, 0xB0, 0x20, 0xE6, 0x20, 0x58, 0xCF});
    } else if (s == BiosService::Irq1) {
      put(m, at, {kOutBios[0], kOutBios[1], 0x50, 0xB0, 0x20, 0xE6, 0x20, 0x58, 0xCF});
    } else if (s == BiosService::Irq12) {
      put(m, at, {kOutBios[0], kOutBios[1], 0xC3});  // out; ret (called from rom::kMouseIrq)
    } else {
      put(m, at, {kOutBios[0], kOutBios[1], 0xCF, 0xFB, 0xF4, 0xEB, 0xF9});
    }
  }
  put(m, rom::kIret, {0xCF});
  put(m, rom::kEoiMaster, {0x50, 0xB0, 0x20, 0xE6, 0x20, 0x58, 0xCF});
  put(m, rom::kEoiSlave, {0x50, 0xB0, 0x20, 0xE6, 0xA0, 0xE6, 0x20, 0x58, 0xCF});
  // IRQ8 (RTC): read register C to acknowledge, EOI both PICs.
  put(m, rom::kRtcIrq, {0x50, 0xB0, 0x0C, 0xE6, 0x70, 0xE4, 0x71, 0xB0, 0x20, 0xE6, 0xA0, 0xE6, 0x20, 0x58, 0xCF});
  put(m, rom::kHltLoop, {0xFA, 0xF4, 0xEB, 0xFC});
  {
    // IRQ12: the monitor takes the byte; with CF set a packet is complete and a handler installed (AX status,
    // BX X, CX Y, SI:DX the handler), called as SeaBIOS does: push status, X, Y, 0; far call; drop them.
    const uint16_t stub = stubOffset(BiosService::Irq12), after = uint16_t(rom::kMouseIrq + 8);
    const uint16_t rel = uint16_t(stub - after);
    const uint16_t back = uint16_t(rom::kMouseIrq + 22);
    uint16_t at = rom::kMouseIrq;
    auto emit = [&](std::initializer_list<uint8_t> bytes) {
      put(m, at, bytes);
      at = uint16_t(at + bytes.size());
    };
    emit({0x50, 0x53, 0x51, 0x52, 0x56});                   // push ax, bx, cx, dx, si
    emit({0xE8, uint8_t(rel), uint8_t(rel >> 8)});          // call the stub
    emit({0x73, 0x0F});                                     // jnc done
    emit({0x50, 0x53, 0x51, 0x6A, 0x00});                   // push ax (status), bx (X), cx (Y), 0
    emit({0x0E, 0x68, uint8_t(back), uint8_t(back >> 8)});  // push cs; push back
    emit({0x56, 0x52, 0xCB});                               // push si; push dx; retf: into the handler
    emit({0x83, 0xC4, 0x08});                               // back: add sp, 8
    emit({0x5E, 0x5A, 0x59, 0x5B});                         // done: pop si, dx, cx, bx
    emit({0xB0, 0x20, 0xE6, 0xA0, 0xE6, 0x20});             // EOI both PICs
    emit({0x58, 0xCF});                                     // pop ax; iret
  }
  put(m, rom::kReset, {0xCD, 0x19, 0xFA, 0xF4});  // a reset boots again (no POST)
  const char date[] = "01/01/26";
  m.write(kRomBase + 0xFFF5, date, 8);
  m.write8(kRomBase + 0xFFFE, 0xFC);  // model: PC/AT
  // INT 15h C0h system configuration: length, model FC, submodel 1, revision 0, feature bytes
  // (0x70: second PIC, RTC, INT 15h 4Fh not called... bit 4 clear), then zeros.
  put(m, rom::kConfigTable, {0x08, 0x00, 0xFC, 0x01, 0x00, 0x60, 0x00, 0x00, 0x00, 0x00});
  // Diskette parameter table, with the sectors per track of our floppy.
  uint8_t spt = uint8_t(env_.disk.isFloppy() ? env_.disk.geometry().sectors : 18);
  put(m, rom::kDiskParams, {0xAF, 0x02, 0x25, 0x02, spt, 0x1B, 0xFF, 0x6C, 0xF6, 0x0F, 0x08});
  // Fixed disk parameter table (INT 41h): cylinders, heads, ..., sectors per track.
  {
    const Geometry& g = env_.disk.geometry();
    uint8_t t[16] = {};
    uint16_t cyl = uint16_t(env_.disk.isFloppy() ? 0 : g.cylinders);
    std::memcpy(t, &cyl, 2);
    t[2] = uint8_t(env_.disk.isFloppy() ? 0 : g.heads);
    t[14] = uint8_t(env_.disk.isFloppy() ? 0 : g.sectors);
    m.write(kRomBase + rom::kHdParams, t, sizeof t);
  }
  // The ROM fonts, where INT 10h AX=1130h says they are.
  m.write(kRomBase + rom::kFont8x16, vgaRomFont(16), 256 * 16);
  m.write(kRomBase + rom::kFont8x14, vgaRomFont(14), 256 * 14);
  m.write(kRomBase + rom::kFont8x8, vgaRomFont(8), 256 * 8);
  m.setRom(kRomBase, 0x10000, true);

  // IVT: every vector an IRET, then the IRQs and the services.
  for (int v = 0; v < 256; ++v) setVector(m, v, rom::kIret);
  for (int v = 0x0A; v <= 0x0F; ++v) setVector(m, v, rom::kEoiMaster);
  for (int v = 0x71; v <= 0x77; ++v) setVector(m, v, rom::kEoiSlave);
  setVector(m, 0x70, rom::kRtcIrq);
  setVector(m, 0x74, rom::kMouseIrq);
  setVector(m, 0x08, stubOffset(BiosService::Irq0));
  setVector(m, 0x09, stubOffset(BiosService::Irq1));
  // Exceptions a guest leaves unhooked stop the run with the reason. #DB and NMI keep the plain IRET: returning
  // from them makes progress (single-stepping without a handler just runs on).
  for (int v : {0, 3, 4, 5, 6, 7}) setVector(m, v, stubOffset(BiosService(unsigned(BiosService::Exc0) + v)));
  const std::pair<int, BiosService> services[] = {
      {0x10, BiosService::Int10}, {0x11, BiosService::Int11}, {0x12, BiosService::Int12}, {0x13, BiosService::Int13},
      {0x14, BiosService::Int14}, {0x15, BiosService::Int15}, {0x16, BiosService::Int16}, {0x17, BiosService::Int17},
      {0x18, BiosService::Int18}, {0x19, BiosService::Int19}, {0x1A, BiosService::Int1A}};
  for (const auto& s : services) setVector(m, s.first, stubOffset(s.second));
  setVector(m, 0x1E, rom::kDiskParams);
  setVector(m, 0x1F, uint16_t(rom::kFont8x8 + 128 * 8));
  setVector(m, 0x43, rom::kFont8x8);
  setVector(m, 0x41, env_.disk.isFloppy() ? 0 : rom::kHdParams, env_.disk.isFloppy() ? 0 : kBiosSegment);
  setVector(m, 0x46, 0, 0);
  setVector(m, 0x1D, 0, 0);

  // BIOS data area.
  std::vector<uint8_t> zero(0x100, 0);
  m.write(bda::kBase, zero.data(), zero.size());
  m.write16(bda::kCom1, 0x3F8);
  m.write16(bda::kEbdaSeg, kEbdaSegment);
  bool floppy = env_.disk.isFloppy();
  // Equipment: floppy present (bit 0), math coprocessor (bit 1), PS/2 mouse (bit 2, as SeaBIOS sets it when
  // the mouse answers), 80x25 colour (bits 4-5 = 10b), one serial port (bits 9-11). No parallel port (QEMU's
  // LPT1 gives it bit 14: 4227h).
  m.write16(bda::kEquipment, uint16_t(0x0226 | (floppy ? 0x0001 : 0)));
  m.write16(bda::kMemKiB, uint16_t((kEbdaSegment << 4) / 1024));
  m.write16(bda::kKbdHead, 0x1E);
  m.write16(bda::kKbdTail, 0x1E);
  m.write16(bda::kKbdStart, 0x1E);
  m.write16(bda::kKbdEnd, 0x3E);
  m.write8(bda::kHardDisks, floppy ? 0 : 1);
  m.write8(bda::kComTimeout, 1);
  m.write8(bda::kKbdStatus, 0x10);  // 101/102-key keyboard
  // EBDA: its size in KiB first.
  std::vector<uint8_t> ebda(1024, 0);
  ebda[0] = 1;
  ebda[0x27] = 0x02;  // mouse packets of 3 bytes until INT 15h C205h says otherwise
  m.write(uint64_t(kEbdaSegment) << 4, ebda.data(), ebda.size());

  // CMOS configuration.
  Cmos& c = env_.cmos;
  c.setByte(0x10, uint8_t(floppy ? (env_.disk.geometry().floppyType << 4) : 0));
  c.setByte(0x12, floppy ? 0 : 0xF0);
  c.setByte(0x19, floppy ? 0 : 47);                      // drive 0: user-defined type
  c.setByte(0x14, uint8_t(0x06 | (floppy ? 0x01 : 0)));  // floppy, display VGA (00), FPU (bit 1)
  c.setByte(0x15, 0x80), c.setByte(0x16, 0x02);          // 640 KiB base memory
  uint64_t extKiB = ramBytes > (1u << 20) ? (ramBytes - (1u << 20)) / 1024 : 0;
  uint16_t ext = uint16_t(extKiB > 0xFFFF ? 0xFFFF : extKiB);
  c.setByte(0x17, uint8_t(ext)), c.setByte(0x18, uint8_t(ext >> 8));
  c.setByte(0x30, uint8_t(ext)), c.setByte(0x31, uint8_t(ext >> 8));
  uint64_t above16 = ramBytes > (16u << 20) ? (ramBytes - (16u << 20)) / 65536 : 0;
  uint16_t a16 = uint16_t(above16 > 0xFFFF ? 0xFFFF : above16);
  c.setByte(0x34, uint8_t(a16)), c.setByte(0x35, uint8_t(a16 >> 8));
  c.setByte(0x3D, floppy ? 0x01 : 0x02);  // boot order: floppy / hard disk first

  videoSetMode(env_, 0x03);
}

void Bios::service(BiosService s, CpuState& st) {
  RomProtectScope romIsRom(env_.mem);  // results aimed at F000:xxxx are dropped, as a real ROM would
  BiosCall c(env_, st);
  switch (s) {
    case BiosService::Int10: biosVideo(c); break;
    case BiosService::Int11: biosEquipment(c); break;
    case BiosService::Int12: biosMemorySize(c); break;
    case BiosService::Int13: biosDisk(c); break;
    case BiosService::Int14: biosSerial(c); break;
    case BiosService::Int15: {
      // AH=86h waits: the deadline lives here so that the wait loop can ask again.
      if (c.ah() == 0x86) {
        uint64_t now = env_.clock.now();
        if (waitUntil_ == kNever) {
          uint64_t us = (uint64_t(c.cx()) << 16) | c.dx();
          waitUntil_ = now + us * 1000;
        }
        if (now < waitUntil_) {
          c.block();
        } else {
          waitUntil_ = kNever;
          c.status(0);
        }
        break;
      }
      biosSystem(c);
      break;
    }
    case BiosService::Int16:
      biosKeyboard(c);
      waitingForKey_ = c.blocked;
      break;
    case BiosService::Int17: c.setAh(0x00); break;  // no printer: status "not busy", nothing sent
    case BiosService::Int18: biosBoot(c, true); break;
    case BiosService::Int19: biosBoot(c, false); break;
    case BiosService::Int1A: biosTime(c); break;
    case BiosService::Irq0: biosTimerIrq(c); break;
    case BiosService::Irq1: biosKeyboardIrq(c); break;
    case BiosService::Irq12: biosMouseIrq(c); break;
    default: break;
  }
  if (c.blocked) st.gprs[GPR_RIP] = stubOffset(s) + 3;
}

uint64_t Bios::costNs(BiosService s) {
  switch (s) {
    case BiosService::Int10: return 4000;   // a teletype character with the cursor update
    case BiosService::Int13: return 50000;  // a disk call, whatever its size (no seek times)
    case BiosService::Irq0:
    case BiosService::Irq1: return 2000;
    default: return 1000;
  }
}

void Bios::save(SnapshotWriter& w) const {
  w.section("bios");
  w.boolean(waitingForKey_);
  w.u64(waitUntil_);
}

bool Bios::load(SnapshotReader& r) {
  r.section("bios");
  waitingForKey_ = r.boolean();
  waitUntil_ = r.u64();
  return r.ok();
}

}  // namespace bv
