// Screen frames with generations: a frame is compared with the previous one, so a caller that says which
// generation it holds gets the font and the palette only when they changed, and the rectangle that did.
#include <algorithm>

#include "vmm/machine_impl.h"

namespace bv {

namespace {
bool sameGeometry(const ScreenFrame& a, const ScreenFrame& b) {
  return a.mode == b.mode && a.graphics == b.graphics && a.width == b.width && a.height == b.height &&
         a.columns == b.columns && a.rows == b.rows && a.cellWidth == b.cellWidth && a.cellHeight == b.cellHeight &&
         a.bytesPerPixel == b.bytesPerPixel;
}

bool sameContent(const ScreenFrame& a, const ScreenFrame& b) {
  return sameGeometry(a, b) && a.cells == b.cells && a.pixels == b.pixels && a.cursorVisible == b.cursorVisible &&
         a.cursorRow == b.cursorRow && a.cursorColumn == b.cursorColumn && a.cursorStart == b.cursorStart &&
         a.cursorEnd == b.cursorEnd && a.blink == b.blink && a.lineGraphics == b.lineGraphics;
}

// The pixels that differ between two frames of the same geometry, as one rectangle (empty when none).
void changedRect(const ScreenFrame& a, const ScreenFrame& b, ScreenFrame& out) {
  int x0 = INT32_MAX, y0 = INT32_MAX, x1 = -1, y1 = -1;
  auto grow = [&](int x, int y, int w, int h) {
    x0 = std::min(x0, x), y0 = std::min(y0, y), x1 = std::max(x1, x + w), y1 = std::max(y1, y + h);
  };
  if (a.graphics) {
    const size_t bpp = size_t(a.bytesPerPixel);
    for (int y = 0; y < a.height; ++y)
      for (int x = 0; x < a.width; ++x) {
        const size_t i = (size_t(y) * a.width + x) * bpp;
        if (!std::equal(a.pixels.begin() + i, a.pixels.begin() + i + bpp, b.pixels.begin() + i)) grow(x, y, 1, 1);
      }
  } else {
    for (int r = 0; r < a.rows; ++r)
      for (int c = 0; c < a.columns; ++c)
        if (a.cells[size_t(r) * a.columns + c] != b.cells[size_t(r) * a.columns + c])
          grow(c * a.cellWidth, r * a.cellHeight, a.cellWidth, a.cellHeight);
    if (a.cursorVisible != b.cursorVisible || a.cursorRow != b.cursorRow || a.cursorColumn != b.cursorColumn ||
        a.cursorStart != b.cursorStart || a.cursorEnd != b.cursorEnd || a.blink != b.blink ||
        a.lineGraphics != b.lineGraphics) {
      grow(a.cursorColumn * a.cellWidth, a.cursorRow * a.cellHeight, a.cellWidth, a.cellHeight);
      grow(b.cursorColumn * b.cellWidth, b.cursorRow * b.cellHeight, b.cellWidth, b.cellHeight);
      if (a.blink != b.blink || a.lineGraphics != b.lineGraphics) grow(0, 0, a.width, a.height);
    }
  }
  out.hasDirty = true;
  if (x1 < 0) return;
  out.dirtyX = x0, out.dirtyY = y0;
  out.dirtyWidth = std::min(x1, a.width) - x0, out.dirtyHeight = std::min(y1, a.height) - y0;
}
}  // namespace

ScreenFrame Machine::screenFrame(int64_t since) {
  Impl& m = *impl_;
  ScreenFrame f;
  if (m.vbe->enabled()) m.vbe->buildFrame(*m.vga, f);
  else m.vga->buildFrame(f);
  ScreenFrame& last = m.lastFrame;
  const uint64_t previous = m.frameGeneration;
  const bool first = previous == 0;
  const bool fontChanged = first || f.font != last.font;
  const bool paletteChanged = first || f.palette != last.palette;
  const bool contentChanged = first || !sameContent(f, last);
  if (fontChanged || paletteChanged || contentChanged) {
    ++m.frameGeneration;
    if (fontChanged) m.fontGeneration = m.frameGeneration;
    if (paletteChanged) m.paletteGeneration = m.frameGeneration;
  }
  f.generation = m.frameGeneration;
  if (since >= 0 && uint64_t(since) <= f.generation) {
    if (uint64_t(since) == f.generation) {
      f.hasDirty = true;  // nothing changed
    } else if (uint64_t(since) == previous && !fontChanged && !paletteChanged && sameGeometry(f, last)) {
      changedRect(f, last, f);
    } else {
      f.hasDirty = true, f.dirtyWidth = f.width, f.dirtyHeight = f.height;
    }
  }
  last = f;
  if (since >= 0 && uint64_t(since) <= f.generation) {
    if (uint64_t(since) >= m.fontGeneration) f.hasFont = false, f.font.clear();
    if (uint64_t(since) >= m.paletteGeneration) f.hasPalette = false, f.palette.clear();
  }
  return f;
}

}  // namespace bv
