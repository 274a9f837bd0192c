/* A kernel that uses doubles (gcc -m32 compiles them to x87 code): arithmetic, conversions, a formatter
 * built on the FPU itself, every rounding mode, masked exceptions and their flags, the transcendental
 * instructions, FSAVE/FRSTOR and FSTENV, and the system side: CPUID's FPU bit, the equipment word, #NM under
 * CR0.TS, #MF under CR0.NE = 1 and IRQ13 under CR0.NE = 0. Everything printed is what a 387-class FPU gives,
 * so the COM1 output is the same under Bootvisor and QEMU -kernel. */
#include "cpu.h"
#include "kernel.h"

static void put_bits(double d) {
  union {
    double d;
    uint32_t w[2];
  } u = {d};
  put_hex(u.w[1]);
  kputc(':');
  put_hex(u.w[0]);
}

/* x with `decimals` digits after the point, rounded to nearest, the digits computed by the FPU itself. */
static void put_double(double x, int decimals) {
  if (x != x) {
    kputs("nan");
    return;
  }
  if (x < 0) {
    kputc('-');
    x = -x;
  }
  double scale = 1;
  for (int i = 0; i < decimals; i++) scale *= 10;
  double r = x * scale + 0.5;
  if (r >= 9e15) {
    kputs("big");
    return;
  }
  uint32_t hi = (uint32_t)(r / 1e9);
  if (r - (double)hi * 1e9 < 0) hi--;
  uint32_t lo = (uint32_t)(r - (double)hi * 1e9);
  char digits[24];
  int n = 0;
  for (int i = 0; i < 9; i++, lo /= 10) digits[n++] = (char)('0' + lo % 10);
  for (; hi; hi /= 10) digits[n++] = (char)('0' + hi % 10);
  while (n > decimals + 1 && digits[n - 1] == '0') n--;
  for (int i = n - 1; i >= 0; i--) {
    kputc(digits[i]);
    if (i == decimals && decimals) kputc('.');
  }
}

static uint16_t fnstsw(void) {
  uint16_t sw;
  __asm__ volatile("fnstsw %0" : "=m"(sw));
  return sw;
}
static void fldcw(uint16_t cw) { __asm__ volatile("fldcw %0" : : "m"(cw)); }
static uint16_t fnstcw(void) {
  uint16_t cw;
  __asm__ volatile("fnstcw %0" : "=m"(cw));
  return cw;
}

/* The six exception flags by name. */
static void put_flags(uint16_t sw) {
  static const char* const names[6] = {"IE", "DE", "ZE", "OE", "UE", "PE"};
  int any = 0;
  for (int i = 0; i < 6; i++)
    if (sw & (1u << i)) {
      if (any) kputc(' ');
      kputs(names[i]);
      any = 1;
    }
  if (!any) kputs("none");
}

static volatile double vzero = 0.0, vone = 1.0, vthree = 3.0, vtiny = 1e-300, vbig = 1e300;

static long rint_mode(double x, unsigned rc) {
  fldcw((uint16_t)(0x037F | (rc << 10)));
  long v;
  __asm__ volatile("fistpl %0" : "=m"(v) : "t"(x) : "st");
  fldcw(0x037F);
  return v;
}

static volatile int nm_count, mf_count, irq13_count;
static volatile uint16_t mf_status;

static void on_nm(struct frame* f) {
  (void)f;
  nm_count++;
  __asm__ volatile("clts");
}
static void on_mf(struct frame* f) {
  (void)f;
  mf_count++;
  mf_status = fnstsw();
  __asm__ volatile("fnclex");
}
static void on_irq13(struct frame* f) {
  (void)f;
  irq13_count++;
  mf_status = fnstsw();
  outb(0xF0, 0); /* clear the FPU's error latch (FERR#) */
  __asm__ volatile("fnclex"); /* isr_dispatch sends the EOIs */
}

static double series(int n) {
  double s = 0;
  for (int k = 1; k <= n; k++) s += 1.0 / ((double)k * k);
  return s;
}

static int has_word(const char* s, const char* w) {
  for (; *s; s++) {
    int i = 0;
    while (w[i] && s[i] == w[i]) i++;
    if (!w[i]) return 1;
  }
  return 0;
}

