; An IRQ0 handler that waits for the next tick with `sti; hlt` but never sent EOI: IRQ0 stays in service
; and shuts out every line of lower priority (all of them), so nothing can wake the CPU.
%include "lib.inc"
main:
    cli
    mov word [8 * 4], irq0
    mov word [8 * 4 + 2], 0
    sti
.wait:
    hlt
    jmp .wait

irq0:
    SHOW8 "in_irq0", 1
    sti
    hlt                         ; forgot: mov al, 0x20 / out 0x20, al
    SHOW8 "woke", 1             ; never reached
    EXIT 1
    END_SECTOR
