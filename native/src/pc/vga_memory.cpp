// The VGA's memory as the CPU sees it at A0000-AFFFF (every mode but 13h, whose memory is guest RAM): the
// graphics controller between the CPU and the four planes (IBM VGA Technical Reference, "Graphics Controller
// Registers"; FreeVGA's "VGA Memory Access" descriptions). A read loads the four latches and returns one plane
// (read mode 0) or a colour-compare mask (read mode 1); a write combines the CPU byte, set/reset, the latches,
// the logical function and the bit mask (write modes 0-3) into the planes the sequencer's map mask enables.
#include "pc/vga.h"

namespace bv {

namespace {
inline uint8_t spread(int bit) { return bit ? 0xFF : 0x00; }
}  // namespace

// Miscellaneous register bits 2-3: which host window the planes answer. Odd/even addressing (graphics mode
// bit 4) sends even addresses to planes 0 and 2, odd ones to 1 and 3, as text modes use it.
uint8_t Vga::memRead(uint32_t offset) {
  const int map = (gc_[6] >> 2) & 3;
  if (map >= 2 || offset >= kPlaneSize) return 0xFF;  // this window not decoded (B0000/B8000 maps)
  for (int i = 0; i < 4; ++i) latch_[i] = plane(i)[offset];
  if (gc_[5] & 0x10) return plane((gc_[4] & 2) | (offset & 1))[offset & ~1u];
  if (gc_[5] & 0x08) {
    // Read mode 1: a bit is set where every plane that matters (colour don't care) matches colour compare.
    uint8_t differ = 0;
    for (int i = 0; i < 4; ++i)
      if ((gc_[7] >> i) & 1) differ |= uint8_t(latch_[i] ^ spread((gc_[2] >> i) & 1));
    return uint8_t(~differ);
  }
  return latch_[gc_[4] & 3];
}

void Vga::memWrite(uint32_t offset, uint8_t v) {
  const int map = (gc_[6] >> 2) & 3;
  if (map >= 2 || offset >= kPlaneSize) return;
  uint8_t enabled = seq_[2] & 0x0F;
  if (gc_[5] & 0x10) {
    enabled &= offset & 1 ? 0x0A : 0x05;
    offset &= ~1u;
  }
  const int writeMode = gc_[5] & 3, function = (gc_[3] >> 3) & 3, rotate = gc_[3] & 7;
  const uint8_t rotated = uint8_t((v >> rotate) | (v << ((8 - rotate) & 7)));
  // Write mode 3 ANDs the rotated byte into the bit mask; the others take the bit mask as it is.
  const uint8_t mask = writeMode == 3 ? uint8_t(gc_[8] & rotated) : gc_[8];
  for (int i = 0; i < 4; ++i) {
    if (!((enabled >> i) & 1)) continue;
    uint8_t* p = plane(i) + offset;
    if (writeMode == 1) {  // the latches as they are: copies within video memory
      *p = latch_[i];
      continue;
    }
    uint8_t d;
    if (writeMode == 0) d = (gc_[1] >> i) & 1 ? spread((gc_[0] >> i) & 1) : rotated;
    else if (writeMode == 2) d = spread((v >> i) & 1);
    else d = spread((gc_[0] >> i) & 1);
    switch (function) {
      case 1: d &= latch_[i]; break;
      case 2: d |= latch_[i]; break;
      case 3: d ^= latch_[i]; break;
      default: break;
    }
    *p = uint8_t((d & mask) | (latch_[i] & ~mask));
  }
  if (enabled & 0x0B) planesInUse_ = true;
  mem_.noteWrite(planar() ? kWindow + offset : mode_->base, 1);  // the picture (or the font) changed
}

// The BIOS addresses a planar page linearly: a row is width / 8 bytes, bit 7 the leftmost pixel.
uint8_t Vga::planarPixel(int x, int y) const {
  if (x < 0 || y < 0 || x >= mode_->width || y >= mode_->height) return 0;
  const uint32_t at = uint32_t(y) * uint32_t(mode_->width / 8) + uint32_t(x / 8);
  const int bit = 7 - (x & 7);
  uint8_t c = 0;
  for (int i = 0; i < 4; ++i) c = uint8_t(c | (((plane(i)[at & 0xFFFF] >> bit) & 1) << i));
  return c;
}

void Vga::copyPlanarBytes(uint32_t to, uint32_t from, uint32_t n) {
  for (int i = 0; i < 4; ++i)
    for (uint32_t k = 0; k < n; ++k) plane(i)[(to + k) & 0xFFFF] = plane(i)[(from + k) & 0xFFFF];
  planesInUse_ = true;
  if ((to & 0xFFFF) + n <= kPlaneSize) mem_.noteWrite(kWindow + (to & 0xFFFF), n);
  else mem_.noteWrite(kWindow, kPlaneSize);
}

void Vga::fillPlanarBytes(uint32_t to, uint32_t n, uint8_t color) {
  for (int i = 0; i < 4; ++i)
    for (uint32_t k = 0; k < n; ++k) plane(i)[(to + k) & 0xFFFF] = ((color >> i) & 1) ? 0xFF : 0x00;
  planesInUse_ = true;
  if ((to & 0xFFFF) + n <= kPlaneSize) mem_.noteWrite(kWindow + (to & 0xFFFF), n);
  else mem_.noteWrite(kWindow, kPlaneSize);
}

void Vga::setPlanarPixel(int x, int y, uint8_t color, bool xorMode) {
  if (x < 0 || y < 0 || x >= mode_->width || y >= mode_->height) return;
  const uint32_t at = (uint32_t(y) * uint32_t(mode_->width / 8) + uint32_t(x / 8)) & 0xFFFF;
  const uint8_t bit = uint8_t(0x80 >> (x & 7));
  for (int i = 0; i < 4; ++i) {
    uint8_t* p = plane(i) + at;
    const bool on = (color >> i) & 1;
    if (xorMode) *p = uint8_t(on ? *p ^ bit : *p);
    else *p = uint8_t(on ? *p | bit : *p & ~bit);
  }
  planesInUse_ = true;
  mem_.noteWrite(kWindow + at, 1);
}

}  // namespace bv
