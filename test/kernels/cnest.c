/* Nested events for the debugger's call stack (test/dap/c-nested.test.ts), the exceptions through isr.asm:
 * - exceptions raised inside the timer's IRQ handler: an invalid opcode (#UD) on the first tick, a segment
 *   load with a bad selector (#GP, error code 0x1230) on the second; each handler steps over the instruction;
 * - the timer's IRQ taken inside a #BP handler that re-enabled interrupts to wait for a tick.
 * IRQ0 is built two ways: through isr.asm's stub as well, or (-DTIMER_INTERRUPT_FUNCTION) an interrupt function;
 * with -DPIC_NOT_REMAPPED too, the PICs get the BIOS's vector bases back, and IRQ0 arrives on vector 8, #DF's.
 * A debugger stopped in the innermost handler must show both events and every frame at its source line, and
 * the kernel runs to its end printing the same as under QEMU -kernel. */
#include "cpu.h"
#include "kernel.h"

static volatile uint32_t ticks, uds, gps, bps, work_done, handled;
static volatile uint32_t last_gp_error;
static volatile uint32_t ticks_in_bp;
/* The tick after which IRQ0 is masked until the kernel wants another: the counts it prints must not depend on
 * how fast QEMU (the reference, on host time) reaches the CLI after a wait (a loaded host let a 4th tick in). */
static volatile uint32_t tick_limit;

/* Runs inside the timer handler: the faults are raised here, two calls deep in the IRQ. */
__attribute__((noinline)) void timer_work(uint32_t tick) {
  uint32_t selector = 0x1230 + tick - 2;
  if (tick == 1) __asm__ volatile("ud2"); /* UD in IRQ */
  if (tick == 2) __asm__ volatile("mov %0, %%fs" : : "r"(selector)); /* GP in IRQ */
  work_done++;
  if (tick >= tick_limit) outb(0x21, inb(0x21) | 0x01);
}

#ifdef TIMER_INTERRUPT_FUNCTION
/* The other shape (c-nested's second kernel): the IDT enters a gcc/clang interrupt function for IRQ0. */
struct interrupt_frame {
  uint32_t ip, cs, flags;
};

__attribute__((interrupt)) static void timer_irq(struct interrupt_frame* frame) {
  (void)frame;
  uint32_t tick = ++ticks; /* TICK irq */
  timer_work(tick);        /* CALL work irq */
  handled++;
  __asm__ volatile("outb %%al, $0x20" : : "a"(0x20)); /* the PIC's EOI */
}
#else
static void on_timer(struct frame* f) {
  (void)f;
  uint32_t tick = ++ticks; /* TICK stub */
  timer_work(tick);        /* CALL work stub */
  handled++;               /* after the call: no tail call, on_timer keeps its frame */
}
#endif

static void on_ud(struct frame* f) {
  uds++; /* BREAK ud */
  /* The test stops above and reads the frame: the compiler may not move the EIP update before the count. */
  __asm__ volatile("" ::: "memory");
  f->eip += 2; /* ud2 */
}

static void on_gp(struct frame* f) {
  last_gp_error = f->error; /* BREAK gp */
  gps++;
  __asm__ volatile("" ::: "memory");
  f->eip += 2; /* mov fs, r32 */
}

/* Inside the #BP handler, interrupts on: the next tick is taken here. */
__attribute__((noinline)) void bp_wait_tick(uint32_t goal) {
  __asm__ volatile("sti");
  while (ticks < goal) __asm__ volatile("hlt"); /* IRQ in BP */
  __asm__ volatile("cli");
}

static void on_breakpoint(struct frame* f) {
  (void)f;
  uint32_t goal = ticks + 1;
  tick_limit = goal;
  irq_unmask(0);
  bp_wait_tick(goal); /* CALL wait */
  ticks_in_bp = ticks - goal + 1;
  bps++;
}

__attribute__((noinline)) uint32_t wait_ticks(uint32_t goal) {
  uint32_t spins = 0;
  while (ticks < goal) {
    spins++;
    __asm__ volatile("hlt"); /* WAIT hlt */
  }
  return spins;
}

__attribute__((noinline)) void provoke_bp(void) {
  __asm__ volatile("int3"); bps += 0x100; /* BP here */
}

void kmain(uint32_t magic, void* info) {
  (void)info;
  serial_init();
  kputs(magic == 0x2BADB002 ? "cnest: booted by a multiboot loader\n" : "cnest: WRONG magic\n");
  cpu_init();
  set_handler(3, on_breakpoint);
  set_handler(6, on_ud);
  set_handler(13, on_gp);
#if defined(PIC_NOT_REMAPPED)
  pic_init(0x08, 0x70); /* the BIOS's vector bases: IRQ 0-7 on vectors 8-15 */
  set_gate(8, (void (*)(void))timer_irq);
#elif defined(TIMER_INTERRUPT_FUNCTION)
  set_gate(0x20, (void (*)(void))timer_irq);
#else
  set_handler(0x20, on_timer);
#endif
  tick_limit = 3;
  pit_100hz();
  __asm__ volatile("sti");
  uint32_t spins = wait_ticks(3); /* CALL ticks */
  __asm__ volatile("cli");
  kputs("ticks: ");
  put_dec(ticks);
  /* (How many HLTs the ticks woke is QEMU's host timing: a tick may land before the first HLT.) */
  (void)spins;
  kputs("; #UD ");
  put_dec(uds);
  kputs(", #GP ");
  put_dec(gps);
  kputs(" error code ");
  put_hex(last_gp_error);
  kputs(", work done ");
  put_dec(work_done);
  kputs("\n");
  provoke_bp(); /* CALL bp */
  kputs("#BP: ");
  put_hex(bps);
  kputs(", ticks in its handler ");
  put_dec(ticks_in_bp);
  kputs(", handled ");
  put_dec(handled);
  kputs("\n");
  exit_qemu(0x10);
}
