; Enters protected mode with an empty IDT and raises an interrupt: #GP, then #DF, then shutdown (a triple
; fault). Protected mode, because KVM on Intel emulates real-mode event delivery and may report an
; emulation failure instead of the shutdown.
bits 16
org 0x7C00
start:
  cli
  xor ax, ax
  mov ds, ax
  mov al, 'T'
  out 0xE9, al
  lgdt [gdt_desc]
  lidt [empty_idt]
  mov eax, cr0
  or eax, 1
  mov cr0, eax
  jmp 0x08:pm
bits 32
pm:
  mov ax, 0x10
  mov ds, ax
  mov ss, ax
  mov esp, 0x7000
  int 0x21
  hlt
align 8
gdt:
  dq 0
  dq 0x00CF9A000000FFFF
  dq 0x00CF92000000FFFF
gdt_desc:
  dw gdt_desc - gdt - 1
  dd gdt
empty_idt:
  dw 0
  dd 0
times 510-($-$$) db 0
dw 0xAA55
