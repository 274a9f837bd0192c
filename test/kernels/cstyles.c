/* Interrupt and exception handlers that are not the tutorial's stub (test/dap/c-handler-styles.test.ts): the
 * debugger must still find the interrupted C code, name the event and its error code, and say which of the
 * interrupted code's registers it cannot know.
 * - IRQ0 and #GP: gcc/clang __attribute__((interrupt)) handlers (their own CFI; #GP with its error code);
 * - #UD: an asm stub that saves only EAX, ECX and EDX around a C call (cstyles-stubs.asm);
 * - #BP: an asm stub that saves nothing (its C handler keeps every register: no_caller_saved_registers);
 * - #DE: an asm stub with pusha but the vector pushed below the block, not above it;
 * - #OF and INT 2Eh: per-vector stubs into a common path, vector and dummy error code in reverse order.
 * Each handler steps over the instruction that faulted, so provoke() runs to its end. */
#include "cpu.h"
#include "kernel.h"

struct interrupt_frame {
  uint32_t ip, cs, flags;
};
typedef unsigned int uword_t;

extern void ud_stub(void);
extern void bp_stub(void);
extern void de_stub(void);
extern void of_stub(void);
extern void int2e_stub(void);

static volatile uint32_t ticks, gp_count, ud_count, bp_count, de_count, alt_count;
static volatile uint32_t last_gp_error;

__attribute__((interrupt)) static void timer_irq(struct interrupt_frame* frame) {
  (void)frame;
  ticks++;                                            /* BREAK timer */
  __asm__ volatile("outb %%al, $0x20" : : "a"(0x20)); /* the PIC's EOI (no call from an interrupt handler) */
}

/* A segment load with a bad selector: #GP with the selector as its error code; the mov is 2 bytes. */
__attribute__((interrupt)) static void gp_fault(struct interrupt_frame* frame, uword_t error) {
  last_gp_error = error; /* BREAK gp */
  gp_count++;
  /* After the line above (the test stops there and reads the frame), and volatile: clang 14 at -O2 drops a
   * plain store to the interrupt frame. */
  __asm__ volatile("" ::: "memory");
  *(volatile uint32_t*)&frame->ip += 2;
}

void on_ud(void) { ud_count++; /* BREAK ud */ }

/* Called from a stub that saves nothing: it must keep every register itself. */
__attribute__((no_caller_saved_registers)) void on_breakpoint(void) { bp_count++; /* BREAK bp */ }

void on_divide(uint32_t vector) { de_count += vector + 1; /* BREAK de */ }

void on_alt(void) { alt_count++; /* BREAK alt */ }

__attribute__((noinline)) uint32_t provoke(uint32_t seed) {
  volatile uint32_t marker = seed + 1;
  uint32_t acc = seed * 3;
  __asm__ volatile("ud2"); /* UD here */
  acc += ud_count;
  __asm__ volatile("int3"); /* BP here */
  acc += bp_count;
  __asm__ volatile("div %%ecx" : : "a"(acc), "d"(0), "c"(0) : "cc"); /* DE here */
  acc += de_count;
  __asm__ volatile("mov %0, %%fs" : : "r"(0x1234u + marker - seed - 1));               /* GP here */
  __asm__ volatile("mov $0x7fffffff, %%eax\n add $1, %%eax\n into" : : : "eax", "cc"); /* OF here */
  __asm__ volatile("int $0x2e");                                                       /* INT here */
  return acc + marker;
}

__attribute__((noinline)) uint32_t wait_ticks(uint32_t goal) {
  volatile uint32_t spins = 0;
  while (ticks < goal) {
    spins++;
    __asm__ volatile("hlt");
  }
  return spins;
}

void kmain(uint32_t magic, void* info) {
  (void)info;
  serial_init();
  kputs(magic == 0x2BADB002 ? "cstyles: booted by a multiboot loader\n" : "cstyles: WRONG magic\n");
  cpu_init();
  set_gate(0x20, (void (*)(void))timer_irq);
  set_gate(13, (void (*)(void))gp_fault);
  set_gate(6, ud_stub);
  set_gate(3, bp_stub);
  set_gate(0, de_stub);
  set_gate(4, of_stub);
  set_gate(0x2E, int2e_stub);
  uint32_t r = provoke(7);
  kputs("provoke: ");
  put_dec(r);
  kputs(", #GP error code ");
  put_hex(last_gp_error);
  kputs(", counts ");
  put_dec(ud_count);
  kputc(' ');
  put_dec(bp_count);
  kputc(' ');
  put_dec(de_count);
  kputc(' ');
  put_dec(gp_count);
  kputc(' ');
  put_dec(alt_count);
  kputs("\n");
  pit_100hz();
  __asm__ volatile("sti");
  uint32_t spins = wait_ticks(3);
  __asm__ volatile("cli");
  kputs("ticks: ");
  put_dec(ticks);
  kputs(spins >= 1 ? ", woken from hlt\n" : ", never slept\n"); /* how often depends on the host under QEMU */
  exit_qemu(0x10);
}
