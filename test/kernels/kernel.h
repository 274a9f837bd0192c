/* What the test kernels share: port I/O, COM1 and VGA text output, numbers, the multiboot structure, and
 * the isa-debug-exit port that ends a run with the same status under Bootvisor and QEMU. */
#pragma once
#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) {
  uint8_t v;
  __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}

struct multiboot_info {
  uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
  uint32_t syms[4];
  uint32_t mmap_length, mmap_addr, drives_length, drives_addr, config_table, boot_loader_name;
};
struct multiboot_module {
  uint32_t start, end, string, reserved;
};
struct multiboot_mmap_entry {
  uint32_t size;
  uint64_t addr, len;
  uint32_t type;
} __attribute__((packed));

void serial_init(void);
void kputc(char c); /* COM1 and the VGA text screen */
void kputs(const char* s);
void put_hex(uint32_t v);  /* 0x0000ABCD */
void put_dec(uint32_t v);
void vga_clear(void);
void exit_qemu(uint8_t v); /* isa-debug-exit: status (v << 1) | 1 */
