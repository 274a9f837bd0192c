// The VGA (IBM VGA Technical Reference; FreeVGA's register descriptions), as boot sectors use it: the
// registers at 0x3B0-0x3DF (offsets from 0x3B0), text modes at B8000 (B0000 for mode 7), CGA graphics at
// B8000, mode 13h at A0000, the attribute palette and the DAC. Video memory is plain guest RAM (no planar
// modes), so the guest writes it at full speed and the renderer reads it. The mode is the one the BIOS set
// (INT 10h AH=00h); the CRTC's start address and cursor registers are honoured whoever programs them.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "bootvisor/device.h"
#include "bootvisor/memory.h"
#include "vmm/clock.h"

namespace bv {

struct VgaModeInfo {
  uint8_t mode;
  bool graphics;
  int columns, rows;  // text cells (graphics modes: the BIOS's 8x8 character grid)
  int width, height;  // pixels
  int bpp;            // graphics: 1, 2 or 8
  uint32_t base;      // physical address of video memory
};
// nullptr for modes we do not emulate.
const VgaModeInfo* vgaModeInfo(uint8_t mode);

class Vga : public PortDevice, public Snapshottable {
 public:
  Vga(GuestMemory& memory, Clock& clock);
  const char* deviceName() const override { return "vga"; }
  uint32_t portRead(uint16_t offset, unsigned size) override;
  void portWrite(uint16_t offset, unsigned size, uint32_t value) override;
  void save(SnapshotWriter& w) const override;
  bool load(SnapshotReader& r) override;

  // Mode switch as the BIOS does it: registers, palettes, cursor shape; clears video memory unless asked not.
  bool setMode(uint8_t mode, bool clear);
  const VgaModeInfo& mode() const { return *mode_; }

  // CRTC state as the guest left it.
  uint16_t startAddress() const { return uint16_t((crtc_[0x0C] << 8) | crtc_[0x0D]); }
  uint16_t cursorAddress() const { return uint16_t((crtc_[0x0E] << 8) | crtc_[0x0F]); }
  void setCursorAddress(uint16_t a) { crtc_[0x0E] = uint8_t(a >> 8), crtc_[0x0F] = uint8_t(a); }
  void setStartAddress(uint16_t a) { crtc_[0x0C] = uint8_t(a >> 8), crtc_[0x0D] = uint8_t(a); }
  uint8_t cursorStart() const { return crtc_[0x0A]; }
  uint8_t cursorEnd() const { return crtc_[0x0B]; }
  void setCursorShape(uint8_t start, uint8_t end) { crtc_[0x0A] = start, crtc_[0x0B] = end; }
  bool cursorVisible() const { return !(crtc_[0x0A] & 0x20) && (crtc_[0x0A] & 0x1F) <= (crtc_[0x0B] & 0x1F); }

  // Palettes: the attribute controller's 16 entries and the 256 6-bit DAC entries.
  uint8_t attrPalette(int i) const { return attr_[i & 15]; }
  void setAttrPalette(int i, uint8_t v) { attr_[i & 15] = v & 0x3F; }
  uint8_t overscan() const { return attr_[0x11]; }
  void setOverscan(uint8_t v) { attr_[0x11] = v; }
  void setBlink(bool on) { attr_[0x10] = uint8_t(on ? (attr_[0x10] | 0x08) : (attr_[0x10] & ~0x08)); }
  bool blink() const { return attr_[0x10] & 0x08; }
  const uint8_t* dac(int i) const { return dac_[i & 255]; }
  void setDac(int i, uint8_t r, uint8_t g, uint8_t b);
  uint8_t cgaColorSelect() const { return cgaColor_; }
  void setCgaColorSelect(uint8_t v) { cgaColor_ = v; }

  // What a pixel of the current graphics mode is, as the DAC index it shows (renderer, INT 10h 0Dh).
  uint8_t pixelDacIndex(uint8_t value) const;
  bool retrace() const;  // vertical retrace, from virtual time (70 Hz)

 private:
  void loadDefaultPalettes();

  GuestMemory& mem_;
  Clock& clock_;
  const VgaModeInfo* mode_;
  uint8_t crtc_[0x19] = {};
  uint8_t crtcIndex_ = 0;
  uint8_t seq_[5] = {};
  uint8_t seqIndex_ = 0;
  uint8_t gc_[9] = {};
  uint8_t gcIndex_ = 0;
  uint8_t attr_[0x15] = {};
  uint8_t attrIndex_ = 0;
  bool attrFlipFlop_ = false;  // false: next 0x3C0 write is an index
  uint8_t misc_ = 0x67;
  uint8_t dac_[256][3] = {};
  uint8_t dacWrite_ = 0, dacRead_ = 0, dacComponent_ = 0, dacMask_ = 0xFF;
  bool dacReading_ = false;
  uint8_t cgaMode_ = 0, cgaColor_ = 0;
};

// The renderer (vga_render.cpp): the current screen as text lines (CP437 in UTF-8) and as RGBA pixels.
struct ScreenText;
struct ScreenImage;
void renderText(const Vga& vga, const GuestMemory& mem, ScreenText& out);
void renderImage(const Vga& vga, const GuestMemory& mem, ScreenImage& out);
// One 8x16 glyph (vga_font.cpp): 16 rows, bit 7 is the leftmost pixel.
const uint8_t* vgaGlyph(uint8_t ch);
// The whole 8x16 font (256 * 16 bytes), for the BIOS's ROM copy (INT 10h AX=1130h).
const uint8_t* vgaFont8x16();
const char* cp437Utf8(uint8_t ch);
// vga_host_font.cpp: overlays the host's PSF console font (BOOTVISOR_VGA_FONT, else the usual paths) on
// `font` through the CP437 -> Unicode table; false and `font` untouched when there is none usable.
bool loadHostVgaFont(const uint32_t (&cp437)[256], uint8_t (&font)[256][16]);

}  // namespace bv
