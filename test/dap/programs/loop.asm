; A tight loop for the step and continue-to-breakpoint benchmarks (bench/dap.ts): a breakpoint on .loop
; is hit every five instructions.
org 0x7c00
bits 16

start:
    cli
    xor cx, cx
.loop:
    inc cx
    mov ax, cx
    add ax, 3
    nop
    jmp .loop

times 510-($-$$) db 0
dw 0xaa55
