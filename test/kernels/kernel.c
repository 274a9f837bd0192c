/* Output for the test kernels: COM1 (16550 at 0x3F8, polled) and the VGA text buffer at 0xB8000. */
#include "kernel.h"

#define COM1 0x3F8
static volatile uint16_t* const vga = (uint16_t*)0xB8000;
static int row, col;

void serial_init(void) {
  outb(COM1 + 1, 0x00); /* no interrupts */
  outb(COM1 + 3, 0x80); /* DLAB */
  outb(COM1 + 0, 0x01); /* 115200 baud */
  outb(COM1 + 1, 0x00);
  outb(COM1 + 3, 0x03); /* 8N1 */
  outb(COM1 + 2, 0xC7); /* FIFO */
  outb(COM1 + 4, 0x0B);
}

void vga_clear(void) {
  for (int i = 0; i < 80 * 25; i++) vga[i] = 0x0720;
  row = col = 0;
}

static void vga_putc(char c) {
  if (c == '\n') {
    col = 0;
    row++;
  } else {
    vga[row * 80 + col] = (uint16_t)(0x0700 | (uint8_t)c);
    if (++col == 80) {
      col = 0;
      row++;
    }
  }
  if (row == 25) {
    for (int i = 0; i < 80 * 24; i++) vga[i] = vga[i + 80];
    for (int i = 80 * 24; i < 80 * 25; i++) vga[i] = 0x0720;
    row = 24;
  }
}

void kputc(char c) {
  while (!(inb(COM1 + 5) & 0x20)) {
  }
  outb(COM1, (uint8_t)c);
  vga_putc(c);
}

void kputs(const char* s) {
  while (*s) kputc(*s++);
}

void put_hex(uint32_t v) {
  kputs("0x");
  for (int i = 28; i >= 0; i -= 4) kputc("0123456789ABCDEF"[(v >> i) & 15]);
}

void put_dec(uint32_t v) {
  char buf[11];
  int i = 10;
  buf[i] = 0;
  do {
    buf[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  kputs(buf + i);
}

void exit_qemu(uint8_t v) {
  __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"((uint16_t)0xF4));
}
