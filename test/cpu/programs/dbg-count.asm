; Debug-API fixture (test/cpu/softcpu-debug.test.ts): fixed addresses so the test can name them.
;   0x7C20 loop top, 0x7D00 the counter (written each pass, read once at the end), exit by port 0xF4.
bits 16
org 0x7C00
  xor ax, ax
  mov ds, ax
  mov ss, ax
  mov sp, 0x7C00
  jmp main
  times 0x20-($-$$) db 0x90
main:                         ; 0x7C20
  mov cx, 5                   ; 3 bytes
loop_top:                     ; 0x7C23
  inc word [counter]          ; 4 bytes
  loop loop_top               ; 2 bytes
  mov ax, [counter]           ; 0x7C29, 3 bytes
  out 0xE9, al
  out 0xF4, al
  hlt
  times 0x100-($-$$) db 0
counter: dw 0                 ; 0x7D00
