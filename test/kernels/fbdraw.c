/* Draws a test picture through a linear framebuffer: the one the loader's Multiboot information describes
 * (v1 flag bit 12, or the Multiboot2 framebuffer tag, type 1 RGB), or, when the loader set none (QEMU's
 * -kernel sets no video mode), one the kernel sets itself through the Bochs/QEMU dispi ports at the mode its
 * own v1 header asks for, at 0xFD000000 where QEMU's BIOS puts the VGA's framebuffer. The same drawing code
 * either way, so the two pictures can be compared pixel for pixel. COM1 says which it was and every field. */
#include "kernel.h"

static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }

/* The v1 header (fb-entry.asm): magic, flags, checksum, five address fields, mode_type, width, height, depth. */
extern const uint32_t mb_header[];

struct fb {
  uint8_t* base;
  uint32_t pitch, width, height, bpp, type;
  uint8_t pos[3], size[3]; /* red, green, blue */
};

static void set_fields(struct fb* f, const uint8_t* p) {
  for (int i = 0; i < 3; ++i) f->pos[i] = p[2 * i], f->size[i] = p[2 * i + 1];
}

/* Multiboot v1 info offsets 88-115, the Multiboot2 tag 8 from offset 8: the same layout up to the fields
 * (v1: at 110; v2: at 32 of the tag, after a 16-bit reserved word). */
static int from_v1(uint32_t info, struct fb* f) {
  if (!(*(const uint32_t*)info & (1u << 12))) return 0;
  const uint8_t* p = (const uint8_t*)info + 88;
  f->base = (uint8_t*)(uint32_t) * (const uint64_t*)p;
  f->pitch = *(const uint32_t*)(p + 8), f->width = *(const uint32_t*)(p + 12), f->height = *(const uint32_t*)(p + 16);
  f->bpp = p[20], f->type = p[21];
  set_fields(f, p + 22);
  return 1;
}

static int from_v2(uint32_t info, struct fb* f) {
  const uint8_t* p = (const uint8_t*)info + 8;
  const uint8_t* end = (const uint8_t*)info + *(const uint32_t*)info;
  while (p + 8 <= end) {
    uint32_t type = *(const uint32_t*)p, size = *(const uint32_t*)(p + 4);
    if (type == 0) break;
    if (type == 8) {
      f->base = (uint8_t*)(uint32_t) * (const uint64_t*)(p + 8);
      f->pitch = *(const uint32_t*)(p + 16), f->width = *(const uint32_t*)(p + 20);
      f->height = *(const uint32_t*)(p + 24), f->bpp = p[28], f->type = p[29];
      set_fields(f, p + 32);
      return 1;
    }
    p += (size + 7) & ~7u;
  }
  return 0;
}

static void dispi(uint16_t index, uint16_t value) {
  outw(0x1CE, index);
  outw(0x1CF, value);
}

static void set_mode_itself(struct fb* f) {
  uint32_t w = mb_header[9], h = mb_header[10], d = mb_header[11];
  dispi(4, 0), dispi(1, (uint16_t)w), dispi(2, (uint16_t)h), dispi(3, (uint16_t)d), dispi(4, 0x41);
  f->base = (uint8_t*)0xFD000000u;
  f->width = w, f->height = h, f->bpp = d, f->type = 1;
  f->pitch = w * ((d + 7) / 8);
  static const uint8_t k15[6] = {10, 5, 5, 5, 0, 5}, k16[6] = {11, 5, 5, 6, 0, 5}, k32[6] = {16, 8, 8, 8, 0, 8};
  set_fields(f, d == 15 ? k15 : d == 16 ? k16 : k32);
}

static void field(const char* name, uint32_t v) {
  kputs(name);
  put_dec(v);
  kputs(" ");
}

void kmain(uint32_t magic, uint32_t info) {
  serial_init();
  struct fb f = {0};
  int given = magic == 0x2BADB002u ? from_v1(info, &f) : magic == 0x36D76289u ? from_v2(info, &f) : 0;
  if (given && f.type != 1) given = 0;
  if (given) kputs("fb from the multiboot information\n");
  else if (magic == 0x2BADB002u) {
    set_mode_itself(&f);
    kputs("fb set through the dispi ports\n");
  } else {
    kputs("no framebuffer\n");
    return;
  }
  kputs("address ");
  put_hex((uint32_t)f.base);
  kputs(" ");
  field("pitch ", f.pitch), field("width ", f.width), field("height ", f.height), field("bpp ", f.bpp);
  field("type ", f.type), field("red ", f.pos[0]), field("/", f.size[0]), field("green ", f.pos[1]);
  field("/", f.size[1]), field("blue ", f.pos[2]), field("/", f.size[2]);
  kputs("\n");
  const uint32_t bytes = (f.bpp + 7) / 8;
  for (uint32_t y = 0; y < f.height; ++y) {
    uint8_t* row = f.base + y * f.pitch;
    for (uint32_t x = 0; x < f.width; ++x) {
      uint32_t c[3] = {x * 255 / (f.width - 1), y * 255 / (f.height - 1), (x ^ y) & 0xFF};
      if (x >= f.width / 4 && x < f.width / 2 && y >= f.height / 4 && y < f.height / 2) c[0] = 255, c[1] = 255, c[2] = 0;
      uint32_t v = 0;
      for (int i = 0; i < 3; ++i) v |= (c[i] >> (8 - f.size[i])) << f.pos[i];
      for (uint32_t k = 0; k < bytes; ++k) row[x * bytes + k] = (uint8_t)(v >> (8 * k));
    }
  }
  kputs("DONE\n");
}
