; System events for the "System events..." filter: an INT n in real mode, an IRQ taken in HLT, port I/O,
; LGDT/LIDT, CR0/CR4/CR3 writes, the far jump into 32-bit protected mode, an INT n through the IDT, a task
; switch by JMP to a TSS, and the way back to real mode through 16-bit protected mode.
org 0x7c00
bits 16

IDT_BASE equ 0x8000
TSS_A    equ 0x9000
TSS_B    equ 0x9100

start:
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7c00
    sti
    mov ah, 0x0e
    mov al, 'A'
    int 0x10
    hlt                         ; the timer's IRQ 0 wakes it
    mov al, 'P'
    out 0xe9, al
    in al, 0x61
    cli
    lgdt [gdt_descriptor]
    lidt [idt_descriptor]
    mov eax, cr0
    or eax, 1
    mov cr0, eax
    jmp 0x08:pm32

bits 32
pm32:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov esp, 0x90000
    mov eax, cr4
    or eax, 0x10
    mov cr4, eax
    mov eax, 0x1000
    mov cr3, eax
    mov dword [IDT_BASE + 0x30 * 8], (0x08 << 16) | (int30 - $$ + 0x7c00)
    mov dword [IDT_BASE + 0x30 * 8 + 4], 0x00008e00
    int 0x30
    mov dword [TSS_B + 0x20], task2
    mov dword [TSS_B + 0x24], 2
    mov dword [TSS_B + 0x38], 0x8f000
    mov dword [TSS_B + 0x48], 0x10
    mov dword [TSS_B + 0x4c], 0x08
    mov dword [TSS_B + 0x50], 0x10
    mov dword [TSS_B + 0x54], 0x10
    mov dword [TSS_B + 0x58], 0x10
    mov dword [TSS_B + 0x5c], 0x10
    mov ax, 0x28
    ltr ax
    jmp 0x30:0

task2:
    jmp 0x18:pm16

int30:
    iret

bits 16
pm16:
    mov ax, 0x20
    mov ds, ax
    mov ss, ax
    mov eax, cr0
    and eax, ~1
    mov cr0, eax
    jmp 0:real_again

real_again:
    xor ax, ax
    mov ds, ax
    mov ss, ax
    cli
    hlt

align 8
gdt:
    dq 0
    dq 0x00cf9a000000ffff       ; 0x08: flat 32-bit code
    dq 0x00cf92000000ffff       ; 0x10: flat data
    dq 0x00009a000000ffff       ; 0x18: 16-bit code, base 0
    dq 0x000092000000ffff       ; 0x20: 16-bit data, base 0
    dq 0x0000890090000067       ; 0x28: TSS A at 0x9000
    dq 0x0000890091000067       ; 0x30: TSS B at 0x9100
gdt_descriptor:
    dw gdt_descriptor - gdt - 1
    dd gdt
idt_descriptor:
    dw 0x31 * 8 - 1
    dd IDT_BASE

times 510 - ($ - $$) db 0
dw 0xaa55
