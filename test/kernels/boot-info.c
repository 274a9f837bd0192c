/* Prints, field by field, the boot information a loader handed over: the Multiboot2 tags (walked as the
 * specification lays them out, every tag's alignment and size checked) or, for a Multiboot v1 header that
 * asked for a video mode, the framebuffer fields. The test compares each line with what the specification
 * and the machine's memory map say it must be. */
#include "kernel.h"

#define MB2_MAGIC 0x36D76289u
#define MB1_MAGIC 0x2BADB002u

static uint32_t u32(uint32_t addr) { return *(volatile uint32_t*)addr; }
static uint8_t u8(uint32_t addr) { return *(volatile uint8_t*)addr; }

static void field(const char* name, uint32_t v) {
  kputc(' ');
  kputs(name);
  kputc('=');
  put_hex(v);
}

static void text(const char* name, uint32_t addr) {
  kputc(' ');
  kputs(name);
  kputs("=[");
  kputs((const char*)addr);
  kputc(']');
}

/* A module's first line (at most 40 bytes), so the test can see the loader put the file's bytes there. */
static void first_line(uint32_t start, uint32_t end) {
  kputs(" first=[");
  for (uint32_t p = start; p < end && p < start + 40 && u8(p) != '\n'; p++) kputc((char)u8(p));
  kputc(']');
}

static void multiboot2(uint32_t info) {
  kputs("info");
  field("at", info);
  kputs(info & 7 ? " misaligned" : " aligned");
  field("total_size", u32(info));
  field("reserved", u32(info + 4));
  kputc('\n');
  uint32_t total = u32(info);
  for (uint32_t at = info + 8; at + 8 <= info + total;) {
    uint32_t type = u32(at), size = u32(at + 4);
    kputs("tag");
    field("type", type);
    field("size", size);
    if (at & 7) kputs(" misaligned");
    switch (type) {
      case 1:
        text("cmdline", at + 8);
        break;
      case 2:
        text("loader", at + 8);
        break;
      case 3:
        field("start", u32(at + 8));
        field("end", u32(at + 12));
        text("string", at + 16);
        first_line(u32(at + 8), u32(at + 12));
        break;
      case 4:
        field("mem_lower", u32(at + 8));
        field("mem_upper", u32(at + 12));
        break;
      case 6: {
        uint32_t entry_size = u32(at + 8);
        field("entry_size", entry_size);
        field("entry_version", u32(at + 12));
        for (uint32_t e = at + 16; entry_size && e + entry_size <= at + size; e += entry_size) {
          kputs("\nmmap");
          field("base_hi", u32(e + 4));
          field("base", u32(e));
          field("length_hi", u32(e + 12));
          field("length", u32(e + 8));
          field("type", u32(e + 16));
        }
        break;
      }
      case 8:
        field("addr_hi", u32(at + 12));
        field("addr", u32(at + 8));
        field("pitch", u32(at + 16));
        field("width", u32(at + 20));
        field("height", u32(at + 24));
        field("bpp", u8(at + 28));
        field("fbtype", u8(at + 29));
        break;
      case 21:
        field("load_base", u32(at + 8));
        break;
    }
    kputc('\n');
    if (type == 0) {
      kputs("end");
      field("walked", at + size - info);
      kputc('\n');
      return;
    }
    if (size < 8) {
      kputs("tag size below 8\n");
      return;
    }
    at += (size + 7) & ~7u;
  }
  kputs("no end tag within total_size\n");
}

static void multiboot1_video(uint32_t info) {
  uint32_t flags = u32(info);
  kputs("info");
  field("flags", flags);
  kputs(flags & (1u << 12) ? " framebuffer" : " no-framebuffer");
  kputc('\n');
  if (!(flags & (1u << 12))) return;
  kputs("fb");
  field("addr_hi", u32(info + 92));
  field("addr", u32(info + 88));
  field("pitch", u32(info + 96));
  field("width", u32(info + 100));
  field("height", u32(info + 104));
  field("bpp", u8(info + 108));
  field("fbtype", u8(info + 109));
  kputc('\n');
}

void kmain(uint32_t magic, uint32_t info) {
  serial_init();
  vga_clear();
  uint32_t cr0;
  __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
  kputs("boot-info");
  field("magic", magic);
  field("cr0_pe_pg", cr0 & 0x80000001u);
  kputc('\n');
  if (magic == MB2_MAGIC) multiboot2(info);
  else if (magic == MB1_MAGIC) multiboot1_video(info);
  kputs("bye\n");
  exit_qemu(0x10);
}
