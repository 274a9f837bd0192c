/* Interrupted code at another privilege level (test/dap/c-rings.test.ts): kmain drops to a ring-3 C task
 * (a GDT with user segments, a TSS whose ESP0 the CPU switches to), the timer interrupts it there (the
 * CPU's frame holds SS:ESP as well), then its CLI faults (#GP, error code 0: privileged in ring 3); the #GP
 * handler moves on to a virtual-8086 task (cring3-modes.asm's 16-bit loop, real-mode addressed at FFFF:xxxx just
 * above 1 MiB), which the timer interrupts too (ES, DS, FS, GS pushed as well). A debugger stopped in
 * either handler must show the interrupted ring-3 C line with its locals, or the V86 instruction's line. */
#include "cpu.h"
#include "kernel.h"

struct __attribute__((packed)) tss {
  uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
  uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi, es, cs, ss, ds, fs, gs, ldt;
  uint16_t trap, iomap;
};

struct __attribute__((packed)) table_ptr {
  uint16_t limit;
  uint32_t base;
};

#define USER_CS 0x1B
#define USER_DS 0x23
#define TSS_SEL 0x28
#define EFLAGS_VM 0x20000u

extern void enter_user(void (*eip)(void), void* esp);
extern void enter_v86(uint32_t cs, uint32_t ip, uint32_t ss, uint32_t sp);
extern void user_entry(void);
extern char v86_code[];

static uint64_t gdt[6];
static struct tss tss;
static uint8_t kernel_stack[8192] __attribute__((aligned(16)));
static uint8_t user_stack[4096] __attribute__((aligned(16)));
volatile uint32_t ticks;
static volatile uint32_t v86_ticks;

static uint64_t descriptor(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags) {
  return (limit & 0xFFFF) | ((uint64_t)(base & 0xFFFFFF) << 16) | ((uint64_t)access << 40) |
         ((uint64_t)((limit >> 16) & 0xF) << 48) | ((uint64_t)(flags & 0xF) << 52) | ((uint64_t)(base >> 24) << 56);
}

static void rings_init(void) {
  gdt[1] = descriptor(0, 0xFFFFF, 0x9A, 0xC);
  gdt[2] = descriptor(0, 0xFFFFF, 0x92, 0xC);
  gdt[3] = descriptor(0, 0xFFFFF, 0xFA, 0xC); /* ring-3 code */
  gdt[4] = descriptor(0, 0xFFFFF, 0xF2, 0xC); /* ring-3 data */
  tss.ss0 = 0x10;
  tss.esp0 = (uint32_t)(kernel_stack + sizeof kernel_stack);
  tss.iomap = sizeof tss; /* no I/O permission bitmap: ports stay the kernel's */
  gdt[5] = descriptor((uint32_t)&tss, sizeof tss - 1, 0x89, 0);
  struct table_ptr g = {sizeof gdt - 1, (uint32_t)gdt};
  __asm__ volatile("lgdt %0\n ltr %w1" : : "m"(g), "r"(TSS_SEL) : "memory");
}

/* Ring 3: spins while the timer ticks, then tries a privileged instruction. */
void user_main(void) {
  volatile uint32_t rounds = 0;
  volatile uint32_t seen = 0;
  while (ticks < 3) {
    rounds++; /* USER loop */
    seen = ticks;
  }
  seen = ticks;
  (void)seen;
  __asm__ volatile("cli"); /* GP here */
  for (;;) {}
}

static void on_timer(struct frame* f) {
  ticks++; /* BREAK timer */
  if (f->eflags & EFLAGS_VM && ++v86_ticks == 3) {
    kputs("v86: 3 ticks\n");
    exit_qemu(0x10);
  }
}

static void on_gp(struct frame* f) {
  if ((f->cs & 3) != 3) {
    kputs("#GP in ring 0\n");
    exit_qemu(0x11);
  }
  kputs("ring 3: #GP at cli, error code "); /* BREAK gp */
  put_hex(f->error);
  kputs(", ticks ");
  put_dec(ticks);
  kputs("\n");
  /* On to the virtual-8086 task: CS FFFF reaches the first 64 KiB above 1 MiB (A20 is on). */
  enter_v86(0xFFFF, (uint32_t)v86_code - 0xFFFF0, 0x7000, 0xFFF0);
}

void kmain(uint32_t magic, void* info) {
  (void)info;
  serial_init();
  kputs(magic == 0x2BADB002 ? "cring3: booted by a multiboot loader\n" : "cring3: WRONG magic\n");
  cpu_init();
  rings_init();
  set_handler(0x20, on_timer);
  set_handler(13, on_gp);
  pit_100hz();
  enter_user(user_entry, user_stack + sizeof user_stack);
}
