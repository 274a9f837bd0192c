; Spins forever: only a pause from another thread gets the vCPU back.
bits 16
org 0x7C00
start:
  inc eax
  jmp start
times 510-($-$$) db 0
dw 0xAA55
