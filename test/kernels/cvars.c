/* C data for the debugger's tests: a struct, a union, an enum, bitfields, an array, pointers, globals, nested
 * calls with parameters and a recursion. Each value is one the tests can predict at the marked lines. */
#include "kernel.h"

enum color { RED, GREEN = 5, BLUE };

struct point {
  int x, y;
};

struct flags {
  unsigned ready : 1;
  unsigned mode : 3;
  unsigned count : 4;
};

union word {
  uint32_t whole;
  uint8_t bytes[4];
};

struct state {
  uint32_t ticks;
  struct point origin;
  enum color shade;
  struct flags bits;
  union word tag;
  const char* name;
};

struct state kernel_state = {7, {1, 2}, GREEN, {1, 5, 9}, {0x11223344}, "cvars"};
volatile uint32_t counter;
int table[8] = {10, 11, 12, 13, 14, 15, 16, 17};
struct point* current_point;

__attribute__((noinline)) int scale(struct point p, int i) {
  int r = p.x * i + p.y; /* BREAK scale */
  return r;
}

__attribute__((noinline)) int walk(struct point* ptr, int n) {
  int sum = 0;
  for (int i = 0; i < n; i++) {
    sum += scale(*ptr, i); /* BREAK loop */
    counter++;
  }
  return sum;
}

__attribute__((noinline)) int depth(int n) {
  if (n == 0) return table[3]; /* BREAK bottom */
  int below = depth(n - 1);
  counter += (uint32_t)below; /* a volatile store after the call: no loop can replace the recursion */
  return below + 1;
}

void kmain(uint32_t magic, struct multiboot_info* info) {
  (void)magic;
  (void)info;
  serial_init();
  struct point p = {3, 4};
  union word w;
  w.whole = 0xAABBCCDD;
  enum color c = BLUE;
  struct flags f = {0, 2, 7};
  current_point = &p;
  kernel_state.ticks++;
  int total = walk(&p, 5);
  int d = depth(3);
  kernel_state.origin.x = total; /* BREAK done */
  put_dec((uint32_t)total);
  kputc(' ');
  put_dec((uint32_t)d);
  kputc(' ');
  put_dec(w.bytes[0] + c + f.mode + kernel_state.bits.count);
  kputc(' ');
  put_dec(counter);
  kputs("\n");
  exit_qemu(0);
}
