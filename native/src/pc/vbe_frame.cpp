// The picture while the VBE display is enabled, as QEMU's VGA draws it (hw/display/vga.c, vga-helpers.h, and
// pixman's conversion when its screendump saves a shared 16/32-bit surface): 8 bpp through the DAC (6-bit
// entries widened as for mode 13h), direct colour as R, G, B bytes; 15 bpp QEMU converts itself (channels
// shifted up, low bits zero), 16 bpp pixman does (top bits repeated below).
#include <algorithm>
#include <memory>

#include "bootvisor/machine.h"
#include "pc/vbe.h"
#include "pc/vga.h"

namespace bv {

namespace {
uint8_t widen6(uint8_t v) { return uint8_t((v << 2) | ((v & 1) << 1) | (v & 1)); }
// A 5- or 6-bit channel to 8 bits with its top bits repeated below, as pixman expands them.
uint8_t widen5(uint32_t v) { return uint8_t((v << 3) | (v >> 2)); }
uint8_t widen6bits(uint32_t v) { return uint8_t((v << 2) | (v >> 4)); }
}  // namespace

void Vbe::buildFrame(const Vga& vga, ScreenFrame& f) const {
  if (!pixels_ || pixelsAt_ != changes_) {
    auto fresh = std::make_shared<ScreenFrame>();
    buildPixels(*fresh);
    pixels_ = std::move(fresh);
    pixelsAt_ = changes_;
  }
  f = *pixels_;
  // 8 bpp goes through the VGA's DAC, which changes without this device knowing (4 bpp shows colour 0 of it).
  if (bpp() == 8 || bpp() == 4) {
    for (int i = 0; i < 256; ++i) {
      const uint8_t* c = vga.dac(i & vga.dacMask());
      for (int k = 0; k < 3; ++k) f.palette.push_back(widen6(c[k]));
    }
  }
}

void Vbe::buildPixels(ScreenFrame& f) const {
  f.mode = biosMode_ ? biosMode_ : 0xFFFF;
  f.graphics = true;
  f.width = width(), f.height = height();
  const int bits = bpp();
  const size_t n = size_t(f.width) * size_t(f.height);
  auto byteAt = [&](uint64_t a) -> uint8_t { return a < vram_.size() ? vram_[a] : 0; };
  if (bits == 8 || bits == 4) {
    // 4 bpp (planar through the VGA's registers in QEMU) is not drawn: its pixels show as colour 0.
    f.pixels.assign(n, 0);
    if (bits == 8) {
      for (int y = 0; y < f.height; ++y) {
        const uint64_t row = startByte_ + uint64_t(y) * lineBytes_;
        uint8_t* out = f.pixels.data() + size_t(y) * f.width;
        if (row + uint64_t(f.width) <= vram_.size()) std::copy_n(vram_.data() + row, f.width, out);
        else
          for (int x = 0; x < f.width; ++x) out[x] = byteAt(row + uint64_t(x));
      }
    }
    return;
  }
  f.bytesPerPixel = 3;
  f.pixels.assign(n * 3, 0);
  const int step = storedBits(bits) / 8;
  uint8_t* out = f.pixels.data();
  for (int y = 0; y < f.height; ++y) {
    uint64_t a = startByte_ + uint64_t(y) * lineBytes_;
    if (bits >= 24 && a + uint64_t(f.width) * uint64_t(step) <= vram_.size()) {
      // The common case, a whole row in written memory: B, G, R(, X) bytes straight across.
      const uint8_t* in = vram_.data() + a;
      for (int x = 0; x < f.width; ++x, in += step, out += 3) out[0] = in[2], out[1] = in[1], out[2] = in[0];
      continue;
    }
    for (int x = 0; x < f.width; ++x, a += uint64_t(step), out += 3) {
      if (a >= vram_.size()) continue;  // never written: black
      const uint32_t v = uint32_t(byteAt(a)) | uint32_t(byteAt(a + 1)) << 8 | uint32_t(byteAt(a + 2)) << 16;
      if (bits == 15) {
        out[0] = uint8_t(((v >> 10) & 31) << 3), out[1] = uint8_t(((v >> 5) & 31) << 3),
        out[2] = uint8_t((v & 31) << 3);
      } else if (bits == 16) {
        out[0] = widen5((v >> 11) & 31), out[1] = widen6bits((v >> 5) & 63), out[2] = widen5(v & 31);
      } else {
        out[0] = uint8_t(v >> 16), out[1] = uint8_t(v >> 8), out[2] = uint8_t(v);
      }
    }
  }
}

}  // namespace bv
