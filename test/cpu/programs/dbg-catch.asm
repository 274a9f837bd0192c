; Debug-API fixture: DIV by zero at 0x7C20 with a #DE handler at 0x7C50 that records the pushed IP.
bits 16
org 0x7C00
  xor ax, ax
  mov ds, ax
  mov ss, ax
  mov sp, 0x7C00
  mov word [0], de_handler
  mov word [2], 0
  jmp div_site
  times 0x20-($-$$) db 0x90
div_site:                     ; 0x7C20
  div byte [zero]
  out 0xF4, al
  hlt
  times 0x50-($-$$) db 0x90
de_handler:                   ; 0x7C50
  push bp
  mov bp, sp
  mov ax, [bp+2]
  mov [seen_ip], ax
  add word [bp+2], 4          ; skip the DIV
  pop bp
  iret
zero: db 0
seen_ip: dw 0
