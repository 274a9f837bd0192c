// The screen as text lines (for --screen, --expect-screen, tests, the debugger): the cells the display shows,
// CP437 mapped to UTF-8. Pixels come from the frame (vga_frame.cpp) through the TypeScript renderer.
#include "bootvisor/machine.h"
#include "pc/vga.h"

namespace bv {

void renderText(const Vga& vga, const GuestMemory& mem, ScreenText& out) {
  const VgaModeInfo& m = vga.mode();
  out.mode = m.mode;
  out.graphics = m.graphics;
  out.lines.clear();
  out.columns = m.graphics ? m.columns : vga.textColumns();
  out.rows = m.graphics ? m.rows : vga.textRows();
  const int stride = m.graphics ? m.columns : vga.rowStride();
  int cur = int(vga.cursorAddress()) - int(vga.startAddress());
  out.cursorRow = cur >= 0 ? cur / stride : 0;
  out.cursorColumn = cur >= 0 ? cur % stride : 0;
  out.cursorVisible =
      !m.graphics && vga.cursorVisible() && cur >= 0 && out.cursorRow < out.rows && out.cursorColumn < out.columns;
  if (m.graphics) return;
  for (int r = 0; r < out.rows; ++r) {
    std::string line;
    for (int c = 0; c < out.columns; ++c) {
      uint32_t off = ((vga.startAddress() + uint32_t(r) * stride + uint32_t(c)) * 2) % 0x8000;
      line += cp437Utf8(mem.read8(m.base + off));
    }
    out.lines.push_back(std::move(line));
  }
}

}  // namespace bv
