; Port I/O in loops: every OUT is a VM exit (what costs time under KVM and NVMM).
org 0x7C00
bits 16
start:
    mov dx, 0x3F8
    mov cx, 5
.com1:
    mov al, 'a'
    out dx, al                  ; 5 exits
    loop .com1
    mov cx, 3
.debugcon:
    mov al, 'b'
    out 0xE9, al                ; 3 exits
    loop .debugcon
    cli
    hlt
times 510-($-$$) db 0
dw 0xAA55
