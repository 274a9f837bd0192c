; A compute-bound mix (xorshift32 over 20000 rounds, results stored in memory), then the hash printed in
; hex on port 0xE9. The final registers and memory are compared between KVM and the software vCPU.
bits 16
org 0x7C00
start:
  xor ax, ax
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov sp, 0x7C00
  mov eax, 2463534242
  mov di, 0x1000
  mov cx, 20000
.round:
  mov ebx, eax
  shl ebx, 13
  xor eax, ebx
  mov ebx, eax
  shr ebx, 17
  xor eax, ebx
  mov ebx, eax
  shl ebx, 5
  xor eax, ebx
  mov [di], eax
  add di, 4
  and di, 0x0FFF
  or di, 0x1000
  loop .round
  mov edx, eax
  mov cx, 8
.hex:
  rol edx, 4
  mov al, dl
  and al, 0x0F
  add al, '0'
  cmp al, '9'
  jbe .digit
  add al, 7
.digit:
  out 0xE9, al
  loop .hex
  mov al, 10
  out 0xE9, al
  cli
  hlt
times 510-($-$$) db 0
dw 0xAA55
