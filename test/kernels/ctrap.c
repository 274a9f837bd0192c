/* Interrupt and exception frames for the debugger's call stack (test/dap/c-traps.test.ts): C code stopped by
 * an IRQ (the timer wakes wait_ticks's HLT) and by an exception with a CPU-pushed error code (fill_pages
 * writes into a window with no pages: #PF, error code 2, and the handler maps a page there so the write runs
 * again). A debugger stopped in either handler must unwind through isr.asm's stub and the iret frame into
 * the interrupted C function, with its locals, and on to kmain's. */
#include "cpu.h"
#include "kernel.h"

#define WINDOW 0x40000000u

static uint32_t page_directory[1024] __attribute__((aligned(4096)));
static uint32_t low_table[1024] __attribute__((aligned(4096)));
static uint32_t window_table[1024] __attribute__((aligned(4096)));
static uint32_t backing[4][1024] __attribute__((aligned(4096)));
static volatile uint32_t ticks;
static volatile uint32_t faults;
static volatile uint32_t last_error;

static void on_timer(struct frame* f) {
  (void)f;
  ticks++;
}

/* Demand paging: the page CR2 names gets a backing page, and the faulting write runs again. */
static void on_page_fault(struct frame* f) {
  uint32_t cr2;
  __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
  uint32_t page = (cr2 - WINDOW) >> 12;
  last_error = f->error;
  window_table[page] = (uint32_t)backing[page] | 3; /* BREAK fault */
  faults++;
}

__attribute__((noinline)) uint32_t fill_pages(volatile uint32_t* window, int pages) {
  uint32_t total = 0;
  for (int i = 0; i < pages; i++) {
    uint32_t value = (uint32_t)i * 7 + 1;
    window[i * 1024] = value; /* FAULT here */
    total += window[i * 1024];
  }
  return total;
}

__attribute__((noinline)) uint32_t wait_ticks(uint32_t goal) {
  uint32_t spins = 0;
  while (ticks < goal) {
    spins++;
    __asm__ volatile("hlt");
  }
  return spins;
}

static void paging_on(void) {
  for (int i = 0; i < 1024; i++) low_table[i] = (uint32_t)(i * 4096) | 3;
  page_directory[0] = (uint32_t)low_table | 3;
  page_directory[WINDOW >> 22] = (uint32_t)window_table | 3;
  __asm__ volatile("mov %0, %%cr3" : : "r"(page_directory));
  uint32_t cr0;
  __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
  __asm__ volatile("mov %0, %%cr0" : : "r"(cr0 | 0x80000000) : "memory");
}

void kmain(uint32_t magic, void* info) {
  (void)info;
  serial_init();
  kputs(magic == 0x2BADB002 ? "ctrap: booted by a multiboot loader\n" : "ctrap: WRONG magic\n");
  cpu_init();
  set_handler(14, on_page_fault);
  set_handler(0x20, on_timer);
  paging_on();
  uint32_t total = fill_pages((volatile uint32_t*)WINDOW, 3);
  kputs("pages: ");
  put_dec(faults);
  kputs(" faults, error code ");
  put_hex(last_error);
  kputs("\n");

  pit_100hz(); /* three ticks */
  __asm__ volatile("sti");
  uint32_t spins = wait_ticks(3);
  __asm__ volatile("cli");
  kputs("ticks: ");
  put_dec(ticks);
  kputs(spins >= 3 ? ", woken each time\n" : ", too few wake-ups\n");
  kputs("total: ");
  put_dec(total); /* total lives across the wait */
  kputs("\n");
  exit_qemu(0x10);
}
