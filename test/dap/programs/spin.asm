; Spins forever with interrupts off: pause must still stop it. Counts in DX so a test can see progress.
org 0x7c00
bits 16

start:
    cli
    xor dx, dx
.loop:
    inc dx
    jmp .loop

times 510-($-$$) db 0
dw 0xaa55
