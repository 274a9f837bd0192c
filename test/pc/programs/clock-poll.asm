; The issue's timing case, written as a game waits: poll INT 1Ah for 45 ticks (about 2.5 s), then sleep
; 10 x 250 ms through INT 15h AH=86h (2.5 s). Reports the tick count at each phase on COM1 and leaves
; through the isa-debug-exit port, so QEMU and Bootvisor can be timed on the same image.
bits 16
org 0x7c00
boot:
  xor ax, ax
  mov ds, ax
  mov ss, ax
  mov sp, 0x7c00
  sti
  mov ah, 0
  int 0x1a
  mov [start], dx
  mov word [left], 45
.tick:                      ; wait for the next tick by polling the BIOS clock
  mov ah, 0
  int 0x1a
  cmp dx, [last]
  je .tick
  mov [last], dx
  dec word [left]
  jnz .tick
  mov al, 'P'
  call put
  mov bx, 10
.sleep:                     ; 250 ms = 0x3D090 us
  mov ah, 0x86
  mov cx, 0x0003
  mov dx, 0xD090
  int 0x15
  dec bx
  jnz .sleep
  mov al, 'S'
  call put
  mov ah, 0                 ; ticks elapsed in all, as two hex digits
  int 0x1a
  sub dx, [start]
  mov al, dl
  shr al, 4
  call hexdigit
  mov al, dl
  and al, 0x0f
  call hexdigit
  mov al, 10
  call put
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
  push dx
  mov dx, 0x3f8
  out dx, al
  pop dx
  ret
start: dw 0
last: dw 0xffff
left: dw 0
times 510-($-$$) db 0
dw 0xaa55
