; A flat-binary multiboot kernel (no ELF): the header's address fields (flag bit 16, the a.out kludge) say
; where to load it. Prints the magic's check on COM1, then leaves through the isa-debug-exit port.
  bits 32
  org 0x100000
MB_MAGIC equ 0x1BADB002
MB_FLAGS equ 0x00010002               ; memory information; addresses in this header
header:
  dd MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)
  dd header                           ; header_addr
  dd header                           ; load_addr: the file's first byte
  dd load_end                         ; load_end_addr
  dd bss_end                          ; bss_end_addr
  dd start                            ; entry_addr
start:
  mov esp, stack_top
  mov esi, ok
  cmp eax, 0x2BADB002
  je .print
  mov esi, wrong
.print:
  lodsb
  test al, al
  jz .bss
  mov ah, al
  mov dx, 0x3FD
.wait:
  in al, dx
  test al, 0x20
  jz .wait
  mov dx, 0x3F8
  mov al, ah
  out dx, al
  jmp .print
.bss:                                 ; the bss must be zero: say so, then exit
  mov esi, bss_zero
  mov ecx, (bss_end - bss_start) / 4
  mov edi, bss_start
  xor eax, eax
  repe scasd
  je .print2
  mov esi, bss_dirty
.print2:
  lodsb
  test al, al
  jz .exit
  mov ah, al
  mov dx, 0x3FD
.wait2:
  in al, dx
  test al, 0x20
  jz .wait2
  mov dx, 0x3F8
  mov al, ah
  out dx, al
  jmp .print2
.exit:
  mov al, 0x10
  out 0xF4, al
  cli
  hlt
ok: db "a.out kludge kernel: magic ok", 10, 0
wrong: db "a.out kludge kernel: magic WRONG", 10, 0
bss_zero: db "bss zeroed", 10, 0
bss_dirty: db "bss NOT zeroed", 10, 0
  align 4
load_end:
section .bss                          ; not in the file: past load_end, zeroed by the loader
bss_start:
  resb 1024
stack_top:
bss_end:
