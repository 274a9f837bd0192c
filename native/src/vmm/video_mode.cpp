// A graphics mode for a boot loader (the Multiboot loader's answer to a kernel's video request): the VBE mode
// the BIOS would pick, set through the same path as INT 10h AX=4F02h with the linear framebuffer on.
#include "vmm/machine_impl.h"

namespace bv {

bool Machine::setVideoMode(int width, int height, int depth, VideoMode& out) {
  Impl& m = *impl_;
  const uint16_t mode = vbeFindMode(width, height, depth);
  if (!mode || !vbeSetMode(m.bios->env(), uint16_t(mode | 0x4000))) return false;
  out.mode = mode;
  out.address = Vbe::kLfbBase;
  out.pitch = m.vbe->pitch();
  out.width = uint32_t(m.vbe->width());
  out.height = uint32_t(m.vbe->height());
  out.bpp = uint8_t(m.vbe->bpp());
  uint8_t vbe[8];
  vbeColourFields(out.bpp, vbe);
  for (int i = 0; i < 6; ++i) out.fields[i] = vbe[i ^ 1];  // VBE keeps (size, position), Multiboot the reverse
  return true;
}

}  // namespace bv
