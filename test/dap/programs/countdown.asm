; Counts ECX down from 25,000,000 with interrupts off (50 million instructions), then halts: long
; enough that replaying it (reverse-continue from the HLT) takes a while, so pause, stop and SIGTERM can
; be sent in the middle of a replay.
org 0x7c00
bits 16

start:
    cli
    mov ecx, 25000000
.spin:
    dec ecx
    jnz .spin
done:
    hlt

times 510-($-$$) db 0
dw 0xaa55
