; Enters 32-bit protected mode through a GDT, writes a pattern with flat segments, prints "PM" from 32-bit
; code and halts there: the segment caches and CR0 must survive every handover.
bits 16
org 0x7C00
start:
  cli
  xor ax, ax
  mov ds, ax
  lgdt [gdt_desc]
  mov eax, cr0
  or eax, 1
  mov cr0, eax
  jmp 0x08:pm
bits 32
pm:
  mov ax, 0x10
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov esp, 0x90000
  mov edi, 0x20000
  mov ecx, 256
  mov eax, 0xCAFE0000
.fill:
  stosd
  inc eax
  loop .fill
  mov al, 'P'
  out 0xE9, al
  mov al, 'M'
  out 0xE9, al
  mov al, 10
  out 0xE9, al
  hlt
align 8
gdt:
  dq 0
  dq 0x00CF9A000000FFFF
  dq 0x00CF92000000FFFF
gdt_desc:
  dw gdt_desc - gdt - 1
  dd gdt
times 510-($-$$) db 0
dw 0xAA55
