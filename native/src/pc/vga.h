// The VGA (IBM VGA Technical Reference; FreeVGA's register descriptions), as boot sectors use it: the
// registers at 0x3B0-0x3DF (offsets from 0x3B0), text modes at B8000 (B0000 for mode 7), CGA graphics at
// B8000, mode 13h at A0000, the 16-colour planar modes (0Dh, 0Eh, 10h, 12h) at A0000, the attribute
// controller and the DAC. Text, CGA and mode 13h video memory is plain guest RAM, so the guest writes it at
// full speed and the frame builder reads it. The four 64 KiB planes are held here: outside mode 13h with
// chain-4 on, A0000-AFFFF is device memory whose every access goes through the graphics controller (vga_memory.cpp:
// latches, write modes 0-3, read modes 0-1, map mask, bit mask); plane 2 is also the character generator. The mode is
// the one the BIOS set (INT 10h AH=00h); what the CRTC, sequencer and attribute controller say (start address, cursor,
// offset, character height and width, palettes) is honoured whoever programs them.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "base/clock.h"
#include "bootvisor/device.h"
#include "bootvisor/memory.h"

namespace bv {

struct ScreenFrame;

struct VgaModeInfo {
  uint8_t mode;
  bool graphics;
  int columns, rows;  // text cells (graphics modes: the BIOS's character grid)
  int width, height;  // graphics: pixels
  int bpp;            // graphics: 1, 2, 4 (planar) or 8
  uint32_t base;      // physical address of video memory
  int charHeight;     // the BIOS's font height in this mode (8, 14 or 16)
};
// nullptr for modes we do not emulate.
const VgaModeInfo* vgaModeInfo(uint8_t mode);

class Vga : public PortDevice, public Snapshottable {
 public:
  static constexpr size_t kPlaneSize = 0x10000;

  Vga(GuestMemory& memory, Clock& clock);
  const char* deviceName() const override { return "vga"; }
  uint32_t portRead(uint16_t offset, unsigned size) override;
  void portWrite(uint16_t offset, unsigned size, uint32_t value) override;
  void save(SnapshotWriter& w) const override;
  bool load(SnapshotReader& r) override;

  // Mode switch as the BIOS does it: registers, palettes, font, cursor shape; clears video memory unless asked not.
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
  bool cursorVisible() const;
  // Text geometry from the registers: character height (CRTC max scan line), width (sequencer clocking mode:
  // 8 or 9 dots, doubled in 40-column modes), columns (CRTC horizontal display end), rows (400 scan lines).
  int charHeight() const { return (crtc_[0x09] & 0x1F) + 1; }
  void setCharHeight(int h) { crtc_[0x09] = uint8_t((crtc_[0x09] & 0xE0) | ((h - 1) & 0x1F)); }
  int textColumns() const { return crtc_[0x01] + 1; }
  int textRows() const { return 400 / charHeight(); }
  int cellWidth() const;
  // Cells between the starts of two text rows (CRTC offset register, in words times two).
  int rowStride() const { return crtc_[0x13] ? crtc_[0x13] * 2 : textColumns(); }

  // Palettes: the attribute controller's 16 entries, its mode, colour select, and the 256 6-bit DAC entries.
  uint8_t attrPalette(int i) const { return attr_[i & 15]; }
  void setAttrPalette(int i, uint8_t v) { attr_[i & 15] = v & 0x3F; }
  uint8_t attrReg(int i) const { return i < int(sizeof attr_) ? attr_[i] : 0; }
  void setAttrReg(int i, uint8_t v) {
    if (i < int(sizeof attr_)) attr_[i] = v;
  }
  uint8_t overscan() const { return attr_[0x11]; }
  void setOverscan(uint8_t v) { attr_[0x11] = v; }
  void setBlink(bool on) { attr_[0x10] = uint8_t(on ? (attr_[0x10] | 0x08) : (attr_[0x10] & ~0x08)); }
  bool blink() const { return attr_[0x10] & 0x08; }
  const uint8_t* dac(int i) const { return dac_[i & 255]; }
  void setDac(int i, uint8_t r, uint8_t g, uint8_t b);
  uint8_t dacMask() const { return dacMask_; }
  void setDacMask(uint8_t v) { dacMask_ = v; }
  uint8_t cgaColorSelect() const { return cgaColor_; }
  void setCgaColorSelect(uint8_t v) { cgaColor_ = v; }
  // The DAC entry an attribute-controller colour (0-15) shows: palette register, colour select, pel mask.
  uint8_t dacIndexOf(uint8_t color) const;

