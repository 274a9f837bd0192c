// The Bochs/QEMU "dispi" display interface (QEMU's -vga std, Bochs's VBE extension): 16-bit registers behind an
// index port at 0x1CE and a data port at 0x1CF (ID, XRES, YRES, BPP, ENABLE with its LFB/no-clear/caps bits,
// BANK, VIRT_WIDTH/HEIGHT, X/Y_OFFSET, VIDEO_MEMORY_64K), 16 MiB of video memory seen at the linear framebuffer
// address QEMU's PCI VGA gets on a PC (0xFD000000, beyond any RAM a guest can have here) and, banked in 64 KiB
// steps, through the A0000 window. The register checks are QEMU's (hw/display/vga.c vbe_fixup_regs): a bad
// depth becomes 8, widths round down to 8 pixels, heights and offsets are clamped to the memory, so a guest
// can never make the device read or write outside it. While enabled, this device is what the screen shows
// (8 bpp through the VGA's DAC, 15/16/24/32 bpp as direct colour).
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "bootvisor/device.h"
#include "bootvisor/memory.h"

namespace bv {

struct ScreenFrame;
class Vga;

class Vbe : public PortDevice, public Snapshottable {
 public:
  static constexpr uint16_t kPortIndex = 0x1CE;  // the data port follows it
  static constexpr uint64_t kLfbBase = 0xFD000000;
  static constexpr uint32_t kMemorySize = 16u << 20;
  static constexpr uint16_t kMaxXres = 16000, kMaxYres = 12000, kMaxBpp = 32;
  enum Index : uint16_t {
    kId,
    kXres,
    kYres,
    kBpp,
    kEnable,
    kBank,
    kVirtWidth,
    kVirtHeight,
    kXOffset,
    kYOffset,
    kVideoMemory64k,
    kCount
  };
  enum EnableBits : uint16_t { kEnabled = 0x01, kGetCaps = 0x02, kDac8Bit = 0x20, kLfbEnabled = 0x40, kNoClear = 0x80 };

  Vbe(GuestMemory& memory, Vga& vga) : mem_(memory), vga_(vga) {}
  const char* deviceName() const override { return "vbe"; }
  uint32_t portRead(uint16_t offset, unsigned size) override;
  void portWrite(uint16_t offset, unsigned size, uint32_t value) override;
  void save(SnapshotWriter& w) const override;
  bool load(SnapshotReader& r) override;
  void reset();

  // The registers as the guest would read and write them through the ports.
  uint16_t reg(Index i) const;
  void setReg(Index i, uint16_t v);

  bool enabled() const { return regs_[kEnable] & kEnabled; }
  int width() const { return regs_[kXres]; }
  int height() const { return regs_[kYres]; }
  int bpp() const { return regs_[kBpp]; }
  // The bits a pixel of `bpp` takes in memory: a 15 bpp pixel (x:1 r:5 g:5 b:5) takes 16.
  static int storedBits(int bpp) { return bpp == 15 ? 16 : bpp; }
  uint32_t pitch() const { return lineBytes_; }
  // The VBE mode number the BIOS set (INT 10h AX=4F02h), 0 when the guest programmed the ports itself.
  uint16_t biosMode() const { return biosMode_; }
  void setBiosMode(uint16_t m) {
    biosMode_ = m;
    ++changes_;
  }

  // Guest accesses to the framebuffer (gpa within [kLfbBase, kLfbBase + kMemorySize)) and to the banked window
  // at A0000 (offset within 64 KiB, while enabled); bytes past what was ever written read as zero.
  static bool isLfb(uint64_t gpa) { return gpa >= kLfbBase && gpa - kLfbBase < kMemorySize; }
  bool banked() const { return enabled() && bpp() > 4; }
  uint8_t read(uint32_t offset) const { return offset < vram_.size() ? vram_[offset] : 0; }
  void write(uint32_t offset, uint8_t v);
  // An access of 1 to 8 bytes, little-endian: one copy where it lies within the written memory, byte by byte
  // (each bounds-checked) where it does not.
  uint64_t readWide(uint32_t offset, unsigned size) const;
  void writeWide(uint32_t offset, unsigned size, uint64_t value);
  uint32_t bankOffset() const { return uint32_t(regs_[kBank]) << 16; }
  // Host-side bulk access (the BIOS, the loader), bounds-checked: false when outside the memory.
  bool fill(uint32_t offset, uint32_t len, uint8_t v);

  // The picture (vbe_frame.cpp): the pixels are converted again only after something they depend on changed.
  void buildFrame(const Vga& vga, ScreenFrame& out) const;

 private:
  void fixup();  // QEMU's vbe_fixup_regs
  void mapWindow();
  void grow(uint32_t end);
  void buildPixels(ScreenFrame& f) const;  // vbe_frame.cpp: all of the frame but the palette
  void memoryWritten();                    // the picture is stale; the screen is told

  GuestMemory& mem_;
  Vga& vga_;  // gives the A0000 window back when banking ends
  uint16_t index_ = 0;
  uint16_t regs_[kCount] = {0xB0C5};
  uint32_t lineBytes_ = 0, startByte_ = 0;
  uint16_t biosMode_ = 0;
  std::vector<uint8_t> vram_;  // grows with the highest byte written (at most kMemorySize)
  // Counts the changes to anything the picture shows (memory, registers, the mode number); the pixels last
  // converted are kept with the count they were made at. (Guest writes stop while the screen is read.)
  uint64_t changes_ = 0;
  mutable std::shared_ptr<const ScreenFrame> pixels_;
  mutable uint64_t pixelsAt_ = 0;
};

}  // namespace bv
