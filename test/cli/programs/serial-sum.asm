; Reads bytes from COM1 until a NUL, as a compiler reads its source, and reports their count and sum.
bits 16
org 0x7c00
  xor ax, ax
  mov ds, ax
  xor bx, bx                ; count
  xor di, di                ; sum
.next:
  mov dx, 0x3fd             ; line status: data ready?
.wait:
  in al, dx
  test al, 1
  jz .wait
  mov dx, 0x3f8
  in al, dx
  or al, al
  jz .done
  inc bx
  xor ah, ah
  add di, ax
  jmp .next
.done:
  mov ax, bx
  call hex16
  mov al, ' '
  call put
  mov ax, di
  call hex16
  mov al, 10
  call put
  mov al, 0
  out 0xf4, al
  cli
  hlt
hex16:                      ; AX as four hex digits
  mov cx, 4
.d:
  rol ax, 4
  push ax
  and al, 15
  add al, '0'
  cmp al, '9'
  jbe .p
  add al, 7
.p:
  call put
  pop ax
  loop .d
  ret
put:
  push dx
  mov dx, 0x3f8
  out dx, al
  pop dx
  ret
times 510-($-$$) db 0
dw 0xaa55
