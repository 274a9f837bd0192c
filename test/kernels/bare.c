/* The Bare Bones kernel: what a multiboot loader hands over, checked and printed on COM1 and the VGA text
 * screen. Only what a loader must get right is printed (not addresses a loader may choose), so the output
 * is the same under Bootvisor and under QEMU -kernel. */
#include "kernel.h"

extern char _start[], end_of_kernel[];
static uint32_t zeroed[1024];          /* .bss: the loader zeroes it */
volatile uint32_t initialised = 0xC0FFEE; /* .data: loaded from the file */

static int usable(struct multiboot_info* mb, uint32_t start, uint32_t end) {
  uint32_t at = mb->mmap_addr;
  while (at < mb->mmap_addr + mb->mmap_length) {
    struct multiboot_mmap_entry* e = (struct multiboot_mmap_entry*)at;
    if (e->type == 1 && e->addr <= start && e->addr + e->len >= end) return 1;
    at += e->size + 4;
  }
  return 0;
}

void kmain(uint32_t magic, struct multiboot_info* mb) {
  serial_init();
  vga_clear();
  kputs("Hello from a multiboot kernel\n");
  kputs("magic ");
  put_hex(magic);
  kputs(magic == 0x2BADB002 ? " ok\n" : " WRONG\n");

  int zero = 1;
  for (int i = 0; i < 1024; i++) zero &= zeroed[i] == 0;
  kputs(zero ? "bss zeroed\n" : "bss NOT zeroed\n");
  kputs(initialised == 0xC0FFEE ? "data loaded\n" : "data WRONG\n");

  uint32_t eflags, cr0;
  __asm__ volatile("pushf; pop %0" : "=r"(eflags));
  __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
  kputs(eflags & 0x200 ? "interrupts on\n" : "interrupts off\n");
  kputs(cr0 & 1 ? "protected mode" : "real mode");
  kputs(cr0 & 0x80000000 ? ", paging on\n" : ", paging off\n");
  volatile uint32_t* low = (uint32_t*)0x500;
  volatile uint32_t* high = (uint32_t*)0x100500;
  uint32_t saved = *high;
  *low = 0x11111111;
  *high = 0x22222222;
  kputs(*low == 0x11111111 ? "A20 on\n" : "A20 off\n");
  *high = saved;

  if ((mb->flags & 1) && (mb->flags & 64)) {
    /* The sizes are the loader's (QEMU's firmware reserves more at the top than Bootvisor's): printed only
     * as whether they agree with the memory map. */
    kputs("mem_upper agrees with the memory map: ");
    kputs(usable(mb, 0x100000, 0x100000 + mb->mem_upper * 1024) && !usable(mb, 0x100000, 0x100000 + mb->mem_upper * 1024 + 4096) ? "yes" : "no");
    kputs(", mem_lower at least 600 KiB: ");
    kputs(mb->mem_lower >= 600 ? "yes\n" : "no\n");
  }
  if (mb->flags & 4) {
    kputs("cmdline [");
    kputs((const char*)mb->cmdline);
    kputs("]\n");
  }
  if (mb->flags & 64) {
    kputs("memory map: kernel in usable RAM: ");
    kputs(usable(mb, (uint32_t)_start, (uint32_t)end_of_kernel) ? "yes" : "no");
    kputs(", 0x9FC00-0xA0000 usable: ");
    kputs(usable(mb, 0x9FC00, 0xA0000) ? "yes\n" : "no\n");
  }
  if (mb->flags & 8) {
    kputs("modules ");
    put_dec(mb->mods_count);
    kputs("\n");
    struct multiboot_module* mods = (struct multiboot_module*)mb->mods_addr;
    for (uint32_t i = 0; i < mb->mods_count; i++) {
      kputs("  [");
      kputs((const char*)mods[i].string);
      kputs("] ");
      put_dec(mods[i].end - mods[i].start);
      kputs(" bytes, page-aligned: ");
      kputs(mods[i].start % 4096 ? "no" : "yes");
      kputs(", after the kernel: ");
      kputs(mods[i].start >= (uint32_t)end_of_kernel ? "yes" : "no");
      kputs(", first line: ");
      for (const char* p = (const char*)mods[i].start; p < (const char*)mods[i].end && *p != '\n'; p++) kputc(*p);
      kputs("\n");
    }
  }
  kputs("bye\n");
  exit_qemu(0x10);
}
