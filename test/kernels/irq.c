/* Interrupts: the kernel's own GDT and IDT, the PICs remapped, the PIT at 100 Hz on IRQ0, keyboard bytes
 * on IRQ1 (put there by the 8042's "write keyboard output" command, so no one need type), INT3 and a #UD
 * that the handler steps over. Prints what arrived; the same under Bootvisor and QEMU -kernel. */
#include "cpu.h"
#include "kernel.h"

static volatile uint32_t ticks;
static volatile uint8_t keys[4];
static volatile int nkeys;

static void on_timer(struct frame* f) {
  (void)f;
  ticks++;
}

static void on_key(struct frame* f) {
  (void)f;
  uint8_t code = inb(0x60);
  if (nkeys < 4) keys[nkeys++] = code;
}

static void on_breakpoint(struct frame* f) {
  kputs("#BP: INT3 trapped, vector ");
  put_dec(f->vector);
  kputs("\n");
}

static void on_invalid_opcode(struct frame* f) {
  kputs("#UD at the ud2, error code ");
  put_dec(f->error);
  kputs(", stepping over it\n");
  f->eip += 2;
}

static void kbc_wait_input(void) {
  while (inb(0x64) & 2) {
  }
}

void kmain(uint32_t magic, void* info) {
  (void)info;
  serial_init();
  vga_clear();
  kputs(magic == 0x2BADB002 ? "irq kernel: booted by a multiboot loader\n" : "irq kernel: WRONG magic\n");
  cpu_init();
  set_handler(3, on_breakpoint);
  set_handler(6, on_invalid_opcode);
  set_handler(0x20, on_timer);
  set_handler(0x21, on_key);

  __asm__ volatile("int3");
  __asm__ volatile("ud2");

  /* PIT channel 0, mode 2, 1193182 / 11932 = 100 Hz. */
  outb(0x43, 0x34);
  outb(0x40, 11932 & 0xFF);
  outb(0x40, 11932 >> 8);
  irq_unmask(0);
  irq_unmask(1);
  __asm__ volatile("sti");
  while (ticks < 5) __asm__ volatile("hlt");
  kputs("timer: 5 ticks on IRQ0\n");

  /* Two bytes from the "keyboard": A pressed, A released. */
  kbc_wait_input();
  outb(0x64, 0xD2);
  kbc_wait_input();
  outb(0x60, 0x1E);
  while (nkeys < 1) __asm__ volatile("hlt");
  kbc_wait_input();
  outb(0x64, 0xD2);
  kbc_wait_input();
  outb(0x60, 0x9E);
  while (nkeys < 2) __asm__ volatile("hlt");
  kputs("keyboard: IRQ1 brought ");
  put_hex(keys[0]);
  kputs(" and ");
  put_hex(keys[1]);
  kputs("\n");
  __asm__ volatile("cli");
  kputs("bye\n");
  exit_qemu(0x10);
}
