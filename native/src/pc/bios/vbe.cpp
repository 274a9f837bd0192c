// INT 10h AH=4Fh: the VESA BIOS Extension (VBE 3.0 core functions 00h-09h) over the Bochs/QEMU dispi device,
// with the mode numbers, geometry and masks QEMU's VGA BIOS (SeaBIOS's vgabios for -vga std) reports, so a
// program written against QEMU finds the same modes here. Only the packed (8 bpp) and direct-colour modes
// are offered: SeaBIOS's planar VBE modes (102h, 104h, 106h) are not.
#include <algorithm>
#include <cstring>

#include "pc/bios/bios.h"

namespace bv {

namespace {
constexpr uint16_t kOk = 0x004F, kFailed = 0x014F, kNotSupported = 0x0100;
constexpr uint16_t kModeLfb = 0x4000, kModeNoClear = 0x8000;

struct VbeMode {
  uint16_t number;
  uint16_t width, height;
  uint8_t bpp;
};
// SeaBIOS's bochsvga table in its order, packed and direct-colour modes only; every one fits in 16 MiB.
constexpr VbeMode kModes[] = {
    {0x100, 640, 400, 8},    {0x101, 640, 480, 8},    {0x103, 800, 600, 8},    {0x105, 1024, 768, 8},
    {0x107, 1280, 1024, 8},  {0x10D, 320, 200, 15},   {0x10E, 320, 200, 16},   {0x10F, 320, 200, 24},
    {0x110, 640, 480, 15},   {0x111, 640, 480, 16},   {0x112, 640, 480, 24},   {0x113, 800, 600, 15},
    {0x114, 800, 600, 16},   {0x115, 800, 600, 24},   {0x116, 1024, 768, 15},  {0x117, 1024, 768, 16},
    {0x118, 1024, 768, 24},  {0x119, 1280, 1024, 15}, {0x11A, 1280, 1024, 16}, {0x11B, 1280, 1024, 24},
    {0x11C, 1600, 1200, 8},  {0x11D, 1600, 1200, 15}, {0x11E, 1600, 1200, 16}, {0x11F, 1600, 1200, 24},
    {0x140, 320, 200, 32},   {0x141, 640, 400, 32},   {0x142, 640, 480, 32},   {0x143, 800, 600, 32},
    {0x144, 1024, 768, 32},  {0x145, 1280, 1024, 32}, {0x146, 320, 200, 8},    {0x147, 1600, 1200, 32},
    {0x148, 1152, 864, 8},   {0x149, 1152, 864, 15},  {0x14A, 1152, 864, 16},  {0x14B, 1152, 864, 24},
    {0x14C, 1152, 864, 32},  {0x175, 1280, 768, 16},  {0x176, 1280, 768, 24},  {0x177, 1280, 768, 32},
    {0x178, 1280, 800, 16},  {0x179, 1280, 800, 24},  {0x17A, 1280, 800, 32},  {0x17B, 1280, 960, 16},
    {0x17C, 1280, 960, 24},  {0x17D, 1280, 960, 32},  {0x17E, 1440, 900, 16},  {0x17F, 1440, 900, 24},
    {0x180, 1440, 900, 32},  {0x181, 1400, 1050, 16}, {0x182, 1400, 1050, 24}, {0x183, 1400, 1050, 32},
    {0x184, 1680, 1050, 16}, {0x185, 1680, 1050, 24}, {0x186, 1680, 1050, 32}, {0x187, 1920, 1200, 16},
    {0x188, 1920, 1200, 24}, {0x189, 1920, 1200, 32}, {0x18A, 2560, 1600, 16}, {0x18B, 2560, 1600, 24},
    {0x18C, 2560, 1600, 32}, {0x18D, 1280, 720, 16},  {0x18E, 1280, 720, 24},  {0x18F, 1280, 720, 32},
    {0x190, 1920, 1080, 16}, {0x191, 1920, 1080, 24}, {0x192, 1920, 1080, 32}, {0x193, 1600, 900, 16},
    {0x194, 1600, 900, 24},  {0x195, 1600, 900, 32},  {0x196, 2560, 1440, 16}, {0x197, 2560, 1440, 24},
    {0x198, 2560, 1440, 32}, {0x199, 3840, 2160, 16},
};

const VbeMode* findMode(uint16_t number) {
  for (const VbeMode& m : kModes)
    if (m.number == (number & 0x1FF)) return &m;
  return nullptr;
}

uint32_t pitchOf(const VbeMode& m) { return uint32_t(m.width) * Vbe::storedBits(m.bpp) / 8; }

// Strings and the mode list go into the caller's own block (its reserved and OEM areas), as VBE 2.0+ allows,
// so nothing points into the ROM a guest might not map.
void controllerInfo(BiosCall& c) {
  GuestMemory& m = c.env.mem;
  const uint64_t at = c.addr(SEG_ES, c.di());
  const uint16_t seg = uint16_t(c.st.segs[SEG_ES].selector);
  const bool vbe2 = m.read32(at) == 0x32454256;  // "VBE2": a 512-byte block
  uint8_t block[512] = {};
  std::memcpy(block, "VESA", 4);
  block[4] = 0x00, block[5] = 0x03;  // 3.0
  uint16_t off = 0x22;               // the reserved area: the mode list first
  auto ptr = [&](int field, uint16_t where) {
    const uint16_t o = uint16_t(c.di() + where);
    std::memcpy(block + field, &o, 2);
    std::memcpy(block + field + 2, &seg, 2);
  };
  ptr(0x0E, off);
  for (const VbeMode& mode : kModes) std::memcpy(block + off, &mode.number, 2), off = uint16_t(off + 2);
  block[off] = block[off + 1] = 0xFF, off = uint16_t(off + 2);
  const uint16_t memory64k = uint16_t(Vbe::kMemorySize >> 16);
  std::memcpy(block + 0x12, &memory64k, 2);
  auto str = [&](int field, const char* s) {
    const size_t n = std::strlen(s) + 1;
    if (off + n > (vbe2 ? 512u : 256u)) return;  // a VBE 1.x caller's 256 bytes hold the list and the OEM name
    ptr(field, off);
    std::memcpy(block + off, s, n);
    off = uint16_t(off + n);
  };
  str(0x06, "Bootvisor VBE");
  if (vbe2) {
    block[0x14] = 0x01, block[0x15] = 0x00;  // OEM software revision
    str(0x16, "Bootvisor");
    str(0x1A, "Bootvisor Bochs/QEMU dispi adapter");
    str(0x1E, "1");
  }
  m.write(at, block, vbe2 ? 512 : 256);
  c.setAx(kOk);
}

void modeInfo(BiosCall& c) {
  const VbeMode* mode = findMode(c.cx());
  if (!mode) {
    c.setAx(kFailed);
    return;
  }
  uint8_t b[256] = {};
  auto put16 = [&](int o, uint16_t v) { std::memcpy(b + o, &v, 2); };
  auto put32 = [&](int o, uint32_t v) { std::memcpy(b + o, &v, 4); };
  const uint32_t pitch = pitchOf(*mode);
  // Supported, extended information, colour, graphics, not VGA-compatible, linear framebuffer.
  put16(0x00, 0x00BB);
  b[0x02] = 0x07;  // window A: relocatable, readable, writeable
  put16(0x04, 64), put16(0x06, 64), put16(0x08, 0xA000);
  put16(0x10, uint16_t(pitch));
  put16(0x12, mode->width), put16(0x14, mode->height);
  b[0x16] = 8, b[0x17] = 16, b[0x18] = 1, b[0x19] = mode->bpp, b[0x1A] = 1;
  b[0x1B] = mode->bpp == 8 ? 4 : 6;  // packed pixel or direct colour
  const uint32_t frame = (pitch * mode->height + 0xFFFF) & ~0xFFFFu;
  // Image pages beyond the first, within 1-127 as QEMU's BIOS reports them (measured: 320x200x8 says 127,
  // 1920x1200x32 says 1).
  const uint8_t pages = uint8_t(std::clamp<uint32_t>(Vbe::kMemorySize / frame, 2, 128) - 1);
  b[0x1D] = pages, b[0x1E] = 1;
  uint8_t fields[8];
  vbeColourFields(mode->bpp, fields);
  std::memcpy(b + 0x1F, fields, 8);
  b[0x27] = mode->bpp == 32 ? 0x02 : 0x00;  // the reserved byte is usable (SeaBIOS says so for 32 bpp only)
  put32(0x28, uint32_t(Vbe::kLfbBase));
  put16(0x32, uint16_t(pitch));
  std::memcpy(b + 0x36, fields, 8);
  c.env.mem.write(c.addr(SEG_ES, c.di()), b, sizeof b);
  c.setAx(kOk);
}

}  // namespace

// The colour fields of a direct-colour mode: red, green, blue, reserved as (size, position) pairs.
void vbeColourFields(int bpp, uint8_t out[8]) {
  static const uint8_t k15[8] = {5, 10, 5, 5, 5, 0, 1, 15}, k16[8] = {5, 11, 6, 5, 5, 0, 0, 0},
                       k24[8] = {8, 16, 8, 8, 8, 0, 0, 0}, k32[8] = {8, 16, 8, 8, 8, 0, 8, 24};
  const uint8_t* f = bpp == 15 ? k15 : bpp == 16 ? k16 : bpp == 24 ? k24 : bpp == 32 ? k32 : nullptr;
  if (f) std::memcpy(out, f, 8);
  else std::memset(out, 0, 8);
}

// Sets a VBE mode on the dispi device (the BIOS's 4F02h and the Multiboot loader's request): the VGA is put in
// its 256-colour mode first so the DAC holds the palette SeaBIOS loads for packed modes.
bool vbeSetMode(BiosEnv& env, uint16_t number) {
  const VbeMode* mode = findMode(number);
  if (!mode) return false;
  Vbe& v = env.vbe;
  env.vga.setMode(0x13, false);
  v.setReg(Vbe::kEnable, 0);
  v.setReg(Vbe::kXres, mode->width);
  v.setReg(Vbe::kYres, mode->height);
  v.setReg(Vbe::kBpp, mode->bpp);
  v.setReg(Vbe::kBank, 0);
  v.setReg(Vbe::kEnable, uint16_t(Vbe::kEnabled | (number & kModeLfb ? Vbe::kLfbEnabled : 0) |
                                  (number & kModeNoClear ? Vbe::kNoClear : 0)));
  v.setBiosMode(mode->number);
  env.mem.write8(bda::kVideoMode, 0x13);
  return true;
}

// The mode that best fits a request (Multiboot's width, height, depth; 0 = any): exact when there is one,
// else the largest that fits within the request at the depth asked (32 when none).
uint16_t vbeFindMode(int width, int height, int depth) {
  const int bpp = depth ? depth : 32;
  const VbeMode* best = nullptr;
  for (const VbeMode& m : kModes) {
    if (m.bpp != bpp) continue;
    if (width && height && m.width == width && m.height == height) return m.number;
    if ((width && m.width > width) || (height && m.height > height)) continue;
    if (!best || m.width * m.height > best->width * best->height) best = &m;
  }
  return best ? best->number : 0;
}

void biosVbe(BiosCall& c) {
  BiosEnv& env = c.env;
  Vbe& v = env.vbe;
  switch (c.al()) {
    case 0x00: controllerInfo(c); break;
    case 0x01: modeInfo(c); break;
    case 0x02: {
      const uint16_t bx = c.bx();
      if ((bx & 0x1FF) < 0x100) {  // a VGA mode through VBE
        c.setAx(videoSetMode(env, uint8_t((bx & 0x7F) | (bx & kModeNoClear ? 0x80 : 0))) ? kOk : kFailed);
        break;
      }
      c.setAx(vbeSetMode(env, bx) ? kOk : kFailed);
      break;
    }
    case 0x03:
      c.set16(GPR_RBX, v.enabled() && v.biosMode()
                           ? uint16_t(v.biosMode() | (v.reg(Vbe::kEnable) & Vbe::kLfbEnabled ? kModeLfb : 0))
                           : env.mem.read8(bda::kVideoMode));
      c.setAx(kOk);
      break;
    case 0x05:  // window control: window A only, 64 KiB granules
      if (c.bl() != 0 || !v.enabled()) {
        c.setAx(kFailed);
      } else if (c.bh() == 0) {
        v.setReg(Vbe::kBank, c.dx());
        c.setAx(kOk);
      } else {
        c.set16(GPR_RDX, v.reg(Vbe::kBank));
        c.setAx(kOk);
      }
      break;
    case 0x06: {  // logical scan line length
      if (!v.enabled()) {
        c.setAx(kFailed);
        break;
      }
      const int bytesPerPixel = Vbe::storedBits(v.bpp()) / 8;
      if (c.bl() == 0x00) v.setReg(Vbe::kVirtWidth, c.cx());
      else if (c.bl() == 0x02 && bytesPerPixel) v.setReg(Vbe::kVirtWidth, uint16_t(c.cx() / bytesPerPixel));
      if (c.bl() == 0x03) {
        c.set16(GPR_RBX, uint16_t(std::min<uint32_t>(0xFFFF, uint32_t(Vbe::kMaxXres) * bytesPerPixel)));
        c.set16(GPR_RCX, Vbe::kMaxXres);
      } else {
        c.set16(GPR_RBX, uint16_t(v.pitch()));
        c.set16(GPR_RCX, v.reg(Vbe::kVirtWidth));
      }
      c.set16(GPR_RDX, v.reg(Vbe::kVirtHeight));
      c.setAx(c.bl() <= 3 ? kOk : kFailed);
      break;
    }
    case 0x07:  // display start
      if (!v.enabled()) {
        c.setAx(kFailed);
      } else if (c.bl() == 0x00 || c.bl() == 0x80) {
        v.setReg(Vbe::kXOffset, c.cx());
        v.setReg(Vbe::kYOffset, c.dx());
        c.setAx(kOk);
      } else if (c.bl() == 0x01) {
        c.setHigh(GPR_RBX, 0);
        c.set16(GPR_RCX, v.reg(Vbe::kXOffset));
        c.set16(GPR_RDX, v.reg(Vbe::kYOffset));
        c.setAx(kOk);
      } else {
        c.setAx(kFailed);
      }
      break;
    case 0x08:  // DAC palette format: 6 bits per primary, not switchable
      c.setHigh(GPR_RBX, 6);
      c.setAx(c.bl() <= 1 ? kOk : kFailed);
      break;
    case 0x09: {  // palette data: blue, green, red, alignment per entry, 6-bit values
      if (c.bl() != 0x00 && c.bl() != 0x01 && c.bl() != 0x80) {
        c.setAx(kFailed);
        break;
      }
      uint64_t a = c.addr(SEG_ES, c.di());
      for (uint32_t i = 0; i < c.cx() && c.dx() + i < 256; ++i, a += 4) {
        const int n = int(c.dx() + i);
        if (c.bl() == 0x01) {
          const uint8_t* rgb = env.vga.dac(n);
          const uint8_t e[4] = {rgb[2], rgb[1], rgb[0], 0};
          env.mem.write(a, e, 4);
        } else {
          env.vga.setDac(n, env.mem.read8(a + 2), env.mem.read8(a + 1), env.mem.read8(a));
        }
      }
      env.mem.noteWrite(Vga::kWindow, 1);
      c.setAx(kOk);
      break;
    }
    default: c.setAx(kNotSupported); break;
  }
}

}  // namespace bv
