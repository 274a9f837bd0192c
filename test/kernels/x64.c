/* The 64-bit half of the x86-64 test kernel (x64-entry.asm sets up long mode): prints on COM1 what only
 * 64-bit code can show (pointer size, a product past 32 bits, EFER.LMA, CS's L bit through the RIP-relative
 * address of a function), then leaves through the isa-debug-exit port with status 16 (QEMU: 33). */
#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }

static void puts64(const char* s) {
  while (*s) outb(0x3F8, (uint8_t)*s++);
}

static void hex64(uint64_t v) {
  puts64("0x");
  for (int i = 60; i >= 0; i -= 4) outb(0x3F8, (uint8_t)"0123456789ABCDEF"[(v >> i) & 15]);
}

static uint64_t rdmsr(uint32_t msr) {
  uint32_t lo, hi;
  __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
  return ((uint64_t)hi << 32) | lo;
}

void kmain64(uint32_t magic, uint32_t info) {
  volatile uint64_t a = 0x123456789ull;
  puts64("long mode: pointers of ");
  outb(0x3F8, (uint8_t)('0' + sizeof(void*)));
  puts64(" bytes\nproduct ");
  hex64(a * 0x10000ull);
  puts64("\nEFER ");
  hex64(rdmsr(0xC0000080) & 0x500); /* LME and LMA */
  puts64("\nloader ");
  puts64(magic == 0x36D76289u ? "multiboot2" : magic == 0x2BADB002u ? "multiboot" : "unknown");
  puts64(info ? ", information given\n" : ", no information\n");
  outb(0xF4, 16);
}
