; triple-fault: a deliberately broken boot sector. It loads an empty interrupt table (limit 0) and then
; divides by zero: the #DE cannot be delivered (#GP), neither can the #GP (#DF), nor the #DF: the CPU shuts
; down. A real PC resets and boots again in a loop; Bootvisor stops and shows the chain at the `div` line.
bits 16
org 0x7c00

start:
    xor ax, ax
    mov ds, ax
    mov ss, ax
    mov sp, 0x7c00
    cld
    mov ax, 0x0003
    int 0x10
    mov si, warning
.next:
    lodsb
    test al, al
    jz .fault
    mov ah, 0x0e
    mov bx, 0x0007
    int 0x10
    jmp .next

.fault:
    lidt [empty_idt]
    xor cx, cx
    div cx                      ; #DE with no IDT to deliver it through

    jmp $                       ; never reached

warning: db "About to divide by zero with an empty IDT...", 13, 10, 0

empty_idt:
    dw 0                        ; limit
    dd 0                        ; base

    times 510 - ($ - $$) db 0
    dw 0xaa55
