; The os-tutorial pattern: a boot sector that reads the raw kernel (sectors 2 onwards) to 0x1000 with INT 13h,
; switches to 32-bit protected mode and jumps there. The kernel is a flat binary linked at 0x1000, so its
; ELF's symbols and DWARF lines (bootvisor run --symbols kernel.elf) name the code where it runs.
KERNEL equ 0x1000
SECTORS equ 16
  bits 16
  org 0x7c00
start:
  xor ax, ax
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov sp, 0x7c00
  mov bx, KERNEL                      ; ES:BX = 0000:1000
  mov ah, 0x02
  mov al, SECTORS
  mov ch, 0
  mov cl, 2                           ; the sector after this one
  mov dh, 0                           ; DL: the boot drive, as the BIOS left it
  int 0x13
  jc $
  cli
  lgdt [gdt_descriptor]
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
  call KERNEL
  cli
  hlt

align 8
gdt:
  dq 0
  dq 0x00CF9A000000FFFF
  dq 0x00CF92000000FFFF
gdt_descriptor:
  dw gdt_descriptor - gdt - 1
  dd gdt

  times 510 - ($ - $$) db 0
  dw 0xAA55
