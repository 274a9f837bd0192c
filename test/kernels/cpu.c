/* GDT, IDT and PIC set-up shared by the interrupt and paging kernels. */
#include "cpu.h"

#include "kernel.h"

extern uint32_t isr_table[48];
static uint64_t gdt[3] = {0, 0x00CF9A000000FFFFull, 0x00CF92000000FFFFull};
static uint64_t idt[48];
static handler_t handlers[48];

struct __attribute__((packed)) table_ptr {
  uint16_t limit;
  uint32_t base;
};

void set_handler(int vector, handler_t h) { handlers[vector] = h; }

void set_gate(int vector, void (*entry)(void)) {
  uint32_t a = (uint32_t)entry;
  idt[vector] = (a & 0xFFFF) | (0x08ull << 16) | (0x8Eull << 40) | ((uint64_t)(a >> 16) << 48);
}

void irq_unmask(int irq) {
  uint16_t port = irq < 8 ? 0x21 : 0xA1;
  outb(port, inb(port) & ~(1 << (irq & 7)));
  if (irq >= 8) outb(0x21, inb(0x21) & ~(1 << 2));
}

void pit_100hz(void) {
  outb(0x43, 0x34);
  outb(0x40, 11932 & 0xFF);
  outb(0x40, 11932 >> 8);
  irq_unmask(0);
}

void pic_eoi(int irq) {
  if (irq >= 8) outb(0xA0, 0x20);
  outb(0x20, 0x20);
}

void cpu_init(void) {
  struct table_ptr g = {sizeof gdt - 1, (uint32_t)gdt};
  __asm__ volatile(
      "lgdt %0\n"
      "ljmp $0x08, $1f\n"
      "1: mov $0x10, %%ax\n"
      "mov %%ax, %%ds\n mov %%ax, %%es\n mov %%ax, %%fs\n mov %%ax, %%gs\n mov %%ax, %%ss\n"
      :
      : "m"(g)
      : "eax", "memory");
  for (int v = 0; v < 48; v++) {
    uint32_t a = isr_table[v];
    idt[v] = (a & 0xFFFF) | (0x08ull << 16) | (0x8Eull << 40) | ((uint64_t)(a >> 16) << 48);
  }
  struct table_ptr i = {sizeof idt - 1, (uint32_t)idt};
  __asm__ volatile("lidt %0" : : "m"(i));
  pic_init(0x20, 0x28);
}

void pic_init(uint8_t master, uint8_t slave) {
  /* ICW1-4: edge triggered, cascade, the vector bases, 8086 mode; then mask everything. */
  outb(0x20, 0x11);
  outb(0xA0, 0x11);
  outb(0x21, master);
  outb(0xA1, slave);
  outb(0x21, 0x04);
  outb(0xA1, 0x02);
  outb(0x21, 0x01);
  outb(0xA1, 0x01);
  outb(0x21, 0xFF);
  outb(0xA1, 0xFF);
}

void isr_dispatch(struct frame* f) {
  if (f->vector < 48 && handlers[f->vector]) {
    handlers[f->vector](f);
  } else {
    kputs("unexpected vector ");
    put_dec(f->vector);
    kputs(", error ");
    put_hex(f->error);
    kputs("\n");
    exit_qemu(0x11);
  }
  if (f->vector >= 0x20 && f->vector < 0x30) pic_eoi((int)f->vector - 0x20);
}
