; Debug-API fixture: sets EFLAGS.TF and lets the #DB handler count single-step traps over three NOPs.
bits 16
org 0x7C00
  xor ax, ax
  mov ds, ax
  mov ss, ax
  mov sp, 0x7C00
  mov word [1 * 4], db_handler
  mov word [1 * 4 + 2], 0
  pushf
  pop ax
  or ax, 0x100
  push ax
  popf                        ; TF on: the trap comes after the next instruction
  nop
  nop
  nop
  pushf
  pop ax
  and ax, 0xFEFF
  push ax
  popf                        ; TF off (this POPF still traps)
  mov ax, [count]
  out 0xE9, al
  out 0xF4, al
  hlt
db_handler:
  inc word [count]
  iret
count: dw 0
