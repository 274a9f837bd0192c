; 16-bit gates from 32-bit code: a 16-bit interrupt gate (pushes FLAGS, CS, IP as words) to a 16-bit code
; segment that returns with a 16-bit IRET, a 16-bit trap gate leaving IF set, and a 16-bit call gate whose
; 16-bit target returns with RETF.
%include "lib/boot.inc"
%include "lib/pm.inc"

%macro GATE 4   ; vector, selector, handler, type byte
  mov eax, LIN(%3)
  mov [idt + %1 * 8], ax
  mov word [idt + %1 * 8 + 2], %2
  mov byte [idt + %1 * 8 + 4], 0
  mov byte [idt + %1 * 8 + 5], %4
  shr eax, 16
  mov [idt + %1 * 8 + 6], ax
%endmacro

bits 16
main:
  ENTER_PM32
  PUTS32 "pm", 10
  GATE 0x1C, SEL_CODE16, handler16, 0x86   ; 16-bit interrupt gate
  GATE 0x1B, SEL_CODE16, handler16, 0x87   ; 16-bit trap gate
  ; a 16-bit call gate in the spare GDT slot after the LDT descriptor is not in pm.inc: build it in SEL_CGATE
  mov eax, LIN(cgate16_target)
  mov [gdt + SEL_CGATE], ax
  mov word [gdt + SEL_CGATE + 2], SEL_CODE16
  mov word [gdt + SEL_CGATE + 4], 0x8400   ; 16-bit call gate, DPL 0, no parameters
  mov word [gdt + SEL_CGATE + 6], 0
  mov ebx, esp
  SHOW32 "esp.before", ebx
  sti
  int 0x1C
  cli
  mov ebx, esp
  SHOW32 "esp.after", ebx
  SHOW32 "int16.ip", [rec_ip]
  SHOW32 "int16.cs", [rec_cs]
  mov eax, [rec_flags]
  and eax, 0x0200
  SHOW32 "int16.flags.if", eax
  SHOW32 "int16.if-inside", [rec_if]
  SHOW32 "int16.sp", [rec_sp]
  sti
  int 0x1B
  cli
  SHOW32 "trap16.if-inside", [rec_if]
  call SEL_CGATE:0
  SHOW32 "cgate16.ip", [rec_ip]
  SHOW32 "cgate16.cs", [rec_cs]
  mov ebx, esp
  SHOW32 "esp.after-gate", ebx
  SHOW32 "exceptions", [exc_count]
  DONE32

rec_ip:    dd 0
rec_cs:    dd 0
rec_flags: dd 0
rec_if:    dd 0
rec_sp:    dd 0

bits 16
handler16:
  push bp
  mov bp, sp
  mov ax, [bp + 2]
  mov [rec_ip], ax
  mov ax, [bp + 4]
  mov [rec_cs], ax
  mov ax, [bp + 6]
  mov [rec_flags], ax
  mov [rec_sp], bp
  pushf
  pop ax
  and ax, 0x0200
  mov [rec_if], ax
  pop bp
  iret

cgate16_target:
  push bp
  mov bp, sp
  mov ax, [bp + 2]
  mov [rec_ip], ax
  mov ax, [bp + 4]
  mov [rec_cs], ax
  pop bp
  retf

%include "lib/end.inc"
