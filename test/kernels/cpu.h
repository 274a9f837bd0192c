/* The CPU tables a kernel sets up for itself (the loader's GDT may be gone): a flat GDT, an IDT of 48
 * gates to isr.asm's stubs, the 8259 PICs remapped to vectors 0x20-0x2F, and one C handler per vector. */
#pragma once
#include <stdint.h>

struct frame {
  uint32_t es, ds;
  uint32_t edi, esi, ebp, esp_at_pusha, ebx, edx, ecx, eax;
  uint32_t vector, error;
  uint32_t eip, cs, eflags;
};
typedef void (*handler_t)(struct frame*);

void cpu_init(void);                  /* GDT (code 0x08, data 0x10), IDT, PIC remapped, every IRQ masked */
void set_handler(int vector, handler_t h);
void set_gate(int vector, void (*entry)(void)); /* an interrupt gate to code of one's own instead of isr.asm's */
void irq_unmask(int irq);
/* ICW1-4 with these vector bases (cpu_init: 0x20 and 0x28; the BIOS: 0x08 and 0x70), every IRQ masked. */
void pic_init(uint8_t master, uint8_t slave);
/* The PIT's channel 0 at 100 Hz (mode 2, 1193182 / 11932), IRQ0 unmasked. */
void pit_100hz(void);
void pic_eoi(int irq);
