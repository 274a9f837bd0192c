/* Nested events for the debugger's call stack (test/dap/c-nested.test.ts), all through isr.asm's stub:
 * - exceptions raised inside the timer's IRQ handler: an invalid opcode (#UD) on the first tick, a segment
 *   load with a bad selector (#GP, error code 0x1230) on the second; each handler steps over the instruction;
 * - the timer's IRQ taken inside a #BP handler that re-enabled interrupts to wait for a tick.
 * A debugger stopped in the innermost handler must show both events and every frame at its source line, and
 * the kernel runs to its end printing the same as under QEMU -kernel. */
#include "cpu.h"
#include "kernel.h"

static volatile uint32_t ticks, uds, gps, bps, work_done, handled;
static volatile uint32_t last_gp_error;
static volatile uint32_t ticks_in_bp;

/* Runs inside the timer handler: the faults are raised here, two calls deep in the IRQ. */
__attribute__((noinline)) void timer_work(uint32_t tick) {
  uint32_t selector = 0x1230 + tick - 2;
  if (tick == 1) __asm__ volatile("ud2"); /* UD in IRQ */
  if (tick == 2) __asm__ volatile("mov %0, %%fs" : : "r"(selector)); /* GP in IRQ */
  work_done++;
}

static void on_timer(struct frame* f) {
  (void)f;
  uint32_t tick = ++ticks;
  timer_work(tick); /* CALL work */
  handled++;        /* after the call: no tail call, on_timer keeps its frame */
}

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
  set_handler(0x20, on_timer);
  pit_100hz();
  __asm__ volatile("sti");
  uint32_t spins = wait_ticks(3); /* CALL ticks */
  __asm__ volatile("cli");
  kputs("ticks: ");
  put_dec(ticks);
  kputs(spins >= 3 ? ", woken each time; #UD " : ", too few wake-ups; #UD ");
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
