; Descriptor caches across mode switches: a 4 GiB data segment loaded in protected mode stays in DS's
; hidden cache after returning to real mode (unreal mode), so 32-bit offsets above 64 KiB work; reloading
; DS in real mode keeps the limit. A 16-bit code segment on the way back, and a far JMP to real mode.
%include "lib/boot.inc"
%include "lib/pm.inc"

bits 16
main:
  in al, 0x92
  or al, 2                        ; fast A20 on, for the access at 1 MiB + 16
  out 0x92, al
  mov dword [0x1000], 0x1234ABCD
  cli
  lgdt [gdt_desc]
  mov eax, cr0
  or al, 1
  mov cr0, eax
  jmp SEL_CODE16:pm16
pm16:
  mov ax, SEL_DATA0               ; flat 4 GiB data
  mov ds, ax
  mov es, ax
  mov eax, cr0
  and al, 0xFE
  mov cr0, eax
  jmp 0:real_again
real_again:
  xor ax, ax
  mov ds, ax                      ; real-mode load: base 0, the 4 GiB limit stays
  mov ss, ax
  mov dword [dword 0x100010], 0xCAFED00D
  mov eax, [dword 0x100010]
  SHOW16 "unreal-read", eax
  mov eax, [dword 0x1000]
  SHOW16 "low-read", eax
  mov ax, 0x1000
  mov es, ax
  mov eax, [es:dword 0xF0010]     ; ES = 0x1000 base 0x10000 + 0xF0010 = 0x100010
  SHOW16 "unreal-es", eax
  DONE16

%include "lib/end.inc"
