; protected: leaves real mode. Enables A20 (port 0x92), loads a flat GDT, sets CR0.PE, far-jumps into 32-bit
; code, then writes straight into the text screen at 0xB8000 and prints over COM1 by port I/O.
bits 16
org 0x7c00

CODE_SEL equ gdt.code - gdt
DATA_SEL equ gdt.data - gdt

start:
    xor ax, ax
    mov ds, ax
    mov ss, ax
    mov sp, 0x7c00
    cld
    mov ax, 0x0003
    int 0x10
    mov si, real_msg
.teletype:
    lodsb
    test al, al
    jz .switch
    mov ah, 0x0e
    mov bx, 0x0007
    int 0x10
    jmp .teletype

.switch:
    cli
    in al, 0x92                 ; fast A20
    or al, 2
    and al, 0xfe                ; bit 0 would reset the machine
    out 0x92, al
    lgdt [gdt_descriptor]
    mov eax, cr0
    or eax, 1
    mov cr0, eax
    jmp CODE_SEL:pm_start

bits 32
pm_start:
    mov ax, DATA_SEL
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov esp, 0x90000
    mov esi, pm_msg
    mov edi, 0xb8000 + 160      ; row 1, column 0
.next:
    lodsb
    test al, al
    jz .done
    mov ah, 0x1f                ; white on blue
    mov [edi], ax
    add edi, 2
    call serial_putc
    jmp .next
.done:
    mov al, 13
    call serial_putc
    mov al, 10
    call serial_putc
    cli
    hlt

; Sends AL to COM1 once the transmitter holding register is empty.
serial_putc:
    push eax
    mov dx, 0x3fd
.wait:
    in al, dx
    test al, 0x20
    jz .wait
    pop eax
    mov dx, 0x3f8
    out dx, al
    ret

real_msg: db "Real mode: switching to protected mode...", 0
pm_msg:   db "Hello from 32-bit protected mode!", 0

align 8
gdt:
    dq 0
.code: dq 0x00cf9a000000ffff    ; base 0, limit 4 GiB, 32-bit code, ring 0
.data: dq 0x00cf92000000ffff    ; base 0, limit 4 GiB, data, ring 0
gdt_end:

gdt_descriptor:
    dw gdt_end - gdt - 1
    dd gdt

    times 510 - ($ - $$) db 0
    dw 0xaa55
