// The screen as the user sees it: text lines (for --screen, tests, the debugger) and RGBA pixels (the
// screenshot and the editor's screen view). Text modes draw 9-pixel-wide cells (the 9th column repeats the
// 8th for the line-drawing characters 0xC0-0xDF, as the VGA does), so 80x25 is 720x400.
#include "bootvisor/machine.h"
#include "pc/vga.h"

namespace bv {

namespace {
uint8_t scale6(uint8_t v) { return uint8_t((v << 2) | (v >> 4)); }

void putDac(const Vga& vga, uint8_t index, uint8_t* px) {
  const uint8_t* c = vga.dac(index);
  px[0] = scale6(c[0]), px[1] = scale6(c[1]), px[2] = scale6(c[2]), px[3] = 255;
}
}  // namespace

void renderText(const Vga& vga, const GuestMemory& mem, ScreenText& out) {
  const VgaModeInfo& m = vga.mode();
  out.mode = m.mode;
  out.columns = m.columns;
  out.rows = m.rows;
  out.graphics = m.graphics;
  out.lines.clear();
  out.cursorVisible = !m.graphics && vga.cursorVisible();
  int cur = int(vga.cursorAddress()) - int(vga.startAddress());
  out.cursorRow = cur >= 0 ? cur / m.columns : 0;
  out.cursorColumn = cur >= 0 ? cur % m.columns : 0;
  if (out.cursorRow >= m.rows) out.cursorVisible = false;
  if (m.graphics) return;
  uint64_t base = m.base + uint64_t(vga.startAddress()) * 2;
  for (int r = 0; r < m.rows; ++r) {
    std::string line;
    for (int c = 0; c < m.columns; ++c) line += cp437Utf8(mem.read8(base + uint64_t(r * m.columns + c) * 2));
    out.lines.push_back(std::move(line));
  }
}

void renderImage(const Vga& vga, const GuestMemory& mem, ScreenImage& out) {
  const VgaModeInfo& m = vga.mode();
  out.width = m.width;
  out.height = m.height;
  out.rgba.assign(size_t(m.width) * m.height * 4, 0);
  uint8_t* px = out.rgba.data();
  if (m.graphics) {
    for (int y = 0; y < m.height; ++y) {
      for (int x = 0; x < m.width; ++x) {
        uint8_t v;
        if (m.bpp == 8) {
          v = mem.read8(m.base + uint64_t(y) * 320 + x);
        } else {
          uint64_t row = m.base + (y & 1) * 0x2000 + uint64_t(y >> 1) * 80;
          if (m.bpp == 2) v = (mem.read8(row + x / 4) >> (6 - 2 * (x % 4))) & 3;
          else v = (mem.read8(row + x / 8) >> (7 - x % 8)) & 1;
        }
        putDac(vga, vga.pixelDacIndex(v), px + (size_t(y) * m.width + x) * 4);
      }
    }
    return;
  }
  uint64_t base = m.base + uint64_t(vga.startAddress()) * 2;
  int curRow = -1, curCol = -1;
  if (vga.cursorVisible()) {
    int cur = int(vga.cursorAddress()) - int(vga.startAddress());
    if (cur >= 0 && cur < m.columns * m.rows) curRow = cur / m.columns, curCol = cur % m.columns;
  }
  int cs = vga.cursorStart() & 0x1F, ce = vga.cursorEnd() & 0x1F;
  for (int r = 0; r < m.rows; ++r) {
    for (int c = 0; c < m.columns; ++c) {
      uint64_t a = base + uint64_t(r * m.columns + c) * 2;
      uint8_t ch = mem.read8(a), at = mem.read8(a + 1);
      uint8_t fg = at & 0x0F, bg = at >> 4;
      if (vga.blink()) bg &= 7;  // bit 7 blinks the character instead (drawn in its "on" phase)
      const uint8_t* g = vgaGlyph(ch);
      bool lineGraphics = ch >= 0xC0 && ch <= 0xDF;
      for (int y = 0; y < 16; ++y) {
        uint8_t bits = g[y];
        bool cursorRow = r == curRow && c == curCol && y >= cs && y <= ce;
        for (int x = 0; x < 9; ++x) {
          bool on = x < 8 ? (bits >> (7 - x)) & 1 : (lineGraphics && (bits & 1));
          if (cursorRow) on = true;
          uint8_t* p = px + (size_t(r * 16 + y) * m.width + size_t(c * 9 + x)) * 4;
          putDac(vga, vga.attrPalette(on ? fg : bg), p);
        }
      }
    }
  }
}

}  // namespace bv
