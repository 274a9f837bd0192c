// INT 10h: video services (IBM PS/2 and VGA BIOS interface; Ralf Brown's Interrupt List for the details):
// modes, cursor, scrolling, characters and teletype in text and graphics modes, pixels, palettes and the
// DAC, font information, write string, display combination.
#include <algorithm>
#include <vector>

#include "pc/bios/bios.h"

namespace bv {

namespace {

struct Screen {
  const VgaModeInfo& m;
  uint32_t pageSize;
  int pages;
  int columns, rows;
};

// A text page: the cells rounded up to 256 bytes, as IBM's BIOS sizes them (80x25: 4 KiB, 40x25: 2 KiB).
uint32_t textPageSize(int columns, int rows) { return (uint32_t(columns * rows * 2) | 0xFF) + 1; }

Screen screenOf(BiosEnv& env) {
  const VgaModeInfo& m = env.vga.mode();
  if (m.graphics)
    return {m,
            m.mode == 0x13 ? 0xFA00u
            : m.bpp == 4   ? uint32_t(m.width / 8 * m.height)
                           : 0x4000u,
            1, m.columns, m.rows};
  // The text grid the BIOS data area says (AH=11h font loads change the rows), kept within the hardware's.
  int columns = std::clamp<int>(env.mem.read16(bda::kColumns), 1, env.vga.textColumns());
  int rows = std::clamp<int>(env.mem.read8(bda::kRows) + 1, 1, env.vga.textRows());
  uint32_t size = textPageSize(columns, rows);
  return {m, size, int(std::min<uint32_t>(8, 0x8000 / size)), columns, rows};
}

uint8_t activePage(BiosEnv& env) { return env.mem.read8(bda::kPage); }

void getCursor(BiosEnv& env, uint8_t page, int& row, int& col) {
  uint16_t v = env.mem.read16(bda::kCursor + 2u * (page & 7));
  col = v & 0xFF;
  row = v >> 8;
}

void syncCrtcCursor(BiosEnv& env) {
  Screen s = screenOf(env);
  uint8_t page = activePage(env);
  int row, col;
  getCursor(env, page, row, col);
  env.vga.setCursorAddress(uint16_t(page * s.pageSize / 2 + row * s.columns + col));
}

void setCursor(BiosEnv& env, uint8_t page, int row, int col) {
  env.mem.write16(bda::kCursor + 2u * (page & 7), uint16_t((row << 8) | (col & 0xFF)));
  if ((page & 7) == activePage(env)) syncCrtcCursor(env);
}

uint64_t cellAddr(const Screen& s, uint8_t page, int row, int col) {
  return s.m.base + uint64_t(page % s.pages) * s.pageSize + uint64_t(row * s.columns + col) * 2;
}

// Graphics pixels.
uint64_t pixelAddr(const VgaModeInfo& m, int x, int y, int& shift, uint8_t& mask) {
  if (m.bpp == 8) {
    shift = 0, mask = 0xFF;
    return m.base + uint64_t(y) * 320 + x;
  }
  uint64_t row = m.base + (y & 1) * 0x2000 + uint64_t(y >> 1) * 80;
  if (m.bpp == 2) {
    shift = 6 - 2 * (x % 4), mask = 3;
    return row + x / 4;
  }
  shift = 7 - x % 8, mask = 1;
  return row + x / 8;
}

uint8_t getPixel(BiosEnv& env, int x, int y) {
  const VgaModeInfo& m = env.vga.mode();
  if (!m.graphics || x < 0 || y < 0 || x >= m.width || y >= m.height) return 0;
  if (m.bpp == 4) return env.vga.planarPixel(x, y);
  int shift;
  uint8_t mask;
  uint64_t a = pixelAddr(m, x, y, shift, mask);
  return (env.mem.read8(a) >> shift) & mask;
}

void putPixel(BiosEnv& env, int x, int y, uint8_t color) {
  const VgaModeInfo& m = env.vga.mode();
  if (!m.graphics || x < 0 || y < 0 || x >= m.width || y >= m.height) return;
  if (m.bpp == 4) return env.vga.setPlanarPixel(x, y, color & 0x0F, color & 0x80);
  int shift;
  uint8_t mask;
  uint64_t a = pixelAddr(m, x, y, shift, mask);
  uint8_t old = env.mem.read8(a), v;
  bool xorMode = m.bpp != 8 && (color & 0x80);
  uint8_t c = color & mask;
  if (xorMode) v = uint8_t(old ^ (c << shift));
  else v = uint8_t((old & ~(mask << shift)) | (c << shift));
  env.mem.write8(a, v);
}

// A character cell in a graphics mode: 8 pixels wide, the mode's character height (8, 14 or 16) high, from the
// font INT 43h points at (the guest may have changed it).
void drawGlyph(BiosEnv& env, int row, int col, uint8_t ch, uint8_t color) {
  const VgaModeInfo& m = env.vga.mode();
  const int h = m.charHeight;
  uint64_t font = (uint64_t(env.mem.read16(0x43 * 4 + 2)) << 4) + env.mem.read16(0x43 * 4);
  for (int y = 0; y < h; ++y) {
    uint8_t bits = env.mem.read8(font + uint64_t(ch) * h + y);
    for (int x = 0; x < 8; ++x) {
      bool on = (bits >> (7 - x)) & 1;
      int px = col * 8 + x, py = row * h + y;
      if (m.bpp == 8) putPixel(env, px, py, on ? color : 0);
      else if (color & 0x80) {
        if (on) putPixel(env, px, py, color);
      } else putPixel(env, px, py, on ? color : 0);
    }
  }
}

void writeCell(BiosEnv& env, uint8_t page, int row, int col, uint8_t ch, int attr) {
  Screen s = screenOf(env);
  if (row >= s.rows || col >= s.columns) return;
  if (s.m.graphics) {
    drawGlyph(env, row, col, ch, uint8_t(attr < 0 ? 0x0F : attr));
    return;
  }
  uint64_t a = cellAddr(s, page, row, col);
  env.mem.write8(a, ch);
  if (attr >= 0) env.mem.write8(a + 1, uint8_t(attr));
}

// Scrolls the window (r0,c0)-(r1,c1) of a page up (n > 0) or down (n < 0); n = 0 clears it.
void scroll(BiosEnv& env, uint8_t page, int n, uint8_t attr, int r0, int c0, int r1, int c1) {
  Screen s = screenOf(env);
  if (r1 >= s.rows) r1 = s.rows - 1;
  if (c1 >= s.columns) c1 = s.columns - 1;
  if (r0 > r1 || c0 > c1) return;
  int h = r1 - r0 + 1;
  if (n == 0 || n >= h || -n >= h) n = h;  // clear (a positive n clears the same way)
  bool up = n > 0;
  int lines = up ? n : -n;
  if (s.m.graphics) {
    // Whole bytes of each pixel row, not pixel by pixel (a full-screen scroll in mode 12h was 300,000 pixel
    // calls: a guest scrolling in a loop took seconds per 4,000 instructions): a character cell is 8 pixels
    // wide, so the window's edges fall on byte bounds in every layout.
    const VgaModeInfo& m = s.m;
    const int ch = m.charHeight;
    const uint32_t n = uint32_t(c1 - c0 + 1) * uint32_t(m.bpp);  // bytes: 8 pixels * bpp bits per cell
    uint8_t fill = 0;
    if (m.bpp == 2) fill = uint8_t((attr & 3) * 0x55);
    if (m.bpp == 1) fill = (attr & 1) ? 0xFF : 0x00;
    std::vector<uint8_t> row(n);
    for (int i = 0; i < h * ch; ++i) {
      int y = up ? r0 * ch + i : r1 * ch + ch - 1 - i;
      int src = up ? y + lines * ch : y - lines * ch;
      bool inside = up ? src <= r1 * ch + ch - 1 : src >= r0 * ch;
      if (y < 0 || y >= m.height) continue;
      const bool copy = inside && src >= 0 && src < m.height;  // a source row off the screen reads as 0
      if (m.bpp == 4) {
        const uint32_t stride = uint32_t(m.width / 8), to = uint32_t(y) * stride + uint32_t(c0);
        if (copy) env.vga.copyPlanarBytes(to, uint32_t(src) * stride + uint32_t(c0), n / 4);
        else env.vga.fillPlanarBytes(to, n / 4, inside ? 0 : uint8_t(attr & 0x0F));
        continue;
      }
      int shift;
      uint8_t mask;
      if (copy) env.mem.read(pixelAddr(m, c0 * 8, src, shift, mask), row.data(), n);
      else std::fill(row.begin(), row.end(), inside ? uint8_t(0) : fill);
      env.mem.write(pixelAddr(m, c0 * 8, y, shift, mask), row.data(), n);
    }
    return;
  }
  for (int i = 0; i < h; ++i) {
    int row = up ? r0 + i : r1 - i;
    int src = up ? row + lines : row - lines;
    bool inside = up ? src <= r1 : src >= r0;
    std::vector<uint8_t> line(size_t(c1 - c0 + 1) * 2);
    if (inside) {
      env.mem.read(cellAddr(s, page, src, c0), line.data(), line.size());
    } else {
      for (size_t k = 0; k < line.size(); k += 2) line[k] = ' ', line[k + 1] = attr;
    }
    env.mem.write(cellAddr(s, page, row, c0), line.data(), line.size());
  }
}

void setCursorShape(BiosEnv& env, uint8_t start, uint8_t end) {
  env.mem.write16(bda::kCursorShape, uint16_t((start << 8) | end));
  if ((start & 0x60) == 0x20) {
    env.vga.setCursorShape(0x20, 0);
    return;
  }
  start &= 0x1F, end &= 0x1F;
  // CGA-style 8-line shapes are scaled to the 16-line cell, as the VGA BIOS's cursor emulation does.
  if (start < 8 && end < 8 && env.mem.read8(bda::kCharHeight) == 16) {
    start = uint8_t(start * 2);
    end = uint8_t(end * 2 + 1);
  }
  env.vga.setCursorShape(start, end);
}

void setPage(BiosEnv& env, uint8_t page) {
  Screen s = screenOf(env);
  if (page >= s.pages) return;
  env.mem.write8(bda::kPage, page);
  env.mem.write16(bda::kPageStart, uint16_t(page * s.pageSize));
  env.vga.setStartAddress(uint16_t(page * s.pageSize / 2));
  syncCrtcCursor(env);
}

void palette(BiosCall& c) {
  Vga& v = c.env.vga;
  GuestMemory& m = c.env.mem;
  switch (c.al()) {
    case 0x00:
      if (c.bl() < 16) v.setAttrPalette(c.bl(), c.bh());
      break;
    case 0x01: v.setOverscan(c.bh()); break;
    case 0x02: {
      uint64_t a = c.addr(SEG_ES, c.dx());
      for (int i = 0; i < 16; ++i) v.setAttrPalette(i, m.read8(a + i));
      v.setOverscan(m.read8(a + 16));
      break;
    }
    case 0x03: v.setBlink(c.bl() & 1); break;
    case 0x04:
    case 0x05:
    case 0x06: break;
    case 0x07: c.setHigh(GPR_RBX, v.attrPalette(c.bl() & 15)); break;
    case 0x08: c.setHigh(GPR_RBX, v.overscan()); break;
    case 0x09: {
      uint64_t a = c.addr(SEG_ES, c.dx());
      for (int i = 0; i < 16; ++i) m.write8(a + i, v.attrPalette(i));
      m.write8(a + 16, v.overscan());
      break;
    }
    case 0x10: v.setDac(c.bx() & 0xFF, c.dh(), c.ch(), c.cl()); break;
    case 0x13:  // colour paging: BL=0 sets the page size (mode control bit 7), BL=1 selects the page
      if (c.bl() == 0) v.setAttrReg(0x10, uint8_t((v.attrReg(0x10) & 0x7F) | ((c.bh() & 1) << 7)));
      else if (c.bl() == 1) v.setAttrReg(0x14, uint8_t(v.attrReg(0x10) & 0x80 ? c.bh() & 0x0F : (c.bh() << 2) & 0x0C));
      break;
    case 0x12: {
      uint64_t a = c.addr(SEG_ES, c.dx());
      for (int i = 0; i < c.cx() && c.bx() + i < 256; ++i)
        v.setDac(c.bx() + i, m.read8(a + 3 * i), m.read8(a + 3 * i + 1), m.read8(a + 3 * i + 2));
      break;
    }
    case 0x15: {
      const uint8_t* d = v.dac(c.bx() & 0xFF);
      c.setHigh(GPR_RDX, d[0]);
      c.setHigh(GPR_RCX, d[1]);
      c.setLow(GPR_RCX, d[2]);
      break;
    }
    case 0x17: {
      uint64_t a = c.addr(SEG_ES, c.dx());
      for (int i = 0; i < c.cx() && c.bx() + i < 256; ++i) {
        const uint8_t* d = v.dac(c.bx() + i);
        m.write(a + 3 * i, d, 3);
      }
      break;
    }
    case 0x18: v.setDacMask(c.bl()); break;
    case 0x19: c.setLow(GPR_RBX, v.dacMask()); break;
    case 0x1A:
      c.setLow(GPR_RBX, uint8_t(v.attrReg(0x10) >> 7));
      c.setHigh(GPR_RBX, uint8_t(v.attrReg(0x10) & 0x80 ? v.attrReg(0x14) & 0x0F : (v.attrReg(0x14) >> 2) & 3));
      break;
    case 0x1B: {  // sum to grey shades
      for (int i = 0; i < c.cx() && c.bx() + i < 256; ++i) {
        const uint8_t* d = v.dac(c.bx() + i);
        // 30% red, 59% green, 11% blue in 256ths, as the VGA BIOS sums them.
        uint8_t g = uint8_t((77 * d[0] + 151 * d[1] + 28 * d[2] + 0x80) >> 8);
        v.setDac(c.bx() + i, g, g, g);
      }
      break;
    }
    default: break;
  }
  m.noteWrite(v.mode().base, 1);  // the picture changed
}

uint16_t romFontOffset(int height) {
  return height == 8 ? rom::kFont8x8 : height == 14 ? rom::kFont8x14 : rom::kFont8x16;
}

// A text font now `height` lines high: the CRTC's character height, the rows that fit 400 scan lines, the BIOS
// data area and the cursor, as the VGA BIOS does after AX=1110h-1114h.
void setTextCharHeight(BiosEnv& env, int height) {
  env.vga.setCharHeight(height);
  GuestMemory& m = env.mem;
  int rows = env.vga.textRows();
  m.write8(bda::kCharHeight, uint8_t(height));
  m.write8(bda::kRows, uint8_t(rows - 1));
  m.write16(bda::kPageSize, uint16_t(textPageSize(m.read16(bda::kColumns), rows)));
  uint8_t end = uint8_t(height - 2 > 0 ? height - 2 : 0);
  m.write16(bda::kCursorShape, uint16_t(((end - 1) << 8) | end));
  env.vga.setCursorShape(uint8_t(end - 1), end);
}

// INT 10h AH=11h: character generator. Loads go to the VGA's font memory (plane 2) in text modes; the 2xh
// calls point INT 1Fh/43h at graphics-mode fonts; 30h says where the ROM fonts are.
void fonts(BiosCall& c) {
  BiosEnv& env = c.env;
  GuestMemory& m = env.mem;
  const uint8_t al = c.al();
  auto loadRom = [&](int height) {
    env.vga.loadFont(c.bl() & 7, 0, 256, height, vgaRomFont(height));
    if (al & 0x10) setTextCharHeight(env, height);
  };
  switch (al) {
    case 0x00:
    case 0x10: {  // user font: ES:BP, CX characters from DX, BH bytes each, block BL
      int height = c.bh() ? c.bh() : 16;
      if (height > 32) break;
      std::vector<uint8_t> glyphs(size_t(c.cx()) * height);
      uint64_t a = c.addr(SEG_ES, c.bp());
      for (size_t i = 0; i < glyphs.size(); ++i) glyphs[i] = m.read8(a + i);
      env.vga.loadFont(c.bl() & 7, c.dx() & 0xFF, c.cx(), height, glyphs.data());
      if (al & 0x10) setTextCharHeight(env, height);
      break;
    }
    case 0x01:
    case 0x11: loadRom(14); break;
    case 0x02:
    case 0x12: loadRom(8); break;
    case 0x04:
    case 0x14: loadRom(16); break;
    case 0x03: env.vga.setCharMapSelect(c.bl()); break;
    case 0x20: m.write16(0x1F * 4, c.bp()), m.write16(0x1F * 4 + 2, uint16_t(c.st.segs[SEG_ES].selector)); break;
    case 0x21:
    case 0x22:
    case 0x23:
    case 0x24: {  // graphics font for INT 43h, and the rows it gives
      int height = al == 0x21 ? c.cx() : al == 0x22 ? 14 : al == 0x23 ? 8 : 16;
      if (al == 0x21) m.write16(0x43 * 4, c.bp()), m.write16(0x43 * 4 + 2, uint16_t(c.st.segs[SEG_ES].selector));
      else m.write16(0x43 * 4, romFontOffset(height)), m.write16(0x43 * 4 + 2, kBiosSegment);
      static const uint8_t kRows[4] = {0, 14, 25, 43};
      int rows = c.bl() == 0 ? c.dl() : c.bl() < 4 ? kRows[c.bl()] : 25;
      if (height > 0) m.write8(bda::kCharHeight, uint8_t(height));
      if (rows > 0) m.write8(bda::kRows, uint8_t(rows - 1));
      break;
    }
    case 0x30: {
      uint16_t seg = kBiosSegment, off = 0;
      switch (c.bh()) {
        case 0x00: seg = m.read16(0x1F * 4 + 2), off = m.read16(0x1F * 4); break;
        case 0x01: seg = m.read16(0x43 * 4 + 2), off = m.read16(0x43 * 4); break;
        case 0x02:
        case 0x05: off = rom::kFont8x14; break;  // 9x14 alternates: none, the 8x14 serves
        case 0x03: off = rom::kFont8x8; break;
        case 0x04: off = uint16_t(rom::kFont8x8 + 128 * 8); break;
        default: off = rom::kFont8x16; break;  // 8x16, and 9x16 alternates
      }
      c.setSeg(SEG_ES, seg);
      c.set16(GPR_RBP, off);
      c.set16(GPR_RCX, m.read8(bda::kCharHeight));
      c.setLow(GPR_RDX, m.read8(bda::kRows));
      break;
    }
    default: break;
  }
  m.noteWrite(env.vga.mode().base, 1);  // the picture changed
}

}  // namespace

bool videoSetMode(BiosEnv& env, uint8_t al) {
  uint8_t mode = al & 0x7F;
  if (!env.vga.setMode(mode, !(al & 0x80))) return false;
  if (env.vbe.enabled()) env.vbe.setReg(Vbe::kEnable, 0);  // a VGA mode ends a VBE one, as SeaBIOS's does
  const VgaModeInfo& m = env.vga.mode();
  GuestMemory& mem = env.mem;
  mem.write8(bda::kVideoMode, mode);
  mem.write16(bda::kColumns, uint16_t(m.columns));
  mem.write16(bda::kPageSize, uint16_t(screenOf(env).pageSize));
  mem.write16(bda::kPageStart, 0);
  for (int p = 0; p < 8; ++p) mem.write16(bda::kCursor + 2u * p, 0);
  mem.write8(bda::kPage, 0);
  mem.write16(bda::kCrtcBase, mode == 0x07 || mode == 0x0F ? 0x3B4 : 0x3D4);
  mem.write8(bda::kModeCtl, m.graphics ? 0x0E : 0x29);
  mem.write8(bda::kPalette, env.vga.cgaColorSelect());
  mem.write8(bda::kRows, uint8_t(m.rows - 1));
  mem.write8(bda::kCharHeight, uint8_t(m.charHeight));
  mem.write16(0x43 * 4, romFontOffset(m.graphics ? m.charHeight : 8));
  mem.write16(0x43 * 4 + 2, kBiosSegment);
  mem.write8(bda::kVideoCtl, uint8_t(0x60 | (al & 0x80)));
  mem.write8(bda::kVideoSwitches, 0x09);
  mem.write8(bda::kVgaFlags, 0x11);
  uint16_t equip = mem.read16(bda::kEquipment);
  mem.write16(bda::kEquipment, uint16_t((equip & ~0x30) | (mode == 0x07 ? 0x30 : 0x20)));
  mem.write16(bda::kCursorShape, m.graphics ? 0x0000 : 0x0607);
  return true;
}

void videoTeletype(BiosCall& c, uint8_t ch, uint8_t page, uint8_t color) {
  BiosEnv& env = c.env;
  Screen s = screenOf(env);
  int row, col;
  getCursor(env, page, row, col);
  switch (ch) {
    case 0x07: break;  // bell: the speaker is silent here
    case 0x08:
      if (col > 0) --col;
      break;
    case 0x0A: ++row; break;
    case 0x0D: col = 0; break;
    default:
      writeCell(env, page, row, col, ch, s.m.graphics ? color : -1);
      if (++col >= s.columns) col = 0, ++row;
  }
  if (row >= s.rows) {
    // New lines take the attribute of the character at the cursor, as the IBM BIOS does.
    uint8_t attr = s.m.graphics ? 0 : env.mem.read8(cellAddr(s, page, s.rows - 1, 0) + 1);
    scroll(env, page, 1, attr, 0, 0, s.rows - 1, s.columns - 1);
    row = s.rows - 1;
  }
  setCursor(env, page, row, col);
}

void biosVideo(BiosCall& c) {
  BiosEnv& env = c.env;
  Screen s = screenOf(env);
  switch (c.ah()) {
    case 0x00:
      if (videoSetMode(env, c.al())) {
        uint8_t mode = c.al() & 0x7F;  // AL returns the CRT mode control byte, as SeaBIOS's vgabios does
        c.setAl(mode > 7 ? 0x20 : mode == 6 ? 0x3F : 0x30);
      }
      break;
    case 0x01: setCursorShape(env, c.ch(), c.cl()); break;
    case 0x02: setCursor(env, c.bh() & 7, c.dh(), c.dl()); break;
    case 0x03: {
      int row, col;
      getCursor(env, c.bh() & 7, row, col);
      c.set16(GPR_RCX, env.mem.read16(bda::kCursorShape));
      c.set16(GPR_RDX, uint16_t((row << 8) | col));
      c.setAx(0);
      break;
    }
    case 0x04: c.setAh(0); break;  // no light pen
    case 0x05: setPage(env, c.al()); break;
    case 0x06: scroll(env, activePage(env), c.al(), c.bh(), c.ch(), c.cl(), c.dh(), c.dl()); break;
    case 0x07: scroll(env, activePage(env), -int(c.al() ? c.al() : 255), c.bh(), c.ch(), c.cl(), c.dh(), c.dl()); break;
    case 0x08: {
      if (s.m.graphics) {
        c.setAx(0);
        break;
      }
      int row, col;
      getCursor(env, c.bh() & 7, row, col);
      uint64_t a = cellAddr(s, c.bh() & 7, row, col);
      c.setAx(uint16_t(env.mem.read8(a) | (env.mem.read8(a + 1) << 8)));
      break;
    }
    case 0x09:
    case 0x0A: {
      int row, col;
      uint8_t page = c.bh() & 7;
      getCursor(env, page, row, col);
      int attr = c.ah() == 0x09 || s.m.graphics ? c.bl() : -1;
      for (int i = 0; i < c.cx(); ++i) {
        int r = row + (col + i) / s.columns, k = (col + i) % s.columns;
        if (r >= s.rows) break;
        writeCell(env, page, r, k, c.al(), attr);
      }
      break;
    }
    case 0x0B: {
      // CGA palette calls on the VGA: BH=0 sets the background (graphics) and the border, bit 4 the intensity
      // of colours 1-3; BH=1 picks palette 0 (green, red, brown) or 1 (cyan, magenta, white).
      Vga& v = env.vga;
      uint8_t sel = env.mem.read8(bda::kPalette);
      if (c.bh() == 0) {
        uint8_t bg = uint8_t((c.bl() & 0x07) | ((c.bl() & 0x08) << 1));
        v.setOverscan(bg);
        if (s.m.graphics) {
          v.setAttrPalette(0, bg);
          for (int i = 1; i < 4; ++i) v.setAttrPalette(i, uint8_t((v.attrPalette(i) & ~0x10) | (c.bl() & 0x10)));
        }
        sel = uint8_t((sel & 0xE0) | (c.bl() & 0x1F));
      } else if (c.bh() == 1) {
        if (s.m.graphics && s.m.bpp == 2)
          for (int i = 1; i < 4; ++i) v.setAttrPalette(i, uint8_t((v.attrPalette(i) & ~0x01) | (c.bl() & 1)));
        sel = uint8_t((sel & ~0x20) | ((c.bl() & 1) << 5));
      }
      v.setCgaColorSelect(sel);
      env.mem.write8(bda::kPalette, sel);
      env.mem.noteWrite(s.m.base, 1);
      break;
    }
    case 0x0C: putPixel(env, c.cx(), c.dx(), c.al()); break;
    case 0x0D: c.setAl(getPixel(env, c.cx(), c.dx())); break;
    case 0x0E: videoTeletype(c, c.al(), activePage(env), c.bl()); break;
    case 0x0F:
      c.setAl(uint8_t(env.mem.read8(bda::kVideoMode) | (env.mem.read8(bda::kVideoCtl) & 0x80)));
      c.setAh(uint8_t(env.mem.read16(bda::kColumns)));
      c.setHigh(GPR_RBX, activePage(env));
      break;
    case 0x10: palette(c); break;
    case 0x11: fonts(c); break;
    case 0x12:
      if (c.bl() == 0x10) {
        c.set16(GPR_RBX, 0x0003);  // colour, 256 KiB
        c.set16(GPR_RCX, 0x0009);  // feature bits, switch setting
      }
      break;
    case 0x13: {
      uint8_t page = c.bh() & 7;
      int row0, col0;
      getCursor(env, page, row0, col0);
      setCursor(env, page, c.dh(), c.dl());
      uint64_t a = c.addr(SEG_ES, c.bp());
      bool attrs = c.al() & 2;
      for (int i = 0; i < c.cx(); ++i) {
        uint8_t ch = env.mem.read8(a++);
        uint8_t attr = attrs ? env.mem.read8(a++) : c.bl();
        if (ch == 7 || ch == 8 || ch == 10 || ch == 13) {
          videoTeletype(c, ch, page, attr);
          continue;
        }
        int row, col;
        getCursor(env, page, row, col);
        writeCell(env, page, row, col, ch, attr);
        if (++col >= s.columns) {
          col = 0;
          if (++row >= s.rows) {
            scroll(env, page, 1, 0x07, 0, 0, s.rows - 1, s.columns - 1);
            row = s.rows - 1;
          }
        }
        setCursor(env, page, row, col);
      }
      if (!(c.al() & 1)) setCursor(env, page, row0, col0);
      break;
    }
    case 0x1A:
      if (c.al() == 0x00) {
        c.setAl(0x1A);
        c.set16(GPR_RBX, 0x0008);  // VGA with colour display
      }
      break;
    case 0x4F: biosVbe(c); break;
    default: break;  // unsupported: registers unchanged, which callers read as "no"
  }
}

}  // namespace bv
