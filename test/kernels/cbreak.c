/* Breakpoints for the debugger's tests (test/dap/c-breakpoints.test.ts): a line with no code inside a
 * function (moved to the next line with code, with the reason), a line of a header's inline function, and a
 * function by name. adjust(-1) + adjust(6) + adjust(13) = 0 + 12 + 20. */
#include "cbreak.h"
#include "kernel.h"

volatile int sink;

__attribute__((noinline)) int adjust(int v) {
  int c = clamp(v, 0, 10); /* CALL clamp */

  /* a comment, no code */
  sink = c; /* AFTER comment */
  return c * 2;
}

void kmain(uint32_t magic, struct multiboot_info* info) {
  (void)magic;
  (void)info;
  serial_init();
  int total = 0;
  for (int i = -1; i < 14; i += 7) total += adjust(i);
  put_dec((uint32_t)total);
  kputs("\n");
  exit_qemu(0);
}
