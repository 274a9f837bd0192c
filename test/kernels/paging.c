/* Paging: an identity-mapped first 4 MiB (4 KiB pages), a 4 MiB PSE page, a page mapped at 0xC0000000,
 * a page fault whose handler maps the missing page and lets the store retry, and the accessed and dirty
 * bits the CPU sets. The same output under Bootvisor and QEMU -kernel. */
#include "cpu.h"
#include "kernel.h"

static uint32_t directory[1024] __attribute__((aligned(4096)));
static uint32_t low_table[1024] __attribute__((aligned(4096)));
static uint32_t high_table[1024] __attribute__((aligned(4096)));
static uint32_t fault_table[1024] __attribute__((aligned(4096)));
static char shared[4096] __attribute__((aligned(4096)));
static char spare[4096] __attribute__((aligned(4096)));

#define PRESENT 1u
#define WRITABLE 2u
#define ACCESSED 0x20u
#define DIRTY 0x40u
#define LARGE 0x80u

static void on_page_fault(struct frame* f) {
  uint32_t cr2;
  __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
  kputs("#PF at ");
  put_hex(cr2);
  kputs(", error code ");
  put_hex(f->error);
  kputs(": mapping a page there\n");
  fault_table[(cr2 >> 12) & 1023] = (uint32_t)spare | PRESENT | WRITABLE;
  __asm__ volatile("invlpg (%0)" : : "r"(cr2) : "memory");
}

void kmain(uint32_t magic, void* info) {
  (void)info;
  serial_init();
  vga_clear();
  kputs(magic == 0x2BADB002 ? "paging kernel: booted by a multiboot loader\n" : "paging kernel: WRONG magic\n");
  cpu_init();
  set_handler(14, on_page_fault);

  for (uint32_t i = 0; i < 1024; i++) low_table[i] = (i << 12) | PRESENT | WRITABLE;
  directory[0] = (uint32_t)low_table | PRESENT | WRITABLE;
  high_table[0] = (uint32_t)shared | PRESENT | WRITABLE;
  directory[0xC0000000u >> 22] = (uint32_t)high_table | PRESENT | WRITABLE;
  directory[0x80000000u >> 22] = 0x00000000u | PRESENT | WRITABLE | LARGE; /* 4 MiB at physical 0 */
  directory[0xD0000000u >> 22] = (uint32_t)fault_table | PRESENT | WRITABLE; /* its pages not present */

  uint32_t cr0, cr4;
  __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
  __asm__ volatile("mov %0, %%cr4" : : "r"(cr4 | 0x10)); /* PSE */
  __asm__ volatile("mov %0, %%cr3" : : "r"(directory));
  __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
  __asm__ volatile("mov %0, %%cr0" : : "r"(cr0 | 0x80000000u));
  kputs("paging on\n");

  const char* text = "written through 0xC0000000";
  volatile char* high = (volatile char*)0xC0000000u;
  for (int i = 0; text[i]; i++) high[i] = text[i];
  high[26] = 0;
  kputs("identity-mapped copy reads: ");
  kputs(shared);
  kputs("\n");
  volatile char* large = (volatile char*)(0x80000000u + (uint32_t)shared);
  kputs("the 4 MiB page reads: ");
  for (int i = 0; large[i]; i++) kputc(large[i]);
  kputs("\n");
  kputs("PTE of 0xC0000000: accessed ");
  kputs(high_table[0] & ACCESSED ? "yes" : "no");
  kputs(", dirty ");
  kputs(high_table[0] & DIRTY ? "yes\n" : "no\n");

  volatile uint32_t* missing = (volatile uint32_t*)0xD0001234u;
  *missing = 0xFEEDF00D;
  kputs("after the fault the store landed: ");
  put_hex(*(volatile uint32_t*)(spare + 0x234));
  kputs("\n");
  kputs("bye\n");
  exit_qemu(0x10);
}
