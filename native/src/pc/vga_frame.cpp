// The screen as the VGA shows it, before colours become RGB: text cells with the font and the cursor, or one
// palette index per pixel, and the palette. The renderer (common/screen-render.ts) turns it into pixels; the
// webview and --screenshot both use that one renderer.
#include <algorithm>

#include "bootvisor/machine.h"
#include "pc/vga.h"

namespace bv {

namespace {
// The DAC's 6 bits widened to 8 as QEMU's VGA does (v << 2, the low bit repeated), so screenshots match its
// screendump exactly; 63 stays full white.
uint8_t widen(uint8_t v) { return uint8_t((v << 2) | ((v & 1) << 1) | (v & 1)); }

void putRgb(std::vector<uint8_t>& palette, const uint8_t* c) {
  for (int k = 0; k < 3; ++k) palette.push_back(widen(c[k]));
}
}  // namespace

// The CRTC's line compare (split screen): the scan line after which the picture starts again from address 0,
// as the first pixel row wholly below it.
int Vga::splitRow() const {
  const int line = crtc_[0x18] | ((crtc_[0x07] & 0x10) << 4) | ((crtc_[0x09] & 0x40) << 3);
  const int perRow = ((crtc_[0x09] & 0x1F) + 1) * (crtc_[0x09] & 0x80 ? 2 : 1);
  return line / perRow + 1;
}

void Vga::buildFrame(ScreenFrame& f) const {
  const VgaModeInfo& m = *mode_;
  f = ScreenFrame();
  f.mode = m.mode;
  f.graphics = m.graphics;
  if (m.graphics) {
    f.width = m.width, f.height = m.height;
    f.pixels.resize(size_t(m.width) * m.height);
    uint8_t* px = f.pixels.data();
    if (m.bpp == 4) {
      // Planes: a row every offset-register words (byte mode), from the start address, wrapping at 64 KiB;
      // the colour plane enable register masks the 4-bit colour before the palette.
      const uint32_t stride = uint32_t(crtc_[0x13]) * 2, start = startAddress();
      const uint8_t enable = attr_[0x12] & 0x0F;
      const int split = splitRow();
      for (int y = 0; y < m.height; ++y) {
        const uint32_t row = y < split ? start + uint32_t(y) * stride : uint32_t(y - split) * stride;
        for (int x = 0; x < m.width; ++x) {
          const uint32_t at = (row + uint32_t(x >> 3)) & 0xFFFF;
          const int bit = 7 - (x & 7);
          uint8_t c = 0;
          for (int i = 0; i < 4; ++i) c = uint8_t(c | (((planes_[size_t(i) * kPlaneSize + at] >> bit) & 1) << i));
          *px++ = uint8_t(c & enable);
        }
      }
      for (int i = 0; i < 16; ++i) putRgb(f.palette, dac_[dacIndexOf(uint8_t(i))]);
      return;
    }
    if (unchained()) {
      // Mode X: pixel x from plane x & 3, a row every offset-register words from the start address; the height
      // from the CRTC's vertical display end over the scan lines per row (320x240 variants reprogram it).
      const uint32_t stride = uint32_t(crtc_[0x13]) * 2, start = startAddress();
      const int end = crtc_[0x12] | ((crtc_[0x07] & 0x02) << 7) | ((crtc_[0x07] & 0x40) << 3);
      const int lines = ((crtc_[0x09] & 0x1F) + 1) * (crtc_[0x09] & 0x80 ? 2 : 1);
      f.height = std::max(1, std::min(480, (end + 1) / lines));
      f.pixels.assign(size_t(f.width) * f.height, 0);
      px = f.pixels.data();
      const int split = splitRow();
      for (int y = 0; y < f.height; ++y) {
        const uint32_t row = y < split ? start + uint32_t(y) * stride : uint32_t(y - split) * stride;
        for (int x = 0; x < f.width; ++x)
          *px++ = planes_[size_t(x & 3) * kPlaneSize + ((row + uint32_t(x >> 2)) & 0xFFFF)];
      }
      for (int i = 0; i < 256; ++i) putRgb(f.palette, dac_[i & dacMask_]);
      return;
    }
    const uint8_t* ram = mem_.data();
    for (int y = 0; y < m.height; ++y) {
      for (int x = 0; x < m.width; ++x) {
        uint64_t a;
        int shift, mask;
        if (m.bpp == 8) {
          a = m.base + uint64_t(y) * 320 + x, shift = 0, mask = 0xFF;
        } else {
          uint64_t row = m.base + (y & 1) * 0x2000 + uint64_t(y >> 1) * 80;
          if (m.bpp == 2) a = row + x / 4, shift = 6 - 2 * (x % 4), mask = 3;
          else a = row + x / 8, shift = 7 - x % 8, mask = 1;
        }
        uint8_t v = a < mem_.size() ? ram[a] : 0xFF;
        v = uint8_t((v >> shift) & mask);
        *px++ = m.bpp == 8 ? v : uint8_t(v & attr_[0x12] & 0x0F);  // colour plane enable
      }
    }
    if (m.bpp == 8) {
      for (int i = 0; i < 256; ++i) putRgb(f.palette, dac_[i & dacMask_]);
      return;
    }
  } else {
    f.columns = textColumns();
    f.cellHeight = charHeight();
    f.rows = textRows();
    f.cellWidth = cellWidth();
    f.width = f.columns * f.cellWidth;
    f.height = f.rows * f.cellHeight;
    f.blink = blink();
    f.lineGraphics = attr_[0x10] & 0x04;
    f.cells.resize(size_t(f.columns) * f.rows);
    // The CRTC addresses words; text memory wraps within its 32 KiB window.
    const uint32_t stride = uint32_t(rowStride()), start = startAddress();
    const uint32_t window = 0x8000;
    for (int r = 0; r < f.rows; ++r) {
      for (int c = 0; c < f.columns; ++c) {
        uint32_t off = ((start + uint32_t(r) * stride + uint32_t(c)) * 2) % window;
        f.cells[size_t(r) * f.columns + c] = uint16_t(mem_.read8(m.base + off) | (mem_.read8(m.base + off + 1) << 8));
      }
    }
    int cur = int(cursorAddress()) - int(start);
    f.cursorVisible = cursorVisible() && cur >= 0 && cur / int(stride) < f.rows && cur % int(stride) < f.columns;
    f.cursorRow = cur >= 0 ? cur / int(stride) : 0;
    f.cursorColumn = cur >= 0 ? cur % int(stride) : 0;
    f.cursorStart = crtc_[0x0A] & 0x1F;
    f.cursorEnd = crtc_[0x0B] & 0x1F;
    // Character map B serves attribute bit 3 clear, map A bit 3 set (sequencer register 3).
    int mapA = ((seq_[3] >> 2) & 3) | ((seq_[3] >> 3) & 4), mapB = (seq_[3] & 3) | ((seq_[3] >> 2) & 4);
    int maps = mapA == mapB ? 1 : 2;
    f.font.resize(size_t(maps) * 256 * f.cellHeight);
    for (int k = 0; k < maps; ++k) {
      const uint8_t* block = plane(2) + fontBlockOffset(k == 0 ? mapB : mapA);
      for (int ch = 0; ch < 256; ++ch)
        for (int y = 0; y < f.cellHeight; ++y) f.font[(size_t(k) * 256 + ch) * f.cellHeight + y] = block[ch * 32 + y];
    }
  }
  for (int i = 0; i < 16; ++i) putRgb(f.palette, dac_[dacIndexOf(uint8_t(i))]);
}

}  // namespace bv