void kmain(uint32_t magic, struct multiboot_info* mb) {
  (void)magic;
  /* "irq13" on the command line adds the CR0.NE = 0 part (QEMU 7.2 aborts on it: see README). */
  const int irq13 = (mb->flags & 4) && has_word((const char*)mb->cmdline, "irq13");
  serial_init();
  vga_clear();
  cpu_init();
  kputs("x87 kernel\n");

  uint32_t a, b, c, d;
  __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1));
  kputs(d & 1 ? "cpuid: FPU\n" : "cpuid: no FPU\n");
  kputs(*(volatile uint16_t*)0x410 & 2 ? "equipment word: coprocessor\n" : "equipment word: no coprocessor\n");
  uint32_t cr0;
  __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
  __asm__ volatile("mov %0, %%cr0" : : "r"((cr0 | 0x22) & ~0xCu)); /* MP, NE; not EM, TS */
  __asm__ volatile("fninit");
  kputs("after fninit: control ");
  put_hex(fnstcw());
  kputs(" status ");
  put_hex(fnstsw());
  kputc('\n');

  /* Arithmetic and conversions. */
  double s = series(1000);
  kputs("sum 1/k^2, k <= 1000: ");
  put_double(s, 12);
  kputs(" bits ");
  put_bits(s);
  kputc('\n');
  double pi2_6 = 3.14159265358979323846 * 3.14159265358979323846 / 6;
  kputs("pi^2/6 - sum: ");
  put_double((pi2_6 - s) * 1e6, 9);
  kputs(" e-6\n");
  double x = 2;
  for (int i = 0; i < 6; i++) x = (x + 2 / x) / 2;
  kputs("newton sqrt(2): ");
  put_bits(x);
  volatile double square = x * x;
  kputs(square == 2.0000000000000004 || square == 2 ? " squares back\n" : " WRONG\n");
  float f = (float)(vone / vthree);
  kputs("1/3 as float ");
  put_bits((double)f);
  kputs(", as int*1e6 ");
  put_dec((uint32_t)(int)(vone / vthree * 1e6));
  kputc('\n');
  long long big = (long long)(vbig / 1e290);
  kputs("1e300/1e290 as int64: ");
  put_hex((uint32_t)(big >> 32));
  kputc(':');
  put_hex((uint32_t)big);
  kputc('\n');

  /* Rounding control on FISTP: nearest-even, down, up, toward zero. */
  static const double halves[4] = {2.5, -2.5, 3.5, -0.5};
  for (unsigned rc = 0; rc < 4; rc++) {
    kputs("rc ");
    put_dec(rc);
    kputs(":");
    for (int i = 0; i < 4; i++) {
      kputc(' ');
      long v = rint_mode(halves[i], rc);
      if (v < 0) {
        kputc('-');
        v = -v;
      }
      put_dec((uint32_t)v);
    }
    kputc('\n');
  }
  /* Precision control: 1 + 2^-30 survives 64 and 53 bits, not 24. */
  for (unsigned pc = 0; pc < 4; pc += 2) {
    fldcw((uint16_t)(0x007F | (pc << 8)));
    volatile long double one = 1.0L, eps = 1.0L / (1 << 30) / 4;
    long double sum = one + eps;
    fldcw(0x037F);
    kputs(pc == 0 ? "24-bit precision: 1 + 2^-32 " : "53-bit precision: 1 + 2^-32 ");
    kputs(sum == one ? "== 1\n" : "!= 1\n");
  }

  /* Masked exceptions: their results and flags. */
  __asm__ volatile("fnclex");
  double inf = vone / vzero;
  kputs("1/0 = ");
  put_bits(inf);
  kputs(" flags ");
  put_flags(fnstsw());
  kputc('\n');
  __asm__ volatile("fnclex");
  double nan = vzero / vzero;
  kputs("0/0 = ");
  put_bits(nan);
  kputs(" flags ");
  put_flags(fnstsw());
  kputc('\n');
  __asm__ volatile("fnclex");
  double over = vbig * vbig;
  kputs("1e300^2 = ");
  put_bits(over);
  kputs(" flags ");
  put_flags(fnstsw() & ~2);
  kputc('\n');
  __asm__ volatile("fnclex");
  double under = vtiny * vtiny;
  kputs("1e-300^2 = ");
  put_bits(under);
  kputs(" flags ");
  put_flags(fnstsw() & ~2);
  kputc('\n');
  __asm__ volatile("fnclex");
  int overflow_int = (int)(vbig);
  kputs("(int)1e300 = ");
  put_hex((uint32_t)overflow_int);
  kputs(" flags ");
  put_flags(fnstsw());
  kputc('\n');

  /* Transcendentals, to 9 decimals. */
  double r;
  __asm__ volatile("fsin" : "=t"(r) : "0"(1.0));
  kputs("sin(1) ");
  put_double(r, 9);
  __asm__ volatile("fcos" : "=t"(r) : "0"(1.0));
  kputs(" cos(1) ");
  put_double(r, 9);
  double t1, t2;
  __asm__ volatile("fptan" : "=t"(t1), "=u"(t2) : "0"(0.5));
  kputs(" tan(0.5) ");
  put_double(t2, 9);
  kputs(" (pushed ");
  put_double(t1, 1);
  kputs(")\n");
  __asm__ volatile("fpatan" : "=t"(r) : "0"(1.0), "u"(1.0) : "st(1)");
  kputs("atan(1)*4 ");
  put_double(r * 4, 9);
  __asm__ volatile("fyl2x" : "=t"(r) : "0"(8.0), "u"(3.0) : "st(1)");
  kputs(" 3*log2(8) ");
  put_double(r, 9);
  __asm__ volatile("f2xm1" : "=t"(r) : "0"(0.5));
  kputs(" 2^0.5-1 ");
  put_double(r, 9);
  __asm__ volatile("fsqrt" : "=t"(r) : "0"(2.0));
  kputs(" sqrt(2) ");
  put_bits(r);
  kputc('\n');
  __asm__ volatile("fldpi; fstpl %0" : "=m"(r));
  kputs("fldpi ");
  put_bits(r);
  __asm__ volatile("fldl2e; fstpl %0" : "=m"(r));
  kputs(" fldl2e ");
  put_bits(r);
  __asm__ volatile("fscale" : "=t"(r) : "0"(3.0), "u"(4.0));
  kputs(" 3*2^4 ");
  put_double(r, 0);
  kputc('\n');

  /* FSAVE / FRSTOR and FSTENV (32-bit protected-mode layout). */
  static uint8_t area[108];
  __asm__ volatile("fninit; fld1; fldpi; fldz; fnsave %0" : "=m"(area));
  kputs("fnsave: control ");
  put_hex(*(uint16_t*)&area[0]);
  kputs(" status ");
  put_hex(*(uint16_t*)&area[4]);
  kputs(" tags ");
  put_hex(*(uint16_t*)&area[8]);
  kputs(" st1 ");
  put_hex(*(uint32_t*)&area[28 + 10 + 6]);
  kputs(" after: tags ");
  uint16_t env[14];
  __asm__ volatile("fnstenv %0" : "=m"(env));
  put_hex(env[4]);
  __asm__ volatile("frstor %0" : : "m"(area));
  __asm__ volatile("fstp %%st(0); fstpl %0" : "=m"(r));
  kputs(" restored st1 ");
  put_double(r, 9);
  __asm__ volatile("fninit");
  kputc('\n');

  /* CR0.TS: the first x87 instruction raises #NM; the handler's CLTS lets it run. */
  set_handler(7, on_nm);
  set_handler(16, on_mf);
  set_handler(0x2D, on_irq13);
  __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
  __asm__ volatile("mov %0, %%cr0" : : "r"(cr0 | 8));
  volatile double after_nm = vone + vone;
  kputs("CR0.TS: #NM taken ");
  put_dec(nm_count);
  kputs(" time(s), 1+1 = ");
  put_double(after_nm, 1);
  kputc('\n');

  /* CR0.NE = 1: an unmasked zero divide raises #MF at the next waiting x87 instruction. */
  fldcw(0x037B);
  __asm__ volatile("fld1; fldz; fdivrp; fwait; fstp %st(0)");
  fldcw(0x037F);
  kputs("CR0.NE=1: #MF taken ");
  put_dec(mf_count);
  kputs(" time(s), status had ");
  put_flags(mf_status);
  kputs(mf_status & 0x80 ? " ES\n" : "\n");

  if (!irq13) {
    kputs("bye\n");
    exit_qemu(0x10);
  }
  /* CR0.NE = 0: the error goes out on FERR# to IRQ13 (slave PIC line 5), cleared by port F0h. */
  __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
  __asm__ volatile("mov %0, %%cr0" : : "r"(cr0 & ~0x20u));
  irq_unmask(2);
  irq_unmask(13);
  mf_status = 0;
  __asm__ volatile("sti");
  fldcw(0x037B);
  __asm__ volatile("fld1; fldz; fdivrp; fwait; fstp %st(0)");
  for (volatile int i = 0; i < 1000; i++) {
  }
  __asm__ volatile("cli");
  fldcw(0x037F);
  kputs("CR0.NE=0: IRQ13 taken ");
  put_dec(irq13_count);
  kputs(" time(s), #MF ");
  put_dec(mf_count);
  kputs(" time(s), status had ");
  put_flags(mf_status);
  kputc('\n');

  kputs("bye\n");
  exit_qemu(0x10);
}