  // The character generator (plane 2): 8 blocks of 256 characters, 32 bytes each.
  static uint32_t fontBlockOffset(int block) { return uint32_t(((block & 3) << 14) | ((block & 4) << 11)); }
  void loadFont(int block, int first, int count, int height, const uint8_t* glyphs);
  uint8_t charMapSelect() const { return seq_[3]; }
  void setCharMapSelect(uint8_t v) { seq_[3] = v; }

  bool retrace() const;  // vertical retrace, from virtual time (70 Hz)
  // The first guest time after `now` at which input status 1 (3DAh: retrace and blanking bits) can read
  // differently: a guest polling it can skip there and miss nothing.
  uint64_t nextStatusChange(uint64_t now) const;

  // Device memory at A0000-AFFFF (vga_memory.cpp): every guest byte read or written there, offset from A0000.
  static constexpr uint32_t kWindow = 0xA0000;
  bool planar() const { return mode_->bpp == 4; }
  // The window as the VGA's mode wants it, after the VBE's banked window gave it up.
  void remapWindow() { mapWindow(); }
  // Mode 13h with chain-4 turned off through the sequencer ("mode X"): 256 colours from the four planes.
  bool unchained() const { return mode_->mode == 0x13 && !(seq_[4] & 0x08); }
  uint8_t memRead(uint32_t offset);
  void memWrite(uint32_t offset, uint8_t v);
  // The BIOS's pixels in planar modes (INT 10h AH=0Ch/0Dh): straight into the planes, registers untouched.
  uint8_t planarPixel(int x, int y) const;
  void setPlanarPixel(int x, int y, uint8_t color, bool xorMode);
  // The BIOS's scrolls in planar modes (INT 10h AH=06h/07h): n bytes (8 pixels each) of all four planes at once.
  void copyPlanarBytes(uint32_t to, uint32_t from, uint32_t n);
  void fillPlanarBytes(uint32_t to, uint32_t n, uint8_t color);
  const uint8_t* plane(int i) const { return planes_.data() + size_t(i & 3) * kPlaneSize; }

  void buildFrame(ScreenFrame& out) const;  // vga_frame.cpp: everything but generation and dirty

 private:
  void loadDefaultRegisters();
  void mapWindow();  // A0000-AFFFF device memory in every mode but 13h with chain-4 on
  void setChained(bool chained);
  int splitRow() const;  // vga_frame.cpp
  uint8_t* plane(int i) { return planes_.data() + size_t(i & 3) * kPlaneSize; }

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
  std::vector<uint8_t> planes_;  // 4 x 64 KiB
  uint8_t latch_[4] = {};
  bool planesInUse_ = false;  // planes 0, 1 and 3 hold anything (they go into snapshots only then)
};

// Text lines (vga_text.cpp): the current screen as CP437 in UTF-8, for --screen, tests and the debugger.
struct ScreenText;
void renderText(const Vga& vga, const GuestMemory& mem, ScreenText& out);
// The ROM fonts (vga_font.cpp, from vga_font_data.cpp): 256 characters of 16, 14 or 8 rows, bit 7 leftmost.
const uint8_t* vgaRomFont(int height);
const uint8_t* vgaGlyph(uint8_t ch);  // the 8x16 one
const char* cp437Utf8(uint8_t ch);

}  // namespace bv
