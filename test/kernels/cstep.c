/* Stepping by C line (test/dap/c-stepping.test.ts): calls to step over and into, a loop, recursion, a
 * routine in assembly with its own DWARF lines (cstep-asm.asm), and one with no line information at all
 * (the top-level asm below). Inputs are volatile and the callees noinline so that -O2 keeps the calls. */
#include "kernel.h"

int asm_triple(int x);   /* cstep-asm.asm */
int noline_twice(int x); /* below: code no line owns */
__asm__(".text\n.globl noline_twice\nnoline_twice:\n  movl 4(%esp), %eax\n  addl %eax, %eax\n  ret\n");

volatile int three = 3, four = 4;
volatile int sink;

__attribute__((noinline)) static int square(int x) {
  int y = x * x; /* square body */
  return y;
}

__attribute__((noinline)) int fact(int n) {
  if (n <= 1) return 1;    /* fact base */
  return n * fact(n - 1); /* fact recurse */
}

__attribute__((noinline)) int sum_to(int n) {
  int s = 0;                                    /* sum first */
  for (int i = 1; i <= n; i++) s += square(i); /* sum loop */
  return s;                                     /* sum return */
}

void kmain(uint32_t magic, void* info) {
  (void)magic;
  (void)info;
  serial_init();              /* kmain first */
  int a = sum_to(three);      /* call sum_to */
  int b = fact(four);         /* call fact */
  int c = asm_triple(a);      /* call asm */
  int d = noline_twice(b);    /* call noline */
  sink = a + b + c + d;       /* after calls */
  put_dec((uint32_t)sink);    /* print */
  kputs("\n");
  exit_qemu(0x10);
}
