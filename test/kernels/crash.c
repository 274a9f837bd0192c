/* A kernel that divides by zero with no IDT of its own: the CPU cannot deliver #DE (the IDT still holds the
 * real-mode IVT's limit), so it double faults and shuts down. Bootvisor names the C line. */
#include "kernel.h"

volatile int divisor;

int divide(int x) {
  return x / divisor; /* the fault */
}

void kmain(uint32_t magic, void* info) {
  (void)magic;
  (void)info;
  serial_init();
  kputs("about to divide by zero\n");
  put_dec((uint32_t)divide(42));
}
