; The LDT: LLDT, data and code segments through TI=1 selectors, SLDT, a selector past the LDT limit,
; LLDT with a descriptor that is not an LDT, and the null LDT.
%include "lib/boot.inc"
%include "lib/pm.inc"

bits 16
main:
  ENTER_PM32
  PUTS32 "pm", 10
  mov dword [0x20010], 0xFEEDFACE
  mov ax, SEL_LDT
  lldt ax
  sldt eax
  and eax, 0xFFFF
  SHOW32 "ldtr", eax
  mov ax, 0x04                    ; LDT entry 0, RPL 0
  mov es, ax
  mov eax, [es:0x10]
  SHOW32 "ldt-data", eax
  mov dword [es:0x14], 0x0DDBA11
  SHOW32 "ldt-write", [0x20014]
  mov ebx, 0x04
  lsl eax, ebx
  SHOW32 "ldt-lsl", eax
  jmp 0x0C:in_ldt_code
in_ldt_code:
  mov eax, cs
  SHOW32 "ldt-cs", eax
  jmp SEL_CODE0:back_in_gdt
back_in_gdt:
  TRY l1
  mov ax, 0x14                    ; LDT entry 2: past the LDT limit
  mov fs, ax
l1:
  TRY l2
  mov ax, SEL_DATA0
  lldt ax                         ; not an LDT descriptor: #GP(0x10)
l2:
  TRY l3
  mov ax, 0x94                    ; LDT descriptor selector with TI=1: #GP(0x94)
  lldt ax
l3:
  xor eax, eax
  lldt ax                         ; the null LDT
  TRY l4
  mov ax, 0x04
  mov gs, ax                      ; TI=1 with no LDT: #GP(0x04)
l4:
  SHOW32 "exceptions", [exc_count]
  DONE32

%include "lib/end.inc"
