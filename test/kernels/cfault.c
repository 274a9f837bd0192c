/* Faults from C code at known lines (test/dap/c-faults.test.ts): the multiboot command line picks one.
 * "divide": a division by zero with no IDT of the kernel's own (the CPU cannot deliver #DE: triple fault);
 * "page": paging on with only the first 4 MiB mapped, then a read far above (#PF, then a triple fault);
 * "hang": HLT with interrupts off. Bootvisor names the C line of each. */
#include "kernel.h"

static uint32_t page_directory[1024] __attribute__((aligned(4096)));
static uint32_t first_table[1024] __attribute__((aligned(4096)));
volatile int divisor;
volatile uint32_t seen;

static int has(const char* s, const char* word) {
  for (; *s; s++) {
    int i = 0;
    while (word[i] && s[i] == word[i]) i++;
    if (!word[i]) return 1;
  }
  return 0;
}

__attribute__((noinline)) int divide(int x) {
  return x / divisor; /* divide fault */
}

__attribute__((noinline)) void touch_unmapped(void) {
  for (int i = 0; i < 1024; i++) first_table[i] = (uint32_t)(i * 4096) | 3;
  page_directory[0] = (uint32_t)first_table | 3;
  __asm__ volatile("mov %0, %%cr3" : : "r"(page_directory));
  uint32_t cr0;
  __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
  __asm__ volatile("mov %0, %%cr0" : : "r"(cr0 | 0x80000000));
  seen = *(volatile uint32_t*)0x40000000; /* page fault */
}

__attribute__((noinline)) void stop_here(void) {
  __asm__ volatile("cli; hlt"); /* hang */
}

void kmain(uint32_t magic, struct multiboot_info* mb) {
  (void)magic;
  serial_init();
  const char* cmdline = (mb->flags & 4) ? (const char*)mb->cmdline : "";
  kputs("cfault: ");
  kputs(cmdline);
  kputs("\n");
  if (has(cmdline, "divide")) put_dec((uint32_t)divide(42));
  if (has(cmdline, "page")) touch_unmapped();
  if (has(cmdline, "hang")) stop_here();
  exit_qemu(0x10);
}
