; Deliberately faulty boot sector for exit diagnostics: a port nobody serves, memory with nothing behind it,
; then an empty IDT and a division by zero (#DE -> #GP -> #DF -> shutdown).
org 0x7C00
bits 16
start:
    xor ax, ax
    mov ds, ax
    mov dx, 0x378
    out dx, al                  ; LPT1: no device in the VM
    mov ax, 0xF000
    mov es, ax
    mov al, [es:0xFFF0]
    lidt [empty_idt]
    xor cx, cx
    div cx                      ; #DE with no IDT
    cli
    hlt

empty_idt:
    dw 0
    dd 0
times 510-($-$$) db 0
dw 0xAA55
