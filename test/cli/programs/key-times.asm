; A game's input loop: poll INT 16h AH=01h for a key (never blocking), and for each key print its character
; and the BIOS tick count when it came, as "a03 " on COM1; a 'q' leaves through the isa-debug-exit port.
; Run with --keys and waits, the ticks tell at which guest time each key arrived.
bits 16
org 0x7c00
  xor ax, ax
  mov ds, ax
  mov ss, ax
  mov sp, 0x7c00
  sti
poll:
  mov ah, 0x01
  int 0x16
  jz poll
  mov ah, 0x00
  int 0x16
  cmp al, 'q'
  je done
  call put
  mov al, [0x46c]
  mov ah, al
  shr al, 4
  call hexdigit
  mov al, ah
  and al, 0x0f
  call hexdigit
  mov al, ' '
  call put
  jmp poll
done:
  mov al, 0
  out 0xf4, al
  cli
  hlt
hexdigit:
  add al, '0'
  cmp al, '9'
  jbe put
  add al, 7
put:
  mov dx, 0x3f8
  out dx, al
  ret
times 510-($-$$) db 0
dw 0xaa55
