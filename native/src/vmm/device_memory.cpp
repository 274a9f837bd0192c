// Guest accesses that land on device memory rather than RAM: the VGA's A0000 window (through its graphics
// controller), the same window banked onto the VBE's video memory while a VBE mode is on, and the VBE's linear
// framebuffer past the end of RAM. Little-endian; the VBE's memory in one copy an access, the VGA's byte by byte
// (each byte goes through its planes and latches); anything else is not device memory.
#include "vmm/machine_impl.h"

namespace bv {

bool Machine::Impl::deviceRead(uint64_t gpa, unsigned size, uint64_t& value) {
  if (size > 8) return false;
  value = 0;
  if (Vbe::isLfb(gpa)) {
    value = vbe->readWide(uint32_t(gpa - Vbe::kLfbBase), size);
    return true;
  }
  if (!mem.isDevice(gpa)) return false;
  const uint32_t offset = uint32_t(gpa - Vga::kWindow);
  if (vbe->banked() && offset < Vga::kPlaneSize) {
    value = vbe->readWide(vbe->bankOffset() + offset, size);
    return true;
  }
  for (unsigned i = 0; i < size; ++i) value |= uint64_t(vga->memRead(offset + i)) << (8 * i);
  return true;
}

bool Machine::Impl::deviceWrite(uint64_t gpa, unsigned size, uint64_t value) {
  if (size > 8) return false;
  if (Vbe::isLfb(gpa)) {
    vbe->writeWide(uint32_t(gpa - Vbe::kLfbBase), size, value);
    return true;
  }
  if (!mem.isDevice(gpa)) return false;
  const uint32_t offset = uint32_t(gpa - Vga::kWindow);
  if (vbe->banked() && offset < Vga::kPlaneSize) {
    vbe->writeWide(vbe->bankOffset() + offset, size, value);
    return true;
  }
  for (unsigned i = 0; i < size; ++i) vga->memWrite(offset + i, uint8_t(value >> (8 * i)));
  return true;
}

}  // namespace bv
