; The TSS I/O permission bitmap: ring 3 with IOPL 0 may use exactly the ports whose bits are clear. The TSS
; limit is raised to cover a bitmap at 0xC000 that clears port 0xE9 only: byte OUTs to 0xE9 work from ring
; 3, a word OUT to 0xE9 (also needs 0xEA), a byte to 0xE8, and IN from 0x60 fault with #GP(0).
%include "lib/boot.inc"
%include "lib/pm.inc"

BITMAP equ 0xC000

bits 16
main:
  ENTER_PM32
  PUTS32 "pm", 10
  mov edi, BITMAP
  mov al, 0xFF
  mov ecx, 8192 + 1               ; every port, plus the terminating 0xFF byte
  rep stosb
  and byte [BITMAP + 0xE9 / 8], ~(1 << (0xE9 % 8))
  mov word [tss + 0x66], BITMAP - LIN(tss)
  ; TSS descriptor: limit to the end of the bitmap, available again, then reload TR
  mov eax, BITMAP - LIN(tss) + 8192
  mov [gdt + SEL_TSS], ax
  shr eax, 16
  and byte [gdt + SEL_TSS + 6], 0xF0
  or [gdt + SEL_TSS + 6], al
  and byte [gdt + SEL_TSS + 5], ~2
  mov ax, SEL_TSS
  ltr ax
  mov ebx, SEL_TSS
  lsl eax, ebx
  SHOW32 "tss.limit", eax
  TRY i1
  TO_RING3 0x0002                 ; IOPL 0
  mov al, 'o'
  out 0xE9, al
  mov al, 'k'
  out 0xE9, al
  mov al, 10
  out 0xE9, al
  mov ax, 0x0A0A
  out 0xE9, ax                    ; needs 0xEA too: #GP(0)
i1:
  TRY i2
  TO_RING3 0x0002
  out 0xE8, al                    ; #GP(0)
i2:
  TRY i3
  TO_RING3 0x0002
  in al, 0x60                     ; #GP(0)
i3:
  SHOW32 "exceptions", [exc_count]
  DONE32

%include "lib/end.inc"
