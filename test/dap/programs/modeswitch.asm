; Real mode to 32-bit protected mode, as a toy OS's first stage does it: the 32-bit code sits in the
; image before the switch that reaches it, so both sides must disassemble in their own size.
org 0x7c00
bits 16

start:
    cli
    xor ax, ax
    mov ds, ax
    mov ss, ax
    mov sp, 0x7c00
    jmp switch

[bits 32]
pm_start:
    mov eax, 0x10
    mov ds, eax
    mov ss, eax
    mov esp, 0x90000
    mov eax, 0x12345678
    mov [0xb8000], eax
    add eax, 0x11111111
    mov dword [result], eax
    cli
    hlt

[bits 16]
switch:
    lgdt [gdt_descriptor]
    mov eax, cr0
    or eax, 1
    mov cr0, eax
    jmp 0x08:pm_start

align 8
gdt:
    dq 0
    dq 0x00cf9a000000ffff       ; 0x08: flat 32-bit code
    dq 0x00cf92000000ffff       ; 0x10: flat data
gdt_descriptor:
    dw gdt_descriptor - gdt - 1
    dd gdt
result: dd 0

times 510 - ($ - $$) db 0
dw 0xaa55
