; Debug-API fixture: spins in `jmp $` with interrupts off until stopped from outside.
bits 16
org 0x7C00
  cli
  jmp $
